"""How fast `jixiao check` reads, recomputes and checks forms, in one process.

    python benchmarks/check.py             # 1,000 workbooks of each layout, old commit and new
    python benchmarks/check.py --n 3000 --against HEAD~2
    python benchmarks/check.py --against none   # this checkout only

For each of two corpora of generated, filled workbooks (make_corpus.py): our own template
as units return it, and a plain Shanghai 9-column form written by another program (read
by its labels). Prints, in one run and on the same files, single process: forms checked
per second by jixiao (gate + read + parse + recompute + every check), beside openpyxl
read-only reading every cell of the same files, and raw unzip + ElementTree parse of their
sheet XML (the ceiling of any Python reader), with the peak RSS of this process. The goal
of issue 4 is ≥ 10× the openpyxl read-only rate.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_corpus import make_corpus  # noqa: E402
from merge import _openpyxl_read, _raw_read  # noqa: E402
from versus import BASELINE, side_by_side  # noqa: E402

GOAL_VS_OPENPYXL = 10.0


def _timed(label: str, files: list[Path], read) -> tuple[float, int]:
    start, cpu_start = time.perf_counter(), time.process_time()
    forms = 0
    for path in files:
        forms += read(path)
    seconds = time.perf_counter() - start
    # CPU time of this process: steadier than wall time on a shared machine
    cpu_ms = (time.process_time() - cpu_start) * 1000 / len(files)
    rate = len(files) / seconds
    print(f"{label:<34} {len(files):>6} files {seconds:7.2f} s {rate:9.0f} files/s"
          f" {cpu_ms:6.2f} CPU ms/file")
    return rate, forms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of workbooks")
    parser.add_argument("--openpyxl-sample", type=int, default=300,
                        help="openpyxl is slow: its rate is measured on this many files")
    parser.add_argument("--folder", default=None,
                        help="parent folder of the corpora (default: the temp folder)")
    parser.add_argument("--against", default=BASELINE,
                        help=f"commit run side by side with this checkout, in a git worktree "
                             f"(default {BASELINE}: before issue 13); 'none': this checkout only")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds old/new")
    args = parser.parse_args()
    if args.against != "none":
        same = ["--n", str(args.n), "--openpyxl-sample", str(args.openpyxl_sample),
                *(["--folder", args.folder] if args.folder else []), "--against", "none"]
        side_by_side(args.against, "check.py", same, args.rounds)
        return

    from jixiao.checking import check_file

    try:  # one object per run, as check_paths holds it (older commits kept a module global)
        from jixiao.io.safety import PassedParts
        run = {"passed": PassedParts()}
    except ImportError:
        run = {}

    def jixiao_check(path: Path) -> int:
        # no profile given, as `jixiao check` runs: each form's profile is its own
        return len(check_file(path, **run).forms)

    for layout in ("template", "shanghai"):
        folder = Path(args.folder or tempfile.gettempdir()) / f"jixiao-bench-{layout}-{args.n}"
        files = sorted(make_corpus(folder, args.n, layout=layout))
        jixiao_check(files[0])  # imports and caches warm, as in a long run
        print(f"\n== {layout}: {len(files)} generated workbooks in {folder}; one process")
        rate_jixiao, forms = _timed("jixiao check_file (all checks)", files, jixiao_check)
        rate_openpyxl, _ = _timed("openpyxl read_only, every cell",
                                  files[: args.openpyxl_sample],
                                  lambda p: _openpyxl_read(str(p)) > 0)
        rate_raw, _ = _timed("raw unzip + ElementTree parse", files,
                             lambda p: _raw_read(str(p)) > 0)
        print(f"forms checked: {forms} ({forms / len(files):.2f} per file), "
              f"{rate_jixiao * forms / len(files):.0f} forms/s, "
              f"{1000 / rate_jixiao:.2f} ms per file")
        ratio = rate_jixiao / rate_openpyxl
        verdict = "met" if ratio >= GOAL_VS_OPENPYXL else "NOT met"
        print(f"jixiao vs openpyxl read-only: {ratio:.1f}x "
              f"(goal ≥ {GOAL_VS_OPENPYXL:.0f}x: {verdict})")
        print(f"jixiao vs raw unzip + XML parse: {rate_jixiao / rate_raw:.0%} of the ceiling")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()

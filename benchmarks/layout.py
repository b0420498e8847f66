"""How fast the label-based form finder (`jixiao.layout.find_forms`) is, before and after.

    python benchmarks/layout.py                  # this checkout vs BASELINE_REV
    python benchmarks/layout.py --rev HEAD~3     # vs another commit
    python benchmarks/layout.py --no-baseline    # this checkout only

Grids are read once up front (`read_grids` for the generated corpus, a plain tab split for
the seeds, as tests/test_layout_seeds.py does), then `find_forms` alone is timed over them,
several passes, best pass kept; the layout's text caches are emptied before each pass. Two corpora: the generated Shanghai workbooks
(/tmp/jixiao-bench-N, made by make_corpus.py when absent) and the published seed forms
(tests/data/seeds/*.txt, PDF text). The baseline runs in a child process on a `git archive`
of its commit's src/, so both sides see the same grids; the digest of every record read is
printed beside the time, so equal digests show the speed-up did not change a value.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEEDS = ROOT / "tests" / "data" / "seeds"
#: the last commit before the layout speed-up (find_forms ≈ 2.3 ms per form)
BASELINE_REV = "6bee5ef"


def _corpus_files(n: int) -> list[Path]:
    folder = Path(tempfile.gettempdir()) / f"jixiao-bench-{n}"
    files = sorted(folder.glob("unit*/*.xlsx"))
    if len(files) < n:
        sys.path.insert(0, str(HERE))
        from make_corpus import make_corpus
        files = sorted(make_corpus(folder, n))
    return files[:n]


def _load_grids(n: int) -> dict[str, list]:
    try:
        from jixiao.grid import Grid
    except ImportError:  # revisions before issue 13 kept the grid in io
        from jixiao.grid import Grid
    from jixiao.io.readers import read_grids

    corpus = [g for path in _corpus_files(n) for g in read_grids(path) if not g.hidden]
    seeds = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        seeds.append(Grid(name=path.stem, rows=[line.split("\t") for line in text.split("\n")]))
    return {"generated": corpus, "seeds": seeds}


def _layout_caches() -> list:
    """The lru_caches of jixiao.layout's modules (none before the speed-up)."""
    import jixiao.layout  # noqa: F401 - loads its modules
    return [fn for mod_name, mod in list(sys.modules.items())
            if mod_name.startswith("jixiao.layout") and mod is not None
            for fn in vars(mod).values() if callable(getattr(fn, "cache_clear", None))]


def _measure(n: int, passes: int) -> dict[str, dict]:
    """ms per form of find_forms on each corpus, best of `passes`, with a digest of the output."""
    from jixiao.layout import find_forms

    caches = _layout_caches()
    out = {}
    for name, grids in _load_grids(n).items():
        best = float("inf")
        count = 0
        for _ in range(passes):
            # Each pass starts cold, as a batch of workbooks never seen before would.
            for cached in caches:
                cached.cache_clear()
            start = time.perf_counter()
            # Records are dropped as read, as the checks do: a pass that kept them all
            # would time the garbage collector walking a heap the real run never holds.
            count = sum(len(find_forms(grid)) for grid in grids)
            best = min(best, time.perf_counter() - start)
        forms = [form for grid in grids for form in find_forms(grid)]
        digest = hashlib.sha256(json.dumps([f.to_dict() for f in forms], ensure_ascii=False,
                                           sort_keys=True, default=str).encode()).hexdigest()
        out[name] = {"forms": count, "grids": len(grids),
                     "ms_per_form": best * 1000 / max(count, 1), "digest": digest[:12]}
    return out


def _measure_at(rev: str, n: int, passes: int) -> dict[str, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"],
                                 check=True, capture_output=True).stdout
        tar_path = Path(tmp) / "src.tar"
        tar_path.write_bytes(archive)
        with tarfile.open(tar_path) as tar:
            tar.extractall(tmp, filter="data")
        env = dict(os.environ, PYTHONPATH=str(Path(tmp) / "src"))
        done = subprocess.run([sys.executable, __file__, "--child", "--n", str(n),
                               "--passes", str(passes)], env=env, check=True,
                              capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="generated workbooks")
    parser.add_argument("--passes", type=int, default=5, help="timed passes, best kept")
    parser.add_argument("--rev", default=BASELINE_REV, help="baseline commit")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(args.n, args.passes)))
        return

    before = None if args.no_baseline else _measure_at(args.rev, args.n, args.passes)
    after = _measure(args.n, args.passes)
    print(f"find_forms, grids read up front, best of {args.passes} passes, one process\n")
    print(f"{'corpus':<10} {'grids':>6} {'forms':>6} {'before ms/form':>15} "
          f"{'after ms/form':>14} {'speed-up':>9}  digest before / after")
    for name, now in after.items():
        was = before[name] if before else None
        was_ms = f"{was['ms_per_form']:.3f}" if was else "-"
        gain = f"{was['ms_per_form'] / now['ms_per_form']:.1f}x" if was else "-"
        digests = f"{was['digest'] if was else '-'} / {now['digest']}"
        same = "" if not was else ("  same output" if was["digest"] == now["digest"]
                                   else "  OUTPUT DIFFERS")
        print(f"{name:<10} {now['grids']:>6} {now['forms']:>6} {was_ms:>15} "
              f"{now['ms_per_form']:>14.3f} {gain:>9}  {digests}{same}")


if __name__ == "__main__":
    main()

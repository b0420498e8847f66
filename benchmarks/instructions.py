"""CPU instructions per checked file, old commit and new side by side, counted by valgrind.

    python benchmarks/instructions.py 1dff2a4            # template and Shanghai corpora
    python benchmarks/instructions.py HEAD~3 --files 100
    python benchmarks/instructions.py 1dff2a4 --merge     # jixiao merge, parent and worker

CPU milliseconds move by ±30 % on a machine whose other core is busy (two runs of
``versus.py check.py`` an hour apart gave +4 % and +27 % for the same two commits).
Instructions counted by ``valgrind --tool=callgrind`` do not: the same code on the same
files gives the same count whatever else the machine does. Each side checks WARM files
(imports, caches, first-use costs) and then WARM + N files in a fresh process; the
difference divided by N is the cost of one more file. Slower than the timers (valgrind
runs Python ~50x slower), so the default N is small: the count per file is exact anyway.

``--merge`` counts ``jixiao merge --jobs 1`` of WARM and of WARM + N files of the mixed
corpus, every process of the run (``--trace-children``): the worker's and the parent's
instructions per file, apart.

Needs valgrind (Debian's ``valgrind`` package).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from make_corpus import make_corpus  # noqa: E402

WARM = 10

# Runs in the measured process: check WARM files, then COUNT more, nothing else.
DRIVER = """
import sys
from jixiao.checking import check_file
files = sys.argv[2:]
count = int(sys.argv[1])
for path in files[:{warm}]:
    check_file(path)
for path in files[{warm}:{warm} + count]:
    check_file(path)
""".format(warm=WARM)


def instructions(src: Path, files: list[Path], count: int) -> int:
    """Instructions of a whole process that checks WARM + count files."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, "-c", DRIVER, str(count), *map(str, files)],
        env=env, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", out.stderr)
    if not found:
        raise SystemExit(f"valgrind printed no count:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def per_file(src: Path, files: list[Path], count: int) -> float:
    return (instructions(src, files, count) - instructions(src, files, 0)) / count


def merge_instructions(src: Path, folder: Path) -> tuple[int, int]:
    """(worker, parent) instructions of ``jixiao merge --jobs 1`` over a folder."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    with tempfile.TemporaryDirectory() as out:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", "--trace-children=yes", "--callgrind-out-file=/dev/null",
             sys.executable, "-m", "jixiao", "merge", str(folder), "-o", str(Path(out) / "汇总.xlsx"),
             "--jobs", "1"], env=env, capture_output=True, text=True)
    counts = {int(pid): int(n) for pid, n in re.findall(r"==(\d+)== Collected : (\d+)", run.stderr)}
    if len(counts) < 2:
        raise SystemExit(f"valgrind counted {len(counts)} process(es):\n{run.stderr[-2000:]}")
    parent = min(counts)  # the first process started; its workers have later ids
    return sum(n for pid, n in counts.items() if pid != parent), counts[parent]


def merge_per_file(src: Path, small: Path, large: Path, count: int) -> tuple[float, float]:
    (worker_a, parent_a), (worker_b, parent_b) = (merge_instructions(src, small),
                                                  merge_instructions(src, large))
    return (worker_b - worker_a) / count, (parent_b - parent_a) / count


def compare_merge(old_src: Path, tmp: Path, count: int) -> None:
    files = sorted(make_corpus(tmp / "mix", WARM + count, layout="mix"))
    small, large = tmp / "small", tmp / "large"
    for folder, chosen in ((small, files[:WARM]), (large, files[:WARM + count])):
        folder.mkdir()
        for i, path in enumerate(chosen):
            shutil.copy(path, folder / f"{i:05d}.xlsx")
    old = merge_per_file(old_src, small, large, count)
    new = merge_per_file(ROOT / "src", small, large, count)
    print(f"{'merge':<10}{'old instr/file':>16}{'new instr/file':>16}{'new/old':>9}")
    for label, o, n in (("worker", old[0], new[0]), ("parent", old[1], new[1]),
                        ("together", sum(old), sum(new))):
        print(f"{label:<10}{o:>16,.0f}{n:>16,.0f}{n / o - 1:>+9.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the commit to compare with (e.g. 1dff2a4)")
    parser.add_argument("--files", type=int, default=200, help="files counted on each side")
    parser.add_argument("--merge", action="store_true", help="count jixiao merge instead of check_file")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q",
                        str(old_tree), args.old], check=True)
        try:
            print(f"old = {args.old}, new = this checkout; {args.files} files after {WARM} warm-up")
            if args.merge:
                compare_merge(old_tree / "src", Path(tmp), args.files)
                return
            print(f"{'corpus':<10}{'old instr/file':>16}{'new instr/file':>16}{'new/old':>9}")
            for layout in ("template", "shanghai"):
                folder = Path(tmp) / layout
                files = sorted(make_corpus(folder, WARM + args.files, layout=layout))
                old = per_file(old_tree / "src", files, args.files)
                new = per_file(ROOT / "src", files, args.files)
                print(f"{layout:<10}{old:>16,.0f}{new:>16,.0f}{new / old - 1:>+9.1%}")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(old_tree)], check=False)


if __name__ == "__main__":
    main()

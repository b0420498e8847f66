"""Old and new side by side: the same benchmark, run alternately against two commits.

    python benchmarks/versus.py 0cfd656 check.py --n 1000
    python benchmarks/versus.py HEAD~5 merge.py --n 10000 --rounds 1

The old commit is checked out in a temporary git worktree; each round runs the benchmark
script of *this* checkout (one harness for both) once with the old commit's ``src`` first
on the import path and once with this checkout's, alternating which goes first, so that
machine load falls on both alike. Lines of the benchmark's output that carry a figure
are printed side by side (old | new).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# The commit a benchmark compares with when none is named: main before the simplification
# of issue 13 (public APIs only), which the later issues must not slow down by > 20 %.
BASELINE = "1dff2a4"


def run(src: Path, script: str, args: list[str]) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    started = time.perf_counter()
    out = subprocess.run([sys.executable, str(HERE / script), *args], env=env,
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{script} with {src} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    print(f"  ({script} with {src}: {time.perf_counter() - started:.0f} s)", flush=True)
    return out.stdout.splitlines()


def side_by_side(old: str, script: str, args: list[str], rounds: int = 2) -> None:
    """Run ``script`` with ``args`` against commit ``old`` and this checkout, alternately."""
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old_tree),
                        old], check=True)
        try:
            sides = {"old": old_tree / "src", "new": ROOT / "src"}
            for round_no in range(rounds):
                order = ["old", "new"] if round_no % 2 == 0 else ["new", "old"]
                outputs = {side: run(sides[side], script, args) for side in order}
                print(f"\n### {script} round {round_no + 1}: old = {old}, new = this checkout"
                      f" (ran {' then '.join(order)})", flush=True)
                for old_line, new_line in zip(outputs["old"], outputs["new"]):
                    if old_line == new_line:
                        print(old_line)
                    else:
                        print(f"old | {old_line}\nnew | {new_line}")
                sys.stdout.flush()
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)],
                           check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the commit to compare with (e.g. HEAD~3)")
    parser.add_argument("script", help="a benchmark of this folder, e.g. check.py")
    parser.add_argument("--rounds", type=int, default=2)
    args, rest = parser.parse_known_args()
    side_by_side(args.old, args.script, [*rest, "--against", "none"], args.rounds)


if __name__ == "__main__":
    main()

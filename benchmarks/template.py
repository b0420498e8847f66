"""Prefilled workbooks per second for 1,000 projects, and peak memory.

    python benchmarks/template.py [--projects 1000] [--workers N] [--group-by project|unit]

The projects are the real ones of samples/项目清单.csv, repeated under new names until
there are enough. Goal (issue 3): ≥ 100 workbooks/s on 2 cores.
"""

from __future__ import annotations

import argparse
import copy
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from jixiao.profiles import load_profile
from jixiao.projects import read_projects
from jixiao.template import write_prefilled

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--group-by", default="project", choices=["project", "unit"])
    args = parser.parse_args()
    profile = load_profile("shanghai")
    seeds = read_projects(ROOT / "samples" / "项目清单.csv", profile)
    records = []
    for k in range(args.projects):
        record = copy.deepcopy(seeds[k % len(seeds)])
        record.project = f"{record.project}-{k:04d}"
        records.append(record)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        forms = write_prefilled(records, out, profile, group_by=args.group_by,
                                workers=args.workers)
        elapsed = time.perf_counter() - start
        files = len({f.file for f in forms})
        size = sum(p.stat().st_size for p in Path(out).glob("*.xlsx"))
    # ru_maxrss is in KiB on Linux; children are the worker processes
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{len(forms)} prefilled forms in {files} workbooks, {args.workers} worker(s), "
          f"group by {args.group_by}")
    print(f"  {elapsed:.2f} s  ->  {files / elapsed:.0f} workbooks/s, "
          f"{len(forms) / elapsed:.0f} forms/s (goal ≥ 100 workbooks/s on 2 cores)")
    print(f"  output {size / 1e6:.1f} MB; peak memory: main {own:.0f} MB, "
          f"largest worker {worker:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())

"""How fast `jixiao merge` consolidates N filled workbooks, beside two reference readers.

    python benchmarks/merge.py                # N = 2,000
    python benchmarks/merge.py --n 10000      # the deadline-week size
    python benchmarks/merge.py --n 100000 [--format parquet]   # a province (issue 15)
    python benchmarks/merge.py --n 10000 --against none         # this checkout only

By default the run is made twice, side by side (versus.py): with the commit before issue
13 (1dff2a4, ``--against REV`` names another) and with this checkout, so that every
figure below reads old | new.

Above 10,000 the run is a scaling measurement (issue 15): the 10,000-file corpus is
linked (hard links, else copied) N / 10,000 times into one folder; jixiao merge runs on
one copy (10,000 files) and on all of them, each in a fresh process, with every core, and
prints time, files/s, time per form and the peak RSS of the parent and of the largest
worker at both N, and their ratios. With ``--format parquet`` the indicator table is read
back with ``pandas.read_parquet`` and its rows compared with the forms x indicators the
corpus was generated with.

Prints, in one run and on the same files: files/s and peak RSS of jixiao merge with
--jobs 1 and with every core; the same for an openpyxl-only baseline (read_only=True,
every cell of every sheet; run on a sample, it is slow); and raw unzip + ElementTree parse
of the sheet XML as the ceiling. Each measurement runs in a fresh process so its peak RSS is
its own: "parent" is that process (ru_maxrss of RUSAGE_SELF), "worker" the largest of its
children (RUSAGE_CHILDREN), "tree" = parent + jobs x worker, an upper bound of the whole
process tree. For jixiao merge also its phases: until the first file is in (listing,
workers starting), reading, and writing the summary after the last file. The goals of
issue 5 are printed beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from multiprocessing import Pool
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from versus import BASELINE, side_by_side  # noqa: E402

GOAL_VS_OPENPYXL = 10.0
GOAL_VS_RAW = 0.5
GOAL_10K_SECONDS = 20.0
GOAL_RSS_MB = 500.0


# ---------------------------------------------------------------- the readers measured

def _openpyxl_read(path: str) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    cells = 0
    for ws in wb.worksheets:
        ws.reset_dimensions()  # read_only trusts <dimension>; read what is really there
        for row in ws.iter_rows(values_only=True):
            cells += sum(v is not None for v in row)
    wb.close()
    return cells


def _raw_read(path: str) -> int:
    from xml.etree import ElementTree

    with zipfile.ZipFile(path) as zf:
        cells = 0
        for name in zf.namelist():
            if name.startswith("xl/worksheets/sheet") and name.endswith(".xml"):
                root = ElementTree.fromstring(zf.read(name))
                cells += sum(1 for _ in root.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}c"))
        if "xl/sharedStrings.xml" in zf.NameToInfo:
            ElementTree.fromstring(zf.read("xl/sharedStrings.xml"))
    return cells


def _measure(kind: str, folder: str, jobs: int, limit: int | None) -> dict:
    files = sorted(str(p) for p in Path(folder).glob("unit*/*.xlsx"))[:limit]
    start = time.perf_counter()
    phases = {}
    if kind == "merge":
        from jixiao.merge import merge  # the same in old commits (before merge_files)

        answered: list[float] = []

        def progress(done: int, total: int, forms: int, errors: int) -> None:
            if done == 1 or done == total:
                answered.append(time.perf_counter())

        with tempfile.TemporaryDirectory() as out:
            result = merge(files, output=Path(out) / "汇总.xlsx", jobs=jobs, quiet=True,
                                  progress=progress)
            forms = result.forms
            result.close()
        # until the first file is in / until the last one is / writing after the last one
        phases = {"first": answered[0] - start, "reading": answered[-1] - answered[0],
                  "after": time.perf_counter() - answered[-1]}
    else:
        reader = _openpyxl_read if kind == "openpyxl" else _raw_read
        if jobs == 1:
            forms = sum(1 for f in files if reader(f))
        else:
            with Pool(jobs) as pool:
                forms = sum(1 for n in pool.imap_unordered(reader, files, chunksize=8) if n)
    seconds = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"kind": kind, "jobs": jobs, "files": len(files), "forms": forms, "seconds": seconds,
            "phases": phases,
            "parent_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_mb": children.ru_maxrss / 1024,
            # CPU since the interpreter started (imports included) and of the workers: on a
            # shared machine steadier than the wall time
            "parent_cpu_s": time.process_time(),
            "worker_cpu_s": children.ru_utime + children.ru_stime}


def _measure_scale(folder: str, jobs: int, fmt: str, out: str, partition: bool = False) -> dict:
    """jixiao merge of a whole folder (as a user names it: no list of paths is held by
    this process), the output kept in ``out`` for the caller to verify."""
    from jixiao.merge import merge

    answered: list[float] = []

    def progress(done: int, total: int, forms: int, errors: int) -> None:
        if done == 1 or done == total:
            answered.append(time.perf_counter())

    start = time.perf_counter()
    name = "汇总.xlsx" if fmt == "xlsx" else "汇总.parquet"
    # older commits (run side by side) have no partition parameter
    extra = {"partition": True} if partition else {}
    result = merge([folder], output=Path(out) / name, fmt=fmt, jobs=jobs, quiet=True, progress=progress,
                   **extra)
    files, forms, unreadable = result.files, result.forms, result.unreadable_files
    result.close()
    seconds = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"files": files, "forms": forms, "unreadable": unreadable, "seconds": seconds,
            "phases": {"first": answered[0] - start, "reading": answered[-1] - answered[0],
                       "after": time.perf_counter() - answered[-1]},
            "parent_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_mb": children.ru_maxrss / 1024,
            "parent_cpu_s": time.process_time(), "worker_cpu_s": children.ru_utime + children.ru_stime}


def _link_copies(base: list[Path], base_folder: Path, n: int) -> Path:
    """``n`` workbooks as n / 10,000 copies of the base corpus (hard links where the file
    system allows), in copy00/, copy01/ … of one folder; reused when complete."""
    import shutil

    per = len(base)
    copies = -(-n // per)
    root = Path(tempfile.gettempdir()) / f"jixiao-bench-copies-{per}x{copies}"
    for k in range(copies):
        folder = root / f"copy{k:02d}"
        done = root / f"copy{k:02d}.done"
        if done.is_file():
            continue
        shutil.rmtree(folder, ignore_errors=True)
        for f in base:
            target = folder / f.relative_to(base_folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(f, target)
            except OSError:
                shutil.copy2(f, target)
        done.write_text("")
    return root


def _expected_indicator_rows(n: int) -> int:
    """Indicator rows of the base corpus's n forms, as make_corpus generated them."""
    from make_corpus import form_record

    return sum(len(form_record(i)["indicators"]) for i in range(n))


def scale(args: argparse.Namespace) -> None:
    """10,000 files against N (issue 15): memory flat in N, time per form not growing."""
    from make_corpus import make_corpus

    base_n = 10_000
    if args.n % base_n:
        raise SystemExit(f"--n above {base_n:,} must be a multiple of it")
    base_folder = Path(tempfile.gettempdir()) / f"jixiao-bench-corpus-{base_n}"
    t = time.perf_counter()
    base = make_corpus(base_folder, base_n)
    root = _link_copies(base, base_folder, args.n)
    print(f"corpus: {args.n:,} workbooks = {args.n // base_n} copies of {base_folder} in {root} "
          f"(ready in {time.perf_counter() - t:.1f} s); {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    _compile_jixiao()
    rows = []
    for folder in (root / "copy00", root):
        with tempfile.TemporaryDirectory() as out:
            load = os.getloadavg()[0]
            cmd = [sys.executable, __file__, "--_scale", str(folder), "--jobs", str(args.jobs),
                   "--format", args.format, "--out", out, *(["--partition"] if args.partition else [])]
            m = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True)
                           .stdout.strip().splitlines()[-1])
            m["load"] = (load, os.getloadavg()[0])
            if args.format == "parquet":
                import pandas as pd

                copies = m["files"] // base_n
                expected = copies * _expected_indicator_rows(base_n)
                label = pd.read_parquet(Path(out) / "汇总_projects.parquet", columns=["文件"])
                # one column is enough to count rows; the whole table of a million forms
                # would not fit this shared machine's memory
                got = len(pd.read_parquet(Path(out) / "汇总_indicators.parquet", columns=["三级指标"]))
                m["parquet"] = {"projects": len(label), "indicators": got, "expected": expected}
            rows.append(m)
        print(f"  {m['files']:,} files done in {m['seconds']:.1f} s", flush=True)

    print(f"\njixiao merge --format {args.format}{' --partition' if args.partition else ''}, {args.jobs} jobs "
          "(load: 1-minute load average before and after each run)")
    print(f"{'files':>8}{'forms':>9}{'seconds':>9}{'files/s':>9}{'ms/form':>9}{'reading s':>11}"
          f"{'writing s':>11}{'parent MB':>11}{'worker MB':>11}{'CPU ms/form':>13}{'load':>11}")
    for m in rows:
        cpu = (m["parent_cpu_s"] + m["worker_cpu_s"]) * 1000 / m["forms"]
        print(f"{m['files']:>8,}{m['forms']:>9,}{m['seconds']:>9.1f}{m['files'] / m['seconds']:>9.0f}"
              f"{m['seconds'] * 1000 / m['forms']:>9.3f}{m['phases']['reading']:>11.1f}"
              f"{m['phases']['after']:>11.1f}{m['parent_mb']:>11.0f}{m['worker_mb']:>11.0f}{cpu:>13.3f}"
              f"{m['load'][0]:>6.1f}-{m['load'][1]:.1f}")
    small, big = rows

    def cpu_per_form(m: dict) -> float:
        return (m["parent_cpu_s"] + m["worker_cpu_s"]) / m["forms"]

    per_form = (big["seconds"] / big["forms"]) / (small["seconds"] / small["forms"])
    cpu = cpu_per_form(big) / cpu_per_form(small)
    parent = big["parent_mb"] / small["parent_mb"]
    worker = big["worker_mb"] / small["worker_mb"]
    print(f"\nratios {big['files']:,} / {small['files']:,} files: parent peak {parent:.2f} "
          f"({'within' if parent <= 1.2 else 'NOT within'} 20 %), worker peak {worker:.2f}; time per form: "
          f"CPU (parent + workers) {cpu:.2f} ({'not growing' if cpu <= 1.1 else 'GROWING'}), "
          f"wall {per_form:.2f}")
    print("  (wall time on a shared machine follows the other users' load, which moves it by "
          "+-25 % between two runs; the CPU per form is the work done)")
    for m in rows:
        if "parquet" in m:
            q = m["parquet"]
            ok = q["indicators"] == q["expected"] and q["projects"] == m["forms"]
            print(f"  parquet at {m['files']:,} files: pandas.read_parquet gives {q['projects']:,} projects "
                  f"(forms merged {m['forms']:,}) and {q['indicators']:,} indicator rows "
                  f"(forms x indicators generated: {q['expected']:,}): {'same' if ok else 'DIFFERENT'}")


def _compile_jixiao() -> None:
    """Compile jixiao's bytecode, as pip does when it installs a package.

    Each measurement is a fresh interpreter. From an editable install on a machine with
    PYTHONDONTWRITEBYTECODE set (this build machine sets it) every one of them would
    compile jixiao's ~60 modules again (~60 ms), a cost the baselines' libraries, installed
    and compiled, do not pay.
    """
    import compileall

    import jixiao

    compileall.compile_dir(str(Path(jixiao.__file__).parent), quiet=1)


def measure(kind: str, folder: Path, jobs: int, limit: int | None = None) -> dict:
    """Run one measurement in a fresh interpreter (its own peak RSS)."""
    cmd = [sys.executable, __file__, "--_measure", kind, "--folder", str(folder), "--jobs", str(jobs)]
    if limit:
        cmd += ["--limit", str(limit)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# ---------------------------------------------------------------- report

def _rate(m: dict) -> float:
    return m["files"] / m["seconds"] if m["seconds"] else float("inf")


def _cpu_ms(m: dict, which: str) -> float:
    return m[which] * 1000 / m["files"]


def _tree_mb(m: dict) -> float:
    workers = m["jobs"] if m["kind"] == "merge" or m["jobs"] > 1 else 0
    return m["parent_mb"] + workers * m["worker_mb"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="workbooks to generate (default 2,000)")
    ap.add_argument("--folder", default=None, help="corpus folder (default: a cached one in /tmp)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="'all cores' (default: every core)")
    ap.add_argument("--openpyxl-sample", type=int, default=300,
                    help="files the openpyxl baseline reads (it is ~25x slower)")
    ap.add_argument("--format", choices=("xlsx", "parquet"), default="xlsx",
                    help="summary format of the scaling run (--n above 10,000)")
    ap.add_argument("--partition", action="store_true",
                    help="with --format parquet: datasets partitioned by 年度 and 主管部门")
    ap.add_argument("--against", default=BASELINE,
                    help=f"commit run side by side with this checkout, in a git worktree "
                         f"(default {BASELINE}: before issue 13); 'none': this checkout only")
    ap.add_argument("--rounds", type=int, default=1, help="alternating rounds old/new")
    ap.add_argument("--_measure", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--_scale", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args._measure:
        print(json.dumps(_measure(args._measure, args.folder, args.jobs, args.limit)))
        return
    if args._scale:
        print(json.dumps(_measure_scale(args._scale, args.jobs, args.format, args.out, args.partition)))
        return
    if args.against != "none":
        same = ["--n", str(args.n), "--jobs", str(args.jobs), "--openpyxl-sample", str(args.openpyxl_sample),
                "--format", args.format, *(["--partition"] if args.partition else []),
                *(["--folder", args.folder] if args.folder else []), "--against", "none"]
        side_by_side(args.against, "merge.py", same, args.rounds)
        return
    if args.n > 10_000:
        scale(args)
        return

    from make_corpus import make_corpus

    folder = Path(args.folder or Path(tempfile.gettempdir()) / f"jixiao-bench-corpus-{args.n}")
    t = time.perf_counter()
    files = make_corpus(folder, args.n)
    print(f"corpus: {len(files)} workbooks in {folder} (ready in {time.perf_counter() - t:.1f} s); "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", flush=True)

    _compile_jixiao()
    all_jobs = args.jobs
    sample = min(args.openpyxl_sample, len(files))
    runs = [
        ("jixiao merge", measure("merge", folder, 1)),
        ("jixiao merge", measure("merge", folder, all_jobs)),
        ("openpyxl read-only", measure("openpyxl", folder, 1, sample)),
        ("openpyxl read-only", measure("openpyxl", folder, all_jobs, sample)),
        ("unzip + ElementTree", measure("raw", folder, 1)),
        ("unzip + ElementTree", measure("raw", folder, all_jobs)),
    ]
    small = measure("merge", folder, all_jobs, max(1, len(files) // 5))

    print(f"\n{'reader':<22}{'jobs':>5}{'files':>8}{'seconds':>9}{'files/s':>9}"
          f"{'parent MB':>11}{'worker MB':>11}{'tree MB':>9}{'CPU ms/file':>13}")
    for name, m in runs:
        print(f"{name:<22}{m['jobs']:>5}{m['files']:>8}{m['seconds']:>9.2f}{_rate(m):>9.0f}"
              f"{m['parent_mb']:>11.0f}{m['worker_mb']:>11.0f}{_tree_mb(m):>9.0f}"
              f"{_cpu_ms(m, 'parent_cpu_s') + _cpu_ms(m, 'worker_cpu_s'):>13.2f}")

    for name, m in runs[:2]:
        p = m["phases"]
        print(f"  {name} with {m['jobs']} job(s): {p['first']:.2f} s to the first file in, "
              f"{p['reading']:.2f} s reading, {p['after']:.2f} s writing after the last file; "
              f"CPU per file {_cpu_ms(m, 'parent_cpu_s'):.3f} ms parent (imports included), "
              f"{_cpu_ms(m, 'worker_cpu_s'):.3f} ms workers")

    merge_all, openpyxl_all, raw_all = runs[1][1], runs[3][1], runs[5][1]
    vs_openpyxl = _rate(merge_all) / _rate(openpyxl_all)
    vs_raw = _rate(merge_all) / _rate(raw_all)
    t10k = 10_000 / _rate(merge_all)
    measured_10k = "measured" if merge_all["files"] >= 10_000 else f"extrapolated from {merge_all['files']}"

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(f"\ngoals (issue 5), jixiao merge with {all_jobs} jobs:")
    print(f"  vs openpyxl read-only  {vs_openpyxl:6.1f}x   goal >= {GOAL_VS_OPENPYXL:.0f}x   "
          f"{verdict(vs_openpyxl >= GOAL_VS_OPENPYXL)}")
    print(f"  vs unzip+ElementTree   {vs_raw:6.0%}    goal >= {GOAL_VS_RAW:.0%}    "
          f"{verdict(vs_raw >= GOAL_VS_RAW)}")
    print(f"  10,000 workbooks       {t10k:6.1f} s  goal < {GOAL_10K_SECONDS:.0f} s    "
          f"{verdict(t10k < GOAL_10K_SECONDS)} ({measured_10k})")
    peak = max(_tree_mb(m) for _, m in runs[:2])
    print(f"  peak RSS (tree)        {peak:6.0f} MB goal < {GOAL_RSS_MB:.0f} MB  {verdict(peak < GOAL_RSS_MB)}")
    print(f"  RSS vs N: {small['files']} files -> parent {small['parent_mb']:.0f} MB, worker "
          f"{small['worker_mb']:.0f} MB; {merge_all['files']} files -> parent "
          f"{merge_all['parent_mb']:.0f} MB, worker {merge_all['worker_mb']:.0f} MB")


if __name__ == "__main__":
    main()

"""Generate N filled self-evaluation workbooks for benchmarks.

    python benchmarks/make_corpus.py /tmp/corpus --n 2000 [--layout mix] [--jobs 2]

Layouts: ``template`` — the workbook ``jixiao template`` distributes, filled in as a unit
returns it (styles, validations, protection, formulas with their values: what a bureau
using jixiao mostly receives); ``shanghai`` — a plain Shanghai 9-column form written by
another program (read by its labels); ``mix`` (default) — three of every four files
``template``, the fourth ``shanghai``.

Forms differ in unit, project, amounts and number of indicators (5–20); about 1 % are
resubmissions with other figures (M01) and a few spend over budget (F01), as a real
deadline week brings. Files are written in parallel; a folder that already holds the same
N files (same generator version) is reused.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import seed_workbooks  # noqa: E402
import xlsxwriter  # noqa: E402
from merge_fixtures import good_record, write_form  # noqa: E402


class _InMemoryWorkbook(xlsxwriter.Workbook):
    """xlsxwriter without its per-part temporary files: 3-4x faster for small workbooks."""

    def __init__(self, filename, options=None):
        super().__init__(filename, {**(options or {}), "in_memory": True})


seed_workbooks.xlsxwriter = type("xlsxwriter", (), {"Workbook": _InMemoryWorkbook})

VERSION = 2
LAYOUTS = ("template", "shanghai", "mix")
LEVELS = (("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"),
          ("效益指标", "社会效益指标"), ("满意度指标", "服务对象满意度指标"))


def form_record(i: int) -> dict:
    rng = random.Random(i)
    unit = f"上海市第{i % 300 + 1}中心"
    project = f"项目{i // 100:04d}-{i % 100:02d} 公共服务能力提升"
    if rng.random() < 0.01 and i > 0:  # a resubmission of the previous form, other figures
        unit, project = f"上海市第{(i - 1) % 300 + 1}中心", f"项目{(i - 1) // 100:04d}-{(i - 1) % 100:02d} 公共服务能力提升"
    n = rng.choice((5, 10, 15, 20))
    weight = round(90 / n, 2)
    weights = [weight] * (n - 1) + [round(90 - weight * (n - 1), 2)]
    indicators = []
    for k in range(n):
        level1, level2 = LEVELS[k % len(LEVELS)]
        target = rng.choice((95, 90, 100, 1000))
        actual = target + rng.choice((0, 1, 2, 5))
        indicators.append((level1, level2, f"指标{k + 1:02d}", f"≥{target}(%)", f"{actual}%", weights[k]))
    budget = round(rng.uniform(10, 5000), 2)
    executed = round(budget * rng.uniform(0.5, 1.0 if rng.random() > 0.02 else 1.1), 2)
    return good_record(unit, project, year=2024, budget=budget, executed=executed,
                       department=f"上海市第{i % 20 + 1}局", indicators=tuple(indicators))


def write_template_form(path: Path, record: dict) -> None:
    """The form as a unit returns our template: prefilled, then filled in."""
    from jixiao.model import FormRecord
    from jixiao.profiles import load_profile
    from jixiao.template.batch import prefilled_spec
    from jixiao.template.writer import write_forms

    path.parent.mkdir(parents=True, exist_ok=True)
    write_forms(path, [prefilled_spec(FormRecord.from_dict(record), "自评表")],
                load_profile("shanghai"))


def _write(args: tuple[str, int, int, str]) -> None:
    folder, start, stop, layout = args
    for i in range(start, stop):
        path = Path(folder) / f"unit{i % 300:03d}" / f"自评表_{i:05d}.xlsx"
        if layout == "template" or (layout == "mix" and i % 4):
            write_template_form(path, form_record(i))
        else:
            write_form(path, form_record(i))


def make_corpus(folder: str | Path, n: int, jobs: int | None = None,
                layout: str = "mix") -> list[Path]:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    folder = Path(folder)
    stamp = folder / "corpus.json"
    files = sorted(folder.glob("unit*/*.xlsx"))
    wanted = {"n": n, "version": VERSION, "layout": layout}
    if stamp.is_file() and json.loads(stamp.read_text()) == wanted and len(files) == n:
        return files
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        f.unlink()
    jobs = jobs or os.cpu_count() or 1
    step = max(1, n // (jobs * 8))
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(_write, [(str(folder), s, min(s + step, n), layout)
                               for s in range(0, n, step)]))
    stamp.write_text(json.dumps(wanted))
    return sorted(folder.glob("unit*/*.xlsx"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--layout", choices=LAYOUTS, default="mix")
    args = ap.parse_args()
    t = time.perf_counter()
    files = make_corpus(args.folder, args.n, args.jobs, args.layout)
    print(f"{len(files)} workbooks in {args.folder} ({time.perf_counter() - t:.1f} s)")


if __name__ == "__main__":
    main()

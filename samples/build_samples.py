"""Rebuild everything under samples/ (and docs/template.png) from samples/项目清单.csv.

    python samples/build_samples.py [--png]

- 项目清单.xlsx: the same projects list as the CSV, project columns given once per project;
- blank/自评表-<profile>.xlsx: a blank form per shipped profile;
- prefilled/: one prefilled workbook per project + manifest.csv (``jixiao template``);
- returned/: a few of those forms filled in as units returned them, with the published
  figures of the real forms (source/returned.json), three of them with real mistakes:
  spending 153,200 元 of a 19,200 元 budget (F01), a locked target lowered from ≥60% to
  ≥30% (R06), the 资金得分 formula typed over with 10 (R05, F03);
- with --png, docs/template.png: the blank form printed by LibreOffice, and
  docs/summary.png, docs/summary-stats.png: the top of the 项目汇总 and 统计 pages of
  ``jixiao merge samples/returned/`` printed by LibreOffice (needs soffice and poppler-utils).

The projects in the list are the real ones of two published sets of Shanghai forms
(2022, 闵行区行政服务中心, in 元; 2024, 上海市人民政府办公厅, in 万元): names, units,
budgets, indicators, targets and weights as published.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import xlsxwriter

from jixiao import fingerprint as fp
from jixiao.profiles import available_profiles, load_profile
from jixiao.projects import read_projects
from jixiao.template import write_template
from jixiao.manifest import read_manifest
from jixiao.template.batch import BLANK_SHEET, form_id_of
from jixiao.template.writer import CREATED, FormSpec, write_forms

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROFILE = "shanghai"
GOAL_EXPECTED = "按年度计划完成项目各项工作，资金使用规范，绩效目标如期实现。"
GOAL_ACTUAL = "项目按计划实施，主要绩效目标基本完成；个别指标未达预期的原因及改进措施见下表。"


def build_projects_xlsx() -> Path:
    rows = list(csv.reader((HERE / "项目清单.csv").open(encoding="utf-8-sig")))
    header, body = rows[0], rows[1:]
    target = HERE / "项目清单.xlsx"
    workbook = xlsxwriter.Workbook(str(target), {"strings_to_numbers": False,
                                                 "strings_to_formulas": False})
    workbook.set_properties({"created": CREATED})
    ws = workbook.add_worksheet("项目清单")
    bold = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    for c, text in enumerate(header):
        ws.write_string(0, c, text, bold)
    number_columns = {header.index(h) for h in ("年度", "年初预算数", "全年预算数", "分值")}
    project_columns = range(header.index("全年预算数") + 1)
    previous = None
    for r, line in enumerate(body, start=1):
        key = tuple(line[:4])
        for c, value in enumerate(line):
            if c in project_columns and key == previous:
                continue  # given once per project, as a merged cell would show it
            if value and c in number_columns:
                ws.write_number(r, c, float(value))
            elif value:
                ws.write_string(r, c, value)
        previous = key
    for c, width in enumerate((6, 28, 24, 40, 8, 12, 12, 11, 18, 30, 22, 6)):
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)
    workbook.close()
    return target


def build_blanks() -> None:
    for name in available_profiles():
        write_template(HERE / "blank" / f"自评表-{name}.xlsx", profile=name)


def build_prefilled() -> None:
    out = HERE / "prefilled"
    shutil.rmtree(out, ignore_errors=True)
    write_template(out, projects=HERE / "项目清单.xlsx", profile=PROFILE, workers=1)


def _fill(record, data: dict) -> None:
    record.goal_expected, record.goal_actual = GOAL_EXPECTED, GOAL_ACTUAL
    record.funds.current_year.executed = data["executed"]
    record.funds.carryover.executed = 0.0
    record.funds.other.executed = 0.0
    for indicator, filled in zip(record.indicators, data["indicators"]):
        assert indicator.name == filled["name"], (indicator.name, filled["name"])
        indicator.actual = filled["actual"] or None
        indicator.score = filled["score"]
        indicator.deviation = filled["deviation"] or None


def build_returned() -> None:
    profile = load_profile(PROFILE)
    records = {r.project: r for r in read_projects(HERE / "项目清单.xlsx", profile)}
    files = {f.form_id: f.file for f in read_manifest(HERE / "prefilled" / "manifest.csv")}
    out = HERE / "returned"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    for data in json.loads((HERE / "source" / "returned.json").read_text(encoding="utf-8")):
        record = records[data["project"]]
        locked = fp.locked_values(record)
        form_id = form_id_of(record)
        _fill(record, data)
        if record.project == "市政府法律事务工作经费":
            record.indicators[2].target = "≥30%"  # lowered after distribution (R06)
        path = out / files[form_id]
        write_forms(path, [FormSpec(record=record, sheet=BLANK_SHEET, form_id=form_id,
                                    locked=locked, rows=len(record.indicators))], profile)
        if record.project == "市城运中心工作经费":
            _type_over_formula(path, "H6", 10)


def _type_over_formula(path: Path, ref: str, value: float) -> None:
    """Replace a formula by a typed constant, as a unit typing over the cell would."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'(<c r="' + ref.encode() + rb'"[^>]*>)<f>.*?</f><v>.*?</v>',
                              rb"\g<1><v>" + str(value).encode() + rb"</v>", data, count=1)
            dst.writestr(item, data)
    tmp.replace(path)


def build_png() -> None:
    from jixiao.template.soffice import convert

    with tempfile.TemporaryDirectory() as tmp:
        blank = Path(tmp) / "template.xlsx"
        # 10 indicator rows keep the whole form, totals and stamp line on one printed page
        write_template(blank, profile=PROFILE, year=2024, rows=10)
        [pdf] = convert([blank], Path(tmp), "pdf")
        subprocess.run(["pdftoppm", "-png", "-r", "110", "-singlefile", str(pdf),
                        str(ROOT / "docs" / "template")], check=True)
        build_summary_png(Path(tmp))


def build_summary_png(tmp: Path) -> None:
    from jixiao.merge import merge
    from jixiao.template.soffice import convert

    summary = tmp / "汇总.xlsx"
    merge([HERE / "returned"], output=summary, quiet=True, jobs=1).close()
    [pdf] = convert([summary], tmp, "pdf")
    first_of = {}
    for page in range(1, 40):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                              capture_output=True, text=True)
        if text.returncode != 0:
            break
        first_of.setdefault(text.stdout.split()[0] if text.stdout.split() else "", page)
    # the top of a landscape A4 page at 110 dpi is 1286 px wide
    for name, sheet, height in (("summary", "项目汇总", 190), ("summary-stats", "统计", 420)):
        page = str(first_of[sheet])
        subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", page, "-l", page, "-singlefile",
                        "-x", "0", "-y", "20", "-W", "1286", "-H", str(height), str(pdf),
                        str(ROOT / "docs" / name)], check=True)


def main(argv: list[str]) -> None:
    build_projects_xlsx()
    build_blanks()
    build_prefilled()
    build_returned()
    if "--png" in argv:
        build_png()


if __name__ == "__main__":
    main(sys.argv[1:])

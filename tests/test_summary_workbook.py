"""The summary workbook as a finance officer uses it: sum a column, trust a grade, print it."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from jixiao.cli import cli
from merge_fixtures import good_record, write_form

# (unit, project, money unit, 年初预算数, 全年预算数, 全年执行数) as filed
FORMS = [
    ("甲单位", "培训项目", "万元", 206.51, 206.51, 200.0),
    ("乙单位", "维修项目", "元", 360000.0, 360000.0, 342000.0),
    ("丙单位", "信息化项目", "万元", 100.0, 120.0, 95.5),
    ("丁单位", "宣传项目", "元", 12345.67, 12345.67, 12000.0),
]
# the same figures in 万元, converted by hand
BUDGET_WAN = 206.51 + 36.0 + 120.0 + 1.234567
EXECUTED_WAN = 200.0 + 34.2 + 95.5 + 1.2


def _form(unit, project, money_unit, initial, budget, executed):
    record = good_record(unit, project, budget=budget, executed=executed)
    record["money_unit"] = money_unit
    record["funds"]["total"]["initial"] = initial
    record["funds"]["current_year"]["initial"] = initial
    return record


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    folder = tmp_path_factory.mktemp("summary")
    for unit, project, *figures in FORMS:
        write_form(folder / "in" / unit / "自评表.xlsx", _form(unit, project, *figures))
    unreadable = _form("戊单位", "绿化项目", "万元", 50.0, 50.0, 40.0)
    unreadable["funds"]["total"]["executed"] = "四十"  # R04: a number typed as words
    write_form(folder / "in" / "戊单位" / "自评表.xlsx", unreadable)
    out = folder / "汇总.xlsx"
    result = CliRunner().invoke(cli, ["merge", str(folder / "in"), "-q", "-o", str(out)])
    assert result.exit_code == 1, result.output  # R04 is an error
    return {"folder": folder, "out": out,
            "sheets": pd.read_excel(out, sheet_name=None, engine="calamine")}


def test_amounts_in_wan_yuan_sum_to_the_totals_converted_by_hand(summary):
    projects = summary["sheets"]["项目汇总"]
    filed = projects[projects["实施单位"] != "戊单位"]
    assert filed["全年预算数（万元）"].sum() == pytest.approx(BUDGET_WAN, abs=1e-6)
    assert filed["全年执行数（万元）"].sum() == pytest.approx(EXECUTED_WAN, abs=1e-6)
    # the figures as filed are kept beside, in the form's own unit
    yi = projects[projects["实施单位"] == "乙单位"].iloc[0]
    assert yi["全年预算数"] == 360000.0 and yi["金额单位"] == "元"
    assert yi["全年预算数（万元）"] == 36.0


def test_a_form_with_unreadable_numbers_is_not_graded(summary):
    projects = summary["sheets"]["项目汇总"]
    wu = projects[projects["实施单位"] == "戊单位"].iloc[0]
    assert wu["等级（复核）"] == "无法评定"
    assert set(projects[projects["实施单位"] != "戊单位"]["等级（复核）"]) == {"优"}
    stats = summary["sheets"]["统计"].astype(str)
    grade_rows = stats[stats.iloc[:, 0] == "无法评定"]
    assert grade_rows.iloc[0, 1] == "1"
    table = CliRunner().invoke(cli, ["check", str(summary["folder"] / "in" / "戊单位")])
    assert "（无法评定）" in table.output and "（优）" not in table.output


def _header_width(text: str) -> float:
    return max(sum(2 if ord(c) > 0x2E7F else 1 for c in part)
               for part in text.replace("（", "\n（").split("\n"))


def test_every_sheet_is_set_up_for_printing(summary):
    wb = openpyxl.load_workbook(summary["out"])
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert str(setup.paperSize) == "9", ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert setup.fitToWidth in (1, None) and setup.fitToHeight == 0, ws.title
        if ws.title == "统计":
            continue
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.freeze_panes == "A2", ws.title
        for cell in ws[1]:
            if cell.value:
                width = ws.column_dimensions[cell.column_letter].width
                assert width >= _header_width(cell.value), (ws.title, cell.value, width)
    projects = wb["项目汇总"]
    # the print area ends at 重复提交 (openpyxl does not parse it back: read the XML)
    with zipfile.ZipFile(summary["out"]) as package:
        names = package.read("xl/workbook.xml").decode("utf-8")
    assert re.search(r'name="_xlnm.Print_Area" localSheetId="0">[^<]*!\$A:\$O<', names)
    assert [c.value for c in projects[1]][14] == "重复提交"
    # each 统计 block after the first starts a page
    assert len(wb["统计"].row_breaks.brk) == 3


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice or pdftotext (poppler-utils) is not installed")
def test_libreoffice_prints_the_summary_on_landscape_pages(summary, tmp_path):
    from jixiao.template.soffice import convert

    [pdf] = convert([summary["out"]], tmp_path, "pdf")
    pages = []
    for number in range(1, 40):
        text = subprocess.run(["pdftotext", "-layout", "-f", str(number), "-l", str(number),
                               str(pdf), "-"], capture_output=True, text=True)
        if text.returncode != 0:
            break
        pages.append(text.stdout)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    width, height = [float(x) for x in info.split("Page size:")[1].split("pts")[0].split(" x ")]
    assert width > height  # landscape
    first = pages[0]
    assert "项目汇总" in first and "甲单位" in first and "戊单位" in first
    for header in ("年度", "主管部门", "实施单位", "项目名称", "执行率%", "总分", "等级", "错误数",
                   "重复提交"):
        assert header in first, header
    assert sum("项目汇总" in page for page in pages) == 1  # five forms: one page
    blocks = ["评分等级分布", "预算执行率分布", "问题按代码统计", "问题按实施单位统计"]
    for page in pages:
        assert sum(block in page for block in blocks) <= 1
    assert all(any(block in page for page in pages) for block in blocks)

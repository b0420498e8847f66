"""Distribute, fill, check: our own prefilled templates, filled as a unit would.

A consistent fill gives no error and no warning; each planted mistake is reported under its
code at the cell where it was planted. Filling is done with openpyxl on the shipped
prefilled samples (protection kept), the way a unit's spreadsheet program writes inputs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from jixiao.checking import check_file
from jixiao.checks import all_checks
from jixiao.manifest import read_manifest
from portal_process import meeting_actual

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "prefilled"
MANIFEST = read_manifest(SAMPLES / "manifest.csv")
# a 2024 form in 万元 with quantitative and text targets (seed 004)
PROJECT = "市政府法律事务工作经费"
FIRST_INDICATOR_ROW = 13


def _sample(project: str) -> Path:
    return SAMPLES / next(row.file for row in MANIFEST if row.project == project)


def fill_consistently(path: Path) -> int:
    """Fill every input cell of the form consistently; return its number of indicators."""
    wb = openpyxl.load_workbook(path)
    ws = wb["自评表"]
    budget = ws["D7"].value
    ws["E7"] = round(budget * 0.95, 2)  # 95 % spent
    ws["E8"], ws["E9"] = 0, 0
    ws["B11"] = "年初确定的绩效目标"
    ws["F11"] = "目标按计划完成"
    row = FIRST_INDICATOR_ROW
    while ws.cell(row, 5).value:  # 年度指标值 (prefilled)
        ws.cell(row, 6).value = meeting_actual(ws.cell(row, 5).value)
        ws.cell(row, 8).value = ws.cell(row, 7).value  # full score
        row += 1
    wb.save(path)
    return row - FIRST_INDICATOR_ROW


@pytest.fixture()
def returned(tmp_path) -> Path:
    path = tmp_path / "returned.xlsx"
    shutil.copyfile(_sample(PROJECT), path)
    fill_consistently(path)
    return path


def _errors_and_warnings(path: Path) -> list[tuple[str, str]]:
    result = check_file(path)
    assert result.status == "ok", result.file_findings
    [form] = result.forms
    return sorted((f.code, f.cell) for f in form.findings if f.severity != "info")


@pytest.mark.parametrize("project", sorted({row.project for row in MANIFEST}))
def test_every_prefilled_sample_filled_consistently_has_no_error_or_warning(tmp_path, project):
    path = tmp_path / "returned.xlsx"
    shutil.copyfile(_sample(project), path)
    fill_consistently(path)
    assert _errors_and_warnings(path) == []


def _plant(path: Path, **cells) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["自评表"]
    for ref, value in cells.items():
        ws[ref] = value
    wb.save(path)


# Every check's bad example as data (its Example in the registry): adding a check with one
# adds its test here. Checks of a form's reading that cannot be typed into our template
# (another layout's quirks, a hidden sheet, a manifest) are tested beside their code.
EXAMPLES = {chk.code: chk.example for chk in all_checks() if chk.example is not None}
WITHOUT_EXAMPLE = {"R07", "R08", "R10", "F05", "F07", "F08", "F09", "I07", "I08", "I09",
                   "I11", "I12", "I13", "I15", "T01", "T04"}


def test_every_form_check_has_an_example_or_is_named_as_without_one():
    form_checks = {chk.code for chk in all_checks() if chk.scope == "form"}
    assert form_checks - set(EXAMPLES) == WITHOUT_EXAMPLE


def test_plants_fit_the_sample_form():
    # The examples are written for this form's rows: 2 targets of ≥ N 次 first, the
    # 3rd target ≥60%, 7 indicators with the totals at rows 13+7 and 14+7.
    ws = openpyxl.load_workbook(_sample(PROJECT))["自评表"]
    assert ws["E13"].value.startswith("≥") and "次" in ws["E13"].value
    assert ws["E15"].value == "≥60%"
    assert ws["A20"].value == "总分" and ws["A21"].value == "评分等级"


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_each_checks_bad_example_is_reported_at_its_cell(returned, code):
    example = EXAMPLES[code]
    _plant(returned, **example.typed)
    assert set(_errors_and_warnings(returned)) == set(example.findings)


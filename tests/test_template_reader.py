"""Reading our own template back through its defined names and metadata sheet."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from jixiao.fingerprint import changed_fields, verify
from jixiao.io.readers import read_grids
from jixiao.io.safety import gate
from jixiao.io.template_reader import read_template_forms
from jixiao.profiles import load_profile
from jixiao.projects import read_projects
from jixiao.scoring import recompute
from jixiao.template import write_template
from jixiao.template.batch import prefilled_spec
from jixiao.template.writer import write_forms

DATA = Path(__file__).parent / "data" / "template"
SHANGHAI = load_profile("shanghai")


def _read(path: Path):
    gated = gate(path)
    return read_template_forms(str(path), read_grids(path, gated=gated), gated.package)


def _returned(tmp_path: Path, name: str = "returned.xlsx"):
    """The 2024 project filled in as published (seed 004), via the writer."""
    record = read_projects(DATA / "项目清单.csv", SHANGHAI)[0]
    spec = prefilled_spec(record, "自评表")
    record.funds.current_year.executed = 492.92
    filled = [("235次", 20), ("99.49%", 10), ("60%", 10), ("100%", 15), ("100%", 15),
              ("2.5%", 0), ("100%", 15)]
    for indicator, (actual, score) in zip(record.indicators, filled):
        indicator.actual, indicator.score = actual, float(score)
    record.indicators[5].deviation = "外埠出差增多。"
    path = tmp_path / name
    write_forms(path, [spec], SHANGHAI)
    return path, spec


def test_returned_form_is_read_field_by_field(tmp_path):
    path, spec = _returned(tmp_path)
    [record] = _read(path)
    assert (record.sheet, record.year, record.money_unit) == ("自评表", 2024, "万元")
    assert record.project == "市政府办公厅专项工作业务经费" and record.cells["project"] == "B3"
    assert record.unit == "上海市人民政府办公厅" and record.cells["unit"] == "G4"
    total = record.funds.total
    assert (total.initial, total.budget, total.executed) == (409.9, 495.4, 492.92)
    assert (total.weight, total.rate_pct, total.score) == (10, 99.5, 9.95)
    assert total.cells["rate_pct"] == "G6"
    assert record.funds.current_year.cells["executed"] == "E7"
    assert len(record.indicators) == 7
    sixth = record.indicators[5]
    assert (sixth.name, sixth.target, sixth.actual, sixth.weight, sixth.score, sixth.deviation) == (
        "行政运行成本增长率", "=0%", "2.5%", 5, 0, "外埠出差增多。")
    assert sixth.cells["score"] == "H18" and sixth.row == 18
    assert (record.total_weight, record.total_score, record.grade) == (100, 94.95, "优")
    assert recompute(record, SHANGHAI).total_score == 94.95
    info = record.template
    assert (info.version, info.profile, info.form_id) == ("1", "shanghai", spec.form_id)
    assert info.overwritten_formulas == []
    assert verify(info.locked_values, info.fingerprint_kind, info.fingerprint) is True
    assert changed_fields(record, info.locked_values) == []


def test_a_workbook_that_is_not_ours_gives_none(tmp_path):
    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "项目名称"
    wb.save(path)
    assert _read(path) is None


def test_formula_typed_over_and_locked_value_changed(tmp_path):
    """Filled in with openpyxl as a unit would in Excel: no cached values, two mistakes."""
    path, _ = _returned(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["自评表"]
    ws["H6"] = 10                # typed over the 资金得分 formula
    ws["G20"] = 100              # and over the total weight
    ws["E15"] = "≥30%"           # a locked target lowered
    wb.save(path)
    [record] = _read(path)
    assert record.template.overwritten_formulas == [("年度资金总额得分", "H6"), ("总分(分值)", "G20")]
    assert record.funds.total.score == 10
    assert changed_fields(record, record.template.locked_values) == [
        ("第3项指标年度指标值", "E15", "≥50%", "≥30%")]


def test_rows_inserted_above_are_followed_through_the_names(tmp_path):
    path, _ = _returned(tmp_path)
    # what Excel does on inserting two rows at the top: cells and names move down by 2
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}

    def shift(m: re.Match) -> bytes:
        return m.group(1) + str(int(m.group(2)) + 2).encode()

    sheet = parts["xl/worksheets/sheet1.xml"]
    sheet = re.sub(rb'(<row r=")(\d+)', shift, sheet)
    sheet = re.sub(rb'(<c r="[A-Z]+)(\d+)', shift, sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet
    book = parts["xl/workbook.xml"]
    book = re.sub(rb"(&apos;?\xe8\x87\xaa\xe8\xaf\x84\xe8\xa1\xa8&apos;?!\$[A-Z]+\$)(\d+)", shift, book)
    book = re.sub(rb"(\xe8\x87\xaa\xe8\xaf\x84\xe8\xa1\xa8!\$[A-Z]+\$)(\d+)", shift, book)
    book = re.sub(rb"(:\$[A-Z]+\$)(\d+)(?=</definedName>)", shift, book)
    parts["xl/workbook.xml"] = book
    moved = tmp_path / "moved.xlsx"
    with zipfile.ZipFile(moved, "w") as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    [record] = _read(moved)
    assert record.cells["project"] == "B5"
    assert record.project == "市政府办公厅专项工作业务经费"
    assert record.funds.total.cells["budget"] == "D8" and record.funds.total.budget == 495.4
    assert record.indicators[0].cells["name"] == "D15" and len(record.indicators) == 7
    assert record.grade == "优" and record.cells["grade"] == "H23"


def test_one_sheet_per_project_each_with_its_metadata(tmp_path):
    lines = (DATA / "项目清单.csv").read_text(encoding="utf-8-sig").splitlines()
    second = [line.replace("配套系统(2022运维)", "配套系统(2023运维)") for line in lines
              if "配套系统" in line]
    source = tmp_path / "list.csv"
    source.write_text("\n".join(lines + second) + "\n", encoding="utf-8")
    write_template(tmp_path / "out", projects=source, group_by="unit", workers=1)
    records = _read(tmp_path / "out" / "上海市闵行区行政服务中心.xlsx")
    assert [r.sheet for r in records] == ["上海市闵行区“一网通办”配套系统(2022运维)",
                                         "上海市闵行区“一网通办”配套系统(2023运维)"]
    assert [r.project for r in records] == [r.sheet for r in records]
    assert records[0].template.form_id != records[1].template.form_id
    for record in records:
        assert record.template.locked_values["project"] == record.project
        assert changed_fields(record, record.template.locked_values) == []


@pytest.mark.parametrize("profile", ["mof-2020", "mof-2021"])
def test_blank_forms_of_other_profiles_are_read_empty(tmp_path, profile):
    write_template(tmp_path / "b.xlsx", profile=profile, rows=4)
    [record] = _read(tmp_path / "b.xlsx")
    assert record.indicators == [] and record.project is None
    assert record.template.profile == profile and record.year is None
    assert record.total_weight == 10 and record.grade is None

"""Reading checks R01–R07: whole-file findings through check_file, the rest on records."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
from test_checks_support import build_form, cells, run, seed_data, seed_form

from jixiao import fingerprint
from jixiao.checking import check_file
from jixiao.model import TemplateInfo

SEEDS = Path(__file__).parent / "data" / "seeds"


# --- R01 / R02: emitted by check_file for a whole file ---------------------------------

def test_r01_a_pdf_named_xlsx(tmp_path):
    path = tmp_path / "自评表.xlsx"
    path.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n")
    result = check_file(path, "shanghai")
    assert [f.code for f in result.file_findings] == ["R01"]
    assert result.file_findings[0].severity == "error"
    assert result.forms == []


def test_r02_a_spreadsheet_without_a_form(tmp_path):
    path = tmp_path / "项目明细.csv"
    path.write_text("序号,项目,金额\n1,办公用品,300\n", encoding="utf-8")
    result = check_file(path, "shanghai")
    assert [f.code for f in result.file_findings] == ["R02"]


def test_r01_r02_pass_on_a_real_published_file(tmp_path):
    # seed 004: six forms of 上海市人民政府办公厅, 2024, as published
    path = tmp_path / "004.txt"
    shutil.copy(SEEDS / "004_a203d4b834672a09.txt", path)
    result = check_file(path, "shanghai")
    assert result.file_findings == []
    assert [form.record.project for form in result.forms][:2] == [
        "市政府办公厅专项工作业务经费", "市政府事项处理费及资料费"]


# --- R03 -------------------------------------------------------------------------------

def test_r03_empty_department_and_year():
    data = seed_data("seed004_zhuanxiang")
    data["department"] = None
    data["year"] = None
    found = run(build_form(data), "R03")
    assert [(f.cell, f.message) for f in found] == [
        ("A2", "“年度”未填写，请补全"), ("B4", "“主管部门”未填写，请补全")]


def test_r03_blank_text_counts_as_empty():
    data = seed_data("seed004_zhuanxiang")
    data["project"] = "  "
    assert cells(build_form(data), "R03") == ["B3"]


def test_r03_passes_on_a_real_form():
    assert cells(seed_form("seed004_zhuanxiang"), "R03") == []


# --- R04 -------------------------------------------------------------------------------

def test_r04_text_where_amounts_weights_and_totals_belong():
    data = seed_data("seed002_falvguwen")
    data["funds"]["total"]["executed"] = None
    data["indicators"][0]["weight"] = None
    data["total_score"] = None
    record = build_form(data)
    record.funds.total.unparsed["executed"] = "九千"
    record.indicators[0].unparsed["weight"] = "十分"
    record.unparsed["total_score"] = "满分"
    found = run(record, "R04")
    assert [(f.cell, f.found) for f in found] == [
        ("E6", "九千"), ("G13", "十分"), ("H25", "满分")]
    assert "年度资金总额的全年执行数应为数字，实际填写了“九千”" in found[0].message


def test_r04_passes_when_every_number_parsed():
    assert cells(seed_form("seed002_falvguwen"), "R04") == []


# --- R05 -------------------------------------------------------------------------------

def test_r05_fund_score_formula_replaced_by_a_constant():
    record = seed_form("seed004_zhuanxiang")
    record.template = TemplateInfo(version="1", profile="shanghai",
                                   overwritten_formulas=[("score", "H6"), ("grade", "H21")])
    found = run(record, "R05")
    assert [f.cell for f in found] == ["H6", "H21"]
    assert found[0].severity == "warning"


def test_r05_passes_when_the_formulas_are_intact_or_the_form_is_not_ours():
    record = seed_form("seed004_zhuanxiang")
    assert cells(record, "R05") == []
    record.template = TemplateInfo(version="1", overwritten_formulas=[])
    assert cells(record, "R05") == []


# --- R06 -------------------------------------------------------------------------------

FORM_ID = "JX2024-5f8f78ce96"


def _distributed(secret: str | None = None):
    """seed 004 市政府办公厅专项工作业务经费 as prefilled at budget time, and its digest."""
    record = seed_form("seed004_zhuanxiang")
    locked = fingerprint.locked_values(record)
    kind, digest = fingerprint.fingerprint(locked, secret)
    record.template = TemplateInfo(version="1", profile="shanghai", form_id=FORM_ID,
                                   fingerprint=digest, fingerprint_kind=kind)
    record.template.locked_values = copy.deepcopy(locked)
    return record, digest


def test_r06_locked_target_changed():
    record, _ = _distributed()
    record.indicators[0].target = "≥150(次)"  # distributed as ≥200(次)
    [finding] = run(record, "R06")
    assert (finding.cell, finding.expected, finding.found) == ("E13", "≥200(次)", "≥150(次)")


def test_r06_locked_budget_and_weight_changed():
    record, _ = _distributed()
    record.funds.current_year.budget = 520
    record.indicators[1].weight = 5
    assert cells(record, "R06") == ["D7", "G14"]


def test_r06_passes_when_nothing_locked_changed():
    record, digest = _distributed()
    record.indicators[0].actual = "240次"  # an input, not a locked value
    assert cells(record, "R06", manifest_fingerprints={FORM_ID: digest}) == []


def test_r06_metadata_rewritten_to_match_the_changed_cells():
    record, digest = _distributed()
    record.indicators[0].target = "≥150(次)"
    record.template.locked_values = fingerprint.locked_values(record)  # stale digest now
    found = run(record, "R06", manifest_fingerprints={FORM_ID: digest})
    assert [f.cell for f in found] == [None, None]
    assert "指纹不符" in found[0].message or "指纹不符" in found[1].message


def test_r06_hmac_needs_the_secret_to_be_checked():
    record, digest = _distributed(secret="预算科")
    record.template.locked_values["indicators"][0]["target"] = "≥150(次)"
    record.indicators[0].target = "≥150(次)"
    assert cells(record, "R06") == []  # no secret: the HMAC cannot be verified
    assert cells(record, "R06", secret="预算科") == [None]


def test_r06_manifest_without_metadata_fingerprints_the_cells():
    record, digest = _distributed()
    del record.template.locked_values
    assert cells(record, "R06", manifest_fingerprints={FORM_ID: digest}) == []
    record.indicators[0].weight = 25
    assert cells(record, "R06", manifest_fingerprints={FORM_ID: digest}) == [None]


def test_r06_passes_on_a_form_that_is_not_ours():
    assert cells(seed_form("seed004_zhuanxiang"), "R06",
                 manifest_fingerprints={FORM_ID: "0" * 64}) == []


# --- R07 -------------------------------------------------------------------------------

@pytest.mark.parametrize("unit", [None, "美元"])
def test_r07_money_unit_missing_or_unknown(unit):
    data = seed_data("seed004_zhuanxiang")
    data["money_unit"] = unit
    [finding] = run(build_form(data), "R07")
    assert (finding.cell, finding.found) == ("A5", unit)


def test_r07_unit_differs_from_the_distributed_template():
    record = seed_form("seed002_peitao")  # 项目资金 (元)
    record.template = TemplateInfo(version="1", money_unit="万元")
    [finding] = run(record, "R07")
    assert (finding.cell, finding.expected, finding.found) == ("A5", "万元", "元")


def test_r07_passes_with_yuan_or_wanyuan():
    assert cells(seed_form("seed002_peitao"), "R07") == []
    assert cells(seed_form("seed004_zhuanxiang"), "R07") == []


# --- the real instances, read from the published file itself ----------------------------

def test_real_instances_are_found_where_the_published_file_holds_them(tmp_path):
    # seed 002 read as one sheet: the forms are stacked, so the cells are far down
    path = tmp_path / "002.txt"
    shutil.copy(SEEDS / "002_d7a519b45b2b0728.txt", path)
    found = {(form.record.project, f.code, f.cell)
             for form in check_file(path, "shanghai").forms for f in form.findings}
    peitao = "上海市闵行区“一网通办”配套系统(2022运维)"
    assert {(peitao, "F01", "E605"), (peitao, "F04", "D605"), (peitao, "I05", "H613"),
            (peitao, "I14", "F612"), ("法律顾问费", "F05", "C9"), ("法律顾问费", "I03", "F15"),
            ("区大数据中心电子政务系统备份(2022运维)", "I10", "E42")} <= found

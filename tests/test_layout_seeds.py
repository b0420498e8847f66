"""The published seed forms (PDF text) read field-exact against the hand-checked expectation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jixiao.grid import Grid
from jixiao.layout import find_forms

DATA = Path(__file__).parent / "data"
EXPECTED = json.loads((DATA / "seed_expected.json").read_text(encoding="utf-8"))


def seed_grid(name: str) -> Grid:
    # A plain tab split, as the PDF extraction wrote it: merged cells are missing fields.
    text = (DATA / "seeds" / name).read_text(encoding="utf-8")
    return Grid(name=name.split(".")[0], rows=[line.split("\t") for line in text.split("\n")])


def expected_records(name: str) -> list[dict]:
    return [{k: v for k, v in form.items() if k != "_notes"} for form in EXPECTED[name]]


@pytest.fixture(scope="module")
def seed_forms():
    return {name: find_forms(seed_grid(name)) for name in EXPECTED}


def test_every_seed_form_is_found(seed_forms):
    assert len(seed_forms["002_d7a519b45b2b0728.txt"]) == 30
    assert len(seed_forms["004_a203d4b834672a09.txt"]) == 6


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_forms_match_expectation_field_by_field(seed_forms, name):
    got = [form.to_dict() for form in seed_forms[name]]
    expected = expected_records(name)
    assert len(got) == len(expected)
    for index, (record, want) in enumerate(zip(got, expected)):
        for key in want:
            assert record[key] == want[key], f"{name} form {index + 1} ({want['project']}): {key}"


def _by_project(forms, project):
    return next(f for f in forms if f.project == project)


def test_anomalies_are_kept_as_printed(seed_forms):
    forms = seed_forms["002_d7a519b45b2b0728.txt"]
    overspent = _by_project(forms, "上海市闵行区“一网通办”配套系统(2022运维)")
    assert (overspent.funds.total.budget, overspent.funds.total.executed) == (19200.0, 153200.0)
    assert overspent.funds.total.rate_pct == 797.92
    run_together = _by_project(forms, "区大数据中心电子政务系统备份(2022运维)")
    assert run_together.funds.current_year.initial == 0.0
    assert run_together.funds.current_year.budget == 994000.0
    empty_actuals = _by_project(forms, "法律顾问费")
    assert [i.actual for i in empty_actuals.indicators] == [None] * 12


def test_rows_shifted_by_missing_merged_cells_are_realigned(seed_forms):
    legal = _by_project(seed_forms["002_d7a519b45b2b0728.txt"], "法律顾问费")
    row = next(i for i in legal.indicators if i.name == "法律意见应用情况")
    # " | 社会效益指标 | 法律意见应用情况 | 应用 |  | 5 | 5 |": 一级 absent, row one column left
    assert (row.level1, row.level2, row.target, row.actual, row.weight, row.score) == (
        "效益指标", "社会效益指标", "应用", None, 5.0, 5.0)
    assert row.cells["weight"] == "F21" and row.cells["name"] == "C21"
    assert row.cells["level1"] == "A25"  # where 效益指标 is printed, after the page break
    fans = _by_project(seed_forms["004_a203d4b834672a09.txt"], "“上海发布”办公室工作经费")
    shifted_right = next(i for i in fans.indicators if i.name == "信息错误率")
    assert (shifted_right.level2, shifted_right.target, shifted_right.score) == ("质量指标", "≤5%", 10.0)
    assert shifted_right.cells["score"] == "I87" and shifted_right.row == 87


def test_names_split_by_a_page_break_are_joined(seed_forms):
    names = {i.name for f in seed_forms["002_d7a519b45b2b0728.txt"] for i in f.indicators}
    assert {"完成好差评系统范围拓展", "增加窗口工作人员辨识度", "长效管理制度执行有效性"} <= names
    assert not names & {"展", "度", "性", "完成好差评系统范围拓"}


def test_record_positions_point_at_real_cells(seed_forms):
    first = seed_forms["004_a203d4b834672a09.txt"][0]
    assert first.sheet == "004_a203d4b834672a09"
    assert first.anchor == "A3"  # "# 财政项目支出绩效自评表"
    assert first.cells["project"] == "B7" and first.cells["unit"] == "F8"
    assert first.cells["money_unit"] == "A9"
    assert first.funds.total.cells == {"initial": "C10", "budget": "D10", "executed": "E10",
                                       "weight": "F10", "rate_pct": "G10", "score": "H10"}
    assert (first.cells["total_weight"], first.cells["total_score"]) == ("F24", "G24")
    assert first.title == "财政项目支出绩效自评表" and first.year == 2024

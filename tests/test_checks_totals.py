"""Totals checks T01–T04 on real published forms."""

from __future__ import annotations

from test_checks_support import build_form, cells, run, seed_data, seed_form


# --- T01 -------------------------------------------------------------------------------

def test_t01_declared_total_weight_not_100():
    # seed 004 市政府办公厅专项工作业务经费: 7 indicators, 总分 on row 20
    data = seed_data("seed004_zhuanxiang")
    data["total_weight"] = 95
    [finding] = run(build_form(data), "T01")
    assert (finding.cell, finding.expected, finding.found) == ("G20", 100, 95)
    assert "合计为 100" in finding.message  # the weights themselves are right


def test_t01_weights_do_not_add_up_although_100_is_declared():
    data = seed_data("seed004_zhuanxiang")
    data["indicators"][0]["weight"] = 15  # 保障公务外出次数 20 → 15
    [finding] = run(build_form(data), "T01")
    assert (finding.cell, finding.expected, finding.found) == ("G20", 100, 95)
    assert "总分栏却填 100" in finding.message


def test_t01_without_a_declared_total_uses_the_sum():
    data = seed_data("seed004_zhuanxiang")
    data["total_weight"] = None
    data["indicators"][0]["weight"] = 25
    assert cells(build_form(data), "T01") == ["G20"]


def test_t01_passes_on_a_real_form():
    assert cells(seed_form("seed004_zhuanxiang"), "T01") == []


# --- T02 -------------------------------------------------------------------------------

def test_t02_declared_total_that_is_not_the_sum():
    # seed 004 “一网通办”工作经费: 8.32 + 74.5 = 82.82; 84.82 declared here
    data = seed_data("seed004_yiwangtongban")
    data["total_score"] = 84.82
    [finding] = run(build_form(data), "T02")
    assert (finding.cell, finding.expected, finding.found) == ("H21", 82.82, 84.82)


def test_t02_uses_the_recomputed_fund_score_when_none_is_declared():
    data = seed_data("seed004_yiwangtongban")
    data["funds"]["total"]["score"] = None
    assert cells(build_form(data), "T02") == []
    data["total_score"] = 84.5
    assert cells(build_form(data), "T02") == ["H21"]


def test_t02_passes_on_real_forms():
    for name in ("seed004_yiwangtongban", "seed004_zhuanxiang", "seed002_touzi1",
                 "seed002_peitao"):
        assert cells(seed_form(name), "T02") == [], name


# --- T03 -------------------------------------------------------------------------------

def test_t03_grade_that_does_not_match_the_total():
    data = seed_data("seed004_zhuanxiang")
    data["grade"] = "良"  # the total here is 94.95: 优
    [finding] = run(build_form(data), "T03")
    assert (finding.cell, finding.expected, finding.found) == ("H21", "优", "良")


def test_t03_grade_follows_the_recomputed_fund_score():
    # 配套系统 spends 797.92 %: the fund score stays 10, the total 100: 优
    data = seed_data("seed002_peitao")
    data["grade"] = "优"
    assert cells(build_form(data), "T03") == []


def test_t03_passes_with_the_right_grade_or_none():
    data = seed_data("seed004_zhuanxiang")
    data["grade"] = "优"
    assert cells(build_form(data), "T03") == []
    assert cells(seed_form("seed004_zhuanxiang"), "T03") == []  # no 评分等级 row


# --- T04 -------------------------------------------------------------------------------

def test_t04_real_form_with_60_points_on_outputs():
    # seed 004 市城运中心工作经费: 产出指标 15 + 10 + 10 + 25 = 60 against the default 40
    [finding] = run(seed_form("seed004_chengyun"), "T04")
    assert (finding.cell, finding.expected, finding.found) == ("B13", 40, 60)
    assert finding.severity == "info"


def test_t04_cost_under_outputs_is_not_far_from_the_split():
    # seed 002 机房建设 (2022) puts 成本指标 under 产出指标: 产出 50 = 40 + 10, 效益 30, 满意度 10
    assert cells(seed_form("seed002_jifang"), "T04") == []


def test_t04_passes_on_a_real_form():
    # seed 004 市政府办公厅专项工作业务经费: 40 / 35 / 15
    assert cells(seed_form("seed004_zhuanxiang"), "T04") == []

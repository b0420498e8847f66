"""Fund checks F01–F08, failing on real published forms where the seeds hold one."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_checks_support import build_form, cells, run, seed_data, seed_form

from jixiao.checks.registry import run_checks
from jixiao.profiles import Tolerances, load_profile


# --- F01 -------------------------------------------------------------------------------

def test_f01_real_form_spends_153200_of_a_19200_budget():
    # seed 002, 上海市闵行区“一网通办”配套系统(2022运维): 全年预算数 19200.00, 全年执行数 153,200
    [finding] = run(seed_form("seed002_peitao"), "F01")
    assert finding.cell == "E6"
    assert finding.severity == "error"
    assert finding.found == 153200
    assert "153,200 元" in finding.message and "19,200 元" in finding.message
    assert "797.92%" in finding.message


def test_f01_passes_when_all_the_budget_is_spent():
    # seed 002, 法律顾问费: 9,000 of 9,000 元
    assert cells(seed_form("seed002_falvguwen"), "F01") == []


# --- F02 -------------------------------------------------------------------------------

def test_f02_declared_rate_that_does_not_match_the_amounts():
    # seed 004, 市政府事项处理费及资料费: 536.99 / 582.70 = 92.15 %; typed as 93.15 here
    data = seed_data("seed004_shixiang")
    data["funds"]["total"]["rate_pct"] = 93.15
    [finding] = run(build_form(data), "F02")
    assert (finding.cell, finding.expected, finding.found) == ("G6", 92.16, 93.15)


def test_f02_checks_the_source_rows_too():
    data = seed_data("seed004_shixiang")
    data["funds"]["current_year"]["rate_pct"] = 9.215  # a slipped decimal point
    assert cells(build_form(data), "F02") == ["G7"]


@pytest.mark.parametrize("name", ["seed004_zhuanxiang", "seed004_shixiang", "seed002_touzi1"])
def test_f02_passes_on_real_forms(name):
    # 492.92 / 495.40 = 99.4994 % is printed 99.49 (truncated) in seed 004
    assert cells(seed_form(name), "F02") == []


@pytest.mark.parametrize("declared,flagged", [
    (99.68, False),  # truncated
    (99.69, False),  # rounded
    (99.70, False),  # within 0.01 pp of the rounded value
    (99.66, True),
    (96.69, True),
])
def test_f02_accepts_both_the_truncating_and_the_rounding_habit(declared, flagged):
    # 99.686 % of docs/FORM.md §3: 996.86 spent of 1,000
    data = seed_data("seed004_zhuanxiang")
    data["funds"]["total"].update(budget=1000, executed=996.86, rate_pct=declared, score=9.97)
    data["funds"]["current_year"].update(budget=1000, executed=996.86, rate_pct=None)
    assert cells(build_form(data), "F02") == (["G6"] if flagged else [])


def test_f02_accepts_the_rate_a_real_form_printed_one_hundredth_high():
    # seed 002, 区大数据中心等保三级系统平台测评: 697,500 / 700,000 = 99.643 %, printed 99.65 %
    data = seed_data("seed004_zhuanxiang")
    data["funds"]["total"].update(budget=700000, executed=697500, rate_pct=99.65, score=9.96)
    data["funds"]["current_year"].update(budget=None, executed=None, rate_pct=None)
    assert cells(build_form(data), "F02") == []


# --- F03 -------------------------------------------------------------------------------

def test_f03_fund_score_that_ignores_the_execution_rate():
    # seed 004, “一网通办”工作经费: 171.84 of 206.51 万元 gives 8.32; a full 10 is wrong
    data = seed_data("seed004_yiwangtongban")
    data["funds"]["total"]["score"] = 10
    [finding] = run(build_form(data), "F03")
    assert (finding.cell, finding.expected, finding.found) == ("H6", 8.32, 10)


@pytest.mark.parametrize("executed,declared,flagged", [
    (990.5, 9.90, False),  # 9.905 truncated
    (990.5, 9.91, False),  # 9.905 rounded
    (839.7, 8.40, False),  # 8.397 rounded
    (839.7, 8.39, False),  # 8.397 truncated
    (839.7, 8.37, True),
    (839.7, 8.50, True),
])
def test_f03_accepts_both_rounding_habits(executed, declared, flagged):
    data = seed_data("seed004_zhuanxiang")
    data["funds"]["total"].update(budget=1000, executed=executed, rate_pct=None, score=declared)
    data["funds"]["current_year"].update(budget=None, executed=None, rate_pct=None)
    assert cells(build_form(data), "F03") == (["H6"] if flagged else [])


def test_f03_score_shown_with_one_decimal_gets_the_wider_tolerance():
    # 8.32 shown as 8.3 on a form that prints scores with one decimal
    data = seed_data("seed004_yiwangtongban")
    data["funds"]["total"]["score"] = 8.3
    assert cells(build_form(data), "F03") == ["H6"]
    record = build_form(data)
    record.score_decimals = 1
    assert cells(record, "F03") == []


def test_f03_passes_on_real_forms_including_a_capped_score():
    # seed 002 配套系统 spends 797.92 %: the score is capped at the weight, 10
    assert cells(seed_form("seed002_peitao"), "F03") == []
    assert cells(seed_form("seed004_zhuanxiang"), "F03") == []


# --- F04 -------------------------------------------------------------------------------

def test_f04_real_form_whose_source_budget_exceeds_the_total():
    # seed 002 配套系统: 年度资金总额 全年预算数 19200.00, 当年财政拨款 153600.00
    [finding] = run(seed_form("seed002_peitao"), "F04")
    assert (finding.cell, finding.expected, finding.found) == ("D6", 153600, 19200)
    assert "134,400 元" in finding.message


def test_f04_real_form_whose_sources_fall_short():
    # seed 002 收件流转管理系统一、二期: 全年预算数 274703.00, 当年财政拨款 269762.4
    [finding] = run(seed_form("seed002_shoujian"), "F04")
    assert (finding.cell, finding.expected, finding.found) == ("D6", 269762.4, 274703)


def test_f04_passes_when_the_sources_add_up():
    assert cells(seed_form("seed004_zhuanxiang"), "F04") == []
    assert cells(seed_form("seed002_jifang"), "F04") == []


# --- F05 -------------------------------------------------------------------------------

def test_f05_real_form_with_all_source_rows_zero_or_empty():
    # seed 002 法律顾问费: total 18000.00 / 9000.00 / 9,000; every source row 0, 0, (empty)
    [finding] = run(seed_form("seed002_falvguwen"), "F05")
    assert finding.cell == "C7"
    assert finding.severity == "warning"
    assert "年初预算数 18,000 元、全年预算数 9,000 元、全年执行数 9,000 元" in finding.message


def test_f05_passes_when_the_sources_are_filled():
    assert cells(seed_form("seed004_zhuanxiang"), "F05") == []


# --- F06 -------------------------------------------------------------------------------

def test_f06_negative_amount():
    data = seed_data("seed004_zhuanxiang")
    data["funds"]["other"]["executed"] = -5
    [finding] = run(build_form(data), "F06")
    assert (finding.cell, finding.found) == ("E9", -5)


def test_f06_passes_without_negative_amounts():
    assert cells(seed_form("seed004_zhuanxiang"), "F06") == []


# --- F07 -------------------------------------------------------------------------------

def test_f07_executed_without_budget_in_a_source_row():
    data = seed_data("seed004_zhuanxiang")
    data["funds"]["carryover"].update(budget=0, executed=1.2)
    [finding] = run(build_form(data), "F07")
    assert (finding.cell, finding.found) == ("D8", 0)


def test_f07_executed_without_any_budget():
    data = seed_data("seed004_zhuanxiang")
    data["funds"]["total"].update(budget=None)
    data["funds"]["current_year"].update(budget=None)
    assert cells(build_form(data), "F07") == ["D6", "D7"]


def test_f07_passes_when_a_cancelled_project_spent_nothing():
    # seed 002 立功竞赛: 年初预算数 80,000, 全年预算数 0, 全年执行数 0
    data = seed_data("seed004_zhuanxiang")
    data["funds"]["total"].update(initial=80000, budget=0, executed=0, rate_pct=0, score=0)
    data["funds"]["current_year"].update(initial=0, budget=0, executed=None, rate_pct=None)
    assert cells(build_form(data), "F07") == []


# --- F08 -------------------------------------------------------------------------------

def test_f08_fund_weight_other_than_10():
    data = seed_data("seed004_zhuanxiang")
    data["funds"]["total"]["weight"] = 20
    [finding] = run(build_form(data), "F08")
    assert (finding.cell, finding.expected, finding.found) == ("F6", 10, 20)


def test_f08_passes_with_weight_10():
    assert cells(seed_form("seed004_zhuanxiang"), "F08") == []


@pytest.mark.parametrize("declared,flagged", [(99.68, False), (99.69, False), (99.70, True)])
def test_f02_truncation_is_a_habit_not_a_tolerance(declared, flagged):
    # With no tolerance at all, 99.686 % may still be printed cut (99.68) or rounded (99.69)
    strict = replace(load_profile("shanghai"), tolerances=Tolerances(rate_pct=0, score=0))
    data = seed_data("seed004_zhuanxiang")
    data["funds"]["total"].update(budget=1000, executed=996.86, rate_pct=declared, score=9.97)
    data["funds"]["current_year"].update(budget=None, executed=None, rate_pct=None)
    found = run_checks(build_form(data), strict, select=["F02"])
    assert [f.cell for f in found] == (["G6"] if flagged else [])

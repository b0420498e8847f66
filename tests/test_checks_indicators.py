"""Indicator checks I01–I14, failing on real published forms where the seeds hold one."""

from __future__ import annotations

import pytest
from test_checks_support import build_form, cells, run, seed_data, seed_form


def _single(target, actual, weight=10, score=10, deviation=None, level1="产出指标",
            level2="数量指标", name="测试指标") -> dict:
    """seed 004 市政府办公厅专项工作业务经费 with its first indicator replaced."""
    data = seed_data("seed004_zhuanxiang")
    data["indicators"][0] = {"level1": level1, "level2": level2, "name": name, "target": target,
                             "actual": actual, "weight": weight, "score": score,
                             "deviation": deviation}
    return data


# --- I01 -------------------------------------------------------------------------------

def test_i01_score_above_weight():
    data = seed_data("seed004_zhuanxiang")
    data["indicators"][0]["score"] = 22  # 保障公务外出次数, 分值 20
    [finding] = run(build_form(data), "I01")
    assert (finding.cell, finding.found) == ("H13", 22)


def test_i01_passes_on_a_real_form():
    assert cells(seed_form("seed004_zhuanxiang"), "I01") == []


# --- I02 -------------------------------------------------------------------------------

def test_i02_weight_empty_and_negative_score():
    data = seed_data("seed004_zhuanxiang")
    data["indicators"][1]["weight"] = None
    data["indicators"][2]["score"] = -1
    data["indicators"][3]["weight"] = 0
    assert cells(build_form(data), "I02") == ["G14", "H15", "G16"]


def test_i02_score_empty():
    data = seed_data("seed004_zhuanxiang")
    data["indicators"][6]["score"] = None
    assert cells(build_form(data), "I02") == ["H19"]


def test_i02_leaves_text_in_a_number_cell_to_r04():
    record = build_form(_single("≥90%", "95%", weight=None))
    record.indicators[0].unparsed["weight"] = "十分"
    assert cells(record, "I02") == []


def test_i02_passes_on_a_real_form():
    assert cells(seed_form("seed004_zhuanxiang"), "I02") == []


# --- I03 -------------------------------------------------------------------------------

def test_i03_real_form_with_every_actual_empty():
    # seed 002 法律顾问费: all twelve 实际完成值 are blank, every score full
    found = run(seed_form("seed002_falvguwen"), "I03")
    assert [f.cell for f in found] == [f"F{row}" for row in range(13, 25)]
    assert "重要法律合同审核率" in found[0].message


def test_i03_passes_when_actuals_are_filled():
    assert cells(seed_form("seed004_zhuanxiang"), "I03") == []


# --- I04 -------------------------------------------------------------------------------

def test_i04_shortfall_without_explanation():
    # seed 004 市政府事项处理费及资料费: 年中预算执行率 ≥50%, 40%, 16 of 20 — explanation removed
    data = seed_data("seed004_shixiang")
    data["indicators"][2]["deviation"] = None
    [finding] = run(build_form(data), "I04")
    assert finding.cell == "I15"


def test_i04_passes_with_the_real_explanation():
    # the real form explains: 部分业务工作较年度计划有所调整。
    assert cells(seed_form("seed004_shixiang"), "I04") == []


# --- I05 -------------------------------------------------------------------------------

def test_i05_real_form_not_passed_but_full_score():
    # seed 002 上海市闵行区“一网通办”配套系统(2022运维): 通过第三方测评, target 通过, actual 无, 2 of 2
    [finding] = run(seed_form("seed002_peitao"), "I05")
    assert (finding.cell, finding.found) == ("H14", 2)
    assert "通过第三方测评" in finding.message


def test_i05_same_real_row_in_a_second_form():
    # seed 002 收件流转管理系统一、二期 repeats the row: 通过 / 无 / 2 / 2
    assert cells(seed_form("seed002_shoujian"), "I05") == ["H14"]


def test_i05_quantitative_target_missed_with_full_score():
    # seed 002 政府投资计划1: 使用人员满意度 >=90%, actual 88%, scored 9 of 10; given 10 here
    data = seed_data("seed002_touzi1")
    data["indicators"][13]["score"] = 10
    [finding] = run(build_form(data), "I05")
    assert (finding.cell, finding.expected, finding.found) == ("H26", 9.78, 10)


def test_i05_passes_when_the_missed_target_is_scored_down():
    assert cells(seed_form("seed002_touzi1"), "I05") == []


# --- I06 -------------------------------------------------------------------------------

def test_i06_met_but_reduced_without_explanation():
    # seed 004 市政府事项处理费及资料费: 公文出错率 ≤5%, actual 0%, 15 of 15; scored 12 here
    data = seed_data("seed004_shixiang")
    data["indicators"][1]["score"] = 12
    [finding] = run(build_form(data), "I06")
    assert (finding.cell, finding.expected, finding.found) == ("H14", 15, 12)
    assert cells(build_form(data), "I04") == []  # one finding, not two


def test_i06_passes_when_the_reduction_is_explained():
    # seed 002 政府投资计划1: 项目建设验收及时性 及时 / 及时, 3 of 5, with an explanation
    assert cells(seed_form("seed002_touzi1"), "I06") == []


# --- I07 -------------------------------------------------------------------------------

@pytest.mark.parametrize("actual,score,flagged", [
    ("未达成指标且效果较差", 9, True),
    ("未达成指标且效果较差", 5, False),
    ("部分达成指标并具有一定效果", 5, True),
    ("部分达成指标并具有一定效果", 9, True),
    ("部分达成指标并具有一定效果", 7, False),
    ("部分达成指标并具有一定效果", 8, False),  # 80 % is the edge of the band, accepted
    ("达成指标", 7, True),
    ("达成年度指标", 8, False),
    ("达成指标", 10, False),
])
def test_i07_band_and_score(actual, score, flagged):
    record = build_form(_single("达成指标", actual, weight=10, score=score, deviation="说明"))
    assert cells(record, "I07") == (["H13"] if flagged else [])


# --- I08 -------------------------------------------------------------------------------

def test_i08_real_scores_that_differ_from_the_reference():
    # seed 004 “一网通办”工作经费: 年中预算执行率 ≥50%, 38% → 15.2 (declared 15);
    # 市政府公报发放率 ≥95%, 71% → 7.47 (declared 7.5)
    found = run(seed_form("seed004_yiwangtongban"), "I08")
    assert [(f.cell, f.expected, f.found) for f in found] == [
        ("H15", 15.2, 15), ("H17", 7.47, 7.5)]
    assert all(f.severity == "info" for f in found)


def test_i08_passes_when_the_score_is_the_reference():
    # seed 004 市政府事项处理费及资料费: ≥50%, 40%, 16 of 20 = 20 × 40 / 50
    assert cells(seed_form("seed004_shixiang"), "I08") == []


# --- I09 -------------------------------------------------------------------------------

def test_i09_real_actuals_far_above_target():
    # seed 004 市政府事项处理费及资料费: ≥4次 → 10次; ≥40次 → 95次.
    # 公文出错率 ≤5% → 0% is the goal of a "≤" target, not a low bar: not reported.
    assert cells(seed_form("seed004_shixiang"), "I09") == ["F13", "F17"]


def test_i09_passes_just_below_twenty_percent_and_reports_twenty_exactly():
    # seed 004 市政府办公厅专项工作业务经费: ≥200(次) → 235次 (row 13) is 17.5 % past the
    # target; 年中预算执行率 ≥50% → 60% (row 15) is 20 % past it, reported
    assert cells(seed_form("seed004_zhuanxiang"), "I09") == ["F15"]


# --- I10 -------------------------------------------------------------------------------

def test_i10_real_form_hours_per_year_against_hours():
    # seed 002 区大数据中心电子政务系统备份(2022运维): target 365天*24小时/年, actual 24小时
    [finding] = run(seed_form("seed002_beifen"), "I10")
    assert (finding.cell, finding.expected, finding.found) == ("F13", "小时/年", "小时")


def test_i10_price_per_sheet_against_sheets():
    record = build_form(_single("=22.80(元/张)", "5000张"))
    assert cells(record, "I10") == ["F13"]


def test_i10_passes_when_the_unit_is_written_on_one_side_only():
    # seed 002 机房建设: 购买服务方满意度 >=90 / 92%; seed 002 等保三级: 1项 / 1
    assert cells(seed_form("seed002_jifang"), "I10") == []
    assert cells(build_form(_single("1项", "1")), "I10") == []


def test_i10_passes_with_the_same_unit_in_brackets():
    # seed 004 “上海发布”办公室工作经费: ≥2800(万) / 3000(万)
    assert cells(build_form(_single("≥2800(万)", "3000(万)")), "I10") == []


# --- I11 -------------------------------------------------------------------------------

def test_i11_real_cost_indicator_under_output_in_the_2021_framework():
    # seed 002 闵行区大数据中心数据中心机房建设(第三年): 产出指标 / 成本指标 / 政府采购合规性.
    # Under mof-2021 成本指标 is a 一级 of its own.
    [finding] = run(seed_form("seed002_jifang"), "I11", profile="mof-2021")
    assert (finding.cell, finding.found) == ("C20", "成本指标")
    assert "一级指标" in finding.message


def test_i11_same_real_form_passes_under_shanghai_which_accepts_both_places():
    assert cells(seed_form("seed002_jifang"), "I11") == []


def test_i11_level2_name_used_as_level1():
    # seed 002 浦江分中心日常运维费 prints 社会效益指标 in the 一级 column
    record = build_form(_single("有效保障", "有效保障", level1="社会效益指标",
                                level2="社会效益指标", name="保障日常工作开展"))
    assert cells(record, "I11") == ["B13"]


def test_i11_accepts_spaces_and_a_missing_suffix():
    # seed 004 prints "满意度 指标" and "服务对象 满意度指标" across line breaks
    record = build_form(_single("≥90%", "100%", level1="满意度 指标", level2="服务对象 满意度指标"))
    assert cells(record, "I11") == []
    record = build_form(_single("≥90%", "100%", level1="满意度", level2="服务对象满意度指标"))
    assert cells(record, "I11") == []


# --- I12 -------------------------------------------------------------------------------

def test_i12_same_indicator_twice():
    data = seed_data("seed004_zhuanxiang")
    data["indicators"][2]["name"] = "年终预算执行率"  # the name of row 14 again
    [finding] = run(build_form(data), "I12")
    assert finding.cell == "D15"
    assert "D14" in finding.message


def test_i12_passes_on_a_real_form():
    assert cells(seed_form("seed004_zhuanxiang"), "I12") == []


# --- I13 -------------------------------------------------------------------------------

def test_i13_no_satisfaction_indicator():
    data = seed_data("seed004_zhuanxiang")
    del data["indicators"][6]  # 保障公务外出准点率, the only 满意度指标
    [finding] = run(build_form(data), "I13")
    assert (finding.cell, finding.expected) == ("B13", "满意度指标")


def test_i13_category_is_inferred_from_level2_when_level1_is_wrong():
    data = seed_data("seed004_zhuanxiang")
    data["indicators"][6]["level1"] = "服务对象满意度指标"
    assert cells(build_form(data), "I13") == []


def test_i13_passes_on_a_real_form():
    assert cells(seed_form("seed004_zhuanxiang"), "I13") == []


# --- I14 -------------------------------------------------------------------------------

def test_i14_real_form_actuals_copied_from_targets():
    # seed 002 配套系统: 满意度 =95% / =95%, 齐备 =95% / =95%, 窗口人员满意度 =95% / =95%
    found = run(seed_form("seed002_peitao"), "I14")
    assert [(f.cell, f.found) for f in found] == [
        ("F13", "=95%"), ("F17", "=95%"), ("F18", "=95%")]


def test_i14_ascii_operator():
    assert cells(build_form(_single(">=85%", ">=85%")), "I14") == ["F13"]


def test_i14_passes_with_real_results():
    # seed 002 电子政务系统备份: 使用人员满意度 >=85% / 91%
    assert cells(seed_form("seed002_beifen"), "I14") == []


def test_copied_actual_is_not_also_scored_against_its_target():
    # "=95%" states no result: I14 only, no I05/I08/I09 on the same row
    record = build_form(_single(">50%", ">50%"))
    assert "H13" not in cells(record, "I05") + cells(record, "I08")
    assert "F13" not in cells(record, "I09")
    assert cells(build_form(_single(">50%", "80%")), "I09") == ["F13", "F15"]


@pytest.mark.parametrize("target, actual, says, never", [
    ("≤5%", "3%", "年初指标值可能设定偏松", "偏低"),     # a ceiling beaten by far: set too high
    ("<10(天)", "5(天)", "年初指标值可能设定偏松", "偏低"),
    ("≥4次", "10次", "年初指标值可能设定偏低", "偏高"),  # a floor passed by far: set too low
])
def test_i09_says_which_way_the_target_was_set(target, actual, says, never):
    [finding] = [f for f in run(build_form(_single(target, actual)), "I09") if f.cell == "F13"]
    assert says in finding.message and never not in finding.message

"""Scoring rules of docs/FORM.md §3, with figures from the published seed forms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jixiao.model import FormRecord, Indicator
from jixiao.profiles import load_profile, profile_from_dict
from jixiao.scoring import (
    execution_rate_pct, fund_score, grade_of, recompute, reference_score, round2,
)

SHANGHAI = load_profile("shanghai")


def test_round2_is_half_away_from_zero_like_excel():
    assert round2(1.005) == 1.01
    assert round2(8.395) == 8.40
    assert round2(-2.345) == -2.35
    assert round2(0.1 + 0.2) == 0.3


@pytest.mark.parametrize("budget,executed,rate,score", [
    # seed 002 区大数据中心等保三级系统平台测评: 697,500 of 700,000 → 99.64 %, declared 9.96
    (700000, 697500, 99.64, 9.96),
    # seed 004 市政府办公厅专项工作业务经费: 492.92 of 495.40 万元 → 99.50 %, declared 9.95
    (495.40, 492.92, 99.50, 9.95),
    # seed 004 “一网通办”工作经费: 171.84 of 206.51 → 83.21 %, declared 8.32
    (206.51, 171.84, 83.21, 8.32),
    # seed 002 “一网通办”配套系统: 153,200 spent of 19,200 → 797.92 %, score capped at 10
    (19200, 153200, 797.92, 10.0),
    (0, 0, None, 0.0),
    (None, 100, None, 0.0),
])
def test_execution_rate_and_fund_score(budget, executed, rate, score):
    assert execution_rate_pct(budget, executed) == rate
    assert fund_score(10, budget, executed) == score


@given(weight=st.floats(min_value=0, max_value=100),
       budget=st.one_of(st.none(), st.floats(min_value=0, max_value=1e9)),
       executed=st.one_of(st.none(), st.floats(min_value=0, max_value=1e10)))
def test_fund_score_within_zero_and_weight(weight, budget, executed):
    score = fund_score(weight, budget, executed)
    assert 0 <= score <= round2(weight)


@given(a=st.floats(min_value=0, max_value=100), b=st.floats(min_value=0, max_value=100))
def test_grade_is_monotone_in_total(a, b):
    order = {"差": 0, "中": 1, "良": 2, "优": 3}
    low, high = sorted((a, b))
    assert order[grade_of(low, SHANGHAI)] <= order[grade_of(high, SHANGHAI)]


@pytest.mark.parametrize("total,grade", [(100, "优"), (90, "优"), (89.99, "良"), (80, "良"),
                                         (79.99, "中"), (60, "中"), (59.99, "差"), (0, "差")])
def test_grade_bands_of_the_ministry(total, grade):
    assert grade_of(total, SHANGHAI) == grade


def test_grade_bands_come_from_the_profile():
    custom = profile_from_dict({
        "name": "strict", "taxonomy": [{"level1": "产出指标", "weight": 90, "level2": []}],
        "grades": [{"grade": "优", "min": 95}, {"grade": "良", "min": 85},
                   {"grade": "中", "min": 70}, {"grade": "差", "min": 0}],
    })
    assert grade_of(92, custom) == "良"
    assert grade_of(92, SHANGHAI) == "优"


def _ind(target, actual, weight=10, score=None):
    return Indicator(level1="产出指标", level2="数量指标", name="x", target=target,
                     actual=actual, weight=weight, score=score)


@pytest.mark.parametrize("target,actual,weight,low,met", [
    ("≥200(次)", "235次", 20, 20, True),
    # seed 004 年中预算执行率 ≥50 %, actual 40 %: 20 × 40/50 = 16 (declared 16)
    ("≥50%", "40%", 20, 16, False),
    ("≤5%", "0%", 15, 15, True),
    ("≤5%", "10%", 10, 5, False),            # ratio rule: 10 × 5/10
    # seed 004 行政运行成本增长率 =0 %, actual 2.5 %: a zero target missed scores 0
    ("=0%", "2.5%", 5, 0, False),
    ("=100%", "100%", 5, 5, True),
    ("=100", "99.6", 5, 5, True),            # within 0.5 % of the target
    ("=100", "90", 10, 9, False),
    ("稳定", "稳定", 8, 8, True),
    ("≥90%", "-5%", 10, 0, False),           # a negative actual counts as 0
])
def test_reference_score_quantitative(target, actual, weight, low, met):
    ref = reference_score(_ind(target, actual, weight), SHANGHAI)
    assert ref.low == pytest.approx(low)
    assert ref.met is met


def test_reverse_rule_linear_is_a_profile_setting():
    linear = profile_from_dict({"name": "lin", "reverse_rule": "linear",
                                "taxonomy": [{"level1": "产出指标", "weight": 50}],
                                "grades": [{"grade": "差", "min": 0}]})
    ref = reference_score(_ind("≤5%", "7%", 10), linear)
    assert ref.low == pytest.approx(6.0)     # 10 × (1 − 2/5)
    assert reference_score(_ind("≤5%", "12%", 10), linear).low == 0


@pytest.mark.parametrize("actual,low,high", [
    ("达成指标", 8, 10), ("部分达成指标并具有一定效果", 6, 8), ("未达成指标且效果较差", 0, 6),
])
def test_reference_score_qualitative_bands(actual, low, high):
    ref = reference_score(_ind("达成指标", actual, 10), SHANGHAI)
    assert (ref.low, ref.high) == (low, high)


def test_free_text_actual_has_no_reference():
    assert reference_score(_ind("稳定", "基本稳定"), SHANGHAI) is None


def test_far_above_target_is_flagged_direction_aware():
    assert reference_score(_ind("≥4次", "10次"), SHANGHAI).far_above is True
    assert reference_score(_ind("≥90%", "100%"), SHANGHAI).far_above is False


def test_recompute_whole_form():
    # seed 004 市政府办公厅专项工作业务经费 (2024): declared 94.95
    record = FormRecord()
    record.funds.total.budget, record.funds.total.executed = 495.40, 492.92
    record.funds.total.weight = 10
    record.indicators = [_ind("", "", w, s) for w, s in
                         [(20, 20), (10, 10), (10, 10), (15, 15), (15, 15), (5, 0), (15, 15)]]
    result = recompute(record, SHANGHAI)
    assert result.fund_score == 9.95
    assert result.total_weight == 100
    assert result.total_score == 94.95
    assert result.grade == "优"


@given(st.one_of(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
                 st.decimals(min_value=-10**7, max_value=10**7, places=3).map(float),
                 st.integers(-10**8, 10**8).map(lambda n: n / 1000 + 0.005)))
def test_round2_in_floats_agrees_with_decimal_half_up_on_the_number_as_typed(x):
    from decimal import ROUND_HALF_UP, Decimal

    expected = float(Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    assert round2(x) == expected

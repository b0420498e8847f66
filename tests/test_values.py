"""Value parsing: every target/actual string of docs/FORM.md §3 and of the seed forms."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jixiao.values import (
    FreeText, Qualitative, Quantity, ValueParseError, format_quantity, money_unit_of,
    normalize_label, parse_measure, parse_number, parse_rate_pct, parse_year,
)

MEASURES = Path(__file__).parent / "data" / "measures.tsv"


def _measure_rows():
    for line in MEASURES.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        text, kind, op, value, unit = (line.split("\t") + [""] * 5)[:5]
        yield pytest.param(text, kind, op, value, unit, id=text)


@pytest.mark.parametrize("text,kind,op,value,unit", list(_measure_rows()))
def test_measure_parses_to_what_a_person_reads(text, kind, op, value, unit):
    measure = parse_measure(text)
    if kind == "quantity":
        assert isinstance(measure, Quantity)
        assert measure.op == op
        assert measure.value == pytest.approx(float(value))
        assert (measure.unit or "") == unit
    elif kind == "qualitative":
        assert isinstance(measure, Qualitative)
        assert measure.band == op
    else:
        assert isinstance(measure, FreeText)


def test_measure_table_covers_form_md_examples():
    texts = {line.split("\t")[0] for line in MEASURES.read_text(encoding="utf-8").splitlines()}
    for example in ["≥95.00(%)", ">=85%", "=2028.34(平 方米)", "约20万车次", "365天*24小时/年",
                    "部分达成指标并具有一定效果", "≥2800(万)", "100% (按实)"]:
        assert example in texts


def test_actual_with_typed_operator_is_marked_explicit():
    assert parse_measure(">=90").explicit_op is True
    assert parse_measure("90%").explicit_op is False
    assert parse_measure("约300人").explicit_op is False


@pytest.mark.parametrize("empty", [None, "", "  ", "—", "-", "——"])
def test_empty_measure_is_none(empty):
    assert parse_measure(empty) is None


@pytest.mark.parametrize("raw,expected", [
    (9000, 9000.0), ("9,000", 9000.0), ("17,095,328.2", 17095328.2), ("１２３.５", 123.5),
    (" 5 ", 5.0), ("-3", -3.0), ("0994000", 994000.0), (18000.0, 18000.0),
    (None, None), ("", None), ("—", None), ("-", None), ("无", None),
])
def test_parse_number(raw, expected):
    assert parse_number(raw) == expected


@pytest.mark.parametrize("raw", ["九千", "9000元?", "abc", "1.2.3", True, float("nan"),
                                 float("inf")])
def test_parse_number_rejects_text(raw):
    with pytest.raises(ValueParseError):
        parse_number(raw)


@pytest.mark.parametrize("raw,fmt,expected", [
    (97.85, None, 97.85), ("97.85%", None, 97.85), ("100.00%", None, 100.0),
    (0.9785, True, 97.85), (0.9785, None, 97.85), (1.0, None, 100.0), ("99.49", None, 99.49),
    (83.21, False, 83.21), (None, None, None), ("—", None, None),
])
def test_parse_rate_pct(raw, fmt, expected):
    result = parse_rate_pct(raw, fmt)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


@pytest.mark.parametrize("raw,expected", [
    ("(2022 年度)", 2022), ("（2024年度）", 2024), (2023, 2023), ("2021年", 2021),
    ("年度", None), (None, None), (12, None),
])
def test_parse_year(raw, expected):
    assert parse_year(raw) == expected


@pytest.mark.parametrize("label,unit", [
    ("项目资金（万元）", "万元"), ("项目资金 (元)", "元"), ("项目资金(元)", "元"),
    ("项目资金", None), ("单位：元", "元"),
])
def test_money_unit_of(label, unit):
    assert money_unit_of(label) == unit


def test_normalize_label_removes_layout_noise():
    assert normalize_label("项目名称：") == "项目名称"
    assert normalize_label("偏差原因分析及改 进措施") == "偏差原因分析及改进措施"
    assert normalize_label("其中：当年财政拨款") == "其中:当年财政拨款"


units = st.sampled_from(["", "%", "万", "张", "元/张", "天/年", "小时/天", "亿次", "起", "平方米"])


@given(op=st.sampled_from(["≥", ">", "≤", "<", "="]),
       value=st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False),
       unit=units)
def test_format_then_parse_round_trips(op, value, unit):
    q = Quantity(op, float(value), unit or None, "")
    parsed = parse_measure(format_quantity(q))
    assert isinstance(parsed, Quantity)
    assert (parsed.op, parsed.value, parsed.unit) == (q.op, q.value, q.unit)

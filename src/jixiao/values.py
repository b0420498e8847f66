"""Turn what a unit typed into values: numbers, rates, years and indicator measures.

Pure functions, no I/O. Every string a real form holds must parse to the kind a person would
say it is (tests/data/measures.tsv is the hand-checked table of expectations).
"""

from __future__ import annotations

import math
import datetime
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

#: what stands for "nothing here" in a cell
BLANK_MARKS = frozenset({"", "—", "——", "-", "–", "－", "/", "／", "——/——"})
#: in a number cell "无" (none) is empty too; in a target or actual it is meaningful text
EMPTY_MARKS = BLANK_MARKS | {"无"}


class ValueParseError(ValueError):
    """Text where a number is required; ``str(err)`` is the text found."""


def _nfkc(text: str) -> str:
    # NFKC folds full-width digits, letters and punctuation (１２，％（）：) to ASCII.
    return unicodedata.normalize("NFKC", text)


def normalize_label(text: Any) -> str:
    """A label reduced for matching: no whitespace, half-width punctuation, no trailing colon."""
    if text is None:
        return ""
    return _normalized(text if isinstance(text, str) else str(text))


_WHITESPACE = re.compile(r"\s+")


# The same few hundred labels and indicator texts are matched on every form of a run.
@lru_cache(maxsize=16384)
def _normalized(text: str) -> str:
    return _WHITESPACE.sub("", _nfkc(text)).rstrip(":")


def clean_text(value: Any) -> str | None:
    """Text as typed, trimmed; None for an empty cell. Numbers become their shortest text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        return value.date().isoformat()  # a date typed into a cell: "2023-06-30", no 00:00:00
    s = str(value).strip()
    return s or None


def format_number(value: float) -> str:
    """9000.0 -> "9000", 97.85 -> "97.85" (no float noise such as 0.30000000000000004)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.10g}"


def percent_text(fraction: float) -> str:
    """0.95 in a %-formatted cell -> "95%" (0.9785 -> "97.85%"), as Excel shows it."""
    return f"{format_number(round(fraction * 100, 8))}%"


#: No amount, weight or score on a form comes near this; a number at or past it (1e308,
#: 400 typed digits) is a unit's typing error, reported at its cell (R04), not a figure
#: to add up (it would overflow the sums and the rounding to cents).
MAX_NUMBER = 1e15


def parse_number(value: Any) -> float | None:
    """A number as typed: 9000, "9,000", "17,095,328.2", "１２", " 5 "; dashes -> None.

    Raises ValueParseError for text that is not a number ("九千").
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueParseError(str(value))
    if isinstance(value, (int, float)):
        number = float(value) if abs(value) < MAX_NUMBER else math.inf
        if not -MAX_NUMBER < number < MAX_NUMBER:  # NaN, infinity, 1e308: no form holds them
            raise ValueParseError(str(value))
        return number
    s = _nfkc(str(value)).strip()
    if s in EMPTY_MARKS:
        return None
    compact = re.sub(r"[,\s]", "", s)
    if compact.endswith("分"):  # a score or weight typed "10分"
        compact = compact[:-1]
    if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", compact):
        number = float(compact)
        if -MAX_NUMBER < number < MAX_NUMBER:
            return number
    raise ValueParseError(str(value).strip())


parse_amount = parse_number


def plain_float(value: Any) -> bool:
    """Whether ``value`` is a float that parse_number would return as it is. Readers give
    most amounts so, and this question costs far less than the parse."""
    return type(value) is float and -MAX_NUMBER < value < MAX_NUMBER
parse_weight = parse_number
parse_score = parse_number


def parse_rate_pct(value: Any, percent_format: bool | None = None) -> float | None:
    """执行率 in percent: 97.85, "97.85%", or 0.9785 from a %-formatted cell -> 97.85.

    When the cell's format is unknown (``None``), a bare number up to 1.5 is taken as a
    fraction: real forms print rates as 97.85 or as a %-formatted 0.9785, and a rate
    below 1.5 % is far rarer than a fraction.
    """
    if value is None:
        return None
    if isinstance(value, str):
        s = _nfkc(value).strip()
        if s.endswith("%"):
            number = parse_number(s[:-1])
            return number
        number = parse_number(s)
        return number
    number = parse_number(value)
    if number is None:
        return None
    if percent_format or (percent_format is None and 0 <= number <= 1.5):
        return round(number * 100, 10)
    return number


def parse_year(value: Any) -> int | None:
    """2022, "(2022 年度)", "（2024年度）", "2024年" -> the year; None when there is none."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != value or value in (float("inf"), float("-inf")):
            return None  # NaN or infinity where a year should be: no year
        year = int(value)
        return year if 1990 <= year <= 2100 else None
    m = re.search(r"(19|20)\d{2}", _nfkc(str(value)))
    return int(m.group(0)) if m else None


def money_unit_of(label: Any) -> str | None:
    """The money unit a label names: 项目资金（万元） -> 万元, 项目资金 (元) -> 元."""
    s = normalize_label(label)
    if "万元" in s:
        return "万元"
    if re.search(r"[(:]元\)?|单位:?元|^元$|\(元\)", s):
        return "元"
    return None


# ---------------------------------------------------------------- indicator measures

OPERATORS = ("≥", ">", "≤", "<", "=")


@dataclass(frozen=True)
class Quantity:
    """A quantitative target or actual: operator, number and unit (e.g. ≥ 95 %)."""

    op: str
    value: float
    unit: str | None
    text: str
    #: an explicit operator was typed (an actual written "=95" is a copied target: I14)
    explicit_op: bool = False


@dataclass(frozen=True)
class Qualitative:
    """One of the three qualitative bands: met / partial / unmet."""

    band: str
    text: str


@dataclass(frozen=True)
class FreeText:
    text: str


Measure = Quantity | Qualitative | FreeText

# Longest spellings first so "≥" wins over ">" and "<=" over "<".
_OP_SPELLINGS = [
    (">=", "≥"), ("=>", "≥"), ("≥", "≥"), ("≧", "≥"), ("大于等于", "≥"), ("不低于", "≥"),
    ("不少于", "≥"), ("至少", "≥"), ("<=", "≤"), ("=<", "≤"), ("≤", "≤"), ("≦", "≤"),
    ("小于等于", "≤"), ("不高于", "≤"), ("不超过", "≤"), ("不多于", "≤"), ("大于", ">"),
    ("高于", ">"), ("小于", "<"), ("低于", "<"), (">", ">"), ("<", "<"), ("==", "="),
    ("=", "="), ("等于", "="), ("约", "="),
]
_SUFFIX_OPS = [("以上", "≥"), ("及以上", "≥"), ("以内", "≤"), ("以下", "≤"), ("及以下", "≤"),
               ("之内", "≤"), ("内", "≤")]  # "5个工作日内": at most 5 working days

_QUALITATIVE = [
    # Checked in this order: "未达成" and "部分达成" both contain "达成".
    ("unmet", re.compile(r"^未(达成|完成|达到)")),
    ("partial", re.compile(r"^部分(达成|完成|达到)")),
    ("met", re.compile(r"^(已|全面|全部)?(达成|完成|达到)(年度|预期)?(指标|目标)")),
]
_QUALITATIVE_SHORT = {"达成": "met", "部分达成": "partial", "未达成": "unmet"}

_NUMBER_UNIT = re.compile(
    r"""^(?P<number>[+-]?(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+))
        (?P<unit>[^\d\s()+\-*=<>≥≤]*?)?
        (?:\((?P<paren>[^()]*)\))?$""",
    re.VERBOSE,
)


_PERCENT_WORDS = frozenset({"百分比", "百分率", "％"})
_CHINESE_ONE = re.compile(r"一([套次项个件名台批份本])")
# A "unit" holding these is a sentence or a deadline, not a unit of measure.
_NOT_A_UNIT = re.compile(r"[前内后、,;]|完成|以来")


def _strip_operator(s: str) -> tuple[str | None, str]:
    for spelling, op in _OP_SPELLINGS:
        if s.startswith(spelling):
            return op, s[len(spelling):]
    return None, s


@lru_cache(maxsize=8192)
def parse_measure(text: Any) -> Measure | None:
    """A target or actual as typed -> Quantity, Qualitative or FreeText (None when empty).

    "≥95.00(%)" -> Quantity(≥, 95, "%"); "≥2800(万)" keeps 万 as the unit; "1项", "0起";
    "100% (按实)" -> =100 % (the note dropped); "=2028.34(平 方米)" -> unit 平方米;
    "达成年度指标" -> Qualitative(met); "稳定", "前五名", "365天*24小时/年" -> FreeText.
    """
    raw = clean_text(text)
    if raw is None:
        return None
    s = _WHITESPACE.sub("", _nfkc(raw))
    if s in BLANK_MARKS:
        return None
    for band, pattern in _QUALITATIVE:
        if pattern.search(s):
            return Qualitative(band, raw)
    if s in _QUALITATIVE_SHORT:
        return Qualitative(_QUALITATIVE_SHORT[s], raw)

    if s.startswith("平均"):  # "平均>=75%": an average is still the quantity compared
        s = s[2:]
    m = _CHINESE_ONE.fullmatch(s)
    if m:  # "一套", "一次": one of a counted thing
        return Quantity("=", 1.0, m.group(1), raw, False)
    op, rest = _strip_operator(s)
    explicit = op is not None and not s.startswith("约")
    for suffix, suffix_op in _SUFFIX_OPS:
        if op is None and rest.endswith(suffix):
            op, rest = suffix_op, rest[: -len(suffix)]
            explicit = True
    m = _NUMBER_UNIT.match(rest)
    if not m:
        return FreeText(raw)
    unit = m.group("unit") or None
    if unit and _NOT_A_UNIT.search(unit):
        return FreeText(raw)  # "12月底前", "7个月内完成", "3分钟填报、零材料提交": a description
    paren = m.group("paren")
    if paren is not None:
        if unit is None and paren and not re.search(r"\d", paren):
            unit = paren  # "≥95(%)", "≤5000.00(张)": the bracket holds the unit
        # otherwise the bracket is a note: "100%(按实)"
    number = float(m.group("number").replace(",", ""))  # "≥1,000人次": grouped thousands
    if not -MAX_NUMBER < number < MAX_NUMBER:
        return FreeText(raw)  # 1e308 or 400 digits: no quantity to score against
    if unit in _PERCENT_WORDS:
        unit = "%"  # Anhui's "≥100百分比"
    return Quantity(op or "=", number, unit, raw, explicit)


def format_quantity(q: Quantity) -> str:
    """The canonical spelling of a quantitative target: "≥95(%)", "=22.8(元/张)", "=1"."""
    number = format_number(q.value)
    return f"{q.op}{number}({q.unit})" if q.unit else f"{q.op}{number}"

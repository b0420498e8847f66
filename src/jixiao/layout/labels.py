"""Label vocabulary of the forms, and the text clean-up every value read goes through.

Forms are found by what their labels say, never by where they sit, so the spellings
seen in real workbooks and PDF extractions all live here: "年度 指标值" (a wrapped
cell), "项目名称：" (a colon), "执行率(%)" (a unit in brackets), "其中：本年财政拨款"
(the central system's wording).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jixiao.layout.vocabulary import (  # noqa: F401 - re-exported: the layout's one vocabulary
    FUND_HEADER,
    FUND_ROW_KEYS,
    HEAD_LABELS,
    INDICATOR_HEADER,
    FOOTER_PREFIXES,
    GOAL_ACTUAL,
    GOAL_EXPECTED,
    GOAL_LABELS,
    GRADE_KEYS,
    GRADE_LABELS,
    GRADES,
    LEVEL1_NAMES,
    LEVEL2_PARENTS,
    MONEY_LABELS,
    OPERATOR_WORDS,
    QUALITATIVE_WORDS,
    TOTAL_LABELS,
    YEAR_LABELS,
)
from jixiao.values import clean_text, normalize_label

# ------------------------------------------------------------------ matching keys


def label_key(value: Any) -> str:
    """A cell reduced for matching a label: no spaces, half-width, no colon, no "(万元)"."""
    if value is None or isinstance(value, (int, float)):
        return ""
    return text_key(value if isinstance(value, str) else str(value))


_BRACKETED = re.compile(r"\([^()]*\)")


# Cached because the parser asks for the key of the same few hundred label texts many times
# per sheet (every header search rescans its rows) and again in every workbook of a batch.
@lru_cache(maxsize=16384)
def text_key(text: str) -> str:
    """label_key of a string."""
    key = _BRACKETED.sub("", normalize_label(text))
    return key.lstrip("#*").rstrip(":")


BLOCK_LABEL = "绩效指标"


def matches(value: Any, keys: tuple[str, ...]) -> bool:
    return label_key(value) in keys


def _field_by_key(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    by_key: dict[str, str] = {}
    for name, keys in table.items():
        for key in keys:
            by_key.setdefault(key, name)  # the first field naming a key wins, as in the table
    return by_key


# One dict lookup instead of a walk over every field's spellings: header searches ask this
# of every cell of every row they scan.
_FIELD_BY_KEY = {id(table): _field_by_key(table)
                 for table in (HEAD_LABELS, FUND_HEADER, INDICATOR_HEADER)}


def field_of(value: Any, table: dict[str, tuple[str, ...]]) -> str | None:
    return field_of_key(label_key(value), table)


def field_of_key(key: str, table: dict[str, tuple[str, ...]]) -> str | None:
    """field_of for a key label_key made already."""
    if not key:
        return None
    by_key = _FIELD_BY_KEY.get(id(table))
    name = by_key.get(key) if by_key is not None else next(
        (name for name, keys in table.items() if key in keys), None)
    if name is not None:
        return name
    # "偏差原因分析及改进措施（必填）" and similar long variants
    if table is INDICATOR_HEADER and key.startswith("偏差原因"):
        return "deviation"
    return None


def fields_of_row(cells: tuple[tuple[int, str], ...], keys: tuple[str, ...],
                  table: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """The fields of `table` a row's labels name -> the first column naming each."""
    by_key = _FIELD_BY_KEY.get(id(table))
    if by_key is not None and by_key.keys().isdisjoint(keys) and (
            table is not INDICATOR_HEADER or "偏差原因" not in "|".join(keys)):
        return {}  # most rows are data rows: one set test instead of a lookup per cell
    found: dict[str, int] = {}
    for (c, _), key in zip(cells, keys):
        name = field_of_key(key, table)
        if name and name not in found:
            found[name] = c
    return found


def fund_row_field(value: Any) -> str | None:
    return _fund_row_field_of_key(label_key(value))


@lru_cache(maxsize=1024)  # a few spellings, asked of every fund row of every form
def _fund_row_field_of_key(key: str) -> str | None:
    if not key:
        return None
    for name, keys in FUND_ROW_KEYS:
        if any(k in key for k in keys):
            return name
    return None


def is_block_label(value: Any) -> bool:
    """"绩效指标" and the pieces a PDF extraction leaves of it ("绩", "效 指 标")."""
    return is_block_key(label_key(value))


def is_block_key(key: str) -> bool:
    return key in BLOCK_KEYS


#: every piece of 绩效指标 but 指 (a real word on its own), as sets are faster to ask
BLOCK_KEYS = frozenset(BLOCK_LABEL[i:j] for i in range(len(BLOCK_LABEL))
                       for j in range(i + 1, len(BLOCK_LABEL) + 1)) - {"指"}


def is_level1_name(value: Any) -> bool:
    return label_key(value) in LEVEL1_NAMES


def is_level2_name(value: Any) -> bool:
    return label_key(value) in LEVEL2_PARENTS


def level1_parents(level2: str | None) -> tuple[str, ...]:
    return LEVEL2_PARENTS.get(label_key(level2), ())


def is_footer(value: Any) -> bool:
    return is_footer_key(label_key(value))


def is_footer_key(key: str) -> bool:
    return bool(key) and key.startswith(FOOTER_PREFIXES)


# ------------------------------------------------------------------ text as read

_WIDE = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u3000-\u303f“”‘’…—"
# A space or line break between two Chinese characters is a wrapped line, not a word gap:
# "年度 指标值", "对人民代表建议 提案办理" read as one word on the printed form.
_WRAP_GAP = re.compile(rf"(?<=[{_WIDE}])\s+(?=[{_WIDE}])")
# PDF-to-text tools keep some rich-text markup of the original cell.
_TAGS = re.compile(r"</?(?:p|br|span|div|b|i|u|strong|em|font)(?:\s[^<>]*)?/?>", re.IGNORECASE)


def cell_text(value: Any) -> str | None:
    """The text a person reads in a cell: trimmed, wrap gaps and markup removed."""
    if isinstance(value, str):
        return string_text(value)
    if isinstance(value, (int, float)):
        return _number_text(value)  # digits: no gap, no markup to remove
    return string_text(clean_text(value)) if value is not None else None


# typed: True, 1 and 1.0 read "TRUE", "1" and "1"; the amounts and scores of a batch repeat.
_number_text = lru_cache(maxsize=4096, typed=True)(clean_text)


# Cached for the same reason as text_key: the labels and placeholders of a form repeat in
# every workbook, and the two regular expressions are most of a cell's cost.
@lru_cache(maxsize=16384)
def string_text(value: str | None) -> str | None:
    """cell_text of a string."""
    text = clean_text(value)
    if text is None:
        return None
    if "<" in text:
        text = _TAGS.sub("", text)
    text = _WRAP_GAP.sub("", text).strip()
    return text or None


# A budget system's code before a name: "219001-池州市…", "51000021R000000019951-工资性支出",
# "[219]某市生态环境局", "219001 某市环境监测站", "219001-001 环境监测运维". The code starts with
# a digit and the name with something else, so "2022-2023年度…" stays; a space alone parts
# only six digits or more, so "2023 年…" and "110kV 变电站" stay too.
_CODE_PREFIX = re.compile(
    r"^(?:[\[【]\s*([0-9][0-9A-Za-z-]{1,39})\s*[\]】]\s*"
    r"|([0-9][0-9A-Za-z]{2,39})\s*[-－—–_]\s*"
    r"|([0-9]{6,40}(?:-[0-9]{1,20})*)\s+)"
    r"(?=[^\d\s])")
# "产出指标(50分)", "效益指标（30分）": the points a 一级 label carries
_POINTS_SUFFIX = re.compile(r"\s*[(（]\s*\d+(?:\.\d+)?\s*分\s*[)）]\s*$")


def split_code(text: str) -> tuple[str | None, str]:
    """("219001", "池州市贵池区棠溪镇人民政府") from "219001-池州市贵池区棠溪镇人民政府"."""
    match = _CODE_PREFIX.match(text)
    if match is None or match.end() >= len(text):
        return None, text
    code = next(group for group in match.groups() if group is not None)
    return code, text[match.end():].strip()


def without_points(text: str | None) -> str | None:
    """A level label without the points it carries: "产出指标(50分)" -> "产出指标"."""
    if text is None:
        return None
    return _POINTS_SUFFIX.sub("", text) or text


def title_text(value: Any) -> str | None:
    """A title cell without the markdown marks a text extraction adds ("# 财政…")."""
    text = cell_text(value)
    if text is None:
        return None
    text = text.lstrip("#* ").strip()
    return text or None

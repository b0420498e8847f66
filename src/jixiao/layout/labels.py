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


# Header labels of the first form rows: field -> accepted keys.
HEAD_LABELS = {
    "project": ("项目名称",),
    "department": ("主管部门", "主管部门及代码", "主管单位"),
    "unit": ("实施单位", "项目实施单位"),
}

# Fund block header: field -> accepted keys.
FUND_HEADER = {
    "initial": ("年初预算数", "年初预算", "年初预算金额"),
    "budget": ("全年预算数", "调整后预算数", "全年预算", "调整后预算", "预算数"),
    "executed": ("全年执行数", "全年执行", "执行数", "实际执行数", "全年实际执行数"),
    "weight": ("分值", "权重"),
    "rate_pct": ("执行率", "预算执行率"),
    "score": ("得分",),
}

# Indicator block header: field -> accepted keys. "op" and "unit" are local variants'
# separate 指标性质 / 度量单位 columns, folded into the target text.
INDICATOR_HEADER = {
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "name": ("三级指标",),
    "op": ("指标性质", "指标方向"),
    "target": ("年度指标值", "指标值", "年度目标值", "目标值"),
    "unit": ("度量单位", "计量单位", "单位"),
    "actual": ("实际完成值", "全年实际完成值", "实际值", "完成值"),
    "weight": ("分值", "权重"),
    "score": ("得分",),
    "deviation": ("偏差原因分析及改进措施", "偏差原因分析", "偏差原因", "未完成原因分析"),
}

GOAL_EXPECTED = ("预期目标",)
GOAL_ACTUAL = ("实际完成情况", "实际完成")
GOAL_LABELS = ("年度总体目标", "年度目标", "总体目标", "目标")
TOTAL_LABELS = ("总分", "合计")
GRADE_LABELS = ("评分等级", "等级", "自评等级")
GRADE_KEYS = frozenset(GRADE_LABELS)
FOOTER_PREFIXES = ("填报人", "填表人", "审核人", "联系人", "负责人", "单位负责人", "填报日期",
                   "填表日期", "联系电话", "财务负责人", "项目负责人")
GRADES = ("优", "良", "中", "差")

# Fund row labels -> field, checked in this order ("其中：当年财政拨款" before "其他").
FUND_ROW_KEYS = (
    ("total", ("资金总额", "年度资金总额", "合计", "总计")),
    ("current_year", ("财政拨款", "当年财政拨款", "本年财政拨款")),
    ("carryover", ("上年结转", "结转资金", "结转")),
    ("other", ("其他资金", "其他")),
)

#: the label merged beside the fund rows; it carries the money unit
MONEY_LABELS = ("项目资金", "预算执行情况", "资金情况", "项目资金情况")

# The indicator frameworks' names, both vintages (docs/FORM.md §2), used to tell a 一级 from a
# 二级 when a PDF extraction shifted a row, and to place a 一级 printed mid-block.
LEVEL1_NAMES = frozenset({"产出指标", "效益指标", "满意度指标", "成本指标", "效果指标", "影响指标"})
LEVEL2_PARENTS = {
    "数量指标": ("产出指标",),
    "质量指标": ("产出指标",),
    "时效指标": ("产出指标",),
    "成本指标": ("产出指标", "成本指标"),
    "经济成本指标": ("成本指标",),
    "社会成本指标": ("成本指标",),
    "生态环境成本指标": ("成本指标",),
    "经济效益指标": ("效益指标",),
    "社会效益指标": ("效益指标",),
    "生态效益指标": ("效益指标",),
    "可持续影响指标": ("效益指标",),
    "服务对象满意度指标": ("满意度指标",),
}
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


def title_text(value: Any) -> str | None:
    """A title cell without the markdown marks a text extraction adds ("# 财政…")."""
    text = cell_text(value)
    if text is None:
        return None
    text = text.lstrip("#* ").strip()
    return text or None

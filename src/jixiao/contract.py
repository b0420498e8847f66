"""Where every field of the generated form sits (docs/FORM.md §5), and how it is named.

This module is the layout contract shared by the writer (:mod:`jixiao.template.writer`)
and the reader (:mod:`jixiao.io.template_reader`). Rows and columns are 0-based here;
``cell("project")`` gives the Excel reference of a blank form ("B3").

Defined names
-------------
Every field has a defined name ``JX_<FIELD>`` (see :data:`FIELD_NAMES`), the indicator
block is ``JX_INDICATORS`` (B13:I{12+n}), so a reader finds each field even after rows
were inserted. A workbook holding one form defines them at workbook level; a workbook
holding one form per sheet (``--group-by unit``) defines the same names scoped to each
form sheet (``'<sheet>'!JX_PROJECT``). Either way the name's reference carries the sheet,
and the reader resolves every ``JX_`` name through it.

Lists used by data validation are global names on the metadata sheet: ``JX_LIST_LEVEL1``
(the profile's 一级), ``JX_L2_<k>`` (the 二级 of the k-th 一级, 1-based, so that
``INDIRECT("JX_L2_"&MATCH(B13,JX_LIST_LEVEL1,0))`` works for any 一级 text) and
``JX_LIST_BANDS`` (the three qualitative bands).

Metadata
--------
The very hidden sheet ``_jixiao`` holds, from row 2, one row per (form sheet, key):
A = form sheet name, B = key, C = value, for the keys in :data:`META_KEYS`. The lists
sit in columns E onwards.
"""

from __future__ import annotations

from jixiao.grid import cell_ref

TEMPLATE_VERSION = "1"
META_SHEET = "_jixiao"
META_HEADER = ("表", "键", "值")
META_KEYS = ("template_version", "profile", "year", "money_unit", "form_id", "rows",
             "fingerprint_kind", "fingerprint", "locked_values")
NAME_PREFIX = "JX_"
LIST_LEVEL1 = "JX_LIST_LEVEL1"
LIST_BANDS = "JX_LIST_BANDS"
LIST_LEVEL2_PREFIX = "JX_L2_"
#: first column (0-based) of the validation lists on the metadata sheet
LIST_FIRST_COL = 4

QUALITATIVE_BANDS = ("达成指标", "部分达成指标并具有一定效果", "未达成指标且效果较差")

DEFAULT_ROWS = 20
MAX_ROWS = 500

# -- fixed part: rows 1-12 ------------------------------------------------------------
TITLE = (0, 0)
YEAR = (1, 0)
PROJECT = (2, 1)
DEPARTMENT = (3, 1)
UNIT = (3, 6)
MONEY_UNIT = (4, 0)
GOAL_EXPECTED = (10, 1)
GOAL_ACTUAL = (10, 5)

FUND_FIRST_ROW = 5
#: fund row name -> sheet row
FUND_ROW_INDEX = {"total": 5, "current_year": 6, "carryover": 7, "other": 8}
FUND_COLUMNS = {"initial": 2, "budget": 3, "executed": 4, "weight": 5, "rate_pct": 6,
                "score": 7}
#: fields that exist on the source rows (weight and score belong to the total row)
SOURCE_FIELDS = ("initial", "budget", "executed", "rate_pct")

INDICATOR_HEADER_ROW = 11
INDICATOR_FIRST_ROW = 12
INDICATOR_COLUMNS = {"level1": 1, "level2": 2, "name": 3, "target": 4, "actual": 5,
                     "weight": 6, "score": 7, "deviation": 8}
LAST_COL = 8

HEADER_FIELDS = {"title": TITLE, "year": YEAR, "project": PROJECT,
                 "department": DEPARTMENT, "unit": UNIT, "money_unit": MONEY_UNIT,
                 "goal_expected": GOAL_EXPECTED, "goal_actual": GOAL_ACTUAL}


def fund_fields(row_name: str) -> tuple[str, ...]:
    return tuple(FUND_COLUMNS) if row_name == "total" else SOURCE_FIELDS


def total_row(rows: int) -> int:
    """0-based row of 总分 for a form with ``rows`` indicator rows (Excel row 13+n)."""
    return INDICATOR_FIRST_ROW + rows


def grade_row(rows: int) -> int:
    return INDICATOR_FIRST_ROW + rows + 1


def fund_name(row_name: str, field_name: str) -> str:
    return f"{NAME_PREFIX}FUND_{row_name.upper()}_{field_name.upper()}"


#: defined name -> field path: ("project",), ("funds", "total", "budget"), ("indicators",)
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    **{f"{NAME_PREFIX}{name.upper()}": (name,) for name in HEADER_FIELDS},
    **{fund_name(row, f): ("funds", row, f) for row in FUND_ROW_INDEX for f in fund_fields(row)},
    f"{NAME_PREFIX}INDICATORS": ("indicators",),
    f"{NAME_PREFIX}TOTAL_WEIGHT": ("total_weight",),
    f"{NAME_PREFIX}TOTAL_SCORE": ("total_score",),
    f"{NAME_PREFIX}GRADE": ("grade",),
}

#: fields whose cells hold the template's formulas (R05 looks for constants there)
FORMULA_FIELDS: tuple[tuple[str, ...], ...] = (
    ("funds", "total", "initial"), ("funds", "total", "budget"),
    ("funds", "total", "executed"),
    *(("funds", row, "rate_pct") for row in FUND_ROW_INDEX),
    ("funds", "total", "score"),
    ("total_weight",), ("total_score",), ("grade",),
)


def field_positions(rows: int) -> dict[tuple[str, ...], tuple[int, int]]:
    """Field path -> (row, col) of its cell, in a form with ``rows`` indicator rows."""
    positions: dict[tuple[str, ...], tuple[int, int]] = {
        (name,): pos for name, pos in HEADER_FIELDS.items()}
    for row_name, r in FUND_ROW_INDEX.items():
        for f in fund_fields(row_name):
            positions[("funds", row_name, f)] = (r, FUND_COLUMNS[f])
    positions[("total_weight",)] = (total_row(rows), INDICATOR_COLUMNS["weight"])
    positions[("total_score",)] = (total_row(rows), INDICATOR_COLUMNS["score"])
    positions[("grade",)] = (grade_row(rows), INDICATOR_COLUMNS["score"])
    return positions


def cell(path: str | tuple[str, ...], rows: int = DEFAULT_ROWS) -> str:
    """Excel reference of a field in a blank form: ``cell("project") == "B3"``."""
    key = (path,) if isinstance(path, str) else tuple(path)
    return cell_ref(*field_positions(rows)[key])


def field_label(path: tuple[str, ...]) -> str:
    """Chinese label of a field path, e.g. 年度资金总额执行率."""
    from jixiao.model import FIELD_LABELS

    if path[0] == "funds":
        return FIELD_LABELS[path[1]] + FIELD_LABELS[path[2]]
    return FIELD_LABELS.get(path[0], path[0])

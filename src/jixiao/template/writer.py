"""Write the standard form with xlsxwriter: one workbook, one or more form sheets.

The layout is :mod:`jixiao.contract` (docs/FORM.md §5). A form is written from a
:class:`~jixiao.model.FormRecord` — empty for a blank form, budget-time values for a
prefilled one, or filled in for a sample of a returned form — plus the locked values:
the fields a unit must not change. Those cells are locked and the values go, with their
fingerprint, to the metadata sheet.

Every computed cell is a live formula whose cached value is computed here with
:mod:`jixiao.scoring`, so a reader that trusts cached values sees the right numbers.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import unicodedata
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from xlsxwriter.utility import quote_sheetname, xl_col_to_name, xl_rowcol_to_cell

from jixiao import fingerprint as fp
from jixiao.io.atomic import atomic_path
from jixiao.grid import cell_ref
from jixiao.model import FIELD_LABELS, FormRecord, Indicator
from jixiao.profiles import Profile
from jixiao.scoring import execution_rate_pct, fund_score, grade_of, round2
from jixiao import contract as L
from jixiao.values import Quantity, parse_measure

FONT = "宋体"
INPUT_FILL = "#FFF2CC"
FORMULA_FILL = "#E2EFDA"
HEADER_FILL = "#F2F2F2"
ALERT_FILL = "#FFC7CE"
ALERT_FONT = "#9C0006"
WARN_FILL = "#FFEB9C"
#: column widths A-I, in characters of the default font
COLUMN_WIDTHS = (9, 15, 15, 24, 17, 17, 9, 9, 28)
#: a fixed creation time keeps generated files byte-identical from run to run
CREATED = _dt.datetime(2024, 1, 1)

AMOUNT_FORMAT = "#,##0.00_ "  # the trailing space keeps figures off the border
SCORE_FORMAT = "0.00"
RATE_FORMAT = "0.00%"
WEIGHT_FORMAT = "0.##"

PROTECTION_OPTIONS = {
    "select_locked_cells": True,
    "select_unlocked_cells": True,
    # wrapped text may need taller rows or wider columns than planned
    "format_rows": True,
    "format_columns": True,
}


@dataclass
class FormSpec:
    """One form to write."""

    record: FormRecord
    sheet: str
    form_id: str
    #: the fields a unit must not change (fingerprint.locked_values of the prefilled record)
    locked: dict[str, Any]
    #: indicator rows in the block (≥ the record's indicators)
    rows: int


def _excel_number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _text_width(text: str) -> int:
    """Width in default-font characters: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _lines(text: str | None, width: float) -> int:
    if not text:
        return 1
    # a little slack: Excel and WPS wrap a bit earlier than the nominal width
    usable = max(width - 1.5, 1)
    return sum(max(1, math.ceil(_text_width(part) / usable)) for part in str(text).split("\n"))


def _row_height(lines: int, minimum: float = 20.0) -> float:
    return max(minimum, 13.5 * lines + 6)


class _Formats:
    """The cell formats of one workbook (xlsxwriter formats belong to their workbook)."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        base = {"font_name": FONT, "font_size": 10, "border": 1, "valign": "vcenter",
                "text_wrap": True}

        def add(**props: Any):
            return workbook.add_format({**base, **props})

        self.title = workbook.add_format({"font_name": FONT, "font_size": 16, "bold": True,
                                          "align": "center", "valign": "vcenter"})
        self.year = workbook.add_format({"font_name": FONT, "font_size": 11,
                                         "align": "center", "valign": "vcenter"})
        self.year_input = workbook.add_format({"font_name": FONT, "font_size": 11,
                                               "align": "center", "valign": "vcenter",
                                               "locked": False, "bg_color": INPUT_FILL})
        self.label = add(bold=True, align="center", bg_color=HEADER_FILL)
        self.label_left = add(bold=True, align="left", indent=1, bg_color=HEADER_FILL)
        self.text = add(align="left", indent=1)
        self.text_center = add(align="center")
        self.text_input = add(align="left", indent=1, locked=False, bg_color=INPUT_FILL)
        self.text_input_top = add(align="left", indent=1, valign="top", locked=False,
                                  bg_color=INPUT_FILL)
        self.amount = add(align="right", num_format=AMOUNT_FORMAT)
        self.amount_input = add(align="right", num_format=AMOUNT_FORMAT, locked=False,
                                bg_color=INPUT_FILL)
        self.amount_formula = add(align="right", num_format=AMOUNT_FORMAT,
                                  bg_color=FORMULA_FILL)
        self.weight = add(align="center", num_format=WEIGHT_FORMAT)
        self.weight_input = add(align="center", num_format=WEIGHT_FORMAT, locked=False,
                                bg_color=INPUT_FILL)
        self.weight_formula = add(align="center", num_format=WEIGHT_FORMAT,
                                  bg_color=FORMULA_FILL)
        self.score_input = add(align="center", num_format=SCORE_FORMAT, locked=False,
                               bg_color=INPUT_FILL)
        self.score_formula = add(align="center", num_format=SCORE_FORMAT,
                                 bg_color=FORMULA_FILL)
        self.rate_formula = add(align="center", num_format=RATE_FORMAT, bg_color=FORMULA_FILL)
        self.grade_formula = add(align="center", bold=True, bg_color=FORMULA_FILL)
        self.stamp = workbook.add_format({"font_name": FONT, "font_size": 10,
                                          "valign": "vcenter"})
        self.alert = workbook.add_format({"bg_color": ALERT_FILL, "font_color": ALERT_FONT})
        self.warn = workbook.add_format({"bg_color": WARN_FILL})
        self.meta = workbook.add_format({"font_name": FONT})


def _locked_header(locked: dict[str, Any], name: str) -> bool:
    return name in locked


def _locked_fund(locked: dict[str, Any], row_name: str, field_name: str) -> bool:
    return field_name in ((locked.get("funds") or {}).get(row_name) or {})


def _locked_indicator(locked: dict[str, Any], offset: int, field_name: str) -> bool:
    for item in locked.get("indicators") or ():
        if item.get("row") == offset:
            return field_name in item
    return False


def _escape_header(text: str) -> str:
    # "&" starts a code in Excel's page header; the header allows 255 characters
    return text.replace("&", "&&")[:200]


def _is_quantitative(target: str | None) -> bool:
    try:
        return isinstance(parse_measure(target), Quantity)
    except ValueError:
        return False


class FormWriter:
    """Writes the forms of one workbook, then its metadata sheet and names."""

    def __init__(self, path: str | os.PathLike, profile: Profile, *, secret: str | None = None,
                 password: str | None = None) -> None:
        self.path = str(path)
        self.profile = profile
        self.secret = secret
        self.password = password
        self.workbook = xlsxwriter.Workbook(self.path, {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "in_memory": True,
        })
        self.workbook.set_properties({"title": profile.title, "author": "jixiao",
                                      "comments": f"jixiao template v{L.TEMPLATE_VERSION}",
                                      "created": CREATED})
        self.formats = _Formats(self.workbook)
        self.specs: list[FormSpec] = []
        self.meta_rows: list[tuple[str, str, str]] = []

    # -- public -------------------------------------------------------------------------
    def add_form(self, spec: FormSpec) -> tuple[str, str]:
        """Write one form sheet; returns its (fingerprint kind, fingerprint)."""
        if spec.rows < max(1, len(spec.record.indicators)):
            raise ValueError("rows must hold every indicator")
        ws = self.workbook.add_worksheet(spec.sheet)
        _SheetWriter(self, ws, spec).write()
        kind, digest = fp.fingerprint(spec.locked, self.secret)
        record = spec.record
        money_unit = record.money_unit or self.profile.money_unit
        meta = {
            "template_version": L.TEMPLATE_VERSION,
            "profile": self.profile.name,
            "year": "" if record.year is None else str(record.year),
            "money_unit": money_unit,
            "form_id": spec.form_id,
            "rows": str(spec.rows),
            "fingerprint_kind": kind,
            "fingerprint": digest,
            "locked_values": fp.canonical_json(spec.locked),
        }
        self.meta_rows.extend((spec.sheet, key, meta[key]) for key in L.META_KEYS)
        self.specs.append(spec)
        return kind, digest

    def close(self) -> None:
        self._write_meta_sheet()
        self._define_field_names()
        self.workbook.close()

    # -- workbook parts -----------------------------------------------------------------
    def _write_meta_sheet(self) -> None:
        ws = self.workbook.add_worksheet(L.META_SHEET)
        fmt = self.formats.meta
        for col, text in enumerate(L.META_HEADER):
            ws.write_string(0, col, text, fmt)
        for r, (sheet, key, value) in enumerate(self.meta_rows, start=1):
            ws.write_string(r, 0, sheet, fmt)
            ws.write_string(r, 1, key, fmt)
            ws.write_string(r, 2, value, fmt)
        meta = quote_sheetname(L.META_SHEET)

        def define_list(name: str, col: int, header: str, items: tuple[str, ...]) -> None:
            ws.write_string(0, col, header, fmt)
            for r, item in enumerate(items, start=1):
                ws.write_string(r, col, item, fmt)
            letter = xl_col_to_name(col)
            self.workbook.define_name(
                name, f"={meta}!${letter}$2:${letter}${1 + max(len(items), 1)}")

        col = L.LIST_FIRST_COL
        define_list(L.LIST_LEVEL1, col, FIELD_LABELS["level1"],
                    tuple(self.profile.level1_names))
        for k, level1 in enumerate(self.profile.taxonomy, start=1):
            define_list(f"{L.LIST_LEVEL2_PREFIX}{k}", col + k, level1.name, level1.level2)
        define_list(L.LIST_BANDS, col + len(self.profile.taxonomy) + 1, "完成情况",
                    L.QUALITATIVE_BANDS)
        ws.very_hidden()

    def _define_field_names(self) -> None:
        scoped = len(self.specs) > 1
        for spec in self.specs:
            sheet = quote_sheetname(spec.sheet)
            positions = L.field_positions(spec.rows)
            for name, path in L.FIELD_NAMES.items():
                if path == ("indicators",):
                    first = L.INDICATOR_FIRST_ROW
                    ref = (f"${xl_col_to_name(1)}${first + 1}:"
                           f"${xl_col_to_name(L.LAST_COL)}${first + spec.rows}")
                else:
                    r, c = positions[path]
                    ref = xl_rowcol_to_cell(r, c, row_abs=True, col_abs=True)
                full_name = f"{sheet}!{name}" if scoped else name
                self.workbook.define_name(full_name, f"={sheet}!{ref}")


class _SheetWriter:
    """One form on one worksheet."""

    def __init__(self, owner: FormWriter, ws, spec: FormSpec) -> None:
        self.ws = ws
        self.f = owner.formats
        self.profile = owner.profile
        self.password = owner.password
        self.record = spec.record
        self.locked = spec.locked
        self.n = spec.rows
        self.first = L.INDICATOR_FIRST_ROW
        self.last = L.INDICATOR_FIRST_ROW + spec.rows - 1

    def write(self) -> None:
        self._columns()
        self._header()
        self._funds()
        self._goals()
        self._indicators()
        self._totals()
        self._stamp_line()
        self._validations()
        self._conditional_formats()
        self._print_setup()
        self.ws.protect(self.password or "", PROTECTION_OPTIONS)

    # -- cells ------------------------------------------------------------------------
    def _columns(self) -> None:
        for col, width in enumerate(COLUMN_WIDTHS):
            self.ws.set_column(col, col, width)

    def _header(self) -> None:
        ws, f, record = self.ws, self.f, self.record
        ws.set_row(0, 30)
        ws.merge_range(0, 0, 0, L.LAST_COL, record.title or self.profile.title, f.title)
        ws.set_row(1, 20)
        year_text = f"（{record.year}年度）" if record.year else "（    年度）"
        year_fmt = f.year if _locked_header(self.locked, "year") else f.year_input
        ws.merge_range(1, 0, 1, L.LAST_COL, year_text, year_fmt)

        def value_format(name: str):
            return f.text if _locked_header(self.locked, name) else f.text_input

        ws.write_string(2, 0, FIELD_LABELS["project"], f.label)
        ws.merge_range(2, 1, 2, L.LAST_COL, record.project or "", value_format("project"))
        ws.write_string(3, 0, FIELD_LABELS["department"], f.label)
        ws.merge_range(3, 1, 3, 4, record.department or "", value_format("department"))
        ws.write_string(3, 5, FIELD_LABELS["unit"], f.label)
        ws.merge_range(3, 6, 3, L.LAST_COL, record.unit or "", value_format("unit"))
        widths = {"project": sum(COLUMN_WIDTHS[1:]), "department": sum(COLUMN_WIDTHS[1:5]),
                  "unit": sum(COLUMN_WIDTHS[6:])}
        lines = max(_lines(getattr(record, k), w) for k, w in widths.items())
        for r in (2, 3):
            ws.set_row(r, _row_height(lines, 22))

    def _funds(self) -> None:
        ws, f, record = self.ws, self.f, self.record
        money_unit = record.money_unit or self.profile.money_unit
        ws.merge_range(4, 0, 8, 0, f"项目资金\n（{money_unit}）", f.label)
        ws.write_blank(4, 1, None, f.label)
        for name in ("initial", "budget", "executed", "weight", "rate_pct"):
            ws.write_string(4, L.FUND_COLUMNS[name], FIELD_LABELS[name], f.label)
        ws.merge_range(4, 7, 4, 8, FIELD_LABELS["score"], f.label)
        ws.set_row(4, 22)
        labels = {"total": "年度资金总额", "current_year": "其中：当年财政拨款",
                  "carryover": "上年结转资金", "other": "其他资金"}
        total_row = L.FUND_ROW_INDEX["total"]
        for row_name, r in L.FUND_ROW_INDEX.items():
            ws.set_row(r, 22)
            ws.write_string(r, 1, labels[row_name], f.label_left)
            row = getattr(record.funds, row_name)
            if row_name == "total":
                for name in ("initial", "budget", "executed"):
                    self._write_fund_sum(r, L.FUND_COLUMNS[name], name)
                ws.write_number(r, L.FUND_COLUMNS["weight"], self.profile.fund_weight, f.weight)
            else:
                for name in ("initial", "budget", "executed"):
                    fmt = f.amount if _locked_fund(self.locked, row_name, name) else f.amount_input
                    self._write_optional_number(r, L.FUND_COLUMNS[name], getattr(row, name), fmt)
                ws.write_string(r, L.FUND_COLUMNS["weight"], "—", f.text_center)
            budget, executed = self._fund_column_values(row_name)
            rate = execution_rate_pct(budget, executed)
            d, e = cell_ref(r, 3), cell_ref(r, 4)
            ws.write_formula(r, L.FUND_COLUMNS["rate_pct"], f'=IF({d}>0,{e}/{d},"")',
                             f.rate_formula, "" if rate is None else rate / 100)
            if row_name == "total":
                ws.merge_range(r, 7, r, 8, "", f.score_formula)
                score = fund_score(self.profile.fund_weight, budget, executed or 0)
                w = cell_ref(total_row, 5)
                ws.write_formula(r, 7, f"=IF({d}>0,ROUND({w}*MIN({e}/{d},1),2),0)",
                                 f.score_formula, score)
            else:
                ws.merge_range(r, 7, r, 8, "—", f.text_center)

    def _fund_column_values(self, row_name: str) -> tuple[float | None, float | None]:
        if row_name == "total":
            return self._source_sum("budget"), self._source_sum("executed")
        row = getattr(self.record.funds, row_name)
        return row.budget, row.executed

    def _source_sum(self, name: str) -> float:
        # what =SUM(x7:x9) gives: empty cells count as 0
        return round(sum(getattr(row, name) or 0 for _, row in self.record.funds.sources()), 10)

    def _write_fund_sum(self, r: int, col: int, name: str) -> None:
        first, last = cell_ref(r + 1, col), cell_ref(r + 3, col)
        self.ws.write_formula(r, col, f"=SUM({first}:{last})", self.f.amount_formula,
                              _excel_number(self._source_sum(name)))

    def _write_optional_number(self, r: int, c: int, value: float | None, fmt) -> None:
        if value is None:
            self.ws.write_blank(r, c, None, fmt)
        else:
            self.ws.write_number(r, c, value, fmt)

    def _goals(self) -> None:
        ws, f, record = self.ws, self.f, self.record
        ws.merge_range(9, 0, 10, 0, "年度总体目标", f.label)
        ws.merge_range(9, 1, 9, 4, FIELD_LABELS["goal_expected"], f.label)
        ws.merge_range(9, 5, 9, 8, FIELD_LABELS["goal_actual"], f.label)
        ws.set_row(9, 22)
        expected_fmt = f.text if _locked_header(self.locked, "goal_expected") else f.text_input_top
        ws.merge_range(10, 1, 10, 4, record.goal_expected or "", expected_fmt)
        ws.merge_range(10, 5, 10, 8, record.goal_actual or "", f.text_input_top)
        lines = max(_lines(record.goal_expected, sum(COLUMN_WIDTHS[1:5])),
                    _lines(record.goal_actual, sum(COLUMN_WIDTHS[5:])), 4)
        ws.set_row(10, _row_height(lines))

    def _indicators(self) -> None:
        ws, f = self.ws, self.f
        header = L.INDICATOR_HEADER_ROW
        if self.n > 1:
            ws.merge_range(header, 0, self.last, 0, "绩效指标", f.label)
        else:
            ws.merge_range(header, 0, header + 1, 0, "绩效指标", f.label)
        for name, col in L.INDICATOR_COLUMNS.items():
            ws.write_string(header, col, FIELD_LABELS[name], f.label)
        ws.set_row(header, 30)
        empty = Indicator()
        for offset in range(self.n):
            indicator = (self.record.indicators[offset]
                         if offset < len(self.record.indicators) else empty)
            self._indicator_row(self.first + offset, offset, indicator)

    def _indicator_row(self, r: int, offset: int, indicator: Indicator) -> None:
        ws, f = self.ws, self.f
        lines = 1
        for name, col in L.INDICATOR_COLUMNS.items():
            value = getattr(indicator, name)
            locked = _locked_indicator(self.locked, offset, name)
            if name in ("weight", "score"):
                if name == "weight":
                    fmt = f.weight if locked else f.weight_input
                else:
                    fmt = f.score_input
                self._write_optional_number(r, col, value, fmt)
                continue
            fmt = f.text if locked else f.text_input
            if value is None:
                ws.write_blank(r, col, None, fmt)
            else:
                ws.write_string(r, col, str(value), fmt)
                lines = max(lines, _lines(str(value), COLUMN_WIDTHS[col]))
        ws.set_row(r, _row_height(lines, 27))

    def _totals(self) -> None:
        ws, f, record = self.ws, self.f, self.record
        t, g = L.total_row(self.n), L.grade_row(self.n)
        weight_col, score_col = L.INDICATOR_COLUMNS["weight"], L.INDICATOR_COLUMNS["score"]
        weights = self._block(weight_col)
        scores = self._block(score_col)
        fund_weight_cell = cell_ref(L.FUND_ROW_INDEX["total"], L.FUND_COLUMNS["weight"])
        fund_score_cell = cell_ref(L.FUND_ROW_INDEX["total"], L.FUND_COLUMNS["score"])
        ws.merge_range(t, 0, t, 5, "总分", f.label)
        total_weight = round2(self.profile.fund_weight
                              + sum(i.weight or 0 for i in record.indicators))
        ws.write_formula(t, weight_col, f"={fund_weight_cell}+SUM({weights})",
                         f.weight_formula, _excel_number(total_weight))
        budget, executed = self._fund_column_values("total")
        fund = fund_score(self.profile.fund_weight, budget, executed or 0)
        declared = [i.score for i in record.indicators if i.score is not None]
        total_score = round2(fund + sum(declared))
        ws.write_formula(t, score_col, f"=ROUND({fund_score_cell}+SUM({scores}),2)",
                         f.score_formula, _excel_number(total_score))
        ws.write_blank(t, 8, None, f.text)
        ws.set_row(t, 22)
        ws.merge_range(g, 0, g, 5, "评分等级", f.label)
        ws.write_blank(g, weight_col, None, f.text)
        total_cell = cell_ref(t, score_col)
        grade = grade_of(total_score, self.profile) if declared else ""
        ws.write_formula(g, score_col, f'=IF(COUNT({scores})=0,"",{self._grade_formula(total_cell)})',
                         f.grade_formula, grade)
        ws.write_blank(g, 8, None, f.text)
        ws.set_row(g, 22)

    def _grade_formula(self, total_cell: str) -> str:
        grades = list(self.profile.grades)
        formula = f'"{grades[-1][0]}"'
        for grade, minimum in reversed(grades[:-1]):
            formula = f'IF({total_cell}>={_excel_number(minimum)},"{grade}",{formula})'
        return formula

    def _block(self, col: int) -> str:
        return f"{cell_ref(self.first, col)}:{cell_ref(self.last, col)}"

    def _stamp_line(self) -> None:
        r = L.grade_row(self.n) + 2
        gap = "\u3000"  # ideographic spaces: ASCII runs get collapsed by some renderers
        text = (f"填报单位（盖章）：{gap * 14}填报人：{gap * 8}联系电话：{gap * 8}"
                f"填报日期：{gap * 3}年{gap * 2}月{gap * 2}日")
        self.ws.merge_range(r, 0, r, L.LAST_COL, text, self.f.stamp)
        self.ws.set_row(r, 30)

    # -- validation, highlighting, printing --------------------------------------------
    def _validations(self) -> None:
        ws = self.ws
        amount_rows = (L.FUND_ROW_INDEX["current_year"], L.FUND_ROW_INDEX["other"])
        ws.data_validation(amount_rows[0], 2, amount_rows[1], 4, {
            "validate": "decimal", "criteria": ">=", "value": 0,
            "input_title": "金额", "input_message": "请填写金额（不小于 0），单位见“项目资金”栏。",
            "error_title": "金额有误", "error_message": "金额应为不小于 0 的数字。"})
        first, last = self.first, self.last
        col = L.INDICATOR_COLUMNS
        ws.data_validation(first, col["level1"], last, col["level1"], {
            "validate": "list", "source": f"={L.LIST_LEVEL1}",
            "input_title": "一级指标", "input_message": "请从下拉列表中选择一级指标。",
            "error_title": "一级指标有误", "error_message": "请选择本评价方案中的一级指标。"})
        level1_cell = xl_rowcol_to_cell(first, col["level1"], col_abs=True)
        ws.data_validation(first, col["level2"], last, col["level2"], {
            "validate": "list",
            "source": f'=INDIRECT("{L.LIST_LEVEL2_PREFIX}"&MATCH({level1_cell},{L.LIST_LEVEL1},0))',
            "input_title": "二级指标", "input_message": "请先选择一级指标，再从下拉列表中选择二级指标。",
            "error_title": "二级指标有误", "error_message": "二级指标应属于所选的一级指标。"})
        ws.data_validation(first, col["weight"], last, col["weight"], {
            "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
            "input_title": "分值", "input_message": "分值在 0 到 100 之间；资金分值与各指标分值合计应为 100。",
            "error_title": "分值有误", "error_message": "分值应在 0 到 100 之间。"})
        weight_cell = cell_ref(first, col["weight"])
        ws.data_validation(first, col["score"], last, col["score"], {
            "validate": "decimal", "criteria": "between", "minimum": 0,
            "maximum": f"={weight_cell}",
            "input_title": "得分", "input_message": "得分在 0 到本行分值之间；未满分请填写偏差原因。",
            "error_title": "得分有误", "error_message": "得分应在 0 到本行分值之间。"})
        self._actual_validations()

    def _actual_validations(self) -> None:
        """Qualitative rows are offered the three bands; anything else may still be typed."""
        col = L.INDICATOR_COLUMNS["actual"]
        band_options = {
            "validate": "list", "source": f"={L.LIST_BANDS}", "show_error": False,
            "input_title": "实际完成值",
            "input_message": "定性指标请选择完成情况；定量指标请填写实际数值及单位。"}
        quantity_options = {
            "validate": "any", "input_title": "实际完成值",
            "input_message": "请填写实际完成的数值及单位，与年度指标值的单位一致。"}
        kinds = [_is_quantitative(self.record.indicators[i].target)
                 if i < len(self.record.indicators) else False for i in range(self.n)]
        start = 0
        for i in range(1, self.n + 1):
            if i == self.n or kinds[i] != kinds[start]:
                options = quantity_options if kinds[start] else band_options
                self.ws.data_validation(self.first + start, col, self.first + i - 1, col,
                                        options)
                start = i

    def _conditional_formats(self) -> None:
        ws, f = self.ws, self.f
        rate_col = L.FUND_COLUMNS["rate_pct"]
        ws.conditional_format(L.FUND_ROW_INDEX["total"], rate_col, L.FUND_ROW_INDEX["other"],
                              rate_col, {"type": "formula",
                                         "criteria": f"=AND(ISNUMBER({cell_ref(5, rate_col)}),"
                                                     f"{cell_ref(5, rate_col)}>1)",
                                         "format": f.alert})
        col = L.INDICATOR_COLUMNS
        w, s, d = (cell_ref(self.first, col[k]) for k in ("weight", "score", "deviation"))
        ws.conditional_format(self.first, col["score"], self.last, col["score"], {
            "type": "formula", "criteria": f"=AND(ISNUMBER({s}),ISNUMBER({w}),{s}>{w})",
            "format": f.alert})
        ws.conditional_format(self.first, col["deviation"], self.last, col["deviation"], {
            "type": "formula",
            "criteria": f"=AND(ISNUMBER({s}),ISNUMBER({w}),{s}<{w},LEN(TRIM({d}))=0)",
            "format": f.warn})
        t = L.total_row(self.n)
        weights = (xl_rowcol_to_cell(self.first, col["weight"], True, True) + ":"
                   + xl_rowcol_to_cell(self.last, col["weight"], True, True))
        total_weight = cell_ref(t, col["weight"])
        ws.conditional_format(t, col["weight"], t, col["weight"], {
            "type": "formula",
            "criteria": f"=AND(COUNT({weights})>0,ROUND({total_weight},2)<>100)",
            "format": f.alert})

    def _print_setup(self) -> None:
        ws = self.ws
        ws.set_landscape()
        ws.set_paper(9)  # A4
        # A form of up to ONE_PAGE_ROWS indicators (the default blank has 20) prints on one
        # page, as units sign and stamp it; a longer one runs on, its header repeated.
        ws.fit_to_pages(1, 1 if self.n <= ONE_PAGE_ROWS else 0)
        ws.center_horizontally()
        # inches; the wide bottom margin leaves room for the unit's stamp
        ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.9)
        ws.repeat_rows(L.INDICATOR_HEADER_ROW)
        ws.print_area(0, 0, L.grade_row(self.n) + 2, L.LAST_COL)
        title = self.record.project or ""
        ws.set_header(f'&L&"{FONT}"&9{_escape_header(title)}', {"margin": 0.3})
        ws.set_footer(f'&C&"{FONT}"&9第 &P 页，共 &N 页', {"margin": 0.3})


#: indicator rows up to which a form is scaled to print on one page
ONE_PAGE_ROWS = 20


def write_forms(path: str | os.PathLike, specs: list[FormSpec], profile: Profile, *,
                secret: str | None = None, password: str | None = None) -> list[tuple[str, str]]:
    """Write ``specs`` into one workbook at ``path`` (via a temp file, then os.replace).

    Returns each form's (fingerprint kind, fingerprint).
    """
    with atomic_path(path) as tmp:
        writer = FormWriter(tmp, profile, secret=secret, password=password)
        prints = [writer.add_form(spec) for spec in specs]
        writer.close()
    return prints

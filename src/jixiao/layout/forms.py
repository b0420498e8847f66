"""Find every form in a sheet and read it into a FormRecord.

A form starts at its 项目名称 label; the title and the （YYYY年度） line just above belong to
it; it runs to the next form's first line. Inside, each block is found by its header
labels, so forms moved down or right, with notes above or a footer below, read the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jixiao.grid import Grid
from jixiao.layout.funds import find_fund_header, read_funds
from jixiao.layout.indicators import (
    IndicatorHeader,
    find_indicator_header,
    is_header_row,
    read_indicators,
)
from jixiao.layout.labels import (
    FUND_HEADER,
    GOAL_ACTUAL,
    GOAL_EXPECTED,
    GOAL_LABELS,
    GRADE_LABELS,
    HEAD_LABELS,
    TOTAL_LABELS,
    YEAR_LABELS,
    field_of,
    field_of_key,
    is_footer_key,
    split_code,
    title_text,
)
from jixiao.layout.sheet import Sheet
from jixiao.model import FormRecord
from jixiao.values import money_unit_of, normalize_label, parse_year

#: "2.", "二、", "（三）": a numbered section label that ends the goals
_SECTION_NUMBER = re.compile(r"^\s*(?:\d+\s*[.．、]|[一二三四五六七八九十]+\s*、|[(（]\s*[一二三四五六七八九十\d]+\s*[)）])")

#: rows above 项目名称 searched for the title and the year
HEAD_ROWS = 6
#: a form whose indicator header is further than this below 项目名称 is not one form
MAX_FORM_ROWS = 400


@dataclass
class _Head:
    anchor_row: int
    anchor_col: int
    start: int
    title: tuple[int, int, str] | None = None
    year: tuple[int, int, int] | None = None


def find_forms(grid: Grid) -> list[FormRecord]:
    """Every self-evaluation form found in one sheet, top to bottom ([] when none)."""
    sheet = Sheet(grid)
    trust_columns = bool(grid.merged)
    heads = _find_heads(sheet)
    records = []
    for i, head in enumerate(heads):
        stop = heads[i + 1].start if i + 1 < len(heads) else sheet.height
        record = _read_form(sheet, head, stop, trust_columns)
        if record is not None:
            records.append(record)
    return records


# ------------------------------------------------------------------ where forms are


def _find_heads(sheet: Sheet) -> list[_Head]:
    anchors = []
    project_keys = frozenset(HEAD_LABELS["project"])
    for r in range(sheet.height):
        keys = sheet.keys(r)
        joined = "".join(keys)  # most rows name no project: told by one search
        if not any(label in joined for label in project_keys):
            continue
        # "项目名称" in a cell of its own, or "项目名称：城区绿化养护" typed in one
        at = next((i for i, key in enumerate(keys) if key.partition(":")[0] in project_keys), None)
        if at is None:
            continue
        if sheet.fields(r, FUND_HEADER):
            continue  # the central export's fund header names its label column 项目名称
        anchors.append((r, sheet.cells(r)[at][0]))
    heads = []
    floor = 0
    for r, c in anchors:
        head = _Head(r, c, r)
        for hr in range(r - 1, max(floor, r - HEAD_ROWS) - 1, -1):
            cells, keys = sheet.cells(hr), sheet.keys(hr)
            if any(k.startswith(TOTAL_LABELS) or k in GRADE_LABELS or is_footer_key(k)
                   for k in keys[:2]):
                break  # the previous form's last rows
            for (hc, text), key in zip(cells, keys):
                if head.title is None and "自评表" in key:
                    head.title = (hr, hc, title_text(text) or text)
                    year = parse_year(text)
                    if year is not None and head.year is None:
                        head.year = (hr, hc, year)
                    head.start = hr
            if head.year is None:
                found = _year_in_row(cells, keys)
                if found is not None:
                    head.year = (hr, *found)
                    head.start = min(head.start, hr)
        heads.append(head)
        floor = r + 1
    return heads


# ------------------------------------------------------------------ one form


def _read_form(sheet: Sheet, head: _Head, stop: int, trust_columns: bool) -> FormRecord | None:
    body = range(head.anchor_row, stop)
    ind_header = find_indicator_header(sheet, body)
    fund_header = find_fund_header(sheet, body)
    if ind_header is None or "actual" not in ind_header.cols or (
            "score" not in ind_header.cols and "weight" not in ind_header.cols):
        # A target declaration (绩效目标申报表) or a monitoring sheet is not a self-evaluation.
        if fund_header is None or "executed" not in fund_header.cols:
            return None
    record = FormRecord(sheet=sheet.grid.name)
    first_col = head.anchor_col
    if head.title is not None:
        tr, tc, title = head.title
        record.title = title
        record.cells["title"] = sheet.ref(tr, tc)
        record.anchor = sheet.ref(tr, min(tc, first_col))
    else:
        record.anchor = sheet.ref(head.start, first_col)
    if head.year is not None:
        yr, yc, year = head.year
        record.year = year
        record.cells["year"] = sheet.ref(yr, yc)

    header_end = min(x.row for x in (fund_header, ind_header) if x is not None) \
        if (fund_header or ind_header) else stop
    _read_head_fields(sheet, range(head.anchor_row, header_end), record)
    if record.year is None:  # on the 项目名称 row or below it: "年度 | 2023", "所属年度 | 2023"
        for r in range(head.anchor_row, header_end):
            found = _year_in_row(sheet.cells(r), sheet.keys(r))
            if found is not None:
                record.year = found[1]
                record.cells["year"] = sheet.ref(r, found[0])
                break
    for name in ("project", "department", "unit"):
        if getattr(record, name) is not None:
            code, plain = split_code(getattr(record, name))
            if code is not None:
                setattr(record, name, plain)
                setattr(record, f"{name}_code", code)

    goal_row = _find_goal_header(sheet, body)
    if fund_header is not None:
        if fund_header.money_label is not None:
            record.money_unit = fund_header.money_unit
            record.cells["money_unit"] = sheet.ref(*fund_header.money_label)
        fund_stop = min(x for x in (goal_row, ind_header.row if ind_header else None, stop)
                        if x is not None and x > fund_header.row)
        record.funds = read_funds(sheet, fund_header, fund_stop)
        record.cells["funds"] = sheet.ref(fund_header.row, min(fund_header.cols.values()))
    if record.money_unit is None:
        _money_unit_elsewhere(sheet, range(head.start, header_end), record)

    if goal_row is not None:
        # the goals end where the next block starts (Sichuan puts them above the funds)
        later = [row for row in (fund_header.row if fund_header else None,
                                 _top(ind_header) if ind_header else None)
                 if row is not None and row > goal_row]
        goal_stop = min(later) if later else min(goal_row + 4, stop)
        _read_goals(sheet, goal_row, goal_stop, record)

    if ind_header is not None:
        block = read_indicators(sheet, ind_header, stop, trust_columns)
        record.indicators = block.indicators
        record.total_weight, record.total_score = block.total_weight, block.total_score
        record.grade = block.grade
        record.cells.update(block.cells)
        record.unparsed.update(block.unparsed)
    return record


def _top(header: IndicatorHeader) -> int:
    return header.top if header.top is not None else header.row


def _read_head_fields(sheet: Sheet, rows: range, record: FormRecord) -> None:
    for r in rows:
        cells, keys = sheet.cells(r), sheet.keys(r)
        for i, (c, text) in enumerate(cells):
            name = field_of_key(keys[i], HEAD_LABELS)
            if name is None:
                inline = _inline_label(text)
                if inline is not None and getattr(record, inline[0]) is None:
                    record.__setattr__(inline[0], inline[1])
                    record.cells[inline[0]] = sheet.ref(r, c)
                continue
            if getattr(record, name) is not None or name in record.cells:
                continue
            value_cell = None
            if i + 1 < len(cells) and field_of_key(keys[i + 1], HEAD_LABELS) is None:
                value_cell = cells[i + 1]
            if value_cell is not None:
                record.cells[name] = sheet.ref(r, value_cell[0])
                setattr(record, name, value_cell[1])
            else:
                record.cells[name] = sheet.ref(r, sheet.span_end(r, c) + 1)


# "（2023年）", "2023年度" alone in a cell: the year line under a title
_YEAR_LINE = re.compile(r"^\(?(?:19|20)\d{2}年度?\)?$")


def _year_in_row(cells: list[tuple[int, str]], keys: tuple[str, ...]) -> tuple[int, int] | None:
    """(column, year) of a row that states the form's year: "（2024年度）", "年度：2024",
    or a 年度 / 所属年度 label with the year in the next cell."""
    for i, ((c, text), key) in enumerate(zip(cells, keys)):
        if key in YEAR_LABELS and i + 1 < len(cells):
            year = parse_year(cells[i + 1][1])
            if year is not None:
                return cells[i + 1][0], year
        elif len(text) <= 16 and ("年度" in text or _YEAR_LINE.match(normalize_label(text))):
            year = parse_year(text)
            if year is not None:
                return c, year
    return None


def _inline_label(text: str) -> tuple[str, str] | None:
    """"项目名称：法律顾问费" typed in one cell."""
    for sep in ("：", ":"):
        if sep in text:
            label, _, value = text.partition(sep)
            value = value.strip()
            name = field_of(label, HEAD_LABELS)
            if name and value:
                return name, value
    return None


def _money_unit_elsewhere(sheet: Sheet, rows: range, record: FormRecord) -> None:
    # "单位：万元" noted above the form instead of in the 项目资金 label
    for r in rows:
        for c, text in sheet.cells(r):
            if "单位" in text or "项目资金" in text:
                unit = money_unit_of(text)
                if unit is not None:
                    record.money_unit = unit
                    record.cells["money_unit"] = sheet.ref(r, c)
                    return


def _find_goal_header(sheet: Sheet, rows: range) -> int | None:
    for r in rows:
        if any(k in GOAL_EXPECTED for k in sheet.keys(r)):
            return r
        if is_header_row(sheet, r):
            return None
    return None


def _read_goals(sheet: Sheet, header_row: int, stop: int, record: FormRecord) -> None:
    header = list(zip(sheet.cells(header_row), sheet.keys(header_row)))
    expected_col = next(c for (c, _), k in header if k in GOAL_EXPECTED)
    actual_col = next((c for (c, _), k in header if k in GOAL_ACTUAL), None)
    expected: list[str] = []
    actual: list[str] = []
    first_text_row = None
    for r in range(header_row + 1, stop):
        cells = sheet.cells(r)
        if cells and _SECTION_NUMBER.match(cells[0][1]):
            break  # "2.项目实施内容及过程概述": the next section of 项目基本情况
        for (c, text), key in zip(cells, sheet.keys(r)):
            if c < expected_col or key in GOAL_LABELS:
                continue
            if first_text_row is None:
                first_text_row = r
            (actual if actual_col is not None and c >= actual_col else expected).append(text)
    row = first_text_row if first_text_row is not None else header_row + 1
    record.cells["goal_expected"] = sheet.ref(row, expected_col)
    if actual_col is not None:
        record.cells["goal_actual"] = sheet.ref(row, actual_col)
    record.goal_expected = "\n".join(expected) or None
    record.goal_actual = "\n".join(actual) or None


__all__ = ["find_forms", "IndicatorHeader"]

"""Test fixtures: write form records (schema dicts) as workbooks in the layouts seen in reality.

- ``write_shanghai_xlsx``: the Shanghai 9-column form (A–I, docs/FORM.md §5) with its merged cells;
  one form per sheet or several stacked in one sheet, optionally moved down/right with a
  note above and a 填报人 footer below; numbers optionally typed as text.
- ``write_central_xls``: the central system's 11-column export (A–K), merged as in the real
  exports, 执行率 a fraction in a %-formatted merged I:J cell, 本年财政拨款, no 评分等级.
- ``write_local_variant_xlsx``: separate 指标性质 / 度量单位 columns and a fund header with
  调整后预算数.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter
import xlwt

from jixiao.values import format_number

FUND_LABELS_SHANGHAI = ("年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金")
FUND_LABELS_CENTRAL = ("年度资金总额", "其中：本年财政拨款", "上年结转资金", "其他资金")
FUND_KEYS = ("total", "current_year", "carryover", "other")


def _money_label(record: dict) -> str:
    return f"项目资金（{record.get('money_unit') or '万元'}）"


def _rate_fraction(rate_pct: float | None) -> float | None:
    return None if rate_pct is None else rate_pct / 100


def equal_runs(values: list[Any]) -> list[tuple[int, int]]:
    """(start, end) index runs of equal consecutive values (for vertical merges)."""
    runs, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            runs.append((start, i - 1))
            start = i
    return runs


def _as_text(value: float) -> str:
    # "17,095,328.2", "9,000": how units type amounts into text cells
    whole, _, frac = format_number(value).partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    grouped = f"{int(digits):,}"
    return sign + grouped + ("." + frac if frac else "")


# ------------------------------------------------------------------ Shanghai 9 columns


class _XlsxSheet:
    """Writes cells at an offset, numbers optionally as text; merges like Excel."""

    def __init__(self, ws, fmt, pct_fmt, row0: int, col0: int, numbers_as_text: bool):
        self.ws, self.fmt, self.pct_fmt = ws, fmt, pct_fmt
        self.row0, self.col0, self.numbers_as_text = row0, col0, numbers_as_text

    def put(self, r: int, c: int, value: Any, pct: bool = False) -> None:
        r, c = r + self.row0, c + self.col0
        if value is None:
            self.ws.write_blank(r, c, None, self.fmt)
        elif isinstance(value, str):
            self.ws.write_string(r, c, value, self.fmt)
        elif self.numbers_as_text:
            text = f"{format_number(value * 100)}%" if pct else _as_text(value)
            self.ws.write_string(r, c, text, self.fmt)
        else:
            self.ws.write_number(r, c, value, self.pct_fmt if pct else self.fmt)

    def merge(self, r1: int, c1: int, r2: int, c2: int, value: Any, pct: bool = False) -> None:
        if (r1, c1) == (r2, c2):
            self.put(r1, c1, value, pct)
            return
        self.ws.merge_range(r1 + self.row0, c1 + self.col0, r2 + self.row0, c2 + self.col0, "",
                            self.pct_fmt if pct else self.fmt)
        self.put(r1, c1, value, pct)


def _write_shanghai_form(s: _XlsxSheet, record: dict, top: int, grade_row: bool = True) -> int:
    """Write one form with its top row at `top`; returns the first row after it."""
    title = record.get("title") or "财政项目支出绩效自评表"
    s.merge(top, 0, top, 8, title)
    year = record.get("year")
    s.merge(top + 1, 0, top + 1, 8, f"（{year}年度）" if year else None)
    s.put(top + 2, 0, "项目名称")
    s.merge(top + 2, 1, top + 2, 8, record.get("project"))
    s.put(top + 3, 0, "主管部门")
    s.merge(top + 3, 1, top + 3, 4, record.get("department"))
    s.put(top + 3, 5, "实施单位")
    s.merge(top + 3, 6, top + 3, 8, record.get("unit"))
    f = top + 4
    s.merge(f, 0, f + 4, 0, _money_label(record))
    for c, label in enumerate(("年初预算数", "全年预算数", "全年执行数", "分值", "执行率"), start=2):
        s.put(f, c, label)
    s.merge(f, 7, f, 8, "得分")
    for i, (key, label) in enumerate(zip(FUND_KEYS, FUND_LABELS_SHANGHAI), start=1):
        row = record["funds"][key]
        s.put(f + i, 1, label)
        s.put(f + i, 2, row["initial"])
        s.put(f + i, 3, row["budget"])
        s.put(f + i, 4, row["executed"])
        s.put(f + i, 5, row["weight"] if row["weight"] is not None or key == "total" else "—")
        s.put(f + i, 6, _rate_fraction(row["rate_pct"]), pct=True)
        score = row["score"] if row["score"] is not None or key == "total" else "—"
        s.merge(f + i, 7, f + i, 8, score)
    g = f + 5
    s.merge(g, 0, g + 1, 0, "年度总体目标")
    s.merge(g, 1, g, 4, "预期目标")
    s.merge(g, 5, g, 8, "实际完成情况")
    s.merge(g + 1, 1, g + 1, 4, record.get("goal_expected"))
    s.merge(g + 1, 5, g + 1, 8, record.get("goal_actual"))
    h = g + 2
    indicators = record["indicators"]
    n = len(indicators)
    s.merge(h, 0, h + n, 0, "绩效指标")
    labels = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
              "偏差原因分析及改进措施")
    for c, label in enumerate(labels, start=1):
        s.put(h, c, label)
    level1 = [ind["level1"] for ind in indicators]
    level12 = [(ind["level1"], ind["level2"]) for ind in indicators]
    for a, b in equal_runs(level1):
        s.merge(h + 1 + a, 1, h + 1 + b, 1, level1[a])
    for a, b in equal_runs(level12):
        s.merge(h + 1 + a, 2, h + 1 + b, 2, level12[a][1])
    for i, ind in enumerate(indicators, start=1):
        for c, key in enumerate(("name", "target", "actual", "weight", "score", "deviation"), 3):
            s.put(h + i, c, ind[key])
    t = h + n + 1
    s.merge(t, 0, t, 5, "总分")
    s.put(t, 6, record.get("total_weight"))
    s.merge(t, 7, t, 8, record.get("total_score"))
    if not grade_row:
        return t + 1
    s.merge(t + 1, 0, t + 1, 6, "评分等级")
    s.merge(t + 1, 7, t + 1, 8, record.get("grade"))
    return t + 2


def write_shanghai_xlsx(path: str | Path, records: list[dict], *, stacked: bool = False,
                        offset: tuple[int, int] = (0, 0), note: str | None = None,
                        footer: str | None = None, numbers_as_text: bool = False,
                        sheet_name: str = "自评表") -> Path:
    """One form per sheet (自评表1, 自评表2 …) or, with ``stacked``, all in one sheet."""
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                         "strings_to_numbers": False, "strings_to_urls": False})
    fmt = wb.add_format({"text_wrap": True, "valign": "vcenter", "border": 1})
    pct_fmt = wb.add_format({"num_format": "0.00%", "border": 1})
    groups = [records] if stacked else [[r] for r in records]
    for i, group in enumerate(groups, start=1):
        ws = wb.add_worksheet(sheet_name if stacked else f"{sheet_name}{i}")
        s = _XlsxSheet(ws, fmt, pct_fmt, offset[0], offset[1], numbers_as_text)
        row = 0
        for record in group:
            if note:
                s.put(row, 0, note)
                row += 2
            row = _write_shanghai_form(s, record, row)
            if footer:
                s.put(row + 1, 0, footer)
                row += 2
            row += 2  # blank spacer rows between stacked forms
    wb.close()
    return path


# ------------------------------------------------------------------ central 11 columns (.xls)


def write_central_xls(path: str | Path, records: list[dict]) -> Path:
    """The central system's export: each form on a sheet named 项目支出绩效自评表[n],
    beside a non-form sheet, as the real exports hold many sheets."""
    path = Path(path)
    wb = xlwt.Workbook(encoding="utf-8")
    other = wb.add_sheet("项目基本信息")
    other.write(0, 0, "项目基本信息")
    other.write(1, 0, "项目名称")
    other.write(1, 1, records[0].get("project") if records else "")
    pct = xlwt.easyxf(num_format_str="0.00%")
    for i, record in enumerate(records):
        ws = wb.add_sheet("项目支出绩效自评表" if i == 0 else f"项目支出绩效自评表{i + 1}")
        _write_central_form(ws, record, pct)
    wb.save(str(path))
    return path


def _xls_value(ws, r: int, c: int, value: Any, style=None) -> None:
    if value is None:
        return
    if style is not None:
        ws.write(r, c, value, style)
    else:
        ws.write(r, c, value)


def _xls_merge(ws, r1, r2, c1, c2, value, style=None) -> None:
    if (r1, c1) == (r2, c2):
        _xls_value(ws, r1, c1, value, style)
    elif style is not None:
        ws.write_merge(r1, r2, c1, c2, value if value is not None else "", style)
    else:
        ws.write_merge(r1, r2, c1, c2, value if value is not None else "")


def _write_central_form(ws, record: dict, pct) -> None:
    _xls_merge(ws, 0, 0, 0, 10, record.get("title") or "项目支出绩效自评表")
    year = record.get("year")
    _xls_merge(ws, 1, 1, 0, 10, f"({year}年度)" if year else None)
    _xls_merge(ws, 3, 3, 0, 1, "项目名称")
    _xls_merge(ws, 3, 3, 2, 10, record.get("project"))
    _xls_merge(ws, 4, 4, 0, 1, "主管部门")
    _xls_merge(ws, 4, 4, 2, 4, record.get("department"))
    _xls_value(ws, 4, 5, "实施单位")
    _xls_merge(ws, 4, 4, 6, 10, record.get("unit"))
    _xls_merge(ws, 5, 5, 0, 1, _money_label(record))
    _xls_merge(ws, 5, 5, 2, 3, "项目名称")  # as the real export labels its fund-row column
    for c, label in ((4, "年初预算数"), (5, "全年预算数"), (6, "全年执行数"), (7, "分值"), (10, "得分")):
        _xls_value(ws, 5, c, label)
    _xls_merge(ws, 5, 5, 8, 9, "执行率")
    for i, (key, label) in enumerate(zip(FUND_KEYS, FUND_LABELS_CENTRAL), start=6):
        row = record["funds"][key]
        _xls_merge(ws, i, i, 2, 3, label)
        for c, name in ((4, "initial"), (5, "budget"), (6, "executed"), (7, "weight"), (10, "score")):
            _xls_value(ws, i, c, row[name])
        _xls_merge(ws, i, i, 8, 9, _rate_fraction(row["rate_pct"]), pct)
    _xls_merge(ws, 10, 11, 0, 0, "年度总体目标")
    _xls_merge(ws, 10, 10, 1, 5, "预期目标")
    _xls_merge(ws, 10, 10, 6, 10, "实际完成情况")
    _xls_merge(ws, 11, 11, 1, 5, record.get("goal_expected"))
    _xls_merge(ws, 11, 11, 6, 10, record.get("goal_actual"))
    _xls_value(ws, 12, 0, "绩效指标")
    for c, label in ((1, "一级指标"), (2, "二级指标"), (5, "年度指标值"), (6, "实际完成值"),
                     (7, "分值"), (8, "得分")):
        _xls_value(ws, 12, c, label)
    _xls_merge(ws, 12, 12, 3, 4, "三级指标")
    _xls_merge(ws, 12, 12, 9, 10, "偏差原因分析及改进措施")
    indicators = record["indicators"]
    level1 = [ind["level1"] for ind in indicators]
    level12 = [(ind["level1"], ind["level2"]) for ind in indicators]
    for a, b in equal_runs(level1):
        _xls_merge(ws, 13 + a, 13 + b, 1, 1, level1[a])
    for a, b in equal_runs(level12):
        _xls_merge(ws, 13 + a, 13 + b, 2, 2, level12[a][1])
    for i, ind in enumerate(indicators, start=13):
        _xls_merge(ws, i, i, 3, 4, ind["name"])
        for c, key in ((5, "target"), (6, "actual"), (7, "weight"), (8, "score")):
            _xls_value(ws, i, c, ind[key])
        _xls_merge(ws, i, i, 9, 10, ind["deviation"])
    t = 13 + len(indicators)
    _xls_merge(ws, t, t, 0, 6, "总分")
    _xls_value(ws, t, 7, record.get("total_weight"))
    _xls_value(ws, t, 8, record.get("total_score"))
    _xls_merge(ws, t, t, 9, 10, None)


# ------------------------------------------------------------------ local variant


def write_local_variant_xlsx(path: str | Path, form: dict) -> Path:
    """A local form: 调整后预算数, and each indicator as 指标性质 | 指标值 | 度量单位.

    ``form`` is a schema dict whose indicators carry ``op``, ``value`` and ``unit`` (the three
    separate columns) instead of ``target``, and ``actual_value`` instead of ``actual``.
    The form starts at B3 under a note, with 项目名称： labels typed with a colon.
    """
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
    ws = wb.add_worksheet("绩效自评")
    ws.write_string(0, 0, "附件3：项目支出绩效自评表（区级）")
    r, c = 2, 1
    ws.merge_range(r, c, r, c + 10, form["title"])
    ws.merge_range(r + 1, c, r + 1, c + 10, f"（{form['year']}年度）")
    ws.write_string(r + 2, c, "项目名称：")
    ws.merge_range(r + 2, c + 1, r + 2, c + 10, form["project"])
    ws.write_string(r + 3, c, "主管部门：")
    ws.merge_range(r + 3, c + 1, r + 3, c + 4, form["department"])
    ws.write_string(r + 3, c + 5, "实施单位：")
    ws.merge_range(r + 3, c + 6, r + 3, c + 10, form["unit"])
    f = r + 4
    ws.merge_range(f, c, f + 4, c, "预算执行情况（万元）")
    for i, label in enumerate(("年初预算数", "调整后预算数", "全年执行数", "分值", "执行率(%)", "得分")):
        ws.write_string(f, c + 2 + i, label)
    for i, (key, label) in enumerate(zip(FUND_KEYS, FUND_LABELS_SHANGHAI), start=1):
        row = form["funds"][key]
        ws.write_string(f + i, c + 1, label)
        for j, name in enumerate(("initial", "budget", "executed", "weight", "rate_pct", "score")):
            if row[name] is not None:
                ws.write_number(f + i, c + 2 + j, row[name])
    g = f + 5
    ws.write_string(g, c, "年度总体目标")
    ws.merge_range(g, c + 1, g, c + 5, "预期目标")
    ws.merge_range(g, c + 6, g, c + 10, "实际完成情况")
    ws.merge_range(g + 1, c + 1, g + 1, c + 5, form["goal_expected"])
    ws.merge_range(g + 1, c + 6, g + 1, c + 10, form["goal_actual"])
    h = g + 2
    labels = ("一级指标", "二级指标", "三级指标", "指标性质", "年度指标值", "度量单位", "实际完成值",
              "分值", "得分", "偏差原因分析及改进措施")
    ws.write_string(h, c, "绩效指标")
    for i, label in enumerate(labels, start=1):
        ws.write_string(h, c + i, label)
    for i, ind in enumerate(form["indicators"], start=1):
        values = (ind["level1"], ind["level2"], ind["name"], ind["op"], ind["value"], ind["unit"],
                  ind["actual_value"], ind["weight"], ind["score"], ind["deviation"])
        for j, value in enumerate(values, start=1):
            if isinstance(value, str):
                ws.write_string(h + i, c + j, value)
            elif value is not None:
                ws.write_number(h + i, c + j, value)
    t = h + len(form["indicators"]) + 1
    ws.merge_range(t, c, t, c + 7, "总分")
    ws.write_number(t, c + 8, form["total_weight"])
    ws.write_number(t, c + 9, form["total_score"])
    ws.write_string(t + 1, c, "评分等级")
    ws.write_string(t + 1, c + 9, form["grade"])
    ws.write_string(t + 3, c, "填报人：王五　　联系电话：021-12345678　　填报日期：2024年1月10日")
    wb.close()
    return path

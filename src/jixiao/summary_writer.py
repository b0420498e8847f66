"""The summary workbook of ``jixiao merge`` (xlsxwriter, streaming).

Rows are written as they come (xlsxwriter's constant_memory mode), so memory does not grow
with the number of forms. That mode cannot make Excel "tables" (ListObjects), so every
sheet is made a table by hand: a bold header row, an autofilter over all rows, the header
frozen, column widths and number formats per column kind.

Every text from a returned form is written with ``write_string`` and the workbook is
opened with ``strings_to_formulas/numbers/urls`` off, so a 项目名称 "=HYPERLINK(...)" or
"+cmd" stays text. The creation date is fixed so that the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

from jixiao.merge.columns import TABLES, UNIT_SUBMISSION_COLUMNS, Column

#: Excel refuses longer cells
MAX_CELL_CHARS = 32767
#: a fixed creation date: two runs over the same inputs give identical files
FIXED_CREATED = dt.datetime(2000, 1, 1)
STATS_SHEET = "统计"
#: units shown in the findings-by-unit chart (the table lists all)
CHART_UNITS = 20

_NUMBER_FORMATS = {"amount": "#,##0.00", "rate": "0.00", "score": "0.00", "int": "0", "share": "0.0%"}
_DEFAULT_WIDTHS = {"amount": 14, "rate": 11, "score": 10, "int": 8, "text": 16}


class _Sheet:
    def __init__(self, ws: Any, columns: tuple[Column, ...], first_col: int = 0) -> None:
        self.ws = ws
        self.columns = columns
        self.first_col = first_col
        self.next_row = 1


class SummaryWorkbook:
    """Open with the output path; ``add(table, row)`` in order; ``close(stats, ...)``."""

    def __init__(self, path: str | os.PathLike, *, with_submissions: bool = False) -> None:
        import xlsxwriter

        self.path = Path(path)
        fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.stem}-", suffix=".xlsx.tmp",
                                         dir=self.path.parent)
        os.close(fd)
        self.wb = xlsxwriter.Workbook(self._tmp, {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": True,
        })
        self.wb.set_properties({"title": "项目支出绩效自评表汇总", "created": FIXED_CREATED})
        self.header_fmt = self.wb.add_format({
            "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
            "align": "center", "valign": "vcenter"})
        self.title_fmt = self.wb.add_format({"bold": True, "font_size": 12})
        self.formats = {kind: self.wb.add_format({"num_format": f}) for kind, f in _NUMBER_FORMATS.items()}
        self.sheets: dict[str, _Sheet] = {}
        self._submissions: list[tuple] = []
        for table, (title, columns) in TABLES.items():
            if table == "unreadable":
                self.stats_ws = self.wb.add_worksheet(STATS_SHEET)
            if table == "submissions" and not with_submissions:
                continue
            ws = self.wb.add_worksheet(title)
            self.sheets[table] = _Sheet(ws, columns)
            if table != "submissions":  # written at close, beside its per-unit counts
                self._header(ws, 0, columns)

    # ------------------------------------------------------------ cells

    def _header(self, ws: Any, row: int, columns: tuple[Column, ...], first_col: int = 0) -> None:
        ws.set_row(row, 30)
        for c, col in enumerate(columns, start=first_col):
            ws.write_string(row, c, col.label, self.header_fmt)
            ws.set_column(c, c, col.width or _DEFAULT_WIDTHS.get(col.kind, 12))

    def _write_row(self, ws: Any, r: int, row: tuple, columns: tuple[Column, ...], first_col: int = 0) -> None:
        formats = self.formats
        for c, (value, col) in enumerate(zip(row, columns), start=first_col):
            if value is None:
                continue
            if isinstance(value, str):
                if value:
                    ws.write_string(r, c, value[:MAX_CELL_CHARS])
            else:
                ws.write_number(r, c, value, formats.get(col.kind))

    def add(self, table: str, row: tuple) -> None:
        if table == "submissions":
            self._submissions.append(row)
            return
        sheet = self.sheets[table]
        self._write_row(sheet.ws, sheet.next_row, row, sheet.columns)
        sheet.next_row += 1

    # ------------------------------------------------------------ closing

    def close(self, stats: Any, *, grade_order: list[str], overview: list[tuple[str, Any]],
              unit_submissions: list[tuple] | None = None) -> None:
        if "submissions" in self.sheets:
            self._write_submissions(unit_submissions or [])
        for sheet in self.sheets.values():
            last = max(sheet.next_row - 1, 1)
            sheet.ws.autofilter(0, 0, last, len(sheet.columns) - 1)
            sheet.ws.freeze_panes(1, 0)
        self._write_stats(stats, grade_order, overview)
        try:
            self.wb.close()
            os.replace(self._tmp, self.path)
        except BaseException:
            Path(self._tmp).unlink(missing_ok=True)
            raise

    def abort(self) -> None:
        try:
            self.wb.close()
        except Exception:
            pass
        Path(self._tmp).unlink(missing_ok=True)

    def _write_submissions(self, unit_rows: list[tuple]) -> None:
        sheet = self.sheets["submissions"]
        ws, columns = sheet.ws, sheet.columns
        gap = len(columns) + 1  # the per-unit table sits right of the list, one column apart
        self._header(ws, 0, columns)
        self._header(ws, 0, UNIT_SUBMISSION_COLUMNS, gap)
        for r in range(1, max(len(self._submissions), len(unit_rows)) + 1):
            if r <= len(self._submissions):
                self._write_row(ws, r, self._submissions[r - 1], columns)
            if r <= len(unit_rows):
                self._write_row(ws, r, unit_rows[r - 1], UNIT_SUBMISSION_COLUMNS, gap)
        sheet.next_row = len(self._submissions) + 1

    def _write_stats(self, stats: Any, grade_order: list[str], overview: list[tuple[str, Any]]) -> None:
        ws = self.stats_ws
        ws.set_column(0, 0, 26)
        ws.set_column(1, 5, 11)
        ws.set_column(2, 2, 40)
        row = 0
        ws.write_string(row, 0, "概况", self.title_fmt)
        for label, value in overview:
            row += 1
            ws.write_string(row, 0, label)
            ws.write_number(row, 1, value, self.formats["int"])
        row += 2
        share = ("share", "占比")
        row = self._stats_block(row, "评分等级分布（按复核总分）", ("等级", "项目数", share),
                                stats.grade_rows(grade_order), "column", "项目数")
        row = self._stats_block(row, "预算执行率分布（按复核执行率）", ("执行率区间", "项目数", share),
                                stats.rate_rows(), "column", "项目数")
        row = self._stats_block(row, "问题按代码统计", ("代码", "级别", "检查内容", "问题数"),
                                stats.code_rows(), "bar", "问题数")
        self._stats_block(row, "问题按实施单位统计", ("实施单位", "项目数", "错误", "警告", "提示", "合计"),
                          stats.unit_rows(), "bar", f"问题数（前 {CHART_UNITS} 个单位）",
                          chart_rows=CHART_UNITS)

    def _stats_block(self, row: int, title: str, header: tuple, rows: list[tuple], chart_type: str,
                     series_name: str, chart_rows: int | None = None) -> int:
        """A titled table with a native chart of its last numeric column beside it."""
        ws = self.stats_ws
        ws.write_string(row, 0, title, self.title_fmt)
        head = row + 1
        kinds = []
        for c, h in enumerate(header):
            kind, label = h if isinstance(h, tuple) else ("int", h)
            kinds.append(kind)
            ws.write_string(head, c, label, self.header_fmt)
        for i, values in enumerate(rows, start=head + 1):
            for c, v in enumerate(values):
                if isinstance(v, str):
                    ws.write_string(i, c, v)
                elif v is not None:
                    ws.write_number(i, c, v, self.formats[kinds[c] if c else "int"])
        if rows:
            shown = len(rows) if chart_rows is None else min(chart_rows, len(rows))
            value_col = len(header) - 1 if kinds[-1] != "share" else len(header) - 2
            chart = self.wb.add_chart({"type": chart_type})
            chart.add_series({
                "name": series_name,
                "categories": [STATS_SHEET, head + 1, 0, head + shown, 0],
                "values": [STATS_SHEET, head + 1, value_col, head + shown, value_col],
                "data_labels": {"value": True},
            })
            chart.set_title({"name": title})
            chart.set_legend({"none": True})
            height = 300 if chart_type == "column" else max(300, 22 * shown + 80)
            chart.set_size({"width": 560, "height": height})
            ws.insert_chart(row, 7, chart)
            chart_rows_used = height // 20 + 2
        else:
            chart_rows_used = 0
        return max(head + len(rows) + 2, row + chart_rows_used)

"""The summary workbook of ``jixiao merge``.

xlsxwriter writes the workbook: sheets, Excel tables (header, filter buttons, banded
rows), frozen header rows, column widths and number formats, the 统计 sheet with its
native charts. The data rows of the big sheets (200,000 indicator rows for 10,000 forms)
do not go through xlsxwriter's per-cell API, which writes about 200,000 cells/s and would
take most of a merge: they are streamed, already as sheet XML, into a temporary file per
sheet and spliced into the sheet's ``<sheetData>`` when the package is assembled. Memory
therefore stays flat whatever the number of rows.

Every text from a returned form is written as an inline string (``t="inlineStr"``), never
as a formula, so a 项目名称 "=HYPERLINK(...)" or "+cmd" stays text; xlsxwriter's own cells
are written with ``strings_to_formulas/numbers/urls`` off. The creation date is fixed so
that the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from jixiao.io.atomic import atomic_path
from jixiao.io.grid import column_letter
from jixiao.merge.columns import TABLES, UNIT_SUBMISSION_COLUMNS, Column

#: Excel refuses longer cells
MAX_CELL_CHARS = 32767
#: a fixed creation date: two runs over the same inputs give identical files
FIXED_CREATED = dt.datetime(2000, 1, 1)
STATS_SHEET = "统计"
#: units shown in the findings-by-unit chart (the table lists all)
CHART_UNITS = 20
TABLE_STYLE = "Table Style Light 9"
#: ASCII names of the Excel tables (ListObjects) of each sheet
TABLE_NAMES = {"projects": "项目汇总表", "indicators": "指标明细表", "findings": "问题清单表",
               "unreadable": "未读取文件表", "submissions": "报送情况表"}

_NUMBER_FORMATS = {"amount": "#,##0.00", "rate": "0.00", "score": "0.00", "int": "0", "share": "0.0%"}
_DEFAULT_WIDTHS = {"amount": 14, "rate": 11, "score": 10, "int": 8, "text": 16}
#: streamed (spliced) sheets; the others are small and written through xlsxwriter
_STREAMED = ("projects", "indicators", "findings", "unreadable")

# Characters XML 1.0 cannot carry: Excel's own escape for them is _xHHHH_.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value: str) -> str:
    """A string as the content of <t>: escaped, illegal characters as _xHHHH_, ≤ 32,767."""
    s = value[:MAX_CELL_CHARS]
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    if "\r" in s:  # a raw CR would be read back as LF
        s = s.replace("\r", "&#13;")
    if _XML_ILLEGAL.search(s):
        s = _XML_ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", s)
    return s


class _RowStream:
    """Rows of one sheet as <row> XML in a temporary file, numbered from row 2."""

    def __init__(self, columns: tuple[Column, ...], styles: dict[str, int]) -> None:
        self.columns = columns
        self.rows = 0
        self._fh = tempfile.TemporaryFile(prefix="jixiao-sheet-")
        self._letters = [column_letter(c) for c in range(len(columns))]
        self._styles = [styles.get(c.kind, 0) for c in columns]
        self._buffer: list[str] = []

    def add(self, row: tuple) -> None:
        self.rows += 1
        r = self.rows + 1
        cells = [f'<row r="{r}">']
        append = cells.append
        for value, letter, style in zip(row, self._letters, self._styles):
            if value is None:
                continue
            if isinstance(value, str):
                if not value:
                    continue
                if value.isprintable() and "&" not in value and "<" not in value and ">" not in value \
                        and value[0] != " " and value[-1] != " " and len(value) <= MAX_CELL_CHARS:
                    append(f'<c r="{letter}{r}" t="inlineStr"><is><t>{value}</t></is></c>')
                    continue
                space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
                append(f'<c r="{letter}{r}" t="inlineStr"><is><t{space}>{xml_text(value)}</t></is></c>')
            elif style:
                append(f'<c r="{letter}{r}" s="{style}"><v>{value!r}</v></c>')
            else:
                append(f'<c r="{letter}{r}"><v>{value!r}</v></c>')
        append("</row>")
        self._buffer.append("".join(cells))
        if len(self._buffer) >= 2000:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            self._fh.write("".join(self._buffer).encode("utf-8", "surrogatepass"))
            self._buffer.clear()

    def copy_to(self, out) -> None:
        self.flush()
        self._fh.seek(0)
        shutil.copyfileobj(self._fh, out, 1024 * 1024)

    def close(self) -> None:
        self._fh.close()


class SummaryWorkbook:
    """Open with the output path; ``add(table, row)`` in order; ``close(stats, ...)``."""

    def __init__(self, path: str | os.PathLike, *, with_submissions: bool = False) -> None:
        import xlsxwriter

        self.path = Path(path)
        fd, self._skeleton = tempfile.mkstemp(prefix=f".{self.path.stem}-", suffix=".skeleton.xlsx",
                                              dir=self.path.parent)
        os.close(fd)
        self.wb = xlsxwriter.Workbook(self._skeleton, {
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": True,
        })
        self.wb.set_properties({"title": "项目支出绩效自评表汇总", "created": FIXED_CREATED})
        self.title_fmt = self.wb.add_format({"bold": True, "font_size": 12})
        self.header_fmt = self.wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                              "align": "center"})
        self.formats = {kind: self.wb.add_format({"num_format": f}) for kind, f in _NUMBER_FORMATS.items()}
        # The style index a streamed cell refers to (xlsxwriter numbers formats on first use).
        styles = {kind: fmt._get_xf_index() for kind, fmt in self.formats.items()}
        self.worksheets: dict[str, Any] = {}
        self.streams: dict[str, _RowStream] = {}
        self._submissions: list[tuple] = []
        self.stats_ws = None
        for table, (title, columns) in TABLES.items():
            if table == "unreadable":
                self.stats_ws = self.wb.add_worksheet(STATS_SHEET)
            if table == "submissions" and not with_submissions:
                continue
            self.worksheets[table] = self.wb.add_worksheet(title)
            if table in _STREAMED:
                self.streams[table] = _RowStream(columns, styles)

    def add(self, table: str, row: tuple) -> None:
        if table == "submissions":
            self._submissions.append(row)
        else:
            self.streams[table].add(row)

    # ------------------------------------------------------------ closing

    def close(self, stats: Any, *, grade_order: list[str], overview: list[tuple[str, Any]],
              unit_submissions: list[tuple] | None = None) -> None:
        try:
            for table, stream in self.streams.items():
                # Declared over header + one row: xlsxwriter keeps an entry per cell of a
                # table's range (500 MB for 200,000 rows); the real extent is patched in
                # when the package is assembled.
                self._table(self.worksheets[table], table, TABLES[table][1], 1)
            if "submissions" in self.worksheets:
                self._write_submissions(unit_submissions or [])
            self._write_stats(stats, grade_order, overview)
            self.wb.close()
            with atomic_path(self.path) as tmp:
                self._splice(str(tmp))
        finally:
            self._cleanup()

    def abort(self) -> None:
        try:
            self.wb.close()
        except Exception:
            pass
        self._cleanup()

    def _cleanup(self) -> None:
        for stream in self.streams.values():
            stream.close()
        Path(self._skeleton).unlink(missing_ok=True)

    def _table(self, ws: Any, table: str, columns: tuple[Column, ...], data_rows: int,
               first_col: int = 0, data: list | None = None, name: str | None = None) -> None:
        """An Excel table with a frozen header; its rows come from ``data`` or the stream."""
        options: dict[str, Any] = {
            "name": name or TABLE_NAMES[table], "style": TABLE_STYLE,
            "columns": [{"header": c.label, "header_format": self.header_fmt,
                         **({"format": self.formats[c.kind]} if c.kind in self.formats else {})}
                        for c in columns],
        }
        if data is not None:
            options["data"] = [list(r) for r in data]
        ws.add_table(0, first_col, data_rows, first_col + len(columns) - 1, options)
        for c, col in enumerate(columns, start=first_col):
            ws.set_column(c, c, col.width or _DEFAULT_WIDTHS.get(col.kind, 12))
        ws.freeze_panes(1, 0)

    def _splice(self, target: str) -> None:
        """Copy the skeleton package, putting each stream's rows after its header row and
        stretching the sheet's dimension and its table to the rows written."""
        sheets = {f"xl/worksheets/sheet{self.worksheets[t].index + 1}.xml": s
                  for t, s in self.streams.items()}
        tables = {TABLE_NAMES[t].encode(): s for t, s in self.streams.items()}
        with zipfile.ZipFile(self._skeleton) as src, \
                zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
            for info in src.infolist():
                data = src.read(info)
                stream = sheets.get(info.filename)
                if info.filename.startswith("xl/tables/"):
                    name = re.search(rb'\sname="([^"]*)"', data)
                    table_stream = tables.get(name.group(1)) if name else None
                    if table_stream is not None:
                        data = _stretch_refs(data, table_stream.rows + 1)
                if stream is None:
                    dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
                    continue
                head, sep, tail = data.partition(b"</sheetData>")
                if not sep:
                    raise RuntimeError(f"{info.filename}: no </sheetData> in xlsxwriter output")
                head = _stretch_refs(head, stream.rows + 1, tag=b"dimension")
                # xlsxwriter wrote only the header (row 1); the streamed rows follow it.
                with dst.open(_zipinfo_like(info), "w") as out:
                    out.write(head)
                    stream.copy_to(out)
                    out.write(sep + tail)

    def _write_submissions(self, unit_rows: list[tuple]) -> None:
        ws = self.worksheets["submissions"]
        columns = TABLES["submissions"][1]
        self._table(ws, "submissions", columns, max(len(self._submissions), 1),
                    data=self._submissions or None)
        gap = len(columns) + 1  # the per-unit table sits right of the list, one column apart
        self._table(ws, "submissions", UNIT_SUBMISSION_COLUMNS, max(len(unit_rows), 1),
                    first_col=gap, data=unit_rows or None, name="各单位报送情况表")

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
        """A titled table with a native chart of its count column beside it."""
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
                    ws.write_number(i, c, v, self.formats[kinds[c]])
        used = 0
        if rows:
            shown = len(rows) if chart_rows is None else min(chart_rows, len(rows))
            value_col = len(header) - (2 if kinds[-1] == "share" else 1)
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
            used = height // 20 + 2
        return max(head + len(rows) + 2, row + used)


def _stretch_refs(xml: bytes, last_row: int, tag: bytes = b"(?:table|autoFilter)") -> bytes:
    """ref="A1:W2" -> ref="A1:W{last_row}" on the given tags (at least the header + 1 row)."""
    last = str(max(last_row, 2)).encode()
    return re.sub(rb'(<' + tag + rb'\b[^>]*?\sref="[A-Z]+1:[A-Z]+)[0-9]+"',
                  lambda m: m.group(1) + last + b'"', xml)


def _zipinfo_like(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    out = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    out.compress_type = zipfile.ZIP_DEFLATED
    out.external_attr = info.external_attr
    return out

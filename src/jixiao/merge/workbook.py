"""The summary workbook of ``jixiao merge``.

xlsxwriter writes the workbook's frame: sheets, Excel tables (header, filter buttons,
banded rows), frozen header rows, column widths and number formats, print setup, the 统计
sheet with its native charts, the small 报送情况 sheet. The data rows of the big sheets
(200,000 indicator rows for 10,000 forms) do not go through xlsxwriter's per-cell API,
which is slow enough to take most of a merge: each is encoded here as sheet XML into a
temporary file per sheet, and when every row is in, the frame is copied into the output
package with each sheet's rows after its header row. Memory therefore stays flat whatever
the number of rows.

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
import time
import zipfile
from pathlib import Path
from typing import Any

from jixiao.checks.registry import SEVERITY_LABELS
from jixiao.io.atomic import atomic_path
from jixiao.grid import column_letter
from jixiao.io.textout import bounded, encodable
from jixiao.merge.columns import TABLES, UNIT_SUBMISSION_COLUMNS, Column, index_of
from jixiao.merge.stats import Stats

#: Excel refuses longer cells (counted in UTF-16 units: a character outside the BMP is two)
MAX_CELL_CHARS = 32767
#: rows of an Excel sheet, its header included: a longer table continues on another sheet
MAX_SHEET_ROWS = 1_048_576
MAX_COLUMNS = 16_384
#: a fixed creation date: two runs over the same inputs give identical files
FIXED_CREATED = dt.datetime(2000, 1, 1)
STATS_SHEET = "统计"
#: units shown in the findings-by-unit chart (the table lists all)
CHART_UNITS = 20
TABLE_STYLE = "Table Style Light 9"
#: names of the Excel tables (ListObjects) of each sheet
TABLE_NAMES = {"projects": "项目汇总表", "indicators": "指标明细表", "findings": "问题清单表",
               "unreadable": "未读取文件表", "submissions": "报送情况表"}
#: the summary's document title: how merge knows the last run's summary in a folder
SUMMARY_TITLE = "项目支出绩效自评表汇总"

_NUMBER_FORMATS = {"amount": "#,##0.00", "rate": "0.00", "score": "0.00", "int": "0", "share": "0.0%"}
_DEFAULT_WIDTHS = {"amount": 13, "rate": 9, "score": 8, "int": 6, "text": 16}
#: the last column printed of a table (the print area starts at its first)
_PRINTED_UNTIL = {"projects": "duplicate"}
#: sheets whose rows are streamed in; the 报送情况 sheet is small and written by xlsxwriter
STREAMED = ("projects", "indicators", "findings", "unreadable")

# Characters XML 1.0 cannot carry: Excel's own escape for them is _xHHHH_.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Text that reads as such an escape itself: its underscore is escaped (as _x005F_)
_ESCAPE_LOOKALIKE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
# A probe cell of row 2 of the frame: the style xlsxwriter gave that column's format
_PROBE_CELL = re.compile(rb'<c r="([A-Z]+)2" s="([0-9]+)"')


def excel_bounded(value: str, limit: int = MAX_CELL_CHARS) -> str:
    """``value`` cut, saying so at its end, to ``limit`` characters as Excel counts them
    (UTF-16 units)."""
    if len(value) * 2 <= limit:
        return value
    units = len(value.encode("utf-16-le", "surrogatepass")) // 2
    if units <= limit:
        return value
    mark = f"…（内容过长，已截断，原文共 {len(value):,} 字）"
    head = value.encode("utf-16-le", "surrogatepass")[:2 * (limit - len(mark))]
    if len(head) >= 2 and 0xD800 <= int.from_bytes(head[-2:], "little") <= 0xDBFF:
        head = head[:-2]  # never half a character
    return head.decode("utf-16-le", "surrogatepass") + mark


def xml_text(value: str) -> str:
    """A string as the content of <t>: encodable, escaped, illegal characters as _xHHHH_,
    cut (saying so) to 32,767 characters as Excel counts them."""
    s = excel_bounded(bounded(encodable(value), MAX_CELL_CHARS))
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = s.replace("\r", "&#13;")  # a raw CR would be read back as LF
    s = _ESCAPE_LOOKALIKE.sub("_x005F_", s)
    return _XML_ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", s)


def text_element(value: str) -> str:
    """The <t> of an inline string (a non-empty text)."""
    if value.isprintable() and value[0] != " " and value[-1] != " " and len(value) * 2 <= MAX_CELL_CHARS \
            and "&" not in value and "<" not in value and ">" not in value and "_x" not in value:
        return f"<t>{value}</t>"  # nearly every text: nothing to escape
    space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
    return f"<t{space}>{xml_text(value)}</t>"


class SheetRows:
    """The data rows of one sheet as sheet XML in a temporary file, numbered from row 2."""

    def __init__(self, columns: tuple[Column, ...], styles: dict[str, str]) -> None:
        #: (column letter, its style attribute) of each column
        self.cells = [(letter, f' s="{styles[letter]}"' if letter in styles else "")
                      for letter in map(column_letter, range(len(columns)))]
        self.last_row = 1
        self.file = tempfile.TemporaryFile(prefix="jixiao-sheet-")

    def add(self, row: tuple) -> None:
        self.last_row = r = self.last_row + 1
        out = [f'<row r="{r}">']
        for value, (letter, style) in zip(row, self.cells):
            if isinstance(value, str):
                if value:  # an empty text is no cell
                    out.append(f'<c r="{letter}{r}" t="inlineStr"><is>{text_element(value)}</is></c>')
            elif value is not None:
                out.append(f'<c r="{letter}{r}"{style}><v>{value!r}</v></c>')
        out.append("</row>")
        self.file.write("".join(out).encode("utf-8"))

    def close(self) -> None:
        self.file.close()


def part_titles(title: str, parts: int) -> list[str]:
    """The sheets of a table cut into ``parts``: 指标明细, 指标明细(2), 指标明细(3) …"""
    return [title] + [f"{title}({k})" for k in range(2, parts + 1)]


class SummaryWorkbook:
    """``SummaryWorkbook(path, stats, ...)`` writes the frame; then ``add(table, row)`` for
    every row of the streamed sheets, in order; ``close()`` writes the output (or
    ``abort()`` leaves nothing).

    A table with more rows than a sheet holds (``sheet_rows``, header included; Excel's
    1,048,576 by default) continues on sheets 指标明细(2), 指标明细(3) …, each with the
    header row and an Excel table of its own; a note on the first sheet's header cell (and
    a line on the 统计 sheet) says where it continues. The row counts come from ``stats``,
    known before any row is written.
    """

    def __init__(self, path: str | os.PathLike, stats: Stats, *, grade_order: list[str],
                 overview: list[tuple[str, Any]], submissions: list[tuple] | None = None,
                 unit_submissions: list[tuple] | None = None, sheet_rows: int = MAX_SHEET_ROWS) -> None:
        if not 2 <= sheet_rows <= MAX_SHEET_ROWS:
            raise ValueError(f"sheet_rows must be 2 … {MAX_SHEET_ROWS}")
        self.path = Path(path)
        self.sheet_rows = sheet_rows
        #: table -> its sheets' rows, in order
        self.sheets: dict[str, list[SheetRows]] = {}
        self._current: dict[str, int] = {}
        per_sheet = sheet_rows - 1
        self.parts = {t: max(1, -(-stats.rows[t] // per_sheet)) for t in STREAMED}
        # in the system's temporary folder, not beside the summary: a run killed before it
        # is removed must not leave a workbook that the next merge of the folder reads
        fd, self._frame = tempfile.mkstemp(prefix="jixiao-", suffix=".frame.xlsx")
        os.close(fd)
        try:
            parts = self._write_frame(stats, grade_order, overview, submissions, unit_submissions)
            #: package part -> the rows of its sheet; Excel table name -> the same
            self._parts: dict[str, SheetRows] = {}
            self._tables: dict[bytes, SheetRows] = {}
            with zipfile.ZipFile(self._frame) as frame:
                for table, part, name in parts:
                    styles = {m.group(1).decode(): m.group(2).decode()
                              for m in _PROBE_CELL.finditer(frame.read(part))}
                    rows = SheetRows(TABLES[table][1], styles)
                    self.sheets.setdefault(table, []).append(rows)
                    self._parts[part] = rows
                    self._tables[name.encode()] = rows
            self._current = {t: 0 for t in self.sheets}
        except BaseException:
            self.abort()
            raise

    def add(self, table: str, row: tuple) -> None:
        sheets = self.sheets[table]
        at = self._current[table]
        sheet = sheets[at]
        if sheet.last_row >= self.sheet_rows:
            if at + 1 == len(sheets):  # more rows than counted: never past Excel's limit
                raise RuntimeError(f"{table}: more rows than the statistics counted")
            self._current[table] = at = at + 1
            sheet = sheets[at]
        sheet.add(row)

    def close(self) -> None:
        try:
            with atomic_path(self.path) as tmp:
                self._assemble(str(tmp))
        finally:
            self.abort()

    def abort(self) -> None:
        """Drop the temporary files (after ``close``, or instead of it)."""
        for sheets in self.sheets.values():
            for sheet in sheets:
                sheet.close()
        Path(self._frame).unlink(missing_ok=True)

    def _write_frame(self, stats: Stats, grade_order: list[str], overview: list[tuple[str, Any]],
                     submissions: list[tuple] | None, unit_submissions: list[tuple] | None
                     ) -> list[tuple[str, str, str]]:
        """The workbook without the streamed rows; returns (table, package part, Excel
        table name) of each streamed sheet. Row 2 of those holds a blank cell in each
        number column, formatted as that column is: the styles the streamed cells take
        from it."""
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(self._frame, {
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": True,
        })
        self.wb.set_properties({"title": SUMMARY_TITLE, "created": FIXED_CREATED})
        self.title_fmt = self.wb.add_format({"bold": True, "font_size": 12})
        self.header_fmt = self.wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                              "align": "center", "valign": "vcenter",
                                              "text_wrap": True})
        self.formats = {kind: self.wb.add_format({"num_format": f}) for kind, f in _NUMBER_FORMATS.items()}
        self._page_breaks: list[int] = []
        self._blocks = 0
        split = []
        for table in STREAMED:
            if self.parts[table] > 1:
                titles = part_titles(TABLES[table][0], self.parts[table])
                split.append((titles[0], f"共 {stats.rows[table]:,} 行，超过 Excel 每张工作表 "
                              f"{self.sheet_rows - 1:,} 行数据的上限，依次分在工作表 {'、'.join(titles)}"))
        parts = []
        for table, (title, columns) in TABLES.items():
            if table == "unreadable":
                self.stats_ws = self.wb.add_worksheet(STATS_SHEET)
                self._write_stats(stats, grade_order, [*overview, *split])
            if table == "submissions":
                if submissions is not None:
                    self._write_submissions(self.wb.add_worksheet(title), submissions, unit_submissions or [])
                continue
            titles = part_titles(title, self.parts[table])
            for k, sheet_title in enumerate(titles, start=1):
                ws = self.wb.add_worksheet(sheet_title)
                name = TABLE_NAMES[table] + (str(k) if k > 1 else "")
                parts.append((table, f"xl/worksheets/sheet{ws.index + 1}.xml", name))
                # Declared over the header and row 2; stretched to the rows when assembled.
                self._table(ws, table, columns, 1, name=name)
                for c, column in enumerate(columns):
                    if column.kind in self.formats:
                        ws.write_blank(1, c, None, self.formats[column.kind])
                if len(titles) > 1:
                    # a note (comment) on the header cell: the header row itself stays as
                    # every other sheet's, for a reader that takes row 1 as the labels
                    note = (f"本表共 {stats.rows[table]:,} 行，超过 Excel 每张工作表的行数上限，"
                            f"续见工作表：{'、'.join(titles[1:])}" if k == 1 else
                            f"接续工作表“{titles[k - 2]}”（第 {k} 部分，共 {len(titles)} 部分）"
                            + (f"，续见工作表“{titles[k]}”" if k < len(titles) else ""))
                    ws.write_comment(0, 0, note, {"x_scale": 2.5, "y_scale": 1.5})
        self.wb.close()
        return parts

    def _table(self, ws: Any, table: str, columns: tuple[Column, ...], data_rows: int,
               first_col: int = 0, data: list | None = None, name: str | None = None) -> None:
        """An Excel table with a frozen header; its rows from ``data`` or streamed in."""
        options: dict[str, Any] = {
            "name": name or TABLE_NAMES[table], "style": TABLE_STYLE,
            "columns": [{"header": c.label, "header_format": self.header_fmt,
                         **({"format": self.formats[c.kind]} if c.kind in self.formats else {})}
                        for c in columns],
        }
        if data is not None:
            options["data"] = [list(r) for r in data]
        if first_col + len(columns) > MAX_COLUMNS:
            raise ValueError(f"{table}: more than {MAX_COLUMNS} columns")
        ws.add_table(0, first_col, data_rows, first_col + len(columns) - 1, options)
        for c, col in enumerate(columns, start=first_col):
            ws.set_column(c, c, column_width(col))
        ws.set_row(0, 32)  # headers wrap before their bracket: "执行率%" over "（复核）"
        ws.freeze_panes(1, 0)
        print_setup(ws, ws.get_name())
        ws.repeat_rows(0)
        if table in _PRINTED_UNTIL:
            # the columns a reader needs on paper; file paths and ids stay on screen
            ws.print_area(0, 0, 1048575, index_of(columns, _PRINTED_UNTIL[table]))

    def _assemble(self, target: str) -> None:
        """Copy the frame, putting each streamed sheet's rows in place of its row 2 and
        stretching the sheet's dimension and its table to the rows written."""
        tables = self._tables
        with zipfile.ZipFile(self._frame) as src, \
                zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info)
                member = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                member.compress_type = zipfile.ZIP_DEFLATED
                member.external_attr = info.external_attr
                if info.filename.startswith("xl/tables/"):
                    name = re.search(rb'\sname="([^"]*)"', data)
                    sheet = tables.get(name.group(1)) if name else None
                    if sheet is not None:
                        data = _stretch_refs(data, sheet.last_row)
                sheet = self._parts.get(info.filename)
                if sheet is None:
                    dst.writestr(member, data)
                else:
                    self._write_sheet(dst, info, data, sheet)

    def _write_sheet(self, dst: zipfile.ZipFile, info: zipfile.ZipInfo, frame: bytes,
                     sheet: SheetRows) -> None:
        """The frame's sheet with the rows in place of its row 2, as a file beside the
        frame (in the temporary folder), added at the fastest deflate level (most of the summary's bytes; a higher
        level takes several times longer for a few percent less). ``ZipFile.write`` is the
        public way to choose the level of one member; the file's time is the frame's, so
        the same inputs still give the same bytes."""
        end = frame.index(b"</sheetData>")
        row2 = frame.find(b'<row r="2"', 0, end)
        whole = Path(self._frame).with_suffix(".sheet.xml")
        try:
            with open(whole, "wb") as out:
                out.write(_stretch_refs(frame[:row2 if row2 >= 0 else end], sheet.last_row, tag=b"dimension"))
                sheet.file.seek(0)
                shutil.copyfileobj(sheet.file, out, 1 << 20)
                out.write(frame[end:])
            stamp = time.mktime((*info.date_time, 0, 0, -1))
            os.utime(whole, (stamp, stamp))
            dst.write(whole, info.filename, compresslevel=1)
        finally:
            whole.unlink(missing_ok=True)

    def _write_submissions(self, ws: Any, rows: list[tuple], unit_rows: list[tuple]) -> None:
        columns = TABLES["submissions"][1]
        self._table(ws, "submissions", columns, max(len(rows), 1), data=rows or None)
        gap = len(columns) + 1  # the per-unit table sits right of the list, one column apart
        self._table(ws, "submissions", UNIT_SUBMISSION_COLUMNS, max(len(unit_rows), 1),
                    first_col=gap, data=unit_rows or None, name="各单位报送情况表")

    def _write_stats(self, stats: Any, grade_order: list[str], overview: list[tuple[str, Any]]) -> None:
        ws = self.stats_ws
        ws.set_column(0, 0, 26)
        ws.set_column(1, 5, 11)
        ws.set_column(2, 2, 40)
        print_setup(ws, STATS_SHEET)
        row = 0
        ws.write_string(row, 0, "概况", self.title_fmt)
        for label, value in overview:
            row += 1
            ws.write_string(row, 0, label)
            if isinstance(value, str):
                ws.write_string(row, 1, value)
            else:
                ws.write_number(row, 1, value, self.formats["int"])
        row += 2
        share = ("share", "占比")
        row = self._stats_block(row, "评分等级分布（按复核总分）", ("等级", "项目数", share),
                                stats.grade_rows(grade_order), "column", "项目数")
        row = self._stats_block(row, "预算执行率分布（按复核执行率）", ("执行率区间", "项目数", share),
                                stats.rate_rows(), "column", "项目数")
        row = self._stats_block(row, "问题按代码统计", ("代码", "级别", "检查内容", "问题数"),
                                stats.code_rows(), "bar", "问题数")
        self._stats_block(row, "问题按实施单位统计", ("实施单位", "项目数", *SEVERITY_LABELS.values(), "合计"),
                          stats.unit_rows(), "bar", f"问题数（前 {CHART_UNITS} 个单位）",
                          chart_rows=CHART_UNITS)

    def _stats_block(self, row: int, title: str, header: tuple, rows: list[tuple], chart_type: str,
                     series_name: str, chart_rows: int | None = None) -> int:
        """A titled table with a native chart of its count column beside it, starting a
        printed page of its own so that no chart is cut across two."""
        ws = self.stats_ws
        if self._blocks:  # the first shares the overview's page
            self._page_breaks.append(row)
            ws.set_h_pagebreaks(self._page_breaks)
        self._blocks += 1
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
            ws.insert_chart(row + 1, 7, chart)  # below the page break, not astride it
            used = height // 20 + 3
        return max(head + len(rows) + 2, row + used)


def column_width(column: Column) -> float:
    """Characters wide enough for the column's values and its whole header, which wraps
    before its bracket (a CJK character takes two)."""
    lines = column.label.replace("（", "\n（").split("\n")
    # Excel's measure (a CJK character is two digits wide) plus room for bold
    header = max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in line) for line in lines) + 1.5
    return max(column.width or _DEFAULT_WIDTHS.get(column.kind, 12), header)


def print_setup(ws: Any, title: str) -> None:
    """A4 landscape, one page wide, the sheet's name above and page numbers below."""
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_header(f"&C{title.replace('&', '&&')}")
    ws.set_footer("&C第 &P 页，共 &N 页")


def _stretch_refs(xml: bytes, last_row: int, tag: bytes = b"(?:table|autoFilter)") -> bytes:
    """ref="A1:W2" -> ref="A1:W{last_row}" on the given tags (at least the header + 1 row)."""
    last = str(max(last_row, 2)).encode()
    return re.sub(rb'(<' + tag + rb'\b[^>]*?\sref="[A-Z]+1:[A-Z]+)[0-9]+"',
                  lambda m: m.group(1) + last + b'"', xml)

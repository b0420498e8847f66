"""The summary workbook of ``jixiao merge``.

xlsxwriter writes the workbook: sheets, Excel tables (header, filter buttons, banded
rows), frozen header rows, column widths and number formats, the 统计 sheet with its
native charts. The data rows of the big sheets (200,000 indicator rows for 10,000 forms)
do not go through xlsxwriter's per-cell API, which writes about 200,000 cells/s and would
take most of a merge: they come already encoded as sheet XML (:class:`RowEncoder`, in
merge's workers), are numbered and deflated as they come into a temporary file per sheet,
and that deflated data is spliced, as it is, into the sheet's ``<sheetData>`` when the
package is assembled. Memory therefore stays flat whatever the number of rows.

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
import zlib
from pathlib import Path
from typing import Any

from jixiao.io.atomic import atomic_path
from jixiao.grid import column_letter
from jixiao.io.textout import bounded, encodable
from jixiao.merge.columns import TABLES, UNIT_SUBMISSION_COLUMNS, Column, index_of

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
_DEFAULT_WIDTHS = {"amount": 13, "rate": 9, "score": 8, "int": 6, "text": 16}
#: the last column printed of a table (the print area starts at its first)
_PRINTED_UNTIL = {"projects": "duplicate"}
#: streamed (spliced) sheets; the others are small and written through xlsxwriter
_STREAMED = ("projects", "indicators", "findings", "unreadable")
#: deflate level of the streamed sheets: the fastest; 6 would take 3x longer for 10 % less
STREAM_LEVEL = 1

# Characters XML 1.0 cannot carry: Excel's own escape for them is _xHHHH_.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value: str) -> str:
    """A string as the content of <t>: escaped, illegal characters as _xHHHH_, ≤ 32,767."""
    s = bounded(encodable(value), MAX_CELL_CHARS)
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


#: placeholders in encoded rows: where the row's number goes, and where each row starts.
#: Neither can occur in cell XML (xml_text writes control characters as _xHHHH_).
ROW_NUMBER = b"\x00"
ROW_START = b"\x01"
#: text cells a RowEncoder remembers per column before it starts afresh (memory stays flat;
#: what recurs comes back at once)
_TEXT_CACHE_SIZE = 2_000


#: the summary's document title: how merge knows the last run's summary in a folder
SUMMARY_TITLE = "项目支出绩效自评表汇总"

class RowEncoder:
    """Rows of one table as sheet XML whose row numbers are left open.

    Encoding is most of the cost of writing a row, so merge's workers do it and the parent
    only numbers the rows (:meth:`_RowStream.add_encoded`). The same text recurs in nearly
    every row (unit, project, file, indicator levels): its whole cell is kept, per column;
    so is a float's (weights, scores), but for 0.0, an equal key of -0.0's other cell.
    """

    def __init__(self, columns: tuple[Column, ...], styles: dict[str, int]) -> None:
        self._heads: list[str] = []
        self._numbers: list[tuple[str, str]] = []
        for c, column in enumerate(columns):
            letter = column_letter(c)
            style = styles.get(column.kind, 0)
            self._heads.append(f'<c r="{letter}\x00"')
            self._numbers.append((f'<c r="{letter}\x00" s="{style}"><v>' if style else f'<c r="{letter}\x00"><v>',
                                  "</v></c>"))
        self._text: list[dict[str, str]] = [{} for _ in columns]
        self._float: list[dict[float, str]] = [{} for _ in columns]

    def encode(self, rows: Any) -> bytes:
        texts, floats, numbers = self._text, self._float, self._numbers
        out = []
        append = out.append
        for row in rows:
            append('\x01<row r="\x00">')
            c = -1
            for value in row:
                c += 1
                kind = type(value)
                if kind is str:
                    cell = texts[c].get(value) or self._new_text(c, value)
                    if cell:
                        append(cell)
                elif kind is float and value:
                    cell = floats[c].get(value)
                    if cell is None:
                        cell = self._new_float(c, value)
                    append(cell)
                elif value is None:
                    continue
                elif isinstance(value, str):  # a str subclass
                    cell = self._new_text(c, str(value))
                    if cell:
                        append(cell)
                else:
                    head, tail = numbers[c]
                    append(f"{head}{value!r}{tail}")
            append("</row>")
        return "".join(out).encode("utf-8", "surrogatepass")

    def _new_text(self, c: int, value: str) -> str:
        """Column c's cell of a text ("" for an empty one, which is not written)."""
        known = self._text[c]
        cell = known.get(value)
        if cell is None:
            if len(known) >= _TEXT_CACHE_SIZE:
                known.clear()
            cell = known[value] = self._heads[c] + _text_cell(value) if value else ""
        return cell

    def _new_float(self, c: int, value: float) -> str:
        known = self._float[c]
        if len(known) >= _TEXT_CACHE_SIZE:
            known.clear()
        head, tail = self._numbers[c]
        cell = known[value] = f"{head}{value!r}{tail}"
        return cell


def _text_cell(value: str) -> str:
    """A text cell after its reference: always an inline string, so never a formula."""
    if value.isprintable() and "&" not in value and "<" not in value and ">" not in value \
            and value[0] != " " and value[-1] != " " and len(value) <= MAX_CELL_CHARS:
        return f' t="inlineStr"><is><t>{value}</t></is></c>'
    space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
    return f' t="inlineStr"><is><t{space}>{xml_text(value)}</t></is></c>'


class _RowStream:
    """Rows of one sheet, numbered from row 2, deflated as they come into a temporary file.

    The sheet is compressed while the workers still read instead of after the last file;
    its CRC and sizes are kept so the compressed data goes into the package as it is.
    """

    #: uncompressed bytes gathered before they go to the compressor
    CHUNK = 1 << 20

    def __init__(self, columns: tuple[Column, ...], styles: dict[str, int]) -> None:
        self.encoder = RowEncoder(columns, styles)
        self.rows = 0
        #: uncompressed size and CRC-32 of the rows written so far
        self.size = 0
        self.crc = 0
        self._fh = tempfile.TemporaryFile(prefix="jixiao-sheet-")
        self._deflate = zlib.compressobj(STREAM_LEVEL, zlib.DEFLATED, -15)
        self._buffer: list[bytes] = []
        self._buffered = 0

    def add(self, row: tuple) -> None:
        self.add_encoded(self.encoder.encode((row,)))

    def add_encoded(self, xml: bytes) -> None:
        """Rows from ``RowEncoder.encode`` (of this table's columns), numbered here."""
        number = self.rows + 1
        parts = xml.split(ROW_START)
        append = self._buffer.append
        for part in parts[1:]:
            number += 1
            append(part.replace(ROW_NUMBER, b"%d" % number))
        self.rows = number - 1
        self._buffered += len(xml)
        if self._buffered >= self.CHUNK:
            self._compress()

    def _compress(self) -> None:
        if self._buffer:
            data = b"".join(self._buffer)
            self._buffer.clear()
            self._buffered = 0
            self.crc = zlib.crc32(data, self.crc)
            self.size += len(data)
            self._fh.write(self._deflate.compress(data))

    def finish(self) -> int:
        """Compress what is left; the compressed data ends on a byte boundary, unfinished,
        so that the sheet's closing XML can follow it. Returns its size."""
        self._compress()
        self._fh.write(self._deflate.flush(zlib.Z_SYNC_FLUSH))
        return self._fh.tell()

    def copy_to(self, out) -> None:
        self._fh.seek(0)
        shutil.copyfileobj(self._fh, out, 1024 * 1024)

    def close(self) -> None:
        self._fh.close()


class SummaryWorkbook:
    """Open with the output path; ``add(table, row)`` in order; ``close(stats, ...)``."""

    def __init__(self, path: str | os.PathLike, *, with_submissions: bool = False) -> None:
        import xlsxwriter

        self.path = Path(path)
        # in the system's temporary folder, not beside the summary: a run killed before it
        # is removed must not leave a workbook that the next merge of the folder reads
        fd, self._skeleton = tempfile.mkstemp(prefix="jixiao-", suffix=".skeleton.xlsx")
        os.close(fd)
        self.wb = xlsxwriter.Workbook(self._skeleton, {
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
        # The style index a streamed cell refers to (xlsxwriter numbers formats on first use).
        self.styles = {kind: fmt._get_xf_index() for kind, fmt in self.formats.items()}
        self.worksheets: dict[str, Any] = {}
        self.streams: dict[str, _RowStream] = {}
        self._submissions: list[tuple] = []
        self.stats_ws = None
        self._page_breaks: list[int] = []
        self._blocks = 0
        for table, (title, columns) in TABLES.items():
            if table == "unreadable":
                self.stats_ws = self.wb.add_worksheet(STATS_SHEET)
            if table == "submissions" and not with_submissions:
                continue
            self.worksheets[table] = self.wb.add_worksheet(title)
            if table in _STREAMED:
                self.streams[table] = _RowStream(columns, self.styles)

    def add(self, table: str, row: tuple) -> None:
        if table == "submissions":
            self._submissions.append(row)
        else:
            self.streams[table].add(row)

    def add_encoded(self, table: str, xml: bytes) -> None:
        """Rows of a streamed table encoded by ``RowEncoder(columns, self.styles)``."""
        self.streams[table].add_encoded(xml)

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
            ws.set_column(c, c, column_width(col))
        ws.set_row(0, 32)  # headers wrap before their bracket: "执行率%" over "（复核）"
        ws.freeze_panes(1, 0)
        print_setup(ws, ws.get_name())
        ws.repeat_rows(0)
        if table in _PRINTED_UNTIL:
            # the columns a reader needs on paper; file paths and ids stay on screen
            ws.print_area(0, 0, 1048575, index_of(columns, _PRINTED_UNTIL[table]))

    def _splice(self, target: str) -> None:
        """Copy the skeleton package, putting each stream's rows after its header row and
        stretching the sheet's dimension and its table to the rows written."""
        sheets = {f"xl/worksheets/sheet{self.worksheets[t].index + 1}.xml": s
                  for t, s in self.streams.items()}
        tables = {TABLE_NAMES[t].encode(): s for t, s in self.streams.items()}
        with zipfile.ZipFile(self._skeleton) as src, \
                zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
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
                # xlsxwriter wrote only the header (row 1); the streamed rows follow it.
                head = _stretch_refs(head, stream.rows + 1, tag=b"dimension")
                _write_spliced(dst, _zipinfo_like(info), head, stream, sep + tail)

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
        print_setup(ws, STATS_SHEET)
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


def _deflated_part(data: bytes, final: bool) -> bytes:
    deflate = zlib.compressobj(STREAM_LEVEL, zlib.DEFLATED, -15)
    return deflate.compress(data) + deflate.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)


def _write_spliced(dst: zipfile.ZipFile, info: zipfile.ZipInfo, head: bytes, stream: _RowStream,
                   tail: bytes) -> None:
    """Write head + the stream's rows + tail as one member without inflating the rows.

    Deflate data ending on a byte boundary (a sync flush) may be followed by more deflate
    data, so the three are deflated apart and laid end to end (as pigz does); the CRC of
    the whole is combined from the parts'. zipfile has no API for data already deflated:
    this writes the local header and the data itself and registers the member the way
    ``ZipFile.open(..., "w")`` does, so ``close`` lists it in the central directory.
    """
    head_z, tail_z = _deflated_part(head, final=False), _deflated_part(tail, final=True)
    rows_size = stream.finish()
    crc = crc32_combine(zlib.crc32(head), stream.crc, stream.size)
    info.CRC = crc32_combine(crc, zlib.crc32(tail), len(tail))
    info.file_size = len(head) + stream.size + len(tail)
    info.compress_size = len(head_z) + rows_size + len(tail_z)
    info.flag_bits = 0
    zip64 = info.file_size > zipfile.ZIP64_LIMIT or info.compress_size > zipfile.ZIP64_LIMIT
    fp = dst.fp
    fp.seek(dst.start_dir)
    info.header_offset = fp.tell()
    fp.write(info.FileHeader(zip64))
    fp.write(head_z)
    stream.copy_to(fp)
    fp.write(tail_z)
    dst.start_dir = fp.tell()
    dst.filelist.append(info)
    dst.NameToInfo[info.filename] = info
    dst._didModify = True


def _gf2_times(matrix: list[int], vector: int) -> int:
    total = 0
    i = 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


#: the operator that carries a CRC over 2**k zero bytes, for k = 0, 1, ... (as needed)
_ZERO_BYTES_OPERATORS: list[list[int]] = []


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC-32 of a + b from crc32(a), crc32(b) and len(b) (zlib's crc32_combine, which
    Python's zlib does not expose): crc1 is carried over len2 zero bytes, one operator per
    bit of len2 (each the square of the one before; computed once per process), then crc2
    is added."""
    if len2 <= 0:
        return crc1
    operators = _ZERO_BYTES_OPERATORS
    if not operators:
        one_bit = [0xEDB88320] + [1 << n for n in range(31)]
        operators.append(_gf2_square(_gf2_square(_gf2_square(one_bit))))  # 8 bits
    while len2 >> len(operators):
        operators.append(_gf2_square(operators[-1]))
    k = 0
    while len2:
        if len2 & 1:
            crc1 = _gf2_times(operators[k], crc1)
        len2 >>= 1
        k += 1
    return crc1 ^ crc2


def _zipinfo_like(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    out = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    out.compress_type = zipfile.ZIP_DEFLATED
    out.external_attr = info.external_attr
    return out

"""Any supported input file -> list of Grid (values + merged ranges), one per sheet.

Workbooks (.xlsx/.xlsm, .xls, .ods) go through python-calamine after the safety gate;
text tables (.csv, .tsv, .txt) through a small tokenizer. Every failure, whatever raised
it, leaves as a :class:`jixiao.errors.ReadError` with a Chinese reason.
"""

from __future__ import annotations

import functools
import html
import io
import os
import re
import time
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from jixiao.errors import ReadError
from jixiao.grid import Grid, column_number
from jixiao.io.ods_cells import ods_merges_and_percents
from jixiao.io.safety import (
    GatedFile,
    Limits,
    ZipPackage,
    decode_text,
    gate,
    too_many_cells_error,
    too_many_merges_error,
    xlsx_sheet_members,
)

def read_grids(path: str | os.PathLike[str], limits: Limits | None = None, *,
               percent_formats: bool = False, gated: GatedFile | None = None) -> list[Grid]:
    """Gate the file (sniff + zip checks), then read every worksheet into a grid.

    Hidden sheets are included and marked. Cell values are what the reader gives: str,
    float, int, bool, date/datetime/time/timedelta; empty cells are None. Trailing empty
    rows and columns are trimmed; leading empty ones are dropped too and recorded in
    ``origin``, so ``Grid.ref`` still names the real cell. Merged ranges are in grid
    coordinates, clipped at the top-left and bounded by the limits.

    ``percent_cells`` holds the cells whose number format shows a percent, or is None
    (formats unknown: text, or an .xls that xlrd cannot parse). For an .xlsx it costs a
    second look at the styles and sheet XML, for an .xls a parse by xlrd, so it is asked
    for (``percent_formats``); an .ods gives it with its merges.

    ``gated`` is what :func:`jixiao.io.safety.gate` gave for this path, when the caller
    wants it too (the template reader looks at the same package): the file is then neither
    gated nor read again.
    """
    limits = limits or Limits.from_env()
    path = Path(path)
    deadline = time.monotonic() + limits.time_budget_s
    if gated is None:
        gated = gate(path, limits)
    try:
        if gated.kind == "text":
            return [_read_text(path, gated.data, limits, deadline)]
        return _read_workbook(gated, limits, deadline, percent_formats)
    except ReadError:
        raise
    except MemoryError:
        raise ReadError(str(path), "文件读取时内存不足，文件可能含有异常大量的数据", "too_large") from None
    except Exception as exc:  # calamine raises its own zoo; none may reach the user raw
        raise _reader_failure(path, exc) from None


def _reader_failure(path: Path, exc: Exception) -> ReadError:
    """The ReadError for an exception out of calamine (its types carry the meaning)."""
    name = type(exc).__name__
    if name == "PasswordError":
        return ReadError(str(path), "文件已加密，请去除密码后重新提交", "encrypted")
    if name == "XmlError" and "entit" in str(exc).lower():
        return ReadError(str(path), "工作簿内部 XML 含有实体声明，可能是外部实体注入或实体膨胀攻击，拒绝读取", "unsafe_xml")
    return ReadError(str(path), "文件已损坏或格式异常，无法读取工作表内容，请用 Excel 打开后另存为 .xlsx 再提交", "corrupt")


def _check_deadline(path: Path, deadline: float, limits: Limits) -> None:
    if time.monotonic() > deadline:
        raise ReadError(
            str(path), f"文件读取超时（超过 {limits.time_budget_s:g} 秒），文件可能含有异常大量的数据", "timeout"
        )


def _visibility(meta) -> str:
    if meta.visible == SheetVisibleEnum.Hidden:
        return "hidden"
    if meta.visible == SheetVisibleEnum.VeryHidden:
        return "very_hidden"
    return "visible"


def _read_workbook(gated: GatedFile, limits: Limits, deadline: float,
                   percent_formats: bool = False) -> list[Grid]:
    path = gated.path
    percent: dict[str, set[tuple[int, int]]] = {}
    if gated.kind == "xlsx" and gated.package is not None:
        if percent_formats:
            percent = _xlsx_percent_cells(gated.package, limits)
    if gated.kind == "xls" and percent_formats:
        percent = _xls_percent_cells(gated.data)
    ods: dict[str, tuple[list, set[tuple[int, int]]]] = {}
    if gated.kind == "ods" and gated.package is not None and "content.xml" in gated.package.names:
        # calamine gives an .ods sheet neither its merged ranges nor its formats
        ods = ods_merges_and_percents(gated.package.xml_chunks(gated.package.names["content.xml"]))
        percent = {name: cells for name, (_, cells) in ods.items()}
    # The gate's bytes: calamine picks its parser by content (a renamed workbook reads
    # too), and the file is not opened again.
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(gated.data))
    try:
        metadata = workbook.sheets_metadata
        if len(metadata) > limits.max_sheets:
            raise ReadError(
                str(path), f"工作簿有 {len(metadata)} 个工作表（上限 {limits.max_sheets} 个），远超正常规模，拒绝读取",
                "too_many_sheets",
            )
        grids = []
        for meta in metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue  # chart and macro sheets hold no cells
            _check_deadline(path, deadline, limits)
            sheet = workbook.get_sheet_by_name(meta.name)
            # .xls and .ods are not covered by the zip scan of cell refs: check the area
            # calamine found before turning it into Python objects.
            end_row, end_col = sheet.end or (-1, -1)
            refusal = too_many_cells_error(path, meta.name, end_row + 1, end_col + 1, limits)
            if refusal:
                raise refusal
            merged = sheet.merged_cell_ranges or (ods[meta.name][0] if meta.name in ods else [])
            refusal = too_many_merges_error(path, meta.name, len(merged), limits)
            if refusal:
                raise refusal
            values = sheet.to_python(skip_empty_area=True)
            origin = sheet.start or (0, 0)
            grid = _make_grid(meta.name, values, merged, origin, _visibility(meta), limits)
            _set_percent_cells(grid, percent)
            grids.append(grid)
        return grids
    finally:
        workbook.close()


def _set_percent_cells(grid: Grid, percent: dict[str, set[tuple[int, int]]]) -> None:
    """Give the grid its %-formatted cells, relative to its origin (formats known)."""
    if grid.name in percent:
        r0, c0 = grid.origin
        grid.percent_cells = {(r - r0, c - c0) for r, c in percent[grid.name] if r >= r0 and c >= c0}


def _xls_percent_cells(data: bytes) -> dict[str, set[tuple[int, int]]]:
    """{sheet name: absolute (row, col) of number cells shown as a percent} of an .xls.

    calamine gives no formats of an .xls; xlrd reads its XF and FORMAT records. A file
    xlrd cannot parse gives {} (formats unknown), and the layout guesses from the targets.
    """
    import xlrd  # 12 ms of import, paid by the runs that meet an .xls

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True,
                                  logfile=io.StringIO())
    except Exception:  # xlrd's own zoo of errors on files calamine still reads
        return {}
    try:
        percent_xfs = {index for index, xf in enumerate(book.xf_list)
                       if xf.format_key in book.format_map
                       and _is_percent_format(book.format_map[xf.format_key].format_str)}
        cells: dict[str, set[tuple[int, int]]] = {}
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            cells[sheet.name] = {
                (r, c) for r in range(sheet.nrows) for c in range(sheet.row_len(r))
                if sheet.cell_type(r, c) == xlrd.XL_CELL_NUMBER
                and sheet.cell_xf_index(r, c) in percent_xfs} if percent_xfs else set()
            book.unload_sheet(index)
        return cells
    except Exception:
        return {}
    finally:
        book.release_resources()


# Number formats 9 and 10 are the built-in 0% and 0.00%.
_BUILTIN_PERCENT_FORMATS = (9, 10)


@functools.lru_cache(maxsize=64)
def _cells_styled(styles: frozenset[int]) -> re.Pattern[bytes]:
    """Cells of the given styles only: the scan then builds nothing for the other cells
    (a template's sheet holds a few percent cells among hundreds)."""
    ids = b"|".join(str(style).encode() for style in sorted(styles))
    return re.compile(rb'<c r="([A-Z]{1,4})([0-9]{1,9})" s="(?:' + ids + rb')"')


_NUMFMT = re.compile(rb"<(?:\w+:)?numFmt\s([^<>]{0,2048})>")
_XF = re.compile(rb"<(?:\w+:)?xf\s([^<>]{0,2048})>")
_XF_NUMFMT = re.compile(rb'numFmtId="([0-9]+)"')
_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')


def _is_percent_format(code: str) -> bool:
    """A "%" outside quoted text, escapes and [colour]/[condition] brackets."""
    return "%" in re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)


# The files of one batch share their styles part: its reading is kept, keyed by the bytes.
@functools.lru_cache(maxsize=64)
def _percent_styles(styles_xml: bytes) -> frozenset[int]:
    """Indexes of the cell styles (cellXfs) whose number format shows a percent."""
    format_ids = set(_BUILTIN_PERCENT_FORMATS)
    for raw in _NUMFMT.findall(styles_xml):
        attrs = dict(_ATTRIBUTE.findall(raw))  # LibreOffice writes formatCode first
        code, fmt_id = attrs.get(b"formatCode"), attrs.get(b"numFmtId", b"")
        if code is not None and fmt_id.isdigit() and _is_percent_format(
                html.unescape(code.decode("utf-8", "replace"))):
            format_ids.add(int(fmt_id))
    start = styles_xml.find(b"cellXfs")
    if start < 0:
        return frozenset()
    end = styles_xml.find(b"cellXfs", start + 7)
    section = styles_xml[start:end if end > 0 else len(styles_xml)]
    return frozenset(index for index, attrs in enumerate(_XF.findall(section))
                     if (fmt := _XF_NUMFMT.search(attrs)) and int(fmt.group(1)) in format_ids)


def _xlsx_percent_cells(package: ZipPackage, limits: Limits) -> dict[str, set[tuple[int, int]]]:
    """{sheet name: absolute (row, col) of cells whose number format shows a percent}.

    calamine gives values without formats; the central system's 执行率 is a fraction in a
    %-formatted cell, so the layout parser wants to know. Cells are matched as Excel writes
    them (<c r="A1" s="3">); a cell written otherwise is not seen (best effort).
    """
    styles = package.names.get("xl/styles.xml")
    percent_styles = _percent_styles(package.xml(styles)) if styles is not None else frozenset()
    result: dict[str, set[tuple[int, int]]] = {}
    for member, name in xlsx_sheet_members(package, limits).items():
        cells: set[tuple[int, int]] = set()
        if percent_styles:
            styled = _cells_styled(percent_styles)
            for chunk in package.xml_chunks(package.names[member]):
                for col, row in styled.findall(chunk):
                    cells.add((int(row) - 1, column_number(col) - 1))
        result[name] = cells
    return result


def _make_grid(name: str, values: list[list[Any]], merged_abs, origin: tuple[int, int], visibility: str,
               limits: Limits) -> Grid:
    rows = [[None if v == "" else v for v in line] for line in values]
    rows = _trim(rows)
    r0, c0 = origin
    last_row, last_col = limits.max_rows - 1, limits.max_cols - 1
    merged = []
    for (fr, fc), (lr, lc) in merged_abs:
        if lr < r0 or lc < c0 or fr > last_row or fc > last_col:
            continue
        # clipped to the grid's origin and to the limits (conditionals: min/max calls cost
        # more than the rest of the loop)
        merged.append((fr - r0 if fr > r0 else 0, fc - c0 if fc > c0 else 0,
                       (lr if lr < last_row else last_row) - r0, (lc if lc < last_col else last_col) - c0))
    return Grid(name=name, rows=rows, merged=merged, percent_cells=None, origin=(r0, c0), visibility=visibility)


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    """Drop trailing empty rows and the columns right of the last used one; keep a rectangle."""
    last_row = last_col = -1
    for r, line in enumerate(rows):
        if line.count(None) == len(line):
            continue
        last_row = r
        c = len(line) - 1
        while c > last_col and line[c] is None:
            c -= 1
        if c > last_col:
            last_col = c
    width = last_col + 1
    return [line if len(line) == width else line[:width] if len(line) > width else line + [None] * (width - len(line))
            for line in rows[: last_row + 1]]


# --- text tables -------------------------------------------------------------------------

# A quoted field as Excel writes it: "..." with "" for a quote. For tab-separated text the
# quoted part may span lines but not tabs: text extracted from PDFs has stray opening
# quotes ("参赛队员满意度) that must stay literal rather than swallow the rest of the file.
_QUOTED = {
    "\t": re.compile(r'"((?:[^"\t]|"")*+)"(?=\t|\n|\Z)'),
    ",": re.compile(r'"((?:[^"]|"")*+)"(?=,|\n|\Z)'),
}
_FIELD_END = {"\t": re.compile(r"[\t\n]"), ",": re.compile(r"[,\n]")}


def _choose_delimiter(path: Path, text: str) -> str:
    """Tab for .tsv and for .txt with tabs (Excel's "text" export), else comma."""
    ext = path.suffix.lower()
    sample = text[:65536]
    if ext == ".tsv" or (ext == ".txt" and "\t" in sample):
        return "\t"
    if ext == ".csv" and "\t" in sample and "," not in sample:
        return "\t"
    return ","


def split_table(text: str, delimiter: str, max_rows: int | None = None,
                max_cols: int | None = None) -> list[list[str]]:
    """Rows of fields; a field is unquoted only when it is a complete Excel-style quote.

    Stops as soon as there are more than ``max_rows`` rows or a row has more than
    ``max_cols`` fields, so a huge text costs no more than the limits allow.
    """
    max_rows = max_rows or len(text) + 1
    max_cols = max_cols or len(text) + 1
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    quoted = _QUOTED[delimiter]
    field_end = _FIELD_END[delimiter]
    rows: list[list[str]] = []
    row: list[str] = []
    pos, n = 0, len(text)
    while pos < n and len(rows) <= max_rows and len(row) <= max_cols:
        if text[pos] == '"':
            m = quoted.match(text, pos)
            if m:
                row.append(m.group(1).replace('""', '"'))
                pos = m.end()
                end_char = text[pos] if pos < n else "\n"
                pos += 1
                if end_char == "\n":
                    rows.append(row)
                    row = []
                continue
        m = field_end.search(text, pos)
        end = m.start() if m else n
        row.append(text[pos:end])
        pos = end + 1
        if m is None or m.group() == "\n":
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    return rows


def _read_text(path: Path, data: bytes, limits: Limits, deadline: float) -> Grid:
    decoded = decode_text(data)
    if decoded is None:
        raise ReadError(str(path), "无法识别文本文件的编码（支持 UTF-8、UTF-16、GB18030），请另存为 UTF-8 后重新提交",
                        "encoding")
    text, _encoding = decoded
    if "\x00" in text:
        raise ReadError(str(path), "文本文件中含有二进制内容，不是表格文本", "not_spreadsheet")
    delimiter = _choose_delimiter(path, text)
    table = split_table(text, delimiter, limits.max_rows, limits.max_cols)
    _check_deadline(path, deadline, limits)
    refusal = too_many_cells_error(path, path.stem, len(table), max((len(r) for r in table), default=0), limits)
    if refusal:
        raise refusal
    rows = [[None if not field.strip() else field for field in line] for line in table]
    return Grid(name=path.stem, rows=_trim(rows), merged=[], percent_cells=None, origin=(0, 0))

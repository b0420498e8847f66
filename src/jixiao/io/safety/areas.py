"""The used area of every sheet, per format, found from the bytes before a reader sees them.

python-calamine allocates the whole bounding box of a sheet's cells (a lone cell at
XFD1048576 beside A1 asks for 512 GB and aborts the process), so the area is bounded
here: xlsx by scanning the sheet XML for cell references, ods by walking content.xml's
table tags with their repeat counts, xls by walking the BIFF records.
"""

from __future__ import annotations

import functools
import posixpath
import re
import struct
from pathlib import Path
from typing import TYPE_CHECKING

from jixiao.grid import column_number
from jixiao.io.safety.limits import Limits, refuse, too_many_cells_error, too_many_merges_error
from jixiao.io.safety.package import is_utf16

if TYPE_CHECKING:
    from jixiao.io.safety.package import ZipPackage


# BIFF records that put a value in a cell: row and column are their first two u16 fields.
# (BLANK/MULBLANK only format a cell; calamine leaves them out of the range.)
_BIFF_VALUE_CELLS = {0x00FD, 0x0203, 0x027E, 0x0006, 0x0204, 0x0205, 0x00D6}
_BIFF_MULRK, _BIFF_BOF, _BIFF_EOF, _BIFF_BOUNDSHEET, _BIFF_FILEPASS = 0x00BD, 0x0809, 0x000A, 0x0085, 0x002F
_BIFF_MERGEDCELLS = 0x00E5


def check_xls_records(path: Path, data: bytes, limits: Limits | None) -> None:
    """Walk the BIFF records: FILEPASS in the globals means an open password; with
    ``limits``, each worksheet's last used row and column and the sheet count are checked.

    calamine builds a dense range over a sheet's value cells before anyone can look at
    it: a 6 KB .xls with cells at A1 and IV65536 costs a gigabyte. (Record headers stay
    clear under BIFF encryption.)
    """
    unpack = struct.unpack_from
    names: list[str] = []
    n_sheets = 0
    in_sheet = False
    max_row = max_col = merges = 0
    pos, end = 0, len(data) - 4
    while pos <= end:
        typ, size = unpack("<HH", data, pos)
        body = pos + 4
        if typ in _BIFF_VALUE_CELLS and size >= 4:
            row, col = unpack("<HH", data, body)
            if row >= max_row:
                max_row = row + 1
            if col >= max_col:
                max_col = col + 1
        elif typ == _BIFF_MULRK and size >= 6:
            row, = unpack("<H", data, body)
            last_col, = unpack("<H", data, body + size - 2)
            max_row, max_col = max(max_row, row + 1), max(max_col, last_col + 1)
        elif typ == _BIFF_FILEPASS:
            raise refuse(path, "文件已加密，请去除密码后重新提交", "encrypted")
        elif typ == _BIFF_BOF and size >= 4:
            if limits is None and pos > 0:
                return  # past the globals: sniffing needs no more
            # every substream but the globals (5) and VB modules (6): worksheets (0x10),
            # and Excel 4.0 macro sheets (0x40) and charts (0x20), which calamine reads too
            in_sheet = unpack("<H", data, body + 2)[0] not in (0x0005, 0x0006)
            if in_sheet and limits is not None:
                n_sheets += 1
                if n_sheets > limits.max_sheets:
                    raise refuse(path, f"工作簿有超过 {limits.max_sheets} 个工作表，远超正常规模，拒绝读取",
                                  "too_many_sheets")
            max_row = max_col = merges = 0
        elif typ == _BIFF_EOF and in_sheet and limits is not None:
            sheet = names[n_sheets - 1] if n_sheets <= len(names) else f"第 {n_sheets} 个工作表"
            refusal = (too_many_cells_error(path, sheet, max_row, max_col, limits)
                       or too_many_merges_error(path, sheet, merges, limits))
            if refusal:
                raise refusal
            in_sheet = False
        elif typ == _BIFF_MERGEDCELLS and size >= 2 and limits is not None:
            merges += unpack("<H", data, body)[0]
        elif typ == _BIFF_BOUNDSHEET and size >= 8:
            names.append(_biff_sheet_name(data[body + 6:body + size]))
        pos = body + size


def _biff_sheet_name(raw: bytes) -> str:
    """BOUNDSHEET's ShortXLUnicodeString: length, flags, then Latin-1 or UTF-16 chars."""
    if len(raw) < 2:
        return "?"
    length, flags = raw[0], raw[1]
    if flags & 1:
        return raw[2:2 + 2 * length].decode("utf-16-le", "replace")
    return raw[2:2 + length].decode("latin-1")


# Attribute runs are bounded ({0,2048}): an unbounded [^>]* restarted at every "<" of a
# tag soup without ">" would make these scans quadratic.
_XLSX_SHEET_TAG = re.compile(rb'<(?:\w+:)?sheet\s[^<>]{0,2048}?\bname\s*=\s*["\']([^"\'<>]*)["\']'
                             rb'[^<>]{0,2048}?\br:id\s*=\s*["\']([^"\'<>]*)["\']')
_XLSX_SHEET_TAG_ANY = re.compile(rb"<(?:\w+:)?sheet\s")
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\s[^<>]{0,4096}>")
# XML allows either quote and spaces around "=": what the gate must read as calamine does
# (a single-quoted r='XFD1048576' passed it unseen)
_ATTR_ANY_QUOTE = re.compile(rb'([\w:]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
# Row and cell start tags; a self-closing cell is empty (calamine skips it).
_XLSX_CELL_REF_FIRST = re.compile(rb'<c r="([A-Z]{1,4})([0-9]{1,9})"')
_XLSX_ROW_OR_CELL = re.compile(rb"<(?:\w+:)?(row|c)(?=[\s/>])([^<>]{0,2048}?)(/?)>")
_XLSX_CELL_REF = re.compile(rb'\sr\s*=\s*["\']\$?([A-Za-z]{1,4})\$?([0-9]{1,9})["\']')
_XLSX_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref\s*=\s*["\']([^"\'<>]*)["\']')
_XLSX_ROW_REF = re.compile(rb'\sr\s*=\s*["\']([0-9]{1,9})["\']')
_XLSX_ROW_TAG = re.compile(rb"<(?:\w+:)?row(?=[\s/>])([^<>]{0,2048}?)>")


def xlsx_sheet_members(package: ZipPackage, limits: Limits) -> dict[str, str]:
    """{member: sheet name} for every sheet part, by the workbook's relationships and by
    location (a part the workbook does not list is still scanned); refuses too many."""
    names = package.names
    rels = names.get("xl/_rels/workbook.xml.rels")
    listed, n_sheet_tags = _listed_sheets(package.xml("xl/workbook.xml"), package.xml(rels) if rels else b"")
    members = {n: n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")
               and "/_rels/" not in n}
    for member, name in listed:
        if member in names:
            members[member] = name
    n_sheets = max(len(members), n_sheet_tags)
    if n_sheets > limits.max_sheets:
        raise refuse(
            package.path, f"工作簿有 {n_sheets} 个工作表（上限 {limits.max_sheets} 个），远超正常规模，拒绝读取",
            "too_many_sheets",
        )
    return members


# Files of one batch mostly come from one template or one exporter, with the very same
# workbook.xml and relationships: their parse is kept, keyed by those bytes.
@functools.lru_cache(maxsize=256)
def _listed_sheets(workbook: bytes, rels_xml: bytes) -> tuple[tuple[tuple[str, str], ...], int]:
    """((member, sheet name) for each <sheet> whose r:id has a target), and the number of
    <sheet> tags."""
    targets: dict[bytes, str] = {}
    for tag in _REL_TAG.findall(rels_xml):
        attrs = {k: a or b for k, a, b in _ATTR_ANY_QUOTE.findall(tag)}
        target = attrs.get(b"Target", b"").decode("utf-8", "replace")
        if target.startswith("/"):
            member = target.lstrip("/")
        else:
            member = _normalized_target(target)
        targets[attrs.get(b"Id", b"")] = member
    listed = tuple((targets[rid], name.decode("utf-8", "replace"))
                   for name, rid in _XLSX_SHEET_TAG.findall(workbook) if rid in targets)
    return listed, len(_XLSX_SHEET_TAG_ANY.findall(workbook))


@functools.lru_cache(maxsize=1024)
def _normalized_target(target: str) -> str:
    """A relationship target relative to xl/ as a member name (the same few every file)."""
    return posixpath.normpath(posixpath.join("xl", target))


def check_xlsx_sheet(path: Path, chunks, sheet: str, limits: Limits, whole: bool = False) -> None:
    """Refuse a sheet whose cells reach past the limits. ``whole``: ``chunks`` is the whole
    sheet in one piece, so the quick bound below may answer for all of it."""
    max_row = max_col = merges = 0
    state = [0, 0]  # current row and column, for cells placed without a reference
    first = True
    for chunk in chunks:
        merges += chunk.count(b"<mergeCell ") + chunk.count(b":mergeCell ")
        refusal = too_many_merges_error(path, sheet, merges, limits)
        if refusal:
            raise refusal
        if first:
            if is_utf16(chunk):
                # calamine reads such a sheet as empty; openpyxl would not: refuse both ways
                raise refuse(path, f"工作表“{sheet}”使用 UTF-16 编码，不受支持，请用 Excel 另存为 .xlsx 后重新提交",
                              "unsupported")
            dimension = _check_dimension(path, chunk, sheet, limits)
            first = False
            if whole and _cells_within(chunk, dimension, limits):
                return
        # Fast path: every cell starts with its reference (Excel, WPS, LibreOffice and
        # xlsxwriter all write <c r="A1" ...>); the largest row and column over all cells,
        # empty ones included, bound the used area from above. Only when that bound breaks a
        # limit is the chunk placed exactly, empty styled cells left out as calamine does.
        refs = _XLSX_CELL_REF_FIRST.findall(chunk)
        if refs and not _odd_cell_tag(chunk, 4, 9):
            cols, rows = zip(*refs)
            bound_row = max(max_row, max(map(int, set(rows))))
            bound_col = max(max_col, max(map(column_number, set(cols))))
            if too_many_cells_error(path, sheet, bound_row, bound_col, limits) is None:
                max_row, max_col = bound_row, bound_col
                state[:] = _position_after(chunk, refs, state, max_row)
                continue
        max_row, max_col = _place_cells(chunk, max_row, max_col, state)
        refusal = too_many_cells_error(path, sheet, max_row, max_col, limits)
        if refusal:
            raise refusal


def _position_after(chunk: bytes, refs: list[tuple[bytes, bytes]], state: list[int], max_row: int) -> list[int]:
    """[row, column] where calamine stands after a chunk whose cells all have references:
    a later cell without one goes right of it. The row is its last row tag's number (or,
    for a row tag without one, an upper bound); the column the last cell's, if that cell
    comes after the last row tag."""
    row, row_at = state[0], -1
    n_tags = 0
    for n_tags, m in enumerate(_XLSX_ROW_TAG.finditer(chunk), start=1):
        row_at, attrs = m.start(), m.group(1)
    if row_at >= 0:
        ref = _XLSX_ROW_REF.search(attrs)
        row = int(ref.group(1)) if ref else max(max_row, state[0]) + n_tags
    col = column_number(refs[-1][0]) if chunk.rfind(b'<c r="') > row_at else 0 if row_at >= 0 else state[1]
    return [row, col]


def _odd_cell_tag(xml: bytes, letters: int, digits: int) -> bool:
    """Whether any cell start tag is other than ``<c r="`` + a reference of at most
    ``letters`` letters and ``digits`` digits: a prefixed <x:c>, a <c> without attributes
    or with another separator, another first attribute, a lower-case or $ reference."""
    return bool(_PREFIXED_CELL_TAG.search(xml) or _unprefixed_odd_cell_tag(letters, digits).search(xml))


# Two searches, not one alternation: each then starts with a literal that re skips to fast.
_PREFIXED_CELL_TAG = re.compile(rb":c[\s/>]")


@functools.lru_cache(maxsize=64)
def _unprefixed_odd_cell_tag(letters: int, digits: int) -> re.Pattern[bytes]:
    return re.compile(rb'<c(?:[\t\r\n/>]| (?!r="[A-Z]{1,%d}[0-9]{1,%d}"))' % (letters, digits))


_LARGEST_COLUMN = {1: 26, 2: 702, 3: 18278, 4: 475254}
_REF_SHAPE = re.compile(rb"\$?([A-Za-z]{1,4})\$?([0-9]{1,9})")


def _cells_within(xml: bytes, dimension: re.Match[bytes] | None, limits: Limits) -> bool:
    """True when a whole sheet's cells surely stay inside the limits, without reading them.

    The <dimension> ref (or, lacking one, the last cell) gives a shape: so many column
    letters and row digits. If every cell tag is ``<c r="...`` with a reference no longer
    than that (one regex search finds any other), then the last row is below 10^digits and
    the last column at most ZZ..Z, and that box is inside the limits. Any doubt answers
    False and the cells are placed one by one.
    """
    shape = dimension
    if shape is None:
        last = xml.rfind(b'<c r="')
        shape = _XLSX_CELL_REF_FIRST.match(xml, last) if last >= 0 else None
        if shape is None:
            return False
    letters, digits = len(shape.group(1)), len(shape.group(2))
    if too_many_cells_error("", "", 10 ** digits - 1, _LARGEST_COLUMN[letters], limits) is not None:
        return False
    return not _odd_cell_tag(xml, letters, digits)


def _find_dimension(xml: bytes) -> re.Match[bytes] | None:
    """_XLSX_DIMENSION.search, but jumping from one "dimension" to the next: the regex
    alone tries every "<" of a sheet that has none."""
    pos = xml.find(b"dimension")
    while pos >= 0:
        tag = _XLSX_DIMENSION.match(xml, xml.rfind(b"<", 0, pos))
        if tag and tag.start(1) > pos:
            return tag
        pos = xml.find(b"dimension", pos + 9)
    return None


def _check_dimension(path: Path, head: bytes, sheet: str, limits: Limits) -> re.Match[bytes] | None:
    """openpyxl in read-only mode trusts <dimension>: a huge claim is refused even though
    calamine ignores it. Returns the last cell of the claim, if any."""
    dimension = _find_dimension(head)
    if dimension:
        ref = _REF_SHAPE.fullmatch(dimension.group(1).split(b":")[-1])
        if ref:
            refusal = too_many_cells_error(path, sheet, int(ref.group(2)), column_number(ref.group(1)), limits)
            if refusal:
                raise refusal
            return ref
    return None


def _place_cells(chunk: bytes, max_row: int, max_col: int, state: list[int]) -> tuple[int, int]:
    """Place cells as calamine does when some lack r=: right of the previous cell, in a row
    placed by its own r= (or below the previous row). ``state`` carries [row, col] across
    chunks."""
    row, col = state
    for m in _XLSX_ROW_OR_CELL.finditer(chunk):
        tag, attrs, selfclosing = m.group(1), m.group(2), m.group(3)
        if tag == b"row":
            ref = _XLSX_ROW_REF.search(attrs)
            row = int(ref.group(1)) if ref else row + 1
            col = 0
            continue
        ref = _XLSX_CELL_REF.search(attrs)
        if ref:
            col = column_number(ref.group(1))
            cell_row = int(ref.group(2))
        else:
            col += 1
            cell_row = row
        if selfclosing:
            continue  # empty styled cell: calamine skips it
        max_row = max(max_row, cell_row)
        max_col = max(max_col, col)
    state[:] = [row, col]
    return max_row, max_col


_ODS_TAG = re.compile(
    rb"<(/?)(?:\w+:)?(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^<>]{0,4096}?)(/?)>"
)
_ODS_REPEAT = re.compile(rb'number-(rows|columns)-repeated\s*=\s*["\']([0-9]{1,12})["\']')
# <text:s text:c="1500000000"/>: that many spaces, which calamine builds as one string
_ODS_SPACES = re.compile(rb'<(?:\w+:)?s\s[^<>]{0,256}?\bc\s*=\s*["\']([0-9]{1,12})["\']')
#: spaces a cell's text may hold through <text:s>, and the whole document (a cell holds
#: at most 32,767 characters in Excel; no form pads more than a few)
_ODS_MAX_SPACES, _ODS_MAX_SPACES_TOTAL = 32_767, 1_000_000
_ODS_VALUE = re.compile(rb"value-type=|formula=")
_ODS_NAME = re.compile(rb'\bname="([^"]*)"')


def check_ods_content(path: Path, chunks, limits: Limits) -> None:
    """Walk content.xml's table/row/cell tags, expanding repeat counts arithmetically.

    A cell counts as used when it has a value type, a formula or child content; repeated
    empty cells (LibreOffice pads every sheet with them) cost nothing.
    """
    n_sheets = 0
    sheet = ""
    row_index = row_repeat = 0
    col = used_rows = used_cols = 0

    def check_sheet() -> None:
        refusal = too_many_cells_error(path, sheet, used_rows, used_cols, limits)
        if refusal:
            raise refusal

    col_spans = row_spans = spaces = 0
    for chunk in chunks:
        for m in _ODS_SPACES.finditer(chunk):
            count = int(m.group(1))
            spaces += count
            if count > _ODS_MAX_SPACES or spaces > _ODS_MAX_SPACES_TOTAL:
                raise refuse(path, f"表格中有异常多的连续空格（{count} 个），远超正常规模，拒绝读取",
                              "too_large")
        # a merged range is one cell spanning columns and/or rows (counted over the workbook)
        col_spans += chunk.count(b"number-columns-spanned=")
        row_spans += chunk.count(b"number-rows-spanned=")
        refusal = too_many_merges_error(path, sheet or "?", max(col_spans, row_spans), limits)
        if refusal:
            raise refusal
        for m in _ODS_TAG.finditer(chunk):
            closing, tag, attrs, selfclosing = m.group(1), m.group(2), m.group(3), m.group(4)
            if tag == b"table":
                if closing:
                    check_sheet()
                    continue
                n_sheets += 1
                if n_sheets > limits.max_sheets:
                    raise refuse(
                        path, f"工作簿有超过 {limits.max_sheets} 个工作表，远超正常规模，拒绝读取", "too_many_sheets"
                    )
                name = _ODS_NAME.search(attrs)
                sheet = name.group(1).decode("utf-8", "replace") if name else f"第 {n_sheets} 个工作表"
                row_index = row_repeat = used_rows = used_cols = 0
            elif tag == b"table-row":
                if closing:
                    continue
                row_index += row_repeat  # the previous row (0 before the first)
                rep = _ODS_REPEAT.search(attrs)
                row_repeat = 0 if selfclosing else (int(rep.group(2)) if rep else 1)
                if selfclosing:
                    row_index += int(rep.group(2)) if rep else 1
                col = 0
            elif not closing:  # a cell
                rep = _ODS_REPEAT.search(attrs)
                cell_repeat = int(rep.group(2)) if rep else 1
                if _ODS_VALUE.search(attrs) or not selfclosing:
                    used_cols = max(used_cols, col + cell_repeat)
                    used_rows = max(used_rows, row_index + row_repeat)
                    if used_rows > limits.max_rows or used_cols > limits.max_cols \
                            or used_rows * used_cols > limits.max_cells_per_sheet:
                        check_sheet()
                col += cell_repeat
    check_sheet()

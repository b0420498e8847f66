"""Grids straight from the sheet XML the safety gate already inflated, for plain .xlsx.

calamine opens the package again, inflates every part a second time and parses styles to
tell dates from numbers: for a small form that is most of the cost of reading it. Most
returned workbooks are plain: cells with a reference, shared strings or numbers, no
dates. For those this module builds the same grids calamine would from the bytes already
in memory; for anything else it answers None and the caller uses calamine, so what a
workbook holds never depends on which reader took it.

"Anything else" is decided conservatively: a cell without its reference first, a
namespace prefix, a numeric cell whose style could be a date or time, a date cell
(t="d"), rich inline text, a sheet part the workbook does not list. The tests compare
both readers on every workbook the suite writes.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, Iterable

from jixiao.io.grid import Grid
from jixiao.io.safety import _ATTR, Limits, ZipPackage, column_number, xlsx_sheet_members

# One pattern for a whole cell as Excel, WPS, LibreOffice, xlsxwriter and openpyxl write
# it: reference first, then style and type, then an optional formula and a value or a
# plain inline string (openpyxl writes those). A cell written any other way (rich inline
# text, say) is not matched, which the count of <c> tags reveals (fallback to calamine).
# Every repeat stops at the next "<" or ">" and attribute runs are bounded (as in io.safety),
# so a hostile part costs linear time.
_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?\s*'
    rb'(?:/>|>(<f\b[^<>]{0,2048}?(?:/>|>[^<]*</f>))?'
    rb'(?:(<v>([^<]*)</v>|<v\s*/>)|(<is>)((?:<t(?:\s[^<>]{0,2048})?>[^<]*</t>|<t\s*/>)*)</is>)?</c>)')
_TEXT = re.compile(r"<t(?:\s[^<>]{0,2048})?>([^<]*)</t>|<t(?:\s[^<>]{0,2048})?/>")
_PLAIN_SHARED = re.compile(r'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>|<si><t/></si>|<si/>')
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?"')
_SHEET_TAG = re.compile(rb"<sheet\s([^<>]{0,2048}?)/?>")
_EMPTY_SHEET_DATA = re.compile(rb"<sheetData\s*/>")
_ESCAPED_CHAR = re.compile(r"_x([0-9A-Fa-f]{4})_")
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9A-Fa-f]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}

#: number formats that show a date or time: the built-in ones (including the East Asian
#: ids 27-36 and 50-58) and any custom code with a date or time letter outside quotes
_BUILTIN_DATE_FORMATS = frozenset({*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)})
_NUMFMT = re.compile(rb"<(?:\w+:)?numFmt\s([^<>]{0,2048})>")
_XF = re.compile(rb"<(?:\w+:)?xf\s([^<>]{0,2048})>")
_XF_NUMFMT = re.compile(rb'numFmtId="([0-9]+)"')


_KNOWN_TYPES = frozenset({b"s", b"n", b"str", b"inlineStr", b"b", b"e"})


class NotPlain(Exception):
    """The package holds something this reader leaves to calamine."""


def read_plain_xlsx(package: ZipPackage, limits: Limits) -> list[Grid] | None:
    """Every worksheet of a gated .xlsx as grids, or None when it is not plain (see the
    module's docstring). Raises nothing of its own for a hostile file: the gate has
    already bounded sizes, cell positions and entities."""
    try:
        return _read(package, limits)
    except (NotPlain, KeyError, ValueError, IndexError, UnicodeDecodeError):
        return None


def _read(package: ZipPackage, limits: Limits) -> list[Grid]:
    names = package.names
    members = xlsx_sheet_members(package, limits)
    listed = _listed(package.xml("xl/workbook.xml"))
    # Parts come through package.xml: as the gate kept them, or inflated again with the
    # same checks when the gate streamed a large one.
    shared = _shared_strings(package.xml(_SHARED_STRINGS)) if _SHARED_STRINGS in names else []
    if _STYLES not in names and any(n.lower().endswith("styles.xml") for n in names):
        raise NotPlain  # styles under another name: the dates in it are calamine's to find
    date_styles = _date_styles(package.xml(_STYLES)) if _STYLES in names else frozenset()
    by_name = {name: member for member, name in members.items()}
    grids = []
    for name, visibility in listed:
        member = by_name.get(name)
        if member is None:
            raise NotPlain  # a listed sheet without its part (or a chart sheet)
        grids.append(_grid(name, package.xml(member), shared, date_styles, visibility, limits))
    if len(grids) != len(members):
        raise NotPlain  # a sheet part the workbook does not list: calamine decides
    return grids


_SHARED_STRINGS = "xl/sharedStrings.xml"
_STYLES = "xl/styles.xml"


@functools.lru_cache(maxsize=256)
def _listed(workbook_xml: bytes) -> tuple[tuple[str, str], ...]:
    """(sheet name, visibility) in workbook order."""
    sheets = []
    for raw in _SHEET_TAG.findall(workbook_xml):
        attrs = {k: v for k, v in _ATTR.findall(raw)}
        state = attrs.get(b"state", b"visible")
        visibility = {b"hidden": "hidden", b"veryHidden": "very_hidden"}.get(state, "visible")
        # an attribute's raw whitespace reads as spaces (XML attribute normalization)
        name = re.sub(r"\r\n|[\t\n\r]", " ", attrs[b"name"].decode("utf-8"))
        sheets.append((unescape(name), visibility))
    return tuple(sheets)


def unescape(text: str) -> str:
    """XML's escapes in text or an attribute value (&amp; &#13; …) decoded."""
    return _ENTITY.sub(_entity, text) if "&" in text else text


def _entity(m: re.Match[str]) -> str:
    name = m.group(1)
    if name[0] != "#":
        return _NAMED[name]
    try:
        return _char(int(name[2:], 16) if name[1] == "x" else int(name[1:]))
    except (ValueError, OverflowError):  # no such character: malformed, kept as written
        return m.group(0)


def _char(code: int) -> str:
    """The character of a code point; a lone surrogate (&#xD800;, _xD800_) is no text any
    output can encode: U+FFFD, as a UTF-8 decoder would make of it."""
    return "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)


def _cell_text(text: str) -> str:
    """Text as stored in a part: line ends as an XML parser reports them (a raw CR or
    CRLF is a LF; an escaped one stays), XML escapes, then Excel's _xHHHH_ escapes of
    control characters (as calamine decodes them)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    if "_x" in text:
        text = _ESCAPED_CHAR.sub(lambda m: _char(int(m.group(1), 16)), text)
    return text


@functools.lru_cache(maxsize=64)
def _shared_strings(xml: bytes) -> list[str]:
    """The shared-string table (the same table recurs in every file of one template)."""
    text = xml.decode("utf-8")
    n_items = text.count("<si")
    if n_items != text.count("<si>") + text.count("<si/>"):
        raise NotPlain  # <si> with attributes or a prefix
    # Most tables are one plain <t> per item: one pass, no per-item parsing.
    strings = _PLAIN_SHARED.findall(text)
    if len(strings) != n_items:
        strings = [_rich_item(piece) for piece in text.split("<si")[1:]]
    if "&" in text or "_x" in text or "\r" in text:
        strings = [_cell_text(item) for item in strings]
    return strings


def _rich_item(piece: str) -> str:
    """The text of one shared string given from just after its "<si": the <t> of every
    run, without phonetic guides (<rPh>), which are not the cell's text."""
    if piece.startswith("/>"):
        return ""
    end = piece.find("</si>")
    if not piece.startswith(">") or end < 0:
        raise NotPlain
    body = piece[1:end]
    while (start := body.find("<rPh")) >= 0:
        stop = body.find("</rPh>", start)
        if stop < 0:
            raise NotPlain
        body = body[:start] + body[stop + 6:]
    return "".join(_TEXT.findall(body))


def styles_showing(styles_xml: bytes, builtin_formats: Iterable[int],
                   shows: Callable[[str], bool]) -> frozenset[int]:
    """Indexes of the cell styles (cellXfs) whose number format is one of the built-in
    ``builtin_formats`` or a custom format code for which ``shows(code)`` is true."""
    format_ids = set(builtin_formats)
    for raw in _NUMFMT.findall(styles_xml):
        attrs = dict(_ATTR.findall(raw))  # LibreOffice writes formatCode first
        code, fmt_id = attrs.get(b"formatCode"), attrs.get(b"numFmtId", b"")
        if code is not None and fmt_id.isdigit() and shows(unescape(code.decode("utf-8", "replace"))):
            format_ids.add(int(fmt_id))
    start = styles_xml.find(b"cellXfs")
    if start < 0:
        return frozenset()
    end = styles_xml.find(b"cellXfs", start + 7)
    section = styles_xml[start:end if end > 0 else len(styles_xml)]
    styles = set()
    for index, attrs in enumerate(_XF.findall(section)):
        fmt = _XF_NUMFMT.search(attrs)
        if fmt and int(fmt.group(1)) in format_ids:
            styles.add(index)
    return frozenset(styles)


def format_sections(code: str) -> str:
    """A number format code without its quoted text, escaped characters and [brackets]:
    what is left are the symbols that decide what it shows."""
    return re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)


@functools.lru_cache(maxsize=64)
def _date_styles(styles_xml: bytes) -> frozenset[int]:
    """Indexes of the cell styles whose number format may show a date or time."""
    return styles_showing(styles_xml, _BUILTIN_DATE_FORMATS, _is_date_format)


def _is_date_format(code: str) -> bool:
    """A date or time letter outside quoted text, escapes and [brackets] (elapsed-time
    brackets such as [h] count as time)."""
    if re.search(r"\[(?:h+|m+|s+)\]", code, re.I):
        return True
    return bool(re.search(r"[yYmMdDhHsS]", format_sections(code).replace("General", "")))


def _grid(name: str, xml: bytes, shared: list[str], date_styles: frozenset[int], visibility: str,
          limits: Limits) -> Grid:
    start = xml.find(b"<sheetData")
    if start < 0:
        raise NotPlain  # a prefixed or unusual sheet
    end = xml.find(b"</sheetData>", start)
    if end < 0:
        if not _EMPTY_SHEET_DATA.match(xml, start):
            raise NotPlain
        data = b""  # <sheetData/>: a sheet without cells
    else:
        data = xml[start:end]
    cells = _CELL.findall(data)
    # Inside sheetData only cells start with "<c" (and the <color>/<charset> of rich
    # inline text, which goes to calamine anyway).
    if len(cells) != data.count(b"<c"):
        raise NotPlain  # a cell written otherwise than the pattern expects
    # As calamine: a value element makes a cell part of the sheet's area even when what it
    # holds reads as empty ("" text, an error: kept in `blank`), except for an empty number,
    # boolean or shared-string index; cells without one are left out.
    values: dict[tuple[int, int], Any] = {}
    blank: list[tuple[int, int]] = []
    columns = _COLUMNS
    typed: set[tuple[int, int]] = set()
    for letters, digits, style, kind, formula, value_tag, v, inline_tag, inline in cells:
        if not value_tag and not inline_tag:
            if kind and kind not in _KNOWN_TYPES:
                raise NotPlain
            continue  # no value: a border, a cleared formula
        col = columns.get(letters)
        if col is None:
            col = columns[letters] = column_number(letters) - 1
        position = (int(digits) - 1, col)
        if not formula:
            typed.add(position)  # an error or empty text typed in counts too (R05)
        # int() and float() read the digits as bytes: only text is decoded
        if kind == b"s":
            if not v:
                continue
            value: Any = shared[int(v)]
        elif not kind or kind == b"n":
            if not v:
                continue
            if date_styles and int(style or b"0") in date_styles:
                raise NotPlain  # calamine turns it into a date
            values[position] = float(v)
            continue
        elif kind == b"str":
            value = _cell_text(v.decode("utf-8"))
        elif kind == b"inlineStr" and inline_tag:
            value = _cell_text("".join(_TEXT.findall(inline.decode("utf-8"))))
        elif kind == b"b":
            if v:
                values[position] = v.strip() == b"1"
            continue
        elif kind == b"e":
            if v:
                blank.append(position)  # an error value (#DIV/0!) reads as an empty cell
            continue
        else:
            raise NotPlain  # t="d", a value where none is expected, anything unknown
        if value:
            values[position] = value
        else:
            blank.append(position)
    if not values and not blank:
        return Grid(name=name, rows=[], merged=_merged(xml, 0, 0, limits), origin=(0, 0),
                    visibility=visibility, typed_cells=typed)
    # the area starts at the first cell with a value element and ends, as read_grids trims
    # calamine's rows, at the last one that is not empty
    first_row = min(r for r, _ in (*values, *blank)) if blank else min(r for r, _ in values)
    first_col = min(c for _, c in (*values, *blank)) if blank else min(c for _, c in values)
    rows: list[list[Any]] = []
    if values:
        width = max(c for _, c in values) - first_col + 1
        rows = [[None] * width for _ in range(max(r for r, _ in values) - first_row + 1)]
        for (r, c), value in values.items():
            rows[r - first_row][c - first_col] = value
    return Grid(name=name, rows=rows, merged=_merged(xml, first_row, first_col, limits),
                origin=(first_row, first_col), visibility=visibility, typed_cells=typed)


def _merged(xml: bytes, r0: int, c0: int, limits: Limits) -> list[tuple[int, int, int, int]]:
    """Merged ranges in grid coordinates, clipped as read_grids clips calamine's."""
    start = xml.find(b"<mergeCells")
    if start < 0:
        return []
    last_row, last_col = limits.max_rows - 1, limits.max_cols - 1
    merged = []
    for l1, d1, l2, d2 in _MERGE.findall(xml, start):
        fr, fc = int(d1) - 1, column_number(l1) - 1
        lr, lc = (int(d2) - 1, column_number(l2) - 1) if d2 else (fr, fc)
        if lr < r0 or lc < c0 or fr > last_row or fc > last_col:
            continue
        merged.append((fr - r0 if fr > r0 else 0, fc - c0 if fc > c0 else 0,
                       (lr if lr < last_row else last_row) - r0, (lc if lc < last_col else last_col) - c0))
    return merged


#: column letters -> 0-based number, filled as letters are met
_COLUMNS: dict[bytes, int] = {}

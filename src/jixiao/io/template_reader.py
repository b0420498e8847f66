"""Read a workbook made by ``jixiao template`` exactly, through its defined names.

Our own forms need no label search: every field has a defined name (``JX_PROJECT``,
``JX_FUND_TOTAL_BUDGET``, ``JX_INDICATORS`` …, see :mod:`jixiao.contract`) that
Excel moves along when rows are inserted, and the very hidden ``_jixiao`` sheet says which
template, profile and form each sheet is, and which values were locked at budget time.

Values come from the grids the checker already read. calamine gives values only, so
which of the template's formula cells now hold a typed constant (R05) is found in the
sheet XML the gate holds: the few cells the contract names are looked up, not parsed.
"""

from __future__ import annotations

import functools
import html
import json
import re
import zipfile
from posixpath import join as posix_join, normpath
from typing import TYPE_CHECKING, Any, Iterable

from jixiao.fingerprint import well_formed
from jixiao.grid import Grid, cell_ref, parse_cell_ref
from jixiao.model import FormRecord, FundRow, Indicator, TemplateInfo
from jixiao import contract as L
from jixiao.values import (ValueParseError, clean_text, money_unit_of, parse_number, parse_rate_pct,
                           parse_year, percent_text, plain_float)

if TYPE_CHECKING:
    from jixiao.io.safety import ZipPackage

# Our names only (JX_...: no entity can spell those letters), the name attribute taken
# wherever it stands among the others.
_JX_DEFINED_NAME = re.compile(rb'<definedName\b[^>]*?\sname="(' + re.escape(L.NAME_PREFIX.encode())
                              + rb'[^"]*)"[^>]*>([^<]*)</definedName>')
_SHEET = re.compile(rb'<sheet\b([^>]*?)/?>')
_RELATIONSHIP = re.compile(rb'<Relationship\b([^>]*?)/?>')
_REF = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^!]+))!\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?$")
_NUMBER_FIELDS = ("initial", "budget", "executed", "weight", "score")


_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')


def _attrs(raw: bytes) -> dict[str, str]:
    return {k.decode(): html.unescape(v.decode("utf-8")) for k, v in _ATTRIBUTE.findall(raw)}


# The same few dozen references ("自评表!$B$4") recur in every file of a batch.
@functools.lru_cache(maxsize=4096)
def _parse_ref(text: str) -> tuple[str, int, int, int, int] | None:
    """"'自评表'!$B$13:$I$32" -> (sheet, first_row, first_col, last_row, last_col), 0-based."""
    m = _REF.match(text.strip())
    if not m:
        return None
    sheet = (m.group(1) or "").replace("''", "'") or m.group(2)
    r1, c1 = parse_cell_ref(f"{m.group(3)}{m.group(4)}")
    if m.group(5):
        r2, c2 = parse_cell_ref(f"{m.group(5)}{m.group(6)}")
    else:
        r2, c2 = r1, c1
    return sheet, r1, c1, r2, c2


class _Workbook:
    """The parts of the package this reader needs: names, sheets, their XML parts."""

    def __init__(self, read_part) -> None:
        #: member name -> its bytes (KeyError when absent)
        self.read_part = read_part
        try:
            rels = read_part("xl/_rels/workbook.xml.rels")
        except KeyError:
            rels = b""
        #: sheet name -> {JX name: parsed reference}; sheet name -> its XML part; sheet
        #: name -> its _FormPlan. Shared between files with the same workbook part: read,
        #: never change.
        self.names, self.sheet_parts, self.plans = _parse_workbook(
            read_part("xl/workbook.xml"), rels)

    def form_sheets(self) -> list[str]:
        project = f"{L.NAME_PREFIX}PROJECT"
        return [sheet for sheet in self.sheet_parts if project in self.names.get(sheet, {})]

    def constants_in(self, sheet: str, refs: Iterable[str]) -> set[str]:
        """Of ``refs``, the cells that hold a value but no formula."""
        part = self.sheet_parts.get(sheet)
        if part is None:
            return set()
        try:
            data = self.read_part(part)
        except KeyError:
            return set()
        constants = set()
        for ref in refs:
            body = _cell_body(data, ref.encode())
            if body is not None and b"<f" not in body and (b"<v" in body or b"<is" in body):
                constants.add(ref)
        return constants


# A workbook part is the same for every file made from one template and filled without
# inserting rows: its parse is kept, keyed by the bytes.
@functools.lru_cache(maxsize=256)
def _parse_workbook(workbook_xml: bytes, rels_xml: bytes) -> tuple[
        dict[str, dict[str, tuple[str, int, int, int, int]]], dict[str, str],
        dict[str, _FormPlan]]:
    names: dict[str, dict[str, tuple[str, int, int, int, int]]] = {}
    for raw_name, raw_value in _JX_DEFINED_NAME.findall(workbook_xml):
        name = html.unescape(raw_name.decode("utf-8"))
        ref = _parse_ref(html.unescape(raw_value.decode("utf-8")))
        if ref is not None:
            names.setdefault(ref[0], {})[name] = ref
    sheet_parts: dict[str, str] = {}
    rels = _relationships(rels_xml)
    for raw in _SHEET.findall(workbook_xml):
        attrs = _attrs(raw)
        target = rels.get(attrs.get("r:id", ""))
        if target:
            sheet_parts[attrs.get("name", "")] = target
    return names, sheet_parts, {sheet: _FormPlan(refs) for sheet, refs in names.items()}


def _relationships(data: bytes) -> dict[str, str]:
    rels = {}
    for raw in _RELATIONSHIP.findall(data):
        attrs = _attrs(raw)
        target = attrs.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else normpath(
            posix_join("xl", target))
        rels[attrs.get("Id", "")] = target
    return rels


_CELL_REST = re.compile(rb'[^>]*?(/>|>(.*?)</c>)', re.S)
_CELL_OPEN = re.compile(rb"<c\b[^>]*\Z")


def _cell_body(data: bytes, ref: bytes) -> bytes | None:
    """The inside of the first <c> tag with r="ref" (b"" if empty; None when there is no
    such tag or it closes itself), found by jumping to each r="ref" rather than trying a
    pattern at every cell."""
    needle = b'r="' + ref + b'"'
    pos = data.find(needle)
    while pos >= 0:
        # r= as a whole attribute name, inside a <c> start tag
        if pos > 0 and not (data[pos - 1:pos].isalnum() or data[pos - 1:pos] == b"_"):
            start = data.rfind(b"<", 0, pos)
            if start >= 0 and _CELL_OPEN.match(data, start, pos):
                m = _CELL_REST.match(data, pos + len(needle))
                if m is None:
                    return None
                return None if m.group(1) == b"/>" else (m.group(2) or b"")
        pos = data.find(needle, pos + 1)
    return None


def _metadata(grid: Grid) -> dict[str, dict[str, str]]:
    """form sheet -> {key: value} from the ``_jixiao`` sheet."""
    rows, offset = grid.rows, grid.origin[0]
    meta: dict[str, dict[str, str]] = {}
    for r, line in enumerate(rows):
        if r + offset == 0 or len(line) < 3 or line[0] is None or line[1] is None:
            continue
        value = line[2]
        meta.setdefault(str(line[0]), {})[str(line[1])] = "" if value is None else str(value)
    return meta


#: field path -> its defined name, for the formula fields
_FORMULA_FIELD_NAMES = {path: next(n for n, p in L.FIELD_NAMES.items() if p == path) for path in L.FORMULA_FIELDS}
_INDICATOR_FIELDS = tuple(L.INDICATOR_COLUMNS)
_INDICATOR_NUMBERS = frozenset({"weight", "score"})


class _FormPlan:
    """Where one form sheet's fields are, worked out once per workbook part (the defined
    names), not once per file: which cell each field is read from, its reference, and the
    cells of every row of the indicator block."""

    def __init__(self, names: dict[str, tuple[str, int, int, int, int]]) -> None:
        #: (field path, row, col, reference), in FIELD_NAMES order (the order of record.cells)
        self.fields = [(path, ref[1], ref[2], cell_ref(ref[1], ref[2]))
                       for name, path in L.FIELD_NAMES.items()
                       if path != ("indicators",) and (ref := names.get(name)) is not None]
        #: the indicator block's columns (0-based), in INDICATOR_COLUMNS order, and per row
        #: (row, {field: reference})
        self.indicator_cols: tuple[int, ...] = ()
        self.indicator_rows: list[tuple[int, dict[str, str]]] = []
        block = names.get(f"{L.NAME_PREFIX}INDICATORS")
        if block is not None:
            _, first_row, first_col, last_row, _ = block
            # the block starts at 一级指标 (column B of the contract)
            shift = first_col - L.INDICATOR_COLUMNS["level1"]
            self.indicator_cols = tuple(col + shift for col in L.INDICATOR_COLUMNS.values())
            self.indicator_rows = [
                (r, {name: cell_ref(r, c) for name, c in zip(_INDICATOR_FIELDS, self.indicator_cols)})
                for r in range(first_row, last_row + 1)]
        #: reference -> field path of the template's formula cells (R05)
        self.formula_cells = {cell_ref(names[name][1], names[name][2]): field_path
                              for field_path, name in _FORMULA_FIELD_NAMES.items() if name in names}


class _FormReader:
    def __init__(self, grid: Grid, plan: _FormPlan) -> None:
        self.grid = grid
        self.plan = plan
        self.record = FormRecord(sheet=grid.name, anchor="A1")
        self.rows = grid.rows
        self.origin_row, self.origin_col = grid.origin

    def value(self, row: int, col: int) -> Any:
        """The value at a real sheet position (Grid.value, shifted by the grid's origin)."""
        row -= self.origin_row
        col -= self.origin_col
        if 0 <= row < len(self.rows):
            line = self.rows[row]
            if 0 <= col < len(line):
                return line[col]
        return None

    def read(self) -> FormRecord:
        record = self.record
        value = self.value
        for path, row, col, ref in self.plan.fields:
            raw = value(row, col)
            if path[0] == "funds":
                self.read_fund(getattr(record.funds, path[1]), path[2], raw, ref)
            else:
                self.read_field(path[0], raw, ref)
        self.read_indicators()
        return record

    def read_field(self, name: str, raw: Any, ref: str) -> None:
        record = self.record
        record.cells[name] = ref
        if name == "year":
            record.year = parse_year(raw)
        elif name == "money_unit":
            record.money_unit = money_unit_of(raw)
        elif name in ("total_weight", "total_score"):
            setattr(record, name, self.number(raw, name, record.unparsed))
        else:
            setattr(record, name, clean_text(raw))

    def read_fund(self, row: FundRow, field_name: str, raw: Any, ref: str) -> None:
        row.cells[field_name] = ref
        if field_name == "rate_pct":
            try:
                row.rate_pct = parse_rate_pct(raw, percent_format=True)
            except ValueParseError:
                row.unparsed[field_name] = str(raw)
            return
        setattr(row, field_name, self.number(raw, field_name, row.unparsed))
        if isinstance(raw, str) and getattr(row, field_name) is not None:
            self.record.text_numbers[ref] = raw.strip()

    @staticmethod
    def number(raw: Any, field_name: str, unparsed: dict[str, str]) -> float | None:
        try:
            return parse_number(raw)
        except ValueParseError:
            unparsed[field_name] = str(raw).strip()
            return None

    def read_indicators(self) -> None:
        plan = self.plan
        if not plan.indicator_rows:
            return
        rows, n_rows = self.rows, len(self.rows)
        cols = [c - self.origin_col for c in plan.indicator_cols]
        number = self.number
        percent = self.grid.percent_cells
        indicators = self.record.indicators
        previous: Indicator | None = None
        no_line: list[Any] = []
        for r, cells in plan.indicator_rows:
            g = r - self.origin_row
            line = rows[g] if 0 <= g < n_rows else no_line
            width = len(line)
            raws = [line[c] if 0 <= c < width else None for c in cols]
            if raws.count(None) == len(raws):
                continue  # an unused row of the block (most blocks have some)
            values: dict[str, Any] = {}
            unparsed: dict[str, str] = {}
            empty = True
            for name, raw in zip(_INDICATOR_FIELDS, raws):
                kind = type(raw)
                if name in _INDICATOR_NUMBERS:
                    values[name] = raw if plain_float(raw) else number(raw, name, unparsed)
                    empty = empty and raw is None
                else:
                    text = (raw.strip() or None) if kind is str else clean_text(raw)
                    if kind in (int, float) and percent is not None and raw - raw == 0 and \
                            (g, cols[_INDICATOR_FIELDS.index(name)]) in percent:
                        text = percent_text(raw)  # 95% typed in Excel is 0.95 in a %-cell
                    values[name] = text
                    empty = empty and text is None
            if empty:
                continue
            indicator = Indicator(**values, cells=dict(cells), unparsed=unparsed, row=r + 1)
            for name in _INDICATOR_NUMBERS:
                raw = raws[_INDICATOR_FIELDS.index(name)]
                if isinstance(raw, str) and values[name] is not None:
                    self.record.text_numbers[indicator.cells[name]] = raw.strip()
            # 一级/二级 typed once over several rows, as on paper forms
            if previous is not None and indicator.level1 is None:
                indicator.level1 = previous.level1
                if indicator.level2 is None:
                    indicator.level2 = previous.level2
            indicators.append(indicator)
            previous = indicator


def _template_info(meta: dict[str, str], overwritten: list[tuple[str, str]]) -> TemplateInfo:
    def text(key: str) -> str | None:
        return meta.get(key) or None

    year = text("year")
    info = TemplateInfo(
        version=text("template_version"), profile=text("profile"),
        # ASCII digits only: "²⁰²⁴".isdigit() is true, but int() refuses it
        year=int(year) if year and len(year) == 4 and year.isascii() and year.isdigit() else None,
        money_unit=text("money_unit"),
        form_id=text("form_id"), fingerprint=text("fingerprint"),
        fingerprint_kind=text("fingerprint_kind"), overwritten_formulas=overwritten)
    locked: dict[str, Any] | None
    raw = meta.get("locked_values")
    try:
        locked = json.loads(raw) if raw else None
    except (ValueError, RecursionError):  # broken or 30,000-deep JSON typed into the sheet
        locked = None
    if raw and not well_formed(locked):
        info.locked_malformed = True
        locked = None
    info.locked_values = locked
    info.locked_json = meta.get("locked_values") if locked is not None else None
    return info


def read_template_forms(path: str, grids: list[Grid], package: ZipPackage | None) -> list[FormRecord] | None:
    """One record per form sheet of a workbook made by ``jixiao template``; None otherwise.

    This is where a workbook is recognised as ours: an .xlsx (``package``, the gate's
    in-memory package of the file) with the ``_jixiao`` sheet and ``JX_`` defined names.
    """
    meta_sheet = next((g for g in grids if g.name == L.META_SHEET), None)
    if meta_sheet is None or package is None:
        return None
    try:
        return _read_forms(grids, meta_sheet, _Workbook(package.xml))
    except (zipfile.BadZipFile, KeyError, OSError):
        return None


def _read_forms(grids: list[Grid], meta_sheet: Grid, book: _Workbook) -> list[FormRecord] | None:
    sheets = book.form_sheets()
    if not sheets:
        return None
    by_name = {g.name: g for g in grids}
    meta = _metadata(meta_sheet)
    records = []
    for sheet in sheets:
        grid = by_name.get(sheet)
        if grid is None:
            continue
        plan = book.plans[sheet]
        record = _FormReader(grid, plan).read()
        formula_cells = plan.formula_cells
        constants = book.constants_in(sheet, formula_cells)
        overwritten = [(L.field_label(formula_cells[ref]), ref)
                       for ref in formula_cells if ref in constants]
        record.template = _template_info(meta.get(sheet, {}), overwritten)
        records.append(record)
    return records

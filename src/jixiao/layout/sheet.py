"""A read-only view of a Grid with what the layout parser asks of it, computed once."""

from __future__ import annotations

from functools import cached_property, lru_cache
from typing import Any

from jixiao.grid import Grid, column_letter
from jixiao.layout.labels import cell_text, fields_of_row, string_text, text_key
from jixiao.values import BLANK_MARKS, MAX_NUMBER, ValueParseError, parse_number, percent_text, plain_float


class Sheet:
    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.rows = grid.rows if isinstance(grid.rows, list) else list(grid.rows or [])
        self.height = len(self.rows)
        self._row_base = grid.origin[0] + 1
        self._col_base = grid.origin[1]
        # Every search (heads, fund header, goals, indicator header, rows) rescans the same
        # rows, so each cell's text is worked out once here rather than on every look.
        self._texts: list[list[str | None]] = [
            [None if v is None else string_text(v) if v.__class__ is str else cell_text(v)
             for v in line] if line is not None else [] for line in self.rows]
        for r, c in grid.percent_cells or ():
            value = self.raw(r, c)
            if value.__class__ in (int, float) and -MAX_NUMBER < value < MAX_NUMBER:
                # 95% typed in Excel is stored as 0.95: read it as the person sees it
                self._texts[r][c] = percent_text(value)
        self._cells: list[tuple[tuple[int, str], ...]] = [
            tuple([(c, t) for c, t in enumerate(texts) if t is not None])
            for texts in self._texts]
        self._keys: list[tuple[str, ...]] = [
            tuple([text_key(t) for _, t in cells]) for cells in self._cells]
        self._fields: dict[tuple[int, int], dict[str, int]] = {}
        # Every value read records its cell: the letters of the sheet's columns, and a few
        # beyond for a shifted row or the cell right of a merged label, are named once.
        width = max((len(texts) for texts in self._texts), default=0)
        self._letters = [_letters(c + self._col_base) for c in range(width + 4)]

    @cached_property
    def _merged_last_col(self) -> dict[tuple[int, int], int]:
        spans: dict[tuple[int, int], int] = {}
        for rng in self.grid.merged or ():
            try:
                r1, c1, _r2, c2 = map(int, rng)
            except (TypeError, ValueError):
                continue
            spans[(r1, c1)] = max(c2, c1)
        return spans

    def raw(self, r: int, c: int) -> Any:
        if 0 <= r < self.height and c >= 0:
            line = self.rows[r]
            if line is not None and c < len(line):
                return line[c]
        return None

    def text(self, r: int, c: int) -> str | None:
        if 0 <= r < self.height and c >= 0:
            texts = self._texts[r]
            if c < len(texts):
                return texts[c]
        return None

    def is_blank(self, r: int, c: int) -> bool:
        return self.text(r, c) is None

    def cells(self, r: int) -> tuple[tuple[int, str], ...]:
        """Non-empty cells of row r as (col, text)."""
        return self._cells[r] if 0 <= r < self.height else ()

    def keys(self, r: int) -> tuple[str, ...]:
        """label_key of each of cells(r), in the same order."""
        return self._keys[r] if 0 <= r < self.height else ()

    def fields(self, r: int, table: dict[str, tuple[str, ...]]) -> dict[str, int]:
        """The fields of `table` that row r's labels name -> the first column naming each.

        Shared, not copied (every header search asks it of every row): do not modify.
        """
        found = self._fields.get((r, id(table)))
        if found is None:
            found = fields_of_row(self.cells(r), self.keys(r), table)
            self._fields[(r, id(table))] = found
        return found

    def span_end(self, r: int, c: int) -> int:
        """Last column covered by the cell at (r, c) (itself unless it starts a merge)."""
        return self._merged_last_col.get((r, c), c)

    def ref(self, r: int, c: int) -> str:
        """Grid.ref(r, c) (column 0 for a negative c)."""
        letters = self._letters
        column = letters[c] if 0 <= c < len(letters) else _letters(max(c, 0) + self._col_base)
        return f"{column}{r + self._row_base}"

    def is_percent(self, r: int, c: int) -> bool | None:
        try:
            return self.grid.is_percent(r, c)
        except Exception:  # noqa: BLE001 - a reader's odd percent_cells must not stop parsing
            return None

    def number_kind(self, r: int, c: int) -> int:
        """2 a number, 1 blank, 0 text: how well a cell fits a 分值/得分 column."""
        return number_kind(self.raw(r, c))


@lru_cache(maxsize=1024)
def _letters(col: int) -> str:
    return column_letter(col)


def number_kind(value: Any) -> int:
    if value is None:
        return 1
    if plain_float(value):
        return 2
    if isinstance(value, str):
        return _text_number_kind(value)
    return _number_kind(value)


# Cached: a row the PDF text shifted is tried at up to seven column shifts, and a text cell
# costs a raised ValueParseError at each.
@lru_cache(maxsize=16384)
def _text_number_kind(value: str) -> int:
    if value.strip() in BLANK_MARKS:
        return 1
    return _number_kind(value)


def _number_kind(value: Any) -> int:
    try:
        return 2 if parse_number(value) is not None else 1
    except (ValueParseError, ValueError, TypeError, OverflowError):
        return 0


def store_number(sheet: Sheet, r: int, c: int, obj: Any, field: str) -> None:
    """Read a number into obj.<field>, remembering its cell; text goes to obj.unparsed."""
    obj.cells[field] = sheet.ref(r, c)
    value = sheet.raw(r, c)
    if plain_float(value):
        setattr(obj, field, value)
        return
    try:
        number = parse_number(value)
    except (ValueParseError, ValueError, TypeError, OverflowError):
        text = cell_text(value)
        if text is not None:
            obj.unparsed[field] = text
        number = None
    setattr(obj, field, number)

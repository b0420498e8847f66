"""A sheet as a plain grid of cell values plus merged ranges.

Every input format (xlsx, xls, ods, csv/tsv/txt) is turned into this one shape, so a
single layout parser serves them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def column_letter(col: int) -> str:
    """0-based column index -> Excel letters (0 -> "A", 26 -> "AA")."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """0-based (row, col) -> "A1"-style reference."""
    return f"{column_letter(col)}{row + 1}"


def column_number(letters: str | bytes) -> int:
    """Excel column letters -> 1-based number ("A" -> 1, b"XFD" -> 16384); the gate
    reads them as bytes straight from the sheet XML."""
    if isinstance(letters, str):
        letters = letters.encode("ascii")
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def parse_cell_ref(ref: str) -> tuple[int, int]:
    """"A1"-style reference -> 0-based (row, col)."""
    ref = ref.replace("$", "").upper()
    digits = len(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    return int(ref[len(ref) - digits:]) - 1, column_number(ref[:len(ref) - digits]) - 1


@dataclass
class Grid:
    """One sheet: ``rows[r][c]`` is a str, int, float, bool, date/datetime or None."""

    name: str
    rows: list[list[Any]]
    #: merged ranges as 0-based inclusive (first_row, first_col, last_row, last_col)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    #: cells known to carry a percent number format; None when the reader cannot tell
    percent_cells: set[tuple[int, int]] | None = None
    #: offset of rows[0][0] on the real sheet, so references point at real cells
    origin: tuple[int, int] = (0, 0)
    #: "visible", "hidden" or "very_hidden" (only code can show it again, as our
    #: template's metadata sheet)
    visibility: str = "visible"

    @property
    def hidden(self) -> bool:
        return self.visibility != "visible"

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def value(self, row: int, col: int) -> Any:
        if 0 <= row < len(self.rows):
            line = self.rows[row]
            if 0 <= col < len(line):
                return line[col]
        return None

    def ref(self, row: int, col: int) -> str:
        """The real sheet reference of grid position (row, col)."""
        return cell_ref(row + self.origin[0], col + self.origin[1])

    def is_percent(self, row: int, col: int) -> bool | None:
        if self.percent_cells is None:
            return None
        return (row, col) in self.percent_cells

"""Text from returned workbooks is data: keep it from becoming a formula in a CSV.

Spreadsheet programs run a CSV cell that starts with = + - @ (or tab/CR followed by one)
as a formula. The OWASP rule is to prefix such a cell with a single quote.
"""

from __future__ import annotations

import csv
import os
from typing import Any, Iterable

from jixiao.io.atomic import atomic_path
from jixiao.io.textout import MAX_FIELD_CHARS, bounded

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_csv_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading quote; with it
    the cell still holds at most MAX_FIELD_CHARS (a longer one is cut, saying so)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + bounded(value, MAX_FIELD_CHARS - 1)
    return value


def write_csv_atomic(path: str | os.PathLike, header: Iterable[str],
                     rows: Iterable[Iterable[Any]]) -> None:
    """UTF-8 with BOM (Excel and WPS open it right), formula-safe, renamed into place."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(header))
        for row in rows:
            writer.writerow([safe_csv_cell(v) for v in row])

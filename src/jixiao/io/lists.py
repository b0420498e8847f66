"""Lists an officer keeps (the projects list, the distribution manifest), read as returns are.

Both are edited in Excel or WPS and saved back as .xlsx, .xls or a GBK CSV; both may be
anything the path names (a FIFO, a link to /dev/zero, a workbook with a cell at
XFD1048576). So they go through the same gate and readers as a unit's return: a regular
file, bounded in size, cells and time; a refusal is one Chinese line naming the file.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from jixiao.errors import InputError, ReadError


#: rows and cells (rows x columns) of a list's sheet: 25,000 projects of 8 indicators
LIST_MAX_ROWS, LIST_MAX_CELLS = 200_000, 4_000_000


def read_list_rows(path: str | os.PathLike, what: str,
                   has_header: Callable[[list[list[Any]]], bool],
                   limits: Any = None, missing: str | None = None) -> list[list[Any]]:
    """The rows of the first sheet of ``path`` whose head ``has_header``, placed at their
    real row and column (row 1 of the sheet is rows[0]), so messages name real rows.

    ``what`` names the list in messages (项目清单, 分发清单). InputError when the file
    cannot be read or no sheet has the header (then ``missing`` says which).
    """
    from jixiao.io.readers import read_grids
    from jixiao.io.safety import Limits

    # One row per indicator (projects) or per form (manifest): a province's list is far
    # longer than any returned form may be, so the row and area bounds are a list's.
    limits = limits or Limits.from_env(max_rows=max(LIST_MAX_ROWS, Limits.from_env().max_rows),
                                       max_cells_per_sheet=LIST_MAX_CELLS)
    try:
        grids = read_grids(path, limits)
    except ReadError as exc:
        raise InputError(f"{path}：{what}无法读取：{exc.reason}") from None
    for grid in grids:
        top, left = grid.origin
        rows = [[] for _ in range(top)] + [[None] * left + list(row) for row in grid.rows]
        if has_header(rows):
            return rows
    raise InputError(f"{path}：{missing or f'没有找到{what}的表头'}")

"""What one input file may cost, and the refusals when it costs more.

Every refusal is a :class:`jixiao.errors.ReadError` whose ``reason`` is one Chinese
sentence and whose ``kind`` is one of :data:`KINDS`.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path

from jixiao.errors import ReadError, UsageError

#: Stable slugs of ReadError.kind raised by the io layer (tests and logs rely on them).
KINDS = {
    "not_file": "not a regular file (missing, a folder, a broken link)",
    "empty": "zero bytes",
    "too_large": "file, members or total inflated size over the limits",
    "zip_bomb": "a member inflates far more than any real workbook",
    "too_many_sheets": "more sheets than max_sheets",
    "too_many_cells": "a sheet's used area over max_rows / max_cols / max_cells_per_sheet",
    "unsafe_xml": "DOCTYPE or ENTITY declarations (XXE, entity expansion)",
    "encrypted": "password-protected workbook",
    "not_spreadsheet": "pdf, Word, image, archive, text renamed, ...",
    "unsupported": "a spreadsheet format we do not read (.xlsb, Excel 4.0, HTML, XML 2003)",
    "corrupt": "truncated or damaged file",
    "encoding": "text file in an encoding we cannot decode",
    "timeout": "over the per-file time budget",
    "crashed": "the reader process died (abort, out of memory)",
    "unreadable": "anything else the reader refused",
}

MB = 1024 * 1024
#: upper bounds of the limits: a day to read one file; 1 TiB of bytes, cells or members
MAX_TIME_BUDGET_S = 86_400
MAX_LIMIT = 2 ** 40


@dataclass(frozen=True)
class Limits:
    """Bounds on what one input file may cost. Defaults leave real forms far inside.

    A real form is one sheet of about 45 rows x 9-11 columns (< 1,000 cells), a workbook
    of a few sheets of well under 1 MB that inflates less than 10x. Every field can be set
    in the constructor or through the environment as ``JIXIAO_<FIELD NAME IN CAPITALS>``
    (e.g. ``JIXIAO_MAX_FILE_BYTES=100MB``, ``JIXIAO_TIME_BUDGET_S=30``); see
    :meth:`from_env`.
    """

    #: Size of the file on disk.
    max_file_bytes: int = 50 * MB
    #: Sum of the declared inflated sizes of all zip members of one workbook.
    max_uncompressed_bytes: int = 200 * MB
    #: A member larger than ``ratio_floor_bytes`` may inflate at most this many times.
    max_member_ratio: float = 100.0
    #: Small members (styles, themes) legitimately compress very well: not ratio-checked.
    ratio_floor_bytes: int = 1 * MB
    #: Entries in the zip directory (a real workbook has 10-50).
    max_zip_members: int = 2000
    #: Sheets in one workbook.
    max_sheets: int = 100
    #: Area of a sheet's used range (rows x columns): readers allocate all of it.
    max_cells_per_sheet: int = 200_000
    #: Merged ranges in one sheet (a form has under 100; layout code looks them up often).
    max_merged_ranges: int = 5_000
    #: Last used row (1-based) of any sheet, and rows of a text table.
    max_rows: int = 50_000
    #: Last used column (1-based) of any sheet, and fields of a text row.
    max_cols: int = 1_000
    #: Wall-clock seconds to read one file (enforced hard by the worker pool).
    time_budget_s: float = 10.0
    #: Address space an isolated reader process may add to what it inherits from the
    #: caller (bytes), so a bomb the gate missed fails one file instead of the machine.
    max_memory_bytes: int = 2048 * MB

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Limits:
        """Defaults, then ``JIXIAO_*`` variables, then explicit keyword overrides."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get("JIXIAO_" + f.name.upper())
            if raw is not None and raw.strip():
                try:
                    values[f.name] = parse_limit(f.name, raw)
                except ValueError as exc:
                    raise UsageError(f"环境变量 JIXIAO_{f.name.upper()} 的值无效：{exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not value > 0:
                raise UsageError(f"限制参数 {f.name} 必须大于 0")
            # past these, the system's own bounds (a timer's, an address space's) fail
            # instead, in every worker, and each unit would be told its file is broken
            ceiling = MAX_TIME_BUDGET_S if f.name == "time_budget_s" else MAX_LIMIT
            if not value <= ceiling:
                raise UsageError(f"限制参数 {f.name} 过大（上限 {ceiling:,}）")


_SIZE_SUFFIX = {"": 1, "K": 1024, "KB": 1024, "M": MB, "MB": MB, "G": 1024 * MB, "GB": 1024 * MB}


def parse_limit(name: str, raw: str) -> int | float:
    """The value of limit ``name`` written as ``raw`` (``100MB``, ``30``, ``1.5``).

    Raises KeyError for an unknown name, ValueError (with a Chinese message that names no
    source: the caller says where the text came from) for a value that is not a size.
    """
    field = {f.name: f for f in dataclasses.fields(Limits)}[name]
    text = raw.strip().upper().replace("_", "").replace(",", "")
    m = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*([KMG]?B?)", text)
    if not m:
        raise ValueError(f"“{raw.strip()}”不是数值（例如 30、1.5、100MB）")
    number = float(m.group(1)) * _SIZE_SUFFIX[m.group(2)]
    return number if "float" in str(field.type) else int(number)


def human_size(n: float) -> str:
    if n >= MB:
        return f"{n / MB:.0f} MB" if n >= 10 * MB else f"{n / MB:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{int(n)} 字节"


def refuse(path: Path | str, reason: str, kind: str) -> ReadError:
    """The ReadError refusing ``path``: ``reason`` is one Chinese sentence, ``kind`` a slug of KINDS."""
    return ReadError(str(path), reason, kind)


def too_many_merges_error(path: Path | str, sheet: str, count: int, limits: Limits) -> ReadError | None:
    """The refusal for a sheet with ``count`` merged ranges, if over the limit."""
    if count <= limits.max_merged_ranges:
        return None
    return refuse(path, f"工作表“{sheet}”有 {count} 个合并单元格区域（上限 {limits.max_merged_ranges} 个），"
                         "远超一张自评表的规模，拒绝读取", "too_many_cells")


def too_many_cells_error(path: Path | str, sheet: str, rows: int, cols: int, limits: Limits) -> ReadError | None:
    """The refusal for a sheet whose used area reaches row ``rows`` / column ``cols``, if any."""
    if rows > limits.max_rows:
        what = f"用到第 {rows} 行（上限 {limits.max_rows} 行）"
    elif cols > limits.max_cols:
        what = f"用到第 {cols} 列（上限 {limits.max_cols} 列）"
    elif rows * cols > limits.max_cells_per_sheet:
        what = f"使用区域 {rows} 行 × {cols} 列（上限 {limits.max_cells_per_sheet} 个单元格）"
    else:
        return None
    return refuse(path, f"工作表“{sheet}”{what}，远超一张自评表的规模，拒绝读取", "too_many_cells")

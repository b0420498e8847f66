"""Files jixiao wrote itself, known by their content, not by their names.

An officer often writes the summary, the check report or the distribution manifest into
the folder of returns; the next run over that folder meets them. They are no returns:
a run names them and does not check them (R11), and a rerun may replace its own.
A unit's return is never taken for one of them: a summary workbook holds only the
summary's sheets (a title alone can be typed by anyone), a CSV starts with exactly our
header line.
"""

from __future__ import annotations

import os
import re
import zipfile

#: what each kind is called in what a finance officer reads
SUMMARY = "jixiao merge 生成的汇总表"
SUMMARY_CSV = "jixiao merge 生成的汇总表（CSV）"
CHECK_REPORT = "jixiao check 生成的审核结果（CSV）"
MANIFEST = "jixiao template 生成的分发清单"

_SHEET_NAME = re.compile(rb'<sheet\b[^>]*?\bname="([^"]*)"')
_CONTINUATION = re.compile(r"\(\d+\)$")
#: bytes read of a part or a CSV's head: our own are far smaller where it matters
_HEAD_BYTES = 64 * 1024


def own_output_kind(path: str | os.PathLike) -> str | None:
    """Which of jixiao's outputs the file at ``path`` is, or None (a return, or anything
    else). Reads a few KB; never raises."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEAD_BYTES)
        if head.startswith(b"PK"):
            return _workbook_kind(path)
        return _csv_kind(head)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None


def _workbook_kind(path: str | os.PathLike) -> str | None:
    from jixiao.merge.columns import TABLES
    from jixiao.merge.workbook import STATS_SHEET, SUMMARY_TITLE

    with zipfile.ZipFile(path) as archive:
        parts = [archive.getinfo("docProps/core.xml"), archive.getinfo("xl/workbook.xml")]
        if any(info.file_size > _HEAD_BYTES for info in parts):
            return None
        core, book = (archive.read(info) for info in parts)
    if f">{SUMMARY_TITLE}</dc:title>".encode() not in core:
        return None
    ours = {title for title, _ in TABLES.values()} | {STATS_SHEET}
    sheets = [_CONTINUATION.sub("", name.decode("utf-8", "replace")) for name in _SHEET_NAME.findall(book)]
    return SUMMARY if sheets and all(name in ours for name in sheets) else None


def _csv_kind(head: bytes) -> str | None:
    from jixiao.manifest import COLUMNS
    from jixiao.merge.columns import TABLES
    from jixiao.report import CSV_HEADER

    lines = head.decode("utf-8-sig", "replace").splitlines()
    if not lines:
        return None
    first = lines[0]
    if first == ",".join(CSV_HEADER):
        return CHECK_REPORT
    if first == ",".join(COLUMNS.values()):
        return MANIFEST
    if first in {",".join(c.label for c in columns) for _, columns in TABLES.values()}:
        return SUMMARY_CSV
    return None

"""Render a CheckReport for people (table) and for programs (json, csv)."""

from __future__ import annotations

import io
import json
import unicodedata
from typing import Any, TextIO

from jixiao.checking import CheckReport, FileResult
from jixiao.checks.registry import SEVERITY_LABELS
from jixiao.io.csvsafe import safe_csv_cell
from jixiao.io.textout import bounded, encodable, field
from jixiao.model import Finding

CSV_HEADER = ["文件", "工作表", "项目名称", "单元格", "代码", "严重程度", "问题说明", "应为", "实为"]


def display_width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def _where(f: Finding) -> str:
    if f.sheet and f.cell:
        return f"{f.sheet}!{f.cell}"
    return f.cell or f.sheet or "—"


def render_table(report: CheckReport, out: TextIO) -> None:
    """Per file, per form, the findings by severity; then a one-line summary."""
    for fr in report.files:
        out.write(f"{fr.path}\n")
        for f in fr.file_findings:
            out.write(f"  {_finding_line(f)}\n")
        for form in fr.forms:
            name = form.record.project or "（未填项目名称）"
            where = f"{form.record.sheet}!{form.record.anchor}" if form.record.anchor else (
                form.record.sheet or "")
            grade = form.recomputed.grade or "—"
            out.write(bounded(f"  【{name}】{where}  总分 {form.recomputed.total_score:g}（{grade}）") + "\n")
            if form.profile_reason:
                out.write(bounded(f"    评价方案 {form.profile}（依据：{form.profile_reason}）") + "\n")
            if not form.findings:
                out.write("    未发现问题\n")
            for f in form.findings:
                out.write(f"    {_finding_line(f)}\n")
    out.write(summary_line(report) + "\n")


def _finding_line(f: Finding) -> str:
    severity = SEVERITY_LABELS.get(f.severity, f.severity)
    return bounded(f"{_pad(severity, 4)} {_pad(f.code, 4)} {_pad(_where(f), 14)} {f.message}")


def summary_line(report: CheckReport) -> str:
    c = report.counts()
    unreadable = sum(fr.status == "unreadable" for fr in report.files)
    tail = f"，{unreadable} 个文件无法读取" if unreadable else ""
    return (f"共 {c['files']} 个文件、{c['forms']} 张自评表：错误 {c['errors']} 项，"
            f"警告 {c['warnings']} 项，提示 {c['infos']} 项{tail}")


def render_json(report: CheckReport, out: TextIO) -> None:
    json.dump(_fields(report.to_dict()), out, ensure_ascii=False, indent=2, default=_json_default)
    out.write("\n")


def _fields(value: Any) -> Any:
    """Every text of the tree bounded (a unit's cell of 300,000 characters)."""
    if isinstance(value, dict):
        return {k: _fields(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fields(v) for v in value]
    return field(value)


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def csv_rows(report: CheckReport):
    for fr in report.files:
        for f in fr.file_findings:
            yield _csv_row(fr, None, f)
        for form in fr.forms:
            for f in form.findings:
                yield _csv_row(fr, form.record.project, f)


def _csv_row(fr: FileResult, project: str | None, f: Finding) -> list[Any]:
    return [fr.path, f.sheet or "", project or "", f.cell or "", f.code,
            SEVERITY_LABELS.get(f.severity, f.severity), f.message,
            "" if f.expected is None else f.expected, "" if f.found is None else f.found]


def render_csv(report: CheckReport, out: TextIO) -> None:
    import csv

    # a BOM, as merge's CSVs: Excel on Chinese Windows reads UTF-8 without one as GBK
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in csv_rows(report):
        writer.writerow([safe_csv_cell(field(v)) for v in row])


RENDERERS = {"table": render_table, "json": render_json, "csv": render_csv}


def render(report: CheckReport, fmt: str = "table") -> str:
    buf = io.StringIO()
    RENDERERS[fmt](report, buf)
    # one undecodable file name or lone surrogate must not cost the report of every file
    return encodable(buf.getvalue())

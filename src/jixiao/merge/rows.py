"""One checked file -> plain rows for the summary tables (runs in the worker processes).

A worker sends back a small summary the parent keeps (:class:`FileSummary`) and the
file's rows pickled once, as tuples of str / float / int / None: no workbook, grid or
record objects, so what crosses the process boundary is small and the parent never holds
a form. The parent spills the rows as they come and reads them back once, to write them.
"""

from __future__ import annotations

import hashlib
import marshal
import math
import os
import pickle
from collections import Counter
from operator import attrgetter
from typing import Any, NamedTuple

from jixiao import checking
from jixiao.checking import FileResult, FormResult
from jixiao.checks.indicators import BAND_LABELS
from jixiao.merge.columns import FindingRow, ProjectRow, UnreadableRow
from jixiao.model import FUND_FIELDS, Finding
from jixiao.profiles import load_profile
from jixiao.scoring import fund_budget_executed, reference_score
from jixiao.values import Qualitative, Quantity, format_number, normalize_label, parse_measure
from jixiao.workers import WorkerSettings

_fund_figures = attrgetter(*FUND_FIELDS)


class FormKey(NamedTuple):
    """What consolidation needs to know about one form after its rows are spilled."""

    sheet: str | None
    anchor: str | None
    year: int | None
    department: str | None
    unit: str | None
    project: str | None
    form_id: str | None
    #: digest of the form's figures: equal digests mean an identical resubmission
    figures: str
    #: the recomputed grade and execution rate (for the 统计 sheet)
    grade: str | None = None
    rate: float | None = None

    @property
    def identity(self) -> tuple[Any, str, str]:
        """(year, 实施单位, 项目名称) as compared across files (M01, the manifest)."""
        return (self.year, normalize_label(self.unit or ""), normalize_label(self.project or ""))


class FileSummary(NamedTuple):
    """The small part of a file's result the parent keeps in memory."""

    path: str
    mtime: float
    forms: tuple[FormKey, ...]
    errors: int
    #: "ok", "unreadable" (R01) or "no_form" (R02)
    status: str
    #: (code, severity, unit, how many) of the file's findings (for the 统计 sheet)
    finding_counts: tuple[tuple[str, str, str | None, int], ...] = ()
    #: rows of the file in 指标明细 (the summary splits a sheet before it overflows)
    indicator_rows: int = 0


def text(value: Any) -> str | None:
    if value is None:
        return None
    s = value if isinstance(value, str) else str(value)
    return s if s.strip() else None


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def display(value: Any) -> str | None:
    """expected/found of a finding as one text column (they may be numbers or text)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isfinite(value):
        return format_number(value)
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)


def finding_row(path: str, f: Finding, unit: str | None, project: str | None) -> FindingRow:
    return FindingRow(path, f.sheet, f.cell, f.code, f.severity, f.message, display(f.expected),
                      display(f.found), unit, project)


def _figures_digest(form: FormResult) -> str:
    rec = form.record
    funds = rec.funds
    figures = ([_fund_figures(row) for row in (funds.total, funds.current_year, funds.carryover, funds.other)],
               [(i.name, i.target, i.actual, i.weight, i.score) for i in rec.indicators],
               rec.total_weight, rec.total_score, rec.grade)
    # marshal version 2 keeps no references, so equal figures give equal bytes whatever
    # objects hold them (and it is faster than repr); repr for a type it cannot write.
    try:
        data = marshal.dumps(figures, 2)
    except ValueError:
        data = repr(figures).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=8).hexdigest()


#: how many 万元 one unit of each money unit is
_IN_WAN = {"万元": 1.0, "元": 1e-4}


def in_wan(amount: float | None, money_unit: str | None) -> float | None:
    """An amount in 万元; None when the form's unit is unknown (R07 says so)."""
    factor = _IN_WAN.get(money_unit or "")
    if amount is None or factor is None:
        return None
    return round(amount * factor, 6)


def project_row(path: str, form: FormResult) -> ProjectRow:
    rec, rc = form.record, form.recomputed
    budget, executed = fund_budget_executed(rec)
    total = rec.funds.total
    severities = [f.severity for f in form.findings]
    initial, budget, executed = number(total.initial), number(budget), number(executed)
    values = {
        "year": rec.year, "department": text(rec.department), "unit": text(rec.unit),
        "project": text(rec.project), "money_unit": rec.money_unit,
        "initial": initial, "budget": budget, "executed": executed,
        "initial_wan": in_wan(initial, rec.money_unit), "budget_wan": in_wan(budget, rec.money_unit),
        "executed_wan": in_wan(executed, rec.money_unit),
        "rate_declared": number(total.rate_pct), "rate": number(rc.fund_rate_pct),
        "fund_score_declared": number(total.score), "fund_score": number(rc.fund_score),
        "total_weight": number(rc.total_weight), "total_score_declared": number(rec.total_score),
        "total_score": number(rc.total_score), "grade_declared": text(rec.grade), "grade": rc.grade,
        "indicators": len(rec.indicators), "errors": severities.count("error"),
        "warnings": severities.count("warning"), "infos": severities.count("info"),
        "duplicate": None,  # decided across files
        "profile": form.profile, "form_id": rec.template.form_id if rec.template else None,
        "file": path, "sheet": rec.sheet, "anchor": rec.anchor,
    }
    return ProjectRow(**values)


def _measure_parts(value: Any) -> tuple[str | None, float | None, str | None, str | None]:
    """(operator, number, unit, band) of a target or actual."""
    m = parse_measure(value)
    if isinstance(m, Quantity):
        return m.op, number(m.value), m.unit, None
    if isinstance(m, Qualitative):
        return None, None, None, BAND_LABELS.get(m.band, m.band)
    return None, None, None, None  # free text or empty: nothing to compute with


def indicator_rows(path: str, form: FormResult, forced: Any = None) -> list[tuple]:
    """``forced``: the profile the user gave (--profile), which checked every form; it
    may be a file of the user's that no profile name finds again."""
    rec = form.record
    profile = forced if forced is not None else load_profile(form.profile)
    year, unit, project, sheet = rec.year, text(rec.unit), text(rec.project), rec.sheet
    parts = _measure_parts
    rows = []
    for ind in rec.indicators:
        t_op, t_value, t_unit, _ = parts(ind.target)
        _, a_value, a_unit, band = parts(ind.actual)
        try:
            ref = reference_score(ind, profile)
        except (ValueError, ArithmeticError):  # a zero target on a ratio rule, etc.
            ref = None
        rows.append((
            year, unit, project,
            text(ind.level1), text(ind.level2), text(ind.name), text(ind.target), text(ind.actual),
            t_op, t_value, t_unit, a_value, a_unit, band,
            number(ind.weight), number(ind.score),
            None if ref is None else number(ref.low), None if ref is None else number(ref.high),
            None if ref is None else ("是" if ref.met else "否"),
            text(ind.deviation), path, sheet, ind.row,
        ))
    return rows


def file_rows(result: FileResult, mtime: float, forced: Any = None) -> tuple[FileSummary, bytes]:
    """(what the parent keeps, the file's rows pickled as one tuple: project rows,
    indicator rows, finding rows, its 未读取文件 row or None). ``forced``: as for
    :func:`indicator_rows`."""
    path = result.path
    projects, indicators, findings = [], [], []
    keys = []
    for form in result.forms:
        rec, rc = form.record, form.recomputed
        projects.append(project_row(path, form))
        indicators.extend(indicator_rows(path, form, forced))
        unit, project = text(rec.unit), text(rec.project)
        findings.extend(finding_row(path, f, unit, project) for f in form.findings)
        keys.append(FormKey(rec.sheet, rec.anchor, rec.year, text(rec.department), unit, project,
                            rec.template.form_id if rec.template else None,
                            _figures_digest(form), rc.grade, number(rc.fund_rate_pct)))
    unreadable = None
    status = "ok"
    for f in result.file_findings:
        findings.insert(0, finding_row(path, f, None, None))
        if f.code in ("R01", "R02") and unreadable is None:
            unreadable = UnreadableRow(path, f.code, f.message)
            status = "unreadable" if f.code == "R01" else "no_form"
    errors = sum(1 for f in result.all_findings() if f.severity == "error")
    counts = Counter((f.code, f.severity, f.unit) for f in findings)
    summary = FileSummary(path, mtime, tuple(keys), errors, status,
                          tuple((*key, n) for key, n in counts.items()), len(indicators))
    rows = (projects, indicators, findings, unreadable)
    return summary, pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)


def failed_file_rows(path: str, reason: str, mtime: float = 0.0) -> tuple[FileSummary, bytes]:
    """Rows of a file whose worker crashed or ran out of time (R01)."""
    return file_rows(checking.lost_file(path, reason), mtime)


def check_one(path: str, settings: WorkerSettings) -> tuple[FileSummary, bytes]:
    """merge's task in a worker: check one file and return its rows; never raises."""
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        mtime = 0.0
    try:
        result = checking.check_file(path, settings.profile, secret=settings.secret,
                                     manifest_fingerprints=settings.manifest_fingerprints,
                                     limits=settings.limits)
        return file_rows(result, mtime, settings.profile)
    except Exception as exc:  # a bug of ours on one file must not stop the run
        return failed_file_rows(path, f"汇总时出现程序内部错误，请将此文件反馈给维护人员（{type(exc).__name__}）",
                                mtime)

"""The counts of the summary's 统计 sheet, taken from each file's summary as it arrives.

They are known before a row is written, so the workbook's frame (its 统计 sheet
included) is complete before the rows stream into it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from jixiao.checks.registry import SEVERITY_LABELS, get_check
from jixiao.scoring import UNGRADED

RATE_BANDS = ("无法计算", "< 60%", "60% – 80%", "80% – 90%", "90% – 100%", "= 100%", "> 100%")
NO_GRADE = UNGRADED
NO_UNIT = "（未识别单位）"
#: the severities counted per unit, in the order of the 统计 sheet's columns
SEVERITIES = tuple(SEVERITY_LABELS)


def rate_band(rate: float | None) -> str:
    if rate is None:
        return RATE_BANDS[0]
    if rate > 100:
        return RATE_BANDS[6]
    if rate == 100:
        return RATE_BANDS[5]
    for bound, band in ((60, 1), (80, 2), (90, 3)):
        if rate < bound:
            return RATE_BANDS[band]
    return RATE_BANDS[4]


class Stats:
    """Forms by grade and by execution rate, findings by code and by unit: counted as the
    answers arrive (``add_file``) and the decisions are made (``add_finding``), so nothing
    per form is kept for them."""

    def __init__(self) -> None:
        self.grades: Counter = Counter()
        self.rates: Counter = Counter()
        self.codes: Counter = Counter()
        self.code_severity: dict[str, str] = {}
        #: unit -> [forms, then findings of each of SEVERITIES]
        self.units: dict[str, list[int]] = defaultdict(lambda: [0] * (1 + len(SEVERITIES)))
        #: the overview's counts
        self.files = self.forms = self.unreadable = self.errors = 0
        #: rows of each streamed table (the workbook splits a sheet that would overflow)
        self.rows: Counter = Counter()

    def add_file(self, summary: Any) -> None:
        """One checked file's summary."""
        self.files += 1
        self.forms += len(summary.forms)
        self.unreadable += summary.status != "ok"
        self.errors += summary.errors
        self.rows["projects"] += len(summary.forms)
        self.rows["indicators"] += summary.indicator_rows
        self.rows["findings"] += sum(c[-1] for c in summary.finding_counts)
        self.rows["unreadable"] += summary.status != "ok"
        for form in summary.forms:
            self.grades[form.grade or NO_GRADE] += 1
            self.rates[rate_band(form.rate)] += 1
            self.units[form.unit or NO_UNIT][0] += 1
        for code, severity, unit, count in summary.finding_counts:
            self._finding(code, severity, unit, count)

    def add_finding(self, f: Any) -> None:
        """A finding decided across files (M01–M03)."""
        self.rows["findings"] += 1
        self._finding(f.code, f.severity, f.unit, 1)

    def _finding(self, code: str, severity: str, unit: str | None, count: int) -> None:
        self.codes[code] += count
        self.code_severity[code] = severity
        if severity in SEVERITIES:
            self.units[unit or NO_UNIT][1 + SEVERITIES.index(severity)] += count

    def grade_rows(self, grade_order: list[str]) -> list[tuple[str, int, float]]:
        order = grade_order + sorted(g for g in self.grades if g not in grade_order and g != NO_GRADE)
        order.append(NO_GRADE)
        total = sum(self.grades.values()) or 1
        return [(g, self.grades[g], self.grades[g] / total) for g in order]

    def rate_rows(self) -> list[tuple[str, int, float]]:
        total = sum(self.rates.values()) or 1
        return [(b, self.rates[b], self.rates[b] / total) for b in RATE_BANDS]

    def code_rows(self) -> list[tuple[str, str, str, int]]:
        rows = []
        for code in sorted(self.codes, key=lambda c: ("RFITM".find(c[:1]), c)):
            chk = get_check(code)
            severity = self.code_severity[code]
            rows.append((code, SEVERITY_LABELS.get(severity, severity), chk.title if chk else "",
                         self.codes[code]))
        return rows

    def unit_rows(self) -> list[tuple]:
        """(unit, forms, findings of each severity, all findings), most findings first."""
        rows = [(u, *c, sum(c[1:])) for u, c in self.units.items()]
        rows.sort(key=lambda r: (-r[-1], r[0]))
        return rows

"""The counts of the summary's 统计 sheet, from what the parent keeps of each file.

They are known before a row is written, so the workbook's frame (its 统计 sheet
included) is complete before the rows stream into it.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from jixiao.checks.registry import SEVERITY_LABELS, get_check
from jixiao.merge.consolidate import Plan
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
    """Forms by grade and by execution rate, findings by code and by unit."""

    def __init__(self, plan: Plan) -> None:
        self.grades: Counter = Counter()
        self.rates: Counter = Counter()
        self.codes: Counter = Counter()
        self.code_severity: dict[str, str] = {}
        #: unit -> [forms, then findings of each of SEVERITIES]
        self.units: dict[str, list[int]] = defaultdict(lambda: [0] * (1 + len(SEVERITIES)))
        for summary in plan.files:
            for form in summary.forms:
                self.grades[form.grade or NO_GRADE] += 1
                self.rates[rate_band(form.rate)] += 1
                self.units[form.unit or NO_UNIT][0] += 1
            for code, severity, unit, count in summary.finding_counts:
                self._finding(code, severity, unit, count)
        decided = [f for batch in plan.form_findings.values() for f in batch] + plan.tail_findings
        for f in decided:
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

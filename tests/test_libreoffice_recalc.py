"""LibreOffice as the oracle: the template's live formulas give jixiao's numbers.

Random but valid forms (50 per profile: prefilled forms and blank forms filled in with
openpyxl, which leaves no cached values) are recalculated by LibreOffice headless in one
``soffice`` call with recalculation on load forced. The forms of a kind and profile share
one workbook, a sheet each (as ``--group-by unit`` writes them): LibreOffice costs
≈ 0.4 s per file, so 150 single-form files would make this test a minute long. every formula cell must equal what
jixiao.scoring computes from the same inputs: 执行率 of each fund row, 资金得分, total
weight, 总分 and 等级.
"""

from __future__ import annotations

import random

import openpyxl
import pytest
import python_calamine

from jixiao.model import FormRecord, FundRow, Funds, Indicator
from jixiao.profiles import load_profile
from jixiao.scoring import execution_rate_pct, recompute, round2
from jixiao.template.batch import blank_spec, prefilled_spec
from jixiao.template.soffice import convert, soffice_path
from jixiao.template.writer import write_forms

PROFILES = ("shanghai", "mof-2020", "mof-2021")
FORMS_PER_PROFILE = 50


def _amount(rng: random.Random, high: float) -> float:
    return round(rng.uniform(0, high), 2)


def _random_form(rng: random.Random, profile) -> tuple[FormRecord, FormRecord]:
    """(what is prefilled at budget time, what the unit then typed in)."""
    n = rng.randint(1, 12)
    weights = [1] * n
    for _ in range(90 - n):  # 90 points spread over n indicators
        weights[rng.randrange(n)] += 1
    if rng.random() < 0.15:
        weights[0] += rng.choice([-3, 5])  # total weight ≠ 100 must still add up right
    indicators = []
    for k, weight in enumerate(weights):
        level1 = rng.choice(profile.taxonomy)
        indicators.append(Indicator(level1.name, rng.choice(level1.level2), f"指标{k + 1}",
                                    rng.choice(["≥95%", "=100%", "≤5(天)", "达成指标"]),
                                    weight=float(weight)))
    budget = 0.0 if rng.random() < 0.08 else _amount(rng, 5000)
    prefilled = FormRecord(year=2024, project=f"项目{rng.randrange(10**6)}", department="某局",
                           unit="某中心", money_unit="万元", indicators=indicators,
                           funds=Funds(current_year=FundRow(initial=budget, budget=budget),
                                       carryover=FundRow(initial=0.0, budget=0.0),
                                       other=FundRow(initial=0.0, budget=0.0)))
    filled = FormRecord.from_dict(prefilled.to_dict())
    sources = [filled.funds.current_year, filled.funds.carryover, filled.funds.other]
    sources[1].budget = _amount(rng, 300) if rng.random() < 0.3 else 0.0
    high = (budget + sources[1].budget) * rng.choice([0.5, 1.0, 1.3])
    for row in sources:
        row.executed = _amount(rng, high / 2) if rng.random() < 0.8 else None
    for indicator in filled.indicators:
        indicator.actual = rng.choice(["100%", "达成指标", "部分达成指标并具有一定效果", "3(天)"])
        indicator.score = round(rng.uniform(0, indicator.weight), rng.choice([0, 1, 2]))
    return prefilled, filled


def _fill_with_openpyxl(ws, filled: FormRecord, blank: bool) -> None:
    for r, row in zip((7, 8, 9), (filled.funds.current_year, filled.funds.carryover,
                                  filled.funds.other)):
        if blank:
            ws[f"C{r}"], ws[f"D{r}"] = row.initial, row.budget
        elif r == 8:
            ws[f"D{r}"] = row.budget
        ws[f"E{r}"] = row.executed
    for k, indicator in enumerate(filled.indicators):
        r = 13 + k
        if blank:
            for col, value in zip("BCDEG", (indicator.level1, indicator.level2, indicator.name,
                                            indicator.target, indicator.weight)):
                ws[f"{col}{r}"] = value
        ws[f"F{r}"], ws[f"H{r}"] = indicator.actual, indicator.score


def _cell(rows: list[list], ref: str):
    col, row = ord(ref[0]) - 65, int(ref[1:]) - 1
    value = rows[row][col] if row < len(rows) and col < len(rows[row]) else None
    return None if value == "" else value


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    if soffice_path() is None:
        print("\nLibreOffice (soffice) is not installed: the recalculation test cannot run")
        pytest.skip("LibreOffice (soffice) is not installed")
    tmp = tmp_path_factory.mktemp("lo")
    rng = random.Random(20240101)
    files, cases = [], []
    for profile_name in PROFILES:
        profile = load_profile(profile_name)
        books: dict[bool, list] = {True: [], False: []}
        for i in range(FORMS_PER_PROFILE):
            prefilled, filled = _random_form(rng, profile)
            blank = i % 3 == 0
            if blank:
                spec = blank_spec(profile, year=2024, rows=rng.randint(len(filled.indicators), 15),
                                  money_unit=None)
            else:
                spec = prefilled_spec(prefilled, "")
            spec.sheet = f"F{i:03d}"
            books[blank].append((spec, filled))
        for blank, forms in books.items():
            path = tmp / f"{profile_name}-{'blank' if blank else 'prefilled'}.xlsx"
            write_forms(path, [spec for spec, _ in forms], profile)
            wb = openpyxl.load_workbook(path)
            for spec, filled in forms:
                _fill_with_openpyxl(wb[spec.sheet], filled, blank)
            wb.save(path)
            files.append(path)
            cases.extend((len(files) - 1, spec.sheet, profile, filled, spec.rows)
                         for spec, filled in forms)
    outputs = convert(files, tmp / "recalculated", "xlsx")
    return [(outputs[k], sheet, profile, filled, n) for k, sheet, profile, filled, n in cases]


def test_enough_forms_per_profile(recalculated):
    counts = {p: sum(1 for case in recalculated if case[2].name == p) for p in PROFILES}
    assert all(count >= 50 for count in counts.values()), counts


def test_formulas_recalculated_by_libreoffice_equal_jixiao_scoring(recalculated):
    mismatches = []
    books = {}
    for path, sheet, profile, filled, n in recalculated:
        if path not in books:
            books[path] = python_calamine.CalamineWorkbook.from_path(str(path))
        rows = books[path].get_sheet_by_name(sheet).to_python()
        expected = recompute(filled, profile)
        sources = [filled.funds.current_year, filled.funds.carryover, filled.funds.other]
        budget = round2(sum(r.budget or 0 for r in sources))
        executed = round2(sum(r.executed or 0 for r in sources))
        checks = {
            "D6": budget, "E6": executed,
            "G6": execution_rate_pct(budget, executed),
            "H6": expected.fund_score,
            f"G{13 + n}": expected.total_weight,
            f"H{13 + n}": expected.total_score,
            f"H{14 + n}": expected.grade,
        }
        for r, row in zip((7, 8, 9), sources):
            checks[f"G{r}"] = execution_rate_pct(row.budget, row.executed or 0)
        for ref, want in checks.items():
            got = _cell(rows, ref)
            if ref.startswith("G") and ref[1:] in ("6", "7", "8", "9") and got is not None:
                got = round2(got * 100)  # the cell holds the fraction, shown as 0.00%
            same = (got == want if isinstance(want, str) or want is None or got is None
                    else abs(got - want) < 1e-9)
            if not same:
                mismatches.append((path.name, sheet, ref, want, got))
    assert mismatches == []

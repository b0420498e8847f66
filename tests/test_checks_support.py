"""Helpers for the check tests: real seed forms as records, placed in the docs/FORM.md §5 layout.

The forms in tests/data/checks/*.json are real published forms (tests/data/seeds/), values
as printed; each file names its source form. ``build_form`` gives every value the cell it
has in the standard nine-column layout with the form at A1, so a test can assert the
exact cell a finding points at: 全年执行数 of 年度资金总额 is E6, the first indicator's
得分 is H13, and so on.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jixiao.checks.registry import run_checks
from jixiao.model import FUND_FIELDS, FUND_ROWS, INDICATOR_FIELDS, Finding, FormRecord
from jixiao.profiles import load_profile

DATA = Path(__file__).parent / "data" / "checks"

HEADER_CELLS = {"title": "A1", "year": "A2", "project": "B3", "department": "B4", "unit": "G4",
                "money_unit": "A5", "goal_expected": "B11", "goal_actual": "F11"}
FUND_COLUMNS = dict(zip(FUND_FIELDS, "CDEFGH"))
INDICATOR_COLUMNS = dict(zip(INDICATOR_FIELDS, "BCDEFGHI"))
FIRST_FUND_ROW = 6
FIRST_INDICATOR_ROW = 13


@lru_cache(maxsize=None)
def _load(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def seed_data(name: str) -> dict[str, Any]:
    """A fresh, editable copy of a real form's values (schema shape)."""
    return copy.deepcopy(_load(name))


def build_form(data: dict[str, Any]) -> FormRecord:
    """A record from the schema's shape, every value given its cell of the docs/FORM.md §5 layout."""
    record = FormRecord.from_dict(data)
    record.sheet = "自评表"
    record.anchor = "A1"
    record.cells = dict(HEADER_CELLS)
    for offset, name in enumerate(FUND_ROWS):
        row = getattr(record.funds, name)
        row.cells = {f: f"{col}{FIRST_FUND_ROW + offset}" for f, col in FUND_COLUMNS.items()}
    for offset, indicator in enumerate(record.indicators):
        indicator.row = FIRST_INDICATOR_ROW + offset
        indicator.cells = {f: f"{col}{indicator.row}" for f, col in INDICATOR_COLUMNS.items()}
    total_row = FIRST_INDICATOR_ROW + len(record.indicators)
    record.cells.update(total_weight=f"G{total_row}", total_score=f"H{total_row}",
                        grade=f"H{total_row + 1}")
    return record


def seed_form(name: str) -> FormRecord:
    return build_form(seed_data(name))


def run(record: FormRecord, code: str, profile: str = "shanghai", **kwargs: Any) -> list[Finding]:
    """The findings of one check over a record."""
    return run_checks(record, load_profile(profile), select=[code], **kwargs)


def cells(record: FormRecord, code: str, profile: str = "shanghai", **kwargs: Any) -> list:
    """The cells one check points at, in the order the findings are sorted."""
    findings = run(record, code, profile, **kwargs)
    assert all(f.code == code for f in findings)
    return [f.cell for f in findings]


def test_build_form_places_values_in_the_standard_layout():
    record = seed_form("seed002_peitao")
    assert record.funds.total.executed == 153200
    assert record.funds.total.cells["executed"] == "E6"
    assert record.funds.other.cells["budget"] == "D9"
    assert record.indicators[1].name == "通过第三方测评"
    assert record.indicators[1].cells["score"] == "H14"
    # six indicators: 总分 on row 19, 评分等级 on row 20
    assert record.cells["total_score"] == "H19"
    assert record.cells["grade"] == "H20"


def test_every_seed_form_in_the_test_data_names_its_source():
    for path in sorted(DATA.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["_source"].startswith("seeds/"), path.name
        assert data["project"] in (Path(__file__).parent / "data" / data["_source"].split(",")[0]
                                   ).read_text(encoding="utf-8"), path.name

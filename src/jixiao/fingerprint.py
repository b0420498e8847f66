"""The fingerprint of a form's prefilled (locked) values.

When ``jixiao template`` prefills a form at budget time, the values a unit must not change
(year, project, department, unit, money unit, the budget of each fund source, and each
indicator's 一级/二级/三级, target and weight) are written to the form *and* recorded in
its metadata sheet as canonical JSON (``locked_values``), together with a fingerprint of
that JSON: HMAC-SHA256 when a secret is known (``--secret`` / ``JIXIAO_SECRET``), plain
SHA-256 otherwise. A plain SHA-256 only shows that the metadata is internally consistent;
only the HMAC shows that the metadata itself was not rewritten.

The checker (R06) verifies the fingerprint over the stored JSON, then compares the values
read from the cells with it (:func:`changed_fields`) to name the exact cell that changed.
Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import unicodedata
from typing import Any

from jixiao.model import FIELD_LABELS, FormRecord, Indicator

#: header fields a prefilled form locks, in form order
LOCKED_HEADER_FIELDS = ("year", "project", "department", "unit", "money_unit")
#: fund source rows and columns a prefilled form locks (the total row holds formulas)
LOCKED_FUND_ROWS = ("current_year", "carryover", "other")
LOCKED_FUND_FIELDS = ("initial", "budget")
#: indicator columns a prefilled form locks
LOCKED_INDICATOR_FIELDS = ("level1", "level2", "name", "target", "weight")

KIND_HMAC = "hmac-sha256"
KIND_SHA256 = "sha256"

# Two numbers within this distance are the same locked figure: a budget typed again by
# hand, or stored as text, must not count as a change.
_NUMBER_TOLERANCE = 1e-6


def _canonical_number(value: float | int) -> float | int:
    # 18000 and 18000.0 must give the same JSON, or a re-read form would seem changed.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _canonical(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _canonical_item(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical_item(v) for v in value]
    if isinstance(value, (int, float)):
        return _canonical_number(value)
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    return value


def _canonical_item(value: Any) -> Any:
    # The usual types by exact type before _canonical's chain of isinstance: R06
    # canonicalises the hundred-odd locked values of every returned form.
    kind = type(value)
    if kind is str:
        return unicodedata.normalize("NFC", value)
    if kind is int:
        return value
    if kind is float:
        return int(value) if value.is_integer() else value
    return _canonical(value)


def locked_values(record: FormRecord) -> dict[str, Any]:
    """The values of ``record`` a prefilled form locks; fields that are None are left out.

    Indicators carry ``row``: their offset in the indicator block (0 = the first row).
    """
    locked: dict[str, Any] = {}
    for name in LOCKED_HEADER_FIELDS:
        value = getattr(record, name)
        if value is not None:
            locked[name] = _canonical(value)
    funds: dict[str, dict[str, Any]] = {}
    for row_name in LOCKED_FUND_ROWS:
        row = getattr(record.funds, row_name)
        values = {f: _canonical(getattr(row, f)) for f in LOCKED_FUND_FIELDS
                  if getattr(row, f) is not None}
        if values:
            funds[row_name] = values
    if funds:
        locked["funds"] = funds
    indicators = []
    for offset, indicator in enumerate(record.indicators):
        values = {f: _canonical(getattr(indicator, f)) for f in LOCKED_INDICATOR_FIELDS
                  if getattr(indicator, f) is not None}
        if values:
            indicators.append({"row": offset, **values})
    if indicators:
        locked["indicators"] = indicators
    return locked


#: the longest text a locked value may hold: an Excel cell's
_MAX_LOCKED_TEXT = 32_767


def _scalar(value: Any) -> bool:
    kind = type(value)
    if kind is str:
        return len(value) <= _MAX_LOCKED_TEXT
    if kind is int:
        return abs(value) < 10 ** 15  # a budget, a weight, a year: never 400 digits
    if kind is float:
        return math.isfinite(value) and abs(value) < 1e15
    return value is None


def well_formed(locked: Any) -> bool:
    """Whether ``locked`` has the shape :func:`locked_values` gives: header scalars, fund
    rows of number fields, a list of indicator rows of scalars, finite and bounded.

    The metadata sheet is the unit's to edit; anything else in it (``{"funds": [1, 2]}``,
    NaN, 1e308, deep nesting) was rewritten by hand and is not compared value by value.
    """
    if not isinstance(locked, dict) or not locked:
        return False
    allowed = {*LOCKED_HEADER_FIELDS, "funds", "indicators"}
    if not set(locked) <= allowed:
        return False
    if not all(_scalar(locked[name]) for name in LOCKED_HEADER_FIELDS if name in locked):
        return False
    funds = locked.get("funds", {})
    if not isinstance(funds, dict) or not set(funds) <= set(LOCKED_FUND_ROWS):
        return False
    for values in funds.values():
        if not isinstance(values, dict) or not set(values) <= set(LOCKED_FUND_FIELDS):
            return False
        if not all(_scalar(v) and type(v) is not str for v in values.values()):
            return False
    indicators = locked.get("indicators", [])
    if not isinstance(indicators, list) or len(indicators) > 10_000:
        return False
    for item in indicators:
        if not isinstance(item, dict) or not set(item) <= {"row", *LOCKED_INDICATOR_FIELDS}:
            return False
        row = item.get("row", 0)
        if type(row) is not int or not 0 <= row < 10_000:
            return False
        if not all(_scalar(v) for k, v in item.items() if k != "row"):
            return False
    return True


def canonical_json(values: dict[str, Any]) -> str:
    """The one text the fingerprint is computed over (and stored in the metadata sheet)."""
    return json.dumps(_canonical(values), ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False)


def fingerprint(values: dict[str, Any], secret: str | None = None) -> tuple[str, str]:
    """(kind, hex digest) of the canonical JSON of ``values``."""
    return text_fingerprint(canonical_json(values), secret)


def text_fingerprint(text: str, secret: str | None = None) -> tuple[str, str]:
    """(kind, hex digest) of a JSON text taken as it is (already canonical)."""
    data = text.encode("utf-8")
    if secret:
        return KIND_HMAC, hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()
    return KIND_SHA256, hashlib.sha256(data).hexdigest()


def verify(values: dict[str, Any], kind: str, digest: str, secret: str | None = None, *,
           stored_json: str | None = None) -> bool | None:
    """True/False when the fingerprint can be checked; None when an HMAC has no secret.

    ``stored_json``: the text ``values`` were parsed from. The template stores the
    canonical JSON itself, so its digest is the fingerprint as long as nothing rewrote
    the text; only when it differs are the values canonicalised again (a program that
    re-saved the workbook may have re-encoded the text without changing a value).
    """
    if kind == KIND_HMAC and not secret:
        return None
    if kind not in (KIND_HMAC, KIND_SHA256):
        return False
    key = secret if kind == KIND_HMAC else None
    digest = str(digest or "")
    if stored_json is not None and hmac.compare_digest(text_fingerprint(stored_json, key)[1], digest):
        return True
    return hmac.compare_digest(fingerprint(values, key)[1], digest)


#: types for which ``==`` already means the same locked value
_PLAIN = frozenset({str, int, float, type(None)})


def _same(expected: Any, found: Any) -> bool:
    if expected == found and type(expected) in _PLAIN and type(found) in _PLAIN:
        return True  # nearly every locked value is still there, as it was written
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        number = _as_number(found)
        return number is not None and math.isclose(
            number, float(expected), rel_tol=0, abs_tol=_NUMBER_TOLERANCE)
    if found is None:
        return expected is None
    return _normalize_text(expected) == _normalize_text(found)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", "").strip())
        except ValueError:
            return None
    return None


def _normalize_text(value: Any) -> str:
    # Excel and WPS may add a trailing space or turn the text NFC; neither is a change.
    return unicodedata.normalize("NFC", str(value)).strip()


def _label(field_name: str, prefix: str = "") -> str:
    return prefix + FIELD_LABELS.get(field_name, field_name)


def _match_indicators(locked: list[dict[str, Any]],
                      indicators: list[Indicator]) -> list[Indicator | None]:
    """Pair each locked indicator with the row that holds it now.

    By 三级 name first, in order, so a row inserted into the block does not make every
    row after it look changed; by position when the name itself was changed.
    """
    used: set[int] = set()
    matched: list[Indicator | None] = []
    start = 0
    for position, item in enumerate(locked):
        name = item.get("name")
        if (name is not None and start < len(indicators) and start not in used
                and _same(name, indicators[start].name)):
            found: int | None = start  # the usual case: the next row, unchanged
        else:
            found = next((j for j in range(start, len(indicators))
                          if j not in used and name is not None
                          and _same(name, indicators[j].name)), None)
        if found is None:
            found = next((j for j in (position, *range(start, len(indicators)))
                          if j < len(indicators) and j not in used), None)
        if found is not None:
            used.add(found)
            start = found + 1
        matched.append(indicators[found] if found is not None else None)
    return matched


def changed_fields(record: FormRecord,
                   locked: dict[str, Any]) -> list[tuple[str, str | None, Any, Any]]:
    """Every locked value that ``record`` no longer holds.

    Returns ``[(Chinese field label, cell, expected, found)]`` in form order; ``cell`` is
    the reference the reader recorded (``record.cells`` / ``row.cells`` /
    ``indicator.cells``), None when the field is gone altogether.
    """
    changes: list[tuple[str, str | None, Any, Any]] = []
    for name in LOCKED_HEADER_FIELDS:
        if name in locked and not _same(locked[name], getattr(record, name)):
            changes.append((_label(name), record.cells.get(name), locked[name],
                            getattr(record, name)))
    for row_name, values in (locked.get("funds") or {}).items():
        row = getattr(record.funds, row_name, None)
        for field_name, expected in values.items():
            found = getattr(row, field_name, None) if row is not None else None
            if found is None and row is not None:
                found = row.unparsed.get(field_name)
            if not _same(expected, found):
                cell = row.cells.get(field_name) if row is not None else None
                changes.append((f"{_label(row_name)}{_label(field_name)}", cell, expected, found))
    locked_indicators = locked.get("indicators") or []
    for item, indicator in zip(locked_indicators,
                               _match_indicators(locked_indicators, record.indicators)):
        for field_name in LOCKED_INDICATOR_FIELDS:
            if field_name not in item:
                continue
            found = getattr(indicator, field_name) if indicator is not None else None
            if found is None and indicator is not None:
                found = indicator.unparsed.get(field_name)
            if not _same(item[field_name], found):
                cell = indicator.cells.get(field_name) if indicator is not None else None
                prefix = f"第{item.get('row', 0) + 1}项指标"
                changes.append((_label(field_name, prefix), cell, item[field_name], found))
    return changes

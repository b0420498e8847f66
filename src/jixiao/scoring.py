"""Recompute a form's numbers from its raw inputs (docs/FORM.md §3). Pure, profile-driven.

Rounding is explicit: decimal arithmetic on the values as typed, half away from zero, the way
Excel's and LibreOffice's ROUND treat the numbers a person sees (ROUND(1.005, 2) = 1.01).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from jixiao.model import FormRecord, Indicator
from jixiao.profiles import Profile
from jixiao.values import FreeText, Qualitative, Quantity, normalize_label, parse_measure

#: share of the weight each qualitative band allows: [low, high)
QUALITATIVE_BANDS = {"met": (0.8, 1.0), "partial": (0.6, 0.8), "unmet": (0.0, 0.6)}

_CENT = Decimal("0.01")
# Float arithmetic rounds to 2 decimals exactly as Decimal would when the value is small
# enough for a float to carry its cents with room to spare (error < 1e-7 of a cent) and
# not near a midpoint (x.xx5): there the float may sit on either side of the midpoint
# the typed number is on, so Decimal decides. Decimal costs ~1 µs a value; a form has
# ~30 of them to add and round, and 10,000 forms are checked in one run.
_FAST_LIMIT = 1e6
_MIDPOINT_SLACK = 1e-6


def _dec(x: float | int) -> Decimal:
    # repr() gives the shortest text that round-trips: the number as a person typed it.
    return Decimal(repr(float(x)))


def _round2_fast(x: float) -> float | None:
    """``round2(x)`` in floats, or None where only Decimal gets it right."""
    if not -_FAST_LIMIT < x < _FAST_LIMIT:
        return None  # also NaN
    scaled = abs(x) * 100
    whole = math.floor(scaled)
    if abs(scaled - whole - 0.5) < _MIDPOINT_SLACK:
        return None
    # int / 100 is correctly rounded: the same float as float(Decimal("12.34"))
    return math.copysign(math.floor(scaled + 0.5) / 100, x)


def round2(x: float | Decimal) -> float:
    """Round to 2 decimals, half away from zero (Excel's ROUND(x, 2)).

    Past 1e15 (where no figure of a form is) there are no cents to round: the number is
    returned as it is, not a decimal.InvalidOperation out of quantize's 28 digits."""
    if not -1e15 < x < 1e15:
        return float(x)
    if not isinstance(x, Decimal):
        fast = _round2_fast(float(x))
        if fast is not None:
            return fast
        x = _dec(x)
    return float(x.quantize(_CENT, rounding=ROUND_HALF_UP))


def _sum_round2(values: list[float]) -> float:
    """The sum of the numbers as typed, rounded to 2 decimals."""
    if not values:
        return 0.0
    bound = _FAST_LIMIT / len(values)
    if -bound < min(values) and max(values) < bound:
        # fsum is the exact sum of the floats, correctly rounded; with Σ|x| < _FAST_LIMIT
        # the floats are together within 1e-10 of the typed decimals, far inside the slack
        fast = _round2_fast(math.fsum(values))
        if fast is not None:
            return fast
    return round2(sum(map(_dec, values), Decimal(0)))


def _ratio(budget: float | None, executed: float | None) -> Decimal | None:
    if not budget or executed is None:
        return None
    return _dec(executed) / _dec(budget)


def execution_rate_pct(budget: float | None, executed: float | None) -> float | None:
    """执行率 in percent, 2 decimals; None when the budget is 0 or missing."""
    if not budget or executed is None:
        return None
    if _fast_operands(budget, executed):
        fast = _round2_fast(executed / budget * 100)
        if fast is not None:
            return fast
    return round2(_ratio(budget, executed) * 100)


def fund_score(weight: float | None, budget: float | None, executed: float | None) -> float:
    """资金得分 = weight × min(E / B, 1) from the unrounded ratio, 2 decimals; 0 without B."""
    if not budget or executed is None or weight is None:
        return 0.0
    if _fast_operands(budget, executed, weight):
        fast = _round2_fast(weight * max(min(executed / budget, 1.0), 0.0))
        if fast is not None:
            return fast
    ratio = _ratio(budget, executed)
    return round2(_dec(weight) * max(min(ratio, Decimal(1)), Decimal(0)))


def _fast_operands(budget: float, executed: float, weight: float = 1.0) -> bool:
    # Amounts of up to 10^12 and a budget of at least 10^-3 keep a float ratio within
    # 1e-15 of the Decimal one; anything else (NaN, inf, extremes) goes through Decimal.
    return (1e-3 <= abs(budget) < 1e12 and -1e12 < executed < 1e12
            and -1e12 < weight < 1e12)


#: the grade of a form whose figures could not all be read (R04): any grade would be a guess
UNGRADED = "无法评定"


def grade_of(total: float | None, profile: Profile) -> str | None:
    """The grade of a total from the profile's bands (优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差)."""
    if total is None:
        return None
    for grade, minimum in profile.grades:
        if total >= minimum - 1e-9:
            return grade
    return profile.grades[-1][0]


@dataclass(frozen=True)
class Recomputed:
    fund_rate_pct: float | None
    fund_score: float
    total_weight: float
    total_score: float
    grade: str | None

    def to_dict(self) -> dict:
        return asdict(self)


def fund_budget_executed(record: FormRecord) -> tuple[float | None, float | None]:
    """全年预算数 and 全年执行数 of the total row, or the sum of the sources when it is empty."""
    funds = record.funds
    budget, executed = funds.total.budget, funds.total.executed
    if budget is not None and executed is not None:
        return budget, executed
    sources = [row for _, row in funds.sources()]
    if budget is None and any(r.budget is not None for r in sources):
        budget = sum(r.budget or 0 for r in sources)
    if executed is None and any(r.executed is not None for r in sources):
        executed = sum(r.executed or 0 for r in sources)
    return budget, executed


def recompute(record: FormRecord, profile: Profile) -> Recomputed:
    """The form's numbers as they should be, from its raw inputs."""
    budget, executed = fund_budget_executed(record)
    weight = record.funds.total.weight
    if weight is None:
        # a form without fund rows (F09) carries no fund weight: none is invented
        weight = profile.fund_weight if record.funds.present else 0.0
    score = fund_score(weight, budget, executed)
    weights, scores = [weight], [score]
    for indicator in record.indicators:
        if indicator.weight is not None:
            weights.append(indicator.weight)
        if indicator.score is not None:
            scores.append(indicator.score)
    total_score_2 = _sum_round2(scores)
    return Recomputed(
        fund_rate_pct=execution_rate_pct(budget, executed),
        fund_score=score,
        total_weight=_sum_round2(weights),
        total_score=total_score_2,
        grade=grade_of(total_score_2, profile),
    )


# ---------------------------------------------------------------- indicator reference

@dataclass(frozen=True)
class Reference:
    """What an indicator's score should be, per docs/FORM.md §3.

    ``low``/``high`` bound the reference score (equal for quantitative indicators; a
    band's range for qualitative ones, high exclusive except for the top band).
    ``met`` says whether the target was reached; ``far_above`` flags an actual ≥ 20 %
    past its target (direction-aware).
    """

    kind: str  # "quantitative" | "qualitative" | "same_text"
    low: float
    high: float
    met: bool
    far_above: bool = False
    band: str | None = None
    #: the target's operator as scored (a bare "20集" is the profile's, "≥" by default)
    op: str | None = None


def _quantity_met(op: str, a: float, t: float, equal_rel: float) -> bool:
    if op == "≥":
        return a >= t
    if op == ">":
        return a > t
    if op == "≤":
        return a <= t
    if op == "<":
        return a < t
    return abs(a - t) <= abs(t) * equal_rel if t else a == 0


def _quantity_reference(op: str, a: float, t: float, w: float, reverse_rule: str) -> float:
    a = max(a, 0.0)  # a negative actual counts as 0
    if op in ("≥", ">"):
        return w * min(a / t, 1.0) if t > 0 else (w if a >= t else 0.0)
    if op in ("≤", "<"):
        if t <= 0:
            return 0.0  # "≤0 起" with any accident
        if reverse_rule == "linear":
            return max(0.0, w * (1 - (a - t) / t))
        return w * t / a if a else w
    if t == 0 or a == 0:
        return w if a == t else 0.0
    return w * min(a, t) / max(a, t)


def _far_above(op: str, a: float, t: float, factor: float) -> bool:
    if t <= 0:
        return False
    if op in ("≥", ">", "="):
        return a >= t * factor
    return a <= t * (2 - factor)


def reference_score(indicator: Indicator, profile: Profile) -> Reference | None:
    """The reference score of one indicator, or None when its actual has no measure."""
    w = indicator.weight
    if w is None:
        return None
    args = (w, indicator.target, indicator.actual, profile.tolerances.equal_rel,
            profile.reverse_rule, profile.over_achievement, profile.bare_target_operator)
    # A zero weight bypasses the cache, where 0.0 and -0.0 would be one key.
    return _reference(*args) if w else _reference.__wrapped__(*args)


# The same weight, target and actual ("10", "≥95%", "100%") recur across the forms of a
# run; typed, so that a weight of 10 and of 10.0 give back their own type.
@lru_cache(maxsize=16384, typed=True)
def _reference(w: float, target_text: str | None, actual_text: str | None, equal_rel: float,
               reverse_rule: str, over_achievement: float, bare_op: str) -> Reference | None:
    target = parse_measure(target_text)
    actual = parse_measure(actual_text)
    if actual is None:
        return None
    if isinstance(actual, Qualitative):
        low, high = QUALITATIVE_BANDS[actual.band]
        return Reference("qualitative", round2(w * low), round2(w * high),
                         met=actual.band == "met", band=actual.band)
    if isinstance(target, Quantity) and isinstance(actual, Quantity):
        t, a = target.value, actual.value
        # A target with no operator ("20集", "1项") is a quantity to reach; a bare 0
        # ("0起" accidents) can only mean none.
        op = target.op if target.explicit_op or t == 0 else bare_op
        met = _quantity_met(op, a, t, equal_rel)
        ref = w if met else round2(_quantity_reference(op, a, t, w, reverse_rule))
        return Reference("quantitative", ref, ref, met=met,
                         far_above=_far_above(op, a, t, over_achievement), op=op)
    if target is not None and normalize_label(actual.text) == normalize_label(
            target.text if not isinstance(target, FreeText) else target.text):
        return Reference("same_text", w, w, met=True)
    return None

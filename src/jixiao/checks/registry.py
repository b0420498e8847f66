"""The check registry: each check declared once, with everything a person needs to know.

A check is a function over one form that yields ``Hit``s; ``@check(...)`` records its
stable code, severity, Chinese title, explanation (why it matters, how to fix), a bad and
a good example in words and, where it can be typed into our form, the bad example as data
(:class:`Example`), which one parametrized test runs for every check. ``jixiao rules`` and the README catalogue are generated from here, so
documentation and behaviour never drift (the sqlfluff habit; docs/CHECKS.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable, NamedTuple, TypeVar

from jixiao.grid import parse_cell_ref
from jixiao.model import SEVERITY_ORDER, Finding, FormRecord
from jixiao.profiles import Profile
from jixiao.scoring import Recomputed, recompute

T = TypeVar("T")

SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}


class Hit(NamedTuple):
    """One problem a check found; the registry adds code, severity and sheet.

    A named tuple, not a frozen dataclass: it is made for every finding of every form and
    is half the cost to build.
    """

    message: str
    cell: str | None = None
    expected: Any = None
    found: Any = None


@dataclass
class CheckContext:
    """What a check may consult besides the form itself."""

    profile: Profile
    recomputed: Recomputed
    #: secret for HMAC fingerprints (R06); None means plain SHA-256
    secret: str | None = None
    #: form id -> fingerprint from a distribution manifest (R06 with --manifest)
    manifest_fingerprints: dict[str, str] = field(default_factory=dict)
    _memo: dict[str, tuple[FormRecord, Any]] = field(default_factory=dict, repr=False)

    def memo(self, form: FormRecord, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per form: what several checks derive from the same form
        (each indicator's measures and reference score) is worked out only once."""
        entry = self._memo.get(key)
        if entry is None or entry[0] is not form:
            entry = self._memo[key] = (form, compute())
        return entry[1]


CheckFunc = Callable[[FormRecord, CheckContext], Iterable[Hit]]


class Example(NamedTuple):
    """The bad example as data: what a unit types into the sample form (the shipped
    prefilled 市政府法律事务工作经费, otherwise filled consistently), and every (code,
    cell) then reported as an error or warning. Typing over a template formula or a
    locked value is itself R05 or R06, so those appear beside the check's own code."""

    typed: dict[str, Any]
    findings: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Check:
    code: str
    severity: str  # "error" | "warning" | "info"
    title: str  # Chinese, one line
    explanation: str  # Chinese: why it matters and how to fix
    bad: str  # Chinese: a failing example
    good: str  # Chinese: a passing example
    #: "form" checks run on one record; "file" (R01, R02) and "batch" (M01–M03) are
    #: emitted by the reader and by consolidation, declared here for the catalogue
    scope: str = "form"
    func: CheckFunc | None = None
    example: Example | None = None


REGISTRY: dict[str, Check] = {}


def check(code: str, severity: str, title: str, *, explanation: str, bad: str, good: str,
          scope: str = "form", example: Example | None = None) -> Callable[[CheckFunc], CheckFunc]:
    """Register a form check under a stable code."""

    def register(func: CheckFunc) -> CheckFunc:
        declare(code, severity, title, explanation=explanation, bad=bad, good=good,
                scope=scope, func=func, example=example)
        return func

    return register


def declare(code: str, severity: str, title: str, *, explanation: str, bad: str, good: str,
            scope: str, func: CheckFunc | None = None, example: Example | None = None) -> None:
    """Register a check that is not a function over one form (R01, R02, M01–M03)."""
    if code in REGISTRY:
        raise ValueError(f"check {code} declared twice")
    if severity not in SEVERITY_ORDER:
        raise ValueError(f"check {code}: unknown severity {severity}")
    REGISTRY[code] = Check(code, severity, title, explanation, bad, good, scope, func, example)


def get_check(code: str) -> Check | None:
    load_all_checks()
    return REGISTRY.get(code.upper())


def all_checks() -> list[Check]:
    load_all_checks()
    return sorted(REGISTRY.values(), key=lambda c: (c.code[0] != "R", _group(c.code), c.code))


def _group(code: str) -> int:
    return "RFITM".find(code[0])


def finding(code: str, hit: Hit, sheet: str | None) -> Finding:
    load_all_checks()  # R01/R02 may be the first findings of a process, before any run_checks
    chk = REGISTRY[code]
    return Finding(code=code, severity=chk.severity, message=hit.message, sheet=sheet,
                   cell=hit.cell, expected=hit.expected, found=hit.found)


def run_checks(record: FormRecord, profile: Profile, *, secret: str | None = None,
               manifest_fingerprints: dict[str, str] | None = None,
               select: Iterable[str] | None = None,
               recomputed: Recomputed | None = None) -> list[Finding]:
    """Every form check over one record, findings sorted by severity, then code."""
    load_all_checks()
    ctx = CheckContext(profile=profile, recomputed=recomputed or recompute(record, profile),
                       secret=secret, manifest_fingerprints=manifest_fingerprints or {})
    wanted = {c.upper() for c in select} if select else None
    sheet = record.sheet
    findings: list[Finding] = []
    for chk in REGISTRY.values():
        if chk.func is None or (wanted is not None and chk.code not in wanted):
            continue
        for hit in chk.func(record, ctx):
            findings.append(Finding(chk.code, chk.severity, hit.message, sheet, hit.cell,
                                    hit.expected, hit.found))
    return sort_findings(findings)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.code, _cell_key(f.cell)))


# The same few cells are named by the findings of every form of a run.
@lru_cache(maxsize=4096)
def _cell_key(cell: str | None) -> tuple[int, int]:
    if not cell:
        return (0, 0)
    try:
        row, col = parse_cell_ref(cell)
    except ValueError:
        return (0, 0)
    return (row, col)


_loaded = False


def load_all_checks() -> None:
    global _loaded
    if not _loaded:
        # Importing the modules runs their @check decorators.
        from jixiao.checks import batch, funds, indicators, reading, totals  # noqa: F401
        _loaded = True


# ---------------------------------------------------------------- helpers for checks

#: slack for float noise when a difference is compared with a tolerance
EPSILON = 1e-9


def score_tolerance(form: FormRecord, profile: Profile) -> float:
    """0.01, or 0.05 where the form shows scores with one decimal (docs/CHECKS.md, Tolerances)."""
    tol = profile.tolerances
    return tol.score_one_decimal if form.score_decimals == 1 else tol.score


def catalogue_markdown() -> str:
    """The check catalogue as a Markdown table (the README's catalogue section)."""
    lines = ["| 代码 | 级别 | 检查内容 | 适用范围 |", "| --- | --- | --- | --- |"]
    scopes = {"form": "每张表", "file": "每个文件", "batch": "汇总时"}
    for chk in all_checks():
        title = chk.title.replace("|", "\\|")
        lines.append(f"| {chk.code} | {SEVERITY_LABELS[chk.severity]} | {title} | "
                     f"{scopes.get(chk.scope, chk.scope)} |")
    return "\n".join(lines) + "\n"


def explain(chk: Check) -> str:
    """The full text ``jixiao rules F01`` prints: title, why and how, bad and good example."""
    scopes = {"form": "每张自评表", "file": "每个文件（读取时）", "batch": "汇总多张表时"}
    return "\n".join([
        f"{chk.code}  [{SEVERITY_LABELS[chk.severity]}]  {chk.title}",
        f"适用范围：{scopes.get(chk.scope, chk.scope)}",
        "",
        chk.explanation,
        "",
        "错误示例：",
        f"  {chk.bad}",
        "",
        "正确示例：",
        f"  {chk.good}",
    ]) + "\n"

"""Sheets that look like performance forms but are not the self-evaluation form.

A central project-library export holds, beside the 项目支出绩效自评表, the 绩效目标申报表
(the targets declared at budget time, 中期 and 年度 indicators side by side) and the
绩效目标执行监控表 (execution to July). The checker names them as skipped, and compares
the self-evaluation's 年度指标值 with the declared ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jixiao.grid import Grid
from jixiao.layout.labels import HEAD_LABELS, TOTAL_LABELS, is_footer_key
from jixiao.layout.sheet import Sheet
from jixiao.values import parse_year

#: words of a sheet's name or title -> the kind of form it is, first match wins
KINDS = (("监控", "绩效目标执行监控表"), ("申报", "绩效目标申报表"), ("目标表", "绩效目标申报表"),
         ("绩效目标", "绩效目标申报表"))
#: rows searched for the title, the year and the 项目名称 label
HEAD_ROWS = 8


@dataclass
class OtherForm:
    sheet: str
    kind: str
    year: int | None = None
    project: str | None = None
    #: 三级指标 -> (年度指标值, cell) as declared (申报表 only)
    targets: dict[str, tuple[str | None, str]] = field(default_factory=dict)


def find_other_form(grid: Grid) -> OtherForm | None:
    """The kind of performance form a sheet without a self-evaluation form holds, if any."""
    sheet = Sheet(grid)
    texts = [t for r in range(min(HEAD_ROWS, sheet.height)) for _, t in sheet.cells(r)]
    project_keys = set(HEAD_LABELS["project"])
    if not any(k in project_keys for r in range(min(HEAD_ROWS, sheet.height)) for k in sheet.keys(r)):
        return None
    words = " ".join([grid.name, *texts[:3]])
    kind = next((name for word, name in KINDS if word in words), None)
    if kind is None:
        return None
    other = OtherForm(grid.name, kind)
    for text in texts:
        if other.year is None and "年度" in text and len(text) <= 16:
            other.year = parse_year(text)
    for r in range(min(HEAD_ROWS, sheet.height)):
        cells, keys = sheet.cells(r), sheet.keys(r)
        for i, key in enumerate(keys):
            if key in project_keys and i + 1 < len(cells):
                other.project = cells[i + 1][1]
    if kind == "绩效目标申报表":
        other.targets = _declared_targets(sheet)
    return other


def _declared_targets(sheet: Sheet) -> dict[str, tuple[str | None, str]]:
    """三级指标 -> 年度指标值 of the last indicator column set (中期 first, 年度 last)."""
    for r in range(sheet.height):
        keys = sheet.keys(r)
        cols = [c for c, _ in sheet.cells(r)]
        names = [c for c, k in zip(cols, keys) if k == "三级指标"]
        if not names:
            continue
        name_col = names[-1]
        values = [c for c, k in zip(cols, keys) if k in ("指标值", "年度指标值") and c > name_col]
        if not values:
            return {}
        target_col = values[0]
        targets: dict[str, tuple[str | None, str]] = {}
        for row in range(r + 1, sheet.height):
            first = sheet.keys(row)[:1]
            if first and (first[0].startswith(TOTAL_LABELS) or is_footer_key(first[0])):
                break
            name = sheet.text(row, name_col)
            if name:
                targets.setdefault(name, (sheet.text(row, target_col), sheet.ref(row, target_col)))
        return targets
    return {}

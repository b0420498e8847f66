"""Decisions across files, made on the small per-form keys the parent keeps.

M01 (one project returned twice with different figures), and with a distribution
manifest M02 (distributed, never returned) and M03 (returned, never distributed).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from jixiao.manifest import ManifestRow
from jixiao.merge.columns import FindingRow
from jixiao.merge.rows import FileSummary, FormKey, finding_row
from jixiao.model import Finding
from jixiao.values import normalize_label, parse_year

NEWEST, OLDER = "最新", "较早"
SAME_SUFFIX = "（内容相同）"

#: (file path, index of the form in that file)
FormRef = tuple[str, int]


@dataclass
class Plan:
    """Everything decided across files, applied while the rows are written out."""

    files: list[FileSummary]
    duplicate: dict[FormRef, str] = field(default_factory=dict)
    #: findings about one returned form (M01, M03), written after that file's own
    form_findings: dict[FormRef, list[FindingRow]] = field(default_factory=lambda: defaultdict(list))
    #: findings about no returned file (M02), written last
    tail_findings: list[FindingRow] = field(default_factory=list)
    submissions: list[tuple] | None = None
    unit_submissions: list[tuple] | None = None


def batch_finding(code: str, message: str, sheet: str | None = None, cell: str | None = None) -> Finding:
    from jixiao.checks.registry import Hit, finding, get_check

    if get_check(code) is not None:
        return finding(code, Hit(message, cell=cell), sheet)
    # Declared in jixiao.checks.batch; until then a warning, as M01–M03 are (docs/CHECKS.md).
    return Finding(code, "warning", message, sheet, cell)


def _forms(files: Iterable[FileSummary]):
    for summary in files:
        for i, key in enumerate(summary.forms):
            yield summary, i, key


def _describe(key: FormKey) -> str:
    year = f"{key.year}年度 " if key.year else ""
    return f"{year}{key.unit or '（未填单位）'}《{key.project or '（未填项目名称）'}》"


def _where(summary: FileSummary, key: FormKey) -> str:
    return f"{summary.path}（{key.sheet}）" if key.sheet else summary.path


def plan(files: list[FileSummary], manifest: list[ManifestRow] | None = None) -> Plan:
    files = sorted(files, key=lambda s: s.path)
    result = Plan(files)
    _mark_duplicates(result)
    if manifest is not None:
        _match_manifest(result, manifest)
    return result


def _mark_duplicates(result: Plan) -> None:
    groups: dict[tuple, list[tuple[FileSummary, int, FormKey]]] = defaultdict(list)
    for summary, i, key in _forms(result.files):
        if key.project:
            groups[key.identity].append((summary, i, key))
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda m: (m[0].mtime, m[0].path, m[1]))
        differ = len({key.figures for _, _, key in members}) > 1
        newest = members[-1]
        newest_ref = (newest[0].path, newest[1])
        for summary, i, key in members:
            mark = NEWEST if (summary.path, i) == newest_ref else OLDER
            result.duplicate[(summary.path, i)] = mark if differ else mark + SAME_SUFFIX
        if not differ:
            continue
        listing = "、".join(
            f"{_where(s, k)}（{NEWEST if (s.path, i) == newest_ref else OLDER}）" for s, i, k in members)
        for summary, i, key in members:
            message = (f"同一项目（{_describe(key)}）报送了 {len(members)} 份且数据不一致：{listing}，"
                       "请与单位确认以哪一份为准")
            f = batch_finding("M01", message, key.sheet, key.anchor)
            result.form_findings[(summary.path, i)].append(
                finding_row(summary.path, f, key.unit, key.project))


def _manifest_identity(row: ManifestRow) -> tuple:
    return (parse_year(row.year), normalize_label(row.unit), normalize_label(row.project))


def _match_manifest(result: Plan, manifest: list[ManifestRow]) -> None:
    by_id: dict[str, list] = defaultdict(list)
    by_identity: dict[tuple, list] = defaultdict(list)
    for summary, i, key in _forms(result.files):
        if key.form_id:
            by_id[key.form_id].append((summary, i, key))
        by_identity[key.identity].append((summary, i, key))

    used: set[FormRef] = set()
    rows: list[tuple] = []
    per_unit: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for m in manifest:
        matches = by_id.get(m.form_id) or by_identity.get(_manifest_identity(m)) or []
        counts = per_unit[m.unit or "（未填单位）"]
        counts[0] += 1
        if matches:
            counts[1] += 1
            used.update((s.path, i) for s, i, _ in matches)
            returned = "；".join(s.path for s, _, _ in matches)
            sheets = "；".join(k.sheet or "" for _, _, k in matches)
            rows.append((m.form_id, m.year, m.department, m.unit, m.project, "已提交",
                         m.file, returned, sheets))
        else:
            counts[2] += 1
            rows.append((m.form_id, m.year, m.department, m.unit, m.project, "未提交",
                         m.file, None, m.sheet or None))
            message = (f"已分发的自评表未收回：{m.unit or '（未填单位）'}《{m.project}》"
                       f"（表单编号 {m.form_id}，分发文件 {m.file or '未记录'}）")
            f = batch_finding("M02", message, m.sheet or None)
            result.tail_findings.append(finding_row(m.file or "", f, m.unit or None, m.project or None))
    for summary, i, key in _forms(result.files):
        if (summary.path, i) in used:
            continue
        per_unit[key.unit or "（未填单位）"][3] += 1
        rows.append((key.form_id, str(key.year) if key.year else None, key.department, key.unit,
                     key.project, "多余", None, summary.path, key.sheet))
        message = (f"收到的自评表{_describe(key)}不在分发清单中"
                   + (f"（表单编号 {key.form_id} 未分发）" if key.form_id else "")
                   + "，请核实是否为新增项目或填错了项目名称、单位")
        f = batch_finding("M03", message, key.sheet, key.anchor)
        result.form_findings[(summary.path, i)].append(
            finding_row(summary.path, f, key.unit, key.project))
    result.submissions = rows
    result.unit_submissions = [(unit, *counts) for unit, counts in sorted(per_unit.items())]

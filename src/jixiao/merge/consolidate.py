"""Decisions across files, made on the small per-form keys kept in merge's store.

M01 (one project returned twice with different figures), and with a distribution
manifest M02 (distributed, never returned) and M03 (returned, never distributed).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from typing import Callable

from jixiao.manifest import ManifestRow
from jixiao.merge.columns import FindingRow
from jixiao.merge.rows import FileSummary, FormKey, finding_row
from jixiao.merge.store import MergeStore, StoredForm
from jixiao.model import Finding
from jixiao.values import normalize_label, parse_year

NEWEST, OLDER = "最新", "较早"
SAME_SUFFIX = "（内容相同）"

#: (file path, index of the form in that file)
FormRef = tuple[str, int]


@dataclass
class Plan:
    """What was decided across files. The marks and findings about one returned form live
    in the store (read back in file order while the rows are written); what concerns no
    returned file, and the manifest's lists, here."""

    store: MergeStore
    #: findings about no returned file (M02), written last
    tail_findings: list[FindingRow] = field(default_factory=list)
    submissions: list[tuple] | None = None
    unit_submissions: list[tuple] | None = None

    @property
    def duplicate(self) -> dict[FormRef, str]:
        """(path, form) -> its M01 mark (read from the store: for small runs and tests)."""
        return {(path, i): mark for _, i, path, mark, _ in self.store.decisions() if mark}

    @property
    def form_findings(self) -> dict[FormRef, list[FindingRow]]:
        """(path, form) -> the M01/M03 findings about it (for small runs and tests)."""
        out: dict[FormRef, list[FindingRow]] = defaultdict(list)
        for _, i, path, _, finding in self.store.decisions():
            if finding is not None:
                out[(path, i)].append(finding)
        return out


def batch_finding(code: str, message: str, sheet: str | None = None, cell: str | None = None) -> Finding:
    from jixiao.checks.registry import Hit, finding, get_check

    if get_check(code) is not None:
        return finding(code, Hit(message, cell=cell), sheet)
    # Declared in jixiao.checks.batch; until then a warning, as M01–M03 are (docs/CHECKS.md).
    return Finding(code, "warning", message, sheet, cell)


def _describe(key: FormKey) -> str:
    year = f"{key.year}年度 " if key.year else ""
    return f"{year}{key.unit or '（未填单位）'}《{key.project or '（未填项目名称）'}》"


def _where(form: StoredForm) -> str:
    return f"{form.path}（{form.key.sheet}）" if form.key.sheet else form.path


def plan(files: list[FileSummary], manifest: list[ManifestRow] | None = None) -> Plan:
    """The decisions about ``files`` (summaries of checked files, without their rows)."""
    store = MergeStore()
    files = sorted(files, key=lambda s: s.path)
    store.add_listed(s.path for s in files)
    store.sort_listed()
    for number, summary in enumerate(files):
        store.put(number, summary, b"")
    store.finish_reading()
    return decide(store, manifest)


def decide(store: MergeStore, manifest: list[ManifestRow] | None = None,
           on_finding: Callable[[FindingRow], None] | None = None) -> Plan:
    """Decide across every file in ``store`` (all answers in); ``on_finding`` sees each
    finding decided (the 统计 sheet counts them)."""
    result = Plan(store)
    note = on_finding or (lambda f: None)
    _mark_duplicates(result, note)
    if manifest is not None:
        _match_manifest(result, manifest, note)
    for f in result.tail_findings:
        note(f)
    return result


def _mark_duplicates(result: Plan, note: Callable[[FindingRow], None]) -> None:
    store = result.store
    for _, group in groupby(store.forms_by_identity(), key=attrgetter("identity")):
        members = list(group)  # one project's returns: a few forms
        if len(members) < 2:
            continue
        members.sort(key=lambda m: (m.mtime, m.path, m.index))
        differ = len({m.key.figures for m in members}) > 1
        newest = members[-1]
        listing = "、".join(f"{_where(m)}（{NEWEST if m is newest else OLDER}）" for m in members)
        for m in members:
            mark = NEWEST if m is newest else OLDER
            store.decide(m, duplicate=mark if differ else mark + SAME_SUFFIX)
        if not differ:
            continue
        for m in members:
            key = m.key
            message = (f"同一项目（{_describe(key)}）报送了 {len(members)} 份且数据不一致：{listing}，"
                       "请与单位确认以哪一份为准")
            f = finding_row(m.path, batch_finding("M01", message, key.sheet, key.anchor), key.unit, key.project)
            store.decide(m, finding=f)
            note(f)


def _manifest_identity(row: ManifestRow) -> tuple:
    return (parse_year(row.year), normalize_label(row.unit), normalize_label(row.project))


def _match_manifest(result: Plan, manifest: list[ManifestRow], note: Callable[[FindingRow], None]) -> None:
    store = result.store
    rows: list[tuple] = []
    per_unit: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for m in manifest:
        matches = (store.forms_with_id(m.form_id) if m.form_id else []) \
            or store.forms_with_identity(*_manifest_identity(m))
        counts = per_unit[m.unit or "（未填单位）"]
        counts[0] += 1
        if matches:
            counts[1] += 1
            store.mark_used(matches)
            returned = "；".join(f.path for f in matches)
            sheets = "；".join(f.key.sheet or "" for f in matches)
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
    for form in store.unused_forms():
        key = form.key
        per_unit[key.unit or "（未填单位）"][3] += 1
        rows.append((key.form_id, str(key.year) if key.year else None, key.department, key.unit,
                     key.project, "多余", None, form.path, key.sheet))
        message = (f"收到的自评表{_describe(key)}不在分发清单中"
                   + (f"（表单编号 {key.form_id} 未分发）" if key.form_id else "")
                   + "，请核实是否为新增项目或填错了项目名称、单位")
        f = finding_row(form.path, batch_finding("M03", message, key.sheet, key.anchor), key.unit, key.project)
        store.decide(form, finding=f)
        note(f)
    result.submissions = rows
    result.unit_submissions = [(unit, *counts) for unit, counts in sorted(per_unit.items())]

"""Batch checks M01–M03, as consolidation (jixiao.merge.consolidate.plan) emits them."""

from __future__ import annotations

from jixiao.manifest import ManifestRow
from jixiao.merge.consolidate import plan
from jixiao.merge.rows import FileSummary, FormKey


def _form(project: str, figures: str, form_id: str | None = None) -> FormKey:
    return FormKey(sheet="自评表", anchor="A1", year=2022, department="上海市闵行区行政服务中心",
                   unit="上海市闵行区行政服务中心", project=project, form_id=form_id,
                   figures=figures)


def _file(path: str, *forms: FormKey, mtime: float = 0.0) -> FileSummary:
    return FileSummary(path=path, mtime=mtime, forms=forms, errors=0, status="ok")


def _codes(result) -> list[str]:
    rows = [row for found in result.form_findings.values() for row in found]
    return sorted(row.code for row in rows + result.tail_findings)


def _manifest_row(form_id: str, project: str) -> ManifestRow:
    return ManifestRow(form_id=form_id, year="2022", department="上海市闵行区行政服务中心",
                       unit="上海市闵行区行政服务中心", project=project, file=f"{project}.xlsx",
                       sheet="自评表", fingerprint="")


def test_m01_same_project_twice_with_different_figures():
    # seed 002 法律顾问费 returned twice: 全年执行数 9,000 and, in a later copy, 8,000
    result = plan([_file("a.xlsx", _form("法律顾问费", "9000")),
                   _file("b.xlsx", _form("法律顾问费", "8000"), mtime=1.0)])
    assert _codes(result) == ["M01", "M01"]
    row = result.form_findings[("a.xlsx", 0)][0]
    assert row.severity == "warning"
    assert "法律顾问费" in row.message


def test_m01_passes_for_an_identical_resubmission_or_different_projects():
    same = plan([_file("a.xlsx", _form("法律顾问费", "9000")),
                 _file("b.xlsx", _form("法律顾问费", "9000"))])
    assert _codes(same) == []
    different = plan([_file("a.xlsx", _form("法律顾问费", "9000")),
                      _file("b.xlsx", _form("党建经费", "16000"))])
    assert _codes(different) == []


def test_m02_distributed_form_not_returned_and_m03_returned_form_not_distributed():
    manifest = [_manifest_row("JX2022-1", "法律顾问费"), _manifest_row("JX2022-2", "窗口建设经费")]
    result = plan([_file("a.xlsx", _form("法律顾问费", "9000", "JX2022-1"),
                         _form("停车费", "306576"))], manifest)
    assert _codes(result) == ["M02", "M03"]
    assert "窗口建设经费" in result.tail_findings[0][5]
    assert result.form_findings[("a.xlsx", 1)][0].code == "M03"


def test_m02_m03_pass_when_every_distributed_form_came_back():
    manifest = [_manifest_row("JX2022-1", "法律顾问费")]
    result = plan([_file("a.xlsx", _form("法律顾问费", "9000", "JX2022-1"))], manifest)
    assert _codes(result) == []

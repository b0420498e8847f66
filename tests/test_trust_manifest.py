"""Issue 11: manifests and projects lists read through the gate; the manifest fingerprint
holds without the hidden sheet; malformed hidden-sheet values are the unit's findings.

Through the CLI: the prefilled forms of ``jixiao template --projects`` and its manifest.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from hostile_corpus import sheet_xml, write_xlsx

PROJECTS = Path(__file__).parent / "data" / "template" / "项目清单.csv"
PROJECT = "市政府办公厅专项工作业务经费"


def _jixiao(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jixiao", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout,
                          env={**os.environ, "JIXIAO_TIME_BUDGET_S": "5"})


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    root = tmp_path_factory.mktemp("dist")
    proc = _jixiao("template", "--projects", PROJECTS, "-o", root / "dist")
    assert proc.returncode == 0, proc.stderr
    return root / "dist"


def _form_file(dist: Path) -> Path:
    return next(p for p in dist.glob("*.xlsx") if PROJECT in p.name)


def _returned(dist: Path, tmp_path: Path, edit=None, name: str = "返回.xlsx") -> Path:
    """A copy of the prefilled form as a unit returns it (openpyxl re-save), edited."""
    wb = openpyxl.load_workbook(_form_file(dist))
    if edit:
        edit(wb)
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    wb.save(folder / name)
    return folder / name


def _set_meta(key: str, value):
    def edit(wb):
        meta = wb["_jixiao"]
        for row in meta.iter_rows(min_row=2):
            if row[1].value == key:
                row[2].value = value
                return
        raise AssertionError(key)
    return edit


def _check(path: Path, *extra) -> tuple[subprocess.CompletedProcess, list[dict]]:
    proc = _jixiao("check", path, "--format", "json", *extra)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc, json.loads(proc.stdout)["files"]


def _codes(files: list[dict]) -> list[str]:
    return [f["code"] for entry in files for form in entry["forms"] for f in form["findings"]]


def _manifest_rows(dist: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO((dist / "manifest.csv").read_text(encoding="utf-8-sig"))))


# ---------------------------------------------------------------- the manifest fingerprint

def test_hidden_sheet_deleted_and_budget_unchanged_is_no_r06(dist, tmp_path):
    path = _returned(dist, tmp_path, lambda wb: wb.remove(wb["_jixiao"]))
    _, files = _check(path, "--manifest", dist / "manifest.csv")
    assert "R06" not in _codes(files) and "M03" not in _codes(files)


def test_hidden_sheet_deleted_and_locked_budget_changed_is_r06(dist, tmp_path):
    def edit(wb):
        wb.remove(wb["_jixiao"])
        sheet = wb.worksheets[0]
        assert sheet["C7"].value == 409.9
        sheet["C7"].value = 999
    path = _returned(dist, tmp_path, edit)
    _, without = _check(path)
    assert "R06" not in _codes(without)  # nothing to compare with but the manifest
    proc, files = _check(path, "--manifest", dist / "manifest.csv")
    assert proc.returncode == 1
    r06 = [f for form in files[0]["forms"] for f in form["findings"] if f["code"] == "R06"]
    assert len(r06) == 1 and "下发清单" in r06[0]["message"]


def test_merge_does_not_mark_the_changed_form_as_clean(dist, tmp_path):
    def edit(wb):
        wb.remove(wb["_jixiao"])
        wb.worksheets[0]["C7"].value = 999
    path = _returned(dist, tmp_path, edit)
    out = tmp_path / "汇总.csv"
    proc = _jixiao("merge", path.parent, "--manifest", dist / "manifest.csv", "--format", "csv",
                   "-o", out, "-q")
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    findings = next(tmp_path.glob("汇总_findings.csv")).read_text(encoding="utf-8-sig")
    assert "R06" in findings


# ---------------------------------------------------------------- malformed hidden values

MALFORMED = {
    "superscript year": ("year", "²⁰²⁴"),
    "funds as a list": ("locked_values", json.dumps({"funds": [1, 2]})),
    "NaN": ("locked_values", '{"year": NaN}'),
    "deep nesting": ("locked_values", "[" * 30_000 + "]" * 30_000),
    "1e308": ("locked_values", '{"funds": {"current_year": {"initial": 1e308}}}'),
    "400 digits": ("locked_values", '{"funds": {"current_year": {"initial": %s}}}' % ("9" * 400)),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_hidden_value_is_the_units_finding_never_an_internal_error(dist, tmp_path, case):
    key, value = MALFORMED[case]
    path = _returned(dist, tmp_path, _set_meta(key, value))
    proc, files = _check(path, "--manifest", dist / "manifest.csv")
    entry = files[0]
    assert entry["status"] == "ok" and len(entry["forms"]) == 1, entry
    assert "内部错误" not in json.dumps(entry, ensure_ascii=False)
    if key == "locked_values":
        r06 = [f for f in entry["forms"][0]["findings"] if f["code"] == "R06"]
        assert r06 and "格式有误" in r06[0]["message"]
    # merge lists the form in the summary
    out = tmp_path / "s.csv"
    merged = _jixiao("merge", path.parent, "--format", "csv", "-o", out, "-q")
    assert "Traceback" not in merged.stderr and "内部错误" not in merged.stderr
    projects = (tmp_path / "s_projects.csv").read_text(encoding="utf-8-sig")
    assert PROJECT in projects


@pytest.mark.parametrize("typed", ["1e308", "9" * 400, "NaN", "-1e400", 1e308, -1e300],
                         ids=["text-1e308", "text-400-digits", "NaN", "text-minus-1e400",
                              "number-1e308", "number-minus-1e300"])
def test_a_huge_number_typed_into_a_cell_is_a_finding_not_an_error(dist, tmp_path, typed):
    def edit(wb):
        wb.worksheets[0]["E7"].value = typed  # 全年执行数
    path = _returned(dist, tmp_path, edit)
    proc, files = _check(path)
    entry = files[0]
    assert entry["status"] == "ok" and len(entry["forms"]) == 1
    assert "内部错误" not in json.dumps(entry, ensure_ascii=False)
    codes = _codes(files)
    assert "R04" in codes or "F01" in codes, codes


# ---------------------------------------------------------------- manifests as officers keep them

def test_check_reports_m03_for_a_form_not_in_the_manifest(dist, tmp_path):
    rows = [r for r in _manifest_rows(dist) if PROJECT not in r[4]]
    manifest = tmp_path / "m.csv"
    with open(manifest, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    _, files = _check(_form_file(dist), "--manifest", manifest)
    m03 = [f for f in files[0]["forms"][0]["findings"] if f["code"] == "M03"]
    assert len(m03) == 1 and PROJECT in m03[0]["message"]
    _, listed = _check(_form_file(dist), "--manifest", dist / "manifest.csv")
    assert "M03" not in _codes(listed)


@pytest.mark.parametrize("saved_as", ["gbk.csv", "excel.xlsx"])
def test_a_manifest_saved_again_by_excel_is_read(dist, tmp_path, saved_as):
    rows = _manifest_rows(dist)
    manifest = tmp_path / saved_as
    if saved_as.endswith(".csv"):
        manifest.write_bytes("\r\n".join(",".join(r) for r in rows).encode("gbk"))
    else:
        wb = openpyxl.Workbook()
        for r in rows:
            wb.active.append([int(v) if v.isdigit() and len(v) == 4 else v for v in r])
        wb.save(manifest)
    def edit(wb):
        wb.remove(wb["_jixiao"])
        wb.worksheets[0]["C7"].value = 999
    path = _returned(dist, tmp_path, edit)
    proc, files = _check(path, "--manifest", manifest)
    assert "R06" in _codes(files) and "M03" not in _codes(files), proc.stderr


def _one_chinese_line(proc) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert any("\u4e00" <= ch <= "\u9fff" for ch in lines[0])
    return lines[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_manifest_is_refused_without_hanging(dist, tmp_path):
    fifo = tmp_path / "manifest.csv"
    os.mkfifo(fifo)
    proc = _jixiao("check", _form_file(dist), "--manifest", fifo, timeout=30)
    assert proc.returncode != 0
    assert "不是普通文件" in _one_chinese_line(proc)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_manifest_linked_to_dev_zero_is_refused(dist, tmp_path):
    link = tmp_path / "manifest.csv"
    link.symlink_to("/dev/zero")
    proc = _jixiao("merge", dist, "--manifest", link, "-o", tmp_path / "s.xlsx", "-q", timeout=30)
    assert proc.returncode != 0
    assert str(link) in _one_chinese_line(proc)


def test_a_manifest_field_over_128_kb_is_read(dist, tmp_path):
    rows = _manifest_rows(dist)
    rows.append(["JX2024-x", "2024", "部门", "单位", "长" * 200_000, "f.xlsx", "自评表", "", ""])
    manifest = tmp_path / "m.csv"
    with open(manifest, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    proc, files = _check(_form_file(dist), "--manifest", manifest)
    assert "内部错误" not in proc.stderr and files[0]["status"] == "ok"


def test_a_projects_list_with_a_cell_at_xfd1048576_is_one_chinese_line(tmp_path):
    lines = PROJECTS.read_text(encoding="utf-8-sig").splitlines()
    rows = [line.split(",") for line in lines[:3]]
    projects = write_xlsx(tmp_path / "清单.xlsx", [("清单", sheet_xml(rows + [[]], dimension="A1:XFD1048576")
                                                     .replace("</sheetData>",
                                                              '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'))])
    proc = _jixiao("template", "--projects", projects, "-o", tmp_path / "out", timeout=60)
    assert proc.returncode != 0
    line = _one_chinese_line(proc)
    assert "清单.xlsx" in line and "panicked" not in proc.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_huge_numbers_in_any_cell_of_another_layout_are_findings(tmp_path):
    """The same over every number cell of a form read by its labels: budgets, rates,
    scores, weights, targets and actual values typed as 1e308, -1e308 or 400 digits."""
    from hostile_corpus import FORM_ROWS, form_xlsx

    folder = tmp_path / "in"
    folder.mkdir()
    cells = [(5, 2), (5, 3), (5, 4), (5, 6), (5, 7), (12, 4), (12, 5), (12, 6), (12, 7), (19, 6), (19, 7)]
    for i, (r, c) in enumerate(cells):
        for j, value in enumerate((1e308, -1e308, "9" * 400)):
            rows = [list(line) for line in FORM_ROWS]
            rows[r][c] = value
            form_xlsx(folder / f"f{i}-{j}.xlsx", rows)
    proc, files = _check(folder)
    assert len(files) == 3 * len(cells)
    for entry in files:
        assert entry["status"] == "ok" and len(entry["forms"]) == 1, entry["path"]
    assert "内部错误" not in proc.stdout
    merged = _jixiao("merge", folder, "--format", "csv", "-o", tmp_path / "s.csv", "-q")
    assert f"{3 * len(cells)} 张自评表，未读取 0 个文件" in merged.stderr, merged.stderr


def test_a_projects_list_longer_than_any_form_is_still_read(tmp_path):
    """The gate's row bound is a returned form's; a province's projects list (one row per
    indicator) is longer, and is read under a list's own bounds."""
    from jixiao.profiles import load_profile
    from jixiao.projects import read_projects

    lines = PROJECTS.read_text(encoding="utf-8-sig").splitlines()
    head, rows = lines[0], lines[1:]
    body = [row.replace("市政府办公厅专项工作业务经费", f"项目{k}").replace(
        "上海市闵行区“一网通办”配套系统(2022运维)", f"系统{k}")
        for k in range(51_000 // len(rows) + 1) for row in rows]
    projects = tmp_path / "p.csv"
    projects.write_text("\n".join([head, *body]) + "\n", encoding="utf-8")
    assert len(body) > 50_000
    assert len(read_projects(projects, load_profile("shanghai"))) == 2 * (51_000 // len(rows) + 1)

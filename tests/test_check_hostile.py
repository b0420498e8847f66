"""Issue 6 through `jixiao check --annotate`: the hostile corpus, run as a user runs it.

No traceback, no hang, every bad file one R01 line with a Chinese reason, every good form
beside them checked, and not one input byte changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hostile_corpus import digests, make_corpus
from jixiao.io.safety import INPUT_EXTENSIONS


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-check")
    cases = make_corpus(root / "in")
    before = digests(root / "in")
    report = root / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "jixiao", "check", str(root / "in"), "--format", "json",
         "-o", str(report), "--annotate", str(root / "annotated")],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "JIXIAO_TIME_BUDGET_S": "5"})
    data = json.loads(report.read_text(encoding="utf-8"))
    files = {Path(f["path"]).name: f for f in data["files"]}
    return {"root": root, "cases": cases, "before": before, "proc": proc, "files": files}


def _inputs(cases, **flag):
    return [c for c in cases if c.path.is_file() and c.path.suffix.lower() in INPUT_EXTENSIONS
            and all(bool(getattr(c, k)) == v for k, v in flag.items())]


def test_no_traceback_reaches_the_user(checked):
    proc = checked["proc"]
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert proc.returncode == 1  # bad files are errors


def test_inputs_are_byte_identical_after_check_and_annotate(checked):
    assert digests(checked["root"] / "in") == checked["before"]


def test_every_bad_file_is_one_r01_with_a_chinese_reason(checked):
    bad = [c for c in _inputs(checked["cases"]) if c.expect_kind]
    assert len(bad) >= 50
    for case in bad:
        entry = checked["files"][case.path.name]
        assert entry["status"] == "unreadable", case.name
        assert [f["code"] for f in entry["findings"]] == ["R01"], case.name
        message = entry["error"]["message"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), case.name
        for symptom in ("内部错误", "异常退出", "超时"):
            assert symptom not in message, (case.name, message)


def test_every_good_form_beside_them_is_checked(checked):
    good = _inputs(checked["cases"], form=True)
    assert good
    for case in good:
        entry = checked["files"][case.path.name]
        assert entry["status"] == "ok" and len(entry["forms"]) == 1, case.name
        assert entry["forms"][0]["record"]["project"], case.name


def test_each_file_is_reported_once(checked):
    names = [c.path.name for c in _inputs(checked["cases"])]
    assert sorted(names) == sorted(n for n in checked["files"] if n in set(names))


def test_every_readable_file_gets_its_annotated_copy_within_the_budget(checked):
    """Annotating runs in the workers under the reading budgets (issue 11): the files
    openpyxl would expand to billions of cells get a copy too, none times out."""
    readable = [c for c in _inputs(checked["cases"]) if c.expect_kind is None and c.path.stat().st_size]
    assert any("openpyxl_bomb" in c.tags for c in readable)
    copies = {p.name for p in (checked["root"] / "annotated").rglob("*") if p.is_file()}
    for case in readable:
        entry = checked["files"][case.path.name]
        assert entry["status"] == "ok", (case.name, entry["error"])
        expected = case.path.name if case.path.suffix.lower() in (".xlsx", ".xlsm") \
            else case.path.stem + ".xlsx"
        assert expected in copies, case.name


def test_no_temporary_file_is_left_among_the_copies(checked):
    assert not [p for p in (checked["root"] / "annotated").rglob(".*")]


def test_a_copy_bounds_its_cells_and_says_where_text_was_cut(checked):
    import openpyxl

    copy = next((checked["root"] / "annotated").rglob("very_long_strings.xlsx"))
    texts = [v for ws in openpyxl.load_workbook(copy, read_only=True).worksheets
             for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert max(map(len, texts)) <= 32_767
    assert any("已截断" in t and "300,000" in t for t in texts)

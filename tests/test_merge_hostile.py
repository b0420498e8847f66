"""Issue 6 through merge: the hostile corpus is consolidated without a trace, a hang or a
formula; every bad file is one R01 line, every good form beside them is in the summary."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

import jixiao
from jixiao.io.safety import INPUT_EXTENSIONS as INPUT_SUFFIXES
from hostile_corpus import digests, make_corpus


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    cases = make_corpus(root / "in")
    before = digests(root / "in")
    out = root / "汇总.xlsx"
    result = jixiao.merge_files([root / "in"], output=out, jobs=2, quiet=True)
    csv_out = jixiao.merge_files([root / "in"], output=root / "csv", fmt="csv", jobs=2, quiet=True)
    return {"root": root, "cases": cases, "before": before, "out": out, "result": result,
            "csv": csv_out}


def test_inputs_are_byte_identical_after_merge(merged):
    assert digests(merged["root"] / "in") == merged["before"]


def test_every_bad_file_is_one_r01_line_with_a_chinese_reason(merged):
    unreadable = merged["result"].unreadable
    listed = [Path(f).name for f in unreadable["文件"]]
    assert len(listed) == len(set(listed))
    bad = [c for c in merged["cases"] if c.expect_kind and c.path.is_file()
           and c.path.suffix.lower() in INPUT_SUFFIXES]
    assert len(bad) >= 40
    reasons = dict(zip(listed, zip(unreadable["代码"], unreadable["原因"])))
    for case in bad:
        code, reason = reasons[case.path.name]
        assert code in ("R01", "R02"), case.name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in reason), case.name


def test_no_crash_timeout_or_internal_error(merged):
    reasons = " ".join(merged["result"].unreadable["原因"])
    for symptom in ("内部错误", "异常退出", "超时", "Traceback"):
        assert symptom not in reasons


def test_every_good_form_is_consolidated(merged):
    consolidated = {Path(f).name for f in merged["result"].projects["文件"]}
    good = [c for c in merged["cases"] if c.form and c.path.is_file()
            and c.path.suffix.lower() in INPUT_SUFFIXES]
    assert good and {c.path.name for c in good} <= consolidated


def test_no_text_became_a_formula(merged):
    wb = openpyxl.load_workbook(merged["out"])
    assert not [(s.title, c.coordinate) for s in wb for row in s.iter_rows() for c in row
                if c.data_type == "f"]
    injected = [c.value for row in wb["项目汇总"].iter_rows(min_row=2) for c in row
                if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert injected  # the corpus does carry formula-like text, and it arrived as text
    path = next(p for p in merged["csv"].outputs if p.name == "csv_projects.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        cells = [v for row in csv.reader(fh) for v in row]
    assert not [v for v in cells if v[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(v)]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True

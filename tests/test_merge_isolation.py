"""A worker that aborts or hangs loses only its own file; the table rows are plain tuples."""

from __future__ import annotations

import multiprocessing as mp
import os
import time

import pytest

import jixiao
from jixiao.checking import FileResult, FormResult
from jixiao.io.safety import Limits
from jixiao.merge import rows as merge_rows
from jixiao.merge.columns import INDICATOR_COLUMNS
from jixiao.model import Finding, FormRecord, FundRow, Funds, Indicator
from jixiao.scoring import Recomputed
from merge_fixtures import good_record, write_form

needs_fork = pytest.mark.skipif("fork" not in mp.get_all_start_methods(),
                                reason="the patched checker reaches workers only when they fork")


def _hostile_check_file(path, *args, **kwargs):
    name = os.path.basename(str(path))
    if name.startswith("abort"):
        os.abort()  # what python-calamine does on some hostile files
    if name.startswith("hang"):
        time.sleep(60)
    return _real_check_file(path, *args, **kwargs)


_real_check_file = None


@needs_fork
def test_abort_and_hang_lose_only_their_file(tmp_path, monkeypatch):
    global _real_check_file
    import jixiao.checking

    _real_check_file = jixiao.checking.check_file
    monkeypatch.setattr(jixiao.checking, "check_file", _hostile_check_file)
    for i in range(6):
        write_form(tmp_path / f"good{i}.xlsx", good_record(f"单位{i}", f"项目{i}"))
    write_form(tmp_path / "abort.xlsx", good_record("甲", "甲项目"))
    write_form(tmp_path / "hang.xlsx", good_record("乙", "乙项目"))
    start = time.monotonic()
    result = jixiao.merge_files([tmp_path], jobs=2, quiet=True, limits=Limits(time_budget_s=0.5))
    assert time.monotonic() - start < 30  # the hang was cut, not waited out
    assert result.forms == 6
    assert sorted(result.projects["实施单位"]) == [f"单位{i}" for i in range(6)]
    reasons = {os.path.basename(f): r for f, c, r in result.unreadable.itertuples(index=False)}
    assert set(reasons) == {"abort.xlsx", "hang.xlsx"}
    assert "异常退出" in reasons["abort.xlsx"] and "SIGABRT" in reasons["abort.xlsx"]
    assert "超时" in reasons["hang.xlsx"]


def _form_result() -> FormResult:
    record = FormRecord(
        year=2024, project="=1+1", department="某局", unit="某单位", money_unit="万元",
        funds=Funds(total=FundRow(initial=100.0, budget=100.0, executed=120.0, weight=10.0,
                                  rate_pct=120.0, score=10.0)),
        indicators=[Indicator("产出指标", "数量指标", "完成数量", "≥95(%)", "部分达成指标并具有一定效果",
                              20.0, 14.0, None, row=13)],
        total_score=24.0, grade="差", sheet="自评表", anchor="A1")
    recomputed = Recomputed(fund_rate_pct=120.0, fund_score=10.0, total_weight=30.0,
                            total_score=24.0, grade="差")
    findings = [Finding("F01", "error", "执行率超过 100%", "自评表", "E6", expected="≤ 100", found=120.0),
                Finding("I08", "info", "参考得分不同", "自评表", "H13", expected=15.5, found=14.0)]
    return FormResult(record, recomputed, findings, "shanghai")


def test_rows_from_a_form_result_are_plain_and_complete():
    result = FileResult(path="a.xlsx", forms=[_form_result()])
    summary, blob = merge_rows.file_rows(result, mtime=5.0)
    import pickle

    projects, indicators, findings, unreadable = pickle.loads(blob)
    project = projects[0]._asdict()
    assert project["project"] == "=1+1" and project["executed"] == 120.0
    assert project["rate"] == 120.0 and project["grade"] == "差"
    assert (project["errors"], project["warnings"], project["infos"]) == (1, 0, 1)
    assert project["file"] == "a.xlsx" and project["anchor"] == "A1"
    indicator = dict(zip((c.key for c in INDICATOR_COLUMNS), indicators[0]))
    assert indicator["band"] == "部分达成指标" and indicator["target_value"] == 95.0
    assert (indicator["reference_low"], indicator["reference_high"]) == (12.0, 16.0)
    assert indicator["met"] == "否" and indicator["row"] == 13
    finding = findings[0]._asdict()
    assert finding["severity"] == "error" and finding["expected"] == "≤ 100" and finding["found"] == "120"
    assert finding["unit"] == "某单位"
    assert unreadable is None
    assert summary.errors == 1 and summary.status == "ok" and summary.mtime == 5.0
    assert summary.forms[0].identity == (2024, "某单位", "=1+1")
    assert (summary.forms[0].grade, summary.forms[0].rate) == ("差", 120.0)
    assert sorted(summary.finding_counts) == [("F01", "error", "某单位", 1), ("I08", "info", "某单位", 1)]
    # only builtins cross the process boundary
    for row in projects + indicators + findings:
        assert all(v is None or type(v) in (str, int, float) for v in row)

"""jixiao merge: a folder of returned workbooks -> summary sheets with the right rows."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import jixiao
from jixiao.manifest import ManifestRow, write_manifest
from merge_fixtures import good_record, with_executed, write_form

EVIL_PROJECT = '=HYPERLINK("http://evil.example","点我")'
EVIL_UNIT = "+cmd|' /C calc'!A0"
EVIL_INDICATOR = "@SUM(1+1)"


def _build_returns(folder: Path) -> dict[str, Path]:
    files = {
        "good": write_form(folder / "甲单位" / "培训项目.xlsx", good_record("甲单位", "培训项目")),
        "dup_old": write_form(folder / "丙单位" / "维修项目-第一版.xlsx", good_record("丙单位", "维修项目")),
        "dup_new": write_form(folder / "丙单位" / "维修项目-修改.xlsx",
                              with_executed(good_record("丙单位", "维修项目"), 80.0)),
    }
    evil = good_record(EVIL_UNIT, EVIL_PROJECT)
    evil["indicators"][0]["name"] = EVIL_INDICATOR
    evil["indicators"][1]["deviation"] = "-2+3"
    files["evil"] = write_form(folder / "乙单位 (报送).xlsx", evil)
    import xlsxwriter

    other = folder / "通知.xlsx"
    wb = xlsxwriter.Workbook(str(other))
    wb.add_worksheet("通知").write_string(0, 0, "请各单位于月底前报送自评表")
    wb.close()
    files["other"] = other
    corrupt = folder / "损坏.xlsx"
    corrupt.write_bytes(files["good"].read_bytes()[:700])  # truncated zip
    files["corrupt"] = corrupt
    now = time.time()
    os.utime(files["dup_old"], (now - 3600, now - 3600))
    os.utime(files["dup_new"], (now, now))
    return files


def _manifest(path: Path) -> Path:
    rows = [
        ManifestRow("JX-0001", "2024", "上海市某某局", "甲单位", "培训项目", "甲单位.xlsx", "自评表", "", ""),
        ManifestRow("JX-0002", "2024", "上海市某某局", "丙单位", "维修项目", "丙单位.xlsx", "自评表", "", ""),
        ManifestRow("JX-0003", "2024", "上海市某某局", "丁单位", "绿化养护", "丁单位.xlsx", "自评表", "", ""),
    ]
    write_manifest(path, rows)
    return path


@pytest.fixture(scope="module")
def returns(tmp_path_factory):
    folder = tmp_path_factory.mktemp("returns")
    files = _build_returns(folder / "in")
    manifest = _manifest(folder / "manifest.csv")
    digests = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files.values()}
    out = folder / "汇总.xlsx"
    result = jixiao.merge_files([folder / "in"], output=out, manifest=manifest, jobs=2, quiet=True)
    sheets = pd.read_excel(out, sheet_name=None, engine="calamine")
    return {"folder": folder, "files": files, "manifest": manifest, "out": out,
            "result": result, "sheets": sheets, "digests": digests}


def _row(df: pd.DataFrame, column: str, value) -> pd.Series:
    rows = df[df[column] == value]
    assert len(rows) == 1, f"{column}={value!r}: {len(rows)} rows"
    return rows.iloc[0]


def test_summary_has_every_sheet(returns):
    assert list(returns["sheets"]) == ["项目汇总", "指标明细", "问题清单", "统计", "未读取文件", "报送情况"]


def test_projects_one_row_per_form_with_recomputed_figures(returns):
    projects = returns["sheets"]["项目汇总"]
    assert len(projects) == 4
    good = _row(projects, "实施单位", "甲单位")
    assert good["年度"] == 2024
    assert good["全年预算数"] == 100.0 and good["全年执行数"] == 95.0
    assert good["执行率%（复核）"] == 95.0 and good["资金得分（复核）"] == 9.5
    assert good["总分（复核）"] == 99.5 and good["等级（复核）"] == "优"
    assert good["错误数"] == 0 and good["指标数"] == 5
    assert good["文件"].endswith("培训项目.xlsx")
    # rows sorted by path
    assert list(projects["文件"]) == sorted(projects["文件"])


def test_duplicate_with_other_figures_is_kept_twice_and_the_newer_marked(returns):
    projects = returns["sheets"]["项目汇总"]
    dups = projects[projects["项目名称"] == "维修项目"]
    assert len(dups) == 2
    by_file = {Path(f).name: mark for f, mark in zip(dups["文件"], dups["重复提交"])}
    assert by_file == {"维修项目-修改.xlsx": "最新", "维修项目-第一版.xlsx": "较早"}
    assert set(dups["全年执行数"]) == {95.0, 80.0}
    findings = returns["sheets"]["问题清单"]
    m01 = findings[findings["代码"] == "M01"]
    assert sorted(Path(f).name for f in m01["文件"]) == ["维修项目-修改.xlsx", "维修项目-第一版.xlsx"]
    assert all(m01["级别"] == "警告")
    assert all(dups["警告数"] == 1)


def test_identical_resubmission_is_not_m01(tmp_path):
    write_form(tmp_path / "a.xlsx", good_record("甲单位", "培训项目"))
    shutil.copy(tmp_path / "a.xlsx", tmp_path / "b.xlsx")
    result = jixiao.merge_files([tmp_path], jobs=1, quiet=True)
    assert "M01" not in set(result.findings["代码"])
    assert sorted(result.projects["重复提交"]) == ["最新（内容相同）", "较早（内容相同）"]


def test_unreadable_and_non_form_files_are_listed_with_their_reason(returns):
    unreadable = returns["sheets"]["未读取文件"]
    by_name = {Path(f).name: (code, reason) for f, code, reason in unreadable.itertuples(index=False)}
    assert set(by_name) == {"损坏.xlsx", "通知.xlsx"}
    assert by_name["损坏.xlsx"][0] == "R01" and "损坏" in by_name["损坏.xlsx"][1]
    assert by_name["通知.xlsx"][0] == "R02"
    assert returns["result"].unreadable_files == 2


def test_indicators_sheet_has_parsed_targets_and_reference_scores(returns):
    indicators = returns["sheets"]["指标明细"]
    assert len(indicators) == 4 * 5
    row = indicators[(indicators["实施单位"] == "甲单位") & (indicators["三级指标"] == "培训人次完成率")].iloc[0]
    assert row["年度指标值"] == "≥95(%)" and row["实际完成值"] == "96%"
    assert row["指标值运算符"] == "≥" and row["指标数值"] == 95 and row["指标单位"] == "%"
    assert row["实际数值"] == 96 and row["分值"] == 20 and row["得分"] == 20
    assert row["参考得分（下限）"] == 20 and row["是否达成"] == "是"
    assert row["行号"] == 13  # docs/FORM.md §5: the first indicator row


def test_manifest_marks_every_distributed_form(returns):
    subs = returns["sheets"]["报送情况"]
    status = dict(zip(subs["实施单位"].fillna(""), subs["状态"]))
    assert status["甲单位"] == "已提交" and status["丙单位"] == "已提交"
    assert status["丁单位"] == "未提交"
    assert status[EVIL_UNIT] == "多余"
    findings = returns["sheets"]["问题清单"]
    m02 = _row(findings, "代码", "M02")
    assert m02["实施单位"] == "丁单位" and "绿化养护" in m02["问题说明"]
    m03 = _row(findings, "代码", "M03")
    assert m03["项目名称"] == EVIL_PROJECT
    # per-unit counts beside the list
    wb = openpyxl.load_workbook(returns["out"], read_only=False)
    table = wb["报送情况"].tables["各单位报送情况表"]
    cells = wb["报送情况"][table.ref]
    counts = {r[0].value: tuple(c.value for c in r[1:]) for r in cells[1:]}
    assert counts["丁单位"] == (1, 0, 1, 0)
    assert counts["丙单位"] == (1, 1, 0, 0)
    assert counts[EVIL_UNIT] == (0, 0, 0, 1)


def test_formula_like_text_stays_text_in_xlsx(returns):
    wb = openpyxl.load_workbook(returns["out"])
    ws = wb["项目汇总"]
    header = [c.value for c in ws[1]]
    cells = [row[header.index("项目名称")] for row in ws.iter_rows(min_row=2)]
    evil = [c for c in cells if c.value == EVIL_PROJECT]
    assert len(evil) == 1 and evil[0].data_type == "s"
    unit_cells = [row[header.index("实施单位")] for row in ws.iter_rows(min_row=2)]
    assert [c.data_type for c in unit_cells if c.value == EVIL_UNIT] == ["s"]
    ws = wb["指标明细"]
    texts = {c.value: c.data_type for row in ws.iter_rows(min_row=2) for c in row
             if c.value in (EVIL_INDICATOR, "-2+3")}
    assert texts == {EVIL_INDICATOR: "s", "-2+3": "s"}
    assert not any(c.data_type == "f" for s in wb for row in s.iter_rows() for c in row)


def test_formula_like_text_gets_a_quote_in_csv(returns, tmp_path):
    outputs = jixiao.merge_files([returns["folder"] / "in"], output=tmp_path / "汇总.csv", fmt="csv",
                           jobs=1, quiet=True).outputs
    assert sorted(p.name for p in outputs) == ["汇总_findings.csv", "汇总_indicators.csv",
                                               "汇总_projects.csv", "汇总_unreadable.csv"]
    with open(tmp_path / "汇总_projects.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["项目名称"] for r in rows if r["实施单位"].startswith("'")} == {"'" + EVIL_PROJECT}
    assert any(r["实施单位"] == "'" + EVIL_UNIT for r in rows)
    assert "甲单位" in {r["实施单位"] for r in rows}  # ordinary text untouched


def test_parquet_tables_match_the_library_frames(returns, tmp_path):
    result = jixiao.merge_files([returns["folder"] / "in"], output=tmp_path, fmt="parquet", jobs=2, quiet=True)
    projects = pd.read_parquet(tmp_path / "projects.parquet")
    pd.testing.assert_frame_equal(projects, result.projects, check_dtype=False)
    findings = pd.read_parquet(tmp_path / "findings.parquet")
    assert list(findings["代码"]) == list(result.findings["代码"])
    assert projects["全年执行数"].dtype == "float64"


def test_library_frames_without_output(returns):
    result = jixiao.merge_files([returns["folder"] / "in"], quiet=True)
    assert result.outputs == []
    assert sorted(result.projects["实施单位"]) == sorted(["甲单位", "丙单位", "丙单位", EVIL_UNIT])
    assert set(result.unreadable["代码"]) == {"R01", "R02"}
    assert result.submissions is None


def test_same_inputs_in_any_order_give_identical_bytes(returns, tmp_path):
    files = [str(p) for p in returns["files"].values()]
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    jixiao.merge_files(files, output=a, jobs=2, quiet=True)
    jixiao.merge_files(list(reversed(files)), output=b, jobs=1, quiet=True)
    assert a.read_bytes() == b.read_bytes()


def test_statistics_sheet_counts_and_charts(returns):
    wb = openpyxl.load_workbook(returns["out"])
    ws = wb["统计"]
    values = [tuple(c.value for c in row[:6]) for row in ws.iter_rows()]
    grades = values[values.index(("等级", "项目数", "占比", None, None, None)) + 1:][:5]
    assert grades[0] == ("优", 4, 1, None, None, None)
    codes = {v[0]: v[3] for v in values if v[0] in ("R01", "R02", "M01", "M02", "M03")}
    assert codes == {"R01": 1, "R02": 1, "M01": 2, "M02": 1, "M03": 1}
    assert len(ws._charts) == 4


def test_sheets_are_tables_with_frozen_header_and_number_formats(returns):
    wb = openpyxl.load_workbook(returns["out"])
    ws = wb["项目汇总"]
    assert ws.freeze_panes == "A2"
    (name, ref), = ws.tables.items()
    assert ref == "A1:AD5"
    header = [c.value for c in ws[1]]
    assert ws.cell(2, header.index("全年预算数") + 1).number_format == "#,##0.00"
    assert ws.cell(2, header.index("总分（复核）") + 1).number_format == "0.00"
    assert wb["指标明细"].tables[next(iter(wb["指标明细"].tables))].ref == "A1:W21"


def test_inputs_are_not_modified_and_no_temporary_file_is_left(returns):
    for path, digest in returns["digests"].items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    leftovers = [p.name for p in returns["folder"].iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_summary_in_the_input_folder_is_not_read_as_an_input(tmp_path):
    write_form(tmp_path / "a.xlsx", good_record("甲单位", "培训项目"))
    jixiao.merge_files([tmp_path], output=tmp_path / "汇总.xlsx", jobs=1, quiet=True)
    again = jixiao.merge_files([tmp_path], output=tmp_path / "汇总.xlsx", jobs=1, quiet=True)
    assert again.files == 1 and again.unreadable_files == 0


def test_progress_callback_sees_every_file(returns):
    seen = []
    jixiao.merge_files([returns["folder"] / "in"], jobs=2, progress=lambda *a: seen.append(a))
    assert seen[-1][:3] == (6, 6, 4)
    assert [s[0] for s in seen] == list(range(1, 7))


def test_cli_merge_writes_the_workbook(returns, tmp_path):
    from jixiao.cli import cli

    out = tmp_path / "汇总.xlsx"
    res = CliRunner().invoke(cli, ["merge", str(returns["folder"] / "in"), "-o", str(out),
                                   "--manifest", str(returns["manifest"]), "--jobs", "2"])
    assert res.exit_code == 1, res.output  # two files could not be read
    assert "4 张自评表" in res.output and "未读取 2 个文件" in res.output
    assert pd.read_excel(out, sheet_name="报送情况", engine="calamine")["状态"].tolist().count("未提交") == 1


def test_cli_merge_bad_format_is_one_line(returns):
    from jixiao.cli import cli

    res = CliRunner().invoke(cli, ["merge", str(returns["folder"]), "--format", "pdf"])
    assert res.exit_code == 2 and "Traceback" not in res.output


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_interrupted_write_leaves_no_output_and_no_temporary_file(returns, tmp_path, monkeypatch, fmt):
    import jixiao.merge.tables as tables
    import jixiao.merge.workbook as workbook

    def fail(self, table, row):
        raise KeyboardInterrupt

    monkeypatch.setattr(workbook.SummaryWorkbook, "add", fail)
    monkeypatch.setattr(tables.CsvTables, "add", fail)
    out = tmp_path / ("汇总.xlsx" if fmt == "xlsx" else "汇总.csv")
    with pytest.raises(KeyboardInterrupt):
        jixiao.merge_files([returns["folder"] / "in"], output=out, fmt=fmt, jobs=1, quiet=True)
    assert list(tmp_path.iterdir()) == []

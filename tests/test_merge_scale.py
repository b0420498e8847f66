"""Issue 15: the summary of a province's run opens whole in Excel and LibreOffice.

The sheet-row limit is a parameter of ``merge`` (``sheet_rows``): lowered here, it sends
the same rows through the same code path that cuts a 1.25-million-row 指标明细 at
Excel's 1,048,576.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import jixiao
from jixiao.errors import UsageError
from jixiao.merge.workbook import MAX_CELL_CHARS, excel_bounded
from merge_fixtures import good_record, with_executed, write_form

#: rows of a sheet, header included: 5 indicators a form -> 指标明细 over several sheets
SHEET_ROWS = 8
FORMS = 7


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    folder = tmp_path_factory.mktemp("returns")
    for k in range(FORMS):
        record = good_record(f"单位{k}", f"项目{k}")
        if k % 2:  # scores above their weights and a wrong total: findings for two sheets
            for indicator in record["indicators"]:
                indicator["score"] = indicator["weight"] + 5
        write_form(folder / f"单位{k}" / f"项目{k}.xlsx", record)
    # one project returned twice with other figures: M01 findings decided across files
    write_form(folder / "单位0" / "项目0-修改.xlsx", with_executed(good_record("单位0", "项目0"), 80.0))
    out = tmp_path_factory.mktemp("out") / "汇总.xlsx"
    result = jixiao.merge_files([folder], output=out, jobs=1, quiet=True, sheet_rows=SHEET_ROWS)
    return {"folder": folder, "out": out, "result": result}


def _sheets(wb, title: str) -> list:
    """The sheets of one table in order: title, title(2), title(3) …"""
    found = [wb[title]]
    while f"{title}({len(found) + 1})" in wb.sheetnames:
        found.append(wb[f"{title}({len(found) + 1})"])
    return found


def _rows(sheets: list) -> tuple[list, list[tuple]]:
    headers, rows = [], []
    for ws in sheets:
        values = list(ws.iter_rows(values_only=True))
        headers.append(values[0])
        rows.extend(values[1:])
    return headers, rows


def test_a_table_longer_than_a_sheet_continues_with_its_header_repeated(split):
    wb = openpyxl.load_workbook(split["out"])
    frame = split["result"].indicators
    sheets = _sheets(wb, "指标明细")
    assert len(frame) == (FORMS + 1) * 5
    assert len(sheets) == -(-len(frame) // (SHEET_ROWS - 1)) > 2
    headers, rows = _rows(sheets)
    assert all(h == tuple(frame.columns) for h in headers)
    assert all(ws.max_row <= SHEET_ROWS for ws in sheets)
    # every row once, in the summary's order
    names = [r[list(frame.columns).index("三级指标")] for r in rows]
    files = [r[list(frame.columns).index("文件")] for r in rows]
    assert names == list(frame["三级指标"]) and files == list(frame["文件"])
    # each part is an Excel table of its own over exactly its rows
    for ws in sheets:
        (table,) = ws.tables.values()
        assert table.ref.endswith(str(ws.max_row))


def test_every_streamed_table_is_split_the_same_way(split):
    wb = openpyxl.load_workbook(split["out"])
    result = split["result"]
    for title, frame in (("项目汇总", result.projects), ("问题清单", result.findings)):
        sheets = _sheets(wb, title)
        assert len(sheets) == max(1, -(-len(frame) // (SHEET_ROWS - 1)))
        headers, rows = _rows(sheets)
        assert len(rows) == len(frame) and set(headers) == {tuple(frame.columns)}
    assert len(_sheets(wb, "问题清单")) > 1  # the M01 findings crossed a sheet's end too


def test_the_first_sheet_says_where_it_continues_and_statistics_cover_every_form(split):
    wb = openpyxl.load_workbook(split["out"])
    first = wb["指标明细"]
    assert "指标明细(2)" in first["A1"].comment.text
    assert first["A1"].value == split["result"].indicators.columns[0]  # the header keeps its label
    assert "指标明细" in wb["指标明细(2)"]["A1"].comment.text
    stats = {r[0]: r[1] for r in wb["统计"].iter_rows(values_only=True) if r and r[0]}
    assert stats["汇总的自评表数"] == FORMS + 1 == split["result"].forms
    assert "指标明细(2)" in stats["指标明细"]


def test_an_unsplit_summary_keeps_its_sheet_names(split, tmp_path):
    out = tmp_path / "汇总.xlsx"
    jixiao.merge_files([split["folder"]], output=out, jobs=1, quiet=True)
    names = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert not [n for n in names if "(" in n]
    assert "指标明细" in names


def test_a_sheet_limit_below_two_rows_is_refused_in_one_line(split, tmp_path):
    with pytest.raises(UsageError, match="行数"):
        jixiao.merge_files([split["folder"]], output=tmp_path / "x.xlsx", jobs=1, quiet=True, sheet_rows=1)


def test_cells_are_cut_as_excel_counts_characters():
    astral = "\U0001F600" * 20_000  # 40,000 UTF-16 units: over Excel's limit in 20,000 characters
    cut = excel_bounded(astral)
    assert len(cut.encode("utf-16-le")) // 2 <= MAX_CELL_CHARS
    assert cut.endswith("字）") and "已截断" in cut and cut.startswith("\U0001F600")
    assert excel_bounded("甲" * MAX_CELL_CHARS) == "甲" * MAX_CELL_CHARS


def test_libreoffice_opens_the_split_summary_with_every_row(split, tmp_path):
    from jixiao.template.soffice import convert, soffice_path

    if soffice_path() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    (converted,) = convert([split["out"]], tmp_path / "lo")
    ours = openpyxl.load_workbook(split["out"])
    theirs = openpyxl.load_workbook(converted)
    assert [n for n in ours.sheetnames] == [n for n in theirs.sheetnames]
    for title in ("项目汇总", "指标明细", "问题清单"):
        expected = _rows(_sheets(ours, title))
        headers, rows = _rows(_sheets(theirs, title))
        assert headers == expected[0]
        frame = pd.DataFrame(rows, columns=headers[0])
        assert len(frame) == len(expected[1])
        assert list(frame[headers[0][0]]) == [r[0] for r in expected[1]]
        assert list(frame["文件"]) == [r[list(headers[0]).index("文件")] for r in expected[1]]


def test_partitioned_parquet_stays_inside_the_output_folder_and_reads_back_whole(tmp_path):
    folder = tmp_path / "in"
    departments = ["../x", "a/b", "某局", "..", None]
    for k, department in enumerate(departments):
        record = good_record(f"单位{k}", f"项目{k}", department=department or "")
        write_form(folder / f"表{k}.xlsx", record)
    (folder / "坏.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    out = tmp_path / "out"
    out.mkdir()
    result = jixiao.merge_files([folder], output=out / "汇总.parquet", jobs=1, quiet=True,
                                partition=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]
    root = out.resolve()
    written = list(out.rglob("*"))
    assert all(p.resolve().is_relative_to(root) for p in written)
    assert {p.name for p in out.iterdir()} == {f"汇总_{t}.parquet" for t in
                                              ("projects", "indicators", "findings", "unreadable")}
    indicators = pd.read_parquet(out / "汇总_indicators.parquet")
    assert len(indicators) == len(result.indicators) == len(departments) * 5
    projects = pd.read_parquet(out / "汇总_projects.parquet")
    assert len(projects) == len(departments)
    named = {d for d in departments if d}
    assert named <= set(projects["主管部门"].astype(str))
    assert named <= set(indicators["主管部门"].astype(str))
    # a folder per value, each one level below the table's folder: "a/b" is no subfolder
    dataset = out / "汇总_projects.parquet"
    folders = {p.relative_to(dataset).parts[1] for p in dataset.rglob("*")
               if p.is_dir() and p.parent.name.startswith("年度=")}
    assert all(f.startswith("主管部门=") for f in folders) and len(folders) == len(departments)
    assert len(pd.read_parquet(out / "汇总_unreadable.parquet")) == 1
    assert len(pd.read_parquet(out / "汇总_findings.parquet")) == len(result.findings)
    result.close()


def test_partition_is_for_parquet_only(split, tmp_path):
    with pytest.raises(UsageError, match="Parquet"):
        jixiao.merge_files([split["folder"]], output=tmp_path / "x.xlsx", jobs=1, quiet=True, partition=True)


def test_cli_partition_writes_datasets(split, tmp_path):
    from click.testing import CliRunner

    from jixiao.cli import cli

    res = CliRunner().invoke(cli, ["merge", str(split["folder"]), "-o", str(tmp_path / "汇总.parquet"),
                                   "--partition", "-q", "-j", "1"])
    assert res.exit_code in (0, 1) and "Traceback" not in res.output
    assert (tmp_path / "汇总_indicators.parquet").is_dir()
    assert len(pd.read_parquet(tmp_path / "汇总_indicators.parquet")) == len(split["result"].indicators)
    res = CliRunner().invoke(cli, ["merge", str(split["folder"]), "-o", str(tmp_path / "汇总.xlsx"), "--partition"])
    assert res.exit_code == 2 and "Parquet" in res.output and "Traceback" not in res.output


def test_progress_bar_shows_the_rate_and_a_writing_phase(split, tmp_path, capsys):
    jixiao.merge_files([split["folder"]], output=tmp_path / "汇总.xlsx", jobs=1, progress=True)
    err = capsys.readouterr().err
    assert "读取" in err and "个/秒" in err and "剩余" in err
    assert "写入" in err and "汇总.xlsx" in err

"""The summary workbook holds exactly what the library's tables hold, cell for cell, for
text Excel treats specially and for numbers; findings carry their severity's label."""

from __future__ import annotations

import math

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

import jixiao
from jixiao.io.textout import field
from merge_fixtures import good_record, write_form

# Each must come back as the library's table holds it (the reader trims the ends and line
# breaks of a form's text): characters XML escapes, a formula-looking text, a control
# character (_xHHHH_ in the XML), text Excel would read as such an escape itself, and one
# over Excel's cell limit, cut to it.
TEXTS = ["A&B <c> \"d\" 'e'", "=SUM(A1:A3)", "  两端空格  ", "第一行\n第二行", "制表\t符",
         "控制\x01符", "_x0041_ 不是 A", "长" * 40_000]


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cells")
    for i, text in enumerate(TEXTS):
        record = good_record(f"单位{i}", f"项目{i}")
        record["indicators"][0]["deviation"] = text
        record["indicators"][1]["score"] = 0.0  # a zero is a number, not an empty cell
        record["total_score"] -= 20.0
        write_form(folder / "in" / f"{i}.xlsx", record)
    (folder / "in" / "坏.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    out = folder / "汇总.xlsx"
    result = jixiao.merge_files([folder / "in"], output=out, jobs=2, quiet=True)
    return result, CalamineWorkbook.from_path(str(out)), openpyxl.load_workbook(out)


def _same(frame_value, cell_value) -> bool:
    if frame_value is None or frame_value is pd.NA or (isinstance(frame_value, float) and math.isnan(frame_value)):
        return cell_value == ""  # no cell
    if isinstance(frame_value, str):
        return cell_value == field(frame_value)  # as every output bounds a text
    return float(cell_value) == float(frame_value)


@pytest.mark.parametrize("sheet,table", [("项目汇总", "projects"), ("指标明细", "indicators"),
                                         ("问题清单", "findings"), ("未读取文件", "unreadable")])
def test_every_sheet_equals_the_library_table(merged, sheet, table):
    result, book, _ = merged
    frame = getattr(result, table)
    header, *cells = book.get_sheet_by_name(sheet).to_python()
    assert header == list(frame.columns)
    assert len(cells) == len(frame) > 0
    for row, values in zip(cells, frame.itertuples(index=False)):
        assert all(_same(v, c) for v, c in zip(values, row)), (row, values)


def test_texts_come_back_as_read_and_stay_text(merged):
    result, book, wb = merged
    deviations = set(result.indicators["偏差原因分析及改进措施"].dropna())
    assert {"控制\x01符", "_x0041_ 不是 A", "=SUM(A1:A3)", "A&B <c> \"d\" 'e'"} <= deviations
    assert any(d.startswith("长" * 30000) for d in deviations)
    ws = wb["指标明细"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type in ("s", "n"), cell  # never a formula


def test_zero_scores_are_numbers_and_severities_are_labels(merged):
    result, book, _ = merged
    header, *cells = book.get_sheet_by_name("指标明细").to_python()
    scores = [row[header.index("得分")] for row in cells]
    assert scores.count(0.0) == len(TEXTS) and "" not in scores
    assert set(result.findings["级别"]) <= {"错误", "警告", "提示"}
    assert "错误" in set(result.findings["级别"])  # the unreadable file's R01
    assert result.unreadable["代码"].tolist() == ["R01"]

"""Any supported file -> grids of values + merged ranges; every failure a ReadError."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import xlsxwriter

from hostile_corpus import FORM_ROWS, form_ods, form_text, form_xls, form_xlsx, sheet_xml, write_xlsx
from jixiao.errors import ReadError
from jixiao.io.readers import read_grids, split_table
from jixiao.io.safety import Limits

DATA = Path(__file__).parent / "data"
EXPORTS = {
    "blank": DATA / "real-exports" / "central-system-export-blank.xls",
    "four": DATA / "real-exports" / "central-system-export-4-fund-rows.xls",
}
SEEDS = DATA / "seeds"
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def by_name(grids, name):
    return next(g for g in grids if g.name == name)


# --- the real central-system exports -----------------------------------------------------

@pytest.mark.parametrize("which", ["blank", "four"])
def test_real_export_has_the_form_sheet_among_others(which):
    grids = read_grids(EXPORTS[which])
    names = [g.name for g in grids]
    assert len(names) == 11
    assert names[0] == "项目基本信息"
    form = by_name(grids, "项目支出绩效自评表")
    assert form.value(0, 0) == "项目支出绩效自评表"
    assert form.value(3, 0) == "项目名称"
    assert form.value(3, 2) == "2019年210青少年校园足球扶持资金"
    assert [form.value(5, c) for c in range(4, 11)] == ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率",
                                                         None, "得分"]
    # the 11-column layout: title A1:K1, label 项目名称 A4:B4, 执行率 merged I:J
    assert (0, 0, 0, 10) in form.merged
    assert (3, 0, 3, 1) in form.merged
    assert (5, 8, 5, 9) in form.merged
    assert form.width == 11
    assert form.ref(5, 8) == "I6"


def test_real_export_with_fund_rows_keeps_placeholders_and_the_total():
    form = by_name(read_grids(EXPORTS["four"]), "项目支出绩效自评表")
    assert form.height == 18
    assert form.value(6, 0) == "0"  # the system's placeholders are text
    assert form.value(17, 0) == "总分"
    assert (form.value(17, 7), form.value(17, 8)) == (100.0, 100.0)
    blank = by_name(read_grids(EXPORTS["blank"]), "项目支出绩效自评表")
    assert blank.height == 10
    assert blank.value(9, 0) == "总分"


# --- the published seeds (tab-separated text) --------------------------------------------

@pytest.mark.parametrize(("seed", "forms"), [("004_a203d4b834672a09", 6), ("002_d7a519b45b2b0728", 30)])
def test_seed_text_reads_to_one_grid_named_after_the_file(seed, forms):
    grids = read_grids(SEEDS / f"{seed}.txt")
    assert len(grids) == 1
    grid = grids[0]
    assert grid.name == seed
    assert grid.width == 9
    assert sum(1 for row in grid.rows if row[0] == "项目名称") == forms


def test_seed_values_stay_as_typed():
    grid = read_grids(SEEDS / "004_a203d4b834672a09.txt")[0]
    total = next(r for r, row in enumerate(grid.rows) if row[1] == "年度资金总额")
    assert grid.rows[total][2:8] == ["409.90", "495.40", "492.92", "10", "99.49", "9.95"]
    assert grid.value(total + 2, 2) is None  # an empty cell, not ""


def test_seed_stray_quote_stays_literal_and_keeps_its_row():
    # PDF extraction left '"参赛队员满意度' with no closing quote: it must not swallow the file
    grid = read_grids(SEEDS / "002_d7a519b45b2b0728.txt")[0]
    row = next(row for row in grid.rows if row[2] == '"参赛队员满意度')
    assert row[:8] == ["满意度指标", "服务对象满意度指标", '"参赛队员满意度', ">=85%", "0", "10", "0", "本项目已取消"]


# --- workbooks we make -------------------------------------------------------------------

def test_xlsxwriter_form_values_merges_and_origin(tmp_path):
    path = tmp_path / "form.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("自评表")
    ws.merge_range("B2:J2", "财政项目支出绩效自评表")
    ws.write("B4", "项目名称")
    ws.write_number("D6", 495.4)
    ws.write_datetime("E6", dt.datetime(2024, 12, 31), wb.add_format({"num_format": "yyyy-mm-dd"}))
    ws.write_boolean("F6", True)
    ws.write_formula("G6", "=D6*2", None, 990.8)
    ws.write("H20", "")  # blank: not a used cell
    wb.close()
    grid = read_grids(path)[0]
    assert grid.origin == (1, 1)  # leading empty row and column dropped, refs still real
    assert grid.value(0, 0) == "财政项目支出绩效自评表"
    assert grid.merged == [(0, 0, 0, 8)]
    assert grid.ref(0, 0) == "B2"
    assert grid.value(4, 2) == 495.4
    assert grid.ref(4, 2) == "D6"
    assert grid.value(4, 3) == dt.date(2024, 12, 31)  # calamine gives a date at midnight as a date
    assert grid.value(4, 4) is True
    assert grid.value(4, 5) == 990.8  # the cached value, as calamine gives it
    assert (grid.height, grid.width) == (5, 6)  # trimmed to the values B2:G6; the merge is kept whole
    assert grid.percent_cells is None  # formats unknown unless asked for


def test_percent_formats_of_xlsx_cells_when_asked(tmp_path):
    path = tmp_path / "pct.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("自评表")
    builtin = wb.add_format({"num_format": 10})  # 0.00%
    custom = wb.add_format({"num_format": '[Red]0.0%;"无"'})
    quoted = wb.add_format({"num_format": '0.00"%"'})  # a literal %, not a percent format
    money = wb.add_format({"num_format": "#,##0.00"})
    ws.write("B2", "执行率")
    ws.write_number("C3", 0.9949, builtin)
    ws.write_number("D3", 0.5, custom)
    ws.write_number("E3", 99.49, quoted)
    ws.write_number("F3", 495.4, money)
    ws.merge_range("I3:J3", 0.75, builtin)
    wb.close()
    grid = read_grids(path, percent_formats=True)[0]
    assert grid.origin == (1, 1)
    assert {grid.ref(r, c) for r, c in grid.percent_cells} == {"C3", "D3", "I3", "J3"}
    assert grid.is_percent(1, 1) is True and grid.is_percent(1, 3) is False


def test_percent_formats_of_xls_cells_when_asked(tmp_path):
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("自评表")
    ws.write(0, 0, "执行率")
    ws.write(1, 0, 0.9949, xlwt.easyxf(num_format_str="0.00%"))
    ws.write(1, 1, 0.5, xlwt.easyxf(num_format_str='[Red]0.0%;"无"'))
    ws.write(1, 2, 99.49, xlwt.easyxf(num_format_str='0.00"%"'))  # a literal %
    ws.write(1, 3, 495.4, xlwt.easyxf(num_format_str="#,##0.00"))
    ws.write(1, 4, "95%")  # text: its own percent sign
    book.save(str(tmp_path / "pct.xls"))
    grid = read_grids(tmp_path / "pct.xls", percent_formats=True)[0]
    assert {grid.ref(r, c) for r, c in grid.percent_cells} == {"A2", "B2"}
    # an .xls without any percent format: formats known, no percent cell
    assert read_grids(form_xls(tmp_path / "f.xls"), percent_formats=True)[0].percent_cells == set()


def test_the_same_form_in_every_format_reads_the_same(tmp_path):
    def texts(grid):  # .xls gives whole numbers as int, .xlsx and .ods as float
        return [[v if v is None or isinstance(v, str) else float(v) for v in row] for row in grid.rows]

    xlsx = read_grids(form_xlsx(tmp_path / "f.xlsx"))[0]
    xls = read_grids(form_xls(tmp_path / "f.xls"))[0]
    ods = read_grids(form_ods(tmp_path / "f.ods"))[0]
    assert xlsx.value(5, 3) == xls.value(5, 3) == ods.value(5, 3) == 495.4
    assert texts(xlsx) == texts(xls) == texts(ods)
    assert (xlsx.height, xlsx.width) == (len(FORM_ROWS), 9)
    assert (4, 0, 8, 0) in xlsx.merged  # 项目资金 A5:A9


def test_hidden_sheets_are_included_and_marked(tmp_path):
    path = write_xlsx(tmp_path / "h.xlsx", [("自评表", sheet_xml([["a"]])), ("_jixiao", sheet_xml([["v", 1]])),
                                           ("deep", sheet_xml([["b"]]))],
                      states=["visible", "hidden", "veryHidden"])
    grids = read_grids(path)
    assert [(g.name, g.visibility, g.hidden) for g in grids] == [
        ("自评表", "visible", False), ("_jixiao", "hidden", True), ("deep", "very_hidden", True)]
    assert grids[1].rows == [["v", 1.0]]


def test_workbook_with_a_misleading_extension_reads_by_content(tmp_path):
    path = tmp_path / "form.xls"
    shutil.copy(form_xlsx(tmp_path / "form.xlsx"), path)
    assert read_grids(path)[0].value(2, 1) == "市政府办公厅专项工作业务经费"


def test_empty_sheet_is_an_empty_grid(tmp_path):
    path = write_xlsx(tmp_path / "e.xlsx", [("Sheet1", f"<worksheet {NS}><sheetData/></worksheet>")])
    grid = read_grids(path)[0]
    assert (grid.rows, grid.height, grid.width) == ([], 0, 0)


# --- text tables -------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "encoding", "delimiter"), [
    ("f.txt", "utf-8", "\t"), ("f.tsv", "utf-8-sig", "\t"), ("f.csv", "gb18030", ","),
    ("f.csv", "utf-8-sig", ","), ("f.txt", "utf-16", "\t"), ("tabs.csv", "utf-8", "\t"),
])
def test_text_forms_in_every_encoding(tmp_path, name, encoding, delimiter):
    path = tmp_path / name
    path.write_bytes(form_text(delimiter=delimiter).encode(encoding))
    grid = read_grids(path)[0]
    assert grid.name == Path(name).stem
    assert grid.value(2, 1) == "市政府办公厅专项工作业务经费"
    assert grid.value(5, 3) == "495.40"
    assert grid.value(7, 2) is None
    assert (grid.height, grid.width) == (len(FORM_ROWS), 9)


def test_excel_quoting_in_text():
    rows = split_table('a,"1,234.5","say ""hi""","two\nlines"\nb,,x\n', ",")
    assert rows == [["a", "1,234.5", 'say "hi"', "two\nlines"], ["b", "", "x"]]
    tsv = split_table('"a\tb"\t"ok"\n"open\tx\n', "\t")
    # a quoted tab-separated field may not contain a tab: '"a' stays literal
    assert tsv == [['"a', 'b"', "ok"], ['"open', "x"]]


def test_text_trailing_empty_rows_and_columns_trimmed(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,,\n,c,,\n,,,\n\n", encoding="utf-8")
    assert read_grids(path)[0].rows == [["a", "b"], [None, "c"]]


def test_text_limits(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("1,2,3\n" * 10, encoding="utf-8")
    with pytest.raises(ReadError) as info:
        read_grids(path, Limits(max_rows=9))
    assert info.value.kind == "too_many_cells"
    with pytest.raises(ReadError):
        read_grids(path, Limits(max_cols=2))
    assert read_grids(path, Limits(max_rows=10, max_cols=3))[0].height == 10


# --- failures ----------------------------------------------------------------------------

def test_a_raw_reader_exception_becomes_a_read_error(tmp_path):
    # a shared-string index past the table passes the gate; calamine raises its own error
    path = write_xlsx(tmp_path / "f.xlsx", [("S", f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="s">'
                                                  "<v>7</v></c></row></sheetData></worksheet>")])
    with pytest.raises(ReadError) as info:
        read_grids(path)
    assert info.value.kind == "corrupt"
    assert "文件已损坏" in info.value.reason
    assert "calamine" not in str(info.value)


def test_xls_area_over_the_limit_is_refused_after_calamine_measures_it(tmp_path):
    path = form_xls(tmp_path / "f.xls")
    with pytest.raises(ReadError) as info:
        read_grids(path, Limits(max_rows=19))
    assert info.value.kind == "too_many_cells"
    assert "自评表" in info.value.reason


def test_calamine_itself_does_not_resolve_an_external_entity(tmp_path):
    # The gate refuses DOCTYPE first; behind it, calamine must not read /etc/passwd either.
    from python_calamine import CalamineWorkbook

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    sheet = (f'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>'
             f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is></c></row>'
             "</sheetData></worksheet>")
    path = write_xlsx(tmp_path / "xxe.xlsx", [("S", sheet)])
    try:
        values = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    except Exception:
        values = []
    assert "TOP-SECRET-VALUE" not in repr(values)
    with pytest.raises(ReadError) as info:
        read_grids(path)
    assert info.value.kind == "unsafe_xml"

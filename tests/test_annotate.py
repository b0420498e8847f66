"""The annotated copy: fills, comments and the 问题清单 land on exactly the flagged cells,
the input is never touched, and LibreOffice opens what we write."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
import xlwt

from jixiao.annotate import (LIST_HEADER_ROW, LIST_HEADERS, LIST_SHEET, SEVERITY_FILLS, annotate,
                             annotate_file)
from jixiao.checking import CheckReport, FileResult, FormResult
from jixiao.errors import UsageError
from jixiao.model import Finding, FormRecord
from jixiao.profiles import load_profile
from jixiao.scoring import recompute

SHEET = "自评表"
PROJECT = "市政府办公厅专项工作业务经费"
UNIT_NOTE = "单位说明：外埠出差增多"

# The Shanghai 9-column form (docs/FORM.md §5), seed 004's first form with 全年执行数 raised
# above 全年预算数 so that F01 is real: rows are 1-based, columns A–I.
FORM_ROWS: dict[int, list] = {
    1: ["财政项目支出绩效自评表"],
    2: ["（2024年度）"],
    3: ["项目名称", PROJECT],
    4: ["主管部门", "上海市人民政府办公厅", None, None, None, "实施单位", "上海市人民政府办公厅"],
    5: ["项目资金（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
    6: [None, "年度资金总额", 409.9, 495.4, 600.0, 10, 121.12, 10],
    7: [None, "其中：当年财政拨款", 409.9, 495.4, 600.0, "—", 121.12, "—"],
    8: [None, "上年结转资金", None, None, None, "—", None, "—"],
    9: [None, "其他资金", None, None, None, "—", None, "—"],
    10: ["年度总体目标", "预期目标", None, None, None, "实际完成情况"],
    11: [None, "提供经费保障和各项业务保障。", None, None, None, "较好地完成了各项工作。"],
    12: ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
         "偏差原因分析及改进措施"],
    13: [None, "产出指标", "数量指标", "保障公务外出次数", "≥200(次)", "235次", 50, 50],
    14: [None, "效益指标", "生态效益指标", "行政运行成本增长率", "=0%", "=0%", 30, 20],
    15: [None, "满意度指标", "服务对象满意度指标", "保障公务外出准点率", "≥90%", "100%", 10, 10],
    16: ["总分", None, None, None, None, None, 100, 90],
    17: ["评分等级", None, None, None, None, None, None, "优"],
}
FORM_MERGES = ["A1:I1", "A2:I2", "B3:I3", "B4:E4", "G4:I4", "A5:A9", "H5:I5", "H6:I6", "H7:I7",
               "H8:I8", "H9:I9", "A10:A11", "B10:E10", "F10:I10", "B11:E11", "F11:I11", "A12:A15"]


def finding(code, severity, message, cell, sheet=SHEET, expected=None, found=None):
    return Finding(code=code, severity=severity, message=message, sheet=sheet, cell=cell,
                   expected=expected, found=found)


# One finding of each severity at known cells, two on one cell (the worse wins), one inside
# a merged range (C3 lies in B3:I3), one whose text would be a formula, one for the file.
FINDINGS = [
    finding("F01", "error", "全年执行数 600.00 超过全年预算数 495.40，执行率超过 100%", "E6",
            expected="≤ 495.40", found=600.0),
    finding("F03", "error", "资金得分应为 10.00，填报为 10", "H6", expected=10.0, found=10),
    finding("I08", "info", "得分与参考得分不同", "H6", expected=0.0, found=10),
    finding("I14", "warning", "实际完成值写成了指标值的形式“=0%”", "F14", expected="实际数值",
            found="=0%"),
    finding("I04", "warning", "=得分低于分值但未填写偏差原因", "I14"),
    finding("I09", "info", "实际完成值远超指标值，指标值可能设定偏低", "F13", expected=200, found=235),
    finding("R03", "error", "项目名称为空", "C3"),
]
FILE_FINDING = Finding(code="R07", severity="warning", message="未注明金额单位（万元或元）")


def _rgb(cell) -> str:
    return (cell.fill.fgColor.rgb or "")[-6:].upper() if cell.fill.fill_type == "solid" else ""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_xlsx_form(path: Path, sheet: str = SHEET) -> Path:
    """The form as the template writer makes it: merged cells, a protected sheet, unlocked
    inputs, and a comment the unit left on I14."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    ws = wb.add_worksheet(sheet)
    unlocked = wb.add_format({"locked": False, "bg_color": "#FFF2CC"})
    for row, values in FORM_ROWS.items():
        for col, value in enumerate(values):
            if value is not None:
                ws.write(row - 1, col, value, unlocked if row in (6, 7, 13, 14, 15) else None)
    for ref in FORM_MERGES:
        first = ref.split(":")[0]
        r, c = xlsxwriter.utility.xl_cell_to_rowcol(first)
        value = FORM_ROWS.get(r + 1, [])[c] if c < len(FORM_ROWS.get(r + 1, [])) else None
        ws.merge_range(ref, value if value is not None else "")
    ws.write_comment("I14", UNIT_NOTE, {"author": "张三"})
    ws.protect("secret")
    wb.close()
    return path


def write_xls_form(path: Path) -> Path:
    """The same form as a legacy .xls (what the central system and old Excel send back)."""
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(SHEET)
    merged_starts = {}
    for ref in FORM_MERGES:
        a, b = ref.split(":")
        r0, c0 = xlsxwriter.utility.xl_cell_to_rowcol(a)
        r1, c1 = xlsxwriter.utility.xl_cell_to_rowcol(b)
        merged_starts[(r0, c0)] = (r1, c1)
    for row, values in FORM_ROWS.items():
        for col, value in enumerate(values):
            r = row - 1
            if (r, col) in merged_starts:
                r1, c1 = merged_starts[(r, col)]
                ws.write_merge(r, r1, col, c1, value if value is not None else "")
            elif value is not None:
                ws.write(r, col, value)
    for (r, c), (r1, c1) in merged_starts.items():
        if c >= len(FORM_ROWS.get(r + 1, [])):
            ws.write_merge(r, r1, c, c1, "")
    wb.save(str(path))
    return path


def file_result(path: Path, findings=FINDINGS, file_findings=(FILE_FINDING,)) -> FileResult:
    record = FormRecord(project=PROJECT, sheet=SHEET, anchor="A1")
    form = FormResult(record, recompute(record, load_profile()), list(findings), "shanghai")
    return FileResult(path=str(path), forms=[form], file_findings=list(file_findings))


def list_rows(ws) -> list[tuple]:
    return [tuple(c.value for c in row)
            for row in ws.iter_rows(min_row=LIST_HEADER_ROW + 1, max_col=len(LIST_HEADERS))
            if row[0].value is not None]


@pytest.fixture(scope="module")
def annotated(tmp_path_factory):
    """An .xlsx and an .xls input, annotated once for the whole module."""
    base = tmp_path_factory.mktemp("annotate")
    (base / "in").mkdir()
    xlsx = write_xlsx_form(base / "in" / "单位甲.xlsx")
    xls = write_xls_form(base / "in" / "单位乙.xls")
    hashes = {p: sha256(p) for p in (xlsx, xls)}
    mtimes = {p: p.stat().st_mtime_ns for p in (xlsx, xls)}
    report = CheckReport([file_result(xlsx), file_result(xls)])
    written = annotate(report, base / "out")
    return {"base": base, "xlsx": xlsx, "xls": xls, "hashes": hashes, "mtimes": mtimes,
            "written": written}


def test_copies_are_written_with_the_input_names(annotated):
    out = annotated["base"] / "out"
    assert annotated["written"] == [out / "单位甲.xlsx", out / "单位乙.xlsx"]
    assert sorted(p.name for p in out.iterdir()) == ["单位乙.xlsx", "单位甲.xlsx"]
    umask = os.umask(0)
    os.umask(umask)
    assert all(p.stat().st_mode & 0o777 == 0o666 & ~umask for p in out.iterdir())


def test_inputs_are_byte_identical_after_annotating(annotated):
    for path, digest in annotated["hashes"].items():
        assert sha256(path) == digest
        assert path.stat().st_mtime_ns == annotated["mtimes"][path]
    assert sorted(p.name for p in (annotated["base"] / "in").iterdir()) == ["单位乙.xls", "单位甲.xlsx"]


@pytest.mark.parametrize("name", ["单位甲.xlsx", "单位乙.xlsx"])
def test_flagged_cells_are_filled_by_their_worst_severity(annotated, name):
    wb = openpyxl.load_workbook(annotated["base"] / "out" / name)
    ws = wb[SHEET]
    assert _rgb(ws["E6"]) == SEVERITY_FILLS["error"]
    assert _rgb(ws["H6"]) == SEVERITY_FILLS["error"]  # error and info on one cell
    assert _rgb(ws["F14"]) == SEVERITY_FILLS["warning"]
    assert _rgb(ws["I14"]) == SEVERITY_FILLS["warning"]
    assert _rgb(ws["F13"]) == SEVERITY_FILLS["info"]
    assert _rgb(ws["B3"]) == SEVERITY_FILLS["error"]  # C3 lies in B3:I3: its top-left
    # a merged area shows its top-left cell's fill (openpyxl reads no style elsewhere)
    flagged = {"E6", "H6", "F14", "I14", "F13", "B3"}
    coloured = {cell.coordinate for row in ws.iter_rows() for cell in row
                if _rgb(cell) in SEVERITY_FILLS.values()}
    assert coloured == flagged


@pytest.mark.parametrize("name", ["单位甲.xlsx", "单位乙.xlsx"])
def test_comments_carry_the_messages_at_exactly_the_flagged_cells(annotated, name):
    ws = openpyxl.load_workbook(annotated["base"] / "out" / name)[SHEET]
    comments = {cell.coordinate: cell.comment for row in ws.iter_rows() for cell in row
                if cell.comment is not None}
    assert set(comments) == {"E6", "H6", "F14", "I14", "F13", "B3"}
    assert all(c.author == "jixiao" for c in comments.values())
    assert comments["E6"].text == "[F01] 全年执行数 600.00 超过全年预算数 495.40，执行率超过 100%"
    assert comments["H6"].text.split("\n") == ["[F03] 资金得分应为 10.00，填报为 10",
                                               "[I08] 得分与参考得分不同"]
    assert comments["B3"].text == "[R03] 项目名称为空"
    assert comments["I14"].text.startswith("[I04] =得分低于分值但未填写偏差原因")


def test_the_units_own_comment_is_kept_under_ours(annotated):
    ws = openpyxl.load_workbook(annotated["base"] / "out" / "单位甲.xlsx")[SHEET]
    lines = ws["I14"].comment.text.split("\n")
    assert lines[0] == "[I04] =得分低于分值但未填写偏差原因"
    assert lines[-1] == UNIT_NOTE


def test_comment_box_grows_with_its_text(annotated):
    from jixiao.annotate import _comment_size

    short_w, short_h = _comment_size("[F01] 短")
    long_w, long_h = _comment_size("\n".join(["[I04] " + "得分低于分值但未填写偏差原因" * 3] * 4))
    assert long_w > short_w and long_h > 4 * 16


def test_the_copy_keeps_values_protection_and_unflagged_styles(annotated):
    original = openpyxl.load_workbook(annotated["xlsx"])[SHEET]
    copy = openpyxl.load_workbook(annotated["base"] / "out" / "单位甲.xlsx")[SHEET]
    assert copy.protection.sheet is True
    assert copy.protection.password == original.protection.password
    assert copy["B3"].value == PROJECT and copy["E6"].value == 600
    assert copy["C6"].fill.fgColor.rgb == original["C6"].fill.fgColor.rgb  # not flagged
    assert copy["C6"].protection.locked is False
    assert {str(r) for r in copy.merged_cells.ranges} == set(FORM_MERGES)


@pytest.mark.parametrize("name", ["单位甲.xlsx", "单位乙.xlsx"])
def test_problem_list_is_first_active_and_lists_every_finding(annotated, name):
    wb = openpyxl.load_workbook(annotated["base"] / "out" / name)
    assert wb.sheetnames[0] == LIST_SHEET
    assert wb.active.title == LIST_SHEET
    assert [ws.sheet_view.tabSelected for ws in wb.worksheets] == [True] + [False] * (
        len(wb.worksheets) - 1)
    ws = wb[LIST_SHEET]
    assert tuple(c.value for c in ws[LIST_HEADER_ROW]) == LIST_HEADERS
    rows = list_rows(ws)
    assert [r[0] for r in rows] == list(range(1, 9))
    assert rows[0] == (1, "（整个文件）", "—", "R07", "警告", "未注明金额单位（万元或元）", None, None)
    assert rows[1] == (2, SHEET, "E6", "F01", "错误",
                       "全年执行数 600.00 超过全年预算数 495.40，执行率超过 100%", "≤ 495.40", 600)
    by_code = {r[3]: r for r in rows}
    assert by_code["I08"][4] == "提示" and by_code["I14"][4] == "警告"
    assert ws.freeze_panes == f"A{LIST_HEADER_ROW + 1}"
    assert ws.auto_filter.ref == f"A{LIST_HEADER_ROW}:H{LIST_HEADER_ROW + 8}"
    assert ws.cell(LIST_HEADER_ROW, 1).font.bold
    assert ws.column_dimensions["F"].width >= 40


@pytest.mark.parametrize("name", ["单位甲.xlsx", "单位乙.xlsx"])
def test_list_links_point_at_the_annotated_cells(annotated, name):
    ws = openpyxl.load_workbook(annotated["base"] / "out" / name)[LIST_SHEET]
    links = {}
    for row in range(LIST_HEADER_ROW + 1, LIST_HEADER_ROW + 9):
        cell = ws.cell(row, 3)
        links[ws.cell(row, 4).value] = cell.hyperlink.location if cell.hyperlink else None
    assert links == {"R07": None, "F01": f"'{SHEET}'!E6", "F03": f"'{SHEET}'!H6",
                     "I08": f"'{SHEET}'!H6", "I14": f"'{SHEET}'!F14", "I04": f"'{SHEET}'!I14",
                     "I09": f"'{SHEET}'!F13", "R03": f"'{SHEET}'!B3"}


@pytest.mark.parametrize("name", ["单位甲.xlsx", "单位乙.xlsx"])
def test_text_from_findings_is_never_a_formula(annotated, name):
    ws = openpyxl.load_workbook(annotated["base"] / "out" / name)[LIST_SHEET]
    by_code = {ws.cell(r, 4).value: r for r in range(LIST_HEADER_ROW + 1, LIST_HEADER_ROW + 9)}
    found = ws.cell(by_code["I14"], 8)
    message = ws.cell(by_code["I04"], 6)
    assert (found.value, found.data_type) == ("=0%", "s")
    assert (message.value, message.data_type) == ("=得分低于分值但未填写偏差原因", "s")


def test_xls_copy_holds_the_values_and_says_it_was_converted(annotated):
    wb = openpyxl.load_workbook(annotated["base"] / "out" / "单位乙.xlsx")
    ws = wb[SHEET]
    assert ws["B3"].value == PROJECT
    assert ws["D6"].value == pytest.approx(495.4)
    assert ws["E14"].value == "=0%" and ws["E14"].data_type == "s"  # typed text, not a formula
    assert {str(r) for r in ws.merged_cells.ranges} >= {"B3:I3", "H6:I6", "A12:A15"}
    note = wb[LIST_SHEET]["A3"].value
    assert ".xls" in note and "转换为 .xlsx" in note


def test_copies_convert_with_libreoffice(annotated, tmp_path):
    from jixiao.template.soffice import convert, soffice_path

    if soffice_path() is None:
        print("soffice not installed: cannot check that LibreOffice opens the copies")
        pytest.skip("LibreOffice (soffice) is not installed")
    pdfs = convert(annotated["written"], tmp_path, "pdf", timeout=180)
    for pdf in pdfs:
        assert pdf.read_bytes()[:5] == b"%PDF-"
        assert pdf.stat().st_size > 1000


def test_text_input_gets_an_xlsx_copy(tmp_path):
    source = tmp_path / "seed.txt"
    source.write_text("\n".join("\t".join("" if v is None else str(v) for v in FORM_ROWS[r])
                                for r in sorted(FORM_ROWS)) + "\n", encoding="utf-8")
    digest = sha256(source)
    result = FileResult(str(source), [], [finding("F01", "error", "执行率超过 100%", "E6",
                                                  sheet="seed")])
    path = annotate_file(result, tmp_path / "out")
    assert path == tmp_path / "out" / "seed.xlsx"
    ws = openpyxl.load_workbook(path)["seed"]
    assert ws["B3"].value == PROJECT
    assert _rgb(ws["E6"]) == SEVERITY_FILLS["error"]
    assert sha256(source) == digest


def test_same_names_from_two_folders_get_two_copies(tmp_path):
    a = write_xlsx_form((tmp_path / "a").mkdir() or tmp_path / "a" / "表.xlsx")
    b = write_xlsx_form((tmp_path / "b").mkdir() or tmp_path / "b" / "表.xlsx")
    report = CheckReport([file_result(a, FINDINGS[:1], ()), file_result(b, FINDINGS[3:4], ())])
    written = annotate(report, tmp_path / "out")
    assert [p.name for p in written] == ["表.xlsx", "表(2).xlsx"]
    assert openpyxl.load_workbook(written[0])[SHEET]["E6"].comment.text.startswith("[F01]")
    assert openpyxl.load_workbook(written[1])[SHEET]["F14"].comment.text.startswith("[I14]")


def test_a_copy_never_replaces_an_input_in_the_output_folder(tmp_path):
    source = write_xlsx_form(tmp_path / "表.xlsx")
    digest = sha256(source)
    written = annotate(CheckReport([file_result(source)]), tmp_path)
    assert written == [tmp_path / "表(2).xlsx"]
    assert sha256(source) == digest
    assert LIST_SHEET in openpyxl.load_workbook(written[0]).sheetnames
    with pytest.raises(UsageError, match="覆盖"):
        annotate_file(file_result(source), tmp_path, name="表.xlsx")
    assert sha256(source) == digest


def test_unreadable_file_gets_no_copy(tmp_path):
    source = tmp_path / "坏.xlsx"
    source.write_bytes(b"PK\x03\x04 truncated")
    result = FileResult(str(source), [], [Finding("R01", "error", "文件已损坏")])
    assert annotate_file(result, tmp_path / "out") is None
    assert not (tmp_path / "out").exists()


def test_annotating_a_copy_again_replaces_its_problem_list(tmp_path):
    source = write_xlsx_form(tmp_path / "表.xlsx")
    first = annotate_file(file_result(source), tmp_path / "once")
    second = annotate_file(file_result(first, FINDINGS[:1], ()), tmp_path / "twice")
    wb = openpyxl.load_workbook(second)
    assert wb.sheetnames == [LIST_SHEET, SHEET]
    assert [r[3] for r in list_rows(wb[LIST_SHEET])] == ["F01"]
    assert wb[SHEET]["E6"].comment.text == "[F01] 全年执行数 600.00 超过全年预算数 495.40，执行率超过 100%"


def test_sheet_names_with_quotes_link_correctly(tmp_path):
    source = write_xlsx_form(tmp_path / "表.xlsx", sheet="O'Neil 表")
    result = file_result(source, [finding("F01", "error", "超支", "E6", sheet="O'Neil 表")], ())
    ws = openpyxl.load_workbook(annotate_file(result, tmp_path / "out"))[LIST_SHEET]
    assert ws.cell(LIST_HEADER_ROW + 1, 3).hyperlink.location == "'O''Neil 表'!E6"


def test_xlsm_keeps_its_macros(tmp_path):
    source = tmp_path / "宏.xlsm"
    wb = xlsxwriter.Workbook(str(source))
    ws = wb.add_worksheet(SHEET)
    ws.write("E6", 600)
    wb.add_vba_project(_vba_project(tmp_path))
    wb.close()
    result = file_result(source, FINDINGS[:1], ())
    path = annotate_file(result, tmp_path / "out")
    assert path.name == "宏.xlsm"
    import zipfile

    with zipfile.ZipFile(path) as zf:
        assert "xl/vbaProject.bin" in zf.namelist()
    assert _rgb(openpyxl.load_workbook(path, keep_vba=True)[SHEET]["E6"]) == SEVERITY_FILLS["error"]


def _vba_project(tmp_path: Path) -> str:
    """Bytes standing in for vbaProject.bin: the copy only carries them, nothing runs them."""
    path = tmp_path / "vbaProject.bin"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    return str(path)


def test_our_template_keeps_names_metadata_validations_and_reads_back(tmp_path):
    from jixiao.checking import check_file
    from jixiao.template import write_template

    source = tmp_path / "模板.xlsx"
    write_template(source, profile="shanghai", year=2024)
    before = check_file(source)
    assert len(before.forms) == 1 and before.forms[0].record.template is not None
    sheet = before.forms[0].record.sheet
    result = file_result(source, [finding("I03", "error", "实际完成值为空", "F13", sheet=sheet)], ())
    copy = annotate_file(result, tmp_path / "out")

    original, annotated_wb = openpyxl.load_workbook(source), openpyxl.load_workbook(copy)
    assert annotated_wb.sheetnames == [LIST_SHEET, *original.sheetnames]
    assert set(annotated_wb.defined_names) == set(original.defined_names)
    for ws in original.worksheets:
        twin = annotated_wb[ws.title]
        assert twin.sheet_state == ws.sheet_state
        assert twin.protection.sheet == ws.protection.sheet
        assert len(twin.data_validations.dataValidation) == len(ws.data_validations.dataValidation)
    assert _rgb(annotated_wb[sheet]["F13"]) == SEVERITY_FILLS["error"]
    after = check_file(copy)
    assert len(after.forms) == 1 and after.forms[0].record.template is not None
    assert after.forms[0].record.project == before.forms[0].record.project


def test_a_sheet_of_the_units_named_like_the_list_is_kept(tmp_path):
    source = write_xlsx_form(tmp_path / "表.xlsx", sheet=LIST_SHEET)
    result = file_result(source, [finding("F01", "error", "超支", "E6", sheet=LIST_SHEET)], ())
    wb = openpyxl.load_workbook(annotate_file(result, tmp_path / "out"))
    assert wb.sheetnames == [f"{LIST_SHEET}(2)", LIST_SHEET]
    assert wb[LIST_SHEET]["B3"].value == PROJECT
    assert _rgb(wb[LIST_SHEET]["E6"]) == SEVERITY_FILLS["error"]
    link = wb[f"{LIST_SHEET}(2)"].cell(LIST_HEADER_ROW + 1, 3).hyperlink.location
    assert link == f"'{LIST_SHEET}'!E6"


def test_an_output_folder_that_cannot_be_written_is_one_chinese_line(tmp_path):
    from jixiao.errors import OutputError

    source = write_xlsx_form(tmp_path / "表.xlsx")
    blocker = tmp_path / "out"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(OutputError, match="无法写入.*已有一个同名的文件"):
        annotate(CheckReport([file_result(source)]), blocker)


def test_list_title_names_unit_and_project_and_the_legend_matches_the_fills(tmp_path):
    """Two units' copies of 自评表.xlsx are told apart by their 问题清单 title; the legend
    names the colours the cells are filled with (the warning fill is orange)."""
    from click.testing import CliRunner

    from jixiao.cli import cli
    from merge_fixtures import good_record, write_form

    for unit, project in (("单位A", "培训项目"), ("单位B", "维修项目")):
        record = good_record(unit, project)
        record["indicators"][0]["score"] = 15.0  # I06: met but cut, a warning
        write_form(tmp_path / "in" / unit / "自评表.xlsx", record)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "in"), "--annotate", str(out)])
    assert "用法错误" not in result.output
    titles = {}
    for copy in sorted(out.rglob("*.xlsx")):
        ws = openpyxl.load_workbook(copy)[LIST_SHEET]
        titles[copy] = ws["A1"].value
        assert "红色：错误；橙色：警告；蓝色：提示" in ws["A2"].value
        assert "黄色" not in ws["A2"].value
    assert sorted(titles.values()) == ["问题清单：单位A · 培训项目（自评表.xlsx）",
                                       "问题清单：单位B · 维修项目（自评表.xlsx）"]
    assert SEVERITY_FILLS["warning"] == "FFC000"  # amber/orange, as the legend says

"""The generated workbook, read back with openpyxl: layout contract, validation, protection,
names, print setup and metadata (issue 3, docs/FORM.md §5)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from jixiao.cli import cli
from jixiao.errors import InputError
from jixiao.fingerprint import fingerprint
from jixiao.template import read_manifest, write_template

DATA = Path(__file__).parent / "data" / "template"
PROJECTS = DATA / "项目清单.csv"


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("blank") / "自评表.xlsx"
    write_template(path, profile="shanghai", year=2024, rows=7)
    return path


@pytest.fixture(scope="module")
def prefilled_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("prefilled")
    write_template(out, projects=PROJECTS, profile="shanghai", password="pw", secret="s3cret",
                   workers=1)
    return out


def _sheet(path: Path, name: str = "自评表"):
    return openpyxl.load_workbook(path)[name]


def test_blank_fields_sit_at_the_cells_of_the_contract(blank):
    ws = _sheet(blank)
    n = 7
    assert ws["A1"].value == "财政项目支出绩效自评表"
    assert ws["A2"].value == "（2024年度）"
    assert (ws["A3"].value, ws["A4"].value, ws["F4"].value) == ("项目名称", "主管部门", "实施单位")
    assert ws["A5"].value.replace("\n", "") == "项目资金（万元）"
    assert [ws.cell(5, c).value for c in range(3, 9)] == [
        "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]
    assert [ws[f"B{r}"].value for r in range(6, 10)] == [
        "年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金"]
    assert ws["C6"].value == "=SUM(C7:C9)" and ws["E6"].value == "=SUM(E7:E9)"
    assert ws["F6"].value == 10
    assert ws["G6"].value == '=IF(D6>0,E6/D6,"")' and ws["G8"].value == '=IF(D8>0,E8/D8,"")'
    assert ws["G6"].number_format == "0.00%"
    assert ws["H6"].value == "=IF(D6>0,ROUND(F6*MIN(E6/D6,1),2),0)"
    assert (ws["B10"].value, ws["F10"].value) == ("预期目标", "实际完成情况")
    assert [ws.cell(12, c).value for c in range(1, 10)] == [
        "绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
        "偏差原因分析及改进措施"]
    assert ws[f"A{13 + n}"].value == "总分"
    assert ws[f"G{13 + n}"].value == f"=F6+SUM(G13:G{12 + n})"
    assert ws[f"H{13 + n}"].value == f"=ROUND(H6+SUM(H13:H{12 + n}),2)"
    assert ws[f"A{14 + n}"].value == "评分等级"
    assert ws[f"H{14 + n}"].value == (
        f'=IF(COUNT(H13:H{12 + n})=0,"",IF(H{13 + n}>=90,"优",IF(H{13 + n}>=80,"良",'
        f'IF(H{13 + n}>=60,"中","差"))))')
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:I1", "A2:I2", "B3:I3", "B4:E4", "G4:I4", "A5:A9", "H5:I5", "H6:I6",
            "B10:E10", "F10:I10", "B11:E11", "F11:I11", f"A12:A{12 + n}"} <= merged


def test_blank_defined_names_point_at_every_field(blank):
    wb = openpyxl.load_workbook(blank)
    names = {name: dn.attr_text for name, dn in wb.defined_names.items()}
    assert names["JX_PROJECT"] == "自评表!$B$3"
    assert names["JX_DEPARTMENT"] == "自评表!$B$4"
    assert names["JX_UNIT"] == "自评表!$G$4"
    assert names["JX_YEAR"] == "自评表!$A$2"
    assert names["JX_FUND_TOTAL_BUDGET"] == "自评表!$D$6"
    assert names["JX_FUND_OTHER_EXECUTED"] == "自评表!$E$9"
    assert names["JX_FUND_TOTAL_SCORE"] == "自评表!$H$6"
    assert names["JX_INDICATORS"] == "自评表!$B$13:$I$19"
    assert names["JX_TOTAL_WEIGHT"] == "自评表!$G$20"
    assert names["JX_TOTAL_SCORE"] == "自评表!$H$20"
    assert names["JX_GRADE"] == "自评表!$H$21"
    assert names["JX_LIST_LEVEL1"] == "_jixiao!$E$2:$E$5"


def test_blank_validations_offer_the_profile_and_bound_the_numbers(blank):
    ws = _sheet(blank)
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    amounts = rules["C7:E9"]
    assert (amounts.type, amounts.operator, amounts.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert rules["B13:B19"].type == "list" and rules["B13:B19"].formula1 == "JX_LIST_LEVEL1"
    assert rules["C13:C19"].formula1 == 'INDIRECT("JX_L2_"&MATCH($B13,JX_LIST_LEVEL1,0))'
    weight = rules["G13:G19"]
    assert (weight.type, weight.formula1, weight.formula2) == ("decimal", "0", "100")
    score = rules["H13:H19"]
    # "between" is the default operator, so the file leaves it out
    assert (score.operator or "between", score.formula1, score.formula2) == ("between", "0", "G13")
    bands = rules["F13:F19"]
    assert bands.formula1 == "JX_LIST_BANDS" and not bands.showErrorMessage
    assert all(dv.promptTitle and dv.prompt for dv in rules.values())
    wb = openpyxl.load_workbook(blank)
    lists = wb["_jixiao"]
    assert [lists.cell(r, 5).value for r in range(1, 6)] == [
        "一级指标", "产出指标", "成本指标", "效益指标", "满意度指标"]
    assert [lists.cell(r, 7).value for r in range(1, 5)] == [
        "成本指标", "经济成本指标", "社会成本指标", "生态环境成本指标"]


def test_blank_highlights_problems_while_typing(blank):
    ws = _sheet(blank)
    formulas = {str(rng.sqref): [r.formula[0] for r in rng.rules]
                for rng in ws.conditional_formatting}
    assert formulas["G6:G9"] == ["AND(ISNUMBER(G6),G6>1)"]
    assert formulas["H13:H19"] == ["AND(ISNUMBER(H13),ISNUMBER(G13),H13>G13)"]
    assert formulas["I13:I19"] == ["AND(ISNUMBER(H13),ISNUMBER(G13),H13<G13,LEN(TRIM(I13))=0)"]
    assert formulas["G20"] == ["AND(COUNT($G$13:$G$19)>0,ROUND(G20,2)<>100)"]


def test_blank_protection_and_shading(blank):
    ws = _sheet(blank)
    assert ws.protection.sheet and ws.protection.password is None
    for ref in ("B3", "C7", "E9", "B13", "F13", "H19", "I19", "B11"):
        assert ws[ref].protection.locked is False, ref
        assert ws[ref].fill.fgColor.rgb.endswith("FFF2CC"), ref
    for ref in ("A3", "C6", "F6", "G6", "H6", "G20", "H21", "B12"):
        assert ws[ref].protection.locked is True, ref


def test_blank_print_setup(blank):
    ws = _sheet(blank)
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # fit to one page (a short form): 1 is the default, left out of the file
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight or 1) == (1, 1)
    assert ws.print_title_rows == "$12:$12"
    assert ws.print_area == "'自评表'!$A$1:$I$23"
    assert ws.page_margins.bottom >= 0.8
    assert "盖章" in ws["A23"].value


def test_blank_metadata_sheet_is_very_hidden(blank):
    wb = openpyxl.load_workbook(blank)
    meta = wb["_jixiao"]
    assert meta.sheet_state == "veryHidden"
    values = {meta.cell(r, 2).value: meta.cell(r, 3).value for r in range(2, meta.max_row + 1)
              if meta.cell(r, 1).value == "自评表"}
    assert values["template_version"] == "1"
    assert values["profile"] == "shanghai"
    assert values["year"] == "2024"
    assert values["money_unit"] == "万元"
    assert values["form_id"] == "blank-shanghai-2024-7"
    locked = json.loads(values["locked_values"])
    assert locked == {"year": 2024, "money_unit": "万元"}
    assert (values["fingerprint_kind"], values["fingerprint"]) == fingerprint(locked, None)


def test_prefilled_locks_budget_targets_and_weights(prefilled_dir):
    path = prefilled_dir / "上海市人民政府办公厅-市政府办公厅专项工作业务经费.xlsx"
    ws = _sheet(path)
    assert ws["B3"].value == "市政府办公厅专项工作业务经费"
    assert (ws["C7"].value, ws["D7"].value, ws["C8"].value) == (409.9, 495.4, 0)
    assert (ws["B13"].value, ws["C13"].value, ws["D13"].value, ws["E13"].value,
            ws["G13"].value) == ("产出指标", "数量指标", "保障公务外出次数", "≥200(次)", 20)
    for ref in ("B3", "G4", "C7", "D7", "D9", "B13", "E13", "G19"):
        assert ws[ref].protection.locked is True, ref
    for ref in ("E7", "E9", "F13", "H13", "I13", "B11", "F11"):
        assert ws[ref].protection.locked is False, ref
    assert ws.protection.sheet and ws.protection.password  # hashed "pw"
    assert ws["G20"].value == "=F6+SUM(G13:G19)"  # 7 indicators: 总分 in row 13+7
    assert ws["H21"].value.startswith('=IF(COUNT(H13:H19)=0,""')
    # a quantitative target gets no band list; the whole column is still described
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert rules["F13:F19"].type is None and "数值" in rules["F13:F19"].prompt


def test_prefilled_metadata_carries_locked_values_and_hmac(prefilled_dir):
    path = prefilled_dir / "上海市人民政府办公厅-市政府办公厅专项工作业务经费.xlsx"
    meta = openpyxl.load_workbook(path)["_jixiao"]
    values = {meta.cell(r, 2).value: meta.cell(r, 3).value for r in range(2, meta.max_row + 1)}
    locked = json.loads(values["locked_values"])
    assert locked["project"] == "市政府办公厅专项工作业务经费"
    assert locked["funds"]["current_year"] == {"initial": 409.9, "budget": 495.4}
    assert locked["indicators"][0] == {"row": 0, "level1": "产出指标", "level2": "数量指标",
                                       "name": "保障公务外出次数", "target": "≥200(次)",
                                       "weight": 20}
    assert values["fingerprint_kind"] == "hmac-sha256"
    assert values["fingerprint"] == fingerprint(locked, "s3cret")[1]
    assert values["fingerprint"] != fingerprint(locked, None)[1]


def test_manifest_lists_every_form(prefilled_dir):
    forms = read_manifest(prefilled_dir / "manifest.csv")
    assert [f.project for f in forms] == ["市政府办公厅专项工作业务经费",
                                          "上海市闵行区“一网通办”配套系统(2022运维)"]
    assert forms[1].file == "上海市闵行区行政服务中心-上海市闵行区“一网通办”配套系统(2022运维).xlsx"
    assert forms[1].year == "2022" and forms[1].form_id.startswith("JX2022-")
    assert all((prefilled_dir / f.file).is_file() for f in forms)
    assert sorted(p.name for p in prefilled_dir.iterdir()) == sorted(
        [f.file for f in forms] + ["manifest.csv"])  # no staging folder left behind


def test_group_by_unit_writes_one_sheet_per_project_with_scoped_names(tmp_path):
    rows = list(csv.reader(PROJECTS.open(encoding="utf-8-sig")))
    # three projects of one unit, two of them with the same 31-character prefix
    long_name = "闵行区政务服务一网通办平台配套系统二期运维服务采购项目（第一批）"
    extra = [[*r[:3], long_name + suffix, *r[4:]] for suffix in ("甲", "乙")
             for r in rows[1:] if "配套系统" in r[3]]
    source = tmp_path / "list.csv"
    with source.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows + extra)
    forms = write_template(tmp_path / "out", projects=source, group_by="unit", workers=1)
    files = {f.file for f in forms}
    assert files == {"上海市人民政府办公厅.xlsx", "上海市闵行区行政服务中心.xlsx"}
    wb = openpyxl.load_workbook(tmp_path / "out" / "上海市闵行区行政服务中心.xlsx")
    sheets = wb.sheetnames[:-1]
    assert len(sheets) == 3 and len(set(sheets)) == 3
    assert all(len(s) <= 31 for s in sheets)
    assert sheets[2].endswith("(2)")
    for sheet in sheets:
        scoped = wb[sheet].defined_names
        assert scoped["JX_PROJECT"].attr_text == f"'{sheet}'!$B$3"
    assert "JX_PROJECT" not in wb.defined_names


def test_a_bad_projects_list_leaves_nothing_behind(tmp_path):
    source = tmp_path / "list.csv"
    text = PROJECTS.read_text(encoding="utf-8-sig").replace(",20\n", ",二十\n", 1)
    source.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(InputError, match="第 2 行.*分值.*二十"):
        write_template(out, projects=source, workers=1)
    assert not out.exists() or not any(out.iterdir())


def test_cli_template_blank_and_batch(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["template", "-o", str(tmp_path / "b.xlsx"), "--rows", "3",
                                 "--money-unit", "元", "--profile", "mof-2020"])
    assert result.exit_code == 0, result.output
    ws = _sheet(tmp_path / "b.xlsx")
    assert ws["A5"].value.replace("\n", "") == "项目资金（元）"
    assert ws["A16"].value == "总分"
    result = runner.invoke(cli, ["template", "--projects", str(PROJECTS), "-o",
                                 str(tmp_path / "dist")], env={"JIXIAO_SECRET": "k"})
    assert result.exit_code == 0, result.output
    assert "2 张预填自评表" in result.output
    assert {f.fingerprint_kind for f in read_manifest(tmp_path / "dist" / "manifest.csv")} == {
        "hmac-sha256"}
    result = runner.invoke(cli, ["template", "-o", str(tmp_path / "x.xlsx"), "--rows", "0"])
    assert result.exit_code == 2 and "--rows" in result.output


def test_a_year_with_no_project_is_an_error_not_an_empty_distribution(tmp_path):
    from click.testing import CliRunner

    from jixiao.cli import cli

    projects = Path(__file__).resolve().parent.parent / "samples" / "项目清单.csv"
    result = CliRunner().invoke(cli, ["template", "--projects", str(projects), "-o",
                                      str(tmp_path / "dist"), "--year", "1999"])
    assert result.exit_code == 1
    assert "1999 年度" in result.output
    assert not (tmp_path / "dist").exists()


@pytest.mark.parametrize("rows, pages_tall", [(20, 1), (21, 0)])
def test_the_default_blank_prints_on_one_page(tmp_path, rows, pages_tall):
    """Up to 20 indicator rows (the default) a form is scaled onto one page; a longer one
    runs on to more pages (0: as many as needed), its header row repeated."""
    result = CliRunner().invoke(cli, ["template", "-o", str(tmp_path / "b.xlsx"), "--rows", str(rows)])
    assert result.exit_code == 0, result.output
    ws = _sheet(tmp_path / "b.xlsx")
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (1, None)  # 1 is the default, left out of the XML
    tall = ws.page_setup.fitToHeight
    assert (1 if tall is None else int(tall)) == pages_tall  # 1 is left out of the file
    assert ws.page_setup.orientation == "landscape"

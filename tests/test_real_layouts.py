"""Forms other provinces really use (Sichuan, Yunnan, Anhui), a central export with its
other sheets, and our template filled the way Excel stores typing: every field read exact,
no false alarm on a consistent form, every planted mistake reported at its cell."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from click.testing import CliRunner

from jixiao.cli import cli
from province_workbooks import (ANHUI_FORM, SICHUAN_FORM, YUNNAN_FORM, write_anhui, write_sichuan,
                                write_yunnan)

DATA = Path(__file__).parent / "data"
SAMPLES = Path(__file__).resolve().parent.parent / "samples"
CENTRAL_11_SHEETS = DATA / "real-exports" / "central-project-library-export-11-sheets.xls"

WRITERS = {"sichuan": (write_sichuan, SICHUAN_FORM), "yunnan": (write_yunnan, YUNNAN_FORM),
           "anhui": (write_anhui, ANHUI_FORM)}


def check_json(*paths: Path, extra: tuple[str, ...] = ()) -> dict:
    result = CliRunner().invoke(cli, ["check", "--format", "json", *extra, *map(str, paths)])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def only_form(data: dict) -> dict:
    (file,) = data["files"]
    (form,) = file["forms"]
    return form


def written(tmp_path: Path, layout: str, form: dict | None = None) -> Path:
    writer, default = WRITERS[layout]
    return writer(tmp_path / f"{layout}.xlsx", form or default)


def fund(initial, budget, executed, weight=None, rate_pct=None, score=None) -> dict:
    return {"initial": initial, "budget": budget, "executed": executed, "weight": weight,
            "rate_pct": rate_pct, "score": score}


EMPTY_FUND = fund(None, None, None)


def indicator(level1, level2, name, target, actual, weight, score, deviation=None) -> dict:
    return {"level1": level1, "level2": level2, "name": name, "target": target, "actual": actual,
            "weight": weight, "score": score, "deviation": deviation}


# Expected records, written by hand from the pages' facts (not from the reader's output).
EXPECTED = {
    "sichuan": {
        "year": 2023, "title": "部门预算项目支出绩效自评表(2023年度)", "project": "工资性支出",
        "project_code": "51000021R000000019951", "department": "青神县发展和改革局本级",
        "unit": "青神县发展和改革局", "money_unit": "万元",
        "goal_expected": SICHUAN_FORM["goal"], "goal_actual": SICHUAN_FORM["goal_actual"],
        "funds": {
            "total": fund(238.93, 251.89, 251.89, 10, 100, 10),
            "current_year": fund(238.93, 251.89, 251.89, None, 100, None),
            "carryover": EMPTY_FUND,
            "other": EMPTY_FUND,
            "special_account": fund(0, 0, 0, None, 0, None),
            "unit_funds": fund(0, 0, 0, None, 0, None),
        },
        "indicators": [
            indicator("产出指标", "数量指标", "发放(缴纳)覆盖率", "=100%", "100%", 20, 20),
            indicator("产出指标", "时效指标", "工资按月发放及时率", "≥95%", "100%", 20, 20),
            indicator("产出指标", "经济成本指标", "人均工资性支出", "≤12.5万元/人", "12.1万元/人", 20, 20),
            indicator("效益指标", "社会效益指标", "足额保障率(参保率)", "=100%", "100%", 20, 20),
            indicator("效益指标", "社会效益指标", "干部职工队伍稳定", "稳定", "稳定", 10, 10),
        ],
        "total_weight": 100, "total_score": 100, "grade": None,
    },
    "yunnan": {
        "year": 2020, "title": "2020年度项目支出绩效自评表",
        "project": "2020年省级自然资源卫片执法补助经费支出绩效自评表",
        "department": "丽江市自然资源和规划局", "unit": "丽江市古城区自然资源局", "money_unit": "万元",
        "goal_expected": YUNNAN_FORM["goal"], "goal_actual": YUNNAN_FORM["goal_actual"],
        "funds": {
            "total": fund(7.29, 7.29, 7.29, 10, 100, 10),
            "current_year": fund(7.29, 7.29, 7.29, None, 100, None),
            "carryover": EMPTY_FUND, "other": EMPTY_FUND,
        },
        "indicators": [
            indicator("产出指标", "数量指标", "卫片执法补助经费", "=72890元", "72890元", 10, 10),
            indicator("产出指标", "质量指标", "项目验收合格率", "=100%", "100%", 20, 20),
            indicator("产出指标", "时效指标", "项目完成及时率", "=100%", "100%", 20, 20),
            indicator("效益指标", "社会效益指标", "违法行为责停率", "≥95%", "95%", 30, 30),
            indicator("满意度指标", "服务对象满意度指标", "满意度", "≥95%", "95%", 10, 10),
        ],
        "total_weight": 100, "total_score": 100, "grade": "优",
    },
    "anhui": {
        "year": 2022, "title": "项目支出绩效自评表", "project": "委托业务项目",
        "department": "池州市贵池区棠溪镇人民政府", "department_code": "219",
        "unit": "池州市贵池区棠溪镇人民政府", "unit_code": "219001", "money_unit": "万元",
        "goal_expected": ANHUI_FORM["goal"], "goal_actual": ANHUI_FORM["goal_actual"],
        "funds": {
            "total": fund(90, 89.974, 89.974, 10, 100, 10),
            "current_year": fund(90, 89.974, 89.974),
            "carryover": EMPTY_FUND, "other": EMPTY_FUND,
        },
        "indicators": [
            indicator("产出指标", "数量指标", "基建工程委托业务项目数量", "≥50个", "50", 8, 8),
            indicator("产出指标", "质量指标", "委托业务报告合格率", "≥100百分比", "100", 8, 8),
            indicator("产出指标", "质量指标", "经费支出合规性", "严格执行相关制度规定", "达成预期指标", 8, 8),
            indicator("产出指标", "时效指标", "提交报告及时性", "在项目计划完成时间内完成", "达成预期指标", 8, 8),
            indicator("产出指标", "成本指标", "项目总成本", "≤90万元", "89.974", 8, 8),
            indicator("产出指标", "成本指标", "单项业务成本", "符合相关规定", "达成预期指标", 10, 10),
            indicator("效益指标", "社会效益指标", "对维护基建市场公平的影响程度", "效果明显", "达成预期指标", 10, 10),
            indicator("效益指标", "生态效益指标", "对控制基建项目成本影响程度", "效果明显", "达成预期指标", 10, 10),
            indicator("效益指标", "可持续影响指标", "对推动基建项目“四项制度”健全和落实的持续性影响", "效果明显",
                      "达成预期指标", 10, 10),
            # the unused 经济效益指标 row is no indicator
            indicator("满意度指标", "满意度指标", "公众满意度", "≥90%", "95%", 10, 10),
        ],
        "total_weight": 100, "total_score": 100, "grade": "优",
    },
}


SCHEMA = json.loads((resources.files("jixiao") / "data" / "form-record.schema.json")
                    .read_text(encoding="utf-8"))


@pytest.mark.parametrize("layout", sorted(WRITERS))
def test_every_field_reads_exact(tmp_path, layout):
    record = only_form(check_json(written(tmp_path, layout)))["record"]
    assert record == EXPECTED[layout]
    # the extra fund rows and codes are the schema's, not fields of our own making
    strict = copy.deepcopy(SCHEMA)
    strict["additionalProperties"] = False
    strict["properties"]["funds"]["additionalProperties"] = False
    jsonschema.validate(record, strict)


@pytest.mark.parametrize("layout,profile", [("sichuan", "sichuan"), ("yunnan", "mof-2020"),
                                            ("anhui", "mof-2020")])
def test_a_consistent_form_gets_no_error_and_no_warning(tmp_path, layout, profile):
    form = only_form(check_json(written(tmp_path, layout)))
    assert [(f["code"], f["message"]) for f in form["findings"]] == []
    assert form["profile"] == profile and "指标体系相符" in form["profile_reason"]


# Each planted mistake: (layout, change to the form, code, cell)
def _sichuan_executed_over_budget(form):
    form["funds"][0] = ("总额", 238.93, 251.89, 260.0, 1.0322, 10, 10)
    form["funds"][1] = ("其中:财政资金", 238.93, 251.89, 260.0, 1.0322, "/", "/")


def _sichuan_score_over_weight(form):
    form["indicators"][1] = form["indicators"][1][:8] + (25, None)


def _sichuan_wrong_total(form):
    form["total_score"] = 95


def _sichuan_no_reason(form):
    row = list(form["indicators"][1])
    row[6], row[8] = 90, 15  # 及时率 90 % against ≥95 %, 5 points off, no 原因
    form["indicators"][1] = tuple(row)
    form["total_score"] = 95


def _yunnan_executed_over_budget(form):
    form["funds"][0] = ("年度资金总额", 7.29, 7.29, 8.1, 10, 1.1111, 10)
    form["funds"][1] = ("其中:当年财政拨款", 7.29, 7.29, 8.1, None, 1.1111, None)


def _yunnan_score_over_weight(form):
    form["indicators"][3] = form["indicators"][3][:8] + (35, None)


def _yunnan_wrong_total(form):
    form["total_score"] = 90


def _yunnan_no_reason(form):
    # the page's own figures: 72890 元 reached, scored 9 of 10, nothing said
    form["indicators"][0] = form["indicators"][0][:8] + (9, None)
    form["total_score"] = 99


def _anhui_executed_over_budget(form):
    form["funds"][0] = ("年度资金总额:", 90, 89.974, 95, 10, 1.0559, 10)
    form["funds"][1] = ("其中:本年财政拨款", 90, 89.974, 95, None, None, None)


def _anhui_score_over_weight(form):
    form["indicators"][0] = form["indicators"][0][:6] + (12, None)


def _anhui_wrong_total(form):
    form["total_score"] = 98


def _anhui_no_reason(form):
    form["indicators"][0] = ("产出指标(50分)", "数量指标", "基建工程委托业务项目数量", "≥50个", 40, 8, 6, None)
    form["total_score"] = 98


PLANTED = [
    ("sichuan", _sichuan_executed_over_budget, "F01", "F10"),
    ("sichuan", _sichuan_score_over_weight, "I01", "J17"),
    ("sichuan", _sichuan_wrong_total, "T02", "J21"),
    ("sichuan", _sichuan_no_reason, "I04", "K17"),
    ("yunnan", _yunnan_executed_over_budget, "F01", "E5"),
    ("yunnan", _yunnan_score_over_weight, "I01", "I16"),
    ("yunnan", _yunnan_wrong_total, "T02", "I18"),
    ("yunnan", _yunnan_no_reason, "I06", "I13"),
    ("anhui", _anhui_executed_over_budget, "F01", "E7"),
    ("anhui", _anhui_score_over_weight, "I01", "H14"),
    ("anhui", _anhui_wrong_total, "T02", "H25"),
    ("anhui", _anhui_no_reason, "I04", "I14"),
]


@pytest.mark.parametrize("layout,plant,code,cell", PLANTED,
                         ids=[f"{p[0]}-{p[2]}" for p in PLANTED])
def test_a_planted_mistake_is_reported_at_its_cell(tmp_path, layout, plant, code, cell):
    form = copy.deepcopy(WRITERS[layout][1])
    plant(form)
    findings = only_form(check_json(written(tmp_path, layout, form)))["findings"]
    assert (code, cell) in [(f["code"], f["cell"]) for f in findings], findings


def test_a_ceiling_undercut_by_far_is_called_loose_not_low(tmp_path):
    form = copy.deepcopy(SICHUAN_FORM)
    form["indicators"][2] = ("产出指标", "经济成本指标", "人均工资性支出", "≤", 12.5, "万元/人", 8, 20, 20, None)
    findings = only_form(check_json(written(tmp_path, "sichuan", form)))["findings"]
    (i09,) = [f for f in findings if f["code"] == "I09"]
    assert "偏松" in i09["message"] and "偏低" not in i09["message"]


def test_a_bare_target_is_a_quantity_to_reach_not_an_equality(tmp_path):
    form = copy.deepcopy(YUNNAN_FORM)
    # "20集" with no operator, 24 made: met (≥), not a 20 % miss of "=20"
    form["indicators"][0] = ("产出指标", "数量指标", "动画制作数量", None, "20集", None, "24集", 10, 10, None)
    findings = only_form(check_json(written(tmp_path, "yunnan", form)))["findings"]
    assert [f["code"] for f in findings if f["severity"] != "info"] == []


# ------------------------------------------------------------------ central export


def test_central_export_without_fund_rows_and_its_other_sheets():
    data = check_json(CENTRAL_11_SHEETS)
    (file,) = data["files"]
    notes = [f for f in file["findings"] if f["code"] == "R09"]
    kinds = {f["sheet"]: f["found"] for f in notes}
    assert kinds == {"项目支出绩效目标申报表": "绩效目标申报表", "项目支出绩效目标执行监控": "绩效目标执行监控表"}
    (form,) = file["forms"]
    codes = [f["code"] for f in form["findings"]]
    assert "F09" in codes
    assert form["recomputed"]["total_weight"] == 0  # no fund weight of 10 invented
    (t01,) = [f for f in form["findings"] if f["code"] == "T01"]
    assert "合计为 0" in t01["message"]
    # the 申报表 is for 2020 and lists no indicator: said, not compared
    declaration = next(f for f in notes if f["sheet"] == "项目支出绩效目标申报表")
    assert "未列出年度指标" in declaration["message"]


def test_targets_are_compared_with_the_declaration_of_the_same_year(tmp_path):
    path = write_anhui(tmp_path / "anhui.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("项目支出绩效目标申报表")
    rows = [["委托业务项目绩效目标表"], ["(2022年度)"], ["项目名称", None, None, "委托业务项目"],
            ["绩效指标", "一级指标", "二级指标", "三级指标", "指标值"],
            [None, "产出指标", "数量指标", "基建工程委托业务项目数量", "≥60个"],
            [None, "产出指标", "质量指标", "委托业务报告合格率", "≥100百分比"],
            [None, "产出指标", "时效指标", "报告归档及时率", "≥95%"]]
    for row in rows:
        ws.append(row)
    wb.save(path)
    data = check_json(path)
    (file,) = data["files"]
    i15 = [f for f in only_form(data)["findings"] if f["code"] == "I15"]
    changed = [f for f in i15 if f["cell"] == "E14"]
    assert changed and "≥60个" in changed[0]["message"]  # 50 declared as 60 at budget time
    assert any("报告归档及时率" in f["message"] and "删去" in f["message"] for f in i15)
    assert any("经费支出合规性" in f["message"] and "新增" in f["message"] for f in i15)
    assert not any("委托业务报告合格率" in f["message"] for f in i15)


# ------------------------------------------------------------------ Excel's typing


def test_template_filled_as_excel_stores_typing(tmp_path):
    source = SAMPLES / "prefilled" / "上海市人民政府办公厅-“一网通办”工作经费.xlsx"
    wb = openpyxl.load_workbook(source)
    ws = wb.worksheets[0]
    ws["E7"] = "200"  # 全年执行数 typed into a text cell: SUM skips it
    ws["E7"].data_type = "s"
    ws["F10"].value = None
    actuals = {13: "3次", 14: 0.96, 15: 0.62, 16: 0.97, 17: 0.99, 18: 0.55, 19: "前五名", 20: 0.93}
    for r, actual in actuals.items():
        ws[f"F{r}"] = actual
        if isinstance(actual, float):
            ws[f"F{r}"].number_format = "0%"  # 96% typed: 0.96 shown as a percent
        ws[f"H{r}"] = ws[f"G{r}"].value
    path = tmp_path / "returned.xlsx"
    wb.save(path)
    form = only_form(check_json(path))
    by_code = {}
    for f in form["findings"]:
        by_code.setdefault(f["code"], []).append(f)
    assert "I05" not in by_code  # 96% read as 96 %, not 0.96
    actual = [i["actual"] for i in form["record"]["indicators"]]
    assert actual[1] == "96%" and actual[7] == "93%"
    (r09,) = by_code["R10"]
    assert r09["cell"] == "E7" and r09["severity"] == "warning"
    assert "少 200 万元" in r09["message"]


def resaved(tmp_path: Path, source: Path, fmt: str) -> Path:
    """The workbook as LibreOffice saves it in another format."""
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (.ci/run installs it)")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", fmt, "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    return tmp_path / f"{source.stem}.{fmt}"


@pytest.mark.parametrize("fmt", ["xls", "ods"])
@pytest.mark.parametrize("layout", sorted(WRITERS))
def test_the_same_forms_resaved_as_xls_and_ods_read_the_same(tmp_path, layout, fmt):
    """LibreOffice re-saves each layout: Anhui's 95% typed into 实际完成值 (0.95 in a
    %-formatted cell) keeps its format in both."""
    form = only_form(check_json(resaved(tmp_path, written(tmp_path, layout), fmt)))
    assert form["record"]["indicators"] == EXPECTED[layout]["indicators"]
    assert [f["code"] for f in form["findings"] if f["severity"] != "info"] == []


def test_an_annotated_ods_keeps_its_merged_cells_and_says_it_became_xlsx(tmp_path):
    source = resaved(tmp_path, written(tmp_path, "yunnan", _with_wrong_total()), "ods")
    out = tmp_path / "审核意见"
    result = CliRunner().invoke(cli, ["check", str(source), "--annotate", str(out)])
    assert result.exit_code == 1, result.output
    (copy_path,) = out.rglob("*.xlsx")
    wb = openpyxl.load_workbook(copy_path)
    form_sheet = wb["自评表"]
    merged = {str(r) for r in form_sheet.merged_cells.ranges}
    assert {"A4:A8", "A13:A15", "H11:H12"} <= merged  # 项目资金, 产出指标, 分值 over two rows
    notes = " ".join(str(c.value) for row in wb["问题清单"].iter_rows() for c in row if c.value)
    assert ".xlsx" in notes and "合并单元格" in notes


def _with_wrong_total() -> dict:
    form = copy.deepcopy(YUNNAN_FORM)
    form["total_score"] = 90
    return form


def test_a_date_typed_into_a_cell_reads_as_the_date(tmp_path):
    import datetime

    form = copy.deepcopy(YUNNAN_FORM)
    form["indicators"][2] = ("产出指标", "时效指标", "项目完成时间", None, "2020年12月31日前", None,
                             datetime.datetime(2020, 12, 20), 20, 20, None)
    record = only_form(check_json(written(tmp_path, "yunnan", form)))["record"]
    assert record["indicators"][2]["actual"] == "2020-12-20"


def test_a_two_row_header_with_the_sub_columns_below(tmp_path):
    """The other way round from Yunnan: 一级/二级/三级, 实际完成值 … merged down over both
    rows, 年度指标值 merged across 指标性质 | 指标值 | 度量单位 in the row below."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    rows = [
        ["项目支出绩效自评表"], ["（2023年度）"],
        ["项目名称", "乡村公路养护"], ["主管部门", "某县交通运输局", None, None, "实施单位", "某县公路段"],
        ["项目资金（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        [None, "年度资金总额", 50, 50, 48, 10, 0.96, 9.6],
        [None, "其中：当年财政拨款", 50, 50, 48, None, 0.96, None],
        [None, "上年结转资金"], [None, "其他资金"],
        ["一级指标", "二级指标", "三级指标", "年度指标值", None, None, "实际完成值", "分值", "得分",
         "偏差原因分析及改进措施"],
        [None, None, None, "指标性质", "指标值", "度量单位"],
        ["产出指标", "数量指标", "养护里程", "≥", 120, "公里", 125, 50, 50],
        ["效益指标", "社会效益指标", "道路优良率", "≥", 85, "%", 88, 30, 30],
        ["满意度指标", "服务对象满意度指标", "群众满意度", "≥", 90, "%", 93, 10, 10],
        ["总分", None, None, None, None, None, None, 100, 99.6],
    ]
    for row in rows:
        ws.append(row)
    for rng in ("A10:A11", "B10:B11", "C10:C11", "D10:F10", "G10:G11", "H10:H11", "I10:I11",
                "J10:J11", "A5:A9"):
        ws.merge_cells(rng)
    for ref in ("G6", "G7"):
        ws[ref].number_format = "0.00%"
    path = tmp_path / "sub_below.xlsx"
    wb.save(path)
    form = only_form(check_json(path))
    assert [(i["name"], i["target"], i["actual"], i["weight"], i["score"])
            for i in form["record"]["indicators"]] == [
        ("养护里程", "≥120公里", "125公里", 50, 50), ("道路优良率", "≥85%", "88%", 30, 30),
        ("群众满意度", "≥90%", "93%", 10, 10)]
    assert [f["code"] for f in form["findings"] if f["severity"] != "info"] == []


# ------------------------------------------------------------------ habits of other systems
# Each form below is written the way some budget system or officer lays it out, unlike the
# three published layouts above; the expected values are the form's own figures.

# the 执行率 of flat_form's fund rows, typed as 100% in Excel
RATE_FORMATS = {"G6": "0%", "G7": "0%", "G8": "0%"}


def write_rows(path: Path, rows: list[list], merged: tuple[str, ...] = (),
               formats: dict[str, str] | None = None) -> Path:
    formats = RATE_FORMATS if formats is None else formats
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    for row in rows:
        ws.append(row)
    for rng in merged:
        ws.merge_cells(rng)
    for ref, number_format in formats.items():
        ws[ref].number_format = number_format
    wb.save(path)
    return path


def flat_form(*, project_rows: list[list] | None = None, fund_head: list | None = None,
              indicator_head: list | None = None, indicators: list[list] | None = None,
              total: float = 100) -> list[list]:
    """A MOF 9-column form with every label on its own row and no merged cells."""
    return [
        ["项目支出绩效自评表"], ["（2024年度）"],
        *(project_rows or [["项目名称", "基层医疗卫生机构能力建设"],
                           ["主管部门", "某区卫生健康委员会", None, None, "实施单位", "某区社区卫生服务中心"]]),
        fund_head or ["项目资金（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        [None, "年度资金总额", 80, 85, 85, 10, 1, 10],
        [None, "其中：当年财政拨款", 80, 80, 80, None, 1, None],
        [None, "上年结转资金", 0, 5, 5, None, 1, None],
        [None, "其他资金"],
        indicator_head or ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                           "偏差原因分析及改进措施"],
        *(indicators or [
            ["产出指标", "数量指标", "购置医疗设备台数", "≥18台", "18台", 40, 40],
            ["效益指标", "社会效益指标", "基层诊疗人次增长率", "≥5%", "5.5%", 40, 40],
            ["满意度指标", "服务对象满意度指标", "患者满意度", "≥90%", "91%", 10, 10],
        ]),
        ["总分", None, None, None, None, total, total],
    ]


#: flat_form's indicators as a person reads them (written by hand, not by the reader)
FLAT_FORM_READ = [
    ("产出指标", "数量指标", "购置医疗设备台数", "≥18台", "18台"),
    ("效益指标", "社会效益指标", "基层诊疗人次增长率", "≥5%", "5.5%"),
    ("满意度指标", "服务对象满意度指标", "患者满意度", "≥90%", "91%"),
]


def names_and_targets(form: dict) -> list[tuple]:
    return [(i["level1"], i["level2"], i["name"], i["target"], i["actual"])
            for i in form["record"]["indicators"]]


def warnings_and_errors(form: dict) -> list[tuple[str, str]]:
    return [(f["code"], f["message"]) for f in form["findings"] if f["severity"] != "info"]


def test_an_adjusted_target_beside_the_initial_one_is_the_target(tmp_path):
    rows = flat_form(
        indicator_head=["一级指标", "二级指标", "三级指标", "年初指标值", "调整后指标值", "全年实际完成值",
                        "分值", "得分", "偏差原因分析及改进措施"],
        indicators=[["产出指标", "数量指标", "购置医疗设备台数", "≥20台", "≥18台", "18台", 40, 40],
                    ["效益指标", "社会效益指标", "基层诊疗人次增长率", "≥5%", "≥5%", "5.5%", 40, 40],
                    ["满意度指标", "服务对象满意度指标", "患者满意度", "≥90%", "≥90%", "91%", 10, 10]])
    rows[-1] = ["总分", None, None, None, None, None, 100, 100]
    form = only_form(check_json(write_rows(tmp_path / "adjusted.xlsx", rows)))
    assert names_and_targets(form) == FLAT_FORM_READ
    assert warnings_and_errors(form) == []


@pytest.mark.parametrize("placeholder", [
    ["效益指标", "经济效益指标", "/", "/", "/", "/", "/"],
    ["效益指标", "经济效益指标", "—"],
    ["效益指标", "经济效益指标", "无", "无", "无", 0, 0],
], ids=["slashes", "dash", "none-with-zeros"])
def test_an_unused_slot_filled_with_a_placeholder_is_no_indicator(tmp_path, placeholder):
    rows = flat_form()
    rows.insert(-2, placeholder)  # between the 效益 and the 满意度 indicator
    form = only_form(check_json(write_rows(tmp_path / "placeholder.xlsx", rows)))
    assert [i["name"] for i in form["record"]["indicators"]] == [
        "购置医疗设备台数", "基层诊疗人次增长率", "患者满意度"]
    assert warnings_and_errors(form) == []


def test_a_project_name_typed_with_its_label_in_one_cell(tmp_path):
    rows = flat_form(project_rows=[["项目名称：社区养老服务补贴"],
                                   ["主管部门：某区民政局", None, None, None, "实施单位：某区养老服务中心"]])
    form = only_form(check_json(write_rows(tmp_path / "inline.xlsx", rows)))
    record = form["record"]
    assert (record["project"], record["department"], record["unit"]) == (
        "社区养老服务补贴", "某区民政局", "某区养老服务中心")
    assert warnings_and_errors(form) == []


@pytest.mark.parametrize("unit", ["万元", "元"])
def test_the_money_unit_named_in_the_amount_columns(tmp_path, unit):
    rows = flat_form(fund_head=["项目资金", None, f"年初预算数（{unit}）", f"全年预算数（{unit}）",
                                f"全年执行数（{unit}）", "分值", "执行率", "得分"])
    form = only_form(check_json(write_rows(tmp_path / "unit.xlsx", rows)))
    assert form["record"]["money_unit"] == unit
    assert warnings_and_errors(form) == []


def test_grouped_thousands_in_targets_are_numbers(tmp_path):
    reached = flat_form(indicators=[
        ["产出指标", "数量指标", "参与活动人次", "≥1,000人次", "1,230人次", 40, 40],
        ["效益指标", "社会效益指标", "带动消费金额", "≥2,800万元", "2,950万元", 40, 40],
        ["满意度指标", "服务对象满意度指标", "参与群众满意度", "≥90%", "91%", 10, 10]])
    form = only_form(check_json(write_rows(tmp_path / "reached.xlsx", reached)))
    assert warnings_and_errors(form) == []
    missed = copy.deepcopy(reached)
    missed[-4][4] = "900人次"  # 900 of ≥1,000 with the full 40 points
    form = only_form(check_json(write_rows(tmp_path / "missed.xlsx", missed)))
    (i05,) = [f for f in form["findings"] if f["code"] == "I05"]
    assert i05["cell"] == "G11" and "参考得分 36" in i05["message"]


def test_a_split_target_typed_with_its_operator_takes_the_unit_column(tmp_path):
    form = copy.deepcopy(SICHUAN_FORM)
    form["indicators"][1] = ("产出指标", "时效指标", "工资按月发放及时率", None, "≥95", "%", 100, 20, 20, None)
    record = only_form(check_json(written(tmp_path, "sichuan", form)))["record"]
    assert record["indicators"][1]["target"] == "≥95%"


def test_a_percent_typed_into_an_xls_is_that_percent(tmp_path):
    """An .xls keeps the percent format of a 95% typed into 指标值 and 完成值 (stored 0.95)."""
    form = copy.deepcopy(SICHUAN_FORM)
    form["indicators"][1] = ("产出指标", "时效指标", "工资按月发放及时率", "≥", 0.95, None, 1, 20, 20, None)
    source = written(tmp_path, "sichuan", form)
    wb = openpyxl.load_workbook(source)
    wb.active["F17"].number_format = "0%"
    wb.active["H17"].number_format = "0%"
    wb.save(source)
    form = only_form(check_json(resaved(tmp_path, source, "xls")))
    row = form["record"]["indicators"][1]
    assert (row["target"], row["actual"]) == ("≥95%", "100%")
    assert warnings_and_errors(form) == []


def test_codes_before_names_in_other_spellings(tmp_path):
    rows = flat_form(project_rows=[
        ["项目名称", "219001-001 环境监测运维"],
        ["主管部门", "[219]某市生态环境局", None, None, "实施单位", "219001 某市环境监测站"]])
    record = only_form(check_json(write_rows(tmp_path / "codes.xlsx", rows)))["record"]
    assert [(record[k], record[f"{k}_code"]) for k in ("project", "department", "unit")] == [
        ("环境监测运维", "219001-001"), ("某市生态环境局", "219"), ("某市环境监测站", "219001")]


@pytest.mark.parametrize("name", ["2023 年老旧小区改造", "110kV 变电站改造", "2022-2023年度校舍维修"])
def test_a_name_that_starts_with_a_number_keeps_it(tmp_path, name):
    rows = flat_form(project_rows=[["项目名称", name],
                                   ["主管部门", "某区住建局", None, None, "实施单位", "某区房管所"]])
    record = only_form(check_json(write_rows(tmp_path / "number.xlsx", rows)))["record"]
    assert (record["project"], record.get("project_code")) == (name, None)


def test_a_form_without_fund_rows_is_not_asked_for_a_money_unit(tmp_path):
    rows = [row for row in flat_form() if row[:2] != [None, "年度资金总额"]
            and not (len(row) > 1 and row[1] in ("其中：当年财政拨款", "上年结转资金", "其他资金"))
            and row[0] != "项目资金（万元）"]
    rows[-1] = ["总分", None, None, None, None, 90, 90]
    codes = [f["code"] for f in only_form(check_json(write_rows(tmp_path / "nofunds.xlsx", rows)))["findings"]]
    assert "F09" in codes and "R07" not in codes


def test_a_remark_column_after_the_reason_is_not_the_reason(tmp_path):
    rows = flat_form(
        indicator_head=["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                        "偏差原因分析及改进措施", "备注"],
        indicators=[["产出指标", "数量指标", "购置医疗设备台数", "≥18台", "18台", 40, 40, None, "含捐赠2台"],
                    ["效益指标", "社会效益指标", "基层诊疗人次增长率", "≥5%", "4.5%", 40, 36, None, "口径调整"],
                    ["满意度指标", "服务对象满意度指标", "患者满意度", "≥90%", "91%", 10, 10]])
    rows[-1] = ["总分", None, None, None, None, 100, 96]
    form = only_form(check_json(write_rows(tmp_path / "remark.xlsx", rows)))
    assert [i["deviation"] for i in form["record"]["indicators"]] == [None, None, None]
    # the reduced score has no reason: a remark is not one
    assert [(f["code"], f["cell"]) for f in form["findings"] if f["code"] == "I04"] == [("I04", "H12")]


def test_a_text_column_between_the_name_and_the_target_is_no_name(tmp_path):
    rows = flat_form(
        indicator_head=["一级指标", "二级指标", "三级指标", "指标解释", "年度指标值", "实际完成值", "分值", "得分"],
        indicators=[["产出指标", "数量指标", "购置医疗设备台数", "全年累计", "≥18台", "18台", 40, 40],
                    ["效益指标", "社会效益指标", "基层诊疗人次增长率", "同比", "≥5%", "5.5%", 40, 40],
                    ["满意度指标", "服务对象满意度指标", "患者满意度", "问卷", "≥90%", "91%", 10, 10]])
    rows[-1] = ["总分", None, None, None, None, None, 100, 100]
    form = only_form(check_json(write_rows(tmp_path / "explained.xlsx", rows)))
    assert names_and_targets(form) == FLAT_FORM_READ
    assert warnings_and_errors(form) == []


@pytest.mark.parametrize("year_rows", [
    [["（2023年）"]],                                         # a year line under the title
    [["年度", 2023]],                                         # label and value in two cells
], ids=["year-line", "label-and-value"])
def test_the_year_stated_on_a_line_of_its_own(tmp_path, year_rows):
    rows = flat_form()
    rows[1:2] = year_rows
    form = only_form(check_json(write_rows(tmp_path / "year.xlsx", rows)))
    assert form["record"]["year"] == 2023
    assert warnings_and_errors(form) == []


def test_the_year_beside_the_project_name(tmp_path):
    rows = flat_form(project_rows=[["项目名称", "基层医疗卫生机构能力建设", None, None, "所属年度", "2023年"],
                                   ["主管部门", "某区卫生健康委员会", None, None, "实施单位", "某区社区卫生服务中心"]])
    rows[1] = ["填报日期：2024年3月"]  # no year line above
    form = only_form(check_json(write_rows(tmp_path / "year2.xlsx", rows)))
    assert form["record"]["year"] == 2023


@pytest.mark.parametrize("grade_rows", [
    [["总分", None, None, None, None, 100, 100, "评分等级", "优"]],
    [["总分", None, None, None, None, 100, 100], ["评分等级：优"]],
    [["总分", None, None, None, None, 100, 100], ["绩效等级", None, None, None, None, "优"]],
    [["总分", None, None, None, None, 100, 100], ["评分等级", None, None, None, None, "A（优）"]],
], ids=["in-the-total-row", "label-and-grade-in-one-cell", "绩效等级", "letter-and-word"])
def test_the_grade_where_other_systems_put_it(tmp_path, grade_rows):
    rows = flat_form()
    rows[-1:] = grade_rows
    form = only_form(check_json(write_rows(tmp_path / "grade.xlsx", rows)))
    assert form["record"]["grade"] == "优"
    assert warnings_and_errors(form) == []


def test_subtotal_rows_of_each_level1_are_no_indicators(tmp_path):
    rows = flat_form(indicators=[
        ["产出指标", "数量指标", "购置医疗设备台数", "≥18台", "18台", 40, 40],
        ["小计", None, None, None, None, 40, 40],
        ["效益指标", "社会效益指标", "基层诊疗人次增长率", "≥5%", "5.5%", 40, 40],
        ["小计", None, None, None, None, 40, 40],
        ["满意度指标", "服务对象满意度指标", "患者满意度", "≥90%", "91%", 10, 10]])
    form = only_form(check_json(write_rows(tmp_path / "subtotals.xlsx", rows)))
    assert [i["name"] for i in form["record"]["indicators"]] == ["购置医疗设备台数", "基层诊疗人次增长率", "患者满意度"]
    assert warnings_and_errors(form) == []


def test_other_wordings_of_the_actual_and_the_reason(tmp_path):
    rows = flat_form(
        indicator_head=["一级指标", "二级指标", "三级指标", "年度指标值", "全年实际值", "分值", "得分",
                        "未完成原因分析及改进措施"],
        indicators=[["产出指标", "数量指标", "购置医疗设备台数", "≥18台", "16台", 40, 36, "供货延迟，已督促"],
                    ["效益指标", "社会效益指标", "基层诊疗人次增长率", "≥5%", "5.5%", 40, 40],
                    ["满意度指标", "服务对象满意度指标", "患者满意度", "≥90%", "91%", 10, 10]])
    rows[-1] = ["总分", None, None, None, None, 100, 96]
    form = only_form(check_json(write_rows(tmp_path / "wordings.xlsx", rows)))
    assert [(i["actual"], i["deviation"]) for i in form["record"]["indicators"]] == [
        ("16台", "供货延迟，已督促"), ("5.5%", None), ("91%", None)]
    assert warnings_and_errors(form) == []


def test_scores_typed_with_their_unit_and_targets_within_a_deadline(tmp_path):
    rows = flat_form(indicators=[
        ["产出指标", "时效指标", "办结时限", "5个工作日内", "4个工作日", "40分", "40分"],
        ["效益指标", "社会效益指标", "安全事故", "无", "无", "40分", "40分"],
        ["满意度指标", "服务对象满意度指标", "患者满意度", "≥90%", "91%", "10分", "10分"]])
    rows[-1] = ["总分", None, None, None, None, "100分", "100分"]
    rows.append(["评分等级", None, None, None, None, "优"])
    form = only_form(check_json(write_rows(tmp_path / "units.xlsx", rows)))
    assert [(i["weight"], i["score"]) for i in form["record"]["indicators"]] == [(40, 40), (40, 40), (10, 10)]
    assert warnings_and_errors(form) == []

"""Every seed form rebuilt as a real workbook (Shanghai 9-column .xlsx, central 11-column
.xls, numbers as text, stacked and moved) reads back field-exact; the real central exports
parse; sheets that are not forms give nothing."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from jixiao.grid import Grid
from jixiao.layout import find_forms
from seed_workbooks import write_central_xls, write_local_variant_xlsx, write_shanghai_xlsx

DATA = Path(__file__).parent / "data"
RECORDS = [{k: v for k, v in form.items() if k != "_notes"}
           for forms in json.loads((DATA / "seed_expected.json").read_text(encoding="utf-8")).values()
           for form in forms]


def calamine_grids(path: Path) -> list[Grid]:
    """Values + merged ranges, as the readers give them (empty cells None)."""
    wb = CalamineWorkbook.from_path(str(path))
    grids = []
    for name in wb.sheet_names:
        sheet = wb.get_sheet_by_name(name)
        rows = [[None if v == "" else v for v in line] for line in sheet.to_python(skip_empty_area=False)]
        merged = [(r1, c1, r2, c2) for (r1, c1), (r2, c2) in sheet.merged_cell_ranges or []]
        grids.append(Grid(name=name, rows=rows, merged=merged))
    return grids


def read_back(path: Path) -> list:
    return [form for grid in calamine_grids(path) for form in find_forms(grid)]


def assert_same_records(forms, expected):
    assert len(forms) == len(expected)
    for form, want in zip(forms, expected):
        got = form.to_dict()
        for key in want:
            assert got[key] == want[key], f"{want['project']}: {key}"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("seed_workbooks")
    return {
        "per_sheet": write_shanghai_xlsx(d / "per_sheet.xlsx", RECORDS),
        "stacked": write_shanghai_xlsx(d / "stacked.xlsx", RECORDS, stacked=True, offset=(3, 2),
                                       note="附件2：2022年度项目支出绩效自评结果",
                                       footer="填报人：张三　联系电话：021-1234　填报日期：2023年2月1日"),
        "as_text": write_shanghai_xlsx(d / "as_text.xlsx", RECORDS, numbers_as_text=True),
        "central": write_central_xls(d / "central.xls", RECORDS),
    }


def test_seed_forms_rebuilt_one_per_sheet_read_back_exactly(built):
    forms = read_back(built["per_sheet"])
    assert_same_records(forms, RECORDS)
    assert [f.sheet for f in forms[:2]] == ["自评表1", "自评表2"]
    assert forms[0].anchor == "A1" and forms[0].cells["project"] == "B3"


def test_seed_forms_stacked_and_moved_read_back_exactly(built):
    forms = read_back(built["stacked"])
    assert_same_records(forms, RECORDS)
    assert forms[0].anchor == "C6"  # title under the note, moved 3 rows down and 2 right
    assert forms[0].funds.total.cells["executed"] == "G11"
    assert len({f.anchor for f in forms}) == 36


def test_numbers_typed_as_text_read_as_numbers(built):
    assert_same_records(read_back(built["as_text"]), RECORDS)


def test_seed_forms_in_the_central_layout_read_back_exactly(built):
    forms = read_back(built["central"])
    assert_same_records(forms, RECORDS)
    first = forms[0]
    # 执行率 is a fraction in the merged I:J cell; 三级 merged D:E; 总分 weight in H, score in I
    assert first.funds.total.cells["rate_pct"] == "I7"
    assert first.indicators[0].cells["name"] == "D14"
    assert (first.cells["total_weight"], first.cells["total_score"]) == ("H26", "I26")


def test_one_form_sheet_among_other_sheets(built):
    grids = calamine_grids(built["central"])
    assert grids[0].name == "项目基本信息" and find_forms(grids[0]) == []


@pytest.mark.parametrize("name", ["central-system-export-blank.xls",
                                  "central-system-export-4-fund-rows.xls"])
def test_real_central_exports(name):
    grids = calamine_grids(DATA / "real-exports" / name)
    found = {g.name: find_forms(g) for g in grids}
    assert [n for n, forms in found.items() if forms] == ["项目支出绩效自评表"]
    (form,) = found["项目支出绩效自评表"]
    assert (form.title, form.year, form.project, form.department, form.unit, form.money_unit) == (
        "项目支出绩效自评表", 2019, "2019年210青少年校园足球扶持资金", "教育部", None, "万元")
    assert form.cells["unit"] == "G5"  # empty value, pointed at for R03
    assert form.goal_expected == "完成校园足球运动技术动画20集的设计制作与播出"
    if "4-fund-rows" in name:
        # placeholders 0, 1, 2 … in every value cell, rows in the system's order
        assert form.funds.total.to_dict() == {"initial": 2.0, "budget": 3.0, "executed": 4.0,
                                              "weight": 5.0, "rate_pct": 6.0, "score": 7.0}
        assert form.funds.other.initial == 35.0
        assert [(i.level1, i.name, i.target, i.weight, i.deviation) for i in form.indicators] == [
            ("45", "47", "48", 50.0, "52"), ("56", "58", "59", 61.0, "63"),
            ("67", "69", "70", 72.0, "74"), ("78", "80", "81", 83.0, "85")]
        assert (form.total_weight, form.total_score) == (100.0, 100.0)
    else:
        assert form.indicators == [] and form.funds.total.budget is None
        assert (form.total_weight, form.total_score, form.cells["total_score"]) == (0.0, 0.0, "I10")


LOCAL_FORM = {
    "title": "项目支出绩效自评表", "year": 2023, "project": "社区养老服务补贴",
    "department": "某区民政局", "unit": "某街道社区事务受理服务中心", "money_unit": "万元",
    "funds": {
        "total": {"initial": 120.0, "budget": 110.0, "executed": 104.5, "weight": 10.0,
                  "rate_pct": 95.0, "score": 9.5},
        "current_year": {"initial": 120.0, "budget": 110.0, "executed": 104.5, "weight": None,
                         "rate_pct": 95.0, "score": None},
        "carryover": {k: None for k in ("initial", "budget", "executed", "weight", "rate_pct", "score")},
        "other": {k: None for k in ("initial", "budget", "executed", "weight", "rate_pct", "score")},
    },
    "goal_expected": "为辖区老人提供助餐服务", "goal_actual": "全年提供助餐服务",
    "indicators": [
        {"level1": "产出指标", "level2": "数量指标", "name": "助餐服务人次", "op": "≥", "value": 5000,
         "unit": "人次", "actual_value": 5230, "weight": 20, "score": 20, "deviation": None},
        {"level1": "产出指标", "level2": "质量指标", "name": "食品安全事故", "op": "=", "value": 0,
         "unit": "起", "actual_value": 0, "weight": 20, "score": 20, "deviation": None},
        {"level1": "效益指标", "level2": "社会效益指标", "name": "老人生活质量", "op": "定性",
         "value": "提高", "unit": None, "actual_value": "达成年度指标", "weight": 30, "score": 28,
         "deviation": "个别站点供餐不稳定"},
        {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "老人满意度", "op": "≥",
         "value": 90, "unit": "%", "actual_value": 93, "weight": 20, "score": 20, "deviation": None},
    ],
    "total_weight": 100, "total_score": 97.5, "grade": "优",
}


def test_local_variant_with_operator_and_unit_columns(tmp_path):
    (form,) = read_back(write_local_variant_xlsx(tmp_path / "local.xlsx", LOCAL_FORM))
    assert form.anchor == "B3" and form.project == "社区养老服务补贴" and form.year == 2023
    assert form.department == "某区民政局" and form.money_unit == "万元"
    assert form.funds.total.budget == 110.0  # 调整后预算数
    assert form.funds.total.rate_pct == 95.0  # 执行率(%) holds percents
    assert [(i.target, i.actual) for i in form.indicators] == [
        ("≥5000人次", "5230人次"), ("=0起", "0起"), ("提高", "达成年度指标"),
        ("≥90%", "93%")]
    assert [i.score for i in form.indicators] == [20.0, 20.0, 28.0, 20.0]
    assert (form.total_weight, form.total_score, form.grade) == (100.0, 97.5, "优")


def test_text_where_a_number_belongs_is_kept_for_r04(tmp_path):
    record = json.loads(json.dumps(RECORDS[0]))
    record["funds"]["total"]["executed"] = "九千"
    record["indicators"][0]["score"] = "十分"
    (form,) = read_back(write_shanghai_xlsx(tmp_path / "r04.xlsx", [record]))
    assert form.funds.total.executed is None
    assert form.funds.total.unparsed == {"executed": "九千"}
    assert form.funds.total.cells["executed"] == "E6"
    first = form.indicators[0]
    assert (first.score, first.unparsed, first.cells["score"]) == (None, {"score": "十分"}, "H13")


def test_odd_grids_never_raise():
    rng = random.Random(20240601)
    vocabulary = ["项目名称", "主管部门", "实施单位", "年初预算数", "全年执行数", "得分", "分值",
                  "一级指标", "三级指标", "实际完成值", "年度指标值", "总分", "评分等级", "预期目标",
                  "绩效指标", "产出指标", "数量指标", "x", "", None, 0, 1.5, -3, "—", "9,000", "１２",
                  "<p>", "(2022年度)", "自评表", True, "优"]
    for _ in range(300):
        rows = [[rng.choice(vocabulary) for _ in range(rng.randint(0, 12))]
                for _ in range(rng.randint(0, 30))]
        merged = [(rng.randint(0, 30), rng.randint(0, 12), rng.randint(0, 30), rng.randint(0, 12))
                  for _ in range(rng.randint(0, 3))]
        for form in find_forms(Grid(name="s", rows=rows, merged=merged)):
            form.to_dict()

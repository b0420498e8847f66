"""Property: the layout parser takes any grid and returns forms or nothing, never raises.

Grids are random text, numbers and merges around the real labels of the form, including
half-forms (a header with no indicators, labels in the wrong place, ranges off the grid).
"""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jixiao.grid import Grid
from jixiao.layout import find_forms

SCHEMA = json.loads((resources.files("jixiao") / "data" / "form-record.schema.json")
                    .read_text(encoding="utf-8"))

LABELS = ["财政项目支出绩效自评表", "(2024年度)", "项目名称", "项目名称：", "主管部门", "实施单位",
          "项目资金（万元）", "项目资金 (元)", "年初预算数", "全年预算数", "调整后预算数", "全年执行数",
          "分值", "执行率", "执行率(%)", "得分", "年度资金总额", "其中：当年财政拨款", "本年财政拨款",
          "上年结转资金", "其他资金", "年度总体目标", "预期目标", "实际完成情况", "绩效指标",
          "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "偏差原因分析及改进措施",
          "指标性质", "度量单位", "产出指标", "数量指标", "效益指标", "满意度指标", "总分",
          "评分等级", "优", "差", "达成指标", "≥95%", "=100", "九千", "—", "9,000", "１２",
          "<p>x</p>", "=SUM(A1)", "\x07", "填报人："]
cells = st.one_of(
    st.none(), st.sampled_from(LABELS), st.text(max_size=12),
    st.integers(-10**6, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)


@st.composite
def grids(draw):
    height = draw(st.integers(0, 40))
    width = draw(st.integers(0, 12))
    rows = [draw(st.lists(cells, min_size=0, max_size=width)) for _ in range(height)]
    merged = draw(st.lists(st.tuples(st.integers(-2, 45), st.integers(-2, 14),
                                     st.integers(-2, 45), st.integers(-2, 14)), max_size=6))
    origin = draw(st.tuples(st.integers(0, 50), st.integers(0, 5)))
    return Grid(name=draw(st.sampled_from(["自评表", "Sheet1", "x"])), rows=rows,
                merged=merged, origin=origin)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=grids())
def test_random_grids_give_forms_or_nothing(grid):
    forms = find_forms(grid)
    assert isinstance(forms, list)
    for form in forms:
        # strict JSON: a NaN or infinity from the grid must not reach a record
        jsonschema.validate(json.loads(json.dumps(form.to_dict(), allow_nan=False)), SCHEMA)
        assert form.sheet == grid.name


@st.composite
def shuffled_real_form(draw):
    """A real form's rows (seed 004, first form) with rows dropped, swapped and padded."""
    rows = [
        ["财政项目支出绩效自评表"], ["(2024年度)"], ["项目名称", "市政府办公厅专项工作业务经费"],
        ["主管部门", "上海市人民政府办公厅", None, None, None, "实施单位", "上海市人民政府办公厅"],
        ["项目资金 (万元)", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率(%)", "得分"],
        [None, "年度资金总额", 409.9, 495.4, 492.92, 10, 99.49, 9.95],
        [None, "其中：当年财政拨款", 409.9, 495.4, 492.92, "—", 99.49, "—"],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
         "偏差原因分析及改进措施"],
        [None, "产出指标", "数量指标", "保障公务外出次数", "≥200(次)", "235次", 20, 20],
        [None, None, "质量指标", "年终预算执行率", "≥90(%)", "99.49%", 10, 10],
        ["总分", None, None, None, None, None, 100, 94.95],
    ]
    kept = draw(st.lists(st.sampled_from(range(len(rows))), max_size=len(rows) + 3))
    pad = draw(st.integers(0, 3))
    return Grid(name="自评表", rows=[[None] * pad + list(rows[i]) for i in kept],
                merged=draw(st.lists(st.tuples(st.integers(0, 14), st.integers(0, 12),
                                               st.integers(0, 14), st.integers(0, 12)),
                                     max_size=4)))


@settings(max_examples=300, deadline=None)
@given(grid=shuffled_real_form())
def test_broken_real_forms_never_raise(grid):
    for form in find_forms(grid):
        form.to_dict()

"""Test fixtures: forms other provinces really use, written as workbooks from the facts of
their published pages (names, figures, labels), filled consistently unless a test plants a
mistake.

- ``sichuan``: the province's budget system, 部门预算项目支出绩效自评表 (11 columns A–K):
  报表编号 above the title, a coded 项目名称, 实施单位 (盖章); funds under 预算执行情况(10分) with
  年度预算数(万元) | 年初预算 | 调整后预算数 | 预算执行数 | 预算执行率 | 权重 | 得分 | 原因 and rows
  总额, 其中:财政资金, 财政专户管理资金, 单位资金, 其他资金 (`/` in the sub-rows' 权重/得分);
  indicators under 绩效指标(90分) with 指标性质 | 指标值 | 度量单位 | 完成值 | 权重 | 得分 |
  未完成原因分析; a 合计 row; no 评分等级.
- ``yunnan``: the standard funds block and an indicator block with two header rows
  (绩效指标 / 年度指标值 merged over 一级/二级/三级 and 指标性质/指标值/度量单位), ``﹦`` operators.
- ``anhui``: the MOF 9-column layout (a WPS .xls re-saved as .xlsx) with 年度资金总额: (colon),
  其中:本年财政拨款, coded 主管部门/实施单位, 一级 labels carrying their points, and an unused
  二级 row with no 三级 indicator.

Each builder takes a ``form`` dict (``*_FORM`` below, copied and changed by tests) and writes
it with openpyxl, percentages as Excel stores a typed ``95%`` (0.95 in a %-formatted cell).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment

from seed_workbooks import equal_runs

PCT = "0.00%"


class _Sheet:
    def __init__(self, ws) -> None:
        self.ws = ws

    def put(self, r: int, c: int, value: Any, fmt: str | None = None) -> None:
        """1-based row, 0-based column (A = 0)."""
        if value is None:
            return
        cell = self.ws.cell(row=r, column=c + 1, value=value)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if fmt:
            cell.number_format = fmt
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # an operator typed as text, not a formula

    def merge(self, r1: int, c1: int, r2: int, c2: int, value: Any, fmt: str | None = None) -> None:
        if (r1, c1) != (r2, c2):
            self.ws.merge_cells(start_row=r1, start_column=c1 + 1, end_row=r2, end_column=c2 + 1)
        self.put(r1, c1, value, fmt)


def _merge_down(s: _Sheet, top: int, col: int, values: list[Any]) -> None:
    for a, b in equal_runs(values):
        s.merge(top + a, col, top + b, col, values[a])


# ------------------------------------------------------------------ Sichuan

SICHUAN_FORM: dict[str, Any] = {
    "report_no": "报表编号:510000_0013zp",
    "title": "部门预算项目支出绩效自评表(2023年度)",
    "project": "51000021R000000019951-工资性支出",
    "department": "青神县发展和改革局本级",
    "unit": "青神县发展和改革局",
    "goal": "严格执行相关政策，保障工资及时、足额发放或社保及时、足额缴纳，预算编制科学合理，减少结余资金。",
    "goal_actual": "全年工资及社保按月足额发放缴纳，未产生结余资金。",
    # label, 年初预算, 调整后预算数, 预算执行数, 预算执行率, 权重, 得分
    "funds": [
        ("总额", 238.93, 251.89, 251.89, 1.0, 10, 10),
        ("其中:财政资金", 238.93, 251.89, 251.89, 1.0, "/", "/"),
        ("财政专户管理资金", 0, 0, 0, 0, "/", "/"),
        ("单位资金", 0, 0, 0, 0, "/", "/"),
        ("其他资金", None, None, None, None, "/", "/"),
    ],
    # 一级, 二级, 三级, 指标性质, 指标值, 度量单位, 完成值, 权重, 得分, 未完成原因分析
    "indicators": [
        ("产出指标", "数量指标", "发放(缴纳)覆盖率", "=", 100, "%", 100, 20, 20, None),
        ("产出指标", "时效指标", "工资按月发放及时率", "≥", 95, "%", 100, 20, 20, None),
        ("产出指标", "经济成本指标", "人均工资性支出", "≤", 12.5, "万元/人", 12.1, 20, 20, None),
        ("效益指标", "社会效益指标", "足额保障率(参保率)", "=", 100, "%", 100, 20, 20, None),
        ("效益指标", "社会效益指标", "干部职工队伍稳定", "定性", "稳定", None, "稳定", 10, 10, None),
    ],
    "total_weight": 100,
    "total_score": 100,
}


def write_sichuan(path: str | Path, form: dict | None = None) -> Path:
    form = form or SICHUAN_FORM
    wb = Workbook()
    ws = wb.active
    ws.title = "部门预算项目支出绩效自评表"
    s = _Sheet(ws)
    s.put(1, 0, form["report_no"])
    s.merge(2, 0, 2, 10, form["title"])
    s.put(3, 0, "项目名称")
    s.merge(3, 1, 3, 10, form["project"])
    s.put(4, 0, "主管部门")
    s.merge(4, 1, 4, 4, form["department"])
    s.merge(4, 5, 4, 6, "实施单位 (盖章)")
    s.merge(4, 7, 4, 10, form["unit"])
    s.merge(5, 0, 8, 0, "项目基本情况")
    s.merge(5, 1, 5, 10, "1.项目年度目标完成情况")
    s.merge(6, 1, 6, 5, "项目年度目标")
    s.merge(6, 6, 6, 10, "年度目标完成情况")
    s.merge(7, 1, 7, 5, form["goal"])
    s.merge(7, 6, 7, 10, form["goal_actual"])
    s.merge(8, 1, 8, 2, "2.项目实施内容及过程概述")
    s.merge(8, 3, 8, 10, "按月核定工资及社保缴费基数，经财政国库集中支付发放。")
    f = 9
    n_funds = len(form["funds"])
    s.merge(f, 0, f + n_funds, 0, "预算执行情况(10分)")
    s.merge(f, 1, f, 2, "年度预算数(万元)")
    for i, label in enumerate(("年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分")):
        s.put(f, 3 + i, label)
    s.merge(f, 9, f, 10, "原因")
    for i, (label, *values) in enumerate(form["funds"], start=1):
        s.merge(f + i, 1, f + i, 2, label)
        for j, value in enumerate(values):
            s.put(f + i, 3 + j, value, PCT if j == 3 and value is not None else None)
    s.merge(f + 1, 9, f + n_funds, 10,
            "1.预算执行率=预算执行数/调整后预算数,预算执行率未达到90%的需说明原因(100字以内);"
            "2.年中发生预算调整的(追加或调减),应单独说明理由;3.其他资金包括:社会投入资金、银行贷款.")
    h = f + n_funds + 1
    indicators = form["indicators"]
    s.merge(h, 0, h + len(indicators), 0, "绩效指标(90分)")
    for i, label in enumerate(("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位",
                               "完成值", "权重", "得分", "未完成原因分析")):
        s.put(h, 1 + i, label)
    _merge_down(s, h + 1, 1, [ind[0] for ind in indicators])
    for a, b in equal_runs([(ind[0], ind[1]) for ind in indicators]):
        s.merge(h + 1 + a, 2, h + 1 + b, 2, indicators[a][1])
    for i, ind in enumerate(indicators, start=1):
        for j, value in enumerate(ind[2:], start=3):
            s.put(h + i, j, value)
    t = h + len(indicators) + 1
    s.merge(t, 0, t, 7, "合计")
    s.put(t, 8, form["total_weight"])
    s.put(t, 9, form["total_score"])
    s.put(t + 1, 0, "评价结论")
    s.merge(t + 1, 1, t + 1, 10, "项目自评总分100分，工资及社保按时足额发放。")
    s.put(t + 2, 0, "存在问题")
    s.merge(t + 2, 1, t + 2, 10, "无。")
    s.put(t + 3, 0, "改进措施")
    s.merge(t + 3, 1, t + 3, 10, "继续做好预算编制。")
    s.merge(t + 4, 0, t + 4, 4, "项目负责人:")
    s.merge(t + 4, 5, t + 4, 10, "财务负责人:")
    path = Path(path)
    wb.save(path)
    return path


# ------------------------------------------------------------------ the MOF blocks


def _standard_funds_and_goals(s: _Sheet, f: int, form: dict, goal_split: int, last_col: int) -> int:
    """The MOF fund block from row f (项目资金 merged down column A, labels in B, values from
    C, 执行率 in a %-formatted cell) and the goals below it; the indicator block's first row."""
    s.merge(f, 0, f + 4, 0, "项目资金 (万元)")
    for i, label in enumerate(("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")):
        s.put(f, 2 + i, label)
    for i, (label, *values) in enumerate(form["funds"], start=1):
        s.put(f + i, 1, label)
        for j, value in enumerate(values):
            s.put(f + i, 2 + j, value, PCT if j == 4 and value is not None else None)
    g = f + 5
    s.merge(g, 0, g + 1, 0, "年度总体目标")
    s.merge(g, 1, g, goal_split - 1, "预期目标")
    s.merge(g, goal_split, g, last_col, "实际完成情况")
    s.merge(g + 1, 1, g + 1, goal_split - 1, form["goal"])
    s.merge(g + 1, goal_split, g + 1, last_col, form["goal_actual"])
    return g + 2


# ------------------------------------------------------------------ Yunnan

YUNNAN_FORM: dict[str, Any] = {
    "title": "2020年度项目支出绩效自评表",
    "project": "2020年省级自然资源卫片执法补助经费支出绩效自评表",
    "department": "丽江市自然资源和规划局",
    "unit": "丽江市古城区自然资源局",
    # label, 年初预算数, 全年预算数, 全年执行数, 分值, 执行率, 得分
    "funds": [
        ("年度资金总额", 7.29, 7.29, 7.29, 10, 1.0, 10),
        ("其中:当年财政拨款", 7.29, 7.29, 7.29, None, 1.0, None),
        ("上年结转资金", None, None, None, None, None, None),
        ("其他资金", None, None, None, None, None, None),
    ],
    "goal": "自然资源卫片执法补助经费",
    "goal_actual": "自然资源卫片执法补助经费已全部用于卫片执法检查",
    # 一级, 二级, 三级, 指标性质, 指标值, 度量单位, 实际完成值, 分值, 得分, 偏差原因
    "indicators": [
        ("产出指标", "数量指标", "卫片执法补助经费", "﹦", 72890, "元", 72890, 10, 10, None),
        ("产出指标", "质量指标", "项目验收合格率", "﹦", 100, "%", 100, 20, 20, None),
        ("产出指标", "时效指标", "项目完成及时率", "﹦", 100, "%", 100, 20, 20, None),
        ("效益指标", "社会效益指标", "违法行为责停率", "≥", 95, "%", 95, 30, 30, None),
        ("满意度指标", "服务对象满意度指标", "满意度", "≥", 95, "%", 95, 10, 10, None),
    ],
    "total_weight": 100,
    "total_score": 100,
    "grade": "优",
}


def write_yunnan(path: str | Path, form: dict | None = None) -> Path:
    form = form or YUNNAN_FORM
    wb = Workbook()
    ws = wb.active
    ws.title = "自评表"
    s = _Sheet(ws)
    s.merge(1, 0, 1, 9, form["title"])
    s.put(2, 0, "项目名称")
    s.merge(2, 1, 2, 9, form["project"])
    s.put(3, 0, "主管部门")
    s.merge(3, 1, 3, 4, form["department"])
    s.put(3, 5, "实施单位")
    s.merge(3, 6, 3, 9, form["unit"])
    h = _standard_funds_and_goals(s, 4, form, goal_split=6, last_col=9)
    s.merge(h, 0, h, 2, "绩效指标")
    s.merge(h, 3, h, 5, "年度指标值")
    s.merge(h, 6, h + 1, 6, "实际完成值")
    s.merge(h, 7, h + 1, 7, "分值")
    s.merge(h, 8, h + 1, 8, "得分")
    s.merge(h, 9, h + 1, 9, "偏差原因分析及改进措施")
    for i, label in enumerate(("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位")):
        s.put(h + 1, i, label)
    indicators = form["indicators"]
    top = h + 2
    _merge_down(s, top, 0, [ind[0] for ind in indicators])
    for a, b in equal_runs([(ind[0], ind[1]) for ind in indicators]):
        s.merge(top + a, 1, top + b, 1, indicators[a][1])
    for i, ind in enumerate(indicators):
        for j, value in enumerate(ind[2:], start=2):
            s.put(top + i, j, value)
    t = top + len(indicators)
    s.merge(t, 0, t, 6, "总分")
    s.put(t, 7, form["total_weight"])
    s.put(t, 8, form["total_score"])
    if form.get("grade"):
        s.merge(t + 1, 0, t + 1, 7, "评分等级")
        s.put(t + 1, 8, form["grade"])
    path = Path(path)
    wb.save(path)
    return path


# ------------------------------------------------------------------ Anhui

ANHUI_FORM: dict[str, Any] = {
    "title": "项目支出绩效自评表",
    "year_line": "(2022年度)",
    "project": "委托业务项目",
    "department": "219-池州市贵池区棠溪镇人民政府",
    "unit": "219001-池州市贵池区棠溪镇人民政府",
    # label, 年初预算数, 全年预算数, 全年执行数, 分值, 执行率, 得分
    "funds": [
        ("年度资金总额:", 90, 89.974, 89.974, 10, 1.0, 10),
        ("其中:本年财政拨款", 90, 89.974, 89.974, None, None, None),
        ("上年结转资金", None, None, None, None, None, None),
        ("其他资金", None, None, None, None, None, None),
    ],
    "goal": "本项目共申请预算资金90万元，用于基建工程项目预算编制、审计和设计、规划、测绘。",
    "goal_actual": "本项目共完成预算资金89.97万元，各项委托业务均按计划完成。",
    # 一级, 二级, 三级, 年度指标值, 实际完成值, 分值, 得分, 偏差原因 (None 三级: unused row)
    "indicators": [
        ("产出指标(50分)", "数量指标", "基建工程委托业务项目数量", "≥50个", 50, 8, 8, None),
        ("产出指标(50分)", "质量指标", "委托业务报告合格率", "≥100百分比", 100, 8, 8, None),
        ("产出指标(50分)", "质量指标", "经费支出合规性", "严格执行相关制度规定", "达成预期指标", 8, 8, None),
        ("产出指标(50分)", "时效指标", "提交报告及时性", "在项目计划完成时间内完成", "达成预期指标", 8, 8, None),
        ("产出指标(50分)", "成本指标", "项目总成本", "≤90万元", 89.974, 8, 8, None),
        ("产出指标(50分)", "成本指标", "单项业务成本", "符合相关规定", "达成预期指标", 10, 10, None),
        ("效益指标(30分)", "社会效益指标", "对维护基建市场公平的影响程度", "效果明显", "达成预期指标", 10, 10, None),
        ("效益指标(30分)", "生态效益指标", "对控制基建项目成本影响程度", "效果明显", "达成预期指标", 10, 10, None),
        ("效益指标(30分)", "可持续影响指标", "对推动基建项目“四项制度”健全和落实的持续性影响", "效果明显",
         "达成预期指标", 10, 10, None),
        ("效益指标(30分)", "经济效益指标", None, None, None, None, None, None),
        ("满意度指标(10分)", "满意度指标", "公众满意度", "≥90%", 0.95, 10, 10, None),
    ],
    "total_weight": 100,
    "total_score": 100,
    "grade": "优",
}


def write_anhui(path: str | Path, form: dict | None = None) -> Path:
    form = form or ANHUI_FORM
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    s = _Sheet(ws)
    s.put(1, 0, "附件:")
    s.merge(2, 0, 2, 8, form["title"])
    s.merge(3, 0, 3, 8, form["year_line"])
    s.merge(4, 0, 4, 1, "项目名称")
    s.merge(4, 2, 4, 8, form["project"])
    s.merge(5, 0, 5, 1, "主管部门")
    s.merge(5, 2, 5, 4, form["department"])
    s.put(5, 5, "实施单位")
    s.merge(5, 6, 5, 8, form["unit"])
    h = _standard_funds_and_goals(s, 6, form, goal_split=5, last_col=8)
    indicators = form["indicators"]
    s.merge(h, 0, h + len(indicators), 0, "绩效指标")
    for i, label in enumerate(("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                               "偏差原因分析及改进措施")):
        s.put(h, 1 + i, label)
    top = h + 1
    _merge_down(s, top, 1, [ind[0] for ind in indicators])
    for a, b in equal_runs([(ind[0], ind[1]) for ind in indicators]):
        s.merge(top + a, 2, top + b, 2, indicators[a][1])
    for i, ind in enumerate(indicators):
        for j, value in enumerate(ind[2:], start=3):
            # a percent typed into 实际完成值 is stored as a fraction in a %-formatted cell
            pct = "0%" if j == 5 and isinstance(value, float) and value < 1 else None
            s.put(top + i, j, value, pct)
    t = top + len(indicators)
    s.merge(t, 0, t, 5, "总分")
    s.put(t, 6, form["total_weight"])
    s.put(t, 7, form["total_score"])
    s.merge(t + 1, 0, t + 1, 5, "评分等级")
    s.merge(t + 1, 6, t + 1, 8, form["grade"])
    path = Path(path)
    wb.save(path)
    return path


def changed(form: dict, **changes: Any) -> dict:
    """A deep copy of a form with top-level keys replaced."""
    new = copy.deepcopy(form)
    new.update(changes)
    return new

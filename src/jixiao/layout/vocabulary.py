"""What the labels of real forms say, mapped to the record's fields: data, not code paths.

Every spelling here was seen on a real form (a province's budget system, a central export,
a published PDF or web page). Matching is on the label's key (``labels.text_key``: no
spaces, half-width, no trailing colon, no bracketed part such as "(万元)" or "(50分)"), so
list each wording once, without those decorations. To read a new province's form, add
its wording to the right line; no code changes.
"""

from __future__ import annotations

#: header labels of the first form rows: field -> accepted keys
HEAD_LABELS = {
    "project": ("项目名称",),
    "department": ("主管部门", "主管部门及代码", "主管单位"),
    "unit": ("实施单位", "项目实施单位"),
}

#: a label whose next cell holds the form's year
YEAR_LABELS = ("年度", "所属年度", "项目年度", "预算年度", "评价年度", "自评年度")

#: fund block header: field -> accepted keys
FUND_HEADER = {
    "initial": ("年初预算数", "年初预算", "年初预算金额"),
    "budget": ("全年预算数", "调整后预算数", "全年预算", "调整后预算", "预算数"),
    "executed": ("全年执行数", "全年执行", "执行数", "实际执行数", "全年实际执行数",
                 "预算执行数"),
    "weight": ("分值", "权重", "执行率权重"),
    "rate_pct": ("执行率", "预算执行率"),
    "score": ("得分", "执行率得分"),
}

#: indicator block header: field -> accepted keys. "op" and "unit" are the separate
#: 指标性质 / 度量单位 columns of some provinces, folded into the target text;
#: "target_initial" (年初指标值) is the target only where no adjusted target column is
INDICATOR_HEADER = {
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "name": ("三级指标", "指标名称"),
    "op": ("指标性质", "指标方向"),
    "target": ("年度指标值", "指标值", "年度目标值", "目标值", "调整指标值", "调整后指标值"),
    "target_initial": ("年初指标值",),
    "unit": ("度量单位", "计量单位", "单位"),
    "actual": ("实际完成值", "全年实际完成值", "实际值", "完成值", "全年完成值", "全年实际值"),
    "weight": ("分值", "权重", "指标权重"),
    "score": ("得分", "指标得分"),
    "deviation": ("偏差原因分析及改进措施", "偏差原因分析", "偏差原因", "未完成原因分析",
                  "未完成原因分析及改进措施", "未完成原因", "原因"),
}

#: fund row labels -> field; a label names a row when it contains one of the keys, tried
#: in this order (财政专户管理资金 before 财政资金, 其中：当年财政拨款 before 其他)
FUND_ROW_KEYS = (
    ("total", ("资金总额", "年度资金总额", "合计", "总计", "总额")),
    ("special_account", ("财政专户管理资金", "财政专户")),
    ("unit_funds", ("单位资金", "单位自有资金")),
    ("current_year", ("财政拨款", "当年财政拨款", "本年财政拨款", "财政资金")),
    ("carryover", ("上年结转", "结转资金", "结转")),
    ("other", ("其他资金", "其他")),
)

#: the label beside the fund rows; the one that carries the money unit ("(万元)") says it
MONEY_LABELS = ("项目资金", "预算执行情况", "资金情况", "项目资金情况", "年度预算数")

#: the operator words of a 指标性质 column -> the operator; 定性/定量 say no operator
OPERATOR_WORDS = {
    "正向": "≥", "正向指标": "≥", "反向": "≤", "反向指标": "≤", ">=": "≥", "<=": "≤",
    "=": "=", "＝": "=", "﹦": "=", "≥": "≥", "≤": "≤", ">": ">", "<": "<",
    "大于等于": "≥", "小于等于": "≤", "等于": "=", "大于": ">", "小于": "<",
}
QUALITATIVE_WORDS = ("定性", "定量")

#: labels of the goals, totals, grade and footer rows
GOAL_EXPECTED = ("预期目标", "项目年度目标")
GOAL_ACTUAL = ("实际完成情况", "实际完成", "年度目标完成情况")
GOAL_LABELS = ("年度总体目标", "年度目标", "总体目标", "目标")
TOTAL_LABELS = ("总分", "合计")
GRADE_LABELS = ("评分等级", "等级", "自评等级", "绩效等级", "评定等级")
GRADE_KEYS = frozenset(GRADE_LABELS)
FOOTER_PREFIXES = ("填报人", "填表人", "审核人", "联系人", "负责人", "单位负责人", "填报日期",
                   "填表日期", "联系电话", "财务负责人", "项目负责人")
GRADES = ("优", "良", "中", "差")

# The indicator frameworks' names, both vintages, used to tell a 一级 from a
# 二级 when a PDF extraction shifted a row, and to place a 一级 printed mid-block.
LEVEL1_NAMES = frozenset({"产出指标", "效益指标", "满意度指标", "成本指标", "效果指标", "影响指标"})
LEVEL2_PARENTS = {
    "数量指标": ("产出指标",),
    "质量指标": ("产出指标",),
    "时效指标": ("产出指标",),
    "成本指标": ("产出指标", "成本指标"),
    # Sichuan's budget system lists the 2021 cost 二级 under 产出指标
    "经济成本指标": ("成本指标", "产出指标"),
    "社会成本指标": ("成本指标", "产出指标"),
    "生态环境成本指标": ("成本指标", "产出指标"),
    "经济效益指标": ("效益指标",),
    "社会效益指标": ("效益指标",),
    "生态效益指标": ("效益指标",),
    "可持续影响指标": ("效益指标",),
    "服务对象满意度指标": ("满意度指标",),
    # Anhui repeats the 一级 as its only 二级
    "满意度指标": ("满意度指标",),
}

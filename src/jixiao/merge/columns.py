"""The tables of a summary: their columns, Chinese headers and value kinds.

One definition serves every output (xlsx, csv, parquet, DataFrames), so the same column
has the same name and type everywhere. ``kind`` decides the number format in the
workbook and the Arrow type in Parquet:

- ``text``: text as the unit typed it (always written as text, never as a formula)
- ``int``: a whole number (year, counts, sheet row)
- ``amount``: money, ``#,##0.00``
- ``rate``: a percentage as a number (97.85 for 97.85 %), ``0.00``
- ``score``: weights and scores, ``0.00``
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"
    #: column width in the workbook (characters); None: from the kind
    width: float | None = None


def _cols(*spec: tuple) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in spec)


#: What a reader needs on paper comes first, up to 重复提交 (the workbook's print area):
#: who, what, the money in one unit (万元, so that a column sums), the recomputed results
#: and the count of problems. The figures as filed (in the form's own unit) follow.
PROJECT_COLUMNS = _cols(
    ("year", "年度", "int", 6),
    ("department", "主管部门", "text", 18),
    ("unit", "实施单位", "text", 20),
    ("project", "项目名称", "text", 28),
    ("initial_wan", "年初预算数（万元）", "amount"),
    ("budget_wan", "全年预算数（万元）", "amount"),
    ("executed_wan", "全年执行数（万元）", "amount"),
    ("rate", "执行率%（复核）", "rate"),
    ("fund_score", "资金得分（复核）", "score"),
    ("total_score", "总分（复核）", "score"),
    ("grade", "等级（复核）", "text", 8),
    ("errors", "错误数", "int", 6),
    ("warnings", "警告数", "int", 6),
    ("infos", "提示数", "int", 6),
    ("duplicate", "重复提交", "text", 8),
    ("money_unit", "金额单位", "text", 6),
    ("initial", "年初预算数", "amount"),
    ("budget", "全年预算数", "amount"),
    ("executed", "全年执行数", "amount"),
    ("rate_declared", "执行率%（填报）", "rate"),
    ("fund_score_declared", "资金得分（填报）", "score"),
    ("total_weight", "总分值（复核）", "score"),
    ("total_score_declared", "总分（填报）", "score"),
    ("grade_declared", "等级（填报）", "text", 6),
    ("indicators", "指标数", "int", 6),
    ("profile", "评价方案", "text", 10),
    ("form_id", "表单编号", "text", 18),
    ("file", "文件", "text", 40),
    ("sheet", "工作表", "text", 14),
    ("anchor", "位置", "text", 6),
)

INDICATOR_COLUMNS = _cols(
    ("year", "年度", "int", 7),
    ("unit", "实施单位", "text", 26),
    ("project", "项目名称", "text", 30),
    ("level1", "一级指标", "text", 12),
    ("level2", "二级指标", "text", 14),
    ("name", "三级指标", "text", 28),
    ("target", "年度指标值", "text", 16),
    ("actual", "实际完成值", "text", 16),
    ("target_op", "指标值运算符", "text", 8),
    ("target_value", "指标数值", "score"),
    ("target_unit", "指标单位", "text", 10),
    ("actual_value", "实际数值", "score"),
    ("actual_unit", "实际单位", "text", 10),
    ("band", "完成档次", "text", 10),
    ("weight", "分值", "score"),
    ("score", "得分", "score"),
    ("reference_low", "参考得分（下限）", "score"),
    ("reference_high", "参考得分（上限）", "score"),
    ("met", "是否达成", "text", 8),
    ("deviation", "偏差原因分析及改进措施", "text", 36),
    ("file", "文件", "text", 40),
    ("sheet", "工作表", "text", 14),
    ("row", "行号", "int", 6),
)

FINDING_COLUMNS = _cols(
    ("file", "文件", "text", 40),
    ("sheet", "工作表", "text", 14),
    ("cell", "单元格", "text", 8),
    ("code", "代码", "text", 6),
    ("severity", "级别", "text", 6),
    ("message", "问题说明", "text", 60),
    ("expected", "应为", "text", 14),
    ("found", "实际", "text", 14),
    ("unit", "实施单位", "text", 26),
    ("project", "项目名称", "text", 30),
)

UNREADABLE_COLUMNS = _cols(
    ("file", "文件", "text", 50),
    ("code", "代码", "text", 6),
    ("reason", "原因", "text", 80),
)

SUBMISSION_COLUMNS = _cols(
    ("form_id", "表单编号", "text", 18),
    ("year", "年度", "text", 7),
    ("department", "主管部门", "text", 22),
    ("unit", "实施单位", "text", 26),
    ("project", "项目名称", "text", 36),
    ("status", "状态", "text", 8),
    ("distributed_file", "分发文件", "text", 30),
    ("returned_file", "提交文件", "text", 40),
    ("sheet", "工作表", "text", 14),
)

UNIT_SUBMISSION_COLUMNS = _cols(
    ("unit", "实施单位", "text", 26),
    ("distributed", "分发份数", "int", 9),
    ("returned", "已提交", "int", 8),
    ("missing", "未提交", "int", 8),
    ("extra", "多余", "int", 8),
)

#: table name -> (sheet title, columns); the order is the order of the workbook's sheets
TABLES = {
    "projects": ("项目汇总", PROJECT_COLUMNS),
    "indicators": ("指标明细", INDICATOR_COLUMNS),
    "findings": ("问题清单", FINDING_COLUMNS),
    "unreadable": ("未读取文件", UNREADABLE_COLUMNS),
    "submissions": ("报送情况", SUBMISSION_COLUMNS),
}


def _row_type(name: str, columns: tuple[Column, ...]) -> type:
    return namedtuple(name, [c.key for c in columns], module=__name__)


#: A row of a table whose fields decisions across files read or change, named by the
#: column keys. ``FindingRow.severity`` is the severity's key ("error"); its Chinese label
#: is put in when the row is written out. Indicator rows stay plain tuples: they are
#: nine rows in ten, nothing decides on them, and named tuples pickle several times slower.
ProjectRow = _row_type("ProjectRow", PROJECT_COLUMNS)
FindingRow = _row_type("FindingRow", FINDING_COLUMNS)
UnreadableRow = _row_type("UnreadableRow", UNREADABLE_COLUMNS)


def index_of(columns: tuple[Column, ...], key: str) -> int:
    return next(i for i, c in enumerate(columns) if c.key == key)

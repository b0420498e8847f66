"""Fund block checks (F01–F08): 年度资金总额 and its three sources."""

from __future__ import annotations

import math
from typing import Iterator

from jixiao.checks.registry import EPSILON, CheckContext, Example, Hit, check, score_tolerance
from jixiao.model import FIELD_LABELS, FormRecord, FundRow
from jixiao.scoring import fund_budget_executed, round2
from jixiao.values import format_number

AMOUNT_FIELDS = ("initial", "budget", "executed")


def format_amount(value: float, unit: str | None = None) -> str:
    """153200.0 -> "153,200"; 17095328.2 -> "17,095,328.2"; with the money unit if known."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".") if not float(value).is_integer() \
        else f"{int(value):,}"
    return f"{text} {unit}" if unit else text


def _amount(form: FormRecord, value: float) -> str:
    return format_amount(value, form.money_unit)


def _source_rows(form: FormRecord) -> list[FundRow]:
    return [row for _, row in form.funds.sources()]


def _trunc2(x: float) -> float:
    # The habit of printing 99.686 % as 99.68: cut, don't round (small slack for float noise).
    return math.floor(x * 100 + 1e-7) / 100


def _close_to_either(declared: float, exact: float, tolerance: float) -> bool:
    """Declared matches the exact value rounded or truncated to 2 decimals, within tolerance."""
    slack = tolerance + EPSILON
    return abs(declared - round2(exact)) <= slack or abs(declared - _trunc2(exact)) <= slack


@check(
    "F01", "error", "执行率超过100%（全年执行数大于全年预算数）",
    explanation=(
        "全年执行数不应超过全年预算数：超支说明预算调整未入账，或执行数填错（多填一位、"
        "单位错用元/万元）。请核对全年预算数与全年执行数，如确有追加预算，应填调整后的全年预算数。"
    ),
    bad="全年预算数 19,200 元，全年执行数 153,200 元（执行率 797.92%）"
        "——实例：闵行区行政服务中心 2022 年度《上海市闵行区“一网通办”配套系统(2022运维)》",
    good="全年预算数 9,000 元，全年执行数 9,000 元（执行率 100%）——实例：闵行区行政服务中心 2022 年度《法律顾问费》",
    example=Example({'E7': 999}, (('F01', 'E6'),)),
)
def execution_over_budget(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    budget, executed = fund_budget_executed(form)
    if budget and executed is not None and executed - budget > ctx.profile.tolerances.amount:
        rate = ctx.recomputed.fund_rate_pct
        yield Hit(
            f"全年执行数 {_amount(form, executed)} 超过全年预算数 {_amount(form, budget)}，"
            f"执行率 {rate:.2f}% 超过 100%",
            cell=form.funds.total.cells.get("executed"),
            expected=f"≤ {format_amount(budget)}",
            found=executed,
        )


@check(
    "F02", "error", "填报的执行率与“全年执行数 ÷ 全年预算数”不符",
    explanation=(
        "执行率必须等于全年执行数除以全年预算数。填报的执行率与金额对不上，"
        "说明金额或执行率有一处填错（常见：改了金额没改执行率，或用了年初预算数计算）。"
        "按四舍五入或截断到两位小数的写法都可接受（如 99.686% 写 99.68% 或 99.69%）。"
        "请以全年执行数 ÷ 全年预算数重新计算。"
    ),
    bad="全年预算数 1,000,000 元，全年执行数 306,576 元，执行率却填 85.16%"
        "（按全年预算数 360,000 元算的执行率）",
    good="全年预算数 360,000 元，全年执行数 306,576 元，执行率 85.16%——实例：闵行区行政服务中心 2022 年度《停车费》",
    example=Example({'G6': 0.5}, (('F02', 'G6'), ('R05', 'G6'))),
)
def declared_rate_mismatch(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    tolerance = ctx.profile.tolerances.rate_pct
    for row_name, row in form.funds.rows():
        if row_name == "total":
            budget, executed = fund_budget_executed(form)
        else:
            budget, executed = row.budget, row.executed
        if row.rate_pct is None or not budget or executed is None:
            continue
        exact = executed / budget * 100
        if not _close_to_either(row.rate_pct, exact, tolerance):
            yield Hit(
                f"{FIELD_LABELS[row_name]}的执行率填报 {format_number(row.rate_pct)}%，"
                f"按全年执行数 {_amount(form, executed)} ÷ 全年预算数 {_amount(form, budget)} "
                f"应为 {round2(exact):.2f}%",
                cell=row.cells.get("rate_pct"), expected=round2(exact), found=row.rate_pct)


@check(
    "F03", "error", "资金得分与“分值 × min(执行率, 100%)”不符",
    explanation=(
        "预算执行率得分 = 分值 × 执行率，执行率超过 100% 按 100% 计，保留两位小数。"
        "四舍五入或截断的写法都可接受（9.905 写 9.90 或 9.91；8.397 写 8.40）。"
        "得分与金额对不上，会使总分和评分等级跟着出错。请按公式重新计算资金得分。"
    ),
    bad="分值 10，全年预算数 206.51 万元，全年执行数 171.84 万元（执行率 83.21%），得分却填 10",
    good="同样的金额得分填 8.32——实例：上海市政府办公厅 2024 年度《“一网通办”工作经费》",
    example=Example({'H6': 10}, (('F03', 'H6'), ('R05', 'H6'))),
)
def declared_fund_score_mismatch(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    total = form.funds.total
    if total.score is None:
        return
    budget, executed = fund_budget_executed(form)
    weight = total.weight if total.weight is not None else (
        ctx.profile.fund_weight if form.funds.present else 0.0)
    if budget and executed is not None:
        exact = weight * max(min(executed / budget, 1.0), 0.0)
        how = f"分值 {format_number(weight)} × 执行率 {ctx.recomputed.fund_rate_pct:.2f}%"
    elif not budget and not executed:
        exact, how = 0.0, "全年预算数为 0，资金得分应为 0"
    else:
        return  # executed without a budget: F07 says so
    if not _close_to_either(total.score, exact, score_tolerance(form, ctx.profile)):
        yield Hit(f"资金得分填报 {format_number(total.score)}，按{how}应为 {round2(exact):.2f}",
                  cell=total.cells.get("score"), expected=round2(exact), found=total.score)


@check(
    "F04", "error", "各资金来源之和不等于年度资金总额",
    explanation=(
        "年度资金总额 = 当年财政拨款 + 上年结转资金 + 其他资金，年初预算数、全年预算数、"
        "全年执行数三栏都应如此。对不上说明总额或某个来源填错，汇总各来源资金时会出现差额。"
        "请逐栏核对，使三个来源之和等于总额。"
    ),
    bad="年度资金总额全年预算数 19,200 元，而其中当年财政拨款全年预算数 153,600 元"
        "——实例：闵行区行政服务中心 2022 年度《上海市闵行区“一网通办”配套系统(2022运维)》",
    good="年度资金总额全年预算数 409.90 万元，当年财政拨款 409.90 万元，其他来源为空"
         "——实例：上海市政府办公厅 2024 年度《市政府办公厅专项工作业务经费》",
    example=Example({'E6': 1}, (('F04', 'E6'), ('R05', 'E6'))),
)
def sources_do_not_add_up(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    total = form.funds.total
    sources = _source_rows(form)
    for name in AMOUNT_FIELDS:
        declared = getattr(total, name)
        values = [getattr(row, name) for row in sources]
        if declared is None or not any(values):
            continue  # nothing to add up, or nothing but zeros: F05
        summed = sum(v for v in values if v is not None)
        if abs(summed - declared) > ctx.profile.tolerances.amount + EPSILON:
            label = FIELD_LABELS[name]
            yield Hit(
                f"{label}：年度资金总额 {_amount(form, declared)}，但当年财政拨款、上年结转资金、"
                f"其他资金合计 {_amount(form, summed)}，相差 {_amount(form, abs(summed - declared))}",
                cell=total.cells.get(name), expected=summed, found=declared)


@check(
    "F05", "warning", "年度资金总额有数，但资金来源各行为空或全为0",
    explanation=(
        "自评表要求按当年财政拨款、上年结转资金、其他资金分列资金来源。"
        "总额有数而来源各行空白或全填 0，汇总时就无法按来源统计，也无从核对总额。"
        "请把总额按实际来源拆分填入各行（没有的来源填 0 或留空）。"
    ),
    bad="年度资金总额年初预算数 18,000 元、全年预算数 9,000 元、全年执行数 9,000 元，"
        "当年财政拨款等三行全为 0 或空——实例：闵行区行政服务中心 2022 年度《法律顾问费》",
    good="年度资金总额全年预算数 495.40 万元，当年财政拨款 495.40 万元——"
         "实例：上海市政府办公厅 2024 年度《市政府办公厅专项工作业务经费》",
)
def sources_left_empty(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    total = form.funds.total
    sources = _source_rows(form)
    if any(row.unparsed for row in sources):
        return  # the amounts are there, as text: R04 names them
    empty_columns = [name for name in AMOUNT_FIELDS
                     if getattr(total, name) and not any(getattr(row, name) for row in sources)]
    if not empty_columns:
        return
    figures = "、".join(f"{FIELD_LABELS[name]} {_amount(form, getattr(total, name))}"
                        for name in empty_columns)
    first = empty_columns[0]
    yield Hit(
        f"年度资金总额的{figures}，但当年财政拨款、上年结转资金、其他资金各行为空或全为 0，"
        "请按资金来源拆分填写",
        cell=form.funds.current_year.cells.get(first) or total.cells.get(first),
        expected=f"各来源合计：{figures}", found="空或0")


@check(
    "F06", "error", "金额为负数",
    explanation=(
        "预算数和执行数不会是负数；负数通常是把减少额、退回额或差额误填进来。"
        "请填写实际的预算数和执行数（发生退回的，填退回后的净执行数）。"
    ),
    bad="其他资金全年执行数填 -5,000",
    good="其他资金全年执行数填 0 或实际支出数",
    example=Example({'E7': -5}, (('F06', 'E7'),)),
)
def negative_amount(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    for row_name, row in form.funds.rows():
        for name in AMOUNT_FIELDS:
            value = getattr(row, name)
            if value is not None and value < 0:
                yield Hit(f"{FIELD_LABELS[row_name]}的{FIELD_LABELS[name]}为负数 "
                          f"{_amount(form, value)}", cell=row.cells.get(name),
                          expected="≥ 0", found=value)


@check(
    "F07", "error", "全年预算数为0或为空，却有全年执行数",
    explanation=(
        "没有预算就不应有支出：全年预算数为 0 或空而执行数不为 0，执行率无法计算，"
        "资金得分按 0 计。多半是漏填了（调整后的）全年预算数，或把执行数填到了别的来源行。"
        "请补填全年预算数，或把执行数移到正确的资金来源行。"
    ),
    bad="上年结转资金全年预算数为 0，全年执行数却填 12,000 元",
    good="全年预算数 0、全年执行数 0——实例：闵行区行政服务中心 2022 年度《立功竞赛》（项目取消）",
)
def executed_without_budget(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    budget, executed = fund_budget_executed(form)
    rows: list[tuple[str, FundRow, float | None, float | None]] = [
        ("total", form.funds.total, budget, executed)]
    rows += [(name, row, row.budget, row.executed) for name, row in form.funds.sources()]
    for row_name, row, row_budget, row_executed in rows:
        if not row_budget and row_executed and abs(row_executed) > EPSILON:
            shown = "为空" if row_budget is None else "为 0"
            yield Hit(f"{FIELD_LABELS[row_name]}的全年预算数{shown}，全年执行数却为 "
                      f"{_amount(form, row_executed)}",
                      cell=row.cells.get("budget"), expected="> 0", found=row_budget)


@check(
    "F08", "warning", "资金分值不是10分",
    explanation=(
        "按财预〔2020〕10号自评表，预算执行率的分值为 10 分，其余 90 分分配给绩效指标。"
        "改动这一分值会使各单位的得分失去可比性。请把年度资金总额一行的分值填为 10，"
        "并相应调整绩效指标的分值使总分为 100。"
    ),
    bad="年度资金总额分值填 20，绩效指标分值合计 80",
    good="年度资金总额分值 10——实例：上海市政府办公厅、闵行区行政服务中心公开的全部自评表",
)
def fund_weight_not_default(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    weight = form.funds.total.weight
    expected = ctx.profile.fund_weight
    if weight is not None and abs(weight - expected) > EPSILON:
        yield Hit(f"预算执行率的分值填为 {format_number(weight)}，应为 {format_number(expected)}",
                  cell=form.funds.total.cells.get("weight"), expected=expected, found=weight)


@check(
    "F09", "warning", "自评表没有资金（预算执行）部分",
    explanation=(
        "自评表应列出年度资金总额及其来源的年初预算数、全年预算数、全年执行数，并按执行率"
        "计算资金得分（通常 10 分）。没有这一部分，执行率和资金得分都无法计算，总分只含"
        "绩效指标得分。请补填资金各行；本工具不会替这张表假设资金分值。"
    ),
    bad="中央项目库导出的自评表只有“项目资金（万元）”表头，下面没有年度资金总额等行"
        "——实例：2019年《青少年校园足球扶持资金》自评表",
    good="年度资金总额、其中：当年财政拨款、上年结转资金、其他资金各行都有数"
         "——实例：上海市政府办公厅 2024 年度各表",
)
def fund_block_missing(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    if not form.funds.present:
        yield Hit("表中没有资金（年度资金总额及其来源）各行，无法计算执行率和资金得分，"
                  "总分只计绩效指标", cell=form.cells.get("funds"), expected="资金各行",
                  found=None)

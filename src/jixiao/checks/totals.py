"""Totals checks (T01–T04): 总分, 评分等级 and the split of the weights."""

from __future__ import annotations

from typing import Iterator

from jixiao.checks.indicators import indicator_rows
from jixiao.checks.registry import EPSILON, CheckContext, Example, Hit, check, score_tolerance
from jixiao.model import FormRecord
from jixiao.scoring import round2
from jixiao.values import format_number

TOTAL_WEIGHT = 100.0
#: a 一级 whose weights differ from the profile's default by more than this is reported
#: (T04). 10 points lets a form put 成本指标 under 产出指标 (40 + 10) without a finding.
FAR_FROM_DEFAULT = 10.0


@check(
    "T01", "error", "总分值不等于100",
    explanation=(
        "资金分值（10 分）加上全部三级指标的分值必须正好是 100 分，否则总分和评分等级"
        "无法与其他项目比较。请调整各项指标的分值，使合计为 100，并在总分一栏填 100。"
    ),
    bad="资金分值 10，各项指标分值合计 85，总分分值 95",
    good="资金分值 10，指标分值 20+10+10+15+15+5+15，总分分值 100"
         "——实例：上海市政府办公厅 2024 年度《市政府办公厅专项工作业务经费》",
)
def total_weight_not_100(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    tolerance = score_tolerance(form, ctx.profile)
    declared, summed = form.total_weight, ctx.recomputed.total_weight
    cell = form.cells.get("total_weight")
    summed_text = f"资金分值与各项指标分值合计为 {format_number(summed)}"
    if declared is not None and abs(declared - TOTAL_WEIGHT) > tolerance + EPSILON:
        note = "" if abs(summed - declared) <= tolerance + EPSILON else f"（{summed_text}）"
        yield Hit(f"总分的分值填为 {format_number(declared)}，应为 100{note}",
                  cell=cell, expected=TOTAL_WEIGHT, found=declared)
    elif abs(summed - TOTAL_WEIGHT) > tolerance + EPSILON:
        note = "，总分栏却填 100" if declared is not None else ""
        yield Hit(f"{summed_text}，不是 100{note}，请调整各项指标的分值",
                  cell=cell, expected=TOTAL_WEIGHT, found=summed)


@check(
    "T02", "error", "总分不等于资金得分加各项指标得分",
    explanation=(
        "总分 = 预算执行率得分 + 各项三级指标得分之和。填报的总分对不上，"
        "通常是改了某项得分忘了改总分，或手工合计出错；评分等级也会跟着错。"
        "请重新合计，或保留模板中的求和公式。"
    ),
    bad="资金得分 8.32，指标得分合计 74.5，总分却填 84.82",
    good="资金得分 8.32，指标得分 10+10+15+10+7.5+2+10+10，总分 82.82"
         "——实例：上海市政府办公厅 2024 年度《“一网通办”工作经费》",
    example=Example({'H20': 50}, (('R05', 'H20'), ('T02', 'H20'))),
)
def total_score_mismatch(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    declared = form.total_score
    if declared is None:
        return
    fund = form.funds.total.score
    fund_note = "资金得分" if fund is not None else "资金得分（按金额重新计算）"
    if fund is None:
        fund = ctx.recomputed.fund_score
    indicators = sum(i.score for i in form.indicators if i.score is not None)
    expected = round2(fund + indicators)
    if abs(declared - expected) > score_tolerance(form, ctx.profile) + EPSILON:
        yield Hit(f"总分填报 {format_number(declared)}，{fund_note} {format_number(fund)} "
                  f"加各项指标得分 {format_number(round2(indicators))} 应为 "
                  f"{format_number(expected)}",
                  cell=form.cells.get("total_score"), expected=expected, found=declared)


@check(
    "T03", "error", "评分等级与重新计算的总分不符",
    explanation=(
        "评分等级按总分确定：优 ≥ 90 分，良 80–90 分，中 60–80 分，差 < 60 分"
        "（以评价方案为准）。等级与按金额和各项得分重新算出的总分不符，"
        "可能是等级填错，也可能是资金得分或总分算错。请核对总分后按分档填写等级。"
    ),
    bad="重新计算的总分 88.09，评分等级却填“优”",
    good="总分 94.95，评分等级“优”",
    example=Example({'H21': '差'}, (('R05', 'H21'), ('T03', 'H21'))),
)
def grade_mismatch(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    declared = (form.grade or "").strip()
    expected = ctx.recomputed.grade
    if _scores_unreadable(form):
        return  # R04 says which score is text; a total without it grades nothing
    if declared and expected and declared != expected:
        yield Hit(f"评分等级填“{declared}”，按重新计算的总分 "
                  f"{format_number(ctx.recomputed.total_score)} 应为“{expected}”",
                  cell=form.cells.get("grade"), expected=expected, found=declared)


def _scores_unreadable(form: FormRecord) -> bool:
    return bool(form.funds.total.unparsed) or any(
        "score" in ind.unparsed or "weight" in ind.unparsed for ind in form.indicators)


@check(
    "T04", "info", "一级指标分值分配与评价方案的默认分配相差较大",
    explanation=(
        "财预〔2020〕10号建议的分值分配为：预算执行率 10、产出指标 50、效益指标 30、"
        "满意度指标 10（各评价方案略有不同）。单位可以有理由地调整，但某类指标的分值"
        "与默认分配相差超过 10 分时，请确认分配是否合理，并在说明中写明理由。"
    ),
    bad="产出指标合计 70 分，效益指标 10 分，满意度指标 10 分（默认 40/30/10）",
    good="产出指标 40 分，效益指标 35 分，满意度指标 15 分"
         "——实例：上海市政府办公厅 2024 年度《市政府办公厅专项工作业务经费》",
)
def level1_weights_far_from_default(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    defaults = ctx.profile.default_weights
    sums: dict[str, float] = {}
    first_cell: dict[str, str | None] = {}
    for row in indicator_rows(form, ctx):
        indicator, category = row.indicator, row.category
        if category is None or indicator.weight is None:
            continue
        sums[category] = sums.get(category, 0.0) + indicator.weight
        first_cell.setdefault(category, indicator.cells.get("level1"))
    for category, total in sums.items():
        default = defaults.get(category)
        if default is not None and abs(total - default) > FAR_FROM_DEFAULT + EPSILON:
            yield Hit(f"“{category}”分值合计 {format_number(round2(total))}，评价方案"
                      f"“{ctx.profile.name}”默认 {format_number(default)}，"
                      f"相差 {format_number(round2(abs(total - default)))} 分",
                      cell=first_cell[category], expected=default, found=round2(total))

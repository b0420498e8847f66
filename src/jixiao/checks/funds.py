"""Fund block checks (F01–F08)."""

from __future__ import annotations

from typing import Iterator

from jixiao.checks.registry import CheckContext, Hit, check
from jixiao.model import FormRecord
from jixiao.scoring import fund_budget_executed
from jixiao.values import format_number


@check(
    "F01", "error", "执行率超过100%（全年执行数大于全年预算数）",
    explanation=(
        "全年执行数不应超过全年预算数：超支说明预算调整未入账，或执行数填错（多填一位、"
        "单位错用元/万元）。请核对全年预算数与全年执行数，如确有追加预算，应填调整后的全年预算数。"
    ),
    bad="全年预算数 19,200 元，全年执行数 153,200 元（执行率 797.92%）",
    good="全年预算数 9,000 元，全年执行数 9,000 元（执行率 100%）",
)
def execution_over_budget(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    budget, executed = fund_budget_executed(form)
    if budget and executed is not None and executed - budget > ctx.profile.tolerances.amount:
        rate = ctx.recomputed.fund_rate_pct
        yield Hit(
            f"全年执行数 {format_number(executed)} 超过全年预算数 {format_number(budget)}，"
            f"执行率 {rate:.2f}% 超过 100%",
            cell=form.funds.total.cells.get("executed"),
            expected=f"≤ {format_number(budget)}",
            found=executed,
        )

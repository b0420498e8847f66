"""Indicator checks (I01–I14): each 三级指标 row, and the indicator block as a whole.

Decisions a reader of the findings should know:
- I05/I06/I08 compare the declared score with the reference score of docs/FORM.md §3
  (``scoring.reference_score``). A gap already reported as I05 (not met, full score) or
  I06 (met, reduced, no explanation) is not repeated as I08. I08 compares quantitative
  indicators only: a text actual equal to its target has no measure to compare with.
  An actual copied from the target ("=95%", I14) is not compared at all.
- I05 also reports a free-text actual that plainly says nothing was achieved (target
  通过, actual 无; 尚未完成…) with a full score.
- I09 does not report a zero actual against a "≤"/"<" target (0 errors against ≤ 5 %
  is the goal, not a sign of a target set too low).
- I07 accepts 部分达成 from 60 % to 80 % of the weight, both ends included (docs/CHECKS.md):
  a unit giving 8 of 10 for 部分达成 is within its discretion.
- I10 reports two units that differ (元/张 vs 张, 万 vs 亿次). A unit written on one side
  only is taken as implied by the other ("1项" / "1", "≥90" / "92%"): real forms omit it
  all the time and the figures still compare. A free-text target that ends in a number
  and a unit ("365天*24小时/年") is compared by that trailing unit.
- I11 accepts a name with or without the trailing 指标 ("满意度" for 满意度指标), and a
  二级 under any 一级 the profile allows it under (成本指标 under 产出指标 and as its own
  一级 in the shanghai profile).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterator

from jixiao.checks.registry import EPSILON, CheckContext, Example, Hit, check, score_tolerance
from jixiao.checks.taxonomy import Taxonomy, taxonomy_of
from jixiao.model import FormRecord, Indicator
from jixiao.profiles import Profile
from jixiao.scoring import QUALITATIVE_BANDS, Reference, reference_score
from jixiao.values import (FreeText, Measure, Quantity, format_number, normalize_label,
                           parse_measure)

BAND_LABELS = {"met": "达成指标", "partial": "部分达成指标", "unmet": "未达成指标"}


def indicator_label(indicator: Indicator, position: int) -> str:
    """指标“保障公务外出次数”, or 第3项指标 when the row has no name."""
    return f"指标“{indicator.name}”" if indicator.name else f"第{position}项指标"


class Row:
    """One indicator with what the checks ask of it, worked out once per form."""

    __slots__ = ("indicator", "position", "actual", "reference", "copied_target",
                 "scored_reference", "level1", "level2", "category")

    def __init__(self, indicator: Indicator, position: int, profile: Profile,
                 tax: Taxonomy) -> None:
        self.indicator = indicator
        self.position = position
        self.actual: Measure | None = parse_measure(indicator.actual)
        #: the reference score of docs/FORM.md §3, None without a weight or a measured actual
        self.reference: Reference | None = reference_score(indicator, profile)
        #: the actual is written like a target ("=95%"): it states no result (I14)
        self.copied_target = isinstance(self.actual, Quantity) and self.actual.explicit_op
        ref = self.reference
        # The reference of a quantitative or same-text indicator with a declared score;
        # None for an actual copied from the target: comparing it would only echo I14.
        self.scored_reference = ref if (
            ref is not None and ref.kind != "qualitative" and indicator.score is not None
            and indicator.weight and not self.copied_target) else None
        self.level1, self.level2, self.category = tax.place(indicator.level1, indicator.level2)

    @property
    def label(self) -> str:
        return indicator_label(self.indicator, self.position)


def indicator_rows(form: FormRecord, ctx: CheckContext) -> list[Row]:
    """Every indicator of the form with its measures, reference score and category."""

    def rows() -> list[Row]:
        tax = taxonomy_of(ctx.profile)
        return [Row(indicator, position, ctx.profile, tax)
                for position, indicator in enumerate(form.indicators, start=1)]

    return ctx.memo(form, "indicator rows", rows)


def _reduced(indicator: Indicator, tolerance: float) -> bool:
    return (indicator.score is not None and indicator.weight is not None
            and indicator.score < indicator.weight - tolerance - EPSILON)


def _full(indicator: Indicator, tolerance: float) -> bool:
    return (indicator.score is not None and indicator.weight is not None
            and indicator.score >= indicator.weight - tolerance - EPSILON)


def _no_explanation(indicator: Indicator) -> bool:
    return not (indicator.deviation and indicator.deviation.strip())


#: free-text actuals that say plainly that nothing was achieved ("通过" → "无")
_NEGATIVE_ACTUAL = re.compile(r"^(无|否|没有|未通过|未完成|未实现|未开展|未达到)$|^尚未")


def _says_not_done(row: Row) -> bool:
    actual = row.actual
    if not isinstance(actual, FreeText):
        return False
    said = normalize_label(actual.text)
    # "无" against a target of "无" (no accident, no complaint) is the target met
    return bool(_NEGATIVE_ACTUAL.search(said)) and said != normalize_label(row.indicator.target)


def _is_i05(indicator: Indicator, ref: Reference, tolerance: float) -> bool:
    return ref.kind == "quantitative" and not ref.met and _full(indicator, tolerance)


def _is_i06(indicator: Indicator, ref: Reference, tolerance: float) -> bool:
    return ref.met and _reduced(indicator, tolerance) and _no_explanation(indicator)


def _num(value: float | None) -> str:
    return "空" if value is None else format_number(value)


@check(
    "I01", "error", "得分超过分值",
    explanation=(
        "每项指标的得分最高等于该项分值。得分超过分值会虚增总分，甚至改变评分等级。"
        "请把得分改为不超过分值的数值；确实超额完成的，也只能得满分。"
    ),
    bad="分值 10，得分填 12",
    good="分值 10，得分 10——实例：上海市政府办公厅 2024 年度《“上海发布”办公室工作经费》“全网粉丝数”",
    example=Example({'H13': 99}, (('I01', 'H13'),)),
)
def score_above_weight(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    tolerance = score_tolerance(form, ctx.profile)
    for position, indicator in enumerate(form.indicators, start=1):
        w, s = indicator.weight, indicator.score
        if w is not None and s is not None and s > w + tolerance + EPSILON:
            label = indicator_label(indicator, position)
            yield Hit(f"{label}得分 {_num(s)} 超过分值 {_num(w)}",
                      cell=indicator.cells.get("score"), expected=f"≤ {_num(w)}", found=s)


@check(
    "I02", "error", "分值为空或为0，或得分、分值为负数，或得分为空",
    explanation=(
        "每项三级指标都要有正的分值和不小于 0 的得分，总分才能按 100 分计算。"
        "分值为空或 0 的指标不起作用，负数无意义，得分为空说明漏评。"
        "请为每项指标填写分值（各项合计 90，加资金分值 10 为 100）并逐项打分。"
    ),
    bad="“年中预算执行率”分值为空，得分 10",
    good="“年中预算执行率”分值 20，得分 16——实例：上海市政府办公厅 2024 年度《市政府事项处理费及资料费》",
    example=Example({'H13': -1, 'I13': '说明'}, (('I02', 'H13'),)),
)
def weight_or_score_invalid(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    for position, indicator in enumerate(form.indicators, start=1):
        w, s = indicator.weight, indicator.score
        if w is not None and w > 0 and s is not None and s >= 0:
            continue
        label = indicator_label(indicator, position)
        if w is None and "weight" not in indicator.unparsed:
            yield Hit(f"{label}未填分值", cell=indicator.cells.get("weight"),
                      expected="> 0", found=None)
        elif w is not None and w <= 0:
            yield Hit(f"{label}分值为 {_num(w)}，应为正数", cell=indicator.cells.get("weight"),
                      expected="> 0", found=w)
        if s is None and "score" not in indicator.unparsed:
            yield Hit(f"{label}未填得分", cell=indicator.cells.get("score"),
                      expected="≥ 0", found=None)
        elif s is not None and s < 0:
            yield Hit(f"{label}得分为负数 {_num(s)}", cell=indicator.cells.get("score"),
                      expected="≥ 0", found=s)


@check(
    "I03", "error", "实际完成值为空",
    explanation=(
        "自评的依据是实际完成值与年度指标值的对比；实际完成值空着，得分就没有依据，"
        "审核也无法判断目标是否达成。请逐项填写实际完成的数量、比例或达成情况"
        "（定性指标填“达成指标”“部分达成指标并具有一定效果”或“未达成指标且效果较差”）。"
    ),
    bad="“重要法律合同审核率”年度指标值 100%（按实），实际完成值为空，得分 10"
        "——实例：闵行区行政服务中心 2022 年度《法律顾问费》",
    good="“保障公务外出次数”年度指标值 ≥200(次)，实际完成值 235次"
         "——实例：上海市政府办公厅 2024 年度《市政府办公厅专项工作业务经费》",
    example=Example({'F13': None}, (('I03', 'F13'),)),
)
def actual_empty(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    for position, indicator in enumerate(form.indicators, start=1):
        if not (indicator.actual and str(indicator.actual).strip()):
            label = indicator_label(indicator, position)
            yield Hit(f"{label}的实际完成值未填写（年度指标值：{indicator.target or '空'}）",
                      cell=indicator.cells.get("actual"), expected="实际完成值", found=None)


@check(
    "I04", "warning", "得分低于分值，但未填写偏差原因分析及改进措施",
    explanation=(
        "扣分说明目标没有完全实现，办法要求对偏差分析原因并提出改进措施。"
        "没有说明，主管部门无法判断扣分是否合理，也无从跟踪整改。"
        "请在“偏差原因分析及改进措施”栏写明未达标的原因和下一步措施。"
    ),
    bad="“年中预算执行率”≥50%，实际 40%，得分 16（分值 20），偏差原因为空",
    good="同一指标偏差原因填“部分业务工作较年度计划有所调整。”"
         "——实例：上海市政府办公厅 2024 年度《市政府事项处理费及资料费》",
    example=Example({'F13': '0次', 'H13': 0}, (('I04', 'I13'),)),  # missed, no 偏差原因 in I13
)
def shortfall_without_explanation(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    tolerance = score_tolerance(form, ctx.profile)
    for row in indicator_rows(form, ctx):
        indicator = row.indicator
        if not (_reduced(indicator, tolerance) and _no_explanation(indicator)):
            continue
        ref = row.scored_reference
        if ref is not None and ref.met:
            continue  # met but reduced: I06
        yield Hit(f"{row.label}得分 {_num(indicator.score)} 低于分值 {_num(indicator.weight)}，"
                  "但未填写偏差原因分析及改进措施",
                  cell=indicator.cells.get("deviation"), expected="偏差原因及改进措施",
                  found=None)


@check(
    "I05", "warning", "指标未达成却得满分",
    explanation=(
        "年度指标值没有完成，按评分规则应按完成比例扣分（如 ≥ 类指标按 实际值 ÷ 指标值 × 分值）。"
        "未达成而给满分，自评结果就失真了。请按实际完成情况扣分，并在偏差原因中说明。"
    ),
    bad="“通过第三方测评”年度指标值“通过”，实际完成值“无”，分值 2，得分 2"
        "——实例：闵行区行政服务中心 2022 年度《上海市闵行区政务服务收件流转管理系统一、二期(2022运维)》",
    good="“使用人员满意度”年度指标值 >=90%，实际完成值 88%，得分 9（分值 10），"
         "并写明偏差原因"
         "——实例：闵行区行政服务中心 2022 年度《政府投资计划1》",
    example=Example({'F13': '0次'}, (('I05', 'H13'),)),  # missed, full score kept
)
def unmet_but_full_score(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    tolerance = score_tolerance(form, ctx.profile)
    for row in indicator_rows(form, ctx):
        indicator, ref = row.indicator, row.scored_reference
        if ref is not None and _is_i05(indicator, ref, tolerance):
            expected: object = ref.low
            note = f"（参考得分 {_num(ref.low)}）"
        elif _full(indicator, tolerance) and _says_not_done(row):
            expected, note = f"< {_num(indicator.weight)}", ""
        else:
            continue
        yield Hit(f"{row.label}年度指标值“{indicator.target or ''}”，实际完成值“{indicator.actual}”，"
                  f"未达成却得满分 {_num(indicator.score)}{note}",
                  cell=indicator.cells.get("score"), expected=expected, found=indicator.score)


@check(
    "I06", "warning", "指标已达成却被扣分，且未说明原因",
    explanation=(
        "实际完成值已经达到年度指标值，按规则应得满分。扣了分又不说明原因，"
        "可能是得分填错，也可能另有考虑。请核对得分；确需扣分的，在偏差原因栏说明理由。"
    ),
    bad="“公文出错率”≤5%，实际 0%，分值 15，得分 12，偏差原因为空",
    good="同一指标得分 15——实例：上海市政府办公厅 2024 年度《市政府事项处理费及资料费》",
    example=Example({'H13': 15}, (('I06', 'H13'),)),  # met, score cut silently
)
def met_but_reduced(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    tolerance = score_tolerance(form, ctx.profile)
    for row in indicator_rows(form, ctx):
        indicator, ref = row.indicator, row.scored_reference
        if ref is not None and _is_i06(indicator, ref, tolerance):
            yield Hit(f"{row.label}年度指标值 {indicator.target}，实际完成值 {indicator.actual}，"
                      f"已达成，但得分 {_num(indicator.score)} 低于分值 "
                      f"{_num(indicator.weight)}，且未说明原因",
                      cell=indicator.cells.get("score"), expected=indicator.weight,
                      found=indicator.score)


@check(
    "I07", "warning", "定性完成情况与得分不一致",
    explanation=(
        "定性指标按完成档次打分：达成指标得分在分值的 80%–100%；部分达成指标并具有一定效果"
        "在 60%–80%；未达成指标且效果较差低于 60%。档次与得分对不上，说明其中一项填错。"
        "请按实际情况调整完成档次或得分。"
    ),
    bad="实际完成值“未达成指标且效果较差”，分值 10，得分 9",
    good="实际完成值“部分达成指标并具有一定效果”，分值 10，得分 7",
)
def band_and_score_disagree(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    tolerance = score_tolerance(form, ctx.profile)
    for row in indicator_rows(form, ctx):
        indicator, ref = row.indicator, row.reference
        w, s = indicator.weight, indicator.score
        if not w or s is None or ref is None or ref.kind != "qualitative":
            continue
        low, high = QUALITATIVE_BANDS[ref.band]
        too_low = s < w * low - tolerance - EPSILON
        if ref.band == "unmet":
            too_high = s >= w * high - EPSILON
            allowed = f"< {format_number(w * high)}"
        else:
            # a met band above the weight is I01's finding, not this one
            too_high = ref.band == "partial" and s > w * high + tolerance + EPSILON
            allowed = f"{format_number(w * low)}–{format_number(w * high)}"
        if too_low or too_high:
            yield Hit(f"{row.label}完成情况为“{BAND_LABELS[ref.band]}”，按规则得分应在 {allowed}"
                      f"（分值 {_num(w)} 的 {int(low * 100)}%–{int(high * 100)}%），"
                      f"实际得分 {_num(s)}",
                      cell=indicator.cells.get("score"), expected=allowed, found=s)


@check(
    "I08", "info", "填报得分与参考得分不同",
    explanation=(
        "按评分规则可由年度指标值和实际完成值算出参考得分（达成得满分；未达成按完成比例，"
        "如 ≥ 类为 实际值 ÷ 指标值 × 分值）。办法允许单位酌情打分，所以这只是提示："
        "请确认得分是有意为之，并在偏差原因中说明依据。"
    ),
    bad="“年中预算执行率”≥50%，实际 38%，分值 20：参考得分 15.2，填报 15"
        "——实例：上海市政府办公厅 2024 年度《“一网通办”工作经费》",
    good="“年中预算执行率”≥50%，实际 40%，分值 20，得分 16（参考得分 16）"
         "——实例：上海市政府办公厅 2024 年度《市政府事项处理费及资料费》",
)
def score_differs_from_reference(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    tolerance = score_tolerance(form, ctx.profile)
    for row in indicator_rows(form, ctx):
        indicator, ref = row.indicator, row.scored_reference
        # Text equal to its target is met but carries no measure: a reduced score there is
        # the unit's judgement (I06 when unexplained), not a number to compare.
        if ref is None or ref.kind != "quantitative" \
                or abs(indicator.score - ref.low) <= tolerance + EPSILON:
            continue
        if _is_i05(indicator, ref, tolerance) or _is_i06(indicator, ref, tolerance):
            continue
        yield Hit(f"{row.label}年度指标值 {indicator.target}，实际完成值 {indicator.actual}，"
                  f"参考得分 {_num(ref.low)}，填报得分 {_num(indicator.score)}",
                  cell=indicator.cells.get("score"), expected=ref.low, found=indicator.score)


@check(
    "I09", "info", "实际完成值远好于年度指标值（相差20%以上）",
    explanation=(
        "实际完成值比年度指标值好 20% 以上：“≥”“>”类指标超出指标值 20% 以上，"
        "“≤”“<”类（越小越好）指标低于指标值的 80%。按办法应分析原因：往往说明年初"
        "指标值定得过松——下限设定偏低，或上限设定偏高。请在偏差原因中说明，"
        "并在下一年度设定更合理的指标值。"
    ),
    bad="“培训、会议开展次数”年度指标值 ≥4次，实际完成 10次——实例：上海市政府办公厅 2024 年度《市政府事项处理费及资料费》",
    good="“保障公务外出次数”年度指标值 ≥200(次)，实际完成 235次"
         "——实例：上海市政府办公厅 2024 年度《市政府办公厅专项工作业务经费》",
)
def far_above_target(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    for row in indicator_rows(form, ctx):
        indicator, ref = row.indicator, row.reference
        if indicator.weight is None or row.copied_target or ref is None or not ref.far_above:
            continue
        actual = row.actual
        lower_is_better = ref.op in ("≤", "<")
        if lower_is_better and isinstance(actual, Quantity) and actual.value == 0:
            continue  # zero errors or complaints against "≤5%" is the goal, not a low bar
        # a floor beaten by far was set too low; a ceiling undercut by far, too loose
        how = ("比指标值（上限）低 20% 以上，年初指标值可能设定偏松" if lower_is_better
               else "超出指标值 20% 以上，年初指标值可能设定偏低")
        yield Hit(f"{row.label}年度指标值 {indicator.target}，实际完成值 {indicator.actual}，"
                  f"{how}",
                  cell=indicator.cells.get("actual"), expected=indicator.target,
                  found=indicator.actual)


_TRAILING_NUMBER_UNIT = re.compile(r"\d(?:\.\d+)?(?P<unit>[^\d\s()*×+=<>≥≤]+)$")


# _unit_key and _target_unit: the same units and targets recur on every form of a run.
@lru_cache(maxsize=4096)
def _unit_key(unit: str | None) -> str | None:
    if not unit:
        return None
    key = re.sub(r"[\s()（）]", "", unicodedata.normalize("NFKC", unit)).lower()
    return key or None


@lru_cache(maxsize=8192)
def _target_unit(text: str | None) -> str | None:
    measure = parse_measure(text)
    if isinstance(measure, Quantity):
        return measure.unit
    if isinstance(measure, FreeText):
        m = _TRAILING_NUMBER_UNIT.search(re.sub(r"\s+", "", unicodedata.normalize(
            "NFKC", measure.text)))
        return m.group("unit") if m else None
    return None


@check(
    "I10", "warning", "实际完成值的计量单位与年度指标值不一致",
    explanation=(
        "实际完成值要和年度指标值用同一计量单位才能比较：“元/张”与“张”、“万”与“亿次”、"
        "“小时/年”与“小时”不是一回事，得分也就无从计算。请按年度指标值的单位填写实际完成值。"
        "只在一侧写单位（如指标值“1项”、完成值“1”）视为同一单位，不报告。"
    ),
    bad="年度指标值“365天*24小时/年”，实际完成值“24小时”"
        "——实例：闵行区行政服务中心 2022 年度《区大数据中心电子政务系统备份(2022运维)》",
    good="年度指标值“≥2800(万)”，实际完成值“3000(万)”——实例：上海市政府办公厅 2024 年度《“上海发布”办公室工作经费》",
    example=Example({'F13': '3人'}, (('I10', 'F13'),)),
)
def unit_mismatch(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    for row in indicator_rows(form, ctx):
        actual, indicator = row.actual, row.indicator
        if not isinstance(actual, Quantity):
            continue
        target_unit = _target_unit(indicator.target)
        target_key, actual_key = _unit_key(target_unit), _unit_key(actual.unit)
        if target_key and actual_key and target_key != actual_key:
            yield Hit(f"{row.label}年度指标值“{indicator.target}”的单位是“{target_unit}”，"
                      f"实际完成值“{indicator.actual}”的单位是“{actual.unit}”",
                      cell=indicator.cells.get("actual"), expected=target_unit,
                      found=actual.unit)


@check(
    "I11", "warning", "一级或二级指标名称不在指标体系中，或二级指标挂错了一级指标",
    explanation=(
        "一级、二级指标须使用评价方案（profile）规定的指标体系名称，"
        "如产出指标下的数量指标、质量指标、时效指标，效益指标下的社会效益指标等。"
        "名称不规范或挂错层级，汇总时就无法按类别统计。请从模板下拉列表中选择一级和二级指标。"
    ),
    bad="一级指标填“社会效益指标”（这是效益指标下的二级指标）——实例：闵行区行政服务中心 2022 年度《浦江分中心日常运维费》",
    good="一级指标“效益指标”，二级指标“社会效益指标”——实例：上海市政府办公厅 2024 年度《市政府办公厅专项工作业务经费》",
)
def not_intaxonomy_of(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    profile = ctx.profile
    tax = taxonomy_of(profile)
    for row in indicator_rows(form, ctx):
        indicator, level1, level2 = row.indicator, row.level1, row.level2
        if level1 is not None and level2 is not None and level2 in tax.level2_of[level1]:
            continue
        if level1 is not None and level2 is None and tax.lookup(tax.level1, indicator.level2) == level1:
            continue  # the 一级 repeated as its only 二级 (Anhui's 满意度指标 | 满意度指标)
        label = row.label
        if level1 is None:
            yield Hit(f"{label}的一级指标“{indicator.level1 or '空'}”不在评价方案"
                      f"“{profile.name}”的指标体系中",
                      cell=indicator.cells.get("level1"),
                      expected="、".join(profile.level1_names), found=indicator.level1)
        if level2 is None and tax.lookup(tax.level1, indicator.level2):
            yield Hit(f"{label}的二级指标“{indicator.level2}”在评价方案“{profile.name}”中"
                      f"是一级指标，不能填在“{indicator.level1 or '空'}”下",
                      cell=indicator.cells.get("level2"), expected="二级指标",
                      found=indicator.level2)
        elif level2 is None:
            yield Hit(f"{label}的二级指标“{indicator.level2 or '空'}”不在评价方案"
                      f"“{profile.name}”的指标体系中",
                      cell=indicator.cells.get("level2"), expected="指标体系中的二级指标",
                      found=indicator.level2)
        elif level1 is not None and level2 not in tax.level2_of[level1]:
            parents = "或".join(profile.level1_of(level2))
            yield Hit(f"{label}的二级指标“{level2}”应属于{parents}，却填在一级指标“{level1}”下",
                      cell=indicator.cells.get("level2"), expected=parents, found=level1)


@check(
    "I12", "warning", "同一张表中三级指标重复",
    explanation=(
        "同一个三级指标出现两次，要么是复制粘贴时多复制了一行，要么是两个不同的指标用了同一名称，"
        "都会让分值重复计算、含义不清。请删除重复行或把指标名称写具体。"
    ),
    bad="产出指标下两行都叫“年中预算执行率”",
    good="三级指标各不相同——实例：上海市政府办公厅 2024 年度各表",
)
def duplicate_indicator(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    first_cell: dict[str, str | None] = {}
    for indicator in form.indicators:
        key = normalize_label(indicator.name)
        if not key:
            continue
        if key in first_cell:
            where = f"（首次出现在 {first_cell[key]}）" if first_cell[key] else ""
            yield Hit(f"三级指标“{indicator.name}”在本表中重复出现{where}",
                      cell=indicator.cells.get("name"), expected="不重复",
                      found=indicator.name)
        else:
            first_cell[key] = indicator.cells.get("name")


@check(
    "I13", "warning", "缺少一级指标类别（产出、效益或满意度指标）",
    explanation=(
        "绩效指标应同时覆盖产出、效益和满意度三类：只写产出不写效益，说明不了钱花出了什么效果；"
        "没有满意度，缺少服务对象的评价。请为缺少的类别至少设置一项三级指标。"
    ),
    bad="指标只有产出指标和效益指标，没有满意度指标",
    good="产出指标、效益指标、满意度指标各有指标——实例：上海市政府办公厅 2024 年度《市政府办公厅专项工作业务经费》",
)
def category_missing(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    present = {row.category for row in indicator_rows(form, ctx)}
    cell = form.indicators[0].cells.get("level1") if form.indicators else None
    level1_names = taxonomy_of(ctx.profile).level1_names
    for category in ctx.profile.required_level1:
        if category in level1_names and category not in present:
            yield Hit(f"绩效指标中没有“{category}”类指标", cell=cell,
                      expected=category, found=None)


@check(
    "I14", "warning", "实际完成值写成了指标值的形式（如“=95%”“>=90%”）",
    explanation=(
        "实际完成值应是实际达到的结果（如 96%），带“=”“≥”“>=”等符号说明照抄了年度指标值，"
        "并没有填写真实的完成情况。请填写实际测得或统计的数值。"
    ),
    bad="“满意度”年度指标值 =95%，实际完成值 =95%"
        "——实例：闵行区行政服务中心 2022 年度《上海市闵行区政务服务收件流转管理系统一、二期(2022运维)》",
    good="“使用人员满意度”年度指标值 >=85%，实际完成值 91%"
         "——实例：闵行区行政服务中心 2022 年度《区大数据中心电子政务系统备份(2022运维)》",
    example=Example({'F13': '>=2次'}, (('I14', 'F13'),)),
)
def actual_is_target_expression(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    for row in indicator_rows(form, ctx):
        if row.copied_target:
            indicator = row.indicator
            yield Hit(f"{row.label}的实际完成值“{indicator.actual}”带有比较符号，像是照抄了"
                      f"年度指标值“{indicator.target or ''}”，应填写实际完成的数值",
                      cell=indicator.cells.get("actual"), expected="实际完成的数值",
                      found=indicator.actual)


@check(
    "I15", "warning", "年度指标值与同一工作簿中的绩效目标申报表不一致，或指标被增删",
    explanation=(
        "自评表的年度指标值应是预算编制时在绩效目标申报表中申报的指标值。自评时改动指标值、"
        "新增或删去指标，会让“达成”变得容易而失去约束。工作簿中有同一年度的申报表时，"
        "逐项核对；确需调整的，应有批准的调整手续并在偏差原因中说明。"
    ),
    bad="申报表中“动画制作数量”年度指标值 ≥20集，自评表改为 ≥10集",
    good="自评表各三级指标及其年度指标值与申报表一致",
)
def target_differs_from_declaration(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    declared = form.declared_targets
    if not declared:
        return
    by_key = {normalize_label(name): (name, target, where) for name, (target, where) in declared.items()}
    seen = set()
    for position, indicator in enumerate(form.indicators, start=1):
        key = normalize_label(indicator.name)
        if not key:
            continue
        seen.add(key)
        if key not in by_key:
            yield Hit(f"{indicator_label(indicator, position)}不在绩效目标申报表中，是自评时新增的指标",
                      cell=indicator.cells.get("name"), expected="申报表中的指标",
                      found=indicator.name)
            continue
        _, target, where = by_key[key]
        if not _same_target(target, indicator.target):
            yield Hit(f"{indicator_label(indicator, position)}年度指标值“{indicator.target or '空'}”"
                      f"与绩效目标申报表（{where}）申报的“{target or '空'}”不一致",
                      cell=indicator.cells.get("target"), expected=target, found=indicator.target)
    for key, (name, target, where) in by_key.items():
        if key not in seen:
            yield Hit(f"绩效目标申报表（{where}）中的指标“{name}”（年度指标值“{target or '空'}”）"
                      f"在自评表中没有，是自评时删去的指标", expected=name, found=None)


def _same_target(declared: str | None, filled: str | None) -> bool:
    a, b = parse_measure(declared), parse_measure(filled)
    if isinstance(a, Quantity) and isinstance(b, Quantity):
        return (a.op, a.value, _unit_key(a.unit)) == (b.op, b.value, _unit_key(b.unit))
    return normalize_label(declared) == normalize_label(filled)

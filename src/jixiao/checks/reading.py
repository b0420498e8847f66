"""Reading checks (R01–R10): can the form be read, and is what was read complete.

R01 and R02 concern a whole file: ``checking.check_file`` emits them, they are declared
here so that ``jixiao rules`` and the README list them.
"""

from __future__ import annotations

from typing import Any, Iterator

from jixiao.checks.registry import CheckContext, Example, Hit, check, declare
from jixiao.model import FIELD_LABELS, FormRecord
from jixiao.checks.funds import format_amount
from jixiao.values import format_number
from jixiao.model import identity_key
from jixiao.profiles import known_profile

try:  # written in parallel with the checks; R06 degrades to nothing without it
    from jixiao import fingerprint as _fingerprint
except ImportError:  # pragma: no cover - only while fingerprint.py does not exist
    _fingerprint = None  # type: ignore[assignment]

declare(
    "R01", "error", "文件无法读取（损坏、加密、不是表格文件或文件过大）",
    explanation=(
        "文件打不开，里面的自评表就无法审核，也不会进入汇总。常见原因：文件损坏或下载不完整；"
        "设置了打开密码；把 Word、PDF 或图片改了扩展名冒充表格；文件异常巨大。"
        "请用 Excel 或 WPS 重新打开确认，去掉打开密码，另存为 .xlsx 后重新提交。"
    ),
    bad="提交的“自评表.xlsx”实为改了扩展名的 PDF；或设置了打开密码的工作簿",
    good="能用 Excel/WPS 正常打开、没有打开密码的 .xlsx / .xls / .ods 文件",
    scope="file",
)

declare(
    "R02", "error", "工作簿中没有找到项目支出绩效自评表",
    explanation=(
        "文件能打开，但没有任何一页包含自评表的表头（项目名称、项目资金、绩效指标等），"
        "通常是交错了文件（如交了预算表、说明文档），或把表头改得面目全非。"
        "请提交下发的自评表模板填好的文件，不要删除或改写表头文字。"
    ),
    bad="工作簿只有一页“项目明细”，没有“项目名称”“项目资金（万元）”“绩效指标”等表头",
    good="工作簿中有一页“财政项目支出绩效自评表”，表头与下发模板一致",
    scope="file",
)

declare(
    "R09", "info", "工作簿中的其他绩效表（绩效目标申报表、执行监控表）未作为自评表审核",
    explanation=(
        "中央项目库等系统导出的工作簿里，除自评表外常有绩效目标申报表、绩效目标执行监控表等"
        "工作表。它们不是自评表，不作审核，但会在结果中列出，让审核人知道这些工作表被跳过了。"
        "绩效目标申报表中的年度指标值会用来核对自评表的年度指标值（I15）。"
    ),
    bad="（提示）工作表“项目支出绩效目标执行监控”是绩效目标执行监控表，未作为自评表审核",
    good="工作簿只含自评表，或其他工作表与绩效无关"
         "——实例：中央项目库导出的 2019 年《青少年校园足球扶持资金》工作簿中的申报表与监控表",
    scope="file",
)

declare(
    "R11", "info", "本工具生成的文件（汇总表、审核结果、分发清单）未作为自评表审核",
    explanation=(
        "审核人常把汇总表、审核结果或分发清单存进退回表所在的文件夹。这些文件是本工具自己"
        "写出的，不是单位退回的自评表：按内容（汇总表的标题和工作表、CSV 的表头行）认出后列出并跳过，"
        "不报“没有找到自评表”的错误，也不计入汇总。单位退回的表即使改了标题也不会被当作汇总表。"
    ),
    bad="（提示）文件“汇总.xlsx”是 jixiao merge 生成的汇总表，不是退回的自评表，未作为自评表审核",
    good="文件夹中只有各单位退回的自评表",
    scope="file",
)

REQUIRED_HEADER_FIELDS = ("project", "department", "unit", "year")


@check(
    "R03", "error", "必填项为空：项目名称、主管部门、实施单位或年度",
    explanation=(
        "项目名称、主管部门、实施单位和年度是识别一张自评表的依据，汇总、查重、"
        "与下发清单核对都靠它们。任何一项为空，这张表就无法归属到具体项目。"
        "请在表头补全这四项，年度写在标题下方的“（XXXX年度）”中。"
    ),
    bad="项目名称：法律顾问费；主管部门：（空）；实施单位：上海市闵行区行政服务中心",
    good="项目名称：法律顾问费；主管部门：上海市闵行区行政服务中心（汇总）；"
         "实施单位：上海市闵行区行政服务中心；（2022年度）",
    example=Example({'G4': None}, (('R03', 'G4'), ('R06', 'G4'))),  # 实施单位 cleared (locked)
)
def required_field_empty(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    for name in REQUIRED_HEADER_FIELDS:
        value = getattr(form, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if name in form.unparsed:
                continue  # text where the year should be: R04 says so
            label = FIELD_LABELS[name]
            yield Hit(f"“{label}”未填写，请补全", cell=form.cells.get(name),
                      expected=f"填写{label}", found=None)


@check(
    "R04", "error", "应填数字的单元格填了文字",
    explanation=(
        "金额、分值、得分、执行率必须是数字才能计算执行率、得分和总分；"
        "写成“九千”“约5万”“见附件”等文字，表格公式和审核都无法计算。"
        "请改填阿拉伯数字（可带千分位逗号），文字说明写到偏差原因或备注中。"
    ),
    bad="全年执行数填写“九千”",
    good="全年执行数填写 9000（或 9,000）",
    example=Example({'E7': '九千'}, (('R04', 'E7'),)),
)
def text_where_number(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    for name, text in form.unparsed.items():
        if name == "grade":  # a grade is a word, not a number
            yield Hit(f"评分等级应为 优、良、中、差 之一，实际填写了“{text}”", cell=form.cells.get(name),
                      expected="优、良、中、差", found=text)
            continue
        yield _text_hit(FIELD_LABELS.get(name, name), text, form.cells.get(name))
    for row_name, row in form.funds.rows():
        for name, text in row.unparsed.items():
            label = f"{FIELD_LABELS[row_name]}的{FIELD_LABELS.get(name, name)}"
            yield _text_hit(label, text, row.cells.get(name))
    for position, indicator in enumerate(form.indicators, start=1):
        for name, text in indicator.unparsed.items():
            label = f"指标“{indicator.name or f'第{position}项'}”的{FIELD_LABELS.get(name, name)}"
            yield _text_hit(label, text, indicator.cells.get(name))


def _text_hit(label: str, text: str, cell: str | None) -> Hit:
    return Hit(f"{label}应为数字，实际填写了“{text}”，无法计算", cell=cell,
               expected="数字", found=text)


@check(
    "R05", "warning", "模板中的公式被改成了固定数值",
    explanation=(
        "下发模板中的合计、执行率、资金得分、总分和评分等级由公式自动计算。"
        "公式被覆盖成手填数字后，修改其他数据时它不再随之更新，容易出现前后矛盾。"
        "请从下发模板中复制原公式恢复该单元格（或重新用模板填报），不要手工改写计算结果。"
    ),
    bad="H6（资金得分）原为公式 =IF(D6>0,ROUND(F6*MIN(E6/D6,1),2),0)，被改填为 10",
    good="H6 保留公式，随全年预算数、全年执行数自动算出 9.95",
    example=Example({'H6': 9.5}, (('R05', 'H6'),)),  # the formula's own value
)
def formula_overwritten(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    if form.template is None:
        return
    for name, cell in form.template.overwritten_formulas:
        label = FIELD_LABELS.get(name, name)
        yield Hit(f"{label}（{cell}）原为模板公式，现被改成固定数值，将不再自动计算",
                  cell=cell, expected="模板公式", found="固定数值")


@check(
    "R06", "error", "下发时预置并锁定的数值被改动",
    explanation=(
        "预置版模板中的项目信息、各来源预算数、指标名称、年度指标值和分值是预算编制时确定的，"
        "单位只应填写执行数、实际完成值、得分和偏差原因。改动这些锁定数值会使自评与预算目标脱节，"
        "也无法与下发清单对应。请恢复为下发时的数值；确需调整的，应走预算或目标调整程序，"
        "由主管部门重新下发表格。"
    ),
    bad="下发时“保障公务外出次数”年度指标值为 ≥200(次)，交回时被改为 ≥150(次)",
    good="年度指标值、分值、预算数与下发时一致，只填写了实际完成值、得分和执行数",
    example=Example({'E15': '≥30%'}, (('R06', 'E15'),)),  # a locked target lowered
)
def locked_value_changed(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    if _fingerprint is None:
        return
    template = form.template
    locked = template.locked_values if template is not None else None
    if template is not None and template.locked_malformed:
        yield Hit("模板隐藏页记录的预置数值格式有误，已被改写，无法据此核对锁定数值",
                  expected="下发时的预置数值", found="格式有误")
    key = _manifest_key(form, ctx)
    if isinstance(locked, dict) and locked:
        yield from _stored_fingerprint_hits(template, locked, ctx)
        yield from _manifest_hits(key, locked, ctx, stored=True)
        for label, cell, expected, found in _fingerprint.changed_fields(form, locked):
            yield Hit(f"{label}下发时为“{_show(expected)}”，现为“{_show(found)}”，"
                      "锁定数值不得改动", cell=cell, expected=expected, found=found)
    elif key is not None:
        # No usable copy of the locked values (the hidden sheet deleted or rewritten):
        # the manifest knows the form by its id or by year, unit and project, so
        # fingerprint what the cells show.
        yield from _manifest_hits(key, _fingerprint.locked_values(form), ctx, stored=False)


def _manifest_key(form: FormRecord, ctx: CheckContext) -> str | None:
    """The manifest's key of this form: its form id, else its year, unit and project."""
    known = ctx.manifest_fingerprints
    if not known:
        return None
    form_id = form.template.form_id if form.template is not None else None
    if form_id and form_id in known:
        return form_id
    key = identity_key(form.year, form.unit, form.project)
    return key if key in known else None


def _stored_fingerprint_hits(template: Any, locked: dict, ctx: CheckContext) -> Iterator[Hit]:
    if not template.fingerprint or not template.fingerprint_kind:
        return
    if _fingerprint.verify(locked, template.fingerprint_kind, template.fingerprint,
                           ctx.secret, stored_json=template.locked_json) is False:
        yield Hit("模板隐藏页中记录的预置数值与其指纹不符，预置数值可能被改写"
                  + _WRONG_SECRET_HINT.get(template.fingerprint_kind, ""),
                  expected=template.fingerprint, found="指纹不符")


def _manifest_hits(key: str | None, values: dict, ctx: CheckContext, *,
                   stored: bool) -> Iterator[Hit]:
    expected = ctx.manifest_fingerprints.get(key or "")
    if not expected:
        return
    try:
        digests = {_fingerprint.fingerprint(values, None)[1]}
        if ctx.secret:
            digests.add(_fingerprint.fingerprint(values, ctx.secret)[1])
    except ValueError:  # a value no template writes (NaN, infinity): changed by hand
        digests = {"无法计算"}
    if expected.strip().lower() in digests:
        return
    where = "模板隐藏页记录的预置数值" if stored else "表中预置（锁定）的数值"
    hint = _WRONG_SECRET_HINT["hmac-sha256"] if ctx.secret else ""
    named = f"表单 {key}" if "|" not in (key or "") else "本表"
    yield Hit(f"{named}的{where}与下发清单（manifest）中的指纹不符，"
              f"与下发时不一致{hint}", expected=expected, found=next(iter(sorted(digests))))


# A keyed fingerprint also fails when the checker was given another key than the generator.
_WRONG_SECRET_HINT = {"hmac-sha256": "（若各项数值并未改动，请确认 --secret 与生成模板时使用的密钥相同）"}


def _show(value: Any) -> str:
    if value is None:
        return "空"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


MONEY_UNITS = ("万元", "元")


@check(
    "R07", "warning", "金额单位缺失或不明确（万元还是元）",
    explanation=(
        "同一个数字以万元或元计相差一万倍：单位不明，汇总时金额就可能错一万倍，"
        "执行率看似正常也掩盖不了。请在“项目资金（万元）”或“项目资金（元）”的栏目名中写明单位，"
        "并与下发模板的单位保持一致。"
    ),
    bad="栏目名只写“项目资金”，金额 19200.00 不知是元还是万元",
    good="栏目名写“项目资金（元）”，金额 19200.00 即 19,200 元",
)
def money_unit_unclear(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    cell = form.cells.get("money_unit")
    unit = form.money_unit
    if not unit and not form.funds.present:
        return  # no amounts to sum: F09 says the fund block is missing
    if not unit:
        yield Hit("未写明金额单位（万元或元），金额无法正确汇总", cell=cell,
                  expected="万元 或 元", found=None)
    elif unit not in MONEY_UNITS:
        yield Hit(f"金额单位“{unit}”不明确，应为万元或元", cell=cell,
                  expected="万元 或 元", found=unit)
    elif form.template is not None and form.template.money_unit not in (None, unit):
        yield Hit(f"金额单位写为“{unit}”，但下发模板的单位是“{form.template.money_unit}”",
                  cell=cell, expected=form.template.money_unit, found=unit)


@check(
    "R08", "warning", "模板隐藏页记录的评价方案不在已知方案中，已忽略",
    explanation=(
        "下发模板在隐藏页中记录了生成时使用的评价方案（如 shanghai、mof-2020），审核时按它计分。"
        "隐藏页可以被改写：若其中写的是文件路径或未知的方案名，按它计分就等于由填报单位自定评分标准。"
        "这样的记录一律不予采用，本表按审核人指定的方案（--profile）或默认方案审核。"
        "请使用下发的原模板填报，不要改动隐藏页；确需其他方案的，由审核人用 --profile 指定。"
    ),
    bad="隐藏页 _jixiao 的 profile 一项被改为“C:\\\\temp\\\\evil.toml”或“my-own”",
    good="隐藏页 _jixiao 的 profile 一项为下发时的“shanghai”",
)
def unknown_profile_named(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    template = form.template
    named = template.profile if template is not None else None
    if not named or named == ctx.profile.name or known_profile(named):
        return
    yield Hit(f"模板隐藏页记录的评价方案“{named}”不是已知的方案，已忽略，"
              f"本表按“{ctx.profile.name}”方案审核", expected=ctx.profile.name, found=named)


@check(
    "R10", "warning", "数字以文本形式存储，模板公式不计入",
    explanation=(
        "在设为文本格式的单元格里输入数字，或在数字前加了单引号（'350000），Excel 会把它当作文字："
        "单元格左上角出现绿色三角，求和公式跳过它。于是打印出来的合计、总分与单元格里看到的数字对不上。"
        "本工具按数字重新计算，并指出差额。请把该单元格改为常规或数值格式后重新输入数字。"
    ),
    bad="其中：当年财政拨款 全年执行数 填 '350000（文本），年度资金总额的公式少算 350,000",
    good="金额、分值、得分都以数字形式输入，合计公式计入每一个单元格",
)
def number_stored_as_text(form: FormRecord, ctx: CheckContext) -> Iterator[Hit]:
    if not form.text_numbers:
        return
    for name, row in form.funds.sources():
        for field_name in ("initial", "budget", "executed"):
            cell = row.cells.get(field_name)
            value = getattr(row, field_name)
            if cell in form.text_numbers and value:
                what = f"年度资金总额的{FIELD_LABELS[field_name]}"
                yield _text_number_hit(form, cell, value, what, format_amount(value, form.money_unit))
    for indicator in form.indicators:
        for field_name, what in (("weight", "总分的分值合计"), ("score", "总分")):
            cell = indicator.cells.get(field_name)
            value = getattr(indicator, field_name)
            if cell in form.text_numbers and value:
                yield _text_number_hit(form, cell, value, what, format_number(value))


def _text_number_hit(form: FormRecord, cell: str, value: float, what: str, amount: str) -> Hit:
    return Hit(f"单元格中的“{form.text_numbers[cell]}”是以文本形式存储的数字，Excel 公式不计入它："
               f"打印出的{what}比按数字重新计算的少 {amount}", cell=cell, expected="数字",
               found=form.text_numbers[cell])

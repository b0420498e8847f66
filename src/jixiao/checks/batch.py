"""Checks across many forms (M01–M03), emitted by consolidation (``jixiao merge``).

They need every returned form (and the distribution manifest) at once, so they are not
functions over one record; they are declared here for ``jixiao rules`` and the README.
"""

from __future__ import annotations

from jixiao.checks.registry import declare

declare(
    "M01", "warning", "同一项目（年度、实施单位、项目名称相同）重复报送且数据不同",
    explanation=(
        "同一年度、同一实施单位、同一项目名称的自评表报了不止一份，而且金额或得分不一样，"
        "汇总时不知道以哪份为准，还可能重复计算资金。通常是改过后又重新报送而旧版未撤回。"
        "请确认以哪一份为准，撤回其余各份；如确是不同项目，请把项目名称写得能区分。"
    ),
    bad="“法律顾问费”（2022年度，上海市闵行区行政服务中心）报送两份，全年执行数分别为 9,000 元和 8,000 元",
    good="每个项目只报送一份；重复报送的两份内容完全相同时只计一次",
    scope="batch",
)

declare(
    "M02", "warning", "下发的自评表没有收回",
    explanation=(
        "按下发清单（manifest）应交回的自评表没有在收回的文件中找到，汇总就不完整。"
        "请催报该单位；如项目已取消，请在清单中注明。需要在汇总时提供下发清单。"
    ),
    bad="下发清单有表单 2022-0017（窗口建设经费），收回的文件中没有这张表",
    good="下发清单中的每一张表都已收回",
    scope="batch",
)

declare(
    "M03", "warning", "收回的自评表不在下发清单中",
    explanation=(
        "收回了一张下发清单（manifest）里没有的自评表：可能是单位自行新建、用了旧模板，"
        "或交错了年度。这样的表无法与预算目标对应。请核实来源，必要时用下发的模板重新填报。"
    ),
    bad="收回的“停车费”自评表表单编号不在 2022 年度下发清单中",
    good="每张收回的表都能按表单编号在下发清单中找到",
    scope="batch",
)

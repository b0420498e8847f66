"""Filled forms for the merge tests and benchmark: consistent schema dicts (no findings
unless a test asks for one) written with tests/seed_workbooks.write_shanghai_xlsx."""

from __future__ import annotations

import copy
from pathlib import Path

from seed_workbooks import write_shanghai_xlsx

#: (一级, 二级, 三级, target, actual, weight) of a clean Shanghai form; scores = weights
INDICATORS = (
    ("产出指标", "数量指标", "培训人次完成率", "≥95(%)", "96%", 20.0),
    ("产出指标", "质量指标", "验收合格率", "=100(%)", "100%", 20.0),
    ("产出指标", "时效指标", "按时完成率", "≥90(%)", "95%", 10.0),
    ("效益指标", "社会效益指标", "受益人数", "≥1000(人)", "1100(人)", 30.0),
    ("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90(%)", "92%", 10.0),
)


def _fund(initial, budget, executed, weight=None, score=None):
    rate = round(executed / budget * 100, 2) if budget else None
    return {"initial": initial, "budget": budget, "executed": executed, "weight": weight,
            "rate_pct": rate, "score": score}


def good_record(unit: str, project: str, *, year: int = 2024, budget: float = 100.0,
                executed: float = 95.0, department: str = "上海市某某局",
                indicators: tuple = INDICATORS) -> dict:
    """A form that passes every check: fund score = 10 × E/B, total = 100 weights."""
    fund_score = round(10 * min(executed / budget, 1), 2)
    inds = [{"level1": a, "level2": b, "name": c, "target": t, "actual": act, "weight": w,
             "score": w, "deviation": None} for a, b, c, t, act, w in indicators]
    total = round(fund_score + sum(i["score"] for i in inds), 2)
    grade = "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"
    return {
        "year": year, "title": "财政项目支出绩效自评表", "project": project,
        "department": department, "unit": unit, "money_unit": "万元",
        "funds": {"total": _fund(budget, budget, executed, 10.0, fund_score),
                  "current_year": _fund(budget, budget, executed),
                  "carryover": _fund(0.0, 0.0, 0.0), "other": _fund(0.0, 0.0, 0.0)},
        "goal_expected": "完成年度培训任务", "goal_actual": "已完成年度培训任务",
        "indicators": inds, "total_weight": 100.0, "total_score": total, "grade": grade,
    }


def with_executed(record: dict, executed: float) -> dict:
    """The same form with another 全年执行数 (and its rate and scores recomputed)."""
    r = good_record(record["unit"], record["project"], year=record["year"],
                    budget=record["funds"]["total"]["budget"], executed=executed,
                    department=record["department"])
    return copy.deepcopy(r)


def write_form(path: Path, record: dict, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_shanghai_xlsx(path, [record], **kwargs)

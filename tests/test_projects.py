"""Reading the projects list (项目清单): one record per project; bad rows named."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from jixiao.errors import InputError
from jixiao.profiles import load_profile
from jixiao.projects import read_projects

DATA = Path(__file__).parent / "data" / "template"
HEADER = ["年度", "主管部门", "实施单位", "项目名称", "年初预算数", "全年预算数", "一级指标",
          "二级指标", "三级指标", "年度指标值", "分值"]
SHANGHAI = load_profile("shanghai")


def _write_csv(tmp_path: Path, rows: list[list], header=HEADER) -> Path:
    path = tmp_path / "list.csv"
    path.write_text("\n".join(",".join(str(v) for v in row) for row in [header, *rows]) + "\n",
                    encoding="utf-8")
    return path


def _project(name="法律顾问费", initial=18000, budget=9000, weights=(50, 30, 10)):
    levels = [("产出指标", "数量指标"), ("效益指标", "社会效益指标"), ("满意度指标", "服务对象满意度指标")]
    return [[2022, "闵行区行政服务中心", "闵行区行政服务中心", name, initial, budget, l1, l2,
             f"指标{k}", "≥95%", w] for k, ((l1, l2), w) in enumerate(zip(levels, weights))]


def test_real_projects_list_gives_one_record_per_project():
    records = read_projects(DATA / "项目清单.csv", SHANGHAI)
    assert [r.project for r in records] == ["市政府办公厅专项工作业务经费",
                                           "上海市闵行区“一网通办”配套系统(2022运维)"]
    first, second = records
    assert (first.year, first.money_unit, second.year, second.money_unit) == (2024, "万元", 2022, "元")
    assert (first.funds.current_year.initial, first.funds.current_year.budget) == (409.9, 495.4)
    assert (first.funds.carryover.initial, first.funds.other.budget) == (0, 0)
    assert len(first.indicators) == 7 and len(second.indicators) == 6
    assert first.indicators[5].target == "=0%" and first.indicators[5].weight == 5
    assert second.indicators[0].name == "满意度" and second.funds.current_year.budget == 19200


def test_project_columns_given_once_are_filled_down_in_xlsx(tmp_path):
    path = tmp_path / "list.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("清单")
    ws.write_row(0, 0, ["说明：金额单位 元"])
    ws.write_row(2, 0, [h if h != "年初预算数" else "年初预算数（元）" for h in HEADER])
    rows = _project() + _project("党建经费", 20000, None)
    for r, row in enumerate(rows):
        if r % 3:  # later rows of a project: only the indicator
            row = [None] * 6 + row[6:]
        ws.write_row(3 + r, 0, row)
    wb.close()
    records = read_projects(path, SHANGHAI)
    assert [r.project for r in records] == ["法律顾问费", "党建经费"]
    assert records[1].funds.current_year.budget is None
    assert records[1].funds.carryover.budget is None
    assert records[0].money_unit == "元"
    assert [i.level1 for i in records[0].indicators] == ["产出指标", "效益指标", "满意度指标"]


@pytest.mark.parametrize("mutate, message", [
    (lambda rows: rows[1].__setitem__(10, "十"), r"第 3 行：“分值”应为数字，而不是“十”"),
    (lambda rows: rows[0].__setitem__(4, -1), r"第 2 行：“年初预算数”不能为负数"),
    (lambda rows: rows[0].__setitem__(0, "明年"), r"第 2 行：“年度”应为年份"),
    (lambda rows: rows[2].__setitem__(6, "产出"), r"第 4 行：一级指标“产出”不在评价方案"),
    (lambda rows: rows[2].__setitem__(7, "数量指标"), r"第 4 行：二级指标“数量指标”不属于一级指标“满意度指标”"),
    (lambda rows: rows[1].__setitem__(8, ""), r"第 3 行：“三级指标”为空"),
    (lambda rows: rows[2].__setitem__(10, 5), r"第 2 行：项目“法律顾问费”的分值合计为 95"),
    (lambda rows: rows[1].__setitem__(4, 100), r"第 3 行：同一项目的“年初预算数”与第 2 行不一致"),
    (lambda rows: rows[0].__setitem__(3, ""), r"第 2 行：缺少“项目名称”"),
])
def test_bad_rows_are_named(tmp_path, mutate, message):
    rows = _project()
    mutate(rows)
    with pytest.raises(InputError, match=message) as err:
        read_projects(_write_csv(tmp_path, rows), SHANGHAI)
    assert str(tmp_path / "list.csv") in str(err.value)


def test_a_project_split_over_the_list_is_refused(tmp_path):
    rows = _project()[:2] + _project("党建经费") + _project()[2:]
    with pytest.raises(InputError, match="第 7 行：项目“法律顾问费”已在第 2 行出现"):
        read_projects(_write_csv(tmp_path, rows), SHANGHAI)


def test_missing_columns_and_gbk_csv(tmp_path):
    path = _write_csv(tmp_path, [], header=HEADER[:4] + ["三级指标"])
    with pytest.raises(InputError, match="表头缺少列：年初预算数、一级指标、二级指标、年度指标值、分值"):
        read_projects(path)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("\n".join(",".join(map(str, r)) for r in [HEADER, *_project()]).encode("gbk"))
    assert read_projects(gbk)[0].unit == "闵行区行政服务中心"

"""Read the projects list (项目清单) that ``jixiao template --projects`` prefills forms from.

One row per indicator; a project's own columns are repeated on each of its rows or given
on its first row only (filled down, as with merged cells). Columns, matched by their
Chinese header wherever the header row is (spaces, full-width brackets and a unit in
brackets such as 年初预算数（万元） are allowed):

| header | holds | required |
| --- | --- | --- |
| 年度 | year, e.g. 2024 | yes |
| 主管部门 | the supervising department | yes |
| 实施单位 | the unit that carries out the project | yes |
| 项目名称 | the project | yes |
| 金额单位 | 万元 or 元; else the unit in the budget headers' brackets, else the profile's | no |
| 年初预算数 | budget at the start of the year | yes |
| 全年预算数 | full-year budget | may be empty |
| 一级指标 / 二级指标 | from the profile's taxonomy (filled down within a project) | yes |
| 三级指标 | the indicator | yes |
| 年度指标值 | its target, e.g. ≥95% | yes |
| 分值 | its weight; with the fund weight (10) a project totals 100 | yes |

The budget goes to the 当年财政拨款 row; the other sources are prefilled with 0. A bad row
raises :class:`~jixiao.errors.InputError` naming the file and the row; nothing is returned.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from jixiao.errors import InputError
from jixiao.model import FormRecord, FundRow, Funds, Indicator
from jixiao.profiles import Profile
from jixiao.values import ValueParseError, clean_text, money_unit_of, normalize_label, \
    parse_number, parse_year

#: column key -> accepted headers (normalized)
COLUMNS: dict[str, tuple[str, ...]] = {
    "year": ("年度",),
    "department": ("主管部门",),
    "unit": ("实施单位",),
    "project": ("项目名称",),
    "money_unit": ("金额单位",),
    "initial": ("年初预算数",),
    "budget": ("全年预算数", "调整后预算数"),
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "name": ("三级指标",),
    "target": ("年度指标值", "指标值"),
    "weight": ("分值", "指标分值"),
}
OPTIONAL_COLUMNS = ("budget", "money_unit")
LABELS = {key: names[0] for key, names in COLUMNS.items()}
PROJECT_KEYS = ("year", "department", "unit", "project", "initial", "budget")
MAX_HEADER_SCAN = 30
MAX_INDICATORS = 500
_WEIGHT_TOLERANCE = 0.01


def _header_key(text: Any) -> tuple[str | None, str | None]:
    """(column key, money unit named in brackets) of a header cell."""
    label = normalize_label(text)
    unit = money_unit_of(label)
    bare = re.sub(r"\(.*?\)", "", label)
    for key, names in COLUMNS.items():
        if bare in names:
            return key, unit
    return None, None


def _read_rows(path: Path) -> list[list[Any]]:
    try:
        head = path.open("rb").read(8)
    except OSError as exc:
        from jixiao.io.safety import os_error_text

        raise InputError(f"{path}：无法打开项目清单（{os_error_text(exc)}）") from None
    if head.startswith(b"PK") or head.startswith(b"\xd0\xcf\x11\xe0"):
        return _read_workbook(path)
    return _read_csv(path)


def _read_workbook(path: Path) -> list[list[Any]]:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            if any(_header_key(v)[0] == "project" for row in rows[:MAX_HEADER_SCAN] for v in row):
                return rows
    except Exception:  # calamine raises its own error types (English) for corrupt files
        raise InputError(f"{path}：项目清单无法读取（文件已损坏，或不是 xlsx/xls 表格）") from None
    raise InputError(f"{path}：没有找到含“项目名称”“三级指标”等表头的工作表")


def _read_csv(path: Path) -> list[list[Any]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(f"{path}：项目清单的编码无法识别，请另存为 UTF-8 编码的 CSV")
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _find_header(rows: list[list[Any]], path: Path) -> tuple[int, dict[str, int], str | None]:
    for r, row in enumerate(rows[:MAX_HEADER_SCAN]):
        columns: dict[str, int] = {}
        money_unit = None
        for c, value in enumerate(row):
            key, unit = _header_key(value)
            if key and key not in columns:
                columns[key] = c
                money_unit = money_unit or unit
        if "project" in columns and "name" in columns:
            missing = [LABELS[k] for k in COLUMNS if k not in columns and k not in OPTIONAL_COLUMNS]
            if missing:
                raise InputError(f"{path}：第 {r + 1} 行表头缺少列：{'、'.join(missing)}")
            return r, columns, money_unit
    raise InputError(f"{path}：没有找到表头行（应含“项目名称”“三级指标”等列）")


class _ProjectsReader:
    def __init__(self, path: Path, profile: Profile | None, money_unit: str | None) -> None:
        self.path = path
        self.profile = profile
        self.money_unit = money_unit
        self.records: list[FormRecord] = []
        self.first_rows: list[int] = []
        self.seen: dict[tuple, int] = {}
        self.previous: dict[str, Any] = {}
        self.current_key: tuple | None = None

    def error(self, row: int, message: str) -> InputError:
        return InputError(f"{self.path}：第 {row} 行：{message}")

    def cell(self, line: list[Any], columns: dict[str, int], key: str) -> Any:
        c = columns.get(key)
        if c is None or c >= len(line):
            return None
        value = line[c]
        return clean_text(value) if not isinstance(value, (int, float)) or isinstance(value, bool) \
            else value

    def number(self, row: int, key: str, value: Any, *, required: bool) -> float | None:
        try:
            number = parse_number(value)
        except ValueParseError:
            raise self.error(row, f"“{LABELS[key]}”应为数字，而不是“{value}”") from None
        if number is None and required:
            raise self.error(row, f"“{LABELS[key]}”为空")
        if number is not None and number < 0:
            raise self.error(row, f"“{LABELS[key]}”不能为负数（{value}）")
        return number

    def add_row(self, row: int, line: list[Any], columns: dict[str, int]) -> None:
        values = {key: self.cell(line, columns, key) for key in COLUMNS}
        if values["money_unit"] is not None:
            values["money_unit"] = normalize_label(values["money_unit"])
        if all(v is None or v == "" for v in values.values()):
            return
        if values["project"] is not None:
            self.start_or_continue(row, values)
        elif not self.records:
            raise self.error(row, "缺少“项目名称”")
        else:
            self.check_same_project(row, values)
        self.add_indicator(row, values)

    def start_or_continue(self, row: int, values: dict[str, Any]) -> None:
        # year, department and unit may be given once and filled down over later projects
        for key in ("year", "department", "unit"):
            if values[key] is None:
                values[key] = self.previous.get(key)
        year = parse_year(values["year"])
        if year is None:
            raise self.error(row, f"“年度”应为年份（如 2024），而不是“{values['year'] or ''}”")
        for key in ("department", "unit"):
            if not values[key]:
                raise self.error(row, f"“{LABELS[key]}”为空")
        key = (year, str(values["department"]), str(values["unit"]), str(values["project"]))
        current = self.records[-1] if self.records else None
        if current is not None and key == self.current_key:
            self.check_same_project(row, values)
            return
        if key in self.seen:
            raise self.error(row, f"项目“{values['project']}”已在第 {self.seen[key]} 行出现，"
                                  "同一项目的各行应相邻")
        money_unit = values["money_unit"] or self.money_unit or (
            self.profile.money_unit if self.profile else "万元")
        if money_unit not in ("万元", "元"):
            raise self.error(row, f"“金额单位”应为 万元 或 元，而不是“{money_unit}”")
        initial = self.number(row, "initial", values["initial"], required=True)
        budget = self.number(row, "budget", values["budget"], required=False)
        self.seen[key] = row
        self.current_key = key
        self.previous = {"year": values["year"], "department": values["department"],
                         "unit": values["unit"], "initial": initial, "budget": budget}
        zero_budget = None if budget is None else 0.0
        funds = Funds(
            total=FundRow(initial=initial, budget=budget),
            current_year=FundRow(initial=initial, budget=budget),
            carryover=FundRow(initial=0.0, budget=zero_budget),
            other=FundRow(initial=0.0, budget=zero_budget),
        )
        self.records.append(FormRecord(
            year=year, project=str(values["project"]), department=str(values["department"]),
            unit=str(values["unit"]),
            money_unit=money_unit,
            funds=funds))
        self.first_rows.append(row)

    def check_same_project(self, row: int, values: dict[str, Any]) -> None:
        for key in ("initial", "budget"):
            if values[key] is None:
                continue
            number = self.number(row, key, values[key], required=False)
            expected = self.previous.get(key)
            if number is not None and (expected is None or abs(number - expected) > 1e-9):
                raise self.error(row, f"同一项目的“{LABELS[key]}”与第 {self.first_rows[-1]} 行"
                                      f"不一致（{values[key]}）")

    def add_indicator(self, row: int, values: dict[str, Any]) -> None:
        record = self.records[-1]
        previous = record.indicators[-1] if record.indicators else None
        level1 = values["level1"] or (previous.level1 if previous else None)
        level2 = values["level2"]
        if level2 is None and previous is not None and previous.level1 == level1:
            level2 = previous.level2
        for key, value in (("level1", level1), ("level2", level2), ("name", values["name"]),
                           ("target", values["target"])):
            if not value:
                raise self.error(row, f"“{LABELS[key]}”为空")
        if self.profile is not None:
            if level1 not in self.profile.level1_names:
                raise self.error(row, f"一级指标“{level1}”不在评价方案“{self.profile.name}”中"
                                      f"（可选：{'、'.join(self.profile.level1_names)}）")
            if level2 not in self.profile.level2_of(level1):
                raise self.error(row, f"二级指标“{level2}”不属于一级指标“{level1}”"
                                      f"（可选：{'、'.join(self.profile.level2_of(level1))}）")
        weight = self.number(row, "weight", values["weight"], required=True)
        if weight > 100:
            raise self.error(row, f"“分值”应在 0 到 100 之间（{values['weight']}）")
        if len(record.indicators) >= MAX_INDICATORS:
            raise self.error(row, f"一个项目最多 {MAX_INDICATORS} 项指标")
        record.indicators.append(Indicator(level1=str(level1), level2=str(level2),
                                           name=str(values["name"]), target=str(values["target"]),
                                           weight=weight))

    def check_totals(self, fund_weight: float) -> None:
        for record, row in zip(self.records, self.first_rows):
            total = fund_weight + sum(i.weight or 0 for i in record.indicators)
            if abs(total - 100) > _WEIGHT_TOLERANCE:
                raise self.error(row, f"项目“{record.project}”的分值合计为 {total:g}"
                                      f"（含预算执行率 {fund_weight:g} 分），应为 100")


def read_projects(path: str | Path, profile: Profile | None = None) -> list[FormRecord]:
    """One prefilled :class:`FormRecord` per project of the list, in list order."""
    path = Path(path)
    rows = _read_rows(path)
    header, columns, money_unit = _find_header(rows, path)
    reader = _ProjectsReader(path, profile, money_unit)
    for r in range(header + 1, len(rows)):
        reader.add_row(r + 1, rows[r], columns)
    if not reader.records:
        raise InputError(f"{path}：项目清单中没有项目")
    reader.check_totals(profile.fund_weight if profile else 10.0)
    return reader.records

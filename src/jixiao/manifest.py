"""The distribution manifest: every form sent out by ``jixiao template --projects``.

``manifest.csv`` (UTF-8 with BOM so Excel/WPS open it right) lists per form its id, year,
unit, project, the file and sheet it was written to, and the fingerprint of its prefilled
values. ``check --manifest`` verifies returned forms against it (R06); ``merge --manifest``
marks every distributed form as returned or missing (M02, M03).
"""

from __future__ import annotations

import os
from dataclasses import astuple, dataclass, fields
from typing import Any, Iterable

from jixiao.errors import InputError
from jixiao.io.csvsafe import FORMULA_TRIGGERS, write_csv_atomic

#: column -> Chinese header written to the file (English headers are read too)
COLUMNS = {
    "form_id": "表单编号",
    "year": "年度",
    "department": "主管部门",
    "unit": "实施单位",
    "project": "项目名称",
    "file": "文件",
    "sheet": "工作表",
    "fingerprint_kind": "指纹类型",
    "fingerprint": "指纹",
}


@dataclass(frozen=True)
class ManifestRow:
    """One form handed out, and how to recognise it when it returns."""
    form_id: str
    year: str
    department: str
    unit: str
    project: str
    file: str
    sheet: str
    fingerprint_kind: str = ""
    fingerprint: str = ""


def write_manifest(path: str | os.PathLike, rows: Iterable[ManifestRow]) -> None:
    """Write atomically (a temporary file renamed into place), formula-safe."""
    write_csv_atomic(path, COLUMNS.values(), (astuple(row) for row in rows))


_BY_HEADER = {**{v: k for k, v in COLUMNS.items()}, **{k: k for k in COLUMNS}}
_HEADER_SCAN = 30


def read_manifest(path: str | os.PathLike, limits: Any = None) -> list[ManifestRow]:
    """The forms of a manifest as written by ``jixiao template``, or as Excel or WPS saved
    it again (.xlsx, .xls, a GBK CSV): read through the gate every return goes through."""
    from jixiao.io.lists import read_list_rows

    rows = read_list_rows(path, "分发清单", lambda rows: _header_row(rows) is not None, limits,
                          missing="分发清单缺少“表单编号”列")
    start = _header_row(rows)
    assert start is not None
    keys = [_BY_HEADER.get(_text(h)) for h in rows[start]]
    forms = []
    for lineno, values in enumerate(rows[start + 1:], start=start + 2):
        texts = [_text(v) for v in values]
        if not any(texts):
            continue
        data = {k: _unquote(v) for k, v in zip(keys, texts) if k}
        if not data.get("form_id"):
            raise InputError(f"{path} 第 {lineno} 行：缺少表单编号")
        forms.append(ManifestRow(**{f.name: data.get(f.name, "") for f in fields(ManifestRow)}))
    return forms


def _header_row(rows: list[list[Any]]) -> int | None:
    for r, row in enumerate(rows[:_HEADER_SCAN]):
        if any(_BY_HEADER.get(_text(v)) == "form_id" for v in row):
            return r
    return None


def _text(value: Any) -> str:
    """A cell as the text the CSV held: Excel turns 2024 into the number 2024.0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _unquote(value: str) -> str:
    """Undo the quote ``write_csv_atomic`` puts before formula-like text."""
    if value.startswith("'") and value[1:2] and value[1] in FORMULA_TRIGGERS:
        return value[1:]
    return value

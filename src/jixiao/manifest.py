"""The distribution manifest: every form sent out by ``jixiao template --projects``.

``manifest.csv`` (UTF-8 with BOM so Excel/WPS open it right) lists per form its id, year,
unit, project, the file and sheet it was written to, and the fingerprint of its prefilled
values. ``check --manifest`` verifies returned forms against it (R06); ``merge --manifest``
marks every distributed form as returned or missing (M02, M03).
"""

from __future__ import annotations

import csv
import os
from dataclasses import astuple, dataclass, fields
from typing import Iterable

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


def read_manifest(path: str | os.PathLike) -> list[ManifestRow]:
    by_header = {**{v: k for k, v in COLUMNS.items()}, **{k: k for k in COLUMNS}}
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if not header:
                raise InputError(f"{path}: 分发清单为空")
            keys = [by_header.get(h.strip()) for h in header]
            if "form_id" not in keys:
                raise InputError(f"{path}: 分发清单缺少“表单编号”列")
            rows = []
            for lineno, values in enumerate(reader, start=2):
                if not any(v.strip() for v in values):
                    continue
                data = {k: _unquote(v.strip()) for k, v in zip(keys, values) if k}
                if not data.get("form_id"):
                    raise InputError(f"{path} 第 {lineno} 行：缺少表单编号")
                rows.append(ManifestRow(**{f.name: data.get(f.name, "") for f in fields(ManifestRow)}))
            return rows
    except OSError as exc:
        raise InputError(f"{path}: 分发清单无法读取（{exc.strerror}）") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: 分发清单不是 UTF-8 编码的 CSV 文件") from None


def _unquote(value: str) -> str:
    """Undo the quote ``write_csv_atomic`` puts before formula-like text."""
    if value.startswith("'") and value[1:2] and value[1] in FORMULA_TRIGGERS:
        return value[1:]
    return value

"""``jixiao template``: the standard workbook, blank or prefilled for every project.

- :mod:`jixiao.template.layout` — where each field sits and how it is named (the contract
  the reader relies on; docs/FORM.md §5);
- :mod:`jixiao.template.writer` — the xlsxwriter form writer;
- :mod:`jixiao.template.batch` — blank workbooks, prefilled workbooks per project or per
  unit, form ids, manifest.csv, worker processes.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from jixiao.template.layout import DEFAULT_ROWS

if TYPE_CHECKING:
    from jixiao.profiles import Profile
    from jixiao.template.batch import DistributedForm

__all__ = ["DistributedForm", "read_manifest", "write_template", "write_blank",
           "write_prefilled"]

# The checker imports jixiao.template.layout (the reader's contract) for every returned
# workbook; importing the package must not pull in the writer and xlsxwriter with it
# (~70 ms of every `jixiao check`). They come on first use.
_LAZY = {"DistributedForm": "jixiao.template.batch", "write_blank": "jixiao.template.batch",
         "write_prefilled": "jixiao.template.batch", "resolve_profile": "jixiao.template.batch",
         "read_manifest": "jixiao.manifest"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def write_template(output: str | os.PathLike, *, projects: str | os.PathLike | None = None,
                   profile: Profile | str | None = None, year: int | None = None,
                   rows: int = DEFAULT_ROWS, money_unit: str | None = None,
                   group_by: str = "project", password: str | None = None,
                   secret: str | None = None, workers: int | None = None,
                   force: bool = False) -> list[DistributedForm]:
    """Write a blank form to ``output`` or, with ``projects``, a prefilled workbook per
    project (``group_by="project"``) or per unit (one sheet per project) into the folder
    ``output``, with its manifest.csv. Returns the forms written. An existing file is
    replaced only with ``force``, the projects list never (UsageError).
    """
    from jixiao.template.batch import resolve_profile, write_blank, write_prefilled

    resolved = resolve_profile(profile)
    if projects is None:
        return [write_blank(output, resolved, year=year, rows=rows, money_unit=money_unit,
                            secret=secret, password=password, force=force)]
    from jixiao.projects import read_projects

    records = read_projects(projects, resolved)
    if money_unit:
        for record in records:
            record.money_unit = money_unit
    if year:
        records = [r for r in records if r.year == year]
        if not records:
            from jixiao.errors import InputError

            raise InputError(f"{projects}：项目清单中没有 {year} 年度的项目，未生成任何表格")
    return write_prefilled(records, output, resolved, group_by=group_by, secret=secret,
                           password=password, workers=workers, force=force,
                           inputs=(projects,))


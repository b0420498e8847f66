"""``jixiao template``: the standard workbook, blank or prefilled for every project.

- :mod:`jixiao.contract` (in the core) — where each field sits and how it is named, the
  contract the template reader relies on too (docs/FORM.md §5);
- :mod:`jixiao.template.writer` — the xlsxwriter form writer;
- :mod:`jixiao.template.batch` — blank workbooks, prefilled workbooks per project or per
  unit, form ids, manifest.csv, worker processes.
"""

from __future__ import annotations

import os

from jixiao.contract import DEFAULT_ROWS
from jixiao.manifest import read_manifest
from jixiao.profiles import Profile
from jixiao.template.batch import DistributedForm, resolve_profile, write_blank, write_prefilled

__all__ = ["DistributedForm", "read_manifest", "write_template", "write_blank",
           "write_prefilled"]


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


"""Many returned files -> one summary (``jixiao merge``).

The pipeline: every file is checked in a worker process (:mod:`jixiao.workers`), which
sends back its rows pickled (:mod:`jixiao.merge.rows`); the parent spills them to a
temporary database and keeps a few fields per form. Decisions across files (duplicates,
the distribution manifest) and the statistics are made on the kept fields
(:mod:`jixiao.merge.consolidate`, :mod:`jixiao.merge.stats`); then the rows are read back
once, sorted by path, and stream into the workbook (:mod:`jixiao.merge.workbook`) or CSV /
Parquet files (:mod:`jixiao.merge.tables`). Memory therefore stays flat whatever the
number of files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator

from jixiao.merge.columns import TABLES
from jixiao.merge.consolidate import Plan, plan as make_plan
from jixiao.merge.progress import MergeProgress, ProgressCallback
from jixiao.merge.tables import CsvTables, ParquetTables, RowSpill, iter_rows, table_paths

FORMATS = ("xlsx", "csv", "parquet")

__all__ = ["FORMATS", "MergeResult", "merge", "output_format"]


def output_format(output: str | os.PathLike | None, fmt: str | None = None) -> str:
    """The format to write: ``fmt``, else the extension of ``output``, else xlsx.

    ``-o 汇总.csv`` alone writes CSV; ``-o 汇总.csv --format xlsx`` contradicts itself
    and is refused rather than writing a workbook under a .csv name.
    """
    from jixiao.errors import UsageError

    suffix = Path(output).suffix.lower().lstrip(".") if output is not None else ""
    implied = suffix if suffix in FORMATS else None
    if fmt is None:
        return implied or "xlsx"
    if fmt not in FORMATS:
        raise UsageError(f"不支持的输出格式“{fmt}”，可选：{'、'.join(FORMATS)}")
    if implied is not None and implied != fmt:
        raise UsageError(f"输出文件 {output} 的扩展名是 .{implied}，与 --format {fmt} 矛盾；"
                         f"请改文件名或去掉 --format")
    return fmt


@dataclass
class MergeResult:
    """What a merge produced. The tables are pandas DataFrames, built on first access.

    ``projects`` (项目汇总), ``indicators`` (指标明细), ``findings`` (问题清单),
    ``unreadable`` (未读取文件: R01 unreadable and R02 no-form files) and, with a manifest,
    ``submissions`` (报送情况); columns are the Chinese headers of the workbook.
    """

    files: int
    forms: int
    unreadable_files: int
    errors: int
    outputs: list[Path] = field(default_factory=list)
    _spill: RowSpill | None = field(default=None, repr=False)
    _plan: Plan | None = field(default=None, repr=False)

    @cached_property
    def _frames(self) -> dict[str, Any]:
        from jixiao.merge.tables import frames

        return frames(self._spill, self._plan)

    projects = property(lambda self: self._frames["projects"], doc="项目汇总")
    indicators = property(lambda self: self._frames["indicators"], doc="指标明细")
    findings = property(lambda self: self._frames["findings"], doc="问题清单")
    unreadable = property(lambda self: self._frames["unreadable"], doc="未读取文件")
    submissions = property(lambda self: self._frames.get("submissions"), doc="报送情况 (with a manifest)")

    def close(self) -> None:
        """Drop the spilled rows (also done when the result is garbage-collected)."""
        if self._spill is not None:
            self._spill.close()


def merge(paths: Iterable[str | os.PathLike] | str | os.PathLike, *,
          output: str | os.PathLike | None = None, fmt: str | None = None,
          manifest: str | os.PathLike | None = None, jobs: int | None = None,
          profile: Any = None, quiet: bool = False,
          progress: bool | ProgressCallback | None = None,
          secret: str | None = None, limits: Any = None) -> MergeResult:
    """Check every form in ``paths`` (files, folders, globs) and consolidate them.

    ``fmt``: xlsx, csv or parquet; by default the extension of ``output`` decides.
    ``output``: the summary workbook (``fmt="xlsx"``) or the base name / folder of the CSV
    or Parquet tables (see :mod:`jixiao.merge.tables`); None writes nothing and only
    returns the DataFrames. ``jobs``: worker processes (default: every core). One bad file
    never stops the run: it is listed in ``unreadable`` with its reason.
    """
    from jixiao.checking import iter_input_files, manifest_fingerprints
    from jixiao.io.safety import Limits
    from jixiao.checking import preload
    from jixiao.merge.rows import check_one, failed_file_rows
    from jixiao.workers import WorkerSettings, run_isolated
    from jixiao.profiles import load_profile

    fmt = output_format(output, fmt)
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if isinstance(profile, str):
        profile = load_profile(profile)  # a bad name fails here, once, not per file
    manifest_rows = None
    fingerprints = None
    if manifest is not None:
        from jixiao.manifest import read_manifest

        manifest_rows = read_manifest(manifest)
        fingerprints = manifest_fingerprints(manifest_rows, secret)
    outputs = []
    if output is not None:
        _check_output_folder(Path(output), fmt)
        outputs = _output_paths(Path(output), fmt, with_submissions=manifest_rows is not None)
    limits = limits or Limits.from_env()
    # The distribution manifest lying in the folder merged is a .csv, but no form.
    refused: dict[str, str] = {}
    listed = list(_without(iter_input_files(paths, refused), [manifest] if manifest else []))
    # An output onto a unit's return is refused; a summary this command wrote into the
    # folder merged (the last run's) is replaced, and is not an input of this run.
    from jixiao.io.outputs import refuse_replacing_inputs

    # -o itself too: "-o manifest.csv" names an input even where the CSV tables it stands
    # for (manifest_projects.csv …) would land beside it
    named = [output] if output is not None and str(output) not in map(str, outputs) else []
    own = refuse_replacing_inputs([*outputs, *named], [*listed, *([manifest] if manifest else [])],
                                  ours=lambda p: _previous_summary(p, fmt))
    files = sorted({str(p) for p in _without(listed, own)})
    if not files and not refused:
        from jixiao.checking import no_input_error

        raise no_input_error(paths)
    jobs = jobs or os.cpu_count() or 1

    spill = RowSpill()
    summaries = []
    try:
        settings = WorkerSettings(profile=profile, secret=secret, manifest_fingerprints=fingerprints,
                                  limits=limits, memory_bytes=getattr(limits, "max_memory_bytes", None))
        if min(jobs, len(files)) > 1:  # one worker would import as much itself
            preload()
        with MergeProgress(len(files), quiet=quiet, progress=progress) as bar:
            for index, (summary, rows) in run_isolated(
                    files, settings, jobs=jobs, time_budget_s=limits.time_budget_s,
                    task=check_one, lost=failed_file_rows, refused=refused):
                spill.put(index, rows)  # files is sorted: index order is the summary's order
                summaries.append(summary)
                bar.advance(len(summary.forms), summary.errors)
            the_plan = make_plan(summaries, manifest_rows)
            result = MergeResult(
                files=len(files), forms=sum(len(s.forms) for s in summaries),
                unreadable_files=sum(s.status != "ok" for s in summaries),
                errors=sum(s.errors for s in summaries), _spill=spill, _plan=the_plan)
            if output is not None:
                bar.status(f"正在写入 {output} ……")
                result.outputs = write_outputs(spill, the_plan, Path(output), fmt, profile)
        return result
    except BaseException:
        spill.close()
        raise


def _without(files: Iterable[Path], own: list) -> Iterator[Path]:
    """``files`` but those that are (links to) one of ``own``.

    A path resolves to an own file only if its name is that file's name or it is itself a
    link, so the full resolution (a system call per folder of the path) is done for those
    few alone: it cost more than the rest of listing 10,000 files.
    """
    real = {os.path.realpath(p) for p in own}
    names = {os.path.basename(p) for p in real}
    for p in files:
        if (p.name in names or os.path.islink(p)) and os.path.realpath(p) in real:
            continue
        yield p


def _previous_summary(path: Path, fmt: str) -> bool:
    """Whether ``path`` holds what ``merge`` writes there (the last run's summary).

    Read from the file's head only: an xlsx by its document title, a CSV by its header.
    """
    import zipfile

    try:
        if fmt == "xlsx":
            from jixiao.merge.workbook import SUMMARY_TITLE

            with zipfile.ZipFile(path) as archive:
                info = archive.getinfo("docProps/core.xml")
                if info.file_size > 64 * 1024:
                    return False
                core = archive.read(info).decode("utf-8", "replace")
            return f">{SUMMARY_TITLE}</dc:title>" in core
        if fmt == "csv":
            with open(path, "rb") as fh:
                head = fh.read(4096).decode("utf-8-sig", "replace")
            labels = {",".join(c.label for c in TABLES[t][1]) for t in TABLES}
            return head.splitlines()[0] in labels if head else False
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return False
    return False


def _check_output_folder(output: Path, fmt: str) -> None:
    from jixiao.errors import UsageError

    folder = output if (fmt != "xlsx" and (output.is_dir() or str(output).endswith(os.sep))) \
        else output.parent
    if not folder.is_dir():
        raise UsageError(f"输出目录不存在：{folder}")
    if fmt == "xlsx" and output.is_dir():
        raise UsageError(f"输出路径是一个文件夹：{output}，请给出 .xlsx 文件名")


def _output_paths(output: Path, fmt: str, *, with_submissions: bool) -> list[Path]:
    if fmt == "xlsx":
        return [output]
    tables = [t for t in TABLES if t != "submissions" or with_submissions]
    return list(table_paths(output, fmt, tables).values())


def write_outputs(spill: RowSpill, the_plan: Plan, output: Path, fmt: str, profile: Any) -> list[Path]:
    """Stream every table into the chosen format; each file appears only when complete."""
    with_submissions = the_plan.submissions is not None
    outputs = _output_paths(output, fmt, with_submissions=with_submissions)
    if fmt == "xlsx":
        from jixiao.merge.stats import Stats
        from jixiao.merge.workbook import SummaryWorkbook
        from jixiao.profiles import load_profile

        stats = Stats(the_plan)
        overview = [
            ("文件数", len(the_plan.files)),
            ("汇总的自评表数", sum(len(s.forms) for s in the_plan.files)),
            ("未读取的文件数", sum(s.status != "ok" for s in the_plan.files)),
            ("问题数", sum(stats.codes.values())),
        ]
        sink: Any = SummaryWorkbook(output, stats, grade_order=[g for g, _ in (profile or load_profile()).grades],
                                    overview=overview, submissions=the_plan.submissions,
                                    unit_submissions=the_plan.unit_submissions)
    else:
        paths = table_paths(output, fmt, [t for t in TABLES if t != "submissions" or with_submissions])
        sink = CsvTables(paths) if fmt == "csv" else ParquetTables(paths)
    try:
        for table, row in iter_rows(spill, the_plan, submissions=fmt != "xlsx"):
            sink.add(table, row)
        sink.close()
    except BaseException:
        sink.abort()
        raise
    return outputs

"""Many returned files -> one summary (``jixiao merge``).

The pipeline: the files listed go, sorted, into a temporary database on disk
(:mod:`jixiao.merge.store`); every file is checked in a worker process
(:mod:`jixiao.workers`), which sends back its rows pickled (:mod:`jixiao.merge.rows`); the
parent stores them with the few fields per form a decision across files needs, and counts
the statistics as they come (:mod:`jixiao.merge.stats`). Decisions across files
(duplicates, the distribution manifest) are made in the store
(:mod:`jixiao.merge.consolidate`); then the rows are read back once, in path order, and
stream into the workbook (:mod:`jixiao.merge.workbook`) or CSV / Parquet files
(:mod:`jixiao.merge.tables`). The parent's memory therefore stays flat whatever the
number of files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator

from jixiao.merge.columns import TABLES
from jixiao.merge.consolidate import Plan, decide
from jixiao.merge.progress import MergeProgress, ProgressCallback
from jixiao.merge.stats import Stats
from jixiao.merge.store import MergeStore
from jixiao.merge.tables import CsvTables, ParquetTables, iter_rows, table_paths
from jixiao.merge.workbook import MAX_SHEET_ROWS

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
    _store: MergeStore | None = field(default=None, repr=False)
    _plan: Plan | None = field(default=None, repr=False)

    @cached_property
    def _frames(self) -> dict[str, Any]:
        from jixiao.merge.tables import frames

        return frames(self._store, self._plan)

    projects = property(lambda self: self._frames["projects"], doc="项目汇总")
    indicators = property(lambda self: self._frames["indicators"], doc="指标明细")
    findings = property(lambda self: self._frames["findings"], doc="问题清单")
    unreadable = property(lambda self: self._frames["unreadable"], doc="未读取文件")
    submissions = property(lambda self: self._frames.get("submissions"), doc="报送情况 (with a manifest)")

    def close(self) -> None:
        """Drop the stored rows (also done when the result is garbage-collected)."""
        if self._store is not None:
            self._store.close()


def merge(paths: Iterable[str | os.PathLike] | str | os.PathLike, *,
          output: str | os.PathLike | None = None, fmt: str | None = None,
          manifest: str | os.PathLike | None = None, jobs: int | None = None,
          profile: Any = None, quiet: bool = False,
          progress: bool | ProgressCallback | None = None,
          secret: str | None = None, limits: Any = None,
          sheet_rows: int = MAX_SHEET_ROWS, partition: bool = False) -> MergeResult:
    """Check every form in ``paths`` (files, folders, globs) and consolidate them.

    ``fmt``: xlsx, csv or parquet; by default the extension of ``output`` decides.
    ``output``: the summary workbook (``fmt="xlsx"``) or the base name / folder of the CSV
    or Parquet tables (see :mod:`jixiao.merge.tables`); None writes nothing and only
    returns the DataFrames. ``jobs``: worker processes (default: every core). One bad file
    never stops the run: it is listed in ``unreadable`` with its reason. ``sheet_rows``:
    rows of one sheet of the xlsx summary, header included (Excel's limit by default); a
    longer table continues on 指标明细(2) …. ``partition`` (Parquet only): each table as a
    dataset folder partitioned by 年度 and 主管部门 (see
    :func:`jixiao.merge.tables.write_partitioned`).
    """
    from jixiao.checking import iter_input_files, manifest_fingerprints
    from jixiao.errors import UsageError
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
    if not 2 <= sheet_rows <= MAX_SHEET_ROWS:
        raise UsageError(f"每张工作表的行数须在 2 到 {MAX_SHEET_ROWS:,} 之间")
    if partition and fmt != "parquet":
        raise UsageError("按年度、主管部门分区只适用于 Parquet 输出（--format parquet）")
    from jixiao.io.outputs import refuse_replacing_inputs

    store = MergeStore()
    try:
        # The listing streams into the store: a province's 100,000 paths are not held here.
        # An input that may be an output of this run or the manifest (named as one, or a
        # link) is put aside and decided after the walk, as before: an output onto a unit's
        # return is refused; a summary this command wrote into the folder merged (the last
        # run's) is replaced, and is not an input of this run; the manifest is no form.
        refused: dict[str, str] = {}
        # -o itself too: "-o manifest.csv" names an input even where the CSV tables it
        # stands for (manifest_projects.csv …) would land beside it
        named = [output] if output is not None and str(output) not in map(str, outputs) else []
        ours = [*outputs, *named]
        aside_names = {os.path.basename(os.path.realpath(p)) for p in [*ours, *([manifest] if manifest else [])]}
        aside: list[Path] = []

        def walk() -> Iterator[str]:
            for p in iter_input_files(paths, refused, seen=store.seen()):
                if p.name in aside_names or os.path.islink(p):
                    aside.append(p)
                else:
                    yield str(p)

        store.add_listed(walk())
        own = refuse_replacing_inputs(ours, [*aside, *([manifest] if manifest else [])],
                                      ours=lambda p: _previous_summary(p, fmt))
        store.add_listed(str(p) for p in _without(aside, [*own, *([manifest] if manifest else [])]))
        files = store.sort_listed()
        if not files and not refused:
            from jixiao.checking import no_input_error

            raise no_input_error(paths)
        jobs = jobs or os.cpu_count() or 1
        stats = Stats()
        settings = WorkerSettings(profile=profile, secret=secret, manifest_fingerprints=fingerprints,
                                  limits=limits, memory_bytes=getattr(limits, "max_memory_bytes", None))
        if min(jobs, len(files)) > 1:  # one worker would import as much itself
            preload()
        with MergeProgress(len(files), quiet=quiet, progress=progress) as bar:
            for index, (summary, rows) in run_isolated(
                    files, settings, jobs=jobs, time_budget_s=limits.time_budget_s,
                    task=check_one, lost=failed_file_rows, refused=refused):
                store.put(index, summary, rows)  # files is sorted: index order is the summary's order
                stats.add_file(summary)
                bar.advance(len(summary.forms), summary.errors)
            store.finish_reading()
            the_plan = decide(store, manifest_rows, stats.add_finding)
            result = MergeResult(files=stats.files, forms=stats.forms, unreadable_files=stats.unreadable,
                                 errors=stats.errors, _store=store, _plan=the_plan)
            if output is not None:
                passes = len(_output_paths(Path(output), fmt, with_submissions=manifest_rows is not None)) \
                    if partition else 1
                bar.writing(f"正在写入 {Path(output).name}", stats.files * passes)
                result.outputs = write_outputs(store, the_plan, stats, Path(output), fmt, profile,
                                               sheet_rows=sheet_rows, partition=partition,
                                               on_file=bar.advance_writing)
        return result
    except BaseException:
        store.close()
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
    """Whether ``path`` holds what ``merge`` writes there (the last run's summary)."""
    from jixiao.own_outputs import SUMMARY, SUMMARY_CSV, own_output_kind

    return own_output_kind(path) == {"xlsx": SUMMARY, "csv": SUMMARY_CSV}.get(fmt)


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


def write_outputs(store: MergeStore, the_plan: Plan, stats: Stats, output: Path, fmt: str, profile: Any, *,
                  sheet_rows: int = MAX_SHEET_ROWS, partition: bool = False,
                  on_file: Any = None) -> list[Path]:
    """Stream every table into the chosen format; each file appears only when complete.
    ``on_file()`` is called after each input file's rows are written."""
    with_submissions = the_plan.submissions is not None
    outputs = _output_paths(output, fmt, with_submissions=with_submissions)
    if fmt == "xlsx":
        from jixiao.merge.workbook import SummaryWorkbook
        from jixiao.profiles import load_profile

        overview = [
            ("文件数", stats.files),
            ("汇总的自评表数", stats.forms),
            ("未读取的文件数", stats.unreadable),
            ("问题数", sum(stats.codes.values())),
        ]
        sink: Any = SummaryWorkbook(output, stats, grade_order=[g for g, _ in (profile or load_profile()).grades],
                                    overview=overview, submissions=the_plan.submissions,
                                    unit_submissions=the_plan.unit_submissions, sheet_rows=sheet_rows)
    elif partition:
        from jixiao.merge.tables import write_partitioned

        write_partitioned(store, the_plan, table_paths(
            output, fmt, [t for t in TABLES if t != "submissions" or with_submissions]), on_file)
        return outputs
    else:
        paths = table_paths(output, fmt, [t for t in TABLES if t != "submissions" or with_submissions])
        sink = CsvTables(paths) if fmt == "csv" else ParquetTables(paths)
    try:
        for table, row in iter_rows(store, the_plan, submissions=fmt != "xlsx", on_file=on_file):
            sink.add(table, row)
        sink.close()
    except BaseException:
        sink.abort()
        raise
    return outputs

"""The final rows of every table, in order, and the CSV / Parquet writers.

Rows come back from merge's store one input file at a time, sorted by path, with the
decisions across files (M01 marks, M01/M03 findings) applied; so the same inputs give the
same tables whatever order they were named or finished in.

CSV and Parquet outputs are the tables as separate files beside the output path:
``汇总.csv`` -> ``汇总_projects.csv``, ``汇总_indicators.csv``, ``汇总_findings.csv``,
``汇总_unreadable.csv`` (and ``汇总_submissions.csv`` with a manifest); a folder as output
gets ``projects.csv`` … inside it. Headers are the Chinese column labels of the workbook.
CSV is UTF-8 with BOM; a text cell starting with = + - @ tab or CR gets a leading single
quote (the OWASP CSV-injection rule) so a spreadsheet shows it as text.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator, NamedTuple

from jixiao.checks.registry import SEVERITY_LABELS
from jixiao.io.textout import field
from jixiao.merge.columns import TABLES, Column
from jixiao.merge.consolidate import Plan
from jixiao.merge.store import MergeStore

TABLE_FILE_NAMES = {"projects": "projects", "indicators": "indicators", "findings": "findings",
                    "unreadable": "unreadable", "submissions": "submissions"}


class FileRows(NamedTuple):
    """One input file's rows with the decisions across files applied."""

    path: str
    projects: list
    indicators: list[tuple]
    #: the file's own findings, then those decided across files (M01, M03)
    findings: list
    unreadable: Any


def iter_files(store: MergeStore, plan: Plan, on_file: Any = None, *,
               by_partition: bool = False) -> Iterator[FileRows]:
    """Every input file's rows, in the summary's order, with the decisions about its forms
    (both read from the store in file order: nothing per form is held). ``by_partition``:
    the files grouped by year and department instead (see ``MergeStore.by_partition``)."""
    if by_partition:
        for number, path, rows in store.by_partition():
            yield _decided(path, rows, store.decisions_of(number))
            if on_file is not None:
                on_file()
        return
    decisions = store.decisions()
    pending = next(decisions, None)
    for number, path, rows in store:
        mine = []
        while pending is not None and pending[0] == number:
            mine.append((pending[1], pending[3], pending[4]))
            pending = next(decisions, None)
        yield _decided(path, rows, mine)
        if on_file is not None:
            on_file()


def _decided(path: str, rows: tuple, decisions: list[tuple[int, str | None, Any]]) -> FileRows:
    """A file's rows with the decisions (form index, M01 mark, finding) applied."""
    projects, indicators, findings, unreadable = rows
    for i, mark, finding in decisions:
        row = projects[i]
        if mark is not None:
            row = row._replace(duplicate=mark)
        if finding is not None:
            if finding.severity == "warning":
                row = row._replace(warnings=row.warnings + 1)
            findings.append(finding)
        projects[i] = row
    return FileRows(path, projects, indicators, findings, unreadable)


def iter_rows(store: MergeStore, plan: Plan, *, submissions: bool = True,
              on_file: Any = None) -> Iterator[tuple[str, tuple]]:
    """(table name, row as written) for every row of every table, in the summary's order;
    without the 报送情况 rows if ``submissions`` is false."""
    for f in iter_files(store, plan, on_file):
        for row in f.projects:
            yield "projects", row
        for row in f.indicators:
            yield "indicators", row
        for row in f.findings:
            yield "findings", shown(row)
        if f.unreadable is not None:
            yield "unreadable", f.unreadable
    for row in plan.tail_findings:
        yield "findings", shown(row)
    if submissions:
        for row in plan.submissions or ():
            yield "submissions", row


def shown(finding: Any) -> tuple:
    """A finding row as written: its severity by its Chinese label."""
    return finding._replace(severity=SEVERITY_LABELS.get(finding.severity, finding.severity))


# ---------------------------------------------------------------- csv / parquet

def table_paths(output: str | os.PathLike, fmt: str, tables: list[str]) -> dict[str, Path]:
    out = Path(output)
    suffix = "." + fmt
    if out.is_dir() or str(output).endswith(("/", os.sep)):
        return {t: out / f"{TABLE_FILE_NAMES[t]}{suffix}" for t in tables}
    stem = out.name[: -len(out.suffix)] if out.suffix.lower() in (".csv", ".parquet", ".xlsx") else out.name
    return {t: out.parent / f"{stem}_{TABLE_FILE_NAMES[t]}{suffix}" for t in tables}


class _AtomicTables:
    """One output file per table, each written to a temporary file beside it and renamed
    into place only when every table is complete."""

    def __init__(self, paths: dict[str, Path]) -> None:
        from contextlib import ExitStack

        from jixiao.io.atomic import atomic_path

        self._stack = ExitStack()
        self._tmp = {t: self._stack.enter_context(atomic_path(p)) for t, p in paths.items()}

    def _finish(self) -> None:
        """Close the writers (subclasses)."""

    def close(self) -> None:
        self._finish()
        self._stack.close()

    def abort(self) -> None:
        try:
            self._finish()
        except Exception:
            pass
        # Leaving the stack with an exception deletes the temporary files.
        self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)


class CsvTables(_AtomicTables):
    def __init__(self, paths: dict[str, Path]) -> None:
        import csv

        from jixiao.io.csvsafe import safe_csv_cell

        super().__init__(paths)
        self._safe = safe_csv_cell
        self._fh = {t: open(tmp, "w", encoding="utf-8-sig", newline="") for t, tmp in self._tmp.items()}
        self._writers = {t: csv.writer(fh) for t, fh in self._fh.items()}
        for t, w in self._writers.items():
            w.writerow([c.label for c in TABLES[t][1]])

    def add(self, table: str, row: tuple) -> None:
        safe = self._safe
        self._writers[table].writerow([safe(field(v)) for v in row])

    def _finish(self) -> None:
        for fh in self._fh.values():
            fh.close()


def arrow_schema(columns: tuple[Column, ...]):
    import pyarrow as pa

    types = {"text": pa.string(), "int": pa.int64()}
    return pa.schema([(c.label, types.get(c.kind, pa.float64())) for c in columns])


class ParquetTables(_AtomicTables):
    #: rows of a row group: a reader filtering a million forms skips whole groups
    BATCH_ROWS = 10_000

    def __init__(self, paths: dict[str, Path]) -> None:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            from jixiao.errors import UsageError

            raise UsageError("输出 Parquet 需要安装 pyarrow：pip install 'jixiao[parquet]'") from None
        super().__init__(paths)
        self._schemas = {t: arrow_schema(TABLES[t][1]) for t in paths}
        self._writers = {t: pq.ParquetWriter(self._tmp[t], self._schemas[t]) for t in paths}
        self._buffers: dict[str, list[tuple]] = {t: [] for t in paths}

    def add(self, table: str, row: tuple) -> None:
        buf = self._buffers[table]
        buf.append(tuple(field(v) for v in row))
        if len(buf) >= self.BATCH_ROWS:
            self._flush(table)

    def _flush(self, table: str) -> None:
        import pyarrow as pa

        buf = self._buffers[table]
        if buf:
            schema = self._schemas[table]
            columns = list(zip(*buf))
            arrays = [pa.array(list(col), type=field.type) for col, field in zip(columns, schema)]
            self._writers[table].write_table(pa.Table.from_arrays(arrays, schema=schema))
            buf.clear()

    def _finish(self) -> None:
        for t, writer in self._writers.items():
            self._flush(t)
            writer.close()


def frames(store: MergeStore, plan: Plan) -> dict[str, Any]:
    """Every table as a pandas DataFrame (columns: the Chinese labels)."""
    import pandas as pd

    # pandas 3 has a text dtype whose missing value is NaN (what read_parquet/read_csv
    # give); pandas 2 keeps text as objects, where astype("str") would write "None".
    text_dtype = "str" if int(pd.__version__.split(".")[0]) >= 3 else object
    rows: dict[str, list[tuple]] = {t: [] for t in TABLES}
    for table, row in iter_rows(store, plan):
        rows[table].append(row)
    out = {}
    for table, (_, columns) in TABLES.items():
        if table == "submissions" and plan.submissions is None:
            continue
        df = pd.DataFrame.from_records(rows[table], columns=[c.label for c in columns])
        for c in columns:
            if c.kind == "int":
                df[c.label] = df[c.label].astype("Int64")
            elif c.kind == "text":
                df[c.label] = df[c.label].astype(text_dtype)
            else:
                df[c.label] = df[c.label].astype("float64")
        out[table] = df
    return out


# ---------------------------------------------------------------- partitioned parquet

#: the columns a partitioned table is split by (folders 年度=2024/主管部门=…)
PARTITION_COLUMNS = ("年度", "主管部门")
#: partition files a dataset write keeps open (the rows come grouped by partition)
_OPEN_PARTITIONS = 8
#: the partition of rows without a year or a department (and of rows of no form)
NO_VALUE = "未填写"


def write_partitioned(store: MergeStore, plan: Plan, paths: dict[str, Path], on_file: Any = None) -> None:
    """Each table as a Parquet dataset, Hive-partitioned by 年度 and 主管部门, for an
    analyst to query a million forms (pandas, polars, DuckDB) without loading them all.

    A table without those columns gets them from its form (indicators and findings by
    their file and sheet); a row without them (an unreadable file's) goes to the folders
    ``年度=未填写/主管部门=未填写``. pyarrow writes the folder names: each value
    URI-encoded after its column's name, so a 主管部门 "../x" or "a/b" is one folder
    inside the dataset, never a path of its own. Each dataset is written into a temporary
    folder beside it and renamed into place when every table is complete; rows stream in
    row groups of ``ParquetTables.BATCH_ROWS``, one pass over the store per table.
    """
    import shutil
    import tempfile

    import pyarrow as pa
    import pyarrow.dataset as ds

    from jixiao.io.atomic import temporary_prefix

    staged: dict[str, Path] = {}
    try:
        for table, final in paths.items():
            _refuse_foreign(final)
            tmp = Path(tempfile.mkdtemp(prefix=temporary_prefix(final), dir=final.parent))
            staged[table] = tmp
            # the partition columns are text (the folder names), a missing value a word:
            # readers cannot yet unify a partition of nulls with the others
            schema = arrow_schema(TABLES[table][1])
            for name in PARTITION_COLUMNS:
                if name in schema.names:
                    schema = schema.set(schema.get_field_index(name), pa.field(name, pa.string()))
                else:
                    schema = schema.append(pa.field(name, pa.string()))
            partitioning = ds.partitioning(pa.schema([(name, pa.string()) for name in PARTITION_COLUMNS]),
                                           flavor="hive")
            ds.write_dataset(
                _batches(store, plan, table, schema, on_file),
                tmp, schema=schema, format="parquet", partitioning=partitioning,
                # Row groups of up to 10,000 rows in each partition (smaller ones, a batch
                # cut into its departments, left ~1 KB of metadata per column and group in
                # memory until the file closed, growing with N). The files come grouped by
                # partition and few partition files stay open, the least recently used
                # closed (its rows written): what is buffered does not grow with the
                # number of forms nor of departments.
                max_rows_per_group=ParquetTables.BATCH_ROWS, min_rows_per_group=ParquetTables.BATCH_ROWS,
                max_open_files=_OPEN_PARTITIONS,
                basename_template="part-{i}.parquet", existing_data_behavior="overwrite_or_ignore")
        for table, final in paths.items():
            if final.exists():
                old = Path(tempfile.mkdtemp(prefix=temporary_prefix(final), dir=final.parent))
                os.replace(final, old / final.name)
                os.replace(staged.pop(table), final)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(staged.pop(table), final)
    finally:
        for tmp in staged.values():
            shutil.rmtree(tmp, ignore_errors=True)


def _refuse_foreign(path: Path) -> None:
    """A dataset replaces only what a dataset or table of ours left there (Parquet files)."""
    from jixiao.errors import UsageError

    if not path.exists() and not path.is_symlink():
        return
    if path.is_symlink() or (path.is_file() and path.suffix != ".parquet") or (
            path.is_dir() and any(f.is_file() and f.suffix != ".parquet" or f.is_symlink()
                                  for f in path.rglob("*"))):
        raise UsageError(f"输出位置“{path}”已有不是 Parquet 数据的内容，不能替换；请换个输出名称")


def _batches(store: MergeStore, plan: Plan, table: str, schema: Any, on_file: Any) -> Iterator[Any]:
    import pyarrow as pa

    columns = TABLES[table][1]
    labels = [c.label for c in columns]
    #: where each partition column's value is: the row's own column, else its form's
    own = [labels.index(name) if name in labels else None for name in PARTITION_COLUMNS]
    sheet_at = next((i for i, c in enumerate(columns) if c.key == "sheet"), None)
    buf: list[tuple] = []

    def batch() -> Any:
        arrays = [pa.array(list(col), type=f.type) for col, f in zip(zip(*buf), schema)]
        buf.clear()
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    def rows() -> Iterator[tuple]:
        for f in iter_files(store, plan, on_file, by_partition=True):
            forms = {}
            for p in f.projects:
                forms.setdefault(p.sheet, (p.year, p.department))
            for row in (f.projects if table == "projects" else f.indicators if table == "indicators"
                        else [shown(r) for r in f.findings] if table == "findings"
                        else [f.unreadable] if table == "unreadable" and f.unreadable is not None else ()):
                form = forms.get(row[sheet_at]) if sheet_at is not None else None
                yield row, form
        if table == "findings":
            for row in plan.tail_findings:
                yield shown(row), None
        if table == "submissions":
            for row in plan.submissions or ():
                yield row, None

    for row, form in rows():
        values = [field(v) for v in row]
        keys = [row[at] if at is not None else None if form is None else form[k] for k, at in enumerate(own)]
        keys = [NO_VALUE if v is None or v == "" else str(v) for v in keys]
        for k, at in enumerate(own):
            if at is None:
                values.append(keys[k])
            else:
                values[at] = keys[k]
        buf.append(tuple(values))
        if len(buf) >= ParquetTables.BATCH_ROWS:
            yield batch()
    if buf:
        yield batch()

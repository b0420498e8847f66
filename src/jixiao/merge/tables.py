"""The final rows of every table, in order, and the CSV / Parquet writers.

Rows come back from the spill file one input file at a time, sorted by path, with the
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
import pickle
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterator, NamedTuple

from jixiao.io.textout import field
from jixiao.merge.columns import (FINDING_COLUMNS, PROJECT_COLUMNS, TABLES,
                                  Column, index_of)
from jixiao.merge.consolidate import Plan
from jixiao.scoring import UNGRADED

TABLE_FILE_NAMES = {"projects": "projects", "indicators": "indicators", "findings": "findings",
                    "unreadable": "unreadable", "submissions": "submissions"}

_DUP = index_of(PROJECT_COLUMNS, "duplicate")
_WARN = index_of(PROJECT_COLUMNS, "warnings")


class RowStore:
    """Pickled rows of each file in one anonymous temporary file, read back by path; with
    them, a file's rows encoded for the workbook that are written at the end (``later``),
    and the encoded indicator rows of files that arrived before their turn.

    Only appended to while the workers read (reads do not move the file position), so
    a file's rows cost one buffered write, not a seek and a flush."""

    def __init__(self) -> None:
        self._fh = tempfile.TemporaryFile(prefix="jixiao-merge-")
        #: path -> (offset; sizes of the other rows, the indicator rows, the encoded
        #: project rows and finding rows after them; whether those were put)
        self._index: dict[str, tuple[int, int, int, int, int, bool]] = {}
        self._ahead: dict[str, tuple[int, int]] = {}
        self._end = 0
        self._unflushed = False

    def _append(self, *blobs: bytes) -> int:
        offset = self._end
        for blob in blobs:
            self._fh.write(blob)
            self._end += len(blob)
        self._unflushed = True
        return offset

    def _read(self, offset: int, size: int) -> bytes:
        if self._unflushed:
            self._fh.flush()
            self._unflushed = False
        if _pread is not None:
            return _pread(self._fh.fileno(), size, offset)
        self._fh.seek(offset)
        data = self._fh.read(size)
        self._fh.seek(self._end)
        return data

    def put(self, path: str, rows: Any, later: Any = None) -> None:
        """``rows``: the file's ``Pickled`` rows; ``later``: its ``Encoded`` rows, of which
        the project and finding rows are kept."""
        projects, findings = (later.projects, later.findings) if later is not None else (b"", b"")
        self._index[path] = (self._append(rows.rest, rows.indicators, projects, findings),
                             len(rows.rest), len(rows.indicators), len(projects), len(findings),
                             later is not None)

    def get(self, path: str, indicators: bool = True) -> tuple[list, list, list, tuple | None]:
        """(projects, indicators, findings, unreadable) of ``path``; no indicator rows
        (an empty list) with ``indicators=False``."""
        offset, rest, size, _, _, _ = self._index[path]
        if not indicators:
            projects, findings, unreadable = pickle.loads(self._read(offset, rest))
            return projects, [], findings, unreadable
        data = memoryview(self._read(offset, rest + size))
        projects, findings, unreadable = pickle.loads(data[:rest])
        return projects, pickle.loads(data[rest:]), findings, unreadable

    def get_later(self, path: str) -> dict[str, bytes] | None:
        """The encoded rows put with ``path``'s rows (table -> bytes), None if none were."""
        offset, rest, size, projects, findings, later = self._index[path]
        if not later:
            return None
        data = self._read(offset + rest + size, projects + findings)
        return {"projects": data[:projects], "findings": data[projects:]}

    def put_ahead(self, path: str, encoded: bytes) -> None:
        self._ahead[path] = (self._append(encoded), len(encoded))

    def take_ahead(self, path: str) -> bytes | None:
        """The bytes put for ``path`` with ``put_ahead`` (once), None if there were none."""
        where = self._ahead.pop(path, None)
        return None if where is None else self._read(*where)

    def close(self) -> None:
        self._fh.close()


#: positioned read where the system has one (not Windows): the file position stays at
#: the end, where the next rows are appended
_pread = getattr(os, "pread", None)


class FileRows(NamedTuple):
    """One input file's rows with the decisions across files applied."""

    path: str
    projects: list[tuple]
    indicators: list[tuple]
    #: the file's own findings, then those decided across files (M01, M03)
    findings: list[tuple]
    unreadable: tuple | None
    #: a decision across files changed its project rows or added findings
    changed: bool


def iter_files(store: RowStore, plan: Plan, indicators: bool = True) -> Iterator[FileRows]:
    """Every input file's rows, in the summary's order (without indicator rows if
    ``indicators`` is false)."""
    with_indicators = indicators
    for summary in plan.files:
        projects, indicators, findings, unreadable = store.get(summary.path, with_indicators)
        changed = False
        for i, row in enumerate(projects):
            ref = (summary.path, i)
            batch = plan.form_findings.get(ref, ())
            if ref in plan.duplicate or batch:
                changed = True
                row = list(row)
                row[_DUP] = plan.duplicate.get(ref)
                row[_WARN] += sum(1 for f in batch if f[4] == "警告")
                projects[i] = tuple(row)
                findings.extend(batch)
        yield FileRows(summary.path, projects, indicators, findings, unreadable, changed)


def iter_rows(store: RowStore, plan: Plan, skip: frozenset[str] = frozenset()) -> Iterator[tuple[str, tuple]]:
    """(table name, row) for every row of every table but ``skip``, in the summary's order."""
    for f in iter_files(store, plan):
        for row in f.projects:
            yield "projects", row
        if "indicators" not in skip:
            for row in f.indicators:
                yield "indicators", row
        for row in f.findings:
            yield "findings", row
        if f.unreadable is not None:
            yield "unreadable", f.unreadable
    yield from iter_plan_rows(plan)


def iter_plan_rows(plan: Plan) -> Iterator[tuple[str, tuple]]:
    """The rows about no returned file, after every file's."""
    for row in plan.tail_findings:
        yield "findings", row
    for row in plan.submissions or ():
        yield "submissions", row


# ---------------------------------------------------------------- statistics

RATE_BANDS = ("无法计算", "< 60%", "60% – 80%", "80% – 90%", "90% – 100%", "= 100%", "> 100%")
NO_GRADE = UNGRADED
NO_UNIT = "（未识别单位）"


def rate_band(rate: float | None) -> str:
    if rate is None:
        return RATE_BANDS[0]
    if rate > 100:
        return RATE_BANDS[6]
    if rate == 100:
        return RATE_BANDS[5]
    for bound, band in ((60, 1), (80, 2), (90, 3)):
        if rate < bound:
            return RATE_BANDS[band]
    return RATE_BANDS[4]


class Stats:
    """Counts for the 统计 sheet, gathered while the rows stream past."""

    _GRADE = index_of(PROJECT_COLUMNS, "grade")
    _RATE = index_of(PROJECT_COLUMNS, "rate")
    _PUNIT = index_of(PROJECT_COLUMNS, "unit")
    _CODE = index_of(FINDING_COLUMNS, "code")
    _SEV = index_of(FINDING_COLUMNS, "severity")
    _FUNIT = index_of(FINDING_COLUMNS, "unit")

    def __init__(self) -> None:
        self.grades: Counter = Counter()
        self.rates: Counter = Counter()
        self.codes: Counter = Counter()
        self.code_severity: dict[str, str] = {}
        #: unit -> [forms, errors, warnings, infos]
        self.units: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])

    def add(self, table: str, row: tuple) -> None:
        if table == "projects":
            self.grades[row[self._GRADE] or NO_GRADE] += 1
            self.rates[rate_band(row[self._RATE])] += 1
            self.units[row[self._PUNIT] or NO_UNIT][0] += 1
        elif table == "findings":
            code, severity = row[self._CODE], row[self._SEV]
            self.codes[code] += 1
            self.code_severity[code] = severity
            slot = {"错误": 1, "警告": 2, "提示": 3}.get(severity)
            if slot:
                self.units[row[self._FUNIT] or NO_UNIT][slot] += 1

    def grade_rows(self, grade_order: list[str]) -> list[tuple[str, int, float]]:
        order = grade_order + sorted(g for g in self.grades if g not in grade_order and g != NO_GRADE)
        order.append(NO_GRADE)
        total = sum(self.grades.values()) or 1
        return [(g, self.grades[g], self.grades[g] / total) for g in order]

    def rate_rows(self) -> list[tuple[str, int, float]]:
        total = sum(self.rates.values()) or 1
        return [(b, self.rates[b], self.rates[b] / total) for b in RATE_BANDS]

    def code_rows(self) -> list[tuple[str, str, str, int]]:
        from jixiao.checks.registry import get_check

        rows = []
        for code in sorted(self.codes, key=lambda c: ("RFITM".find(c[:1]), c)):
            chk = get_check(code)
            rows.append((code, self.code_severity[code], chk.title if chk else "", self.codes[code]))
        return rows

    def unit_rows(self) -> list[tuple[str, int, int, int, int, int]]:
        rows = [(u, *c, c[1] + c[2] + c[3]) for u, c in self.units.items()]
        rows.sort(key=lambda r: (-r[5], r[0]))
        return rows


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
    BATCH_ROWS = 20_000

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


def frames(store: RowStore, plan: Plan) -> dict[str, Any]:
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

"""merge's working store: a temporary SQLite database on disk that holds, per input file,
everything a province's run would otherwise keep in the parent's memory.

- ``inputs``: the listed files, sorted by path (their number is the summary's order and
  the index the workers answer under);
- ``files``: each file's rows, pickled by the worker, as they arrive;
- ``forms``: the few fields of each form that a decision across files needs (duplicates,
  the distribution manifest), indexed when the last file is in;
- ``decided``: what those decisions say about one form (its M01 mark, M01/M03 findings),
  read back in file order while the rows are written.

So the parent's memory does not grow with the number of files: SQLite's page cache is
bounded and the rest is on disk (deleted when the store is closed).
"""

from __future__ import annotations

import pickle
import sqlite3
from collections.abc import MutableSet, Sequence
from typing import Any, Iterable, Iterator, NamedTuple

from jixiao.values import normalize_label

#: answers stored between two commits (one transaction each)
_COMMIT_EVERY = 2000
#: paths read per query when the inputs are walked in order
_CHUNK = 2000


def _key(path: str) -> bytes:
    # Stored as UTF-8 bytes, surrogates (undecodable names) included: SQLite compares
    # blobs bytewise, which is the code-point order Python's sorted() gives.
    return path.encode("utf-8", "surrogatepass")


def _path(key: bytes) -> str:
    return key.decode("utf-8", "surrogatepass")


class StoredForm(NamedTuple):
    """A form as the decisions across files see it."""

    number: int
    index: int
    path: str
    mtime: float
    #: a jixiao.merge.rows.FormKey without grade and rate
    key: Any
    #: (year, unit, project) as compared across files
    identity: tuple


class MergeStore:
    def __init__(self) -> None:
        # "" is a private temporary database on disk; nothing of it needs to survive a crash
        self._db = sqlite3.connect("", check_same_thread=False)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -4096"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.executescript("""
            CREATE TABLE listed (path BLOB NOT NULL);
            CREATE TABLE inputs (number INTEGER PRIMARY KEY, path BLOB NOT NULL);
            CREATE TABLE files (number INTEGER PRIMARY KEY, mtime REAL, rows BLOB NOT NULL);
            CREATE TABLE forms (number INTEGER NOT NULL, idx INTEGER NOT NULL, sheet, anchor, year,
                                department, unit, project, form_id, figures, uk, pk);
            CREATE TABLE decided (number INTEGER NOT NULL, idx INTEGER NOT NULL, duplicate TEXT,
                                  finding BLOB);
            CREATE INDEX decided_form ON decided (number, idx);
            CREATE TABLE seen (path BLOB PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE used (number INTEGER NOT NULL, idx INTEGER NOT NULL,
                               PRIMARY KEY (number, idx)) WITHOUT ROWID;
        """)
        self._pending = 0
        self._inputs = 0

    # ------------------------------------------------------------ the listing

    def add_listed(self, paths: Iterable[str]) -> None:
        """Paths as the walk finds them (repeats and any order)."""
        self._db.executemany("INSERT INTO listed VALUES (?)", ((_key(p),) for p in paths))

    def seen(self) -> SeenPaths:
        """A set of paths kept in the store (the walk's memory of the files it gave)."""
        return SeenPaths(self._db)

    def sort_listed(self) -> Inputs:
        """Number the listed paths in path order, each once; returns them as a sequence."""
        db = self._db
        db.execute("INSERT INTO inputs (number, path) SELECT row_number() OVER (ORDER BY path) - 1, path "
                   "FROM (SELECT DISTINCT path FROM listed)")
        db.execute("DELETE FROM listed")
        db.execute("DELETE FROM seen")
        db.commit()
        self._inputs = db.execute("SELECT count(*) FROM inputs").fetchone()[0]
        return Inputs(self)

    # ------------------------------------------------------------ answers

    def put(self, number: int, summary: Any, rows: bytes) -> None:
        """One file's answer: its rows and the keys of its forms."""
        db = self._db
        db.execute("INSERT INTO files VALUES (?, ?, ?)", (number, summary.mtime, rows))
        if summary.forms:
            db.executemany(
                "INSERT INTO forms VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(number, i, k.sheet, k.anchor, k.year, k.department, k.unit, k.project, k.form_id,
                  k.figures, normalize_label(k.unit or ""), normalize_label(k.project or ""))
                 for i, k in enumerate(summary.forms)])
        self._pending += 1
        if self._pending >= _COMMIT_EVERY:
            self._pending = 0
            db.commit()

    def finish_reading(self) -> None:
        """Every answer is in: index the forms for the decisions across files."""
        db = self._db
        db.commit()
        db.execute("CREATE INDEX forms_identity ON forms (year, uk, pk)")
        db.execute("CREATE INDEX forms_id ON forms (form_id)")
        db.commit()

    # ------------------------------------------------------------ decisions

    _FORM = ("SELECT f.number, f.idx, i.path, fl.mtime, f.sheet, f.anchor, f.year, f.department, "
             "f.unit, f.project, f.form_id, f.figures, f.uk, f.pk FROM forms f "
             "JOIN inputs i ON i.number = f.number JOIN files fl ON fl.number = f.number ")

    def _forms(self, where: str, args: tuple = (), order: str = "f.number, f.idx") -> Iterator[StoredForm]:
        from jixiao.merge.rows import FormKey

        for number, idx, path, mtime, *key, uk, pk in self._db.execute(
                f"{self._FORM} {where} ORDER BY {order}", args):
            yield StoredForm(number, idx, _path(path), mtime, FormKey(*key), (key[2], uk, pk))

    def forms_by_identity(self) -> Iterator[StoredForm]:
        """Every form with a project name, ordered by its identity (year, unit, project as
        compared), then by file and place in the file."""
        return self._forms("WHERE f.project IS NOT NULL", order="f.year, f.uk, f.pk, f.number, f.idx")

    def forms_with_id(self, form_id: str) -> list[StoredForm]:
        return list(self._forms("WHERE f.form_id = ?", (form_id,)))

    def forms_with_identity(self, year: Any, unit: str, project: str) -> list[StoredForm]:
        return list(self._forms("WHERE f.year IS ? AND f.uk = ? AND f.pk = ?", (year, unit, project)))

    def mark_used(self, forms: Iterable[StoredForm]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO used VALUES (?, ?)",
                             [(f.number, f.index) for f in forms])

    def unused_forms(self) -> Iterator[StoredForm]:
        return self._forms("WHERE NOT EXISTS (SELECT 1 FROM used u WHERE u.number = f.number "
                           "AND u.idx = f.idx)")

    def decide(self, form: StoredForm, *, duplicate: str | None = None, finding: Any = None) -> None:
        self._db.execute("INSERT INTO decided VALUES (?, ?, ?, ?)",
                         (form.number, form.index, duplicate,
                          None if finding is None else pickle.dumps(finding, pickle.HIGHEST_PROTOCOL)))

    def decisions(self) -> Iterator[tuple[int, int, str, str | None, Any]]:
        """(file number, form index, path, duplicate mark or None, finding or None), in
        the summary's order, findings in the order decided."""
        for number, idx, path, duplicate, finding in self._db.execute(
                "SELECT d.number, d.idx, i.path, d.duplicate, d.finding FROM decided d "
                "JOIN inputs i ON i.number = d.number ORDER BY d.number, d.idx, d.rowid"):
            yield number, idx, _path(path), duplicate, None if finding is None else pickle.loads(finding)

    def decisions_of(self, number: int) -> list[tuple[int, str | None, Any]]:
        """(form index, duplicate mark or None, finding or None) about one file's forms."""
        return [(idx, duplicate, None if finding is None else pickle.loads(finding))
                for idx, duplicate, finding in self._db.execute(
                    "SELECT idx, duplicate, finding FROM decided WHERE number = ? ORDER BY idx, rowid",
                    (number,))]

    # ------------------------------------------------------------ reading back

    def path(self, number: int) -> str:
        return _path(self._db.execute("SELECT path FROM inputs WHERE number = ?", (number,)).fetchone()[0])

    def paths(self, start: int = 0) -> Iterator[str]:
        number = start
        while True:
            chunk = self._db.execute("SELECT path FROM inputs WHERE number >= ? ORDER BY number LIMIT ?",
                                     (number, _CHUNK)).fetchall()
            if not chunk:
                return
            number += len(chunk)
            yield from (_path(p) for (p,) in chunk)

    def __len__(self) -> int:
        return self._inputs

    def __iter__(self) -> Iterator[tuple[int, str, tuple[list, list, list, Any]]]:
        """(number, path, (projects, indicators, findings, unreadable)) of every file, in
        the summary's order."""
        self._db.commit()
        for number, path, rows in self._db.execute(
                "SELECT i.number, i.path, f.rows FROM inputs i JOIN files f ON f.number = i.number "
                "ORDER BY i.number"):
            yield number, _path(path), pickle.loads(rows)

    def by_partition(self) -> Iterator[tuple[int, str, tuple[list, list, list, Any]]]:
        """As iterating the store, but the files grouped by their first form's year and
        department (path order within a group): a partitioned dataset then has one or two
        partitions in the making at a time, whatever the number of departments."""
        self._db.commit()
        numbers = self._db.execute(
            "SELECT i.number FROM inputs i LEFT JOIN forms k ON k.number = i.number AND k.idx = 0 "
            "ORDER BY k.year, k.department, i.number")
        for (number,) in numbers:
            path, rows = self._db.execute(
                "SELECT i.path, f.rows FROM inputs i JOIN files f ON f.number = i.number "
                "WHERE i.number = ?", (number,)).fetchone()
            yield number, _path(path), pickle.loads(rows)

    def close(self) -> None:
        self._db.close()


class SeenPaths(MutableSet):
    """A set of paths in the store's database: the walk remembers every file it gave, and
    for 100,000 files that was 29 MB of the parent's memory."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self._db.execute(
            "SELECT 1 FROM seen WHERE path = ?", (_key(path),)).fetchone() is not None

    def add(self, path: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (_key(path),))

    def discard(self, path: str) -> None:
        self._db.execute("DELETE FROM seen WHERE path = ?", (_key(path),))

    def __iter__(self) -> Iterator[str]:
        return (_path(p) for (p,) in self._db.execute("SELECT path FROM seen").fetchall())

    def __len__(self) -> int:
        return self._db.execute("SELECT count(*) FROM seen").fetchone()[0]


class Inputs(Sequence):
    """The sorted input paths, read from the store as they are needed: the worker pool
    walks them in order without a list of every path in memory."""

    def __init__(self, store: MergeStore) -> None:
        self._store = store

    def __len__(self) -> int:
        return len(self._store)

    def __getitem__(self, i: int) -> str:  # type: ignore[override]
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._store.path(i)

    def __iter__(self) -> Iterator[str]:
        return self._store.paths()

    def __contains__(self, path: object) -> bool:
        return any(p == path for p in self)

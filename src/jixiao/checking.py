"""Files in, forms and findings out: the library behind ``jixiao check``.

``check_file`` reads one file (any supported format), finds every form in it (our own
template exactly through its defined names, any other layout by its labels), recomputes
each form and runs every check. ``check_paths`` does it for files, folders and globs.
"""

from __future__ import annotations

import dataclasses
import functools
import glob
import os
import stat
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from jixiao.checks.registry import Hit, finding, run_checks
from jixiao.errors import JixiaoError, NoInputError, ReadError
from jixiao.io.safety import INPUT_EXTENSIONS
from jixiao.model import Finding, FormRecord
from jixiao.profiles import Profile, load_profile
from jixiao.scoring import UNGRADED, Recomputed, recompute



@dataclass
class FormResult:
    record: FormRecord
    recomputed: Recomputed
    findings: list[Finding]
    profile: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.record.sheet,
            "anchor": self.record.anchor,
            "record": self.record.to_dict(),
            "recomputed": self.recomputed.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class FileResult:
    path: str
    forms: list[FormResult] = field(default_factory=list)
    #: file-level findings: R01 (unreadable) or R02 (no form found)
    file_findings: list[Finding] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "unreadable" if any(f.code == "R01" for f in self.file_findings) else "ok"

    @property
    def error(self) -> Finding | None:
        return next((f for f in self.file_findings if f.code == "R01"), None)

    def all_findings(self) -> list[Finding]:
        return self.file_findings + [f for form in self.forms for f in form.findings]

    def to_dict(self) -> dict[str, Any]:
        error = self.error
        return {
            "path": self.path,
            "status": self.status,
            "error": None if error is None else {"code": error.code, "message": error.message},
            "forms": [form.to_dict() for form in self.forms],
            "findings": [f.to_dict() for f in self.file_findings],
        }


@dataclass
class CheckReport:
    files: list[FileResult]

    def counts(self) -> dict[str, int]:
        findings = [f for fr in self.files for f in fr.all_findings()]
        return {
            "files": len(self.files),
            "forms": sum(len(fr.forms) for fr in self.files),
            "errors": sum(f.severity == "error" for f in findings),
            "warnings": sum(f.severity == "warning" for f in findings),
            "infos": sum(f.severity == "info" for f in findings),
        }

    @property
    def has_errors(self) -> bool:
        return self.counts()["errors"] > 0

    def to_dict(self) -> dict[str, Any]:
        return {"files": [fr.to_dict() for fr in self.files], "summary": self.counts()}


# ---------------------------------------------------------------- finding the input files

def iter_input_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Files named, files under folders (recursive, symlink loops safe) and glob matches.

    Each file is given once, in a stable order. A path that matches nothing is given as is,
    so the reader reports it (R01) instead of it vanishing silently.
    """
    seen: set[str] = set()
    visited: set[str] = set()
    real_folders: dict[str, str] = {}

    def emit(p: Path, key: str | None = None) -> Iterator[Path]:
        key = key or os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            yield p

    for raw in paths:
        path = Path(raw)
        try:
            is_plain_file = stat.S_ISREG(os.lstat(path).st_mode)
        except OSError:
            is_plain_file = False
        if is_plain_file:  # the usual case, in one system call: a file named, not a link
            yield from emit(path, _named_file_key(path, real_folders))
        elif path.is_dir():
            yield from _walk(path, emit, visited)
        elif path.exists() or path.is_symlink():
            yield from emit(path)
        elif glob.has_magic(str(raw)):
            for match in sorted(glob.glob(str(raw), recursive=True)):
                m = Path(match)
                yield from (_walk(m, emit, visited) if m.is_dir() else emit(m))
        else:
            yield from emit(path)


def no_input_error(paths: Iterable[str | os.PathLike]) -> NoInputError:
    """The error for paths that hold no workbook, saying where we looked."""
    where = "、".join(os.path.abspath(p) for p in paths) or "（没有给出路径）"
    return NoInputError(f"没有找到任何工作簿：在 {where} 下没有表格文件"
                        "（.xlsx、.xls、.ods、.csv 等），请检查路径")


def _named_file_key(path: Path, real_folders: dict[str, str]) -> str:
    """The real path of a file (not a link) named on its own, its folder resolved once for
    every file named in it: a bureau may name thousands, and a full resolution each cost
    more than reading the list."""
    folder = str(path.parent)
    real = real_folders.get(folder)
    if real is None:
        real = real_folders[folder] = os.path.realpath(folder)
    return os.path.join(real, path.name)


def _walk(folder: Path, emit, visited: set[str]) -> Iterator[Path]:
    # One realpath per folder, not per file: a bureau's folder holds thousands of returns.
    real = os.path.realpath(folder)
    if real in visited:  # a symlink loop, or a folder given twice: do not go round again
        return
    visited.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    subfolders = []
    for entry in entries:
        try:
            if entry.is_dir():
                subfolders.append(entry)
                continue
        except OSError:
            continue
        name = entry.name
        if name.startswith(("~$", ".~lock")):  # Office/LibreOffice lock files
            continue
        # inside a folder only spreadsheet and text names; a file named explicitly is
        # always tried
        if os.path.splitext(name)[1].lower() in INPUT_EXTENSIONS:
            key = None if entry.is_symlink() else os.path.join(real, name)
            yield from emit(Path(entry.path), key)
    for entry in subfolders:
        yield from _walk(Path(entry.path), emit, visited)


# ---------------------------------------------------------------- one file

def read_forms(path: str | os.PathLike, limits: Any = None) -> list[FormRecord]:
    """Every form in one file. Raises ReadError when the file cannot be read."""
    gate, read_grids, read_template_forms, find_forms = _readers()
    limits = limits or _limits_from_env(*map(os.environ.get, _LIMIT_VARIABLES))
    # One gate, one read of the file: the grids and the template's parts come from it.
    gated = gate(path, limits)
    grids = read_grids(path, limits, gated=gated)
    records = read_template_forms(path, grids, gated.package)
    if records is None:
        records = []
        for grid in grids:
            if grid.hidden:
                continue
            records.extend(find_forms(grid))
    return records


# The readers are imported on first use (the template reader pulls in the template writer,
# which `jixiao rules` and `--help` do not need), once: an import statement costs
# microseconds even when the module is loaded, and read_forms runs once per file.
@functools.cache
def _readers() -> tuple[Any, Any, Any, Any]:
    from jixiao.io.readers import read_grids
    from jixiao.io.safety import gate
    from jixiao.io.template_reader import read_template_forms
    from jixiao.layout import find_forms

    return gate, read_grids, read_template_forms, find_forms


def preload() -> None:
    """Import now what checking a file imports on first use (readers, layout, checks,
    the default profile): a process about to fork workers pays it once instead of each
    worker on its first file."""
    from jixiao.checks.registry import _load_all
    from jixiao.io.readers import _calamine_enums

    _readers()
    _calamine_enums()  # python-calamine itself
    _load_all()
    load_profile()


def _limit_variables() -> tuple[str, ...]:
    from jixiao.io.safety import Limits

    return tuple(f"JIXIAO_{f.name.upper()}" for f in dataclasses.fields(Limits))


_LIMIT_VARIABLES = _limit_variables()


# Limits.from_env parses every variable on each call; the same settings recur for every
# file of a run, and Limits is frozen, so one instance per distinct setting is shared.
@functools.lru_cache(maxsize=8)
def _limits_from_env(*values: str | None) -> Any:
    from jixiao.io.safety import Limits

    return Limits.from_env({name: value for name, value in zip(_LIMIT_VARIABLES, values)
                            if value is not None})


def check_file(path: str | os.PathLike, profile: Profile | str | None = None, *,
               secret: str | None = None, manifest_fingerprints: dict[str, str] | None = None,
               limits: Any = None, debug: bool = False) -> FileResult:
    """Read one file and check every form in it. Never raises for a bad file: R01."""
    result = FileResult(path=str(path))
    forced = load_profile(profile) if isinstance(profile, str) else profile
    try:
        records = read_forms(path, limits)
        if not records:
            result.file_findings.append(finding("R02", Hit(
                "未在文件中找到项目支出绩效自评表（没有“项目名称”“项目资金”“绩效指标”等表头）"),
                None))
        for record in records:
            form_profile = forced or _profile_of(record)
            recomputed = recompute(record, form_profile)
            findings = run_checks(record, form_profile, secret=secret,
                                  manifest_fingerprints=manifest_fingerprints,
                                  recomputed=recomputed)
            if any(f.code == "R04" for f in findings):  # a number read as text: no grade
                recomputed = dataclasses.replace(recomputed, grade=UNGRADED)
            result.forms.append(FormResult(record, recomputed, findings, form_profile.name))
    except ReadError as exc:
        result.forms = []
        result.file_findings = [finding("R01", Hit(exc.reason, found=exc.kind), None)]
    except JixiaoError as exc:
        result.forms = []
        result.file_findings = [finding("R01", Hit(str(exc)), None)]
    except Exception as exc:  # a bug of ours must not stop a run over thousands of files
        if debug:
            raise
        result.forms = []
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        result.file_findings = [finding("R01", Hit(
            f"读取时出现程序内部错误，请将此文件反馈给维护人员（{detail}）"), None)]
    return result


def _profile_of(record: FormRecord) -> Profile:
    """The profile a form was generated with, else the default."""
    name = record.template.profile if record.template else None
    try:
        return load_profile(name)
    except JixiaoError:
        return load_profile()


def check_paths(paths: Iterable[str | os.PathLike] | str | os.PathLike,
                profile: Profile | str | None = None, *, secret: str | None = None,
                manifest: str | os.PathLike | None = None, limits: Any = None,
                jobs: int | None = None, isolate: bool = True,
                debug: bool = False) -> CheckReport:
    """Check every form in the given files, folders and globs (``jixiao check``).

    Files are read in worker processes (``jobs``, default: every core), so a file that
    crashes the reader or overruns the per-file time budget costs only its own R01.
    ``isolate=False`` (or ``debug``) checks in this process, tracebacks and all.
    """
    from jixiao.io.safety import Limits

    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if isinstance(profile, str):
        profile = load_profile(profile)
    limits = limits or Limits.from_env()
    fingerprints = load_manifest_fingerprints(manifest, secret) if manifest else None
    # the manifest often lies in the folder being checked: it is a .csv, but no form
    skip = {os.path.realpath(manifest)} if manifest else set()
    files = [str(p) for p in iter_input_files(paths) if os.path.realpath(p) not in skip]
    if not files:
        raise no_input_error(paths)
    if not isolate or debug or not files:
        return CheckReport([check_file(p, profile, secret=secret, limits=limits,
                                       manifest_fingerprints=fingerprints, debug=debug)
                            for p in files])

    from jixiao.workers import WorkerSettings, run_isolated

    settings = WorkerSettings(profile=profile, secret=secret, manifest_fingerprints=fingerprints,
                              limits=limits,
                              memory_bytes=getattr(limits, "max_memory_bytes", None))
    results: list[FileResult | None] = [None] * len(files)
    for index, result in run_isolated(files, settings, jobs=jobs or os.cpu_count() or 1,
                                      time_budget_s=limits.time_budget_s,
                                      task=check_in_worker, lost=lost_file):
        results[index] = result
    return CheckReport([r for r in results if r is not None])


def check_in_worker(path: str, settings: Any) -> FileResult:
    """``check_file`` as a worker task (never raises)."""
    return check_file(path, settings.profile, secret=settings.secret, limits=settings.limits,
                      manifest_fingerprints=settings.manifest_fingerprints)


def lost_file(path: str, reason: str) -> FileResult:
    """The result of a file whose worker died or ran out of time."""
    return FileResult(path=path, file_findings=[finding("R01", Hit(reason), None)])


def load_manifest_fingerprints(manifest: str | os.PathLike,
                               secret: str | None = None) -> dict[str, str]:
    """form id -> fingerprint from a manifest.csv written by ``jixiao template``."""
    from jixiao.manifest import read_manifest

    return manifest_fingerprints(read_manifest(manifest), secret)


def manifest_fingerprints(rows: Iterable[Any], secret: str | None) -> dict[str, str]:
    """The fingerprints that can be verified: a keyed (HMAC) one only with its secret.

    Without the secret an HMAC fingerprint cannot be recomputed; comparing it anyway
    would report every form as changed. Those forms are still compared cell by cell with
    the prefilled values their template records (R06).
    """
    return {row.form_id: row.fingerprint for row in rows
            if row.fingerprint and (secret or row.fingerprint_kind != "hmac-sha256")}

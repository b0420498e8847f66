"""The portal's calls into the jixiao library: round creation, checking an upload,
annotated copies, the summary. No Django here except settings-free helpers, so the
library's behaviour stays the CLI's."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable

from jixiao.io.safety import INPUT_EXTENSIONS

PROJECT_LIST_EXTENSIONS = (".xlsx", ".xls", ".csv")
#: the name a checked upload is read under (what a .csv/.txt upload's findings call its sheet)
TEXT_SHEET = "自评表"


#: the server's checker processes (None: run here, as tests with Django's client do)
_checkers: Any = None
_checker_count = 0


def start_checkers(count: int) -> None:
    """Run every check and merge in ``count`` processes made by a fork server, started
    now, before waitress's threads exist.

    The library's workers are forked (fast, and safe in a process without threads). A
    waitress process has eight threads, and a child forked from it while another thread
    held SQLite's mutex hung on its first garbage collection (about one upload in a
    thousand under load, proven by a stack dump). The checker processes are
    single-threaded, so the library's own workers are forked from them safely; a hostile
    file still costs only the worker the library forks for it."""
    global _checkers, _checker_count
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    context = mp.get_context("forkserver")
    context.set_forkserver_preload(["jixiao.serve.library", "jixiao.checking", "jixiao.merge",
                                    "jixiao.annotate", "jixiao.report"])
    _checker_count = count
    _checkers = ProcessPoolExecutor(max_workers=count, mp_context=context,
                                    initializer=_preload_checks)
    # the fork server and a first checker now, so the first upload waits for neither
    _checkers.submit(_preload_checks).result()


def _preload_checks() -> None:
    from jixiao.checking import preload

    preload()


def stop_checkers() -> None:
    global _checkers
    if _checkers is not None:
        _checkers.shutdown(wait=False, cancel_futures=True)
        _checkers = None


def in_checker(function: Any, *args: Any, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)`` in a checker process when the server started them,
    else here. A checker lost (killed from outside) is replaced once."""
    if _checkers is None:
        return function(*args, **kwargs)
    from concurrent.futures.process import BrokenProcessPool

    try:
        return _checkers.submit(function, *args, **kwargs).result()
    except BrokenProcessPool:
        stop_checkers()
        start_checkers(_checker_count)
        return _checkers.submit(function, *args, **kwargs).result()


def known_extension(name: str, allowed: Iterable[str] = INPUT_EXTENSIONS) -> str:
    """The extension the readers know that ``name`` ends with, from our own list (so no
    text of the name reaches a path), or "" for any other."""
    suffix = os.path.splitext(name.strip().rstrip("."))[1].lower()
    return next((ext for ext in sorted(allowed) if ext == suffix), "")


def round_folder(data: Path, round_id: int) -> Path:
    return data / "rounds" / str(int(round_id))


def generate_round(data: Path, round_id: int, projects_file: Path, year: int | None):
    """The prefilled workbooks and manifest.csv of a round, written by the same batch
    writer as ``jixiao template --projects``. Returns the manifest rows."""
    from jixiao.template import write_template

    out = round_folder(data, round_id) / "forms"
    return write_template(out, projects=projects_file, year=year, workers=1)


def store_blob(data: Path, chunks: Iterable[bytes]) -> tuple[str, int, Path]:
    """Write an upload under DATA/uploads/ab/cdef… by its SHA-256; an existing blob of the
    same hash is the same content and is kept as it is (never overwritten)."""
    tmp_dir = data / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                fh.write(chunk)
        sha = digest.hexdigest()
        final = blob_path(data, sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            os.unlink(tmp_name)
        else:
            os.chmod(tmp_name, 0o440)
            os.replace(tmp_name, final)
        return sha, size, final
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise


def blob_path(data: Path, sha: str) -> Path:
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ValueError("not a SHA-256 hex digest")
    return data / "uploads" / sha[:2] / sha[2:]


def annotated_path(data: Path, sha: str, round_id: int) -> Path:
    blob_path(data, sha)  # validates the digest
    return data / "annotated" / sha[:2] / f"{sha[2:]}-r{int(round_id)}.xlsx"


def staged_copy(blob: Path, ext: str, folder: Path, stem: str = "upload") -> Path:
    """The blob under a name the readers take (their sniffing of text files goes by the
    extension): a hard link where the file system allows, else a copy."""
    target = folder / f"{stem}{ext}"
    try:
        os.link(blob, target)
    except OSError:
        shutil.copyfile(blob, target)
    return target


def check_upload(data: Path, blob: Path, ext: str, manifest: Path | None, sha: str,
                 round_id: int, display_name: str, *,
                 annotate: bool = False) -> tuple[dict[str, Any], Any, bool]:
    """Check one stored upload through the library's isolated workers with the CLI's
    limits; with ``annotate``, write its annotated copy in the same worker (openpyxl's
    load and save cost ~15x the check: done when the copy is first asked for). Returns
    (one entry of ``jixiao check --format json``'s "files", the FileResult, whether a
    copy was written)."""
    from jixiao.checking import CheckReport, check_paths
    from jixiao.io.safety import Limits
    from jixiao.report import render

    work = Path(tempfile.mkdtemp(prefix="check-", dir=data / "tmp"))
    try:
        # a text file's one sheet is named after the file: a fixed name, never the unit's
        staged = staged_copy(blob, ext, work, TEXT_SHEET)
        copies = work / "annotated" if annotate else None
        report = check_paths([staged], manifest=manifest, limits=Limits.from_env(), jobs=1,
                             annotate_dir=copies)
        result = report.files[0]
        written = False
        if result.copy:
            target = annotated_path(data, sha, round_id)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(result.copy, target)
            written = True
        entry = json.loads(render(CheckReport([result]), "json"))["files"][0]
        entry["path"] = display_name
        return entry, result, written
    finally:
        shutil.rmtree(work, ignore_errors=True)


def counts(entry: dict[str, Any]) -> dict[str, int]:
    findings = list(entry.get("findings", []))
    for form in entry.get("forms", []):
        findings.extend(form.get("findings", []))
    return {s: sum(f.get("severity") == s for f in findings) for s in ("error", "warning", "info")}


def all_findings(entry: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(entry.get("findings", []))
    for form in entry.get("forms", []):
        found.extend(form.get("findings", []))
    return found


def grade(entry: dict[str, Any]) -> str:
    for form in entry.get("forms", []):
        recomputed = form.get("recomputed") or {}
        value = recomputed.get("grade")
        if value:
            return str(value)
    return ""


def merge_summary(data: Path, manifest: Path, uploads: list[tuple[str, Path, str]],
                  output: Path) -> None:
    """The ``jixiao merge`` workbook over the given uploads ((stem, blob, ext)) with the
    round's manifest, written to ``output``."""
    from jixiao.merge import merge

    work = Path(tempfile.mkdtemp(prefix="merge-", dir=data / "tmp"))
    try:
        inputs = work / "returns"
        inputs.mkdir()
        for stem, blob, ext in uploads:
            staged_copy(blob, ext, inputs, stem)
        if uploads:
            # every core: a round of a thousand forms is consolidated while the officer waits
            result = merge([inputs], output=output, manifest=manifest, quiet=True)
        else:
            # nothing submitted yet: the summary still lists every form as missing
            placeholder = inputs / "尚无已上报的自评表.csv"
            placeholder.write_text("", encoding="utf-8")
            result = merge([placeholder], output=output, manifest=manifest, quiet=True, jobs=1)
        result.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def sweep_tmp(data: Path, older_than_s: float = 3600) -> int:
    """Remove what a killed server left in DATA/tmp (check and merge staging, half-written
    uploads, request bodies). Only entries older than ``older_than_s``: another instance
    sharing the folder may be using the fresh ones. Returns how many were removed."""
    import time

    removed = 0
    limit = time.time() - older_than_s
    for entry in (data / "tmp").iterdir() if (data / "tmp").is_dir() else ():
        if entry.name == "static" or not entry.name.startswith(("check-", "merge-", ".upload-", "summary-", "tmp")):
            continue
        try:
            if entry.lstat().st_mtime > limit:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def manifest_dict(row: Any) -> dict[str, str]:
    return asdict(row)

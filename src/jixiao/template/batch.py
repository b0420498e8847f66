"""Blank and prefilled workbooks: file and sheet names, form ids, the manifest, workers."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from jixiao import fingerprint as fp
from jixiao.errors import OutputError, UsageError
from jixiao.manifest import ManifestRow, write_manifest
from jixiao.model import FormRecord
from jixiao.profiles import Profile, load_profile
from jixiao import contract as L
from jixiao.template.writer import FormSpec, write_forms

BLANK_SHEET = "自评表"
MANIFEST_NAME = "manifest.csv"
GROUP_BY = ("project", "unit")
#: below this many workbooks a process pool costs more than it saves
_PARALLEL_MIN = 16
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILE_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


#: one row of manifest.csv (kept under its historical name for callers of this module)
DistributedForm = ManifestRow


def form_id_of(record: FormRecord) -> str:
    """A stable id from year, department, unit and project: the same project, the same id."""
    key = "|".join(str(x or "") for x in (record.year, record.department, record.unit,
                                          record.project))
    return f"JX{record.year or ''}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:10]}"


def _unique(name: str, taken: set[str], limit: int) -> str:
    candidate, n = name[:limit], 2
    while candidate.casefold() in taken:
        suffix = f"({n})"
        candidate, n = name[:limit - len(suffix)] + suffix, n + 1
    taken.add(candidate.casefold())
    return candidate


def sheet_name(project: str, taken: set[str]) -> str:
    """A legal, unique (case-insensitively) sheet name of ≤ 31 characters."""
    name = _SHEET_FORBIDDEN.sub("_", project).strip().strip("'") or BLANK_SHEET
    if name.casefold() in (L.META_SHEET.casefold(), "history"):
        name = f"{name}_"
    return _unique(name, taken, 31)


def file_stem(text: str, taken: set[str], tag: str | None = None) -> str:
    """A legal, unique file stem; when ``text`` is too long for a file name (a unit and a
    79-character project name in UTF-8), cut and followed by ``tag`` (the form id)."""
    from jixiao.io.atomic import NAME_MAX, fitting_name

    stem = _FILE_FORBIDDEN.sub("_", text).strip(" .") or "自评表"
    tag = tag or hashlib.sha256(stem.encode("utf-8")).hexdigest()[:10]
    # room for ".xlsx" and a "(n)" that tells two equal names apart
    stem = fitting_name(stem, "", tag, limit=NAME_MAX - len(".xlsx") - 6)
    return _unique(stem, taken, len(stem) + 6)


def blank_spec(profile: Profile, *, year: int | None, rows: int,
               money_unit: str | None) -> FormSpec:
    record = FormRecord(year=year, money_unit=money_unit or profile.money_unit)
    locked = fp.locked_values(record)
    form_id = f"blank-{profile.name}-{year or 'any'}-{rows}"
    return FormSpec(record=record, sheet=BLANK_SHEET, form_id=form_id, locked=locked,
                    rows=rows)


def prefilled_spec(record: FormRecord, sheet: str) -> FormSpec:
    return FormSpec(record=record, sheet=sheet, form_id=form_id_of(record),
                    locked=fp.locked_values(record), rows=max(1, len(record.indicators)))


@dataclass
class _Job:
    path: str
    specs: list[FormSpec]
    profile: Profile
    secret: str | None
    password: str | None


def _run_job(job: _Job) -> list[tuple[str, str]]:
    return write_forms(job.path, job.specs, job.profile, secret=job.secret,
                       password=job.password)


def plan_jobs(records: list[FormRecord], stage: Path, group_by: str, profile: Profile,
              secret: str | None, password: str | None) -> list[_Job]:
    if group_by not in GROUP_BY:
        raise UsageError(f"--group-by 应为 project 或 unit，而不是 {group_by}")
    taken_files: set[str] = set()
    jobs: list[_Job] = []
    if group_by == "project":
        for record in records:
            stem = file_stem(f"{record.unit}-{record.project}", taken_files, form_id_of(record))
            jobs.append(_Job(str(stage / f"{stem}.xlsx"),
                             [prefilled_spec(record, BLANK_SHEET)], profile, secret, password))
        return jobs
    by_unit: dict[str, list[FormRecord]] = {}
    for record in records:
        by_unit.setdefault(str(record.unit), []).append(record)
    for unit, members in by_unit.items():
        stem = file_stem(unit, taken_files)
        taken_sheets: set[str] = set()
        specs = [prefilled_spec(r, sheet_name(str(r.project), taken_sheets)) for r in members]
        jobs.append(_Job(str(stage / f"{stem}.xlsx"), specs, profile, secret, password))
    return jobs


def write_prefilled(records: list[FormRecord], out_dir: str | os.PathLike, profile: Profile, *,
                    group_by: str = "project", secret: str | None = None,
                    password: str | None = None, workers: int | None = None,
                    force: bool = False,
                    inputs: tuple[str | os.PathLike, ...] = ()) -> list[DistributedForm]:
    """Write every record's workbook and manifest.csv into ``out_dir``.

    Files are written into a staging folder inside ``out_dir`` and moved into place only
    when all of them were written, so a failure leaves nothing half-written behind.
    An existing file is replaced only with ``force``; ``inputs`` (the projects list) never.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}：输出位置应为文件夹")
    jobs = plan_jobs(records, out, group_by, profile, secret, password)
    _refuse_outputs([Path(job.path) for job in jobs] + [out / MANIFEST_NAME], inputs, force)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=".jixiao-", dir=out))
    except OSError as exc:
        from jixiao.io.atomic import output_error

        raise output_error(out, exc) from None
    moved: list[Path] = []
    try:
        for job in jobs:
            job.path = str(stage / Path(job.path).name)
        workers = workers or os.cpu_count() or 1
        try:
            if workers > 1 and len(jobs) >= _PARALLEL_MIN:
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    chunk = max(1, len(jobs) // (workers * 8))
                    prints = list(pool.map(_run_job, jobs, chunksize=chunk))
            else:
                prints = [_run_job(job) for job in jobs]
        except OutputError as exc:  # name the file where it was to go, not the staging folder
            raise OutputError(str(exc).replace(str(stage), str(out))) from None
        forms: list[DistributedForm] = []
        for job, job_prints in zip(jobs, prints):
            name = Path(job.path).name
            for spec, (kind, digest) in zip(job.specs, job_prints):
                r = spec.record
                forms.append(DistributedForm(
                    form_id=spec.form_id, year=str(r.year or ""), department=r.department or "",
                    unit=r.unit or "", project=r.project or "", file=name, sheet=spec.sheet,
                    fingerprint_kind=kind, fingerprint=digest))
        for job in jobs:
            final = out / Path(job.path).name
            if not os.path.lexists(final):
                moved.append(final)  # before the move: an interrupt may come right after it
            try:
                os.replace(job.path, final)
            except OSError as exc:
                from jixiao.io.atomic import output_error

                raise output_error(final, exc) from None
        write_manifest(out / MANIFEST_NAME, forms)
        return forms
    except BaseException:
        # interrupted or failed while moving into place: a distribution without its
        # manifest is none, and the files it made would refuse the rerun without --force
        for path in moved:
            path.unlink(missing_ok=True)
        shutil.rmtree(stage, ignore_errors=True)
        if created:  # a failed run leaves no folder it made
            try:
                out.rmdir()
            except OSError:
                pass
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _refuse_outputs(paths: list[Path], inputs: tuple, force: bool) -> None:
    from jixiao.io.outputs import refuse_existing, refuse_replacing_inputs

    refuse_replacing_inputs(paths, [p for p in inputs if p])
    if not force:
        refuse_existing(paths)


def write_blank(output: str | os.PathLike, profile: Profile, *, year: int | None = None,
                rows: int = L.DEFAULT_ROWS, money_unit: str | None = None,
                secret: str | None = None, password: str | None = None,
                force: bool = False) -> DistributedForm:
    if not 1 <= rows <= L.MAX_ROWS:
        raise UsageError(f"--rows 应在 1 到 {L.MAX_ROWS} 之间")
    if money_unit not in (None, "万元", "元"):
        raise UsageError(f"--money-unit 应为 万元 或 元，而不是 {money_unit}")
    path = Path(output)
    if path.is_dir():
        path = path / f"{BLANK_SHEET}.xlsx"
    _refuse_outputs([path], (), force)
    spec = blank_spec(profile, year=year, rows=rows, money_unit=money_unit)
    [(kind, digest)] = write_forms(path, [spec], profile, secret=secret, password=password)
    return DistributedForm(form_id=spec.form_id, year=str(year or ""), department="", unit="",
                           project="", file=path.name, sheet=spec.sheet,
                           fingerprint_kind=kind, fingerprint=digest)


def resolve_profile(profile: Profile | str | None) -> Profile:
    return profile if isinstance(profile, Profile) else load_profile(profile)

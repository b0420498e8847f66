"""Files in, forms and findings out: the library behind ``jixiao check``.

``check_file`` reads one file (any supported format), finds every form in it (our own
template exactly through its defined names, any other layout by its labels), recomputes
each form and runs every check. ``check_paths`` does it for files, folders and globs.
"""

from __future__ import annotations

import dataclasses
import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from jixiao.checks.registry import Hit, finding, run_checks
from jixiao.errors import JixiaoError, ReadError
from jixiao.io.atomic import temporary_prefix
from jixiao.io.readers import read_grids
from jixiao.io.safety import Limits, PassedParts, gate
from jixiao.io.template_reader import read_template_forms
from jixiao.io.walk import iter_input_files, no_input_error
from jixiao.layout import find_forms
from jixiao.layout.other_forms import find_other_form
from jixiao.model import Finding, FormRecord
from jixiao.own_outputs import CHECK_REPORT, own_output_kind
from jixiao.profiles import Profile, choose_profile, known_profile, load_profile, shipped_profiles
from jixiao.scoring import UNGRADED, Recomputed, recompute
from jixiao.workers import WorkerSettings



@dataclass
class FormResult:
    record: FormRecord
    recomputed: Recomputed
    findings: list[Finding]
    profile: str
    #: why this profile: "--profile", the template's record, or the form's own evidence
    profile_reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.record.sheet,
            "anchor": self.record.anchor,
            "profile": self.profile,
            "profile_reason": self.profile_reason,
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
    #: the annotated copy written for this file (``check_paths(annotate_dir=...)``)
    copy: str | None = field(default=None, compare=False)
    #: why the copy could not be written (a full disk, no permission), one Chinese line
    copy_error: str | None = field(default=None, compare=False)

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


# ---------------------------------------------------------------- one file

def read_forms(path: str | os.PathLike, limits: Any = None) -> list[FormRecord]:
    """Every form in one file. Raises ReadError when the file cannot be read."""
    return read_workbook(path, limits)[0]


def read_workbook(path: str | os.PathLike, limits: Any = None,
                  passed: PassedParts | None = None) -> tuple[list[FormRecord], list[Any]]:
    """Every self-evaluation form in one file, and the other performance forms beside them
    (``layout.other_forms.OtherForm``: a 申报表's targets go to the forms of its year).
    ``passed``: the run's parts already checked (see :func:`jixiao.io.safety.gate`).
    Raises ReadError when the file cannot be read."""
    limits = limits or Limits.from_env()
    # One gate, one read of the file: the grids and the template's parts come from it.
    gated = gate(path, limits, passed=passed)
    # a percent typed in Excel is 0.95 in a %-formatted cell: the formats say it is 95%
    grids = read_grids(path, limits, gated=gated, percent_formats=True)
    records = read_template_forms(path, grids, gated.package)
    others = []
    if records is None:
        records = []
        for grid in grids:
            if grid.hidden:
                continue
            found = find_forms(grid)
            records.extend(found)
            if not found:
                other = find_other_form(grid)
                if other is not None:
                    others.append(other)
    for other in others:
        if not other.targets:
            continue
        for record in records:
            if other.year in (None, record.year):
                record.declared_targets = {
                    name: (target, f"{other.sheet}!{cell}")
                    for name, (target, cell) in other.targets.items()}
    return records, others


def _other_form_note(other: Any, records: list[FormRecord]) -> Finding:
    """R09: a performance form that is not the self-evaluation form, named as skipped."""
    why = ""
    if other.kind == "绩效目标申报表":
        years = {r.year for r in records}
        if not other.targets:
            why = "；表中未列出年度指标，无法与自评表的年度指标值比较"
        elif other.year is not None and other.year not in years:
            why = f"；其年度（{other.year}）与自评表不同，未比较年度指标值"
        else:
            why = "；已用其年度指标值核对自评表（I15）"
    year = f"，{other.year}年度" if other.year else ""
    return finding("R09", Hit(f"工作表“{other.sheet}”是{other.kind}{year}，不是自评表，未作为自评表审核{why}",
                              found=other.kind), other.sheet)


def preload() -> None:
    """Load now what checking a file loads on first use (every check module, the shipped
    profiles): a process about to fork workers pays it once instead of each worker on its
    first file."""
    from jixiao.checks.registry import load_all_checks

    load_all_checks()
    shipped_profiles()


def check_file(path: str | os.PathLike, profile: Profile | str | None = None, *,
               secret: str | None = None, manifest_fingerprints: dict[str, str] | None = None,
               limits: Any = None, debug: bool = False,
               passed: PassedParts | None = None) -> FileResult:
    """Read one file and check every form in it. Never raises for a bad file: R01.
    ``passed``: one :class:`PassedParts` for all the files of a run (optional)."""
    result = FileResult(path=str(path))
    forced = load_profile(profile) if isinstance(profile, str) else profile
    try:
        records, others = read_workbook(path, limits, passed)
        result.file_findings.extend(_other_form_note(other, records) for other in others)
        own = None if records or others else own_output_kind(path)
        if own is not None:
            result.file_findings.append(finding("R11", Hit(
                f"文件是 {own}，不是退回的自评表，未作为自评表审核", found=own), None))
        elif not records:
            result.file_findings.append(finding("R02", Hit(
                "未在文件中找到项目支出绩效自评表（没有“项目名称”“项目资金”“绩效指标”等表头）"),
                None))
        for record in records:
            form_profile, reason = (forced, "命令行指定") if forced else _profile_of(record)
            recomputed = recompute(record, form_profile)
            findings = run_checks(record, form_profile, secret=secret,
                                  manifest_fingerprints=manifest_fingerprints,
                                  recomputed=recomputed)
            if any(f.code == "R04" for f in findings):  # a number read as text: no grade
                recomputed = dataclasses.replace(recomputed, grade=UNGRADED)
            result.forms.append(FormResult(record, recomputed, findings, form_profile.name,
                                           reason))
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


def _profile_of(record: FormRecord) -> tuple[Profile, str]:
    """The profile a form was generated with, else the one its own evidence points to.

    Only a name of the known set is taken (check R08 reports any other): the hidden
    sheet is the unit's to edit, and a path there would let it grade itself.
    """
    name = record.template.profile if record.template else None
    if known_profile(name):
        try:
            return load_profile(name), "模板记录的评价方案"
        except JixiaoError:
            pass
    return choose_profile(record, shipped_profiles())


def check_paths(paths: Iterable[str | os.PathLike] | str | os.PathLike,
                profile: Profile | str | None = None, *, secret: str | None = None,
                manifest: str | os.PathLike | None = None, limits: Any = None,
                jobs: int | None = None, isolate: bool = True,
                debug: bool = False, output: str | os.PathLike | None = None,
                annotate_dir: str | os.PathLike | None = None) -> CheckReport:
    """Check every form in the given files, folders and globs (``jixiao check``).

    Files are read in worker processes (``jobs``, default: every core), so a file that
    crashes the reader or overruns the per-file time budget costs only its own R01.
    ``isolate=False`` (or ``debug``) checks in this process, tracebacks and all.
    ``output`` and ``annotate_dir``, where the caller will write the report and the
    annotated copies, are refused (UsageError) when they would land on or among the inputs.
    """
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if isinstance(profile, str):
        profile = load_profile(profile)
    limits = limits or Limits.from_env()
    fingerprints = load_manifest_fingerprints(manifest, secret) if manifest else None
    # the manifest often lies in the folder being checked: it is a .csv, but no form
    skip = {os.path.realpath(manifest)} if manifest else set()
    paths = list(paths)
    refused: dict[str, str] = {}
    files = [str(p) for p in iter_input_files(paths, refused) if os.path.realpath(p) not in skip]
    if not files and not refused:
        raise no_input_error(paths)
    # outputs are typed by hand, often into the folder of returns: never onto an input
    from jixiao.io.outputs import refuse_folder_among_inputs, refuse_replacing_inputs

    if output is not None:
        own = refuse_replacing_inputs([output], [*files, *([manifest] if manifest else [])],
                                      ours=_previous_report)
        files = [f for f in files if os.path.normcase(os.path.realpath(f)) not in own]
    if annotate_dir is not None:
        refuse_folder_among_inputs(annotate_dir, paths, files)
    targets = None
    made = annotate_dir is not None and not os.path.exists(annotate_dir)
    if annotate_dir is not None:
        from jixiao.io.outputs import copy_targets, refuse_targets_among_inputs

        targets = {p: str(t) for p, t in copy_targets(files, paths, annotate_dir).items()}
        refuse_targets_among_inputs(targets.values(), paths, files)
    if not isolate or debug or not files:
        passed = PassedParts()
        results = []
        for p in files:
            if p in refused:
                results.append(lost_file(p, refused[p]))
                continue
            result = check_file(p, profile, secret=secret, limits=limits,
                                manifest_fingerprints=fingerprints, debug=debug, passed=passed)
            results.append(_with_copy(result, targets.get(p) if targets else None, fingerprints))
        return _with_manifest(CheckReport(results), fingerprints)

    from jixiao.workers import run_isolated

    settings = CheckSettings(profile=profile, secret=secret, manifest_fingerprints=fingerprints,
                             limits=limits,
                             memory_bytes=getattr(limits, "max_memory_bytes", None),
                             copies=targets)
    results: list[FileResult | None] = [None] * len(files)
    # reading has its budget, and writing the copy the same again: a form read in 4 s of
    # a 5 s budget on a busy machine still gets its copy
    budget = limits.time_budget_s * (2 if targets else 1)
    existed = {t for t in targets.values() if os.path.lexists(t)} if targets else set()
    try:
        for index, result in run_isolated(files, settings, jobs=jobs or os.cpu_count() or 1,
                                          time_budget_s=budget,
                                          task=check_in_worker, lost=lost_file,
                                          refused=refused):
            results[index] = result
    except KeyboardInterrupt:
        # an interrupted run writes nothing: the copies made so far go, and the
        # temporaries of the copies being saved when the workers were stopped
        for target in (targets or {}).values():
            if target not in existed:
                Path(target).unlink(missing_ok=True)
            _remove_temporaries(Path(target))
        if made:
            _remove_empty_folders(Path(annotate_dir))
        raise
    if targets:
        _remove_lost_copies(results, targets)
        if made and any(r is not None and r.copy_error for r in results):
            _remove_empty_folders(Path(annotate_dir))
    return _with_manifest(CheckReport([r for r in results if r is not None]), fingerprints)


def _previous_report(path: Path) -> bool:
    """Whether ``path`` holds a CSV report of ``check`` (the last run's, in the folder it
    checked)."""
    return own_output_kind(path) == CHECK_REPORT


def _with_copy(result: FileResult, target: str | None,
               known: dict[str, str] | None) -> FileResult:
    """Write the annotated copy of a checked file to ``target`` (None: no copy asked)."""
    if target is None or result.status == "unreadable":
        return result
    from jixiao.annotate import annotate_file

    _with_manifest(CheckReport([result]), known)  # the copy shows what the report says
    try:
        written = annotate_file(result, os.path.dirname(target), name=os.path.basename(target))
    except JixiaoError as exc:
        result.copy_error = str(exc)
    else:
        result.copy = None if written is None else str(written)
    return result


def _remove_empty_folders(root: Path) -> None:
    """The folders a failed --annotate made and left empty (a full disk): removed."""
    for folder, _, _ in sorted(os.walk(root), key=lambda w: -len(w[0])):
        try:
            os.rmdir(folder)
        except OSError:
            pass


def _remove_lost_copies(results: list[FileResult | None], targets: dict[str, str]) -> None:
    """A worker killed while saving a copy (over the time or memory budget) leaves its
    temporary file (".<stem>-xxxxxxxx.xlsx") beside the copy's place: remove it."""
    for result in results:
        if result is None or result.status != "unreadable" or result.path not in targets:
            continue
        _remove_temporaries(Path(targets[result.path]))


def _remove_temporaries(target: Path) -> None:
    """The temporary files of ``target`` (io.atomic's ".<stem>-xxxxxxxx<suffix>") beside it."""
    prefix, suffix = temporary_prefix(target), target.suffix
    try:
        leftovers = [p for p in target.parent.iterdir()
                     if p.name.startswith(prefix) and p.name.endswith(suffix)
                     and len(p.name) == len(prefix) + 8 + len(suffix)]
    except OSError:
        return
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)


def _with_manifest(report: CheckReport, known: dict[str, str] | None) -> CheckReport:
    """M03 on every form the manifest does not list (by form id, nor by year, unit and
    project), as merge reports it."""
    if known is None:
        return report
    from jixiao.checks.registry import sort_findings
    from jixiao.model import identity_key

    for result in report.files:
        for form in result.forms:
            record = form.record
            form_id = record.template.form_id if record.template is not None else None
            if any(f.code == "M03" for f in form.findings):
                continue  # said already, in the worker that wrote the annotated copy
            if (form_id and form_id in known) or \
                    identity_key(record.year, record.unit, record.project) in known:
                continue
            year = f"{record.year}年度 " if record.year else ""
            message = (f"收到的自评表{year}{record.unit or '（未填单位）'}"
                       f"《{record.project or '（未填项目名称）'}》不在分发清单中"
                       + (f"（表单编号 {form_id} 未分发）" if form_id else "")
                       + "，请核实是否为新增项目或填错了项目名称、单位")
            form.findings = sort_findings(
                [*form.findings, finding("M03", Hit(message, cell=record.anchor), record.sheet)])
    return report


@dataclass
class CheckSettings(WorkerSettings):
    """What a worker needs to check files: the pool's settings, and the zip parts that
    passed the gate in this run (each worker gets its own copy and keeps it for all its
    files)."""

    passed_parts: PassedParts = field(default_factory=PassedParts)


def check_in_worker(path: str, settings: CheckSettings) -> FileResult:
    """``check_file`` as a worker task (never raises), and the annotated copy when asked:
    openpyxl loads and saves it within the worker's time and memory budgets."""
    result = check_file(path, settings.profile, secret=settings.secret, limits=settings.limits,
                        manifest_fingerprints=settings.manifest_fingerprints,
                        passed=settings.passed_parts)
    copies = getattr(settings, "copies", None)
    if copies:
        try:
            _with_copy(result, copies.get(path), settings.manifest_fingerprints)
        except MemoryError:  # over the memory budget: the worker answers R01 for the file
            raise
        except Exception:  # openpyxl's zoo on a workbook it cannot write: no copy
            result.copy = None
    return result


def lost_file(path: str, reason: str) -> FileResult:
    """The result of a file whose worker died or ran out of time."""
    return FileResult(path=path, file_findings=[finding("R01", Hit(reason), None)])


def load_manifest_fingerprints(manifest: str | os.PathLike,
                               secret: str | None = None) -> dict[str, str]:
    """form id -> fingerprint from a manifest.csv written by ``jixiao template``."""
    from jixiao.manifest import read_manifest

    return manifest_fingerprints(read_manifest(manifest), secret)


def manifest_fingerprints(rows: Iterable[Any], secret: str | None) -> dict[str, str]:
    """Every form of a manifest, by form id and by ``identity_key`` -> its fingerprint,
    or "" where it cannot be verified: a keyed (HMAC) one only with its secret.

    Without the secret an HMAC fingerprint cannot be recomputed; comparing it anyway
    would report every form as changed. Those forms are still compared cell by cell with
    the prefilled values their template records (R06).
    """
    from jixiao.model import identity_key

    known: dict[str, str] = {}
    for row in rows:
        verifiable = row.fingerprint and (secret or row.fingerprint_kind != "hmac-sha256")
        digest = row.fingerprint if verifiable else ""
        # by id, and by what the form shows (a form whose hidden sheet is gone has no id);
        # "" marks a form the manifest lists without a fingerprint that can be checked
        known[row.form_id] = digest
        known.setdefault(identity_key(row.year, row.unit, row.project), digest)
    return known

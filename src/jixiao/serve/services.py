"""What the portal does, apart from HTTP: create a round, take an upload, change a
status, write the audit log. Views and the CLI both call these."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterable

from django.db import transaction
from django.utils import timezone

from jixiao.errors import InputError, JixiaoError
from jixiao.serve import library
from jixiao.serve.config import data_folder
from jixiao.serve.models import (HAS_ERRORS, NOT_SUBMITTED, PASSED, RETURNED, SUBMITTED,
                                 AuditEntry, Explanation, Form, Round, StatusChange, Unit, Upload)


def without_nul(value: Any) -> Any:
    """``value`` with every NUL character removed from its texts, however deep: a cell
    holding Excel's ``_x0000_`` reads as NUL, which PostgreSQL cannot store in text or
    JSON (a workbook must not choose whether the server works)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_nul(v) for v in value]
    return value


def manifest_path(round_: Round) -> Path:
    return library.round_folder(data_folder(), round_.pk) / "forms" / "manifest.csv"


def forms_folder(round_: Round) -> Path:
    return library.round_folder(data_folder(), round_.pk) / "forms"


def audit(user: Any, action: str, target: str = "", detail: str = "", address: str = "") -> None:
    AuditEntry.objects.create(user=user if getattr(user, "pk", None) else None,
                              username=getattr(user, "username", "") or "",
                              action=action, target=target, detail=detail, address=address)


def create_round(name: str, year: int | None, projects_name: str, chunks: Iterable[bytes],
                 user: Any = None) -> Round:
    """A round from a projects list: its prefilled workbooks, manifest, units and forms.
    InputError (one Chinese line) when the list cannot be used; nothing is left behind."""
    ext = library.known_extension(projects_name, library.PROJECT_LIST_EXTENSIONS)
    if not ext:
        raise InputError("项目清单应为 .xlsx、.xls 或 .csv 文件（与 jixiao template --projects 相同）")
    data = data_folder()
    # the workbooks are written outside any transaction: on SQLite a transaction holds the
    # write lock, and a list of a thousand projects takes many seconds to write
    round_ = Round.objects.create(name=name.strip() or "绩效自评收集", year=year,
                                  created_by=user if getattr(user, "pk", None) else None)
    folder = library.round_folder(data, round_.pk)
    try:
        source = folder / "source"
        source.mkdir(parents=True, exist_ok=True)
        projects = source / f"projects{ext}"
        with open(projects, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        try:
            rows = library.generate_round(data, round_.pk, projects, year)
        except JixiaoError as exc:
            # the library names the file it read: the admin knows it by the name it sent
            raise InputError(f"项目清单有误：{str(exc).replace(str(projects), projects_name)}") from None
        if not rows:
            raise InputError("项目清单中没有任何项目，未创建收集轮次")
        with transaction.atomic():
            units: dict[str, Unit] = {}
            for row in rows:
                fields = without_nul(library.manifest_dict(row))
                unit = units.get(fields["unit"])
                if unit is None:
                    unit = units[fields["unit"]] = Unit.objects.create(
                        round=round_, name=fields["unit"] or "（未填单位）")
                Form.objects.create(round=round_, unit=unit, form_id=fields["form_id"],
                                    project=fields["project"], department=fields["department"],
                                    year=fields["year"], manifest_row=fields,
                                    fingerprint=fields["fingerprint"])
            if year is None:
                years = {row.year for row in rows if row.year}
                if len(years) == 1:
                    round_.year = int(next(iter(years)))
                    round_.save(update_fields=["year"])
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        round_.delete()
        raise
    audit(user, "创建收集轮次", f"轮次 {round_.pk}", f"{round_.name}：{len(units)} 个单位、{len(rows)} 张表")
    return round_


def change_status(form: Form, new: str, *, reason: str = "", user: Any = None,
                  unit: Unit | None = None) -> None:
    if form.status == new:
        return
    StatusChange.objects.create(form=form, old=form.status, new=new, reason=reason,
                                by_user=user if getattr(user, "pk", None) else None, by_unit=unit)
    form.status = new
    form.status_changed = timezone.now()
    form.save(update_fields=["status", "status_changed"])


def _match(unit: Unit, file_result: Any) -> tuple[list[Form], str]:
    """The unit's forms this file holds, by what the check read: the template's form id,
    else year + 实施单位 + 项目名称 as the manifest compares them."""
    from jixiao.model import identity_key

    forms = list(unit.forms.all())
    by_id = {f.form_id: f for f in forms}
    by_identity = {identity_key(f.year, unit.name, f.project): f for f in forms}
    matched: list[Form] = []
    foreign = 0
    for form_result in file_result.forms:
        record = form_result.record
        form_id = record.template.form_id if record.template is not None else None
        found = by_id.get(form_id) if form_id else None
        if found is None:
            found = by_identity.get(identity_key(record.year, without_nul(record.unit),
                                                 without_nul(record.project)))
        if found is None:
            foreign += 1
        elif found not in matched:
            matched.append(found)
    note = ""
    if not matched and file_result.forms:
        note = ("文件中的自评表与本单位的任何项目都对不上（按表单编号，或按年度、实施单位和项目名称），"
                "已保存但未计入任何项目。请下载本页列出的预填表填写后再上传。")
    elif foreign:
        note = f"文件中另有 {foreign} 张自评表不属于本单位的项目，未计入。"
    return matched, note


def take_upload(unit: Unit, name: str, chunks: Iterable[bytes]) -> list[Upload]:
    """Store, check and record one uploaded file; returns its Upload rows (one per form it
    holds, one without a form when it matches none)."""
    data = data_folder()
    sha, size, blob = library.store_blob(data, chunks)
    ext = library.known_extension(name)
    round_ = unit.round
    manifest = manifest_path(round_)
    entry, result, written = library.in_checker(
        library.check_upload, data, blob, ext, manifest if manifest.exists() else None, sha,
        round_.pk, name)
    if not ext and entry.get("status") == "ok":
        # a workbook sent without its extension (自评表 , "表.xlsx "): read fine by content;
        # its copies (summary, zip) need the extension the walk of a folder takes
        from jixiao.io.safety import sniff

        try:
            ext = {"xlsx": ".xlsx", "ods": ".ods", "xls": ".xls"}.get(sniff(blob), "")
        except JixiaoError:
            pass
    entry, name = without_nul(entry), without_nul(name)
    counts = library.counts(entry)
    matched, note = _match(unit, result)
    common = dict(round=round_, unit=unit, sha256=sha, ext=ext, original_name=name[:500],
                  size=size, result=entry, errors=counts["error"], warnings=counts["warning"],
                  infos=counts["info"], grade=library.grade(entry), note=note,
                  annotated="")
    uploads = []
    with transaction.atomic():
        if not matched:
            uploads.append(Upload.objects.create(form=None, **common))
        for form in matched:
            form = Form.objects.select_for_update().get(pk=form.pk)
            upload = Upload.objects.create(form=form, **common)
            if form.status in (SUBMITTED, PASSED):
                upload.note = (upload.note + f"该项目的状态是“{form.status}”，本次上传已保存，"
                               "但不改变状态；如需修改，请联系主管部门退回。").strip()
                upload.save(update_fields=["note"])
            elif upload.errors:
                change_status(form, HAS_ERRORS, reason="上传的表有错误", unit=unit)
            elif form.status == HAS_ERRORS:
                change_status(form, NOT_SUBMITTED, reason="重新上传的表没有错误，待上报", unit=unit)
            uploads.append(upload)
    return uploads


def annotated_copy(upload: Upload) -> Path | None:
    """The annotated copy of an upload, made on first request (checked again in a worker,
    the copy written there) and kept under DATA/annotated by hash; None when the file
    cannot be annotated (unreadable, or openpyxl cannot write it)."""
    data = data_folder()
    path = library.annotated_path(data, upload.sha256, upload.round_id)
    if path.is_file():
        return path
    if upload.annotated == "no" or upload.result.get("status") != "ok":
        return None
    manifest = manifest_path(upload.round)
    _, _, written = library.in_checker(
        library.check_upload, data, library.blob_path(data, upload.sha256), upload.ext,
        manifest if manifest.exists() else None, upload.sha256, upload.round_id,
        upload.original_name, annotate=True)
    Upload.objects.filter(sha256=upload.sha256, round_id=upload.round_id).update(
        annotated="yes" if written else "no")
    return path if written else None


def can_submit(form: Form, latest: Upload | None = None) -> bool:
    latest = latest or form.latest_upload()
    return latest is not None and latest.errors == 0 and form.status in (NOT_SUBMITTED, RETURNED)


def submit(form: Form, unit: Unit) -> None:
    with transaction.atomic():
        form = Form.objects.select_for_update().get(pk=form.pk)
        if not can_submit(form):
            raise InputError("该项目现在不能上报：需要先上传一份没有错误的表（已上报或已通过的表不能重复上报）")
        change_status(form, SUBMITTED, reason="单位上报", unit=unit)


def return_form(form: Form, reason: str, user: Any, address: str = "") -> None:
    reason = reason.strip()
    if not reason:
        raise InputError("退回时请填写退回原因")
    with transaction.atomic():
        form = Form.objects.select_for_update().get(pk=form.pk)
        if form.status not in (SUBMITTED, PASSED, HAS_ERRORS, NOT_SUBMITTED) or form.latest_upload() is None:
            raise InputError("该项目还没有上传任何表，或已经退回，不能退回")
        change_status(form, RETURNED, reason=reason, user=user)
    audit(user, "退回", f"表 {form.pk}", f"{form.unit.name}《{form.project}》：{reason}", address)


def pass_form(form: Form, user: Any, address: str = "") -> None:
    with transaction.atomic():
        form = Form.objects.select_for_update().get(pk=form.pk)
        if form.status != SUBMITTED:
            raise InputError("只有已上报（已提交）的表可以通过")
        change_status(form, PASSED, reason="审核通过", user=user)
    audit(user, "通过", f"表 {form.pk}", f"{form.unit.name}《{form.project}》", address)


def explain(upload: Upload, code: str, cell: str, text: str) -> Explanation:
    """An explanation (出错说明) of one warning of the upload, by the unit."""
    text = text.strip()
    if upload.form is None:
        raise InputError("这份上传没有对应的项目，不能填写说明")
    if not text:
        raise InputError("请填写说明内容")
    warnings = {(f.get("code"), f.get("cell") or "") for f in library.all_findings(upload.result)
                if f.get("severity") == "warning"}
    if (code, cell) not in warnings:
        raise InputError("只能为本次上传中的警告填写说明")
    return Explanation.objects.create(form=upload.form, upload=upload, code=code, cell=cell,
                                      text=text[:5000])


def decide(explanation: Explanation, decision: str, user: Any, address: str = "") -> None:
    if decision not in (Explanation.ACCEPTED, Explanation.REJECTED):
        raise InputError("审核结果应为接受或不接受")
    explanation.decision = decision
    explanation.decided_by = user
    explanation.decided_at = timezone.now()
    explanation.save(update_fields=["decision", "decided_by", "decided_at"])
    label = "接受" if decision == Explanation.ACCEPTED else "不接受"
    audit(user, f"{label}出错说明", f"说明 {explanation.pk}",
          f"{explanation.form.unit.name}《{explanation.form.project}》{explanation.code} {explanation.cell}", address)


def explanations_by_finding(form: Form | None) -> dict[tuple[str, str], Explanation]:
    """The latest explanation of each (code, cell) of a form: an accepted one stays
    attached to the same finding on later uploads."""
    if form is None:
        return {}
    found: dict[tuple[str, str], Explanation] = {}
    for explanation in form.explanations.order_by("created", "id"):
        found[(explanation.code, explanation.cell)] = explanation
    return found


def renew_token(unit: Unit, user: Any, address: str = "") -> None:
    from jixiao.serve.models import new_token

    unit.token = new_token()
    unit.revoked = False
    unit.save(update_fields=["token", "revoked"])
    audit(user, "更换单位链接", f"单位 {unit.pk}", unit.name, address)


def revoke_token(unit: Unit, user: Any, address: str = "") -> None:
    unit.revoked = True
    unit.save(update_fields=["revoked"])
    audit(user, "停用单位链接", f"单位 {unit.pk}", unit.name, address)


def with_latest(forms) -> list[tuple[Form, Upload | None]]:
    """Each form with its latest upload, in two queries whatever the number of forms (a
    dashboard of a thousand forms must not run a thousand)."""
    from django.db.models import OuterRef, Subquery

    newest = Upload.objects.filter(form=OuterRef("pk")).order_by("-uploaded_at", "-id").values("id")[:1]
    forms = list(forms.annotate(latest_id=Subquery(newest)))
    uploads = Upload.objects.in_bulk([f.latest_id for f in forms if f.latest_id])
    return [(form, uploads.get(form.latest_id)) for form in forms]


def latest_uploads(round_: Round, statuses: tuple[str, ...] | None = None) -> list[tuple[Form, Upload]]:
    forms = round_.forms.select_related("unit").order_by("unit_id", "id")
    if statuses is not None:
        forms = forms.filter(status__in=statuses)
    return [(form, latest) for form, latest in with_latest(forms) if latest is not None]


def status_counts(round_: Round) -> dict[str, int]:
    """应提交 (every form of the round) and the number of forms in each status, in one query."""
    from django.db.models import Count, Q

    from jixiao.serve.models import STATUSES

    keys = {f"s{i}": status for i, status in enumerate(STATUSES)}
    found = round_.forms.aggregate(total=Count("id"), **{
        key: Count("id", filter=Q(status=status)) for key, status in keys.items()})
    return {"应提交": found["total"], **{status: found[key] for key, status in keys.items()}}


def clean_name(text: str, limit: int = 60) -> str:
    """A file name part made from data (unit, project): no separators, no control
    characters, no leading dot."""
    import re

    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", text).strip().lstrip(".") or "_"
    return cleaned[:limit]

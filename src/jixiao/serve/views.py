"""HTTP: the bureau's pages (login required, staff only) and a unit's pages (by its link).

Every state change is a POST under Django's CSRF protection; every object a unit asks for
is looked up through its own unit, so another unit's id is a 404 like a guessed one."""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zipfile
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import (FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST, require_http_methods

from jixiao.errors import JixiaoError
from jixiao.serve import library, services
from jixiao.serve.config import data_folder
from jixiao.serve.forms import DecisionForm, ExplainForm, ReturnForm, RoundForm, first_error
from jixiao.serve.models import (NOT_SUBMITTED, PASSED, STATUSES, SUBMITTED, AuditEntry, Explanation, Form, Round,
                                 Unit, Upload)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def json_response(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def message_page(request, title: str, message: str, status: int) -> HttpResponse:
    if wants_json(request):
        return json_response({"error": message}, status)
    return render(request, "portal/message.html", {"title": title, "message": message}, status=status)


def staff_required(view):
    """Login for the bureau's pages: a browser goes to the login page, a JSON client gets
    401 (not logged in) or 403 (logged in, not an admin)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            if wants_json(request):
                return json_response({"error": "需要登录"}, 401)
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not (user.is_active and user.is_staff):
            if wants_json(request):
                return json_response({"error": "没有管理权限"}, 403)
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# ------------------------------------------------------------------ errors, in Chinese

def bad_request(request, exception=None):
    return render(request, "portal/message.html", {"title": "请求无效", "message": "请求无效，请返回上一页重试。"}, status=400)


def forbidden(request, exception=None):
    return message_page(request, "没有权限", "没有访问此页面的权限。", 403)


def not_found(request, exception=None):
    return message_page(request, "页面不存在", "页面不存在，或链接已失效。请核对链接，或联系主管部门重新获取。", 404)


def server_error(request):
    return render(request, "portal/message.html", {"title": "服务器内部错误", "message": "服务器内部错误，请稍后重试；如果反复出现，请联系管理员。"}, status=500)


def csrf_failure(request, reason=""):
    return message_page(request, "请求被拒绝", "安全校验失败（CSRF）：请刷新页面后重新提交。", 403)


# ------------------------------------------------------------------ login

class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        services.audit(form.get_user(), "登录", "", "", address(self.request))
        return response


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        services.audit(request.user, "退出登录", "", "", address(request))
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


# ------------------------------------------------------------------ the bureau

@staff_required
@require_http_methods(["GET", "POST"])
def rounds(request):
    error = ""
    if request.method == "POST":
        form = RoundForm(request.POST, request.FILES)
        try:
            if not form.is_valid():
                raise JixiaoError(first_error(form))
            upload = form.cleaned_data["projects"]
            round_ = services.create_round(form.cleaned_data["name"], form.cleaned_data["year"],
                                           upload.name, upload.chunks(), request.user)
        except JixiaoError as exc:
            error = str(exc)
        else:
            if wants_json(request):
                return json_response({"round_id": round_.pk, "url": f"/rounds/{round_.pk}/"}, 201)
            return HttpResponseRedirect(f"/rounds/{round_.pk}/")
        if wants_json(request):
            return json_response({"error": error}, 400)
    items = [(r, services.status_counts(r)) for r in Round.objects.all()]
    if wants_json(request) and request.method == "GET":
        return json_response({"rounds": [{"id": r.pk, "name": r.name, "year": r.year, "counts": c}
                                          for r, c in items]})
    return render(request, "portal/rounds.html", {"items": items, "error": error},
                  status=400 if error else 200)


@staff_required
@require_GET
def dashboard(request, round_id: int):
    round_ = get_object_or_404(Round, pk=round_id)
    forms = round_.forms.select_related("unit").order_by("unit_id", "id")
    shown = request.GET.get("status", "")
    if shown in STATUSES:  # the officer's view of, say, every 有错误 form
        forms = forms.filter(status=shown)
    rows = [{"form": form, "latest": latest} for form, latest in services.with_latest(forms)]
    counts = services.status_counts(round_)
    if wants_json(request):
        return json_response({
            "round": {"id": round_.pk, "name": round_.name, "year": round_.year},
            "counts": counts,
            "forms": [{"id": r["form"].pk, "unit": r["form"].unit.name, "project": r["form"].project,
                       "form_id": r["form"].form_id, "status": r["form"].status,
                       "errors": r["latest"].errors if r["latest"] else None,
                       "warnings": r["latest"].warnings if r["latest"] else None,
                       "grade": r["latest"].grade if r["latest"] else None,
                       "uploaded": r["latest"].uploaded_at.isoformat() if r["latest"] else None}
                      for r in rows],
            "units": [{"id": u.pk, "name": u.name, "link": f"/u/{u.token}", "revoked": u.revoked}
                      for u in round_.units.all()],
        })
    return render(request, "portal/dashboard.html", {
        "round": round_, "rows": rows, "counts": [(k, counts[k]) for k in ("应提交", *STATUSES)],
        "shown": shown if shown in STATUSES else "",
        "units": [(u, request.build_absolute_uri(f"/u/{u.token}")) for u in round_.units.all()],
        "unmatched": round_.uploads.filter(form__isnull=True)[:50],
    })


@staff_required
@require_POST
def unit_revoke(request, unit_id: int):
    unit = get_object_or_404(Unit, pk=unit_id)
    services.revoke_token(unit, request.user, address(request))
    return HttpResponseRedirect(f"/rounds/{unit.round_id}/#units")


@staff_required
@require_POST
def unit_renew(request, unit_id: int):
    unit = get_object_or_404(Unit, pk=unit_id)
    services.renew_token(unit, request.user, address(request))
    return HttpResponseRedirect(f"/rounds/{unit.round_id}/#units")


def _findings_view(upload: Upload | None, form: Form | None) -> list[dict]:
    if upload is None:
        return []
    explained = services.explanations_by_finding(form)
    items = []
    for f in library.all_findings(upload.result):
        items.append({**f, "label": {"error": "错误", "warning": "警告", "info": "提示"}.get(f.get("severity"), f.get("severity")),
                      "cell": f.get("cell") or "",
                      "explanation": explained.get((f.get("code"), f.get("cell") or ""))})
    return items


@staff_required
@require_GET
def form_detail(request, form_id: int):
    form = get_object_or_404(Form.objects.select_related("unit", "round"), pk=form_id)
    latest = form.latest_upload()
    return render(request, "portal/form.html", {
        "form": form, "latest": latest, "findings": _findings_view(latest, form),
        "uploads": form.uploads.all(), "explanations": form.explanations.select_related("decided_by"),
        "changes": form.status_changes.select_related("by_user", "by_unit"),
        "can_pass": form.status == SUBMITTED,
        "can_return": form.status != "已退回" and latest is not None,
    })


@staff_required
@require_POST
def form_return(request, form_id: int):
    form = get_object_or_404(Form, pk=form_id)
    posted = ReturnForm(request.POST)
    if not posted.is_valid():
        return message_page(request, "不能退回", first_error(posted), 400)
    try:
        services.return_form(form, posted.cleaned_data["reason"], request.user, address(request))
    except JixiaoError as exc:
        return message_page(request, "不能退回", str(exc), 400)
    return HttpResponseRedirect(f"/forms/{form.pk}/")


@staff_required
@require_POST
def form_pass(request, form_id: int):
    form = get_object_or_404(Form, pk=form_id)
    try:
        services.pass_form(form, request.user, address(request))
    except JixiaoError as exc:
        return message_page(request, "不能通过", str(exc), 400)
    return HttpResponseRedirect(f"/forms/{form.pk}/")


@staff_required
@require_POST
def explanation_decide(request, explanation_id: int):
    explanation = get_object_or_404(Explanation, pk=explanation_id)
    posted = DecisionForm(request.POST)
    if not posted.is_valid():
        return message_page(request, "无法保存", first_error(posted), 400)
    try:
        services.decide(explanation, posted.cleaned_data["decision"], request.user, address(request))
    except JixiaoError as exc:
        return message_page(request, "无法保存", str(exc), 400)
    return HttpResponseRedirect(f"/forms/{explanation.form_id}/")


def _workbook_response(form: Form) -> FileResponse:
    folder = services.forms_folder(form.round)
    name = str(form.manifest_row.get("file", ""))
    # the name was written by the library's batch writer; still, only a plain name inside
    if not name or os.path.basename(name) != name or name.startswith("."):
        raise Http404
    path = folder / name
    if not path.is_file():
        raise Http404
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name, content_type=XLSX)


def download_name(name: str) -> str:
    """A name for Content-Disposition from a name a unit sent: no control characters (a
    newline in a header is refused), no quotes or separators."""
    import re

    return re.sub(r'[\x00-\x1f\x7f"\\/]', "_", name).strip() or "upload"


def _upload_response(upload: Upload) -> FileResponse:
    path = library.blob_path(data_folder(), upload.sha256)
    if not path.is_file():
        raise Http404
    name = download_name(upload.original_name or f"upload{upload.ext}")
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name,
                        content_type="application/octet-stream")


def _annotated_response(request, upload: Upload) -> HttpResponse:
    path = services.annotated_copy(upload)
    if path is None:
        return message_page(request, "无法生成标注副本",
                            "这个文件无法读取或无法写出标注副本，请根据页面上列出的问题修改原文件。", 404)
    stem = os.path.splitext(download_name(upload.original_name))[0] or "upload"
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"{stem}_标注.xlsx",
                        content_type=XLSX)


@staff_required
@require_GET
def admin_workbook(request, form_id: int):
    return _workbook_response(get_object_or_404(Form, pk=form_id))


@staff_required
@require_GET
def admin_upload(request, upload_id: int):
    upload = get_object_or_404(Upload.objects.select_related("form", "unit", "round"), pk=upload_id)
    if wants_json(request):
        return json_response({"submission_id": upload.pk, "result": upload.result})
    return render(request, "portal/upload.html", {
        "upload": upload, "findings": _findings_view(upload, upload.form)})


@staff_required
@require_GET
def admin_upload_file(request, upload_id: int):
    return _upload_response(get_object_or_404(Upload, pk=upload_id))


@staff_required
@require_GET
def admin_annotated(request, upload_id: int):
    return _annotated_response(request, get_object_or_404(Upload, pk=upload_id))


@staff_required
@require_GET
def summary(request, round_id: int):
    round_ = get_object_or_404(Round, pk=round_id)
    data = data_folder()
    # every form the dashboard does not count as 未提交: 报送情况 then says 未提交 for
    # exactly the dashboard's 未提交 forms, form by form (a checked draft that is not yet
    # reported stays out, as it stays 未提交 on the dashboard)
    pairs = services.latest_uploads(round_, tuple(s for s in STATUSES if s != NOT_SUBMITTED))
    # each return under the name of the workbook sent out (what 报送情况's 提交文件 shows
    # the officer), never under the name a unit gave its file
    uploads, taken = [], set()
    for form, up in pairs:
        stem = services.clean_name(Path(str(form.manifest_row.get("file") or "")).stem or f"form{form.pk}", 120)
        if stem in taken:
            stem = f"{stem}-{form.pk}"
        taken.add(stem)
        uploads.append((stem, library.blob_path(data, up.sha256), up.ext))
    fd, name = tempfile.mkstemp(prefix="summary-", suffix=".xlsx", dir=data / "tmp")
    os.close(fd)
    os.unlink(name)  # merge writes the file itself, atomically
    try:
        library.in_checker(library.merge_summary, data, services.manifest_path(round_), uploads,
                           Path(name))
        handle = open(name, "rb")
    finally:
        if os.path.exists(name):
            os.unlink(name)  # the open handle keeps the content until the response is sent
    services.audit(request.user, "下载汇总表", f"轮次 {round_.pk}", "", address(request))
    return FileResponse(handle, as_attachment=True, filename=f"汇总_{services.clean_name(round_.name)}.xlsx",
                        content_type=XLSX)


FINDINGS_HEADER = ["实施单位", "项目名称", "表单编号", "状态", "上传文件", "上传时间", "代码", "级别",
                   "工作表", "单元格", "问题说明", "出错说明", "说明审核"]


@staff_required
@require_GET
def findings_csv(request, round_id: int):
    from jixiao.io.csvsafe import safe_csv_cell

    round_ = get_object_or_404(Round, pk=round_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FINDINGS_HEADER)
    for form, upload in services.latest_uploads(round_):
        explained = services.explanations_by_finding(form)
        for f in library.all_findings(upload.result):
            explanation = explained.get((f.get("code"), f.get("cell") or ""))
            writer.writerow([safe_csv_cell(v) for v in (
                form.unit.name, form.project, form.form_id, form.status, upload.original_name,
                upload.uploaded_at.astimezone().strftime("%Y-%m-%d %H:%M"), f.get("code"),
                {"error": "错误", "warning": "警告", "info": "提示"}.get(f.get("severity"), f.get("severity")),
                f.get("sheet") or "", f.get("cell") or "", f.get("message") or "",
                explanation.text if explanation else "",
                explanation.decision_label if explanation else "")])
    services.audit(request.user, "下载问题清单", f"轮次 {round_.pk}", "", address(request))
    response = HttpResponse(("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, f"问题清单_{services.clean_name(round_.name)}.csv")
    return response


@staff_required
@require_GET
def accepted_zip(request, round_id: int):
    round_ = get_object_or_404(Round, pk=round_id)
    data = data_folder()
    spool = tempfile.TemporaryFile(dir=data / "tmp")
    taken: set[str] = set()
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        for form, upload in services.latest_uploads(round_, (PASSED,)):
            name = f"{services.clean_name(form.unit.name)}/{services.clean_name(form.project)}{upload.ext or '.xlsx'}"
            if name in taken:
                name = f"{services.clean_name(form.unit.name)}/{form.pk}-{services.clean_name(form.project)}{upload.ext or '.xlsx'}"
            taken.add(name)
            archive.write(library.blob_path(data, upload.sha256), name)
    spool.seek(0)
    services.audit(request.user, "下载已通过的表", f"轮次 {round_.pk}", "", address(request))
    return FileResponse(spool, as_attachment=True, filename=f"已通过_{services.clean_name(round_.name)}.zip",
                        content_type="application/zip")


@staff_required
@require_GET
def audit(request):
    return render(request, "portal/audit.html", {"entries": AuditEntry.objects.all()[:500]})


# ------------------------------------------------------------------ a unit, by its link

def unit_of(token: str) -> Unit:
    unit = Unit.objects.select_related("round").filter(token=token, revoked=False).first()
    if unit is None:
        raise Http404
    return unit


@require_GET
def unit_page(request, token: str):
    unit = unit_of(token)
    rows = []
    for form, latest in services.with_latest(unit.forms.all()):
        rows.append({"form": form, "latest": latest, "can_submit": services.can_submit(form, latest),
                     "return_reason": form.status_changes.filter(new="已退回").values_list("reason", flat=True).first()
                     if form.status == "已退回" else ""})
    if wants_json(request):
        return json_response({"unit": unit.name, "round": unit.round.name, "forms": [
            {"id": r["form"].pk, "project": r["form"].project, "form_id": r["form"].form_id,
             "status": r["form"].status, "can_submit": r["can_submit"],
             "latest": None if r["latest"] is None else {
                 "submission_id": r["latest"].pk, "errors": r["latest"].errors,
                 "warnings": r["latest"].warnings, "grade": r["latest"].grade,
                 "uploaded": r["latest"].uploaded_at.isoformat()}}
            for r in rows]})
    return render(request, "portal/unit.html", {
        "unit": unit, "rows": rows, "uploads": unit.uploads.select_related("form")[:30],
        "max_upload": settings.JIXIAO_MAX_UPLOAD // (1024 * 1024),
    })


@require_POST
def unit_upload(request, token: str):
    unit = unit_of(token)
    files = request.FILES.getlist("file")
    if not files:
        return message_page(request, "没有文件", "没有收到文件：请选择要上传的自评表。", 400)
    if sum(f.size for f in files) > settings.JIXIAO_MAX_UPLOAD:
        from jixiao.serve.middleware import too_large

        return too_large(request)
    taken = []
    for f in files:
        taken.append((f.name, services.take_upload(unit, f.name, f.chunks())))
    if wants_json(request):
        entries = [{"submission_id": ups[0].pk, "result": ups[0].result} for _, ups in taken]
        body = dict(entries[0]) if len(entries) == 1 else {"submission_id": entries[0]["submission_id"],
                                                           "result": entries[0]["result"],
                                                           "submissions": entries}
        return json_response(body, 201)
    sections = [_result_section(unit, ups[0]) for _, ups in taken]
    return render(request, "portal/result.html", {"unit": unit, "sections": sections}, status=201)


def _result_section(unit: Unit, upload: Upload) -> dict:
    return {"upload": upload, "findings": _findings_view(upload, upload.form),
            "explain_url": f"/u/{unit.token}/uploads/{upload.pk}/explain" if upload.form else ""}


def _unit_upload(unit: Unit, upload_id: int) -> Upload:
    return get_object_or_404(Upload.objects.select_related("form"), pk=upload_id, unit=unit)


@require_GET
def unit_result(request, token: str, upload_id: int):
    unit = unit_of(token)
    upload = _unit_upload(unit, upload_id)
    if wants_json(request):
        return json_response({"submission_id": upload.pk, "result": upload.result})
    return render(request, "portal/result.html", {"unit": unit, "sections": [_result_section(unit, upload)]})


@require_GET
def unit_workbook(request, token: str, form_id: int):
    unit = unit_of(token)
    return _workbook_response(get_object_or_404(Form.objects.select_related("round"), pk=form_id, unit=unit))


@require_GET
def unit_upload_file(request, token: str, upload_id: int):
    unit = unit_of(token)
    return _upload_response(_unit_upload(unit, upload_id))


@require_GET
def unit_annotated(request, token: str, upload_id: int):
    unit = unit_of(token)
    return _annotated_response(request, _unit_upload(unit, upload_id))


@require_POST
def unit_submit(request, token: str, form_id: int):
    unit = unit_of(token)
    form = get_object_or_404(Form, pk=form_id, unit=unit)
    try:
        services.submit(form, unit)
    except JixiaoError as exc:
        return message_page(request, "不能上报", str(exc), 400)
    if wants_json(request):
        form.refresh_from_db()
        return json_response({"form_id": form.pk, "status": form.status})
    return HttpResponseRedirect(f"/u/{unit.token}")


@require_POST
def unit_explain(request, token: str, upload_id: int):
    unit = unit_of(token)
    upload = _unit_upload(unit, upload_id)
    posted = ExplainForm(request.POST)
    if not posted.is_valid():
        return message_page(request, "无法保存说明", first_error(posted), 400)
    try:
        explanation = services.explain(upload, posted.cleaned_data["code"], posted.cleaned_data["cell"],
                                       posted.cleaned_data["text"])
    except JixiaoError as exc:
        return message_page(request, "无法保存说明", str(exc), 400)
    if wants_json(request):
        return json_response({"explanation_id": explanation.pk, "decision": explanation.decision_label}, 201)
    return HttpResponseRedirect(f"/u/{unit.token}/uploads/{upload.pk}/")

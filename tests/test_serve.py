"""The portal (jixiao serve) through its CLI and Django's test client.

Needs the serve extra: without Django these tests fail at import, they are never skipped
(CI installs jixiao[serve]). Django is configured once per process, so every test here
shares one data folder and one round (module fixtures); the tests run in file order and
the later ones (statuses, explanations, downloads) read what the earlier ones uploaded.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import zipfile
from pathlib import Path

import django  # noqa: F401  (the serve extra must be installed: fail, never skip)
import openpyxl
import pytest
from click.testing import CliRunner

from jixiao.cli import cli

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = ROOT / "samples" / "项目清单.xlsx"
RETURNED = ROOT / "samples" / "returned"
OVERSPENT = RETURNED / "上海市闵行区行政服务中心-上海市闵行区“一网通办”配套系统(2022运维).xlsx"
CLEAN = RETURNED / "上海市人民政府办公厅-市政府办公厅专项工作业务经费.xlsx"
PASSWORD = "portal-test-Pa55word"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("portal") / "data"
    result = run("serve", "init", "--data", str(folder), "--admin-password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def round_links(data) -> dict[str, str]:
    result = run("serve", "round", "--data", str(data), "--projects", str(PROJECTS), "--name", "测试轮次")
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.output.strip().splitlines()]
    return {unit: link for unit, link in lines}


@pytest.fixture
def admin(data):
    from django.test import Client

    client = Client()
    response = client.post("/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/rounds/"
    return client


def unit_client():
    from django.test import Client

    return Client()


def upload(client, link: str, path: Path, json_answer: bool = True):
    with open(path, "rb") as fh:
        extra = {"HTTP_ACCEPT": "application/json"} if json_answer else {}
        return client.post(f"{link}/upload", {"file": fh}, **extra)


def form_of(link: str, project: str):
    from jixiao.serve.models import Form

    token = link.rsplit("/", 1)[1]
    return Form.objects.get(unit__token=token, project=project)


def can_log_in(username: str, password: str) -> bool:
    response = unit_client().post("/login/", {"username": username, "password": password})
    return response.status_code == 302


def test_init_writes_a_private_secret_and_keeps_the_admin_password(data):
    assert stat.S_IMODE(os.stat(data / "secret_key").st_mode) == 0o600
    again = run("serve", "init", "--data", str(data))
    assert again.exit_code == 0
    assert "密码未更改" in again.output
    assert can_log_in("admin", PASSWORD)


def test_init_without_stdin_prints_a_generated_password_once(data):
    result = run("serve", "init", "--data", str(data), "--admin", "second")
    assert result.exit_code == 0
    password = re.search(r"初始密码.*：(\S+)", result.output).group(1)
    assert can_log_in("second", password)
    assert not can_log_in("second", "")
    assert "初始密码" not in run("serve", "init", "--data", str(data), "--admin", "second").output


def test_serve_without_an_initialised_folder_is_one_chinese_line(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "round", "--data", str(tmp_path / "none"),
                                      "--projects", str(PROJECTS)])
    assert result.exit_code in (1, 2)
    assert "jixiao serve init" in result.output and "Traceback" not in result.output


def test_round_from_the_projects_list_gives_one_private_link_per_unit(data, round_links):
    from jixiao.manifest import read_manifest

    units = {row.unit for row in read_manifest(ROOT / "samples" / "prefilled" / "manifest.csv")}
    assert set(round_links) == units
    for link in round_links.values():
        token = link.removeprefix("/u/")
        assert len(token) >= 43  # token_urlsafe(32): 256 bits
    assert len(set(round_links.values())) == len(units)


def test_admin_pages_need_a_login(data, round_links):
    client = unit_client()
    response = client.get("/rounds/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert client.get("/rounds/1/", HTTP_ACCEPT="application/json").status_code == 401


def test_round_created_on_the_page_lists_every_form(admin, data):
    with open(PROJECTS, "rb") as fh:
        response = admin.post("/rounds/", {"name": "网页轮次", "year": "", "projects": fh})
    assert response.status_code == 302
    page = admin.get(response["Location"]).content.decode()
    total = int(re.search(r'<b data-count="应提交">(\d+)</b>', page).group(1))
    assert total == len(re.findall(r"<tr data-form-id=", page)) > 0
    with open(ROOT / "README.md", "rb") as fh:
        bad = admin.post("/rounds/", {"name": "x", "projects": fh})
    assert bad.status_code == 400 and "项目清单" in bad.content.decode()
    # a list the library cannot use: its Chinese line, and no round or folder left behind
    from django.core.files.uploadedfile import SimpleUploadedFile
    from jixiao.serve.models import Round

    rounds = Round.objects.count()
    folders = sorted((data / "rounds").iterdir())
    not_a_list = SimpleUploadedFile("清单.csv", "甲,乙\n1,2\n".encode("utf-8"))
    refused = admin.post("/rounds/", {"name": "坏清单", "projects": not_a_list})
    assert refused.status_code == 400
    message = re.search(r'<p class="error" id="round-error">([^<]*)</p>', refused.content.decode()).group(1)
    assert "项目清单有误" in message and "清单.csv" in message and str(data) not in message
    assert Round.objects.count() == rounds and sorted((data / "rounds").iterdir()) == folders


def test_unit_upload_answers_what_jixiao_check_says(data, round_links):
    from jixiao.serve.models import Round

    link = round_links["上海市闵行区行政服务中心"]
    response = upload(unit_client(), link, OVERSPENT)
    assert response.status_code == 201
    body = response.json()
    assert isinstance(body["submission_id"], int)
    round_id = Round.objects.get(name="测试轮次").pk
    manifest = data / "rounds" / str(round_id) / "forms" / "manifest.csv"
    cli_json = json.loads(run("check", "--format", "json", "--manifest", str(manifest),
                              str(OVERSPENT)).output)["files"][0]
    assert {k: v for k, v in body["result"].items() if k != "path"} == \
        {k: v for k, v in cli_json.items() if k != "path"}
    f01 = [f for form in body["result"]["forms"] for f in form["findings"] if f["code"] == "F01"]
    assert [f["cell"] for f in f01] == ["E6"]
    assert form_of(link, "上海市闵行区“一网通办”配套系统(2022运维)").status == "有错误"


def test_result_page_shows_findings_and_the_annotated_copy(round_links):
    client = unit_client()
    link = round_links["上海市闵行区行政服务中心"]
    response = upload(client, link, OVERSPENT, json_answer=False)
    page = response.content.decode()
    assert '<li class="finding sev-error" data-code="F01" data-cell="E6" data-severity="错误">' in page
    annotated = re.search(r'<a class="annotated" href="([^"]+)"', page).group(1)
    copy = client.get(annotated)
    assert copy.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(copy.streaming_content)))
    assert workbook.sheetnames  # a workbook, with the findings marked in it


def test_a_workbook_sent_without_its_extension_is_read_and_summarised_as_one(round_links, tmp_path):
    from jixiao.serve.models import Upload

    link = round_links["上海市人民政府办公厅"]
    bare = tmp_path / "自评表"
    bare.write_bytes(CLEAN.read_bytes())
    answer = upload(unit_client(), link, bare).json()
    assert answer["result"]["status"] == "ok" and answer["result"]["forms"]
    assert Upload.objects.get(pk=answer["submission_id"]).ext == ".xlsx"


def test_another_units_things_and_revoked_links_are_404(admin, round_links):
    from jixiao.serve.models import Unit, Upload

    a, b = round_links["上海市闵行区行政服务中心"], round_links["上海市人民政府办公厅"]
    theirs = Upload.objects.filter(unit__token=a.removeprefix("/u/")).first()
    other = unit_client()
    assert other.get(f"{b}/uploads/{theirs.pk}/").status_code == 404
    assert other.get(f"{b}/uploads/{theirs.pk}/file").status_code == 404
    assert other.get(f"{b}/forms/{theirs.form_id}/workbook").status_code == 404
    assert other.get("/u/" + "x" * 43).status_code == 404
    unit = Unit.objects.create(round=theirs.round, name="临时单位")
    assert other.get(f"/u/{unit.token}").status_code == 200
    assert admin.post(f"/units/{unit.pk}/revoke").status_code == 302
    assert other.get(f"/u/{unit.token}").status_code == 404
    assert "页面不存在" in other.get(f"/u/{unit.token}").content.decode()


def test_statuses_follow_upload_submit_pass_and_return(admin, round_links):
    from jixiao.serve.models import StatusChange

    link = round_links["上海市人民政府办公厅"]
    unit = unit_client()
    form = form_of(link, "市政府办公厅专项工作业务经费")
    assert upload(unit, link, CLEAN).status_code == 201
    form.refresh_from_db()
    assert form.status == "未提交"  # checked, no error, not yet reported
    listed = {f["project"]: f for f in unit.get(link, HTTP_ACCEPT="application/json").json()["forms"]}
    assert listed["市政府办公厅专项工作业务经费"]["can_submit"] is True
    assert unit.post(f"{link}/forms/{form.pk}/submit").status_code == 302
    form.refresh_from_db()
    assert form.status == "已提交"
    dashboard = admin.get(f"/rounds/{form.round_id}/").content.decode()
    assert re.search(rf'<tr data-form-id="{form.pk}"[^>]*>.*?<td class="status[^"]*">已提交</td>',
                     dashboard, re.S)
    only = admin.get(f"/rounds/{form.round_id}/?status=已提交").content.decode()
    assert re.findall(r'<tr data-form-id="(\d+)"', only) == [str(form.pk)]
    assert admin.post(f"/forms/{form.pk}/pass").status_code == 302
    form.refresh_from_db()
    assert form.status == "已通过"
    # an upload to a passed form is kept, changes nothing, and the page says so
    again = upload(unit, link, CLEAN, json_answer=False).content.decode()
    assert "状态是“已通过”" in again
    form.refresh_from_db()
    assert form.status == "已通过"
    # an overspent form cannot be submitted, and is returned with a reason
    bad = form_of(round_links["上海市闵行区行政服务中心"], "上海市闵行区“一网通办”配套系统(2022运维)")
    assert unit_client().post(f"{round_links['上海市闵行区行政服务中心']}/forms/{bad.pk}/submit").status_code == 400
    assert admin.post(f"/forms/{bad.pk}/return", {"reason": ""}).status_code == 400
    assert admin.post(f"/forms/{bad.pk}/return", {"reason": "执行数超过预算，请核实"}).status_code == 302
    bad.refresh_from_db()
    assert bad.status == "已退回"
    change = StatusChange.objects.filter(form=bad).first()
    assert (change.new, change.reason, change.by_user.username) == ("已退回", "执行数超过预算，请核实", "admin")


def test_accepted_explanation_stays_with_its_finding_on_later_uploads(admin, round_links):
    link = round_links["上海市闵行区行政服务中心"]
    unit = unit_client()
    first = upload(unit, link, OVERSPENT).json()["submission_id"]
    response = unit.post(f"{link}/uploads/{first}/explain",
                         {"code": "I05", "cell": "H14", "text": "第三方测评推迟到次年，已与主管部门沟通"})
    assert response.status_code == 302
    form = form_of(link, "上海市闵行区“一网通办”配套系统(2022运维)")
    page = admin.get(f"/forms/{form.pk}/").content.decode()
    explanation = re.search(r'<li class="explanation" data-code="I05" data-cell="H14".*?'
                            r'action="(/explanations/\d+/decide)"', page, re.S).group(1)
    assert admin.post(explanation, {"decision": "accept"}).status_code == 302
    # every earlier upload opens with its own findings
    earlier = admin.get(f"/uploads/{first}/").content.decode()
    assert 'data-code="F01" data-cell="E6"' in earlier
    later = upload(unit, link, OVERSPENT, json_answer=False).content.decode()
    finding = re.search(r'<li class="finding sev-warning" data-code="I05" data-cell="H14".*?</li>', later, re.S).group(0)
    assert "出错说明（已接受）：第三方测评推迟到次年" in finding
    assert 'class="explain"' not in finding
    # an explanation for a finding the upload does not have is refused
    assert unit.post(f"{link}/uploads/{first}/explain", {"code": "F99", "cell": "A1", "text": "x"}).status_code == 400


def test_downloads_summary_findings_and_accepted(admin, round_links):
    from jixiao.serve.models import Round

    round_ = Round.objects.get(name="测试轮次")
    summary = admin.get(f"/rounds/{round_.pk}/summary.xlsx")
    assert summary.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(summary.streaming_content)), read_only=True)
    sheet = workbook["报送情况"]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if "表单编号" in r and "状态" in r)
    columns = rows[header]
    reported = {r[columns.index("表单编号")]: r[columns.index("状态")] for r in rows[header + 1:]
                if r[columns.index("表单编号")]}
    for form in round_.forms.all():
        expected = "未提交" if form.status == "未提交" else "已提交"
        assert reported[form.form_id] == expected, form.project
    assert {"已通过", "有错误", "未提交"} <= {form.status for form in round_.forms.all()}
    # a return is named after the workbook sent out, not after the unit's file name
    returned = {r[columns.index("表单编号")]: r[columns.index("提交文件")] for r in rows[header + 1:]
                if r[columns.index("表单编号")]}
    passed = round_.forms.get(status="已通过")
    assert Path(returned[passed.form_id]).name == passed.manifest_row["file"]
    findings = admin.get(f"/rounds/{round_.pk}/findings.csv").content
    assert findings.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(findings.decode("utf-8-sig"))))
    assert table[0][:2] == ["实施单位", "项目名称"]
    assert any(row[6] == "F01" and row[9] == "E6" for row in table[1:])
    archive = zipfile.ZipFile(io.BytesIO(b"".join(admin.get(f"/rounds/{round_.pk}/accepted.zip").streaming_content)))
    assert [n.endswith("市政府办公厅专项工作业务经费.xlsx") for n in archive.namelist()] == [True]


def test_state_changes_need_the_csrf_token(round_links):
    from django.test import Client

    link = round_links["上海市人民政府办公厅"]
    client = Client(enforce_csrf_checks=True)
    with open(CLEAN, "rb") as fh:
        response = client.post(f"{link}/upload", {"file": fh})
    assert response.status_code == 403
    assert "CSRF" in response.content.decode()


def test_an_upload_over_the_limit_is_refused_before_it_is_stored(data, round_links):
    from django.test import override_settings

    before = sorted(p for p in (data / "uploads").rglob("*") if p.is_file())
    with override_settings(JIXIAO_MAX_UPLOAD=1000):
        response = upload(unit_client(), round_links["上海市人民政府办公厅"], CLEAN, json_answer=False)
    assert response.status_code == 413
    assert "超过了大小限制" in response.content.decode()
    assert sorted(p for p in (data / "uploads").rglob("*") if p.is_file()) == before


def test_pages_send_the_security_headers(round_links):
    response = unit_client().get(round_links["上海市人民政府办公厅"])
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"


def test_several_files_at_once_and_a_file_that_is_no_form(round_links, tmp_path):
    link = round_links["上海市人民政府办公厅"]
    notes = tmp_path / "会议\n纪要.xlsx"
    notes.write_bytes(b"PK\x03\x04 not really a workbook")
    text = tmp_path / "说明.csv"
    text.write_text("项目,说明\n甲,乙\n", encoding="utf-8")
    client = unit_client()
    with open(CLEAN, "rb") as a, open(notes, "rb") as b, open(text, "rb") as c:
        response = client.post(f"{link}/upload", {"file": [a, b, c]})
    assert response.status_code == 201
    page = response.content.decode()
    assert page.count('<section class="result"') == 3
    assert re.search(r'data-code="R01"', page) and re.search(r'data-code="R02"', page)
    with open(text, "rb") as fh:
        answer = client.post(f"{link}/upload", {"file": fh}, HTTP_ACCEPT="application/json").json()
    assert [f["code"] for f in answer["result"]["findings"]] == ["R02"]
    # a text file's sheet is called 自评表 on the page, never the name of a file on the server
    form_text = tmp_path / "form.txt"  # the overspent form as tab-separated text
    form_text.write_text("\n".join("\t".join("" if v is None else str(v) for v in row)
                                   for row in openpyxl.load_workbook(OVERSPENT)["自评表"].iter_rows(values_only=True)),
                         encoding="utf-8")
    with open(form_text, "rb") as fh:
        read = client.post(f"{link}/upload", {"file": fh}, HTTP_ACCEPT="application/json").json()["result"]
    sheets = {f["sheet"] for form in read["forms"] for f in form["findings"]} | {form["sheet"] for form in read["forms"]}
    assert read["forms"] and sheets == {"自评表"}
    # the unreadable upload is kept, and downloads under a name without the newline
    from jixiao.serve.models import Upload

    kept = Upload.objects.filter(original_name__startswith="会议").first()
    download = client.get(f"{link}/uploads/{kept.pk}/file")
    assert download.status_code == 200 and "\n" not in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == notes.read_bytes()


def test_an_upload_of_another_units_form_is_kept_and_said(round_links):
    link = round_links["上海市人民政府办公厅"]
    response = upload(unit_client(), link, OVERSPENT, json_answer=False)
    assert response.status_code == 201
    assert "对不上" in response.content.decode()
    assert form_of(round_links["上海市闵行区行政服务中心"],
                   "上海市闵行区“一网通办”配套系统(2022运维)").uploads.filter(unit__token=link[3:]).count() == 0


def test_login_attempts_are_throttled_in_chinese(data):
    client = unit_client()
    for _ in range(4):
        assert client.post("/login/", {"username": "admin", "password": "wrong"}).status_code == 200
    assert client.post("/login/", {"username": "admin", "password": "wrong"}).status_code == 429
    locked = client.post("/login/", {"username": "admin", "password": PASSWORD})
    assert locked.status_code == 429
    assert "登录已锁定" in locked.content.decode()
    # another user name from the same address is not locked out
    assert can_log_in("second", "") is False
    from axes.utils import reset

    reset(username="admin")
    assert can_log_in("admin", PASSWORD)


def test_audit_log_records_admin_actions(admin):
    from jixiao.serve.models import AuditEntry

    page = admin.get("/audit/").content.decode()
    assert "登录" in page
    assert AuditEntry.objects.filter(action="创建收集轮次").exists()


@pytest.mark.parametrize("weak, why", [("short", "至少需要 8 个字符"), ("12345678", "只包含数字"),
                                       ("password", "太常见")])
def test_init_refuses_a_weak_password_in_chinese(data, weak, why):
    result = CliRunner().invoke(cli, ["serve", "init", "--data", str(data), "--admin", "third",
                                      "--admin-password-stdin"], input=weak + "\n")
    assert result.exit_code == 2
    assert why in result.output and "未创建管理员" in result.output
    assert not can_log_in("third", weak)


def test_migrations_match_the_models(data):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("makemigrations", "portal", "--check", "--dry-run", stdout=out)  # exits 1 if not
    assert "No changes detected" in out.getvalue()


def test_every_template_and_static_file_is_package_data():
    import fnmatch
    import tomllib

    import jixiao

    package = Path(jixiao.__file__).parent
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]["package-data"]["jixiao"]
    files = [p.relative_to(package).as_posix() for folder in ("templates", "static")
             for p in (package / "serve" / folder).rglob("*") if p.is_file()]
    assert files
    assert [f for f in files if not any(fnmatch.fnmatch(f, pattern) for pattern in patterns)] == []


def test_what_a_killed_server_left_in_tmp_is_swept_but_fresh_work_is_not(tmp_path):
    from jixiao.serve.library import sweep_tmp

    tmp = tmp_path / "tmp"
    (tmp / "check-old").mkdir(parents=True)
    (tmp / "check-old" / "upload.xlsx").write_bytes(b"x")
    (tmp / ".upload-old").write_bytes(b"x")
    (tmp / "check-new").mkdir()
    (tmp / "static").mkdir()
    for old in (tmp / "check-old", tmp / ".upload-old", tmp / "static"):
        os.utime(old, (0, 0))
    assert sweep_tmp(tmp_path) == 2
    assert sorted(p.name for p in tmp.iterdir()) == ["check-new", "static"]


def test_a_nul_character_in_a_posted_text_or_a_link_is_a_chinese_4xx(admin, round_links):
    from jixiao.serve.models import Form

    form = Form.objects.filter(uploads__isnull=False).exclude(status="已退回").first()
    refused = admin.post(f"/forms/{form.pk}/return", {"reason": "退回\x00原因"})
    assert refused.status_code == 400 and "退回原因" in refused.content.decode()
    assert Form.objects.get(pk=form.pk).status == form.status
    assert unit_client().get("/u/%00").status_code == 404


def test_the_servers_checker_processes_answer_as_a_check_here_does(round_links):
    """jixiao serve checks in processes started before waitress's threads (forking the
    library's workers from a threaded process hung one upload in a thousand)."""
    from jixiao.serve import library

    link = round_links["上海市闵行区行政服务中心"]
    here = upload(unit_client(), link, OVERSPENT).json()["result"]
    library.start_checkers(2)
    try:
        there = upload(unit_client(), link, OVERSPENT).json()["result"]
    finally:
        library.stop_checkers()
    assert there == here
    assert [f["cell"] for form in there["forms"] for f in form["findings"] if f["code"] == "F01"] == ["E6"]


@pytest.mark.parametrize("db, status, said", [
    ("garbage", 2, "数据库地址无效"),
    ("sqlite:///", 2, "须给出文件路径"),  # a database in memory would lose every upload
    ("sqlite:////proc/jixiao-test.db", 1, "无法打开数据库文件"),
    ("postgresql://jixiao@127.0.0.1:1/jixiao", 1, "无法连接数据库"),
])
def test_a_database_that_cannot_serve_is_one_chinese_line(tmp_path, db, status, said):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "jixiao", "serve", "init", "--data", str(tmp_path / "d"),
                           "--db", db], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == status, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert said in line and not re.search(r"[A-Za-z]{4,} [a-z]{3,} [a-z]{3,}", line.replace(db, "")), line
    assert "初始密码" not in proc.stdout

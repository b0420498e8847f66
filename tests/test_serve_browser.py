"""The portal end to end in a real headless Chromium (issue 14's Done-when line).

A bureau's admin logs in and creates a round from samples/项目清单.xlsx; a unit opens its
link, downloads its prefilled workbook, uploads a copy that spends more than its budget and
sees F01 at E6 on the page, downloads the annotated copy, uploads a fixed copy, explains the
warning left, and submits; the admin sees the new status, accepts the explanation, returns
another form, and downloads the summary whose 报送情况 sheet agrees with the dashboard.
Then the two other ways a unit hands in forms: several files chosen at once, and a drop
onto the upload area.

Runs against `jixiao serve` (waitress) in a subprocess on a data folder made by
`jixiao serve init --admin-password-stdin`: the CLI, HTTP and the pages' markup
(docs/portal.md) are all it uses. Needs Debian's chromium and chromium-driver (.ci/run
installs them): without them the test fails and says so.
"""

from __future__ import annotations

import base64
import re
import warnings
from pathlib import Path

import openpyxl
import pytest
from selenium.webdriver.support.ui import WebDriverWait

from portal_process import (PROJECTS, chrome, chromium_paths, click, create_round, css, dashboard,
                            download, fill_form, findings_on_page, jixiao, left_page, log_in, one,
                            row_of, running_portal, status_of, submit, upload, wait_for)

UNIT = "上海市人民政府办公厅"
#: its form filled with a planted mistake, then fixed with one warning left to explain
EXPLAINED = "市政府法律事务工作经费"
#: its form uploaded clean and submitted, then returned by the admin
RETURNED = "市城运中心工作经费"
STATUSES = ("未提交", "有错误", "已提交", "已退回", "已通过")


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    try:
        chromium_paths()
    except RuntimeError as missing:  # fails, never skips: CI installs them
        pytest.fail(str(missing), pytrace=False)
    with running_portal(tmp_path_factory.mktemp("portal")) as running:
        yield running


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(portal, downloads):
    session = chrome(downloads)
    session.implicitly_wait(0)
    yield session
    session.quit()


# --- the scenario ---------------------------------------------------------------------------

def test_admin_and_unit_collect_check_explain_submit_return_and_summarise(
        portal, browser, downloads, tmp_path):
    # the admin logs in and creates a round from the shipped projects list
    browser.get(portal.url + "/rounds/")
    wait_for(browser, "input[name=username]")
    assert "/login/" in browser.current_url, "an admin page without login must go to /login/"
    log_in(browser, portal)
    wait_for(browser, "form#new-round")
    assert browser.current_url.rstrip("/").endswith("/rounds")
    round_url = create_round(browser, "2024年度绩效自评")
    before = dashboard(browser)
    assert before and set(before.values()) == {"未提交"}
    assert (UNIT, EXPLAINED) in before and (UNIT, RETURNED) in before
    units = {r.get_attribute("data-unit"): r for r in css(browser, "table#units tr[data-unit]")}
    unit_url = one(units[UNIT], "a.unit-link").get_attribute("href")
    assert "/u/" in unit_url

    # the unit opens its link (no login is needed for it) and downloads its workbook
    browser.get(unit_url)
    wait_for(browser, "table#projects")
    own = {r.get_attribute("data-project") for r in css(browser, "table#projects tbody tr")}
    assert {EXPLAINED, RETURNED} <= own
    assert own == {p for u, p in before if u == UNIT}, "a unit sees exactly its own projects"
    prefilled = download(browser, downloads,
                         one(row_of(browser, "projects", EXPLAINED), "a.download-workbook"),
                         ".xlsx")
    assert openpyxl.load_workbook(prefilled)["自评表"]["B3"].value == EXPLAINED

    # a copy that spends twice its budget: F01 at E6, shown on the page as an error
    overspent = fill_form(prefilled, tmp_path / "超支" / prefilled.name, spent=2)
    upload(browser, unit_url, overspent)
    assert ("F01", "E6", "错误") in findings_on_page(browser)
    annotated = download(browser, downloads, one(browser, "a.annotated"), ".xlsx")
    sheets = openpyxl.load_workbook(annotated)
    assert "问题清单" in sheets.sheetnames  # the annotated copy, not the upload itself
    assert any("F01" in str(c.value) for row in sheets["问题清单"].iter_rows() for c in row)
    browser.get(unit_url)
    wait_for(browser, "table#projects")
    assert status_of(browser, "projects", EXPLAINED) == "有错误"

    # a fixed copy: no error left, one warning (I05 at H13) the unit explains
    fixed = fill_form(prefilled, tmp_path / "修改后" / prefilled.name, cells={"F13": "0次"})
    upload(browser, unit_url, fixed)
    found = findings_on_page(browser)
    assert not any(severity == "错误" for _, _, severity in found), found
    assert ("I05", "H13", "警告") in found
    explain = [f for f in css(browser, "form.explain")
               if one(f, "input[name=code]").get_attribute("value") == "I05"]
    assert explain, "a warning must offer an explanation form"
    one(explain[0], "textarea[name=text]").send_keys("该指标受疫情影响未开展，已按计划调整至下年度。")
    submit(explain[0])

    # … and submits it (上报)
    browser.get(unit_url)
    wait_for(browser, "table#projects")
    submit(one(row_of(browser, "projects", EXPLAINED), "form.submit-form"))
    browser.get(unit_url)
    wait_for(browser, "table#projects")
    assert status_of(browser, "projects", EXPLAINED) == "已提交"

    # a second form uploaded clean and submitted, for the admin to return
    browser.get(unit_url)
    wait_for(browser, "table#projects")
    second = download(browser, downloads,
                      one(row_of(browser, "projects", RETURNED), "a.download-workbook"), ".xlsx")
    upload(browser, unit_url, fill_form(second, tmp_path / "第二份" / second.name))
    assert not any(s == "错误" for _, _, s in findings_on_page(browser))
    browser.get(unit_url)
    wait_for(browser, "table#projects")
    submit(one(row_of(browser, "projects", RETURNED), "form.submit-form"))

    # the admin sees the change and accepts the explanation
    browser.get(round_url)
    wait_for(browser, "table#forms")
    assert dashboard(browser)[(UNIT, EXPLAINED)] == "已提交"
    assert dashboard(browser)[(UNIT, RETURNED)] == "已提交"
    browser.get(one(row_of(browser, "forms", EXPLAINED), "a.detail").get_attribute("href"))
    explanation = wait_for(browser, "li.explanation[data-code=I05]")
    assert explanation.get_attribute("data-cell") == "H13"
    assert "疫情" in explanation.text
    click(browser, one(explanation,
                       "form.explanation-decision button[name=decision][value=accept]"))
    wait_for(browser, "li.explanation[data-code=I05]")
    assert "已接受" in one(browser, "li.explanation[data-code=I05]").text
    assert len(css(browser, "table#uploads tr a[href]")) >= 2, "every upload stays listed"

    # … returns the other form with a reason
    browser.get(round_url)
    wait_for(browser, "table#forms")
    browser.get(one(row_of(browser, "forms", RETURNED), "a.detail").get_attribute("href"))
    back = wait_for(browser, "form#return-form")
    one(back, "textarea[name=reason]").send_keys("请补充偏差原因分析。")
    submit(back)
    browser.get(round_url)
    wait_for(browser, "table#forms")
    after = dashboard(browser)
    assert after[(UNIT, RETURNED)] == "已退回"
    assert after[(UNIT, EXPLAINED)] == "已提交"
    assert {k: v for k, v in after.items() if k[1] not in (EXPLAINED, RETURNED)} == \
        {k: "未提交" for k in before if k[1] not in (EXPLAINED, RETURNED)}

    # the counts above the table are the table's
    counts = {c.get_attribute("data-count"): int(re.findall(r"\d+", c.text)[-1])
              for c in css(browser, "#counts [data-count]")}
    assert counts["应提交"] == len(after)
    for status in STATUSES:
        assert counts[status] == sum(1 for v in after.values() if v == status), status

    # the unit sees its form returned
    browser.get(unit_url)
    wait_for(browser, "table#projects")
    assert status_of(browser, "projects", RETURNED) == "已退回"

    # the summary's 报送情况 agrees with the dashboard, form by form
    browser.get(round_url)
    wait_for(browser, "a#download-summary")
    summary = download(browser, downloads, one(browser, "a#download-summary"), ".xlsx")
    in_summary = submissions(summary)
    differences = {k: (in_summary.get(k), after.get(k)) for k in set(in_summary) | set(after)
                   if in_summary.get(k) != expected_submissions(after).get(k)}
    assert not differences, f"(实施单位, 项目名称): (报送情况, 看板) {differences}"


def submissions(summary: Path) -> dict[tuple[str, str], str]:
    """(实施单位, 项目名称) -> 状态 of the summary workbook's 报送情况 sheet."""
    with warnings.catch_warnings():
        # openpyxl cannot read a whole-column print area back (项目汇总!$A:$O): not our sheet
        warnings.simplefilter("ignore", UserWarning)
        sheet = openpyxl.load_workbook(summary, read_only=True)["报送情况"]
    rows = [[("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)]
    header_at = next(i for i, row in enumerate(rows) if {"实施单位", "项目名称", "状态"} <= set(row))
    header = rows[header_at]
    unit, project, status = (header.index(h) for h in ("实施单位", "项目名称", "状态"))
    return {(row[unit], row[project]): row[status] for row in rows[header_at + 1:]
            if row[project] and len(row) > status}


def expected_submissions(board: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """The dashboard in the words of `jixiao merge --manifest` (docs/portal.md): merge
    knows only received or not, so a form is 未提交 there exactly when the dashboard shows
    it 未提交, and 已提交 whatever the bureau did with it since (有错误/已提交/已退回/已通过)."""
    return {key: ("未提交" if status == "未提交" else "已提交") for key, status in board.items()}


def test_a_unit_uploads_several_forms_at_once_and_sees_each_ones_findings(
        portal, browser, downloads, tmp_path):
    """Several files chosen in one go (the file input's `multiple`, as a drop gives them):
    one result per file, each with its own findings, and each form's own status."""
    unit_url = round_from_the_command_line(portal, "一次上传多份")
    browser.get(unit_url)
    wait_for(browser, "table#projects")
    first = download(browser, downloads,
                     one(row_of(browser, "projects", EXPLAINED), "a.download-workbook"), ".xlsx")
    second = download(browser, downloads,
                      one(row_of(browser, "projects", RETURNED), "a.download-workbook"), ".xlsx")
    overspent = fill_form(first, tmp_path / "一" / first.name, spent=2)
    clean = fill_form(second, tmp_path / "二" / second.name)

    browser.get(unit_url)
    form = wait_for(browser, "form#upload")
    one(form, "input[type=file][name=file][multiple]").send_keys(f"{overspent}\n{clean}")
    submit(form)
    wait_for(browser, "section.result")
    results = {s.get_attribute("data-file"): s for s in css(browser, "section.result[data-file]")}
    assert set(results) == {overspent.name, clean.name}
    codes = {name: {(f.get_attribute("data-code"), f.get_attribute("data-cell"),
                     f.get_attribute("data-severity"))
                    for f in section.find_elements("css selector", "li.finding")}
             for name, section in results.items()}
    assert ("F01", "E6", "错误") in codes[overspent.name]
    assert not any(severity in ("错误", "警告") for _, _, severity in codes[clean.name])

    browser.get(unit_url)
    wait_for(browser, "table#projects")
    assert status_of(browser, "projects", EXPLAINED) == "有错误"
    assert status_of(browser, "projects", RETURNED) == "未提交"  # checked, not yet reported
    assert one(row_of(browser, "projects", RETURNED),
               "form.submit-form button").get_attribute("disabled") is None
    assert one(row_of(browser, "projects", EXPLAINED),
               "form.submit-form button").get_attribute("disabled") is not None


def test_a_unit_drops_a_form_onto_the_upload_area(portal, browser, downloads, tmp_path):
    """The small script: files dropped onto the area around the file input are uploaded
    (a drop is synthesised with the files' bytes, as a file manager's drag gives them)."""
    unit_url = round_from_the_command_line(portal, "拖放上传")
    browser.get(unit_url)
    wait_for(browser, "table#projects")
    prefilled = download(browser, downloads,
                         one(row_of(browser, "projects", EXPLAINED), "a.download-workbook"),
                         ".xlsx")
    dropped = fill_form(prefilled, tmp_path / "拖放" / prefilled.name, spent=2)
    browser.get(unit_url)
    wait_for(browser, "form#upload")
    page = one(browser, "html")
    browser.execute_script("""
        const [name, data] = arguments;
        const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
        const files = new DataTransfer();
        files.items.add(new File([bytes], name));
        const area = document.querySelector("form#upload input[type=file]").closest("div");
        for (const kind of ["dragenter", "dragover", "drop"]) {
            area.dispatchEvent(new DragEvent(kind, {dataTransfer: files, bubbles: true,
                                                    cancelable: true}));
        }""", dropped.name, base64.b64encode(dropped.read_bytes()).decode("ascii"))
    WebDriverWait(browser, 60).until(lambda _: left_page(page))
    wait_for(browser, "section.result")
    assert one(browser, "section.result").get_attribute("data-file") == dropped.name
    assert ("F01", "E6", "错误") in findings_on_page(browser)


def round_from_the_command_line(portal, name: str) -> str:
    """`jixiao serve round` beside the running server; the unit's page address."""
    made = jixiao("serve", "round", "--data", str(portal.data), "--projects", str(PROJECTS),
                  "--name", name)
    links = dict(line.split("\t", 1) for line in made.stdout.splitlines() if "\t" in line)
    link = links[UNIT].strip()
    return link if link.startswith("http") else portal.url + link

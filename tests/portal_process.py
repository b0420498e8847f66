"""A real `jixiao serve` in a subprocess, and forms filled the way a unit fills them.

Shared by the browser test (tests/test_serve_browser.py), the load benchmark
(benchmarks/serve.py) and the screenshots (benchmarks/portal_screenshots.py): all three
go through the CLI and HTTP only, like a bureau's IT and a unit's browser do.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import openpyxl

from jixiao.values import FreeText, Quantity, format_number, parse_measure

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = ROOT / "samples" / "项目清单.xlsx"
ADMIN = "admin"
#: first indicator row of the template's form (jixiao template's layout)
FIRST_INDICATOR_ROW = 13
#: how long a download may take at most: a bound for a loaded CI machine, never asserted
DOWNLOAD_TIMEOUT = 60
#: how long a cold start (migrations, first import of Django) may take on a loaded machine
START_TIMEOUT = 120


@dataclass
class Portal:
    url: str
    data: Path
    admin: str
    password: str
    process: subprocess.Popen
    log: Path

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jixiao(*args: str, stdin: str | None = None, env: dict | None = None,
           timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the installed CLI of this interpreter (python -m jixiao) and fail with its output."""
    done = subprocess.run([sys.executable, "-m", "jixiao", *args], input=stdin, text=True,
                          capture_output=True, timeout=timeout, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"jixiao {' '.join(args)} → {done.returncode}\n"
                           f"{done.stdout}\n{done.stderr}")
    return done


@contextmanager
def running_portal(root: Path, *, env: dict | None = None) -> Iterator[Portal]:
    """`jixiao serve init` a fresh data folder under root, run `jixiao serve` on a free port
    until the block ends, and stop it even when the block fails."""
    data = root / "门户数据"
    password = secrets.token_urlsafe(16)
    # the data folder's SQLite unless the caller's env names a database
    environment = {k: v for k, v in os.environ.items() if k != "JIXIAO_DB"} | (env or {})
    jixiao("serve", "init", "--data", str(data), "--admin", ADMIN, "--admin-password-stdin",
           stdin=password + "\n", env=environment)
    port = free_port()
    log = root / "serve.log"
    command = [sys.executable, "-m", "jixiao", "serve", "--data", str(data),
               "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=environment)
    portal = Portal(f"http://127.0.0.1:{port}", data, ADMIN, password, process, log)
    try:
        _wait_until_ready(portal)
        yield portal
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(portal: Portal) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if portal.process.poll() is not None:
            raise RuntimeError(f"jixiao serve exited with {portal.process.returncode}:\n"
                               f"{portal.log_tail()}")
        try:
            with urllib.request.urlopen(portal.url + "/login/", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"jixiao serve did not answer /login/ within {START_TIMEOUT} s:\n"
                       f"{portal.log_tail()}")


def meeting_actual(target: str) -> str:
    """An actual value that meets its target exactly, written the way units write it."""
    measure = parse_measure(target)
    if isinstance(measure, Quantity):
        step = {">": 1, "<": -measure.value / 2}.get(measure.op, 0)  # strict: past the target
        return format_number(measure.value + step) + (measure.unit or "")
    assert isinstance(measure, FreeText)
    return target


def fill_form(prefilled: Path, output: Path, *, spent: float = 0.95,
              cells: dict | None = None) -> Path:
    """Fill every input of a prefilled form consistently (``spent`` of the budget, every
    target met with full score), then type ``cells`` over it; write a copy to ``output``.

    ``spent=2`` plants F01 at E6 (executed > budget); ``cells={"F13": "0次"}`` keeps the
    full score of an indicator that was not reached (warning I05 at H13)."""
    wb = openpyxl.load_workbook(prefilled)
    ws = wb["自评表"]
    ws["E7"] = round(float(ws["D7"].value or 0) * spent, 2)
    ws["E8"], ws["E9"] = 0, 0
    ws["B11"] = "年初确定的绩效目标"
    ws["F11"] = "目标按计划完成"
    row = FIRST_INDICATOR_ROW
    while ws.cell(row, 5).value:  # 年度指标值, prefilled
        ws.cell(row, 6).value = meeting_actual(str(ws.cell(row, 5).value))
        ws.cell(row, 8).value = ws.cell(row, 7).value
        row += 1
    for ref, value in (cells or {}).items():
        ws[ref] = value
    output.parent.mkdir(parents=True, exist_ok=True)
    wb.save(output)
    return output


def chromium_paths() -> tuple[str, str]:
    """Debian's chromium and chromium-driver (installed by .ci/run), or a clear failure."""
    browser = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    missing = [p for p in (browser, driver) if not Path(p).exists()]
    if missing:
        raise RuntimeError("the browser tests need Debian's chromium and chromium-driver "
                           f"(apt-get install chromium chromium-driver; .ci/run does): "
                           f"missing {', '.join(missing)}")
    return browser, driver


def chrome(download_dir: Path, *, width: int = 1366, height: int = 768):
    """Headless Chromium through Selenium, saving downloads into ``download_dir``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", f"--window-size={width},{height}",
                 "--lang=zh-CN"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(download_dir),
        "download.prompt_for_download": False,
        "download.directory_upgrade": True,
        "safebrowsing.enabled": False,
    })
    # Chromium on Linux takes its UI language (the file input's own button) from LANGUAGE
    service = Service(driver, env={**os.environ, "LANGUAGE": "zh_CN:zh"})
    session = webdriver.Chrome(options=options, service=service)
    # headless Chromium honours the download folder only when told through DevTools too
    session.execute_cdp_cmd("Browser.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(download_dir)})
    return session


# --- the browser's small waits and actions, by the contract's markup (docs/portal.md) -----

def css(browser, selector: str):
    from selenium.webdriver.common.by import By
    return browser.find_elements(By.CSS_SELECTOR, selector)


def one(root, selector: str):
    from selenium.webdriver.common.by import By
    found = root.find_elements(By.CSS_SELECTOR, selector)
    assert found, f"no {selector!r} on {getattr(root, 'current_url', 'the element')}"
    return found[0]


def wait_for(browser, selector: str, timeout: float = 30):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(browser, timeout).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, selector)))
    except Exception:
        raise AssertionError(f"no {selector!r} on {browser.current_url}:\n"
                             f"{browser.find_element('tag name', 'body').text[:2000]}") from None


def submit(form) -> None:
    """Press the form's own button, as a user does, and wait for the page it leads to."""
    buttons = [b for b in form.find_elements("css selector",
                                             "button[type=submit], button:not([type]), "
                                             "input[type=submit]")
               if b.get_attribute("name") != "decision"]
    if buttons:
        click(form.parent, buttons[0])
    else:
        click(form.parent, form, lambda: form.submit())


def click(browser, element, action=None, timeout: float = 60) -> None:
    """Click (or do ``action``) and wait until the browser has left the current page: a
    lookup right after a click that navigates could otherwise read the old page."""
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element("tag name", "html")
    (action or element.click)()
    WebDriverWait(browser, timeout).until(lambda _: left_page(page))


def left_page(page) -> bool:
    """Whether ``page`` (its <html> element) is gone. Asked in the middle of the
    navigation, ChromeDriver may answer "Node with given id does not belong to the
    document" instead of a stale element: gone as well."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        page.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        if "does not belong to the document" in (exc.msg or ""):
            return True
        raise
    return False


def download(browser, folder: Path, link, suffix: str) -> Path:
    """Click a download link; the complete file it gave, in a new folder under ``folder``
    (Chromium would otherwise overwrite, or rename, a second file of the same name)."""
    target = Path(tempfile.mkdtemp(dir=folder))
    browser.execute_cdp_cmd("Browser.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(target)})
    link.click()
    deadline = time.monotonic() + DOWNLOAD_TIMEOUT
    while time.monotonic() < deadline:
        done = [p for p in target.iterdir() if p.suffix.lower() == suffix and p.stat().st_size > 0]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"{link.get_attribute('href')} gave no {suffix} file: "
                         f"{sorted(p.name for p in target.iterdir())}")


def log_in(browser, portal: Portal) -> None:
    """Fill and send the login form the browser shows."""
    one(browser, "input[name=username]").send_keys(portal.admin)
    one(browser, "input[name=password]").send_keys(portal.password)
    submit(one(browser, "form:has(input[name=password])"))


def create_round(browser, name: str, projects: Path = PROJECTS) -> str:
    """Create a round from ``projects`` on the rounds page the browser shows; the
    address of its dashboard."""
    form = one(browser, "form#new-round")
    one(form, "input[name=name]").send_keys(name)
    year = css(browser, "form#new-round [name=year]")
    if year and year[0].get_attribute("required"):  # optional: the whole list otherwise
        year[0].send_keys("2024")
    one(form, "input[type=file][name=projects]").send_keys(str(projects))
    submit(form)
    wait_for(browser, "table#forms")
    return browser.current_url


def row_of(browser, table: str, project: str):
    rows = [r for r in css(browser, f"table#{table} tbody tr[data-project]")
            if r.get_attribute("data-project") == project]
    assert len(rows) == 1, (project, [r.get_attribute("data-project")
                                      for r in css(browser, f"table#{table} tbody tr")])
    return rows[0]


def status_of(browser, table: str, project: str) -> str:
    return one(row_of(browser, table, project), "td.status").text.strip()


def dashboard(browser) -> dict[tuple[str, str], str]:
    """(实施单位, 项目名称) -> status of every form on the round's dashboard."""
    rows = css(browser, "table#forms tbody tr[data-form-id]")
    return {(r.get_attribute("data-unit"), r.get_attribute("data-project")):
            one(r, "td.status").text.strip() for r in rows}


def findings_on_page(browser) -> set[tuple[str, str, str]]:
    return {(f.get_attribute("data-code"), f.get_attribute("data-cell"),
             f.get_attribute("data-severity")) for f in css(browser, "li.finding")}


def upload(browser, unit_url: str, path: Path) -> None:
    browser.get(unit_url)
    form = wait_for(browser, "form#upload")
    one(form, "input[type=file][name=file]").send_keys(str(path))
    submit(form)
    wait_for(browser, "section.result")

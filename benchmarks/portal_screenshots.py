"""Screenshots of the portal's main pages for the README and docs/portal.md.

    python benchmarks/portal_screenshots.py [--out docs/portal]

Runs `jixiao serve` on a fresh data folder, creates a round from samples/项目清单.xlsx in
headless Chromium, lets a unit upload one form with a mistake and submit a fixed one with
an explained warning, and saves at 1366×768 (an office laptop): 登录 login.png, 收集轮次
rounds.png, 轮次看板 dashboard.png, 表单详情 form.png, 单位页面 unit.png, 审核结果
result.png (unit.png at its full height, to show the upload area); at phone width
(390×844): unit-phone.png. Each file must stay under 200 KB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from portal_process import (chrome, create_round, css, download, fill_form, log_in,  # noqa: E402
                            one, row_of, running_portal, submit, upload, wait_for)

ROOT = HERE.parent
LIMIT = 200_000
UNIT = "上海市人民政府办公厅"
PROJECT = "市政府法律事务工作经费"
SECOND = "市城运中心工作经费"


def shoot(browser, out: Path, name: str, shots: list[Path], *, whole: bool = False) -> None:
    """The viewport; ``whole``: the page's full height at the same width (up to 1,400 px),
    for a page whose upload area is below the fold."""
    path = out / f"{name}.png"
    browser.execute_script("window.scrollTo(0, 0)")
    if whole:
        size = browser.get_window_size()
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(size["width"], min(1400, height + size["height"]
                                                   - browser.execute_script(
                                                       "return window.innerHeight")))
        path.write_bytes(browser.get_screenshot_as_png())
        browser.set_window_size(size["width"], size["height"])
    else:
        path.write_bytes(browser.get_screenshot_as_png())
    shots.append(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "portal")
    args = parser.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []

    with tempfile.TemporaryDirectory(prefix="jixiao-shots-") as tmp:
        root = Path(tmp)
        downloads = root / "downloads"
        downloads.mkdir()
        with running_portal(root) as portal:
            browser = chrome(downloads)
            try:
                browser.get(portal.url + "/login/")
                wait_for(browser, "input[name=username]")
                shoot(browser, out, "login", shots)
                log_in(browser, portal)
                wait_for(browser, "form#new-round")
                round_url = create_round(browser, "2024年度项目支出绩效自评")
                units = {r.get_attribute("data-unit"): r
                         for r in css(browser, "table#units tr[data-unit]")}
                unit_url = one(units[UNIT], "a.unit-link").get_attribute("href")

                # the unit: one form with a mistake, one fixed, explained and submitted
                browser.get(unit_url)
                wait_for(browser, "table#projects")
                first = download(browser, downloads,
                                 one(row_of(browser, "projects", PROJECT), "a.download-workbook"),
                                 ".xlsx")
                second = download(browser, downloads,
                                  one(row_of(browser, "projects", SECOND), "a.download-workbook"),
                                  ".xlsx")
                upload(browser, unit_url, fill_form(second, root / "b" / second.name, spent=2))
                upload(browser, unit_url,
                       fill_form(first, root / "a" / first.name, spent=2, cells={"F13": "0次"}))
                shoot(browser, out, "result", shots)
                upload(browser, unit_url,
                       fill_form(first, root / "c" / first.name, cells={"F13": "0次"}))
                explain = css(browser, "form.explain")
                if explain:
                    one(explain[0], "textarea[name=text]").send_keys(
                        "该指标受疫情影响未开展，已按计划调整至下年度。")
                    submit(explain[0])
                browser.get(unit_url)
                wait_for(browser, "table#projects")
                submit(one(row_of(browser, "projects", PROJECT), "form.submit-form"))
                browser.get(unit_url)
                wait_for(browser, "table#projects")
                shoot(browser, out, "unit", shots, whole=True)

                # the admin
                browser.get(portal.url + "/rounds/")
                wait_for(browser, "form#new-round")
                shoot(browser, out, "rounds", shots)
                browser.get(round_url)
                wait_for(browser, "table#forms")
                shoot(browser, out, "dashboard", shots)
                browser.get(one(row_of(browser, "forms", PROJECT), "a.detail")
                            .get_attribute("href"))
                wait_for(browser, "form#return-form")
                shoot(browser, out, "form", shots)
            finally:
                browser.quit()

            phone = chrome(downloads, width=390, height=844)
            try:
                # a phone's viewport and touch layout, not a narrow desktop window
                phone.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                      {"width": 390, "height": 844, "deviceScaleFactor": 1,
                                       "mobile": True})
                phone.get(unit_url)
                wait_for(phone, "table#projects")
                shoot(phone, out, "unit-phone", shots)
            finally:
                phone.quit()

    too_big = []
    for path in shots:
        size = path.stat().st_size
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {size / 1000:.0f} KB")
        if size >= LIMIT:
            too_big.append(path.name)
    if too_big:
        raise SystemExit(f"over {LIMIT // 1000} KB: {', '.join(too_big)}")


if __name__ == "__main__":
    main()

"""Issue 11: a workbook names its profile only from the known set (R08 otherwise).

The hidden ``_jixiao`` sheet is the unit's to edit: a path or an unknown name there must
not choose how the form is graded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

SHANGHAI = Path(__file__).resolve().parents[1] / "templates" / "profiles" / "shanghai.toml"


def _evil_profile(path: Path, name: str = "evil") -> Path:
    """shanghai, but every total grades 优."""
    text = SHANGHAI.read_text(encoding="utf-8").replace('name = "shanghai"', f'name = "{name}"')
    for low in ("90", "80", "60"):
        text = text.replace(f"min = {low}\n", "min = 0\n")
    path.write_text(text, encoding="utf-8")
    return path


def _jixiao(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "JIXIAO_PROFILES"}
    return subprocess.run([sys.executable, "-m", "jixiao", *args], capture_output=True,
                          text=True, timeout=120, env={**environ, **(env or {})})


def _with_profile_named(blank: Path, named: str, out: Path) -> Path:
    """The blank template with its hidden sheet's profile value rewritten."""
    with zipfile.ZipFile(blank) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/sharedStrings.xml":
                assert data.count(b"<t>shanghai</t>") == 1
                data = data.replace(b"<t>shanghai</t>", f"<t>{named}</t>".encode())
            dst.writestr(item, data)
    return out


def _form(proc: subprocess.CompletedProcess) -> dict:
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)["files"][0]["forms"][0]


@pytest.fixture(scope="module")
def returned(tmp_path_factory):
    root = tmp_path_factory.mktemp("profile-trust")
    proc = _jixiao("template", "-o", str(root / "blank.xlsx"))
    assert proc.returncode == 0, proc.stderr
    return root


def test_the_evil_profile_would_change_the_grade_if_it_were_used(returned):
    evil = _evil_profile(returned / "evil.toml")
    form = _form(_jixiao("check", str(returned / "blank.xlsx"), "--format", "json",
                         "--profile", str(evil)))
    assert form["recomputed"]["grade"] == "优"


@pytest.mark.parametrize("named", ["path", "name"])
def test_a_path_or_unknown_name_in_the_hidden_sheet_is_ignored_with_r08(returned, named):
    folder = returned / f"unit-{named}"
    folder.mkdir()
    evil = _evil_profile(folder / "evil.toml")
    value = str(evil) if named == "path" else "evil"
    form_path = _with_profile_named(returned / "blank.xlsx", value, folder / "自评表.xlsx")
    before = form_path.read_bytes()
    # run from the unit's folder: a relative "evil" must not find evil.toml there either
    proc = subprocess.run([sys.executable, "-m", "jixiao", "check", "自评表.xlsx", "--format", "json"],
                          capture_output=True, text=True, timeout=120, cwd=folder,
                          env={k: v for k, v in os.environ.items() if k != "JIXIAO_PROFILES"})
    form = _form(proc)
    assert form["recomputed"]["grade"] == "差"  # graded with shanghai, the default
    r08 = [f for f in form["findings"] if f["code"] == "R08"]
    assert len(r08) == 1 and r08[0]["severity"] == "warning"
    assert value in r08[0]["message"] and "shanghai" in r08[0]["message"]
    assert form_path.read_bytes() == before


def test_a_name_from_the_users_own_profile_folder_is_honoured(returned):
    folder = returned / "own-profiles"
    folder.mkdir()
    _evil_profile(folder / "generous.toml", name="generous")
    form_path = _with_profile_named(returned / "blank.xlsx", "generous", returned / "g.xlsx")
    form = _form(_jixiao("check", str(form_path), "--format", "json",
                         env={"JIXIAO_PROFILES": str(folder)}))
    assert form["recomputed"]["grade"] == "优"
    assert "R08" not in [f["code"] for f in form["findings"]]


def test_a_shipped_name_is_honoured_without_r08(returned):
    form_path = _with_profile_named(returned / "blank.xlsx", "mof-2020", returned / "m.xlsx")
    form = _form(_jixiao("check", str(form_path), "--format", "json"))
    assert "R08" not in [f["code"] for f in form["findings"]]


def test_merge_with_the_users_own_profile_file_consolidates_the_form(returned, tmp_path):
    """--profile my.toml whose name no profile folder holds: the form is merged with it."""
    own = _evil_profile(tmp_path / "my.toml", name="myown")
    out = tmp_path / "s.csv"
    proc = _jixiao("merge", str(returned / "blank.xlsx"), "--profile", str(own), "--format", "csv",
                   "-o", str(out), "-q")
    assert "1 张自评表，未读取 0 个文件" in proc.stderr, proc.stderr

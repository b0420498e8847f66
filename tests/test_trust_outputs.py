"""Issue 11: no output ever lands on an input, and template never overwrites by surprise.

Through the CLI, as a tired officer types it: exit 2, one Chinese line naming both
paths, every input byte-identical.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from merge_fixtures import good_record, write_form

PROJECTS = Path(__file__).parent / "data" / "template" / "项目清单.csv"


def _jixiao(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jixiao", *map(str, args)], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_chinese_line(proc: subprocess.CompletedProcess, *names: str) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Error" not in proc.stderr
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


@pytest.fixture
def returns(tmp_path):
    folder = tmp_path / "in"
    write_form(folder / "a.xlsx", good_record("甲单位", "培训项目"))
    write_form(folder / "sub" / "b.xlsx", good_record("乙单位", "运维项目"))
    return folder


def test_merge_onto_an_input_is_refused(returns):
    before = _digests(returns)
    proc = _jixiao("merge", returns, "-o", returns / "a.xlsx", "-q")
    assert proc.returncode == 2
    line = _one_chinese_line(proc, str(returns / "a.xlsx"))
    assert "覆盖" in line
    assert _digests(returns) == before


def test_merge_csv_onto_an_input_csv_is_refused(returns, tmp_path):
    (returns / "r_projects.csv").write_text("项目名称,金额\n甲,1\n", encoding="utf-8")
    before = _digests(returns)
    proc = _jixiao("merge", returns, "--format", "csv", "-o", returns / "r.csv", "-q")
    assert proc.returncode == 2
    _one_chinese_line(proc, "r_projects.csv")
    assert _digests(returns) == before


def test_merge_rerun_into_the_folder_replaces_only_its_own_summary(returns):
    out = returns / "汇总.xlsx"
    assert _jixiao("merge", returns, "-o", out, "-q").returncode == 0
    before = _digests(returns)
    again = _jixiao("merge", returns, "-o", out, "-q")
    assert again.returncode == 0, again.stderr
    assert "2 个文件" in again.stderr
    before.pop("汇总.xlsx")
    after = _digests(returns)
    after.pop("汇总.xlsx")
    assert after == before


def test_check_report_onto_an_input_is_refused(returns):
    before = _digests(returns)
    target = returns / "sub" / "b.xlsx"
    proc = _jixiao("check", target, "-o", target)
    assert proc.returncode == 2
    _one_chinese_line(proc, str(target))
    assert _digests(returns) == before


@pytest.mark.parametrize("where", [".", "sub", "sub/deeper"])
def test_annotate_among_the_inputs_is_refused(returns, where):
    before = _digests(returns)
    folder = returns / where
    proc = _jixiao("check", returns, "--annotate", folder)
    assert proc.returncode == 2
    _one_chinese_line(proc, str(folder), str(returns))
    assert _digests(returns) == before
    assert not (returns / "sub" / "deeper").exists()


def test_annotate_into_a_folder_holding_the_inputs_is_refused(returns):
    before = _digests(returns)
    proc = _jixiao("check", returns / "sub" / "b.xlsx", "--annotate", returns)
    assert proc.returncode == 2
    _one_chinese_line(proc, str(returns / "sub" / "b.xlsx"))
    assert _digests(returns) == before


def test_template_never_overwrites_without_force(tmp_path):
    dist = tmp_path / "dist"
    assert _jixiao("template", "--projects", PROJECTS, "-o", dist).returncode == 0
    workbook = next(dist.glob("*.xlsx"))
    workbook.write_bytes(b"a unit's filled-in copy")
    before = _digests(dist)
    proc = _jixiao("template", "--projects", PROJECTS, "-o", dist)
    assert proc.returncode == 2
    line = _one_chinese_line(proc, "--force")
    assert "已存在" in line
    assert _digests(dist) == before
    forced = _jixiao("template", "--projects", PROJECTS, "-o", dist, "--force")
    assert forced.returncode == 0, forced.stderr
    assert workbook.read_bytes().startswith(b"PK")


def test_blank_template_never_overwrites_without_force(tmp_path):
    target = tmp_path / "表.xlsx"
    target.write_bytes(b"keep me")
    proc = _jixiao("template", "-o", target)
    assert proc.returncode == 2
    _one_chinese_line(proc, str(target))
    assert target.read_bytes() == b"keep me"


def test_template_output_onto_its_projects_list_is_refused_even_with_force(tmp_path):
    folder = tmp_path / "dist"
    folder.mkdir()
    projects = folder / "manifest.csv"
    projects.write_bytes(PROJECTS.read_bytes())
    proc = _jixiao("template", "--projects", projects, "-o", folder, "--force")
    assert proc.returncode == 2
    _one_chinese_line(proc, str(projects))
    assert projects.read_bytes() == PROJECTS.read_bytes()


# ---------------------------------------------------------------- annotated copies

def test_copies_keep_the_folders_structure(returns, tmp_path):
    write_form(returns / "单位B" / "a.xlsx", good_record("丙单位", "培训项目"))
    out = tmp_path / "标注"
    proc = _jixiao("check", returns, "--annotate", out)
    assert proc.returncode in (0, 1), proc.stderr
    copies = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert copies == ["a.xlsx", "sub/b.xlsx", "单位B/a.xlsx"]


def test_a_copy_over_the_time_budget_is_r01_and_no_copy(tmp_path):
    """A file check reads in a second but openpyxl needs many to load and save: the
    worker is stopped at the budget, the file is R01, no copy, no temporary file."""
    from hostile_corpus import FORM_ROWS, form_xlsx

    folder = tmp_path / "in"
    folder.mkdir()
    form_xlsx(folder / "大.xlsx", [list(r) for r in FORM_ROWS] + [[f"x{r}"] * 9 for r in range(45_000)])
    write_form(folder / "小.xlsx", good_record("甲单位", "培训项目"))
    env = {**os.environ, "JIXIAO_TIME_BUDGET_S": "3", "JIXIAO_MAX_CELLS_PER_SHEET": "500000"}
    run = lambda *extra: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "jixiao", "check", str(folder), "--format", "json", *extra],
        capture_output=True, text=True, timeout=120, env=env)
    import json

    plain = {Path(f["path"]).name: f for f in json.loads(run().stdout)["files"]}
    assert plain["大.xlsx"]["status"] == "ok"  # reading alone is within the budget
    out = tmp_path / "标注"
    annotated = run("--annotate", str(out))
    files = {Path(f["path"]).name: f for f in json.loads(annotated.stdout)["files"]}
    assert files["大.xlsx"]["status"] == "unreadable"
    assert "超时" in files["大.xlsx"]["error"]["message"]
    assert sorted(p.name for p in out.rglob("*")) == ["小.xlsx"]


# ---------------------------------------------------------------- long names

def _bytes(name: str) -> int:
    return len(name.encode("utf-8"))


def test_a_255_byte_name_is_annotated_and_copies_fit(tmp_path):
    folder = tmp_path / "in"
    longest = "表" * 83 + "a.xlsx"  # 255 bytes: the longest name ext4 takes
    assert _bytes(longest) == 255
    write_form(folder / longest, good_record("甲单位", "培训项目"))
    from hostile_corpus import form_xls

    xls = "表" * 83 + "ab.xls"  # 255 bytes; its copy would be a 256-byte .xlsx
    form_xls(folder / xls)
    write_form(folder / "短.xlsx", good_record("乙单位", "培训项目"))
    out = tmp_path / "标注"
    proc = _jixiao("check", folder, "--annotate", out)
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 3 and longest in names and "短.xlsx" in names
    cut = next(n for n in names if n not in (longest, "短.xlsx"))
    assert _bytes(cut) <= 255 and cut.endswith(".xlsx") and cut.startswith("表" * 40)
    again = tmp_path / "again"
    _jixiao("check", folder, "--annotate", again)
    assert sorted(p.name for p in again.iterdir()) == names  # shortened the same way


def test_template_with_a_79_character_project_name_keeps_the_form_id(tmp_path):
    lines = PROJECTS.read_text(encoding="utf-8-sig").splitlines()
    long_project = "市政府办公厅" + "专项工作业务经费" * 9 + "测试"
    assert len(long_project) >= 79
    projects = tmp_path / "p.csv"
    projects.write_text("\n".join(line.replace("市政府办公厅专项工作业务经费", long_project)
                                  for line in lines) + "\n", encoding="utf-8")
    dist = tmp_path / "dist"
    proc = _jixiao("template", "--projects", projects, "-o", dist)
    assert proc.returncode == 0, proc.stderr
    import csv as _csv

    rows = list(_csv.DictReader(open(dist / "manifest.csv", encoding="utf-8-sig")))
    row = next(r for r in rows if r["项目名称"] == long_project)
    assert _bytes(row["文件"]) <= 255 and row["表单编号"] in row["文件"]
    assert (dist / row["文件"]).is_file()


def test_check_rerun_into_the_folder_replaces_only_its_own_csv_report(returns):
    report = returns / "审核结果.csv"
    assert _jixiao("check", returns, "--format", "csv", "-o", report).returncode == 0
    again = _jixiao("check", returns, "--format", "csv", "-o", report)
    assert again.returncode == 0, again.stderr
    assert "审核结果.csv" not in report.read_text(encoding="utf-8")  # not read as an input


@pytest.mark.parametrize("command", ["check", "merge"])
def test_an_output_onto_the_manifest_is_refused(returns, tmp_path, command):
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("表单编号,年度,实施单位,项目名称\nJX1,2024,甲单位,培训项目\n", encoding="utf-8-sig")
    before = manifest.read_bytes()
    proc = _jixiao(command, returns, "--manifest", manifest, "-o", manifest)
    assert proc.returncode == 2, proc.stderr
    _one_chinese_line(proc, str(manifest))
    assert manifest.read_bytes() == before


def test_annotate_through_a_link_into_an_input_folder_is_refused(returns, tmp_path):
    """A link inside the --annotate folder (unzip makes them) must not carry a copy onto
    another unit's return: the folder itself is outside the inputs, the link is not."""
    copies = tmp_path / "copies"
    copies.mkdir()
    os.symlink(returns / "sub", copies / "sub")  # a.xlsx's copy would go to copies/… , b's to copies/sub/b.xlsx
    before = _digests(returns)
    proc = _jixiao("check", returns, "--annotate", copies)
    assert proc.returncode == 2
    _one_chinese_line(proc, "链接")
    assert _digests(returns) == before
    assert not (copies / "a.xlsx").exists()


@pytest.mark.parametrize("command", ["check", "merge", "template"])
def test_an_output_onto_a_pipe_is_refused_and_the_pipe_stays(returns, tmp_path, command):
    """-o /dev/null as root used to replace /dev/null itself with a file; a FIFO stands
    for any file that is not a plain file."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    args = {"check": ["check", returns, "-o", pipe], "merge": ["merge", returns, "-q", "-o", pipe],
            "template": ["template", "-o", pipe, "--force"]}[command]
    proc = _jixiao(*args)
    assert proc.returncode == 2
    assert "管道" in _one_chinese_line(proc, str(pipe))
    assert pipe.is_fifo()


def test_a_return_that_calls_itself_a_summary_is_still_a_return(returns):
    """"Is this our last summary?" is not decided by a title a unit can type: a return
    named 汇总.xlsx with the summary's title is merged, and merge refuses to replace it."""
    import openpyxl

    form = returns / "汇总.xlsx"
    write_form(form, good_record("丙单位", "宣传项目"))
    wb = openpyxl.load_workbook(form)
    wb.properties.title = "项目支出绩效自评表汇总"
    wb.save(form)
    before = _digests(returns)
    proc = _jixiao("merge", ".", "-q", cwd=returns)  # the default output is 汇总.xlsx
    assert proc.returncode == 2
    assert "覆盖" in _one_chinese_line(proc, "汇总.xlsx")
    assert _digests(returns) == before


def test_a_template_under_a_file_is_one_chinese_line(tmp_path):
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    proc = _jixiao("template", "-o", tmp_path / "plain" / "x.xlsx")
    assert proc.returncode == 1
    assert "不是文件夹" in _one_chinese_line(proc, "x.xlsx")


def test_our_own_outputs_in_the_folder_are_named_and_not_checked(returns, tmp_path):
    """The summary, a CSV report and the manifest saved among the returns are jixiao's own
    (R11, a note): no R02 error, no extra submission, and the exit code is the returns'."""
    assert _jixiao("merge", returns, "-q", "-o", returns / "汇总.xlsx").returncode == 0
    assert _jixiao("merge", returns, "-q", "--format", "csv", "-o", returns / "表").returncode == 0
    assert _jixiao("check", returns, "--format", "csv", "-o", returns / "审核结果.csv").returncode == 0
    assert _jixiao("template", "--projects", PROJECTS, "-o", tmp_path / "dist").returncode == 0
    (returns / "manifest.csv").write_bytes((tmp_path / "dist" / "manifest.csv").read_bytes())
    import json

    proc = _jixiao("check", returns, "--format", "json")
    assert proc.returncode == 0, proc.stdout
    files = {Path(f["path"]).name: [x["code"] for x in f["findings"]] for f in json.loads(proc.stdout)["files"]}
    own = {"汇总.xlsx", "审核结果.csv", "manifest.csv", "表_projects.csv", "表_indicators.csv",
           "表_findings.csv", "表_unreadable.csv"}
    assert {name for name, codes in files.items() if codes == ["R11"]} == own
    merged = _jixiao("merge", returns, "-q", "-o", tmp_path / "again.xlsx")
    assert merged.returncode == 0 and "2 张自评表" in merged.stderr, merged.stderr

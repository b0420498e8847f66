"""The command line as a user meets it: one exit-code rule, and Chinese only.

Exit codes: 0 nothing wrong; 1 the inputs hold errors or could not be read; 2 the user
typed something wrong (option, path, name) or the paths hold no workbook.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from jixiao.cli import cli
from merge_fixtures import good_record, write_form

DATA = Path(__file__).parent / "data"
SEED_004 = DATA / "seeds" / "004_a203d4b834672a09.txt"  # six forms, no error-severity finding
RETURNED = Path(__file__).resolve().parent.parent / "samples" / "returned"  # real mistakes

#: click's English, and OS texts in English, that must never reach a user
ENGLISH = ("Usage:", "Options:", "Commands:", "Show this message", "Show the version",
           "[required]", "[default", "程序内部错误", "Traceback", "No such file",
           "does not exist", "is a file", "is a directory", "Invalid value", "Missing",
           "Error:", "Got unexpected", "Did you mean", "Possible options", "env var",
           "is not one of", "not a valid", "Permission denied", "environment variable",
           "Invalid statement", "Expected", "Cannot", "file format", "unexpected keyword",
           "could not convert", "is not iterable", "Overflow")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    (root / "empty" / "sub").mkdir(parents=True)
    (root / "empty" / "说明.docx").write_bytes(b"not a workbook")
    clean = root / "clean"
    write_form(clean / "甲单位.xlsx", good_record("甲单位", "培训项目"))
    broken = root / "broken"
    write_form(broken / "甲单位.xlsx", good_record("甲单位", "培训项目"))
    (broken / "坏文件.xlsx").write_bytes(b"PK\x03\x04 truncated")
    (root / "profile.toml").write_text("this is = = not toml", encoding="utf-8")
    from jixiao.profiles import load_profile

    shipped = Path(load_profile("shanghai").path).read_text(encoding="utf-8")
    (root / "unknown_setting.toml").write_text(
        shipped.replace("[tolerances]", "[tolerances]\nfoo = 1"), encoding="utf-8")
    return root


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="jixiao")


# (what the user did, arguments, exit status): the rule, walked through the CLI
CASES = [
    ("nothing typed: the help", [], 0),
    ("help", ["--help"], 0),
    ("version", ["--version"], 0),
    ("rules", ["rules"], 0),
    ("one rule", ["rules", "F01"], 0),
    ("clean forms", ["check", "{clean}"], 0),
    ("clean forms merged", ["merge", "{clean}", "-q", "-o", "{out}/a.xlsx"], 0),
    ("blank template", ["template", "-o", "{out}/blank.xlsx"], 0),
    ("forms with errors", ["check", str(RETURNED)], 1),
    ("an unreadable file", ["check", "{broken}"], 1),
    ("merge with an unreadable file", ["merge", "{broken}", "-q", "-o", "{out}/b.xlsx"], 1),
    ("merge of forms with errors", ["merge", str(RETURNED), "-q", "-o", "{out}/c.xlsx"], 1),
    ("a projects list with an error", ["template", "--projects", "{profile_toml}", "-o", "{out}/d"], 1),
    ("unknown command", ["frob"], 2),
    ("unknown option", ["check", "--formt", "json", "{clean}"], 2),
    ("bad choice", ["check", "--format", "xml", "{clean}"], 2),
    ("bad number", ["check", "-j", "abc", "{clean}"], 2),
    ("number out of range", ["check", "-j", "0", "{clean}"], 2),
    ("option without its value", ["check", "{clean}", "--manifest"], 2),
    ("flag given a value", ["merge", "--quiet=3", "{clean}"], 2),
    ("missing paths", ["check"], 2),
    ("missing required option", ["template"], 2),
    ("extra argument", ["rules", "F01", "extra"], 2),
    ("unknown profile", ["check", "--profile", "nosuch", "{clean}"], 2),
    ("unreadable profile file", ["check", "--profile", "{profile_toml}", "{clean}"], 2),
    ("missing manifest file", ["check", "{clean}", "--manifest", "{root}/nosuch.csv"], 2),
    ("missing manifest file (merge)", ["merge", "{clean}", "-q", "--manifest", "{root}/nosuch.csv"], 2),
    ("missing projects list", ["template", "--projects", "{root}/nosuch.xlsx", "-o", "{out}/e"], 2),
    ("unknown rule", ["rules", "X99"], 2),
    ("path that does not exist", ["check", "{root}/nosuch"], 2),
    ("glob that matches nothing", ["check", "{root}/nosuch/*.xlsx"], 2),
    ("unknown limit", ["check", "--limit", "max_apples=3", "{clean}"], 2),
    ("limit not a number", ["check", "--limit", "max_file_bytes=abc", "{clean}"], 2),
    ("annotate into a file", ["check", "--annotate", "{profile_toml}", "{clean}"], 2),
    ("output that is a folder", ["check", "-o", "{root}", "{clean}"], 2),
    ("folder without workbooks", ["check", "{root}/empty"], 2),
    ("merge of a folder without workbooks", ["merge", "{root}/empty", "-o", "{out}/f.xlsx"], 2),
    ("output name contradicts --format", ["merge", "{clean}", "-o", "{out}/g.csv", "--format", "xlsx"], 2),
    ("rows out of range", ["template", "-o", "{out}/h.xlsx", "--rows", "0"], 2),
    ("a time budget past any timer", ["check", "--limit", "time_budget_s=10000000", "{clean}"], 2),
    ("a memory limit past any address space",
     ["check", "--limit", "max_memory_bytes=9223372036854775807", "{clean}"], 2),
    ("a profile with a setting it does not have",
     ["check", "--profile", "{root}/unknown_setting.toml", "{clean}"], 2),
]


def _args(args: list[str], root: Path, out: Path) -> list[str]:
    names = {"root": root, "clean": root / "clean", "broken": root / "broken", "out": out,
             "profile_toml": root / "profile.toml"}
    return [a.format(**names) for a in args]


@pytest.mark.parametrize("what, args, status", CASES, ids=[c[0] for c in CASES])
def test_exit_status_follows_one_rule(folders, tmp_path, what, args, status):
    result = run(*_args(args, folders, tmp_path))
    assert result.exit_code == status, result.output
    for word in ENGLISH:
        assert word not in result.output, (word, result.output)
    if status == 2:
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("用法错误：") and line.endswith("查看用法）")
        assert result.stdout == ""


@pytest.mark.parametrize("command", [[], ["check"], ["merge"], ["template"], ["rules"]])
def test_every_help_is_chinese_and_states_the_exit_codes(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    text = result.output
    for word in ENGLISH + ("TEXT", "INTEGER", "FILE", "DIRECTORY", "PATH", "[OPTIONS]"):
        assert word not in text, (word, text)
    assert text.startswith(f"用法：jixiao {' '.join(command)}".rstrip() + " ")
    assert "显示本帮助并退出。" in text
    if command != ["rules"]:
        assert "退出码：0" in text and "1 输入的表有错误" in text and "2 用法错误" in text


def test_no_arguments_prints_the_help_not_an_error():
    result = run()
    assert result.exit_code == 0
    assert result.stdout == run("--help").stdout
    assert not result.output.startswith("用法错误")


def test_help_lines_fit_the_terminal():
    for command in (["check"], ["merge"], ["template"]):
        for line in run(*command, "--help").stdout.splitlines():
            width = sum(2 if ord(c) > 0x2e7f else 1 for c in line)
            assert width <= 80, line


@pytest.mark.parametrize("args, expected", [
    (["check", "{root}/nosuch"], "“{root}/nosuch”不存在"),
    (["check", "{root}/empty"], "没有找到任何工作簿：在 {root}/empty 下没有表格文件"),
    (["merge", "{root}/empty", "-o", "{out}/x.xlsx"], "没有找到任何工作簿：在 {root}/empty 下"),
    (["check", "--limit", "max_file_bytes=abc", "{clean}"],
     "--limit 的取值无效：max_file_bytes=abc：“abc”不是数值"),
    (["check", "--profile", "nosuch", "{clean}"], "找不到评价方案（profile）“nosuch”"),
    (["rules", "X99"], "没有代码为“X99”的检查规则"),
    (["merge", "--quiet=3", "{clean}"], "选项 --quiet 不接受值"),
    (["check", "{clean}", "--manifest"], "选项 --manifest 后面需要给出一个值"),
    (["merge", "{clean}", "-o", "{out}/g.csv", "--format", "xlsx"], "与 --format xlsx 矛盾"),
    (["check", "--profile", "{root}/profile.toml", "{clean}"], "评价方案文件不是有效的 TOML 格式"),
    (["template", "--projects", "{root}/broken/坏文件.xlsx", "-o", "{out}/p"],
     "项目清单无法读取：文件已损坏"),
])
def test_errors_say_what_and_where(folders, tmp_path, args, expected):
    result = run(*_args(args, folders, tmp_path))
    names = {"root": folders, "out": tmp_path, "clean": folders / "clean"}
    assert expected.format(**names) in result.stderr


def test_limit_error_names_the_option_not_an_environment_variable(folders):
    result = run("check", "--limit", "max_file_bytes=abc", folders / "clean")
    assert "--limit" in result.stderr and "JIXIAO_" not in result.stderr


def test_empty_folder_writes_no_summary(folders, tmp_path):
    run("merge", folders / "empty", "-o", tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_merge_takes_the_format_from_the_output_name(folders, tmp_path):
    result = run("merge", folders / "clean", "-q", "-o", tmp_path / "汇总.csv")
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert "汇总_projects.csv" in written and not any(n.endswith(".xlsx") for n in written)
    assert (tmp_path / "汇总_projects.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_check_csv_starts_with_a_bom_like_merge(folders, tmp_path):
    out = tmp_path / "问题.csv"
    result = run("check", "--format", "csv", "-o", out, RETURNED)
    assert result.exit_code == 1
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "文件" and len(rows) > 1


def test_readme_states_the_exit_code_rule():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    line = next(l for l in readme.splitlines() if l.startswith("退出码："))
    assert re.search(r"0 .*1 .*无法读取.*2 用法错误", line)
    assert "没有任何表格文件" in line

"""The catalogue itself: every code declared once, documented, listed by the CLI."""

from __future__ import annotations

import re

from click.testing import CliRunner

from jixiao.checks.registry import (REGISTRY, SEVERITY_LABELS, all_checks, catalogue_markdown,
                                    declare, get_check)
from jixiao.cli import cli

# The catalogue (code -> severity), copied by hand from the spec and the issues that added
# codes (R09 other sheets, R10 numbers stored as text, R11 jixiao's own outputs, F09 no
# fund block, I15 targets changed since the 申报表).
CATALOGUE = {
    "R01": "E", "R02": "E", "R03": "E", "R04": "E", "R05": "W", "R06": "E", "R07": "W", "R08": "W",
    "R09": "I", "R10": "W", "R11": "I",
    "F01": "E", "F02": "E", "F03": "E", "F04": "E", "F05": "W", "F06": "E", "F07": "E",
    "F08": "W", "F09": "W",
    "I01": "E", "I02": "E", "I03": "E", "I04": "W", "I05": "W", "I06": "W", "I07": "W",
    "I08": "I", "I09": "I", "I10": "W", "I11": "W", "I12": "W", "I13": "W", "I14": "W",
    "I15": "W",
    "T01": "E", "T02": "E", "T03": "E", "T04": "I",
    "M01": "W", "M02": "W", "M03": "W",
}
SEVERITY = {"E": "error", "W": "warning", "I": "info"}
NOT_FORM_LEVEL = {"R01": "file", "R02": "file", "R09": "file", "R11": "file", "M01": "batch", "M02": "batch", "M03": "batch"}


def test_every_catalogue_code_is_declared_with_its_severity():
    checks = all_checks()
    assert sorted(c.code for c in checks) == sorted(CATALOGUE)
    assert len(checks) == len({c.code for c in checks}) == len(CATALOGUE)
    for chk in checks:
        assert chk.severity == SEVERITY[CATALOGUE[chk.code]], chk.code


def test_form_checks_have_a_function_and_the_others_a_scope():
    for chk in all_checks():
        if chk.code in NOT_FORM_LEVEL:
            assert (chk.scope, chk.func) == (NOT_FORM_LEVEL[chk.code], None), chk.code
        else:
            assert chk.scope == "form" and callable(chk.func), chk.code


def test_every_check_is_documented_in_chinese_with_both_examples():
    chinese = re.compile(r"[\u4e00-\u9fff]")
    for chk in all_checks():
        for text in (chk.title, chk.explanation, chk.bad, chk.good):
            assert text.strip() and chinese.search(text), chk.code
        assert chk.bad != chk.good, chk.code
        assert len(chk.explanation) > len(chk.title), chk.code


def test_catalogue_is_listed_in_code_order_by_group():
    codes = [c.code for c in all_checks()]
    assert codes[:3] == ["R01", "R02", "R03"]
    assert [c[0] for c in codes] == sorted((c[0] for c in codes), key="RFITM".index)
    assert codes[-1] == "M03"


def test_a_code_cannot_be_declared_twice():
    before = dict(REGISTRY)
    try:
        declare("F01", "error", "重复", explanation="x", bad="x", good="y", scope="form")
    except ValueError as exc:
        assert "F01" in str(exc)
    else:
        raise AssertionError("declaring F01 twice must fail")
    assert REGISTRY == before


def test_get_check_ignores_case_and_knows_unknown_codes():
    assert get_check("f01").code == "F01"
    assert get_check("X99") is None


def test_catalogue_markdown_has_one_row_per_check():
    text = catalogue_markdown()
    rows = [line for line in text.splitlines() if re.match(r"\| [RFITM]\d\d \|", line)]
    assert len(rows) == len(CATALOGUE)
    assert "| F01 | 错误 | 执行率超过100%（全年执行数大于全年预算数） | 每张表 |" in rows
    assert "| M02 | 警告 | 下发的自评表没有收回 | 汇总时 |" in rows


# --- jixiao rules ------------------------------------------------------------------------

def test_rules_lists_every_code_with_severity_and_title():
    result = CliRunner().invoke(cli, ["rules"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == len(CATALOGUE)
    for line, chk in zip(lines, all_checks()):
        assert line.split()[:2] == [chk.code, SEVERITY_LABELS[chk.severity]]
        assert chk.title in line
    assert lines[11].startswith("F01  错误  执行率超过100%")


def test_rules_explains_one_code_like_ruff_rule():
    result = CliRunner().invoke(cli, ["rules", "f01"])
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("F01  [错误]  执行率超过100%")
    assert "错误示例" in out and "153,200 元" in out
    assert "正确示例" in out and "9,000 元" in out
    assert get_check("F01").explanation in out


def test_rules_for_a_batch_check_says_when_it_runs():
    result = CliRunner().invoke(cli, ["rules", "M01"])
    assert result.exit_code == 0
    assert "适用范围：汇总多张表时" in result.output


def test_rules_unknown_code_fails_with_one_chinese_line():
    result = CliRunner().invoke(cli, ["rules", "XYZ"], prog_name="jixiao")
    assert result.exit_code == 2  # a name the user typed wrong
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "用法错误：没有代码为“XYZ”的检查规则；运行 jixiao rules 查看全部规则"
        "（运行 jixiao rules --help 查看用法）"]

"""jixiao check end to end: real seed forms, real exports, output formats, exit status."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

import jixiao
from jixiao.cli import cli

DATA = Path(__file__).parent / "data"
SEED_002 = DATA / "seeds" / "002_d7a519b45b2b0728.txt"
SEED_004 = DATA / "seeds" / "004_a203d4b834672a09.txt"
REAL_EXPORTS = sorted((DATA / "real-exports").glob("central-system-export-*.xls"))
# the schema as installed with the package (package data), not a copy beside the tests
SCHEMA = json.loads((resources.files("jixiao") / "data" / "form-record.schema.json")
                    .read_text(encoding="utf-8"))


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    return result


def run_json(*paths: Path) -> tuple[int, dict]:
    result = run("check", "--format", "json", *map(str, paths))
    return result.exit_code, json.loads(result.output)


@pytest.fixture(scope="module")
def seeds_json():
    code, data = run_json(SEED_002, SEED_004)
    return code, data


def test_finds_every_stacked_form_of_the_seeds(seeds_json):
    _, data = seeds_json
    by_path = {Path(f["path"]).name: f for f in data["files"]}
    assert len(by_path[SEED_004.name]["forms"]) == 6
    assert len(by_path[SEED_002.name]["forms"]) == 30
    assert data["summary"]["forms"] == 36


def test_every_record_validates_against_the_schema(seeds_json):
    _, data = seeds_json
    for file in data["files"]:
        for form in file["forms"]:
            jsonschema.validate(form["record"], SCHEMA)
            assert set(form["recomputed"]) == {"fund_rate_pct", "fund_score", "total_weight",
                                               "total_score", "grade"}


def _form(data: dict, project: str) -> dict:
    return next(form for file in data["files"] for form in file["forms"]
                if form["record"]["project"] == project)


def test_overspent_form_gets_f01_at_the_executed_cell(seeds_json):
    code, data = seeds_json
    form = _form(data, "上海市闵行区“一网通办”配套系统(2022运维)")
    f01 = [f for f in form["findings"] if f["code"] == "F01"]
    assert len(f01) == 1
    assert f01[0]["severity"] == "error"
    # column E of that form's 年度资金总额 row in the text grid
    assert f01[0]["cell"].startswith("E")
    assert form["recomputed"]["fund_rate_pct"] == 797.92
    assert code == 1  # errors found -> exit status 1


def test_forms_with_empty_actual_column_get_i03(seeds_json):
    _, data = seeds_json
    form = _form(data, "法律顾问费")
    i03 = [f for f in form["findings"] if f["code"] == "I03"]
    # every indicator of that published form has an empty 实际完成值
    assert len(i03) == len(form["record"]["indicators"]) > 0
    # the cell where that row's actual sits in the text grid (E when the PDF row is shifted)
    assert all(f["cell"][0] in "EF" for f in i03)
    assert len({f["cell"][1:] for f in i03}) == len(i03)


def test_clean_seed_form_has_no_errors(seeds_json):
    _, data = seeds_json
    form = _form(data, "市政府办公厅专项工作业务经费")
    assert [f for f in form["findings"] if f["severity"] != "info"] == []
    assert form["recomputed"]["total_score"] == form["record"]["total_score"] == 94.95


@pytest.mark.parametrize("path", REAL_EXPORTS, ids=lambda p: p.name)
def test_real_central_exports_read_without_error(path):
    _, data = run_json(path)
    [file] = data["files"]
    assert file["status"] == "ok"
    assert [form["sheet"] for form in file["forms"]] == ["项目支出绩效自评表"]
    jsonschema.validate(file["forms"][0]["record"], SCHEMA)


def test_unreadable_file_is_r01_and_the_run_goes_on(tmp_path):
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    code, data = run_json(bad, SEED_004)
    first, second = data["files"]
    assert first["status"] == "unreadable"
    assert first["error"]["code"] == "R01"
    assert first["error"]["message"]  # a Chinese reason
    assert len(second["forms"]) == 6
    assert code == 1


def test_workbook_without_a_form_is_r02(tmp_path):
    import xlsxwriter

    path = tmp_path / "其他.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("说明").write("A1", "这不是自评表")
    wb.close()
    code, data = run_json(path)
    [file] = data["files"]
    assert [f["code"] for f in file["findings"]] == ["R02"]
    assert code == 1


def test_table_output_ends_with_a_summary_line():
    result = run("check", str(SEED_004))
    last = result.output.strip().splitlines()[-1]
    assert "1 个文件" in last and "6 张自评表" in last
    assert result.exit_code == 0  # 004 has no error-severity finding


def test_csv_output_has_one_row_per_finding(seeds_json):
    _, data = seeds_json
    result = run("check", "--format", "csv", str(SEED_002), str(SEED_004))
    assert result.output.startswith("\ufeff")  # Excel on Chinese Windows needs the BOM
    rows = list(csv.reader(io.StringIO(result.output[1:])))
    assert rows[0][:5] == ["文件", "工作表", "项目名称", "单元格", "代码"]
    expected = sum(len(form["findings"]) for f in data["files"] for form in f["forms"])
    assert len(rows) - 1 == expected


def test_usage_errors_exit_2():
    assert run("check").exit_code == 2
    assert run("check", "--format", "xml", str(SEED_004)).exit_code == 2


@pytest.mark.parametrize("args, expected", [
    (("check",), "缺少参数 路径"),
    (("check", "--format", "xml", "x"), "--format 的取值无效：“xml”不是可选的值（可选：table、json、csv）"),
    (("check", "--formt", "json", "x"), "没有选项 --formt，是否想用 --format？"),
    (("check", "-j", "0", "x"), "-j / --jobs 的取值无效：0 小于最小值 1"),
    (("check", "-j", "abc", "x"), "“abc”不是整数"),
    (("check", "x", "--manifest"), "选项 --manifest 后面需要给出一个值"),
    (("rules", "F01", "extra"), "多余的参数：extra"),
    (("frob",), "没有命令 frob"),
])
def test_usage_errors_are_said_in_chinese(args, expected):
    result = run(*args)
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith("用法错误：") and expected in line
    # none of click's English wording is left in these
    assert not any(word in line for word in ("Missing", "Invalid", "No such", "Did you", "requires", "not "))


def test_folders_are_searched_recursively(tmp_path):
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (nested / SEED_004.name).write_bytes(SEED_004.read_bytes())
    (tmp_path / "readme.md").write_text("not an input")
    report = jixiao.check_paths([tmp_path])
    assert [Path(f.path).name for f in report.files] == [SEED_004.name]
    assert report.counts()["forms"] == 6


def test_limits_can_be_tightened_from_the_command_line():
    code, data = None, None
    result = run("check", "--format", "json", "--limit", "max_file_bytes=1KB", str(SEED_004))
    data = json.loads(result.output)
    [file] = data["files"]
    assert file["status"] == "unreadable"
    assert "文件过大" in file["error"]["message"]
    assert result.exit_code == 1


def test_unknown_limit_is_a_usage_error():
    result = run("check", "--limit", "max_apples=3", str(SEED_004))
    assert result.exit_code == 2
    assert "max_apples" in result.output


def test_the_manifest_in_the_checked_folder_is_not_an_input(tmp_path):
    import shutil

    samples = Path(__file__).resolve().parent.parent / "samples" / "prefilled"
    for name in ["manifest.csv", next(p.name for p in samples.glob("*.xlsx"))]:
        shutil.copyfile(samples / name, tmp_path / name)
    with_manifest = jixiao.check_paths([tmp_path], manifest=tmp_path / "manifest.csv")
    assert [Path(f.path).suffix for f in with_manifest.files] == [".xlsx"]
    codes = {f.code for f in with_manifest.files[0].all_findings()}
    assert codes and not codes & {"R01", "R02", "R06"}  # read, found, and as distributed


def test_keyed_fingerprints_are_verified_only_with_their_secret(tmp_path):
    dist = tmp_path / "dist"
    jixiao.write_templates(dist, projects=Path(__file__).resolve().parent.parent / "samples"
                    / "项目清单.csv", secret="分发密钥", group_by="unit")
    manifest = dist / "manifest.csv"

    def r06(**kwargs):
        report = jixiao.check_paths([dist], manifest=manifest, **kwargs)
        return [f for fr in report.files for f in fr.all_findings() if f.code == "R06"]

    # without the key nothing can be recomputed: no false alarm on 24 untouched forms
    assert r06() == []
    assert r06(secret="分发密钥") == []
    wrong = r06(secret="别的密钥")
    assert wrong and all("--secret" in f.message for f in wrong)

"""Issue 11: every output encodes every name and text, bounds every field, and nothing a
workbook holds reaches the terminal as a control sequence. Through the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from hostile_corpus import FORM_MERGES, FORM_ROWS, form_xlsx, sheet_xml, write_xlsx
from merge_fixtures import good_record, write_form

PROJECTS = Path(__file__).parent / "data" / "template" / "项目清单.csv"
GBK_NAME = "自评表".encode("gbk") + b".xlsx"
OSC52 = "\x1b]52;c;ZXZpbA==\x07"


def _jixiao(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jixiao", *map(str, args)], capture_output=True,
                          timeout=180, cwd=cwd, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


SURROGATE_NAME = "专项_xD800_经费"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A lone surrogate in a project name (our template, _xD800_ in its strings), a file
    name in raw GBK bytes, cells of 300,000 characters and an OSC 52 sequence, beside a
    plain good form. calamine keeps an escape of no character (_xD800_) as written, so the
    name reads as typed: encodable text in every output."""
    root = tmp_path_factory.mktemp("text")
    dist = root / "dist"
    lines = PROJECTS.read_text(encoding="utf-8-sig").replace("市政府办公厅专项工作业务经费", "专项_xD800_经费")
    (root / "p.csv").write_text(lines, encoding="utf-8")
    assert _jixiao("template", "--projects", root / "p.csv", "-o", dist).returncode == 0
    folder = root / "in"
    folder.mkdir()
    source = next(dist.glob("*xD800*.xlsx"))
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(folder / "surrogate.xlsx", "w") as b:
        for item in a.infolist():
            data = a.read(item)
            if item.filename == "xl/sharedStrings.xml":
                data = data.replace(b"_x005F_xD800_", b"_xD800_")
            b.writestr(item, data)
    write_form(folder / "good.xlsx", good_record("甲单位", "培训项目", executed=150.0))
    os.rename(write_form(folder / "gbk.xlsx", good_record("乙单位", "运维项目", executed=150.0)),
              os.path.join(os.fsencode(folder), GBK_NAME))
    rows = [list(r) for r in FORM_ROWS]
    rows[10][1] = "目" * 300_000
    rows[12][3] = "=" + "指" * 39_999  # a CSV quotes it ('=…): still 32,767 characters at most
    rows[3][6] = "单位" + OSC52 + "\x1b[2J"
    form_xlsx(folder / "long.xlsx", rows)
    return root


def test_check_writes_every_format_for_every_file(batch):
    for fmt in ("table", "json", "csv"):
        proc = _jixiao("check", batch / "in", "--format", fmt)
        out = proc.stdout.decode("utf-8")  # strict: the report is valid UTF-8
        assert proc.returncode == 1, proc.stderr.decode("utf-8", "replace")
        assert "内部错误" not in out and "Traceback" not in proc.stderr.decode("utf-8", "replace")
        for name in ("good.xlsx", "自评表.xlsx", "surrogate.xlsx", "long.xlsx"):
            assert name in out, (fmt, name)
        assert SURROGATE_NAME in out
        assert "\x1b" not in out and "\x07" not in out


def test_check_json_fields_are_bounded_and_say_where_text_was_cut(batch):
    proc = _jixiao("check", batch / "in", "--format", "json")
    data = json.loads(proc.stdout.decode("utf-8"))

    def strings(value):
        if isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)
        elif isinstance(value, str):
            yield value
    texts = list(strings(data))
    assert max(map(len, texts)) <= 32_767
    assert any("已截断" in t and "300,000" in t for t in texts)
    # the report written with -o: the same text, valid UTF-8
    report = batch / "r.json"
    assert _jixiao("check", batch / "in", "--format", "json", "-o", report).returncode == 1
    assert json.loads(report.read_text(encoding="utf-8")) == data


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "parquet"])
def test_merge_writes_every_output_for_every_file(batch, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    out = batch / f"m-{fmt}" / ("汇总.xlsx" if fmt == "xlsx" else "汇总")
    out.parent.mkdir()
    proc = _jixiao("merge", batch / "in", "--format", fmt, "-o", out, "-q")
    err = proc.stderr.decode("utf-8")
    assert proc.returncode in (0, 1) and "内部错误" not in err, err
    assert "4 个文件中的 4 张自评表" in err
    if fmt == "csv":
        projects = (out.parent / "汇总_projects.csv").read_text(encoding="utf-8-sig")
        assert SURROGATE_NAME in projects and "自评表.xlsx" in projects
        for table in out.parent.glob("*.csv"):
            for row in csv.reader(io.StringIO(table.read_text(encoding="utf-8-sig"))):
                assert max(map(len, row), default=0) <= 32_767, table.name
        indicators = (out.parent / "汇总_indicators.csv").read_text(encoding="utf-8-sig")
        assert "原文共 40,000 字" in indicators  # the formula-like 三级 name, cut once
    elif fmt == "xlsx":
        from openpyxl.utils.escape import unescape

        wb = openpyxl.load_workbook(out, read_only=True)
        # the text "_xD800_" is stored escaped (_x005F_xD800_), as Excel writes it; openpyxl
        # leaves inline strings' escapes as stored, Excel and calamine show the text
        values = [unescape(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                  for v in row if isinstance(v, str)]
        assert any(SURROGATE_NAME in v for v in values)
        assert any(v.endswith("自评表.xlsx") for v in values)
    else:
        import pyarrow.parquet as pq

        table = pq.read_table(out.parent / "汇总_projects.parquet").to_pylist()
        assert len(table) == 4


def test_errors_and_names_reach_the_terminal_without_control_sequences(tmp_path):
    folder = tmp_path / ("单位" + OSC52)
    write_form(folder / "a.xlsx", good_record("甲单位", "培训项目"))
    proc = _jixiao("merge", folder, "-o", folder / "a.xlsx", "-q")
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 2 and "\x1b" not in err and "\x07" not in err
    assert "ZXZpbA" not in err and "单位/a.xlsx" in err  # the whole sequence is gone

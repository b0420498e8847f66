"""Every hostile input gives the expected ReadError or a clean read, nothing else, in budget."""

from __future__ import annotations

import hashlib
import re

import pytest

from hostile_corpus import FORM_ROWS, make_corpus
from jixiao.errors import ReadError
from jixiao.io.readers import read_grids
from jixiao.io.safety import KINDS, Limits

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_corpus(tmp_path_factory.mktemp("hostile"))


def outcome(read, case):
    """(kind or None, grids or error) — and any other exception fails the test here."""
    try:
        return None, read(case.path)
    except ReadError as err:
        return err.kind, err


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def test_corpus_is_large_and_covers_every_issue_item(corpus):
    assert len(corpus) >= 50
    assert len({c.name for c in corpus}) == len(corpus)
    kinds = {c.expect_kind for c in corpus}
    assert {"empty", "corrupt", "not_spreadsheet", "encrypted", "zip_bomb", "unsafe_xml", "too_many_cells",
            "too_many_sheets", "too_large", "not_file", None} <= kinds
    assert all(c.expect_kind is None or c.expect_kind in KINDS for c in corpus)
    assert any(c.folder for c in corpus) and any(c.injection for c in corpus)
    assert sum(c.form for c in corpus) >= 10


def test_every_case_reads_or_gives_its_kind(corpus):
    before = {c.name: digest(c.path) for c in corpus}
    wrong = []
    for case in corpus:
        kind, result = outcome(read_grids, case)
        if kind != case.expect_kind:
            wrong.append((case.name, case.expect_kind, kind, str(result)[:120]))
        elif kind is not None:
            assert CJK.search(result.reason), (case.name, result.reason)
            assert result.path == str(case.path)
            assert "Traceback" not in result.reason and "Error" not in result.reason
    assert wrong == []
    # reading never writes: every input is byte-identical afterwards
    assert {c.name: digest(c.path) for c in corpus} == before


def test_good_forms_read_with_their_values(corpus):
    for case in (c for c in corpus if c.form):
        grids = read_grids(case.path)
        form = next(g for g in grids if not g.hidden)
        assert form.value(0, 0) == "财政项目支出绩效自评表", case.name
        assert form.height == len(FORM_ROWS), case.name
        assert form.value(4, 2) == "年初预算数", case.name


def test_odd_but_readable_cells_come_through(corpus):
    cases = {c.name: c for c in corpus}
    text = read_grids(cases["numbers_as_text.xlsx"].path)[0]
    assert text.value(5, 2) == "409.90"
    long = read_grids(cases["very_long_strings.xlsx"].path)[0]
    assert len(long.value(10, 1)) == 35_000 and len(long.value(17, 8)) == 300_000
    injected = read_grids(cases["formula_injection.xlsx"].path)[0]
    assert injected.value(3, 1) == "+cmd|' /C calc'!A0"
    assert injected.value(10, 1) == "\t=1+1"
    control = read_grids(cases["control_chars.xlsx"].path)[0]
    assert control.value(10, 1) == "目标\x1b[31m红色\x07\x0b结束"  # _x001B_ escapes decoded
    assert control.value(10, 5) == "完成\x01\x1f情况"
    hidden = read_grids(cases["hidden_sheets.xlsx"].path)
    assert [g.visibility for g in hidden] == ["visible", "hidden", "very_hidden"]

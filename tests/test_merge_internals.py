"""The pieces merge's speed rests on give the same answers as the plain way: the CRC
splice, the row spill file, the cell caches of the encoder, the figures digest."""

from __future__ import annotations

import copy
import os
import pickle
import random
import zlib
from pathlib import Path

from jixiao.merge import rows as merge_rows
from jixiao.merge.columns import INDICATOR_COLUMNS
from jixiao.merge.rows import Encoded, Pickled
from jixiao.merge.tables import RowStore
from jixiao.summary_writer import RowEncoder, crc32_combine


def test_crc32_combine_equals_the_crc_of_the_joined_bytes():
    rng = random.Random(5)
    for first, second in [(0, 0), (1, 0), (0, 1), (3, 8), (255, 256), (1000, 65537), (7, 300_001)]:
        a, b = rng.randbytes(first), rng.randbytes(second)
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def _put(store: RowStore, path: str, projects, indicators, findings, unreadable, encoded=None):
    store.put(path, Pickled(pickle.dumps((projects, findings, unreadable)), pickle.dumps(indicators)),
              encoded)


def test_row_store_gives_back_each_file_rows_after_reads_between_writes():
    store = RowStore()
    try:
        _put(store, "a.xlsx", [("p1",)], [("i1",), ("i2",)], [("f1",)], None,
             Encoded(b"<ind/>", b"<proj/>", b""))
        store.put_ahead("b.xlsx", b"<early/>")
        assert store.take_ahead("b.xlsx") == b"<early/>"
        assert store.take_ahead("b.xlsx") is None  # given once
        # written after a read: must land after what is there, not where the read ended
        _put(store, "b.xlsx", [], [("i3",)], [("f2",), ("f3",)], ("b.xlsx", "R01", "坏"))
        assert store.get("a.xlsx") == ([("p1",)], [("i1",), ("i2",)], [("f1",)], None)
        assert store.get("a.xlsx", indicators=False) == ([("p1",)], [], [("f1",)], None)
        assert store.get_later("a.xlsx") == {"projects": b"<proj/>", "findings": b""}
        assert store.get("b.xlsx") == ([], [("i3",)], [("f2",), ("f3",)], ("b.xlsx", "R01", "坏"))
        assert store.get_later("b.xlsx") is None  # not encoded: the parent writes it row by row
    finally:
        store.close()


def test_encoder_cached_cells_equal_freshly_encoded_ones():
    styles = {"score": 2, "int": 3}
    row = (2024, "单位", "项目", "产出", "数量", "指标", "≥95(%)", "96%", "≥", 95.0, "%", 96.0, "%",
           None, 20.0, 20.0, 0.0, -0.0, "是", "", "a.xlsx", "表1", 7)
    assert len(row) == len(INDICATOR_COLUMNS)
    warm = RowEncoder(INDICATOR_COLUMNS, styles)
    warm.encode([row])
    again = warm.encode([row, row[:16] + (-0.0, 0.0) + row[18:]])
    fresh = RowEncoder(INDICATOR_COLUMNS, styles).encode([row]) \
        + RowEncoder(INDICATOR_COLUMNS, styles).encode([row[:16] + (-0.0, 0.0) + row[18:]])
    assert again == fresh
    xml = again.decode()
    # 0.0 and -0.0 are equal keys: each keeps its own cell; an empty text has no cell
    assert '<c r="Q\x00" s="2"><v>0.0</v></c><c r="R\x00" s="2"><v>-0.0</v></c>' in xml
    assert '<c r="Q\x00" s="2"><v>-0.0</v></c><c r="R\x00" s="2"><v>0.0</v></c>' in xml
    assert '<c r="T\x00"' not in xml


def test_measure_parts_from_the_cache_equal_the_parsed_ones():
    texts = ["≥95(%)", "96%", "达成年度指标", "稳定", "", "≤5000.00(张)", "1100(人)"]
    for text in texts * 2:
        assert merge_rows._measure_parts_of_text(text) == merge_rows._measure_parts(text)
    assert merge_rows._measure_parts_of_text(95.0) == merge_rows._measure_parts(95.0)


def test_figures_digest_depends_on_the_figures_not_on_the_objects(tmp_path):
    from merge_fixtures import good_record, write_form

    from jixiao.checking import check_file

    write_form(tmp_path / "a.xlsx", good_record("单位", "项目"))
    form = check_file(tmp_path / "a.xlsx").forms[0]
    twin = copy.deepcopy(form)
    # the same figures held by other string objects
    for ind in twin.record.indicators:
        ind.target = "".join(list(ind.target)) if isinstance(ind.target, str) else ind.target
    assert merge_rows._figures_digest(twin) == merge_rows._figures_digest(form)
    twin.record.indicators[0].actual = "97%"
    assert merge_rows._figures_digest(twin) != merge_rows._figures_digest(form)
    twin = copy.deepcopy(form)
    twin.record.funds.total.executed = 96.0
    assert merge_rows._figures_digest(twin) != merge_rows._figures_digest(form)


def test_preload_leaves_nothing_for_the_first_file_to_import(tmp_path):
    import subprocess
    import sys

    from merge_fixtures import good_record, write_form

    write_form(tmp_path / "a.xlsx", good_record("单位", "项目"))  # a plain layout
    template = sorted((Path(__file__).resolve().parent.parent / "samples" / "returned").glob("*.xlsx"))[0]
    script = (
        "import sys\n"
        "from jixiao.checking import preload\n"
        "from jixiao.merge.rows import check_one\n"
        "from jixiao.workers import WorkerSettings\n"
        "preload()\n"
        "before = set(sys.modules)\n"
        f"check_one({str(tmp_path / 'a.xlsx')!r}, WorkerSettings())\n"
        f"check_one({str(template)!r}, WorkerSettings())\n"
        "print(sorted(m for m in set(sys.modules) - before if m.startswith(('jixiao', 'python_calamine'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.strip() == "[]"

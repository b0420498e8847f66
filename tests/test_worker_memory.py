"""The memory budget of a reader process counts what one file makes it add, not what it
inherits from the caller.

A caller that has loaded pyarrow or Django (a notebook, the portal, this test suite after
a Parquet merge) maps about 2 GB before it forks a worker. When the budget was the
worker's whole address space, such a worker had no room left and every file came back
R01, or worse, half-checked with no annotated copy.
"""

from __future__ import annotations

import json
import mmap
import subprocess
import sys

import openpyxl
import pytest
import xlsxwriter

import jixiao
from jixiao.checking import check_file, check_paths
from jixiao.io.safety import Limits
from merge_fixtures import good_record, write_form

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="RLIMIT_AS and /proc are what this is about")


@pytest.fixture
def caller_mapping_3gb():
    """3 GB of address space in this process, read-only so it is never committed: what a
    caller with pyarrow's pools and thread stacks looks like to a forked worker."""
    reserved = mmap.mmap(-1, 3 * 1024**3, prot=mmap.PROT_READ)
    yield
    reserved.close()


def codes(result):
    return [f.code for f in result.all_findings()]


def test_a_large_caller_still_gets_every_check_and_annotated_copy(tmp_path, caller_mapping_3gb):
    form = write_form(tmp_path / "in" / "自评表.xlsx", good_record("上海市闵行区行政服务中心", "一网通办配套系统运维"))
    report = check_paths([form], jobs=1, annotate_dir=tmp_path / "copies",
                         limits=Limits(max_memory_bytes=2048 * 1024**2))
    result = report.files[0]
    assert result.status == "ok" and result.forms
    assert codes(result) == codes(check_file(form))
    assert result.copy is not None
    assert openpyxl.load_workbook(result.copy).sheetnames


CALLER_SCRIPT = """
import json, mmap, sys
import jixiao
from jixiao.io.safety import Limits
reserved = mmap.mmap(-1, 3 * 1024**3, prot=mmap.PROT_READ)
merged = jixiao.merge_files([sys.argv[1]], jobs=2, quiet=True, limits=Limits())
print(json.dumps({"forms": merged.forms, "unreadable": len(merged.unreadable)}))
"""


def test_a_large_caller_still_merges_every_form(tmp_path):
    # a fresh interpreter, as a script is: this process has free heap of its own to lend
    # a worker, which hides the missing room
    for i in range(4):
        write_form(tmp_path / f"表{i}.xlsx", good_record(f"单位{i}", f"项目{i}"))
    answer = subprocess.run([sys.executable, "-c", CALLER_SCRIPT, str(tmp_path)],
                            capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(answer.stdout) == {"forms": 4, "unreadable": 0}


def test_a_file_that_needs_more_than_the_budget_is_one_r01_and_the_rest_is_checked(tmp_path):
    # 100,000 distinct long strings: ~70 MB of shared strings from a 1 MB file (the ratio
    # gate is opened so that only the memory budget stands in the way)
    heavy = tmp_path / "大表.xlsx"
    workbook = xlsxwriter.Workbook(str(heavy))
    sheet = workbook.add_worksheet("附表")
    for row in range(2000):
        for col in range(50):
            sheet.write_string(row, col, f"{row}-{col}-" + "项目绩效目标完成情况说明" * 20)
    workbook.close()
    form = write_form(tmp_path / "自评表.xlsx", good_record("某单位", "某项目"))
    open_gate = {"max_member_ratio": 10_000}

    roomy = check_paths([heavy], jobs=1, limits=Limits(**open_gate)).files[0]
    assert roomy.status == "ok"  # read in full (no form in it: R02), so the file is sound

    tight = check_paths([heavy, form], jobs=1,
                        limits=Limits(max_memory_bytes=64 * 1024**2, **open_gate))
    by_name = {r.path.rsplit("/", 1)[-1]: r for r in tight.files}
    assert by_name["大表.xlsx"].status == "unreadable"
    assert by_name["大表.xlsx"].error.code == "R01"
    assert by_name["自评表.xlsx"].status == "ok" and by_name["自评表.xlsx"].forms

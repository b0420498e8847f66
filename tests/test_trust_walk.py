"""Issue 11: the walk reports what it cannot read, takes damaged names by their first
bytes and follows no link out of the folder given. Through the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from merge_fixtures import good_record, write_form


def _as_ordinary_user():
    """Root reads a chmod 000 folder: when the tests run as root, the command runs
    without the two capabilities that let it (as an ordinary user would)."""
    if os.geteuid() == 0:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl")


def _check(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jixiao", "check", *map(str, args),
                           "--format", "json"], capture_output=True, text=True, timeout=120,
                          preexec_fn=_as_ordinary_user if os.name == "posix" else None, cwd=cwd)


@pytest.fixture
def shared_tmp(tmp_path):
    yield tmp_path
    for p in tmp_path.rglob("*"):  # let pytest clean up
        if not p.is_symlink():
            p.chmod(0o755)


def _form(path: Path, unit: str) -> Path:
    write_form(path, good_record(unit, "培训项目"))
    return path


def _files(proc) -> dict[str, dict]:
    assert "Traceback" not in proc.stderr, proc.stderr
    return {f["path"]: f for f in json.loads(proc.stdout)["files"]}


@pytest.mark.skipif(os.name != "posix", reason="folder permissions are POSIX here")
def test_an_unreadable_folder_is_an_r01_and_exit_1(shared_tmp):
    root = shared_tmp / "in"
    _form(root / "a.xlsx", "甲单位")
    _form(root / "locked" / "b.xlsx", "乙单位")
    (root / "locked").chmod(0)
    proc = _check(root)
    files = _files(proc)
    assert proc.returncode == 1
    locked = files[str(root / "locked")]
    assert locked["status"] == "unreadable"
    assert "文件夹无法打开" in locked["error"]["message"] and "没有读取权限" in locked["error"]["message"]
    assert files[str(root / "a.xlsx")]["status"] == "ok"


@pytest.mark.skipif(os.name != "posix", reason="file permissions are POSIX here")
def test_an_unreadable_file_is_an_r01_and_exit_1(shared_tmp):
    root = shared_tmp / "in"
    _form(root / "a.xlsx", "甲单位")
    _form(root / "b.xlsx", "乙单位").chmod(0)
    proc = _check(root)
    assert proc.returncode == 1
    entry = _files(proc)[str(root / "b.xlsx")]
    assert entry["status"] == "unreadable" and "没有读取权限" in entry["error"]["message"]


@pytest.mark.parametrize("name", ["自评表。xlsx", "自评表．xlsx", "自评表.xlsx ", "自评表.xlsx.",
                                  "自评表"])
def test_a_workbook_with_a_damaged_extension_is_read_by_its_first_bytes(tmp_path, name):
    root = tmp_path / "in"
    source = _form(tmp_path / "src.xlsx", "甲单位")
    root.mkdir()
    shutil.copyfile(source, root / name)
    (root / "说明").write_text("不是表格", encoding="utf-8")  # no extension, not a workbook
    (root / "照片.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 64)
    files = _files(_check(root))
    assert list(files) == [str(root / name)]
    assert files[str(root / name)]["forms"][0]["record"]["unit"] == "甲单位"


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_no_link_out_of_the_folder_is_followed(tmp_path):
    root = tmp_path / "in"
    _form(root / "a.xlsx", "甲单位")
    outside = _form(tmp_path / "outside" / "o.xlsx", "外单位")
    (root / "share").symlink_to("/usr/share")
    (root / "elsewhere.xlsx").symlink_to(outside)
    (root / "also").symlink_to(outside.parent)
    (root / "inside.xlsx").symlink_to(root / "a.xlsx")  # a link within: the same file once
    proc = _check(root)
    files = _files(proc)
    assert proc.returncode == 1
    assert files[str(root / "a.xlsx")]["status"] == "ok"
    assert str(root / "inside.xlsx") not in files
    for name in ("share", "elsewhere.xlsx", "also"):
        entry = files[str(root / name)]
        assert entry["status"] == "unreadable" and "文件夹之外" in entry["error"]["message"], name
        assert entry["forms"] == []
    assert not any("外单位" in json.dumps(f, ensure_ascii=False) for f in files.values())
    assert len(files) == 4


def test_our_own_leftover_temporaries_are_not_inputs(tmp_path):
    root = tmp_path / "in"
    _form(root / "a.xlsx", "甲单位")
    shutil.copyfile(root / "a.xlsx", root / ".汇总-k2j4h_x9.skeleton.xlsx")
    shutil.copyfile(root / "a.xlsx", root / ".汇总-k2j4h_x9.xlsx")
    (root / ".jixiao-abcd_123").mkdir()
    shutil.copyfile(root / "a.xlsx", root / ".jixiao-abcd_123" / "b.xlsx")
    assert list(_files(_check(root))) == [str(root / "a.xlsx")]


@pytest.mark.skipif(os.name != "posix", reason="folder permissions are POSIX here")
def test_merge_lists_the_unreadable_folder_among_the_unread_files(shared_tmp):
    root = shared_tmp / "in"
    _form(root / "a.xlsx", "甲单位")
    _form(root / "locked" / "b.xlsx", "乙单位")
    (root / "locked").chmod(0)
    out = shared_tmp / "汇总.csv"
    proc = subprocess.run([sys.executable, "-m", "jixiao", "merge", str(root), "--format", "csv",
                           "-o", str(out), "-q"], capture_output=True, text=True, timeout=120,
                          preexec_fn=_as_ordinary_user)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "未读取 1 个文件" in proc.stderr
    unread = next(shared_tmp.glob("汇总_*unread*.csv"), None) or next(
        p for p in shared_tmp.glob("汇总_*.csv") if "locked" in p.read_text(encoding="utf-8-sig"))
    assert "文件夹无法打开" in unread.read_text(encoding="utf-8-sig")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_in_the_folder_does_not_hang_the_walk(tmp_path):
    root = tmp_path / "in"
    _form(root / "a.xlsx", "甲单位")
    os.mkfifo(root / "自评表")  # no extension: taken by its first bytes, if it were a file
    os.mkfifo(root / "b.xlsx")
    proc = subprocess.run([sys.executable, "-m", "jixiao", "check", str(root), "--format", "json"],
                          capture_output=True, text=True, timeout=60)
    files = _files(proc)
    assert files[str(root / "a.xlsx")]["status"] == "ok"
    assert files[str(root / "b.xlsx")]["status"] == "unreadable"
    assert str(root / "自评表") not in files

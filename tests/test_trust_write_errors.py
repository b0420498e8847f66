"""Issue 11: a full disk, a read-only folder, a file held by another program: one Chinese
line each, nothing left under the final name, no source path, no English. Through the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from merge_fixtures import good_record, write_form

PROJECTS = Path(__file__).parent / "data" / "template" / "项目清单.csv"

# Run the command as an ordinary user would (root writes into a chmod 555 folder).
_DROP_DAC = """
import ctypes, os
if os.geteuid() == 0:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        libc.prctl(24, cap, 0, 0, 0)
"""
# The file system refuses to replace a file another program holds (a summary open in
# Excel on Windows): os.replace onto an existing file fails as Windows fails it.
_LOCKED = """
import errno, os
_replace = os.replace
def replace(src, dst, *a, **k):
    if os.path.exists(dst):
        raise PermissionError(errno.EACCES, "Access is denied", str(dst))
    return _replace(src, dst, *a, **k)
os.replace = replace
"""
# A full disk where no tmpfs can be mounted: every replace fails as a full disk fails it.
_FULL = """
import errno, os
def replace(src, dst, *a, **k):
    raise OSError(errno.ENOSPC, "No space left on device", str(dst))
os.replace = replace
"""


def _jixiao(args, prelude: str = "", cwd=None) -> subprocess.CompletedProcess:
    code = prelude + "\nimport sys\nfrom jixiao.cli import main\nsys.argv[0] = 'jixiao'\nmain()\n"
    preexec = None
    if prelude == _DROP_DAC and os.name == "posix":
        def preexec():
            exec(_DROP_DAC, {})
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                          text=True, timeout=120, cwd=cwd, preexec_fn=preexec)


def _one_line(proc, reason: str, *paths: Path) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert reason in line, line
    assert "Traceback" not in proc.stderr and ".py" not in line
    for p in paths:
        assert str(p) in line or "输出文件" in line, line
    line = re.sub("“[^”]*”", "", line)  # the output's own name
    assert not re.search(r"[A-Za-z]{3,}", line), line  # no English but the paths
    return line


def _commands(src: Path, out: Path) -> dict[str, list]:
    return {
        "check -o": ["check", src, "-o", out / "报告.txt"],
        "check --annotate": ["check", src, "--annotate", out / "标注"],
        "merge xlsx": ["merge", src, "-o", out / "汇总.xlsx", "-q"],
        "merge csv": ["merge", src, "--format", "csv", "-o", out / "汇总.csv", "-q"],
        "template": ["template", "-o", out / "空白.xlsx"],
        "template --projects": ["template", "--projects", PROJECTS, "-o", out / "下发"],
    }


@pytest.fixture
def src(tmp_path):
    folder = tmp_path / "in"
    write_form(folder / "a.xlsx", good_record("甲单位", "培训项目"))
    return folder


def _leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.skipif(os.name != "posix", reason="folder permissions are POSIX here")
@pytest.mark.parametrize("command", list(_commands(Path("in"), Path("out"))))
def test_a_read_only_folder_is_one_chinese_line(src, tmp_path, command):
    out = tmp_path / "只读"
    out.mkdir()
    (out / "标注").mkdir()
    (out / "下发").mkdir()
    for folder in (out / "标注", out / "下发", out):
        folder.chmod(0o555)
    try:
        proc = _jixiao(_commands(src, out)[command], _DROP_DAC)
        assert proc.returncode == 1, proc.stderr
        _one_line(proc, "没有写入权限", out)
        assert _leftovers(out) == ["下发", "标注"]
    finally:
        for folder in (out / "标注", out / "下发", out):
            folder.chmod(0o755)


def _full_disk(tmp_path: Path) -> tuple[Path, str]:
    """A 128 KB tmpfs when this process may mount one, else an injected ENOSPC."""
    folder = tmp_path / "满"
    folder.mkdir()
    if os.geteuid() == 0 and sys.platform.startswith("linux"):
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(folder)],
                                 capture_output=True)
        if mounted.returncode == 0:
            fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
            try:  # fill it to the brim
                while os.write(fd, b"\0" * 4096):
                    pass
            except OSError:
                pass
            finally:
                os.close(fd)
            return folder, ""
    return folder, _FULL


@pytest.mark.parametrize("command", list(_commands(Path("in"), Path("out"))))
def test_a_full_disk_is_one_chinese_line(src, tmp_path, command):
    out, prelude = _full_disk(tmp_path)
    try:
        before = _leftovers(out)
        proc = _jixiao(_commands(src, out)[command], prelude)
        assert proc.returncode == 1, proc.stderr
        _one_line(proc, "磁盘空间不足", out)
        assert _leftovers(out) == before  # nothing under the final name, no temporary
    finally:
        if not prelude:
            subprocess.run(["umount", str(out)], capture_output=True)


@pytest.mark.parametrize("command", ["check -o", "merge xlsx", "template"])
def test_an_output_held_by_another_program_is_one_chinese_line(src, tmp_path, command):
    out = tmp_path / "out"
    out.mkdir()
    args = _commands(src, out)[command]
    target = Path(args[args.index("-o") + 1])
    target.write_bytes(b"open in Excel")
    if command == "template":
        args = [*args, "--force"]
    proc = _jixiao(args, _LOCKED)
    assert proc.returncode == 1, proc.stderr
    _one_line(proc, "文件被其他程序占用", target)
    assert target.read_bytes() == b"open in Excel"
    assert _leftovers(out) == [target.name]

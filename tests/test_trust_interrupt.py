"""Issue 11: an interrupted run ends its workers and leaves nothing a later run reads;
Ctrl-C stops within a second with 已中止. Through the CLI, on a batch slow enough to be
caught mid-way."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostile_corpus import FORM_ROWS, form_xlsx

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals")

ENV = {**os.environ, "JIXIAO_MAX_CELLS_PER_SHEET": "500000"}


@pytest.fixture(scope="module")
def slow_batch(tmp_path_factory):
    """Twelve forms of 40,000 rows each: about half a second each to read."""
    folder = tmp_path_factory.mktemp("slow") / "in"
    folder.mkdir()
    first = form_xlsx(folder / "表00.xlsx", [list(r) for r in FORM_ROWS] + [[f"x{r}"] * 9 for r in range(40_000)])
    for i in range(1, 12):
        shutil.copyfile(first, folder / f"表{i:02}.xlsx")
    return folder


def _children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    except FileNotFoundError:
        pytest.fail("ps is needed to see the workers")
    return [int(p) for p in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return "\nState:\tZ" not in fh.read()
    except FileNotFoundError:
        return False


def _as_a_terminal_job() -> None:
    """SIGINT handled as in a terminal's foreground job. A shell without job control
    starts its background commands with SIGINT ignored (`pytest &` in a script, some CI
    runners), every child inherits that, and Python then leaves it ignored: Ctrl-C
    would not reach the merge at all and this test would measure the whole run."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_merge(folder: Path, out: Path) -> tuple[subprocess.Popen, list[int]]:
    proc = subprocess.Popen([sys.executable, "-m", "jixiao", "merge", str(folder), "-o", str(out),
                             "-j", "2", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=ENV, start_new_session=True, preexec_fn=_as_a_terminal_job)
    deadline = time.monotonic() + 30
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.2)
        workers = _children(proc.pid)
    assert len(workers) == 2, "the workers did not start"
    time.sleep(1.0)  # mid-way through the batch
    assert proc.poll() is None
    return proc, workers


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_the_parent_ends_its_workers_and_leaves_nothing_read_later(slow_batch, tmp_path, sig):
    out = slow_batch / "汇总.xlsx"
    proc, workers = _start_merge(slow_batch, out)
    os.kill(proc.pid, sig)
    # the workers held the caller's pipes: communicate returns only when they are gone
    proc.communicate(timeout=15)
    deadline = time.monotonic() + 5
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, workers))
    assert not out.exists()
    # whatever a killed run left in the folder, the next run takes the twelve returns only
    from jixiao.checking import iter_input_files

    refused: dict[str, str] = {}
    assert sorted(p.name for p in iter_input_files([slow_batch], refused)) == \
        [f"表{i:02}.xlsx" for i in range(12)]
    assert refused == {}


def test_ctrl_c_stops_within_a_second_with_yizhongzhi(slow_batch, tmp_path):
    out = tmp_path / "汇总.xlsx"
    proc, workers = _start_merge(slow_batch, out)
    pressed = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends to the whole foreground group
    _, err = proc.communicate(timeout=15)
    assert time.monotonic() - pressed < 1.0
    assert "已中止" in err.decode("utf-8") and "Traceback" not in err.decode("utf-8")
    assert proc.returncode == 130  # not 1: a script must not read "the forms have errors"
    assert not any(map(_alive, workers))
    assert not out.exists() and not list(tmp_path.iterdir())


def _terminate_when_a_file_appears(proc: subprocess.Popen, folder: Path) -> None:
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if folder.is_dir() and any(not name.startswith(".") for name in os.listdir(folder)):
            proc.send_signal(signal.SIGTERM)
            break
        time.sleep(0.005)
    proc.wait(timeout=60)


def test_an_interrupted_annotate_leaves_no_copy_and_no_temporary(slow_batch, tmp_path):
    copies = tmp_path / "copies"
    proc = subprocess.Popen([sys.executable, "-m", "jixiao", "check", str(slow_batch), "--annotate",
                             str(copies), "-j", "2"], env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    _terminate_when_a_file_appears(proc, copies)
    assert proc.returncode == 130, proc.stderr.read()
    assert not copies.exists() or list(copies.rglob("*")) == []


def test_an_interrupted_template_leaves_no_distribution(tmp_path):
    """Stopped while its workbooks move into place: a distribution without its manifest
    is none, and its files would make the rerun refuse without --force."""
    import csv

    source = Path(__file__).parent / "data" / "template" / "项目清单.csv"
    header, *rows = list(csv.reader(source.read_text(encoding="utf-8-sig").splitlines()))
    projects = tmp_path / "projects.csv"
    with open(projects, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for n in range(300):  # each project of the list again, 300 times under new names
            writer.writerows(row[:3] + [f"{row[3]}{n:03}"] + row[4:] for row in rows)
    for attempt in range(3):  # the files move into place within ~0.1 s: the signal may come late
        dist = tmp_path / f"dist{attempt}"
        proc = subprocess.Popen([sys.executable, "-m", "jixiao", "template", "--projects", str(projects),
                                 "-o", str(dist), "-j", "2"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        _terminate_when_a_file_appears(proc, dist)
        if proc.returncode != 0:
            break
    assert proc.returncode == 130, proc.stderr.read()
    assert not dist.exists() or os.listdir(dist) == []

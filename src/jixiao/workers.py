"""Check many files in worker processes, losing only the file a worker dies or hangs on.

Used by ``jixiao merge`` (rows back) and ``jixiao check`` (FileResults back): the work done
per file and the answer for a file that was lost are parameters.

Why not a standard library pool: ``concurrent.futures`` and ``multiprocessing.Pool``
cannot say which file killed a worker, and a broken ``ProcessPoolExecutor`` fails every
file still queued; on merge's many small tasks they also cost more, measured end to end
(benchmarks/README.md). So this pool gives each worker its own pipe and a small batch of
paths; the worker answers file by file. When a worker dies (python-calamine can abort the
process on a hostile file) or spends more than the time budget on one file, the parent
knows exactly which file that was: it reports that one (R01), starts a fresh worker and
hands the rest of the batch out again.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import selectors
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

T = TypeVar("T")

#: seconds a worker gets beyond the per-file budget before it is killed (the readers
#: enforce the budget themselves where they can; this is the hard stop)
KILL_GRACE_S = 2.0


@dataclass
class WorkerSettings:
    """Everything a worker needs to check a file (pickled once per worker)."""

    profile: Any = None
    secret: str | None = None
    manifest_fingerprints: dict[str, str] | None = None
    limits: Any = None
    #: bytes of address space a worker may add to what it inherits (RLIMIT_AS); None: unlimited
    memory_bytes: int | None = None
    #: check --annotate: input path -> where its annotated copy goes
    copies: dict[str, str] | None = None


def _quiet_stderr() -> None:
    """A worker that dies on a hostile file must not print a trace (Python faulthandler,
    a Rust panic message) over the progress bar: the file's R01 line says what happened."""
    if os.environ.get("JIXIAO_DEBUG") == "1":
        return
    import faulthandler

    faulthandler.disable()
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        pass


def _end_with_parent(parent: int) -> None:
    """End this worker when the parent is gone (SIGKILL, SIGTERM, a crash): an orphaned
    worker would go on reading and hold the caller's stdout pipe open.

    Linux is told to send SIGKILL at the parent's death; elsewhere (and should that fail)
    a daemon thread checks every half second whether the parent is still ours.
    """
    import sys
    import threading

    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # it died before we asked
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="jixiao-parent-watch").start()


def _worker_main(conn, settings: WorkerSettings, task: Callable[[str, WorkerSettings], Any],
                 lost: Callable[[str, str], Any], parent: int | None = None) -> None:
    if parent is not None:
        _end_with_parent(parent)
    _quiet_stderr()
    if settings.memory_bytes:
        # The budget is what one file may add: a forked worker starts with the caller's
        # whole address space, and a caller that has loaded pyarrow or Django (a notebook,
        # the test suite, a server) already maps ~2 GB, mostly reserved and never touched.
        # A limit that ignored it left the worker no room at all, and CPython then fails
        # in odd places (SystemError, a TypeError in openpyxl) instead of MemoryError.
        limit = _mapped_bytes() + settings.memory_bytes
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OverflowError, OSError):
            pass
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if batch is None:
            return
        for index, path in batch:
            try:
                answer = task(path, settings)
            except MemoryError:
                answer = lost(path, "文件读取时占用内存过多，已跳过，请检查文件是否异常")
            conn.send((index, answer))


def _mapped_bytes() -> int:
    """Address space this process maps now (Linux's /proc; 0 where there is none)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            pages = int(fh.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@dataclass(eq=False)  # one worker is itself only (sets of ready workers)
class _Worker:
    process: Any
    conn: Any
    #: (index, path) given to the worker and not answered yet, in the order it works
    pending: deque = field(default_factory=deque)
    #: when the worker started on pending[0]
    since: float = 0.0


def _context():
    # fork: workers start in milliseconds and never re-import the caller's __main__ (spawn
    # and forkserver do, which breaks scripts without a main guard). The parent runs no
    # threads while workers start (the progress bar refreshes without one), so forking
    # is safe. Elsewhere (macOS, Windows) spawn is the only safe choice.
    if "fork" in mp.get_all_start_methods() and os.name == "posix" and not _is_macos():
        return mp.get_context("fork")
    return mp.get_context("spawn")


def _is_macos() -> bool:
    import sys

    return sys.platform == "darwin"


def run_isolated(paths: Sequence[str], settings: WorkerSettings, *, jobs: int, time_budget_s: float,
                 task: Callable[[str, WorkerSettings], T], lost: Callable[[str, str], T],
                 on_start: Callable[[], None] | None = None,
                 refused: dict[str, str] | None = None) -> Iterator[tuple[int, T]]:
    """Yield (index into paths, answer) for every path, in completion order.

    ``task(path, settings)`` runs in a worker and must not raise; ``lost(path, reason)``
    answers for a file whose worker died or overran the time budget. Both must be
    module-level functions (they are pickled where workers are spawned). A path in
    ``refused`` (path -> reason: a folder the walk could not open, a link out of it) is
    answered by ``lost`` at once, never read.
    """
    refused = refused or {}
    skipped = 0
    if refused:
        for index, path in enumerate(paths):
            if path in refused:
                skipped += 1
                yield index, lost(path, refused[path])
    if len(paths) == skipped:
        return
    ctx = _context()
    jobs = max(1, min(jobs, len(paths) - skipped))
    todo = _Todo(paths, refused, len(paths) - skipped)
    workers: list[_Worker] = []
    hard_limit = time_budget_s + KILL_GRACE_S

    # One selector for the whole run, not one per wait: with an answer every ~0.5 ms,
    # building and filling a new one each time cost the parent more than reading them.
    selector = selectors.DefaultSelector()

    def start() -> _Worker:
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        proc = ctx.Process(target=_worker_main, args=(child_conn, settings, task, lost, os.getpid()),
                           daemon=True)
        proc.start()
        child_conn.close()
        w = _Worker(proc, parent_conn)
        selector.register(parent_conn, selectors.EVENT_READ, w)
        selector.register(proc.sentinel, selectors.EVENT_READ, w)
        return w

    def batch_size() -> int:
        # Large batches cut pipe traffic; small ones near the end keep every core busy.
        return max(1, min(16, len(todo) // (jobs * 4)))

    def feed(w: _Worker) -> None:
        # The next batch is sent while the worker still has part of this one to do, so it
        # never waits on the parent between batches (the pipe holds the queued paths).
        if len(w.pending) > batch_size() // 2 or not todo:
            return
        batch = [todo.popleft() for _ in range(min(batch_size(), len(todo)))]
        if not w.pending:
            w.since = time.monotonic()
        w.pending.extend(batch)
        try:
            w.conn.send(batch)
        except (BrokenPipeError, OSError):
            pass  # the worker is gone; the sentinel reports it

    def restart(w: _Worker) -> None:
        selector.unregister(w.conn)
        selector.unregister(w.process.sentinel)
        if w.process.is_alive():
            w.process.kill()
        w.process.join()
        w.conn.close()
        workers[workers.index(w)] = start()

    def replace(w: _Worker, reason: str) -> tuple[int, T]:
        """Report the file w was on, requeue the rest of its batch, start a new worker."""
        index, path = w.pending.popleft()
        todo.extendleft(reversed(w.pending))
        w.pending.clear()
        restart(w)
        return index, lost(path, reason)

    finished = False
    try:
        workers.extend(start() for _ in range(jobs))
        if on_start:
            on_start()
        for w in workers:
            feed(w)
        while any(w.pending for w in workers) or todo:
            busy = [w for w in workers if w.pending]
            deadline = min(w.since for w in busy) + hard_limit if busy else time.monotonic()
            answered, ended = set(), set()
            ready = selector.select(timeout=max(0.0, deadline - time.monotonic()))
            for key, _ in ready:
                (answered if key.fileobj is key.data.conn else ended).add(key.data)
            for w in [w for w in workers if w in answered or w in ended]:
                if w in answered:
                    # One answer per readiness: the selector reports the next one at once
                    # (Connection.poll would build a selector of its own each time). A
                    # worker that ended may have left several: all are taken before the
                    # file it died on is reported.
                    try:
                        while True:
                            index, answer = w.conn.recv()
                            w.pending.popleft()
                            w.since = time.monotonic()
                            yield index, answer
                            if w not in ended or not w.conn.poll():
                                break
                    except (EOFError, OSError):
                        ended.add(w)  # died mid-message: reported below
                    feed(w)
                if w in ended:
                    w.process.join(timeout=KILL_GRACE_S)
                    if w.process.is_alive():  # its pipe broke but it lives on: stop it
                        w.process.kill()
                        w.process.join()
                    if w.pending:
                        yield replace(w, _crash_reason(w.process.exitcode))
                    else:  # died between batches: nothing of it is lost
                        restart(w)
            now = time.monotonic()
            for w in workers:
                if w.pending and now - w.since > hard_limit:
                    yield replace(w, f"读取超时（超过 {time_budget_s:g} 秒），已跳过，请检查文件是否异常")
            for w in workers:
                feed(w)
        finished = True
    finally:
        selector.close()
        if not finished:
            # Interrupted (Ctrl-C, SIGTERM, an error in the caller): stop now, not after
            # the file each worker is on (calamine does not return to Python to be told).
            for w in workers:
                w.process.kill()
        for w in workers:
            try:
                w.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for w in workers:
            w.process.join(timeout=1)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            w.conn.close()


class _Todo:
    """(index, path) of the files not yet sent, drawn from ``paths`` as they are needed
    (a run of 100,000 files keeps no pair per file; ``paths`` may be a sequence on disk),
    with the files of a lost worker's batch put back in front."""

    def __init__(self, paths: Sequence[str], refused: dict[str, str], left: int) -> None:
        # a refused path was answered already: skipped, its index kept for the others
        self._next = ((i, p) for i, p in enumerate(paths) if p not in refused) if refused else enumerate(paths)
        self._left = left
        self._back: deque = deque()

    def __len__(self) -> int:
        return self._left + len(self._back)

    def popleft(self) -> tuple[int, str]:
        if self._back:
            return self._back.popleft()
        self._left -= 1
        return next(self._next)

    def extendleft(self, items: Iterable[tuple[int, str]]) -> None:
        self._back.extendleft(items)


def _crash_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        import signal

        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = str(-exitcode)
        return f"读取此文件时读取程序异常退出（{name}），文件可能已损坏或构造异常，已跳过"
    return f"读取此文件时读取程序异常退出（退出码 {exitcode}），文件可能已损坏或构造异常，已跳过"

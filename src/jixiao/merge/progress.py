"""The progress line of ``jixiao merge`` on stderr: files, forms, errors, rate."""

from __future__ import annotations

import sys
import time
from typing import Any, Callable

#: (files done, files in total, forms found, error findings so far)
ProgressCallback = Callable[[int, int, int, int], None]


class MergeProgress:
    """A rich progress bar when stderr is a terminal; otherwise silent.

    ``progress`` may be True/False (force the bar on/off), None (automatic) or a callable
    that receives (done, total, forms, errors) after every file.
    """

    def __init__(self, total: int, *, quiet: bool = False,
                 progress: bool | ProgressCallback | None = None) -> None:
        self.total = total
        self.done = self.forms = self.errors = 0
        self.callback = progress if callable(progress) else None
        show = (not quiet and progress is not False and self.callback is None
                and (progress is True or sys.stderr.isatty()))
        self._bar: Any = None
        self._shown = 0.0
        if show:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self._bar = Progress(
                TextColumn("汇总"), BarColumn(), MofNCompleteColumn(), TextColumn("文件"),
                TextColumn("· {task.fields[forms]} 张表 · 错误 {task.fields[errors]}"),
                TextColumn("· {task.fields[rate]} 个/秒"), TimeElapsedColumn(), TimeRemainingColumn(),
                console=Console(stderr=True), transient=False,
                auto_refresh=False)  # no refresh thread: workers are forked
            self._task = self._bar.add_task("merge", total=total, forms=0, errors=0, rate="-")

    def __enter__(self) -> MergeProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, forms: int, errors: int) -> None:
        self.done += 1
        self.forms += forms
        self.errors += errors
        if self.callback is not None:
            self.callback(self.done, self.total, self.forms, self.errors)
        elif self._bar is not None:
            elapsed = self._bar.tasks[0].elapsed or 0
            rate = f"{self.done / elapsed:,.0f}" if elapsed > 0.5 else "-"
            self._bar.update(self._task, completed=self.done, forms=self.forms, errors=self.errors,
                             rate=rate)
            now = time.monotonic()
            if now - self._shown >= 0.1 or self.done == self.total:
                self._shown = now
                self._bar.refresh()

    def status(self, text: str) -> None:
        """A phase after reading (writing the summary) shown on the bar's line."""
        if self._bar is not None:
            self._bar.console.print(text, highlight=False)

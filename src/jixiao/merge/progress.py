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
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), TextColumn("剩余"),
                TimeRemainingColumn(), console=Console(stderr=True), transient=False,
                auto_refresh=False)  # no refresh thread: workers are forked
            self._task = self._bar.add_task("读取", total=total, detail="文件")

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
            task = self._bar.tasks[self._task]
            # rich's speed is over the last seconds: honest when files of a province's
            # run get slower or faster, where the mean since the start lags
            speed = task.speed
            rate = f"{speed:,.0f}" if speed else "-"
            self._bar.update(self._task, completed=self.done,
                             detail=f"文件 · {self.forms:,} 张表 · 错误 {self.errors:,} · {rate} 个/秒")
            self._tick()

    def _tick(self) -> None:
        now = time.monotonic()
        task = self._bar.tasks[self._task]
        if now - self._shown >= 0.1 or task.completed >= (task.total or 0):
            self._shown = now
            self._bar.refresh()

    def writing(self, text: str, total: int | None = None) -> None:
        """The writing phase: a bar of its own over the files whose rows are written
        (``total``: files times the passes over them)."""
        if self._bar is not None:
            self._task = self._bar.add_task("写入", total=total or self.total, detail=f"文件 · {text}")
            self._bar.refresh()

    def advance_writing(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)
            self._tick()

    def status(self, text: str) -> None:
        """A phase after reading (writing the summary) shown on the bar's line."""
        if self._bar is not None:
            self._bar.console.print(text, highlight=False)

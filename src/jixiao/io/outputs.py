"""Where outputs may go: never onto an input, never among the inputs.

A finance officer types ``-o`` and ``--annotate`` by hand, often into the folder of
returns itself. A summary replacing a unit's return, or annotated copies mixed into the
returns (read as returns by the next run), lose or duplicate a unit's form; these are
refused before anything is read or written (UsageError, exit 2), naming both paths.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

from jixiao.errors import UsageError


def _real(path: str | os.PathLike) -> str:
    return os.path.normcase(os.path.realpath(path))


def refuse_replacing_inputs(outputs: Iterable[str | os.PathLike],
                            inputs: Iterable[str | os.PathLike], *,
                            ours: Callable[[Path], bool] | None = None) -> set[str]:
    """Raise UsageError when an output file is one of the input files.

    ``ours(path)`` says an existing file is one this command wrote before (a summary of the
    last run in the folder merged): it may be replaced, and is not an input. Returns the
    real paths of those, for the caller to leave out of the inputs.
    """
    by_real = {_real(p): str(p) for p in inputs}
    own: set[str] = set()
    for out in outputs:
        real = _real(out)
        source = by_real.get(real)
        if source is None:
            continue
        if ours is not None and ours(Path(out)):
            own.add(real)
            continue
        raise UsageError(f"输出文件“{out}”就是输入文件“{source}”，写出会覆盖收回的表；"
                         "请把输出写到别处")
    return own


def refuse_folder_among_inputs(folder: str | os.PathLike, roots: Iterable[str | os.PathLike],
                               inputs: Iterable[str | os.PathLike]) -> None:
    """Raise UsageError when an output folder is, or lies inside, an input folder, or holds
    an input file: what is written there would replace a return or be read as one."""
    target = _real(folder)
    for root in roots:
        if not os.path.isdir(root):
            continue
        real_root = _real(root)
        if target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep):
            raise UsageError(f"输出文件夹“{folder}”在输入文件夹“{root}”之中，写出的文件会混入收回的表；"
                             "请把输出写到别处")
    prefix = target.rstrip(os.sep) + os.sep
    for path in inputs:
        if _real(path).startswith(prefix):
            raise UsageError(f"输出文件夹“{folder}”中有输入文件“{path}”，写出的文件可能覆盖它；"
                             "请把输出写到别处")


def refuse_existing(paths: Iterable[str | os.PathLike], *, option: str = "--force") -> None:
    """Raise UsageError when an output would replace an existing file (without ``--force``)."""
    for path in paths:
        if os.path.lexists(path):
            raise UsageError(f"“{path}”已存在，不会覆盖；确需覆盖请加 {option}")

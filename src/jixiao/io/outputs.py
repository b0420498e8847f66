"""Where outputs may go: never onto an input, never among the inputs; where each
annotated copy goes.

A finance officer types ``-o`` and ``--annotate`` by hand, often into the folder of
returns itself. A summary replacing a unit's return, or annotated copies mixed into the
returns (read as returns by the next run), lose or duplicate a unit's form; these are
refused before anything is read or written (UsageError, exit 2), naming both paths.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable, Iterable

from jixiao.errors import UsageError
from jixiao.io.atomic import fitting_name, refuse_special_file


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
        refuse_special_file(out)
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


def refuse_targets_among_inputs(targets: Iterable[str | os.PathLike],
                                roots: Iterable[str | os.PathLike],
                                inputs: Iterable[str | os.PathLike]) -> None:
    """Raise UsageError when an output file, followed through the links on its way (a
    subfolder of the output folder that is a link), would be an input or land in an
    input folder: the output folder itself may be outside them and its links not."""
    by_real = {_real(p): str(p) for p in inputs}
    folders = [(_real(r).rstrip(os.sep) + os.sep, r) for r in roots if os.path.isdir(r)]
    for target in targets:
        real = _real(target)
        if real in by_real:
            raise UsageError(f"输出文件“{target}”经链接指向输入文件“{by_real[real]}”，写出会覆盖收回的表；"
                             "请把输出写到别处")
        for prefix, root in folders:
            if real.startswith(prefix):
                raise UsageError(f"输出文件“{target}”经链接指向输入文件夹“{root}”，写出的文件会混入收回的表；"
                                 "请把输出写到别处")


def refuse_existing(paths: Iterable[str | os.PathLike], *, option: str = "--force") -> None:
    """Raise UsageError when an output would replace an existing file (without ``--force``)."""
    for path in paths:
        if os.path.lexists(path):
            raise UsageError(f"“{path}”已存在，不会覆盖；确需覆盖请加 {option}")


# ---------------------------------------------------------------- annotated copies

#: suffixes openpyxl loads and saves as they are
OPENPYXL_SUFFIXES = (".xlsx", ".xlsm")


def copy_targets(files: list[str], roots: list[str | os.PathLike],
                 outdir: str | os.PathLike) -> dict[str, Path]:
    """Where the copy of each file goes: under ``outdir`` at its place under the folder it
    was found in (单位A/自评表.xlsx), a file named on its own at the top. With several
    folders given, each one's name comes first. Distinct, deterministic names.
    """
    outdir = Path(outdir)
    folders = [Path(r) for r in roots if os.path.isdir(r)]
    several = len(folders) > 1
    taken: set[str] = set()
    targets: dict[str, Path] = {}
    for file in files:
        path = Path(file)
        relative = Path(output_name(path))
        for folder in folders:
            try:
                inside = path.relative_to(folder)
            except ValueError:
                continue
            relative = inside.with_name(output_name(path))
            if several:
                relative = Path(folder.resolve().name or "root") / relative
            break
        targets[file] = outdir / _unique_relative(relative, taken)
    return targets


def _unique_relative(relative: Path, taken: set[str]) -> Path:
    """``relative``, or with "(2)", "(3)"… when taken; a name the file system would refuse
    (a 255-byte .xls name becomes a 256-byte .xlsx) cut, keeping a digest of the original."""
    stem, suffix = os.path.splitext(relative.name)
    tag = hashlib.sha256(relative.name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    candidate, n = relative.with_name(fitting_name(stem, suffix, tag)), 2
    while str(candidate).casefold() in taken:
        candidate, n = relative.with_name(fitting_name(f"{stem}({n})", suffix, f"{tag}({n})")), n + 1
    taken.add(str(candidate).casefold())
    return candidate


def output_name(source: Path) -> str:
    """The file name of a copy: the input's own for .xlsx/.xlsm, else the stem + .xlsx."""
    suffix = source.suffix if source.suffix.lower() in OPENPYXL_SUFFIXES else ".xlsx"
    return source.stem + suffix

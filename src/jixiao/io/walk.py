"""Which files a run reads: the paths given, the files under folders, glob matches.

Folders are walked without following links out of them or looping on links within; what
cannot or must not be read is reported with its reason, never silently skipped.
"""

from __future__ import annotations

import glob
import os
import re
import stat
from pathlib import Path
from typing import Iterable, Iterator, MutableSet

from jixiao.errors import NoInputError, os_error_text
from jixiao.io.safety import INPUT_EXTENSIONS


def iter_input_files(paths: Iterable[str | os.PathLike],
                     refused: dict[str, str] | None = None,
                     seen: MutableSet[str] | None = None) -> Iterator[Path]:
    """Files named, files under folders (recursive, symlink loops safe) and glob matches.

    Each file is given once, in a stable order. A path that matches nothing is given as is,
    so the reader reports it (R01) instead of it vanishing silently. Inside a folder, a
    file is taken by its extension, or by its first bytes when its name looks like a
    workbook's with a damaged extension (自评表。xlsx, "自评表.xlsx ", none at all).

    What the walk cannot or must not read is given too, with its reason in ``refused``
    (for the caller to report as R01 without reading it): a folder it may not open, a
    link out of the folder given (never followed: an unzipped link to / would walk the
    disk). Without ``refused``, links out are left out and folders given as they are.

    ``seen``: where the real paths of the files given are remembered (each file is given
    once); by default a set, ~300 bytes a file, which a caller listing a province's
    100,000 files may keep on disk instead.
    """
    seen = set() if seen is None else seen
    visited: set[str] = set()
    real_folders: dict[str, str] = {}

    def emit(p: Path, key: str | None = None, reason: str | None = None) -> Iterator[Path]:
        key = key or os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            if reason is not None:
                if refused is None:
                    if p.is_symlink():
                        return
                else:
                    refused[str(p)] = reason
            yield p

    for raw in paths:
        path = Path(raw)
        try:
            is_plain_file = stat.S_ISREG(os.lstat(path).st_mode)
        except OSError:
            is_plain_file = False
        if is_plain_file:  # the usual case, in one system call: a file named, not a link
            yield from emit(path, _named_file_key(path, real_folders))
        elif path.is_dir():
            yield from _walk(path, emit, visited, _real_root(path))
        elif path.exists() or path.is_symlink():
            yield from emit(path)
        elif glob.has_magic(str(raw)):
            for match in sorted(glob.glob(str(raw), recursive=True)):
                m = Path(match)
                yield from (_walk(m, emit, visited, _real_root(m)) if m.is_dir() else emit(m))
        else:
            yield from emit(path)


def _real_root(folder: Path) -> str:
    return os.path.join(os.path.realpath(folder), "")


def no_input_error(paths: Iterable[str | os.PathLike]) -> NoInputError:
    """The error for paths that hold no workbook, saying where we looked."""
    where = "、".join(os.path.abspath(p) for p in paths) or "（没有给出路径）"
    return NoInputError(f"没有找到任何工作簿：在 {where} 下没有表格文件"
                        "（.xlsx、.xls、.ods、.csv 等），请检查路径")


def _named_file_key(path: Path, real_folders: dict[str, str]) -> str:
    """The real path of a file (not a link) named on its own, its folder resolved once for
    every file named in it: a bureau may name thousands, and a full resolution each cost
    more than reading the list."""
    folder = str(path.parent)
    real = real_folders.get(folder)
    if real is None:
        real = real_folders[folder] = os.path.realpath(folder)
    return os.path.join(real, path.name)


_FOLDER_UNREADABLE = "文件夹无法打开（{reason}），其中的文件都未能读取，请检查文件夹权限后重新运行"
_LINK_OUT = "这是指向所给文件夹之外（{target}）的链接，未跟随读取；如确需审核，请把文件复制进来"
# What jixiao itself leaves beside an output while writing it (tempfile names: a dot,
# the final stem, "-", 8 random characters; the summary's skeleton; template's staging
# folder): a run interrupted by SIGKILL cannot remove them, and the next run must not
# read them as returns.
_OWN_TEMPORARY = re.compile(r"^\.(?:.*-[a-z0-9_]{8}\.[A-Za-z]{3,7}|.*\.skeleton\.xlsx|jixiao-[a-z0-9_]{8})$")
# Names that look like a workbook's with the extension damaged: a full-width dot typed
# by a Chinese input method, trailing spaces or dots (Windows drops them, unzip keeps
# them), or no extension at all. Their first bytes decide.
_DAMAGED_EXTENSION = re.compile(r"[.。．｡](xlsx|xlsm|xls|ods|et)[\s.。]*$|[\s.。]+$|^[^.。．｡]+$",
                                re.IGNORECASE)
_WORKBOOK_HEAD = re.compile(rb"^(?:\xd0\xcf\x11\xe0|PK\x03\x04[\s\S]{26}"
                            rb"(?:\[Content_Types\]\.xml|_rels/|xl/|docProps/|mimetype))")


def _takes_by_name(name: str) -> bool | None:
    """True: take by extension; None: by its first bytes; False: leave out."""
    if name.startswith(("~$", ".~lock")) or _OWN_TEMPORARY.match(name):
        return False  # Office/LibreOffice lock files, and our own temporaries
    if os.path.splitext(name)[1].lower() in INPUT_EXTENSIONS:
        return True
    return None if _DAMAGED_EXTENSION.search(name) else False


def _looks_like_workbook(path: str) -> bool:
    """A workbook's first bytes (OLE, or a zip whose first member is an Office part).
    A file that cannot be opened is taken, for the reader to say why."""
    try:
        # non-blocking: a FIFO named like a workbook must not hang the walk
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return True
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        head = os.read(fd, 64)
    except OSError:
        return True
    finally:
        os.close(fd)
    return bool(_WORKBOOK_HEAD.match(head))


def _walk(folder: Path, emit, visited: set[str], root: str) -> Iterator[Path]:
    # One realpath per folder, not per file: a bureau's folder holds thousands of returns.
    real = os.path.realpath(folder)
    if real in visited:  # a symlink loop, or a folder given twice: do not go round again
        return
    visited.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        from jixiao.errors import os_error_text

        yield from emit(folder, reason=_FOLDER_UNREADABLE.format(reason=os_error_text(exc)))
        return
    subfolders = []
    for entry in entries:
        name = entry.name
        link = entry.is_symlink()
        if link:
            target = os.path.realpath(entry.path)
            if not os.path.join(target, "").startswith(root):
                if _takes_by_name(name) is not False or os.path.isdir(entry.path):
                    yield from emit(Path(entry.path), reason=_LINK_OUT.format(target=target))
                continue
        try:
            if entry.is_dir():
                if not _OWN_TEMPORARY.match(name):
                    subfolders.append(entry)
                continue
        except OSError as exc:
            from jixiao.errors import os_error_text

            yield from emit(Path(entry.path), reason=_FOLDER_UNREADABLE.format(reason=os_error_text(exc)))
            continue
        taken = _takes_by_name(name)
        if taken is None:
            taken = _looks_like_workbook(entry.path)
        if taken:
            key = None if link else os.path.join(real, name)
            yield from emit(Path(entry.path), key)
    for entry in subfolders:
        yield from _walk(Path(entry.path), emit, visited, root)

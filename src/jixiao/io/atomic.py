"""Write outputs so that an interrupted run never leaves a half-written file under the final name."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from jixiao.errors import OutputError, UsageError


#: bytes a file name may take on the file systems in use (ext4, NTFS, APFS: 255)
NAME_MAX = 255
#: what tempfile adds to a name: 8 random characters
_RANDOM = 8


def _cut(text: str, max_bytes: int) -> str:
    """``text`` cut at a character boundary to at most ``max_bytes`` of UTF-8."""
    data = text.encode("utf-8", "surrogateescape")
    if len(data) <= max_bytes:
        return text
    return data[:max(0, max_bytes)].decode("utf-8", "ignore")


def temporary_prefix(path: str | os.PathLike) -> str:
    """The prefix of ``path``'s temporary name (".<stem>-"), its stem cut so that the
    temporary name is no longer than the final one: a name the file system takes is never
    refused for its temporary (one 255-byte name stopped --annotate for every file)."""
    path = Path(path)
    size = len(path.name.encode("utf-8", "surrogateescape"))
    room = size - len(path.suffix.encode("utf-8", "surrogateescape")) - _RANDOM - 2
    return f".{_cut(path.stem, room)}-"


def fitting_name(stem: str, suffix: str, tag: str, limit: int = NAME_MAX) -> str:
    """``stem + suffix``, or when the file system would refuse it (over ``limit`` bytes)
    the stem cut and followed by ``tag`` (a form id, a digest): shortened the same way
    each run, and distinct where the tags differ."""
    name = stem + suffix
    if len(name.encode("utf-8", "surrogateescape")) <= limit:
        return name
    tail = f"…{tag}{suffix}"
    return _cut(stem, limit - len(tail.encode("utf-8"))) + tail


def special_file(path: str | os.PathLike) -> str | None:
    """What ``path`` is when it is there but no file that an output may replace: a device
    (/dev/null), a pipe or a socket. Renaming an output onto it would put a plain file in
    its place (as root, /dev/null itself)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备"
    if stat.S_ISFIFO(mode):
        return "管道"
    if stat.S_ISSOCK(mode):
        return "套接字"
    return None


def refuse_special_file(path: str | os.PathLike) -> None:
    kind = special_file(path)
    if kind is not None:
        raise UsageError(f"输出位置“{path}”是一个{kind}，不是普通文件，不会替换它；请给出一个文件名")


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it into place.

    A system error on the way (a full disk, no permission, the file held by another
    program) is an OutputError of one Chinese line; the temporary is removed and nothing
    is left under the final name. A device, pipe or socket at ``path`` is never replaced
    (UsageError)."""
    path = Path(path)
    refuse_special_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=temporary_prefix(path), suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise output_error(path, exc) from None
    os.close(fd)
    # mkstemp makes the file private (0600); an output is an ordinary file for its folder.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield Path(tmp)
        try:
            os.replace(tmp, path)
        except PermissionError as exc:
            raise _replace_refused(path, exc) from None
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        cause = os_error_of(exc)
        if cause is not None and not isinstance(exc, OutputError):
            raise output_error(path, cause) from None
        raise


def os_error_of(exc: BaseException) -> OSError | None:
    """The system error behind ``exc``: itself, or the one a library wrapped
    (xlsxwriter's FileCreateError, pyarrow's errors)."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OSError):
            return exc
        wrapped = next((a for a in getattr(exc, "args", ()) if isinstance(a, OSError)), None)
        exc = wrapped or exc.__cause__ or exc.__context__
        seen += 1
    return None


#: errno -> what a finance officer reads; anything else is said with its number
_WRITE_ERRORS = {
    errno.ENOSPC: "磁盘空间不足，请清理磁盘或换一个位置后重试",
    errno.EDQUOT: "磁盘空间不足（超出磁盘配额），请清理磁盘或换一个位置后重试",
    errno.EACCES: "没有写入权限，请换一个可以写入的文件夹",
    errno.EPERM: "没有写入权限，请换一个可以写入的文件夹",
    errno.EROFS: "没有写入权限（磁盘为只读），请换一个可以写入的文件夹",
    errno.EBUSY: "文件被其他程序占用（可能正在表格软件中打开），请关闭后重试",
    errno.ETXTBSY: "文件被其他程序占用（可能正在表格软件中打开），请关闭后重试",
    errno.ENAMETOOLONG: "文件名过长，请换一个较短的输出名称",
    errno.ENOENT: "输出位置不存在",
    errno.EEXIST: "输出位置上已有一个同名的文件，不是文件夹",
    errno.EISDIR: "输出位置是一个文件夹，请给出文件名",
    errno.ENOTDIR: "输出位置上已有一个同名的文件，不是文件夹",
}
#: Windows: another process holds the file (ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION)
_WINDOWS_LOCKED = {32, 33}


def output_error(path: str | os.PathLike, exc: OSError) -> OutputError:
    """One Chinese line for an output that could not be written: the output's own name,
    no system text in English, no source path."""
    if getattr(exc, "winerror", None) in _WINDOWS_LOCKED:
        reason = _WRITE_ERRORS[errno.EBUSY]
    else:
        reason = _WRITE_ERRORS.get(exc.errno or 0, f"系统错误（错误号 {exc.errno}）")
    return OutputError(f"无法写入“{path}”：{reason}")


def _replace_refused(path: Path, exc: PermissionError) -> OutputError:
    """Replacing a file that exists, in a folder we could write the temporary into, is
    refused when another program holds the file (a summary open in Excel on Windows)."""
    if path.exists() and os.access(path.parent, os.W_OK):
        return OutputError(f"无法写入“{path}”：{_WRITE_ERRORS[errno.EBUSY]}")
    return output_error(path, exc)


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)

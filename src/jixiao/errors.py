"""Errors a user can cause. Each carries a one-line Chinese message for the CLI."""

from __future__ import annotations


class JixiaoError(Exception):
    """Base class: ``str(err)`` is the one line shown to the user."""


class UsageError(JixiaoError):
    """Bad arguments or options (exit status 2)."""


class NoInputError(UsageError):
    """The paths given hold no workbook at all: most likely the wrong folder (exit 2)."""


class ProfileError(JixiaoError):
    """A profile file is missing or malformed."""


class ReadError(JixiaoError):
    """A file cannot be read (reported as R01).

    ``reason`` is the Chinese explanation (e.g. 文件已加密，请去除密码后重新提交);
    ``kind`` is a stable English slug (encrypted, corrupt, not_spreadsheet, too_large,
    timeout, empty, ...) for tests and logs.
    """

    def __init__(self, path: str, reason: str, kind: str = "unreadable") -> None:
        self.path = str(path)
        self.reason = reason
        self.kind = kind
        super().__init__(f"{self.path}: {reason}")


class InputError(JixiaoError):
    """A row of an input list (projects list, manifest) is wrong; the message names it."""


class OutputError(JixiaoError):
    """An output could not be written (a full disk, no permission, a file open in Excel)."""


def os_error_text(exc: OSError) -> str:
    """An operating-system error in Chinese (its own strerror is English on most systems)."""
    import errno

    return {
        errno.ENOENT: "文件不存在",
        errno.EACCES: "没有读取权限",
        errno.EPERM: "没有权限",
        errno.ELOOP: "符号链接循环",
        errno.EISDIR: "这是一个文件夹",
        errno.ENOTDIR: "路径中的某一级不是文件夹",
        errno.ENOSPC: "磁盘空间不足",
        errno.EROFS: "磁盘是只读的",
        errno.ENAMETOOLONG: "文件名太长",
    }.get(exc.errno or 0, f"系统错误（错误号 {exc.errno}）" if exc.errno else "系统错误")

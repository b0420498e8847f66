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

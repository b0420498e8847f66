"""Decide what a file really is and refuse what is unsafe before any reader touches it.

The fast readers do not protect us: python-calamine allocates the whole bounding box of a
sheet's cells (a lone cell at XFD1048576 beside A1 asks for 512 GB and aborts the process)
and reads a 1 GB cell bomb to the end. So everything here works from the file's bytes
(read once, at most ``max_file_bytes``) and the zip central directory, inflates members
by its own bounded inflater (small ones whole, larger ones in chunks), and never calls a
spreadsheet reader. :func:`gate` hands what it read on (:class:`GatedFile`), so the
readers after it neither open the file nor inflate the parts it kept a second time.

Every refusal is a :class:`jixiao.errors.ReadError` whose ``reason`` is one Chinese sentence
and whose ``kind`` is one of :data:`KINDS`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import os
import posixpath
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from jixiao.errors import ReadError, UsageError

#: Stable slugs of ReadError.kind raised by the io layer (tests and logs rely on them).
KINDS = {
    "not_file": "not a regular file (missing, a folder, a broken link)",
    "empty": "zero bytes",
    "too_large": "file, members or total inflated size over the limits",
    "zip_bomb": "a member inflates far more than any real workbook",
    "too_many_sheets": "more sheets than max_sheets",
    "too_many_cells": "a sheet's used area over max_rows / max_cols / max_cells_per_sheet",
    "unsafe_xml": "DOCTYPE or ENTITY declarations (XXE, entity expansion)",
    "encrypted": "password-protected workbook",
    "not_spreadsheet": "pdf, Word, image, archive, text renamed, ...",
    "unsupported": "a spreadsheet format we do not read (.xlsb, Excel 4.0, HTML, XML 2003)",
    "corrupt": "truncated or damaged file",
    "encoding": "text file in an encoding we cannot decode",
    "timeout": "over the per-file time budget",
    "crashed": "the reader process died (abort, out of memory)",
    "unreadable": "anything else the reader refused",
}

MB = 1024 * 1024
#: Text tables are read only under these names; content decides everything else.
TEXT_EXTENSIONS = {".csv", ".tsv", ".txt"}
SPREADSHEET_EXTENSIONS = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlt", ".ods", ".ots"}
#: What a caller walking a folder should hand to the reader (anything else is skipped).
INPUT_EXTENSIONS = TEXT_EXTENSIONS | SPREADSHEET_EXTENSIONS
# How much of a file's head is read to tell text from binary and find the XML prolog.
HEAD_BYTES = 64 * 1024
# Members are inflated in chunks of this size so memory stays flat whatever they claim.
CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on what one input file may cost. Defaults leave real forms far inside.

    A real form is one sheet of about 45 rows x 9-11 columns (< 1,000 cells), a workbook
    of a few sheets of well under 1 MB that inflates less than 10x. Every field can be set
    in the constructor or through the environment as ``JIXIAO_<FIELD NAME IN CAPITALS>``
    (e.g. ``JIXIAO_MAX_FILE_BYTES=100MB``, ``JIXIAO_TIME_BUDGET_S=30``); see
    :meth:`from_env`.
    """

    #: Size of the file on disk.
    max_file_bytes: int = 50 * MB
    #: Sum of the declared inflated sizes of all zip members of one workbook.
    max_uncompressed_bytes: int = 200 * MB
    #: A member larger than ``ratio_floor_bytes`` may inflate at most this many times.
    max_member_ratio: float = 100.0
    #: Small members (styles, themes) legitimately compress very well: not ratio-checked.
    ratio_floor_bytes: int = 1 * MB
    #: Entries in the zip directory (a real workbook has 10-50).
    max_zip_members: int = 2000
    #: Sheets in one workbook.
    max_sheets: int = 100
    #: Area of a sheet's used range (rows x columns): readers allocate all of it.
    max_cells_per_sheet: int = 200_000
    #: Merged ranges in one sheet (a form has under 100; layout code looks them up often).
    max_merged_ranges: int = 5_000
    #: Last used row (1-based) of any sheet, and rows of a text table.
    max_rows: int = 50_000
    #: Last used column (1-based) of any sheet, and fields of a text row.
    max_cols: int = 1_000
    #: Wall-clock seconds to read one file (enforced hard by read_grids_isolated).
    time_budget_s: float = 10.0
    #: Address space of an isolated reader process (bytes), so a bomb the gate missed
    #: fails one file instead of the machine.
    max_memory_bytes: int = 2048 * MB

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Limits:
        """Defaults, then ``JIXIAO_*`` variables, then explicit keyword overrides."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get("JIXIAO_" + f.name.upper())
            if raw is not None and raw.strip():
                try:
                    values[f.name] = parse_limit(f.name, raw)
                except ValueError as exc:
                    raise UsageError(f"环境变量 JIXIAO_{f.name.upper()} 的值无效：{exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if not getattr(self, f.name) > 0:
                raise UsageError(f"限制参数 {f.name} 必须大于 0")


_SIZE_SUFFIX = {"": 1, "K": 1024, "KB": 1024, "M": MB, "MB": MB, "G": 1024 * MB, "GB": 1024 * MB}


def parse_limit(name: str, raw: str) -> int | float:
    """The value of limit ``name`` written as ``raw`` (``100MB``, ``30``, ``1.5``).

    Raises KeyError for an unknown name, ValueError (with a Chinese message that names no
    source: the caller says where the text came from) for a value that is not a size.
    """
    field = {f.name: f for f in dataclasses.fields(Limits)}[name]
    text = raw.strip().upper().replace("_", "").replace(",", "")
    m = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*([KMG]?B?)", text)
    if not m:
        raise ValueError(f"“{raw.strip()}”不是数值（例如 30、1.5、100MB）")
    number = float(m.group(1)) * _SIZE_SUFFIX[m.group(2)]
    return number if "float" in str(field.type) else int(number)


def human_size(n: float) -> str:
    if n >= MB:
        return f"{n / MB:.0f} MB" if n >= 10 * MB else f"{n / MB:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{int(n)} 字节"


# --- what is the file --------------------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF", "文件内容是 PDF 文档，不是电子表格文件，请提交 Excel 工作簿"),
    (b"\x89PNG", "文件内容是图片（PNG），不是电子表格文件，请提交 Excel 工作簿"),
    (b"\xff\xd8\xff", "文件内容是图片（JPEG），不是电子表格文件，请提交 Excel 工作簿"),
    (b"GIF8", "文件内容是图片（GIF），不是电子表格文件，请提交 Excel 工作簿"),
    (b"II*\x00", "文件内容是图片（TIFF），不是电子表格文件，请提交 Excel 工作簿"),
    (b"MM\x00*", "文件内容是图片（TIFF），不是电子表格文件，请提交 Excel 工作簿"),
    (b"Rar!", "文件是 RAR 压缩包，不是电子表格文件，请解压后提交其中的工作簿"),
    (b"7z\xbc\xaf\x27\x1c", "文件是 7z 压缩包，不是电子表格文件，请解压后提交其中的工作簿"),
    (b"\x1f\x8b", "文件是 gzip 压缩包，不是电子表格文件，请解压后提交其中的工作簿"),
    (b"{\\rtf", "文件内容是 RTF 文档，不是电子表格文件，请提交 Excel 工作簿"),
    (b"\x7fELF", "文件是可执行程序，不是电子表格文件"),
]
# Two-letter signatures a text table could start with too: binary only when NULs follow.
_WEAK_SIGNATURES: list[tuple[bytes, str]] = [
    (b"BM", "文件内容是图片（BMP），不是电子表格文件，请提交 Excel 工作簿"),
    (b"MZ", "文件是可执行程序，不是电子表格文件"),
]
# Excel 2.1-4.0 worksheets are bare BIFF records, not OLE containers.
_OLD_BIFF = (b"\x09\x00\x04\x00", b"\x09\x02\x06\x00", b"\x09\x04\x06\x00")


def _refuse(path: Path | str, reason: str, kind: str) -> ReadError:
    return ReadError(str(path), reason, kind)


def sniff(path: str | os.PathLike[str], limits: Limits | None = None) -> str:
    """The real kind of a file by its content: "xlsx", "ods", "xls" or "text".

    The extension only decides whether a text file is welcome (.csv/.tsv/.txt); a workbook
    renamed to another spreadsheet extension is still read by what it is. Raises ReadError
    for everything that is not a readable spreadsheet.
    """
    return _classify(Path(path), limits or Limits.from_env(), check=False).kind


def check_file(path: str | os.PathLike[str], limits: Limits | None = None) -> str:
    """The whole gate: sniff, then check_zip for xlsx/ods. Returns the kind for the reader."""
    return gate(path, limits).kind


def gate(path: str | os.PathLike[str], limits: Limits | None = None) -> GatedFile:
    """The whole gate, as check_file, keeping what it read so the readers need not open,
    read or inflate the file again."""
    return _classify(Path(path), limits or Limits.from_env(), check=True)


@dataclass
class GatedFile:
    """A file the gate let through: its kind and its bytes (read once, at most
    ``max_file_bytes``), and for a zip workbook the package with the parts already inflated."""

    path: Path
    kind: str
    data: bytes
    package: ZipPackage | None = None


def _classify(path: Path, limits: Limits, check: bool) -> GatedFile:
    try:
        st = path.stat()
    except OSError as exc:
        raise _refuse(path, f"无法打开文件（{os_error_text(exc)}）", "not_file") from None
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(path, "不是普通文件，无法作为工作簿读取", "not_file")
    if st.st_size == 0:
        raise _refuse(path, "文件为空（0 字节），请重新导出后提交", "empty")
    if st.st_size > limits.max_file_bytes:
        raise _refuse(
            path,
            f"文件过大（{human_size(st.st_size)}，上限 {human_size(limits.max_file_bytes)}），"
            "一张自评表通常不足 1 MB，请检查是否提交了正确的文件",
            "too_large",
        )
    # One read of the whole file: the gate and every reader after it work from these
    # bytes, so the file is opened once however many parts look at it.
    data = _read_whole(path, st.st_size, limits)
    if not data:
        raise _refuse(path, "文件为空（0 字节），请重新导出后提交", "empty")
    head = data[:HEAD_BYTES] if len(data) > HEAD_BYTES else data

    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        def work() -> GatedFile:
            package = ZipPackage(path, data)
            return GatedFile(path, _zip_kind(package, limits if check else None), data, package)

        return _open_zip(path, work)
    if head.startswith(_OLE_MAGIC):
        return GatedFile(path, _sniff_ole(path, limits if check else None), data)
    if head.startswith(b"PK"):
        raise _refuse(path, "文件已损坏（压缩结构不完整），请重新导出后提交", "corrupt")
    for signature, reason in _BINARY_SIGNATURES:
        if head.startswith(signature):
            raise _refuse(path, reason, "not_spreadsheet")
    for signature, reason in _WEAK_SIGNATURES:
        if head.startswith(signature) and b"\x00" in head[:64]:
            raise _refuse(path, reason, "not_spreadsheet")
    if head.startswith(_OLD_BIFF):
        raise _refuse(
            path, "这是 Excel 4.0 或更早版本的工作簿，不再支持，请另存为 .xlsx 后重新提交", "unsupported"
        )
    return GatedFile(path, _sniff_text(path, head), data)


def _read_whole(path: Path, size: int, limits: Limits) -> bytes:
    """The file's bytes, at most ``max_file_bytes`` (refused past that, should it have
    grown since the stat). Sized by the stat, in as few system calls as can be: a
    buffered read of the bound would allocate all of it first, and every call costs the
    reader after us too."""
    try:
        # non-blocking and checked again once open: a file swapped for a FIFO or a device
        # after the stat must not hang the reader or feed it forever
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise _refuse(path, "不是普通文件，无法作为工作簿读取", "not_file")
            data = os.read(fd, size + 1)
            if len(data) != size:  # shorter or longer than the stat said: read to the end
                parts = [data]
                got = len(data)
                while got <= limits.max_file_bytes:
                    block = os.read(fd, min(limits.max_file_bytes + 1 - got, max(got, HEAD_BYTES)))
                    if not block:
                        break
                    parts.append(block)
                    got += len(block)
                data = b"".join(parts)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _refuse(path, f"无法读取文件（{os_error_text(exc)}）", "not_file") from None
    if len(data) > limits.max_file_bytes:
        raise _refuse(path, f"文件过大（上限 {human_size(limits.max_file_bytes)}），"
                            "一张自评表通常不足 1 MB，请检查是否提交了正确的文件", "too_large")
    return data


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


_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError,
               NotImplementedError, RuntimeError, zlib.error)


def _open_zip(path: Path, work):
    """Run ``work()``; any zip or inflate failure is a damaged file."""
    try:
        return work()
    except ReadError:
        raise
    except _ZIP_ERRORS:
        raise _refuse(path, "文件已损坏（压缩结构不完整或被截断），请重新导出后提交", "corrupt") from None


def _zip_kind(package: ZipPackage, limits: Limits | None) -> str:
    """The spreadsheet kind of a zip; with ``limits``, also run the zip checks on it."""
    kind = _zip_spreadsheet_kind(package)
    if limits is not None:
        _check_zip_contents(package, limits, kind)
    return kind


def _zip_spreadsheet_kind(package: ZipPackage) -> str:
    path, names = package.path, package.names
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        raise _refuse(
            path, "不支持 .xlsb 二进制工作簿，请在 Excel 中另存为 .xlsx 后重新提交", "unsupported"
        )
    if "mimetype" in names:
        mimetype = _read_bounded(package.zip, "mimetype", 200).strip()
        if mimetype == b"application/vnd.oasis.opendocument.spreadsheet":
            return "ods"
        if mimetype.startswith(b"application/vnd.oasis.opendocument"):
            raise _refuse(
                path, "文件是 OpenDocument 文本或演示文稿，不是电子表格文件，请提交工作簿", "not_spreadsheet"
            )
    if "word/document.xml" in names:
        raise _refuse(path, "文件内容是 Word 文档，不是电子表格文件，请提交 Excel 工作簿", "not_spreadsheet")
    if "ppt/presentation.xml" in names:
        raise _refuse(
            path, "文件内容是 PowerPoint 演示文稿，不是电子表格文件，请提交 Excel 工作簿", "not_spreadsheet"
        )
    raise _refuse(path, "文件是 zip 压缩包但不是电子表格，请解压后提交其中的工作簿", "not_spreadsheet")


def _sniff_ole(path: Path, limits: Limits | None) -> str:
    """.xls, or an encrypted OOXML workbook, or another Office file; with ``limits``, also
    check the .xls's cells (see _check_xls)."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
            if "EncryptedPackage" in streams:
                raise _refuse(path, "文件已加密，请去除密码后重新提交", "encrypted")
            book = "Workbook" if "Workbook" in streams else "Book" if "Book" in streams else None
            biff = ole.openstream(book).read() if book else b""
    except ReadError:
        raise
    except Exception:  # olefile raises a zoo of types on damaged containers
        raise _refuse(path, "文件已损坏（OLE 结构无法解析），请重新导出后提交", "corrupt") from None
    if book:
        _check_xls(path, biff, limits)
        return "xls"
    if "WordDocument" in streams:
        raise _refuse(path, "文件内容是 Word 文档，不是电子表格文件，请提交 Excel 工作簿", "not_spreadsheet")
    if "PowerPoint Document" in streams:
        raise _refuse(path, "文件内容是 PowerPoint 演示文稿，不是电子表格文件，请提交 Excel 工作簿", "not_spreadsheet")
    raise _refuse(path, "文件是 Office 容器但不含工作簿，不是电子表格文件", "not_spreadsheet")


# BIFF records that put a value in a cell: row and column are their first two u16 fields.
# (BLANK/MULBLANK only format a cell; calamine leaves them out of the range.)
_BIFF_VALUE_CELLS = {0x00FD, 0x0203, 0x027E, 0x0006, 0x0204, 0x0205, 0x00D6}
_BIFF_MULRK, _BIFF_BOF, _BIFF_EOF, _BIFF_BOUNDSHEET, _BIFF_FILEPASS = 0x00BD, 0x0809, 0x000A, 0x0085, 0x002F
_BIFF_MERGEDCELLS = 0x00E5


def _check_xls(path: Path, data: bytes, limits: Limits | None) -> None:
    """Walk the BIFF records: FILEPASS in the globals means an open password; with
    ``limits``, each worksheet's last used row and column and the sheet count are checked.

    calamine builds a dense range over a sheet's value cells before anyone can look at
    it: a 6 KB .xls with cells at A1 and IV65536 costs a gigabyte. The walk takes about
    0.5 ms for a real 50 KB export. (Record headers stay clear under BIFF encryption.)
    """
    unpack = struct.unpack_from
    names: list[str] = []
    n_sheets = 0
    in_sheet = False
    max_row = max_col = merges = 0
    pos, end = 0, len(data) - 4
    while pos <= end:
        typ, size = unpack("<HH", data, pos)
        body = pos + 4
        if typ in _BIFF_VALUE_CELLS and size >= 4:
            row, col = unpack("<HH", data, body)
            if row >= max_row:
                max_row = row + 1
            if col >= max_col:
                max_col = col + 1
        elif typ == _BIFF_MULRK and size >= 6:
            row, = unpack("<H", data, body)
            last_col, = unpack("<H", data, body + size - 2)
            max_row, max_col = max(max_row, row + 1), max(max_col, last_col + 1)
        elif typ == _BIFF_FILEPASS:
            raise _refuse(path, "文件已加密，请去除密码后重新提交", "encrypted")
        elif typ == _BIFF_BOF and size >= 4:
            if limits is None and pos > 0:
                return  # past the globals: sniffing needs no more
            # every substream but the globals (5) and VB modules (6): worksheets (0x10),
            # and Excel 4.0 macro sheets (0x40) and charts (0x20), which calamine reads too
            in_sheet = unpack("<H", data, body + 2)[0] not in (0x0005, 0x0006)
            if in_sheet and limits is not None:
                n_sheets += 1
                if n_sheets > limits.max_sheets:
                    raise _refuse(path, f"工作簿有超过 {limits.max_sheets} 个工作表，远超正常规模，拒绝读取",
                                  "too_many_sheets")
            max_row = max_col = merges = 0
        elif typ == _BIFF_EOF and in_sheet and limits is not None:
            sheet = names[n_sheets - 1] if n_sheets <= len(names) else f"第 {n_sheets} 个工作表"
            refusal = (too_many_cells_error(path, sheet, max_row, max_col, limits)
                       or too_many_merges_error(path, sheet, merges, limits))
            if refusal:
                raise refusal
            in_sheet = False
        elif typ == _BIFF_MERGEDCELLS and size >= 2 and limits is not None:
            merges += unpack("<H", data, body)[0]
        elif typ == _BIFF_BOUNDSHEET and size >= 8:
            names.append(_biff_sheet_name(data[body + 6:body + size]))
        pos = body + size


def _biff_sheet_name(raw: bytes) -> str:
    """BOUNDSHEET's ShortXLUnicodeString: length, flags, then Latin-1 or UTF-16 chars."""
    if len(raw) < 2:
        return "?"
    length, flags = raw[0], raw[1]
    if flags & 1:
        return raw[2:2 + 2 * length].decode("utf-16-le", "replace")
    return raw[2:2 + length].decode("latin-1")


_TEXT_CONTENT_HINTS: list[tuple[bytes, str]] = [
    (b"<html", "文件内容是网页（HTML），不是真正的 Excel 文件，请用 Excel 打开后另存为 .xlsx 再提交"),
    (b"<!doctype html", "文件内容是网页（HTML），不是真正的 Excel 文件，请用 Excel 打开后另存为 .xlsx 再提交"),
    (b"<table", "文件内容是网页（HTML），不是真正的 Excel 文件，请用 Excel 打开后另存为 .xlsx 再提交"),
    (b"urn:schemas-microsoft-com:office:spreadsheet",
     "文件是 Excel 2003 XML 格式，不再支持，请用 Excel 打开后另存为 .xlsx 再提交"),
]


def decode_text(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) for UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None


def _decodes_as_text_head(head: bytes) -> bool:
    """Whether a file's first bytes are text: a multi-byte char may be cut at the end."""
    import codecs

    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        if b"\x00" in head:
            return False
        encodings = ["utf-8-sig", "gb18030"]
    for encoding in encodings:
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _sniff_text(path: Path, head: bytes) -> str:
    lowered = head[:4096].lstrip().lower()
    if not _decodes_as_text_head(head):
        if path.suffix.lower() in TEXT_EXTENSIONS and b"\x00" not in head:
            raise _refuse(path, "无法识别文本文件的编码（支持 UTF-8、UTF-16、GB18030），请另存为 UTF-8 后重新提交",
                          "encoding")
        raise _refuse(path, "文件内容无法识别，不是电子表格文件，请提交 Excel 工作簿", "not_spreadsheet")
    if lowered.startswith(b"<"):  # markup, not a table of text
        for marker, reason in _TEXT_CONTENT_HINTS:
            if marker in lowered:
                raise _refuse(path, reason, "unsupported")
    ext = path.suffix.lower()
    if ext not in TEXT_EXTENSIONS:
        shown = ext or "（无扩展名）"
        raise _refuse(
            path, f"文件扩展名为 {shown}，但内容是纯文本，不是电子表格文件，请提交 Excel 工作簿", "not_spreadsheet"
        )
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    sample = head.decode("utf-16", "ignore") if utf16 else head.decode("latin-1")
    if "\t" not in sample and "," not in sample:
        raise _refuse(path, "文本文件中没有用制表符或逗号分隔的表格，无法作为自评表读取", "not_spreadsheet")
    return "text"


# --- the zip gate ------------------------------------------------------------------------


def _read_bounded(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with zf.open(name) as fh:
        return fh.read(limit)


def check_zip(path: str | os.PathLike[str], limits: Limits | None = None, kind: str | None = None) -> None:
    """Refuse a zip workbook (xlsx/ods) that would cost a reader too much, before it opens.

    Checks, in order of cost: the central directory (member count, declared sizes, ratio,
    total, encrypted members), the XML prologs of every XML part (no DOCTYPE/ENTITY), the
    number of sheets, and each sheet's real used area, found by scanning the sheet XML in
    bounded chunks (the <dimension> tag is checked too, as openpyxl trusts it, but it does
    not stand for the cells).
    """
    limits = limits or Limits.from_env()
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _refuse(path, f"无法打开文件（{os_error_text(exc)}）", "not_file") from None
    data = _read_whole(path, size, limits)

    def work() -> None:
        package = ZipPackage(path, data)
        _check_zip_contents(package, limits, kind or _zip_spreadsheet_kind(package))

    _open_zip(path, work)


def _check_zip_contents(package: ZipPackage, limits: Limits, kind: str) -> None:
    """Every XML part is inflated once by our own inflater: its real size must be the
    declared one (readers trust the stream, not the directory), its prolog may not declare
    entities, and a sheet's cells are scanned for the used area on the way. Parts of at
    most CHUNK_BYTES are inflated whole, larger ones in chunks."""
    path, infos = package.path, package.members
    _check_directory(path, infos, limits)
    sheets = xlsx_sheet_members(package, limits) if kind == "xlsx" else {}
    parts = package.parts
    for name, xml in list(parts.items()):  # inflated already (workbook.xml, its relationships)
        if kind == "xlsx" and b"sheetData" in xml:  # a <sheet r:id> may point even there
            _check_xlsx_sheet(path, (xml,), sheets.get(name, name), limits, whole=True)
    for info in infos:
        name = info.filename
        if name in parts or name[-1:] == "/" or not _is_xml_part(package, info, sheets):
            continue  # already checked; or images, vbaProject.bin: no reader parses them as XML
        if info.file_size <= CHUNK_BYTES and info.compress_type in _WHOLE_INFLATE:
            xml = package._inflate_whole_xml(info)
            if name in sheets or name in KEPT_PARTS:
                parts[name] = xml
            if name in sheets:
                _check_xlsx_sheet(path, (xml,), sheets[name], limits, whole=True)
            elif kind == "ods" and name == "content.xml":
                _check_ods_sheets(path, (xml,), limits)
            elif kind == "xlsx" and b"sheetData" in xml:
                # cells in a part the workbook does not list as a sheet (a <sheet r:id>
                # pointing there in a way we did not resolve): calamine may still read it
                _check_xlsx_sheet(path, (xml,), name, limits, whole=True)
            continue
        chunks = package.xml_chunks(info)
        if name in sheets:
            _check_xlsx_sheet(path, chunks, sheets[name], limits)
        elif kind == "ods" and name == "content.xml":
            _check_ods_sheets(path, chunks, limits)
        else:
            tail = b""
            for chunk in chunks:
                if kind == "xlsx" and (b"sheetData" in chunk or b"sheetData" in tail + chunk[:16]):
                    _check_xlsx_sheet(path, package.xml_chunks(info), name, limits)
                    break
                tail = chunk[-16:]


_XML_SUFFIXES = (".xml", ".rels", ".vml")
#: Compressions our own inflater reads (others go through zipfile's reader).
_WHOLE_INFLATE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
#: Small parts the readers look at again after the gate: kept inflated on the package.
KEPT_PARTS = frozenset({"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                        "xl/sharedStrings.xml"})


def _is_xml_part(package: ZipPackage, info: zipfile.ZipInfo, sheets: dict[str, str]) -> bool:
    if info.filename.endswith(_XML_SUFFIXES) or info.filename in sheets:
        return True
    if info.file_size == 0:
        return False
    head = package.member_head(info, 64)
    return head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").startswith(b"<")


def _check_directory(path: Path, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > limits.max_zip_members:
        raise _refuse(
            path, f"工作簿内部文件数量异常（{len(infos)} 个，上限 {limits.max_zip_members}），拒绝读取", "zip_bomb"
        )
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _refuse(path, "文件已加密，请去除密码后重新提交", "encrypted")
        total += info.file_size
        if info.file_size > limits.ratio_floor_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_member_ratio:
                raise _refuse(
                    path,
                    f"工作簿内部数据压缩比异常（{info.filename} 解压后 {human_size(info.file_size)}，"
                    f"放大 {ratio:.0f} 倍），疑似压缩炸弹，拒绝读取",
                    "zip_bomb",
                )
    if total > limits.max_uncompressed_bytes:
        raise _refuse(
            path,
            f"工作簿解压后过大（{human_size(total)}，上限 {human_size(limits.max_uncompressed_bytes)}），拒绝读取",
            "too_large",
        )


_PROLOG_SKIP = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_ROOT_START = re.compile(rb"<[A-Za-z_]")
# The usual head of a part (optional BOM, XML declaration, whitespace, root tag): safe at a
# glance. "[^<>]" keeps the declaration from running past its own "?>".
_PLAIN_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?(?:<\?xml[^<>]{0,512}\?>)?[ \t\r\n]*<[A-Za-z_]")


def _is_utf16(head: bytes) -> bool:
    return head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:4].count(b"\x00") >= 2


def _check_prolog(path: Path, name: str, head: bytes) -> None:
    """Refuse a DOCTYPE: it is the only place an XML part can declare entities."""
    if _PLAIN_PROLOG.match(head):
        return  # an XML declaration (or none), then the root element: nothing to declare in
    if _is_utf16(head):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head.strip():
        return  # an empty part is the reader's to judge
    pos = 0
    while True:
        m = _PROLOG_SKIP.match(head, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
    rest = head[pos:pos + 16]
    if rest.upper().startswith((b"<!DOCTYPE", b"<!ENTITY")):
        raise _refuse(
            path,
            f"工作簿内部 XML（{name}）含有 DOCTYPE/实体声明，可能是外部实体注入或实体膨胀攻击，拒绝读取",
            "unsafe_xml",
        )
    if not _ROOT_START.match(rest):
        # A prolog padded past the first chunk (a huge comment) could hide a DOCTYPE.
        raise _refuse(path, f"工作簿内部 XML（{name}）开头异常，文件已损坏或被篡改，拒绝读取", "corrupt")


class ZipPackage:
    """A zip workbook held in memory: its directory, and its members inflated by our own
    inflater from slices of the bytes (no seek/read per member, no second open).

    Parts the gate inflated whole and that readers need again (the workbook, its
    relationships, styles, sheets) stay in ``parts``, so nobody inflates them twice.
    """

    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        self.data = data
        self.view = memoryview(data)
        self._zip: zipfile.ZipFile | None = None
        members = _plain_directory(data)
        if members is None:  # anything unusual: zipfile's own reading of the directory
            members = self.zip.infolist()
        #: the directory's entries, in order (zipfile.ZipInfo or the same fields)
        self.members: list[zipfile.ZipInfo | _Member] = members
        #: name -> entry (the last one of a name, as zipfile)
        self.names = {info.filename: info for info in members}
        #: member name -> inflated, checked bytes
        self.parts: dict[str, bytes] = {}

    @property
    def zip(self) -> zipfile.ZipFile:
        """zipfile's view of the same bytes, for what our inflater does not do (bzip2,
        lzma, reading by name); opened on first use."""
        if self._zip is None:
            self._zip = zipfile.ZipFile(io.BytesIO(self.data))
        return self._zip

    def _zip_info(self, info: zipfile.ZipInfo | _Member) -> zipfile.ZipInfo:
        return self.zip.filelist[info.index] if isinstance(info, _Member) else info

    def inflates_whole(self, info: zipfile.ZipInfo) -> bool:
        return info.compress_type in _WHOLE_INFLATE

    def _data_offset(self, info: zipfile.ZipInfo) -> int:
        start = info.header_offset
        if start < 0 or start + 30 > len(self.data):
            raise zipfile.BadZipFile("bad local header")
        signature, name_len, extra_len = _LOCAL_HEADER.unpack_from(self.data, start)
        if signature != b"PK\x03\x04":
            raise zipfile.BadZipFile("bad local header")
        return start + 30 + name_len + extra_len

    def member_head(self, info: zipfile.ZipInfo | _Member, size: int) -> bytes:
        """The first ``size`` inflated bytes of a member (to tell XML from binary)."""
        if not self.inflates_whole(info):
            return _read_bounded(self.zip, info.filename, size)
        pos = self._data_offset(info)
        if info.compress_type == zipfile.ZIP_STORED:
            return self.data[pos:pos + min(size, info.compress_size)]
        raw = self.data[pos:pos + min(info.compress_size, size + 4096)]
        return zlib.decompressobj(-15).decompress(raw, size)

    def xml(self, info: zipfile.ZipInfo | str, keep: bool = True) -> bytes:
        """A whole XML part, size, CRC and prolog checked; inflated once when ``keep``."""
        if isinstance(info, str):
            if info in self.parts:
                return self.parts[info]
            info = self.names[info]
        elif info.filename in self.parts:
            return self.parts[info.filename]
        if info.file_size <= CHUNK_BYTES and self.inflates_whole(info):
            xml = self._inflate_whole_xml(info)
        else:
            xml = b"".join(self.xml_chunks(info))
        if keep:
            self.parts[info.filename] = xml
        return xml

    def _inflate_whole_xml(self, info: zipfile.ZipInfo) -> bytes:
        """A small XML member in one inflate call, bounded at its declared size (+1 to see
        a bomb), with the checks of xml_chunks in the same order (bomb, prolog, size/CRC).

        A member deflated to the very same bytes as one that passed these checks before
        (the theme, styles and relationships of every file from one template or exporter)
        is not inflated again: see :class:`_PassedMembers`.
        """
        pos = self._data_offset(info)
        size = info.file_size
        raw = self.view[pos:pos + info.compress_size]  # a view: no copy of the deflated bytes
        if len(raw) != info.compress_size:
            raise zipfile.BadZipFile("member data cut short")
        key = _PASSED.key(raw, info) if size <= _PassedMembers.MAX_BYTES else None
        if key is not None and (out := _PASSED.get(key)) is not None:
            return out
        out = zlib.decompressobj(-15).decompress(raw, size + 1) if info.compress_type else bytes(raw)
        if len(out) > size:
            raise _bomb(self.path, info)
        if not _PLAIN_PROLOG.match(out):
            _check_prolog(self.path, info.filename, out)
        if len(out) != size or zlib.crc32(out) != info.CRC:
            raise zipfile.BadZipFile("member size or CRC differs from the directory")
        if key is not None:
            _PASSED.passed(key, out)
        return out

    def _inflate(self, info: zipfile.ZipInfo):
        """A member's inflated bytes in blocks of at most CHUNK_BYTES.

        Readers inflate the whole deflate stream whatever the directory declares, so the
        real size is counted here and a member that inflates past its declared size is
        refused as a bomb; the CRC is checked at the end. (ZipFile.open would stop at the
        declared size and costs tens of microseconds a member.)
        """
        if not self.inflates_whole(info):
            with self.zip.open(self._zip_info(info)) as fh:  # bzip2/lzma: zipfile's reader stops at the declared size
                while block := fh.read(CHUNK_BYTES):
                    yield block
            return
        pos = self._data_offset(info)
        end = pos + info.compress_size
        if end > len(self.data):
            raise zipfile.BadZipFile("member data cut short")
        inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        produced = crc = 0
        while True:
            if inflater is not None and inflater.unconsumed_tail:
                raw = inflater.unconsumed_tail
            elif pos < end:
                raw = self.data[pos:min(pos + CHUNK_BYTES, end)]
                pos += len(raw)
            else:
                break
            out = inflater.decompress(raw, CHUNK_BYTES) if inflater is not None else raw
            produced += len(out)
            if produced > info.file_size:
                raise _bomb(self.path, info)
            crc = zlib.crc32(out, crc)
            if out:
                yield out
            if inflater is not None and inflater.eof:
                break
        if produced != info.file_size or crc != info.CRC:
            raise zipfile.BadZipFile("member size or CRC differs from the directory")

    def xml_chunks(self, info: zipfile.ZipInfo):
        """An XML member's bytes in chunks cut just before a "<", so no tag spans two
        chunks; the first chunk's prolog is checked before anything else sees it."""
        if info.filename in self.parts:
            yield self.parts[info.filename]
            return
        carry = b""
        first = True
        for block in self._inflate(info):
            if first:
                _check_prolog(self.path, info.filename, block)
                first = False
            data = carry + block if carry else block
            cut = data.rfind(b"<")
            if cut <= 0:
                carry = b""
                yield data
            else:
                carry = data[cut:]
                yield data[:cut]
        if carry:
            yield carry


class _PassedMembers:
    """Small members that passed the inflate checks, by a digest of their deflated bytes.

    The checks (inflated size, prolog, CRC) depend only on those bytes and the directory's
    declared size, CRC and method, which are in the key; the digest is a cryptographic
    one, so a crafted member cannot pass for another (a CRC could be forged). A member is
    kept once it has been seen twice, so the parts unique to each file (sheets, shared
    strings) do not push out the ones that recur; both tables are bounded.
    """

    MAX_BYTES = 64 * 1024
    MAX_KEPT = 64
    MAX_SEEN = 4096

    def __init__(self) -> None:
        self.seen: set[tuple] = set()
        self.kept: dict[tuple, bytes] = {}

    @staticmethod
    def key(raw: memoryview, info: zipfile.ZipInfo) -> tuple:
        return (hashlib.blake2b(raw, digest_size=16).digest(), info.file_size, info.CRC,
                info.compress_type)

    def get(self, key: tuple) -> bytes | None:
        return self.kept.get(key)

    def passed(self, key: tuple, inflated: bytes) -> None:
        if key not in self.seen:
            if len(self.seen) >= self.MAX_SEEN:
                self.seen.clear()
            self.seen.add(key)
        else:
            if len(self.kept) >= self.MAX_KEPT:
                try:
                    del self.kept[next(iter(self.kept))]  # the oldest
                except (KeyError, RuntimeError, StopIteration):
                    pass  # another thread evicted it first: the bound still holds roughly
            self.kept[key] = inflated


_PASSED = _PassedMembers()

_LOCAL_HEADER = struct.Struct("<4s22xHH")
_END_RECORD = struct.Struct("<4s4H2LH")
_CENTRAL_ENTRY = struct.Struct("<4s4B4HL2L5H2L")


class _Member:
    """The fields of a zip directory entry that the gate and readers use, as in
    zipfile.ZipInfo, plus its position in the directory."""

    __slots__ = ("filename", "flag_bits", "compress_type", "CRC", "compress_size", "file_size",
                 "header_offset", "index")

    def is_dir(self) -> bool:
        return self.filename[-1:] == "/"


def _plain_directory(data: bytes) -> list[_Member] | None:
    """The entries of a plain zip's central directory, read as zipfile reads them, or None
    for anything else (an archive comment, data before the zip, zip64, multiple disks,
    an odd extra field, a version zipfile refuses), which zipfile then reads itself.

    Every workbook an office suite writes is plain; zipfile's reader builds a full ZipInfo
    per entry and costs as much again as the rest of the directory checks.
    """
    end_at = len(data) - 22
    if end_at < 0:
        return None
    signature, disk, cd_disk, n_disk, n_total, cd_size, cd_offset, comment = _END_RECORD.unpack_from(data, end_at)
    if (signature != b"PK\x05\x06" or comment or disk or cd_disk or n_disk != n_total
            or cd_offset + cd_size != end_at or data[end_at - 20:end_at - 16] == b"PK\x06\x07"):
        return None
    members = []
    pos = cd_offset
    while pos < end_at:
        if pos + 46 > end_at:
            return None
        (magic, _, _, extract_version, _, flags, method, _, _, crc, compress_size, size, name_len, extra_len,
         comment_len, _, _, _, offset) = _CENTRAL_ENTRY.unpack_from(data, pos)
        name_at = pos + 46
        pos = name_at + name_len + extra_len + comment_len
        if (magic != b"PK\x01\x02" or extract_version > zipfile.MAX_EXTRACT_VERSION or pos > end_at
                or 0xFFFFFFFF in (compress_size, size, offset)):
            return None
        if extra_len and not _plain_extra(data[name_at + name_len:name_at + name_len + extra_len]):
            return None
        name = data[name_at:name_at + name_len].decode("utf-8" if flags & 0x800 else "cp437")
        member = _Member()
        member.filename = name.partition("\x00")[0]  # as ZipInfo: a name ends at a NUL
        member.flag_bits, member.compress_type, member.CRC = flags, method, crc
        member.compress_size, member.file_size, member.header_offset = compress_size, size, offset
        member.index = len(members)
        members.append(member)
    return members


def _plain_extra(extra: bytes) -> bool:
    """Well-formed extra fields (zipfile refuses others), none of them zip64."""
    while len(extra) >= 4:
        kind, size = struct.unpack_from("<HH", extra)
        if size + 4 > len(extra) or kind == 1:
            return False
        extra = extra[size + 4:]
    return True


def _bomb(path: Path, info: zipfile.ZipInfo) -> ReadError:
    return _refuse(path, f"工作簿内部数据（{info.filename}）解压后超过其声明的大小，疑似压缩炸弹，拒绝读取",
                   "zip_bomb")


def too_many_merges_error(path: Path | str, sheet: str, count: int, limits: Limits) -> ReadError | None:
    """The refusal for a sheet with ``count`` merged ranges, if over the limit."""
    if count <= limits.max_merged_ranges:
        return None
    return _refuse(path, f"工作表“{sheet}”有 {count} 个合并单元格区域（上限 {limits.max_merged_ranges} 个），"
                         "远超一张自评表的规模，拒绝读取", "too_many_cells")


def too_many_cells_error(path: Path | str, sheet: str, rows: int, cols: int, limits: Limits) -> ReadError | None:
    """The refusal for a sheet whose used area reaches row ``rows`` / column ``cols``, if any."""
    if rows > limits.max_rows:
        what = f"用到第 {rows} 行（上限 {limits.max_rows} 行）"
    elif cols > limits.max_cols:
        what = f"用到第 {cols} 列（上限 {limits.max_cols} 列）"
    elif rows * cols > limits.max_cells_per_sheet:
        what = f"使用区域 {rows} 行 × {cols} 列（上限 {limits.max_cells_per_sheet} 个单元格）"
    else:
        return None
    return _refuse(path, f"工作表“{sheet}”{what}，远超一张自评表的规模，拒绝读取", "too_many_cells")


# Attribute runs are bounded ({0,2048}): an unbounded [^>]* restarted at every "<" of a
# tag soup without ">" would make these scans quadratic.
_XLSX_SHEET_TAG = re.compile(rb'<(?:\w+:)?sheet\s[^<>]{0,2048}?\bname\s*=\s*["\']([^"\'<>]*)["\']'
                             rb'[^<>]{0,2048}?\br:id\s*=\s*["\']([^"\'<>]*)["\']')
_XLSX_SHEET_TAG_ANY = re.compile(rb"<(?:\w+:)?sheet\s")
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\s[^<>]{0,4096}>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
# XML allows either quote and spaces around "=": what the gate must read as calamine does
# (a single-quoted r='XFD1048576' passed it unseen)
_ATTR_ANY_QUOTE = re.compile(rb'([\w:]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
# Row and cell start tags; a self-closing cell is empty (calamine skips it).
_XLSX_CELL_REF_FIRST = re.compile(rb'<c r="([A-Z]{1,4})([0-9]{1,9})"')
_XLSX_ROW_OR_CELL = re.compile(rb"<(?:\w+:)?(row|c)(?=[\s/>])([^<>]{0,2048}?)(/?)>")
_XLSX_CELL_REF = re.compile(rb'\sr\s*=\s*["\']\$?([A-Za-z]{1,4})\$?([0-9]{1,9})["\']')
_XLSX_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref\s*=\s*["\']([^"\'<>]*)["\']')
_XLSX_ROW_REF = re.compile(rb'\sr\s*=\s*["\']([0-9]{1,9})["\']')
_XLSX_ROW_TAG = re.compile(rb"<(?:\w+:)?row(?=[\s/>])([^<>]{0,2048}?)>")


def column_number(letters: bytes) -> int:
    """b"A" -> 1, b"XFD" -> 16384."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def xlsx_sheet_members(package: ZipPackage, limits: Limits) -> dict[str, str]:
    """{member: sheet name} for every sheet part, by the workbook's relationships and by
    location (a part the workbook does not list is still scanned); refuses too many."""
    names = package.names
    rels = names.get("xl/_rels/workbook.xml.rels")
    listed, n_sheet_tags = _listed_sheets(package.xml("xl/workbook.xml"), package.xml(rels) if rels else b"")
    members = {n: n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")
               and "/_rels/" not in n}
    for member, name in listed:
        if member in names:
            members[member] = name
    n_sheets = max(len(members), n_sheet_tags)
    if n_sheets > limits.max_sheets:
        raise _refuse(
            package.path, f"工作簿有 {n_sheets} 个工作表（上限 {limits.max_sheets} 个），远超正常规模，拒绝读取",
            "too_many_sheets",
        )
    return members


# Files of one batch mostly come from one template or one exporter, with the very same
# workbook.xml and relationships: their parse is kept, keyed by those bytes.
@functools.lru_cache(maxsize=256)
def _listed_sheets(workbook: bytes, rels_xml: bytes) -> tuple[tuple[tuple[str, str], ...], int]:
    """((member, sheet name) for each <sheet> whose r:id has a target), and the number of
    <sheet> tags."""
    targets: dict[bytes, str] = {}
    for tag in _REL_TAG.findall(rels_xml):
        attrs = {k: a or b for k, a, b in _ATTR_ANY_QUOTE.findall(tag)}
        target = attrs.get(b"Target", b"").decode("utf-8", "replace")
        if target.startswith("/"):
            member = target.lstrip("/")
        else:
            member = _normalized_target(target)
        targets[attrs.get(b"Id", b"")] = member
    listed = tuple((targets[rid], name.decode("utf-8", "replace"))
                   for name, rid in _XLSX_SHEET_TAG.findall(workbook) if rid in targets)
    return listed, len(_XLSX_SHEET_TAG_ANY.findall(workbook))


@functools.lru_cache(maxsize=1024)
def _normalized_target(target: str) -> str:
    """A relationship target relative to xl/ as a member name (the same few every file)."""
    return posixpath.normpath(posixpath.join("xl", target))


def _check_xlsx_sheet(path: Path, chunks, sheet: str, limits: Limits, whole: bool = False) -> None:
    """Refuse a sheet whose cells reach past the limits. ``whole``: ``chunks`` is the whole
    sheet in one piece, so the quick bound below may answer for all of it."""
    max_row = max_col = merges = 0
    state = [0, 0]  # current row and column, for cells placed without a reference
    first = True
    for chunk in chunks:
        merges += chunk.count(b"<mergeCell ") + chunk.count(b":mergeCell ")
        refusal = too_many_merges_error(path, sheet, merges, limits)
        if refusal:
            raise refusal
        if first:
            if _is_utf16(chunk):
                # calamine reads such a sheet as empty; openpyxl would not: refuse both ways
                raise _refuse(path, f"工作表“{sheet}”使用 UTF-16 编码，不受支持，请用 Excel 另存为 .xlsx 后重新提交",
                              "unsupported")
            dimension = _check_dimension(path, chunk, sheet, limits)
            first = False
            if whole and _cells_within(chunk, dimension, limits):
                return
        # Fast path: every cell starts with its reference (Excel, WPS, LibreOffice and
        # xlsxwriter all write <c r="A1" ...>); the largest row and column over all cells,
        # empty ones included, bound the used area from above. Only when that bound breaks a
        # limit is the chunk placed exactly, empty styled cells left out as calamine does.
        refs = _XLSX_CELL_REF_FIRST.findall(chunk)
        if refs and not _odd_cell_tag(chunk, 4, 9):
            cols, rows = zip(*refs)
            bound_row = max(max_row, max(map(int, set(rows))))
            bound_col = max(max_col, max(map(column_number, set(cols))))
            if too_many_cells_error(path, sheet, bound_row, bound_col, limits) is None:
                max_row, max_col = bound_row, bound_col
                state[:] = _position_after(chunk, refs, state, max_row)
                continue
        max_row, max_col = _place_cells(chunk, max_row, max_col, state)
        refusal = too_many_cells_error(path, sheet, max_row, max_col, limits)
        if refusal:
            raise refusal


def _position_after(chunk: bytes, refs: list[tuple[bytes, bytes]], state: list[int], max_row: int) -> list[int]:
    """[row, column] where calamine stands after a chunk whose cells all have references:
    a later cell without one goes right of it. The row is its last row tag's number (or,
    for a row tag without one, an upper bound); the column the last cell's, if that cell
    comes after the last row tag."""
    row, row_at = state[0], -1
    n_tags = 0
    for n_tags, m in enumerate(_XLSX_ROW_TAG.finditer(chunk), start=1):
        row_at, attrs = m.start(), m.group(1)
    if row_at >= 0:
        ref = _XLSX_ROW_REF.search(attrs)
        row = int(ref.group(1)) if ref else max(max_row, state[0]) + n_tags
    col = column_number(refs[-1][0]) if chunk.rfind(b'<c r="') > row_at else 0 if row_at >= 0 else state[1]
    return [row, col]


def _odd_cell_tag(xml: bytes, letters: int, digits: int) -> bool:
    """Whether any cell start tag is other than ``<c r="`` + a reference of at most
    ``letters`` letters and ``digits`` digits: a prefixed <x:c>, a <c> without attributes
    or with another separator, another first attribute, a lower-case or $ reference."""
    return bool(_PREFIXED_CELL_TAG.search(xml) or _unprefixed_odd_cell_tag(letters, digits).search(xml))


# Two searches, not one alternation: each then starts with a literal that re skips to fast.
_PREFIXED_CELL_TAG = re.compile(rb":c[\s/>]")


@functools.lru_cache(maxsize=64)
def _unprefixed_odd_cell_tag(letters: int, digits: int) -> re.Pattern[bytes]:
    return re.compile(rb'<c(?:[\t\r\n/>]| (?!r="[A-Z]{1,%d}[0-9]{1,%d}"))' % (letters, digits))


_LARGEST_COLUMN = {1: 26, 2: 702, 3: 18278, 4: 475254}
_REF_SHAPE = re.compile(rb"\$?([A-Za-z]{1,4})\$?([0-9]{1,9})")


def _cells_within(xml: bytes, dimension: re.Match[bytes] | None, limits: Limits) -> bool:
    """True when a whole sheet's cells surely stay inside the limits, without reading them.

    The <dimension> ref (or, lacking one, the last cell) gives a shape: so many column
    letters and row digits. If every cell tag is ``<c r="...`` with a reference no longer
    than that (one regex search finds any other), then the last row is below 10^digits and
    the last column at most ZZ..Z, and that box is inside the limits. Any doubt answers
    False and the cells are placed one by one.
    """
    shape = dimension
    if shape is None:
        last = xml.rfind(b'<c r="')
        shape = _XLSX_CELL_REF_FIRST.match(xml, last) if last >= 0 else None
        if shape is None:
            return False
    letters, digits = len(shape.group(1)), len(shape.group(2))
    if too_many_cells_error("", "", 10 ** digits - 1, _LARGEST_COLUMN[letters], limits) is not None:
        return False
    return not _odd_cell_tag(xml, letters, digits)


def _find_dimension(xml: bytes) -> re.Match[bytes] | None:
    """_XLSX_DIMENSION.search, but jumping from one "dimension" to the next: the regex
    alone tries every "<" of a sheet that has none."""
    pos = xml.find(b"dimension")
    while pos >= 0:
        tag = _XLSX_DIMENSION.match(xml, xml.rfind(b"<", 0, pos))
        if tag and tag.start(1) > pos:
            return tag
        pos = xml.find(b"dimension", pos + 9)
    return None


def _check_dimension(path: Path, head: bytes, sheet: str, limits: Limits) -> re.Match[bytes] | None:
    """openpyxl in read-only mode trusts <dimension>: a huge claim is refused even though
    calamine ignores it. Returns the last cell of the claim, if any."""
    dimension = _find_dimension(head)
    if dimension:
        ref = _REF_SHAPE.fullmatch(dimension.group(1).split(b":")[-1])
        if ref:
            refusal = too_many_cells_error(path, sheet, int(ref.group(2)), column_number(ref.group(1)), limits)
            if refusal:
                raise refusal
            return ref
    return None


def _place_cells(chunk: bytes, max_row: int, max_col: int, state: list[int]) -> tuple[int, int]:
    """Place cells as calamine does when some lack r=: right of the previous cell, in a row
    placed by its own r= (or below the previous row). ``state`` carries [row, col] across
    chunks."""
    row, col = state
    for m in _XLSX_ROW_OR_CELL.finditer(chunk):
        tag, attrs, selfclosing = m.group(1), m.group(2), m.group(3)
        if tag == b"row":
            ref = _XLSX_ROW_REF.search(attrs)
            row = int(ref.group(1)) if ref else row + 1
            col = 0
            continue
        ref = _XLSX_CELL_REF.search(attrs)
        if ref:
            col = column_number(ref.group(1))
            cell_row = int(ref.group(2))
        else:
            col += 1
            cell_row = row
        if selfclosing:
            continue  # empty styled cell: calamine skips it
        max_row = max(max_row, cell_row)
        max_col = max(max_col, col)
    state[:] = [row, col]
    return max_row, max_col


_ODS_TAG = re.compile(
    rb"<(/?)(?:\w+:)?(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^<>]{0,4096}?)(/?)>"
)
_ODS_REPEAT = re.compile(rb'number-(rows|columns)-repeated\s*=\s*["\']([0-9]{1,12})["\']')
# <text:s text:c="1500000000"/>: that many spaces, which calamine builds as one string
_ODS_SPACES = re.compile(rb'<(?:\w+:)?s\s[^<>]{0,256}?\bc\s*=\s*["\']([0-9]{1,12})["\']')
#: spaces a cell's text may hold through <text:s>, and the whole document (a cell holds
#: at most 32,767 characters in Excel; no form pads more than a few)
_ODS_MAX_SPACES, _ODS_MAX_SPACES_TOTAL = 32_767, 1_000_000
_ODS_VALUE = re.compile(rb"value-type=|formula=")
_ODS_NAME = re.compile(rb'\bname="([^"]*)"')


def _check_ods_sheets(path: Path, chunks, limits: Limits) -> None:
    """Walk content.xml's table/row/cell tags, expanding repeat counts arithmetically.

    A cell counts as used when it has a value type, a formula or child content; repeated
    empty cells (LibreOffice pads every sheet with them) cost nothing.
    """
    n_sheets = 0
    sheet = ""
    row_index = row_repeat = 0
    col = used_rows = used_cols = 0

    def check_sheet() -> None:
        refusal = too_many_cells_error(path, sheet, used_rows, used_cols, limits)
        if refusal:
            raise refusal

    col_spans = row_spans = spaces = 0
    for chunk in chunks:
        for m in _ODS_SPACES.finditer(chunk):
            count = int(m.group(1))
            spaces += count
            if count > _ODS_MAX_SPACES or spaces > _ODS_MAX_SPACES_TOTAL:
                raise _refuse(path, f"表格中有异常多的连续空格（{count} 个），远超正常规模，拒绝读取",
                              "too_large")
        # a merged range is one cell spanning columns and/or rows (counted over the workbook)
        col_spans += chunk.count(b"number-columns-spanned=")
        row_spans += chunk.count(b"number-rows-spanned=")
        refusal = too_many_merges_error(path, sheet or "?", max(col_spans, row_spans), limits)
        if refusal:
            raise refusal
        for m in _ODS_TAG.finditer(chunk):
            closing, tag, attrs, selfclosing = m.group(1), m.group(2), m.group(3), m.group(4)
            if tag == b"table":
                if closing:
                    check_sheet()
                    continue
                n_sheets += 1
                if n_sheets > limits.max_sheets:
                    raise _refuse(
                        path, f"工作簿有超过 {limits.max_sheets} 个工作表，远超正常规模，拒绝读取", "too_many_sheets"
                    )
                name = _ODS_NAME.search(attrs)
                sheet = name.group(1).decode("utf-8", "replace") if name else f"第 {n_sheets} 个工作表"
                row_index = row_repeat = used_rows = used_cols = 0
            elif tag == b"table-row":
                if closing:
                    continue
                row_index += row_repeat  # the previous row (0 before the first)
                rep = _ODS_REPEAT.search(attrs)
                row_repeat = 0 if selfclosing else (int(rep.group(2)) if rep else 1)
                if selfclosing:
                    row_index += int(rep.group(2)) if rep else 1
                col = 0
            elif not closing:  # a cell
                rep = _ODS_REPEAT.search(attrs)
                cell_repeat = int(rep.group(2)) if rep else 1
                if _ODS_VALUE.search(attrs) or not selfclosing:
                    used_cols = max(used_cols, col + cell_repeat)
                    used_rows = max(used_rows, row_index + row_repeat)
                    if used_rows > limits.max_rows or used_cols > limits.max_cols \
                            or used_rows * used_cols > limits.max_cells_per_sheet:
                        check_sheet()
                col += cell_repeat
    check_sheet()

"""The gate: what a file really is, by its content, and whether a reader may open it.

The fast readers do not protect us, so everything here works from the file's bytes (read
once, at most ``max_file_bytes``) and never calls a spreadsheet reader. :func:`gate`
sniffs the real kind, runs the checks of that format (:mod:`.package` for a zip's
directory and parts, :mod:`.areas` for each sheet's used area) and hands what it read on
(:class:`GatedFile`), so the readers after it neither open the file nor inflate the parts
it kept a second time.
"""

from __future__ import annotations

import codecs
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from jixiao.errors import ReadError, os_error_text
from jixiao.io.safety.areas import check_ods_content, check_xls_records, check_xlsx_sheet, xlsx_sheet_members
from jixiao.io.safety.limits import Limits, human_size, refuse
from jixiao.io.safety.package import CHUNK_BYTES, KEPT_PARTS, PassedParts, ZipPackage, check_directory, is_utf16

#: Text tables are read only under these names; content decides everything else.
TEXT_EXTENSIONS = {".csv", ".tsv", ".txt"}
SPREADSHEET_EXTENSIONS = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlt", ".ods", ".ots"}
#: What a caller walking a folder should hand to the reader (anything else is skipped).
INPUT_EXTENSIONS = TEXT_EXTENSIONS | SPREADSHEET_EXTENSIONS
# How much of a file's head is read to tell text from binary and find the XML prolog.
HEAD_BYTES = 64 * 1024


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


def sniff(path: str | os.PathLike[str], limits: Limits | None = None) -> str:
    """The real kind of a file by its content: "xlsx", "ods", "xls" or "text".

    The extension only decides whether a text file is welcome (.csv/.tsv/.txt); a workbook
    renamed to another spreadsheet extension is still read by what it is. Raises ReadError
    for everything that is not a readable spreadsheet.
    """
    return _classify(Path(path), limits or Limits.from_env(), check=False).kind


def gate(path: str | os.PathLike[str], limits: Limits | None = None, *,
         passed: PassedParts | None = None) -> GatedFile:
    """The whole gate: sniff, then the checks of that kind (for a zip workbook its
    directory, every XML part's size and prolog, each sheet's used area). Keeps what it
    read, so the readers need not open, read or inflate the file again. ``passed``: the
    parts that passed in this run so far (:class:`PassedParts`), inflated only once."""
    return _classify(Path(path), limits or Limits.from_env(), check=True, passed=passed)


@dataclass
class GatedFile:
    """A file the gate let through: its kind and its bytes (read once, at most
    ``max_file_bytes``), and for a zip workbook the package with the parts already inflated."""

    path: Path
    kind: str
    data: bytes
    package: ZipPackage | None = None


def _classify(path: Path, limits: Limits, check: bool, passed: PassedParts | None = None) -> GatedFile:
    try:
        st = path.stat()
    except OSError as exc:
        raise refuse(path, f"无法打开文件（{os_error_text(exc)}）", "not_file") from None
    if not stat.S_ISREG(st.st_mode):
        raise refuse(path, "不是普通文件，无法作为工作簿读取", "not_file")
    if st.st_size == 0:
        raise refuse(path, "文件为空（0 字节），请重新导出后提交", "empty")
    if st.st_size > limits.max_file_bytes:
        raise refuse(
            path,
            f"文件过大（{human_size(st.st_size)}，上限 {human_size(limits.max_file_bytes)}），"
            "一张自评表通常不足 1 MB，请检查是否提交了正确的文件",
            "too_large",
        )
    # One read of the whole file: the gate and every reader after it work from these
    # bytes, so the file is opened once however many parts look at it.
    data = _read_whole(path, st.st_size, limits)
    if not data:
        raise refuse(path, "文件为空（0 字节），请重新导出后提交", "empty")
    head = data[:HEAD_BYTES] if len(data) > HEAD_BYTES else data

    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        def work() -> GatedFile:
            package = ZipPackage(path, data, passed)
            return GatedFile(path, _zip_kind(package, limits if check else None), data, package)

        return _open_zip(path, work)
    if head.startswith(_OLE_MAGIC):
        return GatedFile(path, _sniff_ole(path, data, limits if check else None), data)
    if head.startswith(b"PK"):
        raise refuse(path, "文件已损坏（压缩结构不完整），请重新导出后提交", "corrupt")
    for signature, reason in _BINARY_SIGNATURES:
        if head.startswith(signature):
            raise refuse(path, reason, "not_spreadsheet")
    for signature, reason in _WEAK_SIGNATURES:
        if head.startswith(signature) and b"\x00" in head[:64]:
            raise refuse(path, reason, "not_spreadsheet")
    if head.startswith(_OLD_BIFF):
        raise refuse(
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
                raise refuse(path, "不是普通文件，无法作为工作簿读取", "not_file")
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
        raise refuse(path, f"无法读取文件（{os_error_text(exc)}）", "not_file") from None
    if len(data) > limits.max_file_bytes:
        raise refuse(path, f"文件过大（上限 {human_size(limits.max_file_bytes)}），"
                            "一张自评表通常不足 1 MB，请检查是否提交了正确的文件", "too_large")
    return data


_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError,
               NotImplementedError, RuntimeError, zlib.error)


def _open_zip(path: Path, work):
    """Run ``work()``; any zip or inflate failure is a damaged file."""
    try:
        return work()
    except ReadError:
        raise
    except _ZIP_ERRORS:
        raise refuse(path, "文件已损坏（压缩结构不完整或被截断），请重新导出后提交", "corrupt") from None


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
        raise refuse(
            path, "不支持 .xlsb 二进制工作簿，请在 Excel 中另存为 .xlsx 后重新提交", "unsupported"
        )
    if "mimetype" in names:
        mimetype = package.member_head(names["mimetype"], 200).strip()
        if mimetype == b"application/vnd.oasis.opendocument.spreadsheet":
            return "ods"
        if mimetype.startswith(b"application/vnd.oasis.opendocument"):
            raise refuse(
                path, "文件是 OpenDocument 文本或演示文稿，不是电子表格文件，请提交工作簿", "not_spreadsheet"
            )
    if "word/document.xml" in names:
        raise refuse(path, "文件内容是 Word 文档，不是电子表格文件，请提交 Excel 工作簿", "not_spreadsheet")
    if "ppt/presentation.xml" in names:
        raise refuse(
            path, "文件内容是 PowerPoint 演示文稿，不是电子表格文件，请提交 Excel 工作簿", "not_spreadsheet"
        )
    raise refuse(path, "文件是 zip 压缩包但不是电子表格，请解压后提交其中的工作簿", "not_spreadsheet")


def _sniff_ole(path: Path, data: bytes, limits: Limits | None) -> str:
    """.xls, or an encrypted OOXML workbook, or another Office file; with ``limits``, also
    check the .xls's cells (see _check_xls)."""
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:  # the bytes the gate read: no second open
            streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
            if "EncryptedPackage" in streams:
                raise refuse(path, "文件已加密，请去除密码后重新提交", "encrypted")
            book = "Workbook" if "Workbook" in streams else "Book" if "Book" in streams else None
            biff = ole.openstream(book).read() if book else b""
    except ReadError:
        raise
    except Exception:  # olefile raises a zoo of types on damaged containers
        raise refuse(path, "文件已损坏（OLE 结构无法解析），请重新导出后提交", "corrupt") from None
    if book:
        check_xls_records(path, biff, limits)
        return "xls"
    if "WordDocument" in streams:
        raise refuse(path, "文件内容是 Word 文档，不是电子表格文件，请提交 Excel 工作簿", "not_spreadsheet")
    if "PowerPoint Document" in streams:
        raise refuse(path, "文件内容是 PowerPoint 演示文稿，不是电子表格文件，请提交 Excel 工作簿", "not_spreadsheet")
    raise refuse(path, "文件是 Office 容器但不含工作簿，不是电子表格文件", "not_spreadsheet")


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
            raise refuse(path, "无法识别文本文件的编码（支持 UTF-8、UTF-16、GB18030），请另存为 UTF-8 后重新提交",
                          "encoding")
        raise refuse(path, "文件内容无法识别，不是电子表格文件，请提交 Excel 工作簿", "not_spreadsheet")
    if lowered.startswith(b"<"):  # markup, not a table of text
        for marker, reason in _TEXT_CONTENT_HINTS:
            if marker in lowered:
                raise refuse(path, reason, "unsupported")
    ext = path.suffix.lower()
    if ext not in TEXT_EXTENSIONS:
        shown = ext or "（无扩展名）"
        raise refuse(
            path, f"文件扩展名为 {shown}，但内容是纯文本，不是电子表格文件，请提交 Excel 工作簿", "not_spreadsheet"
        )
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    sample = head.decode("utf-16", "ignore") if utf16 else head.decode("latin-1")
    if "\t" not in sample and "," not in sample:
        raise refuse(path, "文本文件中没有用制表符或逗号分隔的表格，无法作为自评表读取", "not_spreadsheet")
    return "text"


# --- the zip gate ------------------------------------------------------------------------


def _check_zip_contents(package: ZipPackage, limits: Limits, kind: str) -> None:
    """Every XML part is inflated once by our own inflater: its real size must be the
    declared one (readers trust the stream, not the directory), its prolog may not declare
    entities, and a sheet's cells are scanned for the used area on the way. Parts of at
    most CHUNK_BYTES are inflated whole, larger ones in chunks."""
    path, infos = package.path, package.members
    check_directory(path, infos, limits)
    sheets = xlsx_sheet_members(package, limits) if kind == "xlsx" else {}
    parts = package.parts
    for name, xml in list(parts.items()):  # inflated already (workbook.xml, its relationships)
        if kind == "xlsx" and b"sheetData" in xml:  # a <sheet r:id> may point even there
            check_xlsx_sheet(path, (xml,), sheets.get(name, name), limits, whole=True)
    for info in infos:
        name = info.filename
        if name in parts or name[-1:] == "/" or not _is_xml_part(package, info, sheets):
            continue  # already checked; or images, vbaProject.bin: no reader parses them as XML
        if info.file_size <= CHUNK_BYTES and package.inflates_whole(info):
            xml = package.xml(info, keep=name in sheets or name in KEPT_PARTS)
            if name in sheets:
                check_xlsx_sheet(path, (xml,), sheets[name], limits, whole=True)
            elif kind == "ods" and name == "content.xml":
                check_ods_content(path, (xml,), limits)
            elif kind == "xlsx" and b"sheetData" in xml:
                # cells in a part the workbook does not list as a sheet (a <sheet r:id>
                # pointing there in a way we did not resolve): calamine may still read it
                check_xlsx_sheet(path, (xml,), name, limits, whole=True)
            continue
        chunks = package.xml_chunks(info)
        if name in sheets:
            check_xlsx_sheet(path, chunks, sheets[name], limits)
        elif kind == "ods" and name == "content.xml":
            check_ods_content(path, chunks, limits)
        else:
            tail = b""
            for chunk in chunks:
                if kind == "xlsx" and (b"sheetData" in chunk or b"sheetData" in tail + chunk[:16]):
                    check_xlsx_sheet(path, package.xml_chunks(info), name, limits)
                    break
                tail = chunk[-16:]


_XML_SUFFIXES = (".xml", ".rels", ".vml")


def _is_xml_part(package: ZipPackage, info: zipfile.ZipInfo, sheets: dict[str, str]) -> bool:
    if info.filename.endswith(_XML_SUFFIXES) or info.filename in sheets:
        return True
    if info.file_size == 0:
        return False
    head = package.member_head(info, 64)
    if not head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").startswith(b"<"):
        return False
    # A binary part (vbaProject.bin, an image) may start with "<" by chance; XML is text.
    # Random bytes almost never decode; anything that does is checked as XML.
    encoding = "utf-16" if is_utf16(head) else "utf-8"
    try:
        codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True

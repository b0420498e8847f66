"""A zip workbook held in memory and inflated by a bounded inflater.

Readers inflate a member's whole deflate stream whatever the directory declares, so every
XML part is inflated here once: its real size must be the declared one, its prolog may
not declare entities (DOCTYPE: XXE, entity expansion), and the directory itself is
bounded (member count, declared sizes and ratios, encryption).
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

from jixiao.errors import ReadError
from jixiao.io.safety.limits import Limits, human_size, refuse

# Members are inflated in chunks of this size so memory stays flat whatever they claim.
CHUNK_BYTES = 256 * 1024
#: Compressions our own inflater reads (others go through zipfile's reader).
_WHOLE_INFLATE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
#: Small parts the readers look at again after the gate: kept inflated on the package.
KEPT_PARTS = frozenset({"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                        "xl/sharedStrings.xml"})


def check_directory(path: Path, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > limits.max_zip_members:
        raise refuse(
            path, f"工作簿内部文件数量异常（{len(infos)} 个，上限 {limits.max_zip_members}），拒绝读取", "zip_bomb"
        )
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise refuse(path, "文件已加密，请去除密码后重新提交", "encrypted")
        total += info.file_size
        if info.file_size > limits.ratio_floor_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_member_ratio:
                raise refuse(
                    path,
                    f"工作簿内部数据压缩比异常（{info.filename} 解压后 {human_size(info.file_size)}，"
                    f"放大 {ratio:.0f} 倍），疑似压缩炸弹，拒绝读取",
                    "zip_bomb",
                )
    if total > limits.max_uncompressed_bytes:
        raise refuse(
            path,
            f"工作簿解压后过大（{human_size(total)}，上限 {human_size(limits.max_uncompressed_bytes)}），拒绝读取",
            "too_large",
        )


_PROLOG_SKIP = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_ROOT_START = re.compile(rb"<[A-Za-z_]")
# The usual head of a part (optional BOM, XML declaration, whitespace, root tag): safe at a
# glance. "[^<>]" keeps the declaration from running past its own "?>".
_PLAIN_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?(?:<\?xml[^<>]{0,512}\?>)?[ \t\r\n]*<[A-Za-z_]")


def is_utf16(head: bytes) -> bool:
    return head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:4].count(b"\x00") >= 2


def _check_prolog(path: Path, name: str, head: bytes) -> None:
    """Refuse a DOCTYPE: it is the only place an XML part can declare entities."""
    if _PLAIN_PROLOG.match(head):
        return  # an XML declaration (or none), then the root element: nothing to declare in
    if is_utf16(head):
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
        raise refuse(
            path,
            f"工作簿内部 XML（{name}）含有 DOCTYPE/实体声明，可能是外部实体注入或实体膨胀攻击，拒绝读取",
            "unsafe_xml",
        )
    if not _ROOT_START.match(rest):
        # A prolog padded past the first chunk (a huge comment) could hide a DOCTYPE.
        raise refuse(path, f"工作簿内部 XML（{name}）开头异常，文件已损坏或被篡改，拒绝读取", "corrupt")


class ZipPackage:
    """A zip workbook held in memory: its directory, and its members inflated by our own
    inflater from slices of the bytes (no seek/read per member, no second open).

    Parts the gate inflated whole and that readers need again (the workbook, its
    relationships, styles, sheets) stay in ``parts``, so nobody inflates them twice.
    """

    def __init__(self, path: Path, data: bytes, passed: PassedParts | None = None) -> None:
        self.path = path
        self.data = data
        self.passed = passed
        self.view = memoryview(data)
        #: zipfile's view of the same bytes: its directory, and its reader for what our
        #: inflater does not do (bzip2, lzma)
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        #: the directory's entries, in order
        self.members: list[zipfile.ZipInfo] = self.zip.infolist()
        #: name -> entry (the last one of a name, as zipfile)
        self.names = {info.filename: info for info in self.members}
        #: member name -> inflated, checked bytes
        self.parts: dict[str, bytes] = {}

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

    def member_head(self, info: zipfile.ZipInfo, size: int) -> bytes:
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
        A member that passed them before in this run (``passed``) is not inflated again."""
        pos = self._data_offset(info)
        size = info.file_size
        raw = self.view[pos:pos + info.compress_size]  # a view: no copy of the deflated bytes
        if len(raw) != info.compress_size:
            raise zipfile.BadZipFile("member data cut short")
        key = self.passed.key(raw, info) if self.passed is not None and size <= PassedParts.MAX_BYTES else None
        if key is not None and (out := self.passed.kept.get(key)) is not None:
            return out
        out = zlib.decompressobj(-15).decompress(raw, size + 1) if info.compress_type else bytes(raw)
        if len(out) > size:
            raise _bomb(self.path, info)
        if not _PLAIN_PROLOG.match(out):
            _check_prolog(self.path, info.filename, out)
        if len(out) != size or zlib.crc32(out) != info.CRC:
            raise zipfile.BadZipFile("member size or CRC differs from the directory")
        if key is not None:
            self.passed.add(key, out)
        return out

    def _inflate(self, info: zipfile.ZipInfo):
        """A member's inflated bytes in blocks of at most CHUNK_BYTES.

        Readers inflate the whole deflate stream whatever the directory declares, so the
        real size is counted here and a member that inflates past its declared size is
        refused as a bomb; the CRC is checked at the end. (ZipFile.open stops at the declared
        size, so it would not see the bomb a reader then inflates.)
        """
        if not self.inflates_whole(info):
            with self.zip.open(info) as fh:  # bzip2/lzma: zipfile's reader stops at the declared size
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


_LOCAL_HEADER = struct.Struct("<4s22xHH")


def _bomb(path: Path, info: zipfile.ZipInfo) -> ReadError:
    return refuse(path, f"工作簿内部数据（{info.filename}）解压后超过其声明的大小，疑似压缩炸弹，拒绝读取",
                   "zip_bomb")


class PassedParts:
    """Small members that passed the inflate checks during one run, by a digest of their
    deflated bytes: the files of a batch mostly come from one template or exporter, with
    the very same theme, styles and relationships, which are then inflated once.

    One object per run (a worker keeps its own), handed to :func:`gate`. The checks depend
    only on the deflated bytes and the directory's declared size, CRC and method, all in
    the key; the digest is a cryptographic one, so a crafted member cannot pass for
    another (a CRC can be forged). A member is kept once seen twice, so the parts unique
    to each file (sheets, shared strings) do not push out those that recur; both tables
    are bounded.
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

    def add(self, key: tuple, inflated: bytes) -> None:
        if key not in self.seen:
            if len(self.seen) >= self.MAX_SEEN:
                self.seen.clear()
            self.seen.add(key)
            return
        if len(self.kept) >= self.MAX_KEPT:
            del self.kept[next(iter(self.kept))]  # the oldest
        self.kept[key] = inflated


def _read_bounded(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with zf.open(name) as fh:
        return fh.read(limit)

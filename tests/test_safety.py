"""The gate before any reader: what a file really is, and what it would cost to read."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from hostile_corpus import FORM_ROWS, form_ods, form_xlsx, sheet_xml, write_xlsx
from jixiao.errors import ReadError, UsageError
from jixiao.io.safety import KINDS, Limits, gate, sniff

DATA = Path(__file__).parent / "data"
REAL_XLS = DATA / "real-exports" / "central-system-export-4-fund-rows.xls"
SEED_TXT = DATA / "seeds" / "004_a203d4b834672a09.txt"
CJK = re.compile(r"[\u4e00-\u9fff]")
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def gated_kind(path: Path, limits: Limits | None = None) -> str:
    return gate(path, limits).kind


def refused(path: Path, limits: Limits | None = None) -> ReadError:
    with pytest.raises(ReadError) as info:
        gated_kind(path, limits or Limits())
    err = info.value
    assert err.kind in KINDS
    assert CJK.search(err.reason), err.reason
    assert str(err).startswith(str(path))
    return err


def raw_sheet(tmp_path: Path, name: str, rows_xml: str, dimension: str = "") -> Path:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return write_xlsx(tmp_path / name, [("S", f"<worksheet {NS}>{dim}<sheetData>{rows_xml}</sheetData></worksheet>")])


# --- limits ------------------------------------------------------------------------------

def test_limit_defaults_leave_a_form_far_inside():
    limits = Limits()
    assert limits.max_file_bytes == 50 * 1024 * 1024
    assert limits.max_cells_per_sheet == 200_000
    assert limits.max_sheets == 100
    assert limits.time_budget_s == 10.0


def test_limits_come_from_environment_then_keywords():
    env = {"JIXIAO_MAX_FILE_BYTES": "100MB", "JIXIAO_TIME_BUDGET_S": "2.5", "JIXIAO_MAX_SHEETS": "7"}
    limits = Limits.from_env(env, max_sheets=9)
    assert limits.max_file_bytes == 100 * 1024 * 1024
    assert limits.time_budget_s == 2.5
    assert limits.max_sheets == 9  # an explicit option beats the environment


@pytest.mark.parametrize("raw", ["lots", "-5", "0"])
def test_bad_limit_in_environment_is_a_usage_error(raw):
    with pytest.raises(UsageError, match="JIXIAO_MAX_ROWS|max_rows"):
        Limits.from_env({"JIXIAO_MAX_ROWS": raw})


# --- sniff: the kind by content ----------------------------------------------------------

def test_real_central_export_is_xls(tmp_path):
    assert sniff(REAL_XLS) == "xls"
    renamed = tmp_path / "export.xlsx"  # the extension lies; the content decides
    shutil.copy(REAL_XLS, renamed)
    assert sniff(renamed) == "xls"


def test_seed_text_is_text(tmp_path):
    assert sniff(SEED_TXT) == "text"
    bm = tmp_path / "bm.csv"  # starts like a BMP signature, but is text
    bm.write_text("BMI,身高\n22,170\n", encoding="utf-8")
    assert sniff(bm) == "text"


def test_xlsxwriter_and_ods_forms(tmp_path):
    book = tmp_path / "made.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    wb.add_worksheet("自评表").write("A1", "项目名称")
    wb.close()
    assert gated_kind(book) == "xlsx"
    renamed = tmp_path / "made.xls"
    shutil.copy(book, renamed)
    assert sniff(renamed) == "xlsx"
    assert gated_kind(form_ods(tmp_path / "form.ods")) == "ods"


@pytest.mark.parametrize(
    ("name", "content", "kind", "words"),
    [
        ("empty.xlsx", b"", "empty", "文件为空"),
        ("scan.xlsx", b"%PDF-1.7\n", "not_spreadsheet", "PDF"),
        ("photo.xls", b"\x89PNG\r\n\x1a\n\x00\x00", "not_spreadsheet", "图片"),
        ("notes.xlsx", "项目名称\t金额\n".encode(), "not_spreadsheet", "纯文本"),
        ("cut.xlsx", b"PK\x03\x04" + b"\x00" * 40, "corrupt", "文件已损坏"),
        ("page.xls", b"<html><table><tr><td>1</td></tr></table></html>", "unsupported", "另存为"),
        ("words.txt", "只是一段文字\n".encode(), "not_spreadsheet", "制表符或逗号"),
        ("odd.csv", b"a,b\n\x80\x80\xff,1\n", "encoding", "编码"),
        ("image.csv", b"BM\x36\x00\x0c\x00\x00\x00\x00\x00", "not_spreadsheet", "BMP"),
    ],
)
def test_refusals_by_content(tmp_path, name, content, kind, words):
    path = tmp_path / name
    path.write_bytes(content)
    err = refused(path)
    assert err.kind == kind
    assert words in err.reason


def test_encrypted_workbook_is_named_as_such(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = form_xlsx(tmp_path / "plain.xlsx")
    locked = tmp_path / "locked.xlsx"
    with open(plain, "rb") as src, open(locked, "wb") as dst:
        OOXMLFile(src).encrypt("pw", dst)
    err = refused(locked)
    assert (err.kind, err.reason) == ("encrypted", "文件已加密，请去除密码后重新提交")


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.jpg", b"\xff\xd8\xff")
    assert refused(path).kind == "not_spreadsheet"


def test_too_large_file(tmp_path):
    path = form_xlsx(tmp_path / "form.xlsx")
    err = refused(path, Limits(max_file_bytes=100))
    assert err.kind == "too_large"
    assert "上限" in err.reason


def test_missing_file_and_folder(tmp_path):
    assert refused(tmp_path / "nope.xlsx").kind == "not_file"
    assert refused(tmp_path).kind == "not_file"


# --- the zip checks: the cost of reading ------------------------------------------------------

def test_cell_at_the_last_address_is_refused_before_calamine_sees_it(tmp_path):
    # calamine allocates the bounding box A1:XFD1048576 (512 GB) and aborts the process
    path = raw_sheet(tmp_path, "far.xlsx", '<row r="1"><c r="A1"><v>1</v></c></row>'
                     '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    err = refused(path)
    assert err.kind == "too_many_cells"
    assert "1048576" in err.reason


@pytest.mark.parametrize("space", ["\t", "\n", "  "], ids=["tab", "newline", "two spaces"])
def test_far_cell_hidden_behind_odd_whitespace_is_refused(tmp_path, space):
    # XML allows any whitespace between a tag name and its attributes; an earlier gate
    # only looked for '<c r=' and let this calamine-aborting cell through
    path = raw_sheet(tmp_path, "far-ws.xlsx", '<row r="1"><c r="A1"><v>1</v></c></row>'
                     f'<row r="1048576"><c{space}r="XFD1048576"><v>2</v></c></row>',
                     dimension="A1")
    assert refused(path).kind == "too_many_cells"


def test_empty_styled_cells_far_away_do_not_count(tmp_path):
    # calamine skips cells without content; Excel writes such cells for formatting
    path = raw_sheet(tmp_path, "styled.xlsx", '<row r="1"><c r="A1"><v>1</v></c></row>'
                     '<row r="60000"><c r="ZZ60000" s="3"/></row>')
    gate(path, Limits())


def test_cells_without_references_are_placed_like_calamine_does(tmp_path):
    ok = raw_sheet(tmp_path, "noref.xlsx", "<row><c><v>1</v></c><c><v>2</v></c></row>" * 3)
    gate(ok, Limits(max_rows=3, max_cols=2))
    with pytest.raises(ReadError) as info:
        gate(ok, Limits(max_rows=2))
    assert info.value.kind == "too_many_cells"
    far = raw_sheet(tmp_path, "noref_far.xlsx", '<row r="70000"><c><v>1</v></c></row>')
    with pytest.raises(ReadError, match="70000"):
        gate(far, Limits())


def test_huge_dimension_claim_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "dim.xlsx", [("S", sheet_xml(FORM_ROWS, dimension="A1:XFD1048576"))])
    assert refused(path).kind == "too_many_cells"


def test_limits_on_rows_columns_and_area(tmp_path):
    path = form_xlsx(tmp_path / "form.xlsx")  # 20 rows x 9 columns
    gate(path, Limits(max_rows=20, max_cols=9, max_cells_per_sheet=180))
    for limits in (Limits(max_rows=19), Limits(max_cols=8), Limits(max_cells_per_sheet=179)):
        with pytest.raises(ReadError) as info:
            gate(path, limits)
        assert info.value.kind == "too_many_cells"


def test_member_ratio_and_total_size(tmp_path):
    path = write_xlsx(tmp_path / "bomb.xlsx", [("S", sheet_xml([["x"]]))],
                      extra={"xl/media/pad.bin": b"\x00" * (3 * 1024 * 1024)})
    err = refused(path)
    assert err.kind == "zip_bomb"
    assert "xl/media/pad.bin" in err.reason
    # the same member passes when the ratio limit allows it, and then the total decides
    gate(path, Limits(max_member_ratio=10_000))
    with pytest.raises(ReadError) as info:
        gate(path, Limits(max_member_ratio=10_000, max_uncompressed_bytes=2 * 1024 * 1024))
    assert info.value.kind == "too_large"


def test_many_sheets(tmp_path):
    path = write_xlsx(tmp_path / "many.xlsx", [(f"S{i}", sheet_xml([[i]])) for i in range(5)])
    gate(path, Limits(max_sheets=5))
    with pytest.raises(ReadError) as info:
        gate(path, Limits(max_sheets=4))
    assert info.value.kind == "too_many_sheets"
    assert "5 个工作表" in info.value.reason


@pytest.mark.parametrize("part", ["sheet", "shared_strings"])
def test_doctype_is_refused_as_unsafe_xml(tmp_path, part):
    doctype = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    decl = '<?xml version="1.0" encoding="UTF-8"?>\n'
    if part == "sheet":
        path = write_xlsx(tmp_path / "x.xlsx", [("S", sheet_xml([["a"]], prolog=decl + "<!-- c -->\n" + doctype))])
    else:
        path = write_xlsx(tmp_path / "x.xlsx", [("S", sheet_xml([["a"]]))],
                          shared_strings=f"{decl}{doctype}<sst {NS}><si><t>&e;</t></si></sst>")
    err = refused(path)
    assert err.kind == "unsafe_xml"
    assert "DOCTYPE" in err.reason


def test_ods_padding_is_cheap_but_repeated_values_count(tmp_path):
    assert gated_kind(form_ods(tmp_path / "form.ods")) == "ods"  # 1M repeated empty rows
    with pytest.raises(ReadError) as info:
        gate(tmp_path / "form.ods", Limits(max_rows=19))
    assert info.value.kind == "too_many_cells"


def test_utf16_sheet_is_refused_rather_than_read_as_empty(tmp_path):
    xml = '<?xml version="1.0" encoding="UTF-16"?>\n' + sheet_xml([["项目名称", 1.0]], prolog="")
    path = write_xlsx(tmp_path / "u16.xlsx", [("S", xml.encode("utf-16"))])
    err = refused(path)
    assert err.kind == "unsupported"
    assert "UTF-16" in err.reason


def test_member_inflating_past_its_declared_size_is_a_bomb(tmp_path):
    from hostile_corpus import _patch_declared_size

    data = form_xlsx(tmp_path / "f.xlsx").read_bytes()
    path = tmp_path / "lie.xlsx"
    path.write_bytes(_patch_declared_size(data, "xl/worksheets/sheet1.xml", 100))
    err = refused(path)
    assert err.kind == "zip_bomb"
    assert "声明" in err.reason


def test_merged_range_limit_in_every_workbook_format(tmp_path):
    from hostile_corpus import form_xls

    xlsx = form_xlsx(tmp_path / "f.xlsx")  # 9 merged ranges
    xls = form_xls(tmp_path / "f.xls")  # none
    ods = form_ods(tmp_path / "f.ods")  # none
    gate(xlsx, Limits(max_merged_ranges=9))
    err = refused(xlsx, Limits(max_merged_ranges=8))
    assert err.kind == "too_many_cells"
    assert "9 个合并单元格" in err.reason
    merged_xls = tmp_path / "m.xls"
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("自评表")
    for r in range(3):
        sheet.write_merge(r, r, 0, 2, "x")
    book.save(str(merged_xls))
    assert gated_kind(merged_xls, Limits(max_merged_ranges=3)) == "xls"
    assert "3 个合并单元格" in refused(merged_xls, Limits(max_merged_ranges=2)).reason
    assert gated_kind(xls, Limits(max_merged_ranges=1)) == "xls"
    assert gated_kind(ods, Limits(max_merged_ranges=1)) == "ods"


def test_a_part_seen_twice_in_a_run_is_served_from_what_passed_instead_of_inflated_again(tmp_path):
    from jixiao.io.safety import PassedParts

    passed = PassedParts()
    first, second, third = (gate(form_xlsx(tmp_path / f"{i}.xlsx"), Limits(), passed=passed)
                            for i in range(3))
    part = "xl/workbook.xml"
    assert first.package.xml(part) == second.package.xml(part) == third.package.xml(part)
    assert second.package.xml(part) is not first.package.xml(part)  # inflated both times
    assert third.package.xml(part) is second.package.xml(part)      # kept after the second
    alone = gate(tmp_path / "2.xlsx", Limits())  # without the run's object: inflated
    assert alone.package.xml(part) is not third.package.xml(part)


def _forge_crc(path: Path, member: str, crc: int) -> None:
    """Write ``crc`` into the member's local header and central directory entry."""
    import struct

    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        offset = zf.getinfo(member).header_offset
    struct.pack_into("<L", data, offset + 14, crc)
    name = member.encode()
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46:central + 46 + name_len]) == name:
            struct.pack_into("<L", data, central + 16, crc)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def test_a_hostile_part_claiming_the_size_and_crc_of_one_that_passed_is_still_checked(tmp_path):
    from jixiao.io.safety import PassedParts

    run = PassedParts()
    decl = '<?xml version="1.0" encoding="UTF-8"?>\n'
    benign = f"{decl}<sst {NS}><si><t>{'项目名称' * 30}</t></si></sst>"
    doctype = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    hostile = f"{decl}{doctype}<sst {NS}><si><t>&e;</t></si></sst>"
    hostile += " " * (len(benign.encode()) - len(hostile.encode()))  # the same size
    assert len(hostile.encode()) == len(benign.encode())
    rows = [["a"]]
    for i in range(2):  # passed twice: kept
        gate(write_xlsx(tmp_path / f"ok{i}.xlsx", [("S", sheet_xml(rows))], shared_strings=benign), Limits(),
             passed=run)
    path = write_xlsx(tmp_path / "forged.xlsx", [("S", sheet_xml(rows))], shared_strings=hostile)
    with zipfile.ZipFile(tmp_path / "ok0.xlsx") as zf:
        passed = zf.getinfo("xl/sharedStrings.xml")
    _forge_crc(path, "xl/sharedStrings.xml", passed.CRC)
    with zipfile.ZipFile(path) as zf:  # the directory now claims the benign part's size and CRC
        forged = zf.getinfo("xl/sharedStrings.xml")
    assert (forged.file_size, forged.CRC) == (passed.file_size, passed.CRC)
    with pytest.raises(ReadError) as info:
        gate(path, Limits(), passed=run)
    assert info.value.kind == "unsafe_xml"

"""The reader of plain .xlsx from the gate's XML gives exactly calamine's grids, or
hands the file back (None) when it holds something it does not handle."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from hostile_corpus import _NS, sheet_xml, write_xlsx
from jixiao.io import readers
from jixiao.io.readers import read_grids
from jixiao.io.safety import Limits, gate
from jixiao.io.sheet_xml import read_plain_xlsx

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
LIMITS = Limits()


def calamine_grids(path: Path) -> list:
    """What read_grids gives through calamine, our template's files included."""
    gated = gate(path, LIMITS)
    return readers._read_workbook(gated, LIMITS, deadline=float("inf"), percent_formats=True)


def fast_grids(path: Path) -> list | None:
    return read_plain_xlsx(gate(path, LIMITS).package, LIMITS)


def shape(grids: list) -> list[tuple]:
    return [(g.name, g.rows, sorted(g.merged), g.origin, g.visibility) for g in grids]


def sst(*items: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst {_NS} count="{len(items)}" '
            f'uniqueCount="{len(items)}">' + "".join(items) + "</sst>")


def sheet(cells: str, merges: str = "") -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet {_NS}><sheetData>{cells}</sheetData>{merges}</worksheet>'


# ------------------------------------------------------------------ same as calamine

def test_every_shipped_workbook_reads_as_calamine_reads_it():
    paths = sorted(SAMPLES.glob("*/*.xlsx"))
    assert len(paths) >= 30
    for path in paths:
        fast = fast_grids(path)
        assert fast is not None, path
        assert shape(fast) == shape(calamine_grids(path)), path


def test_a_template_filled_and_saved_by_openpyxl_reads_as_calamine_reads_it(tmp_path):
    source = sorted((SAMPLES / "prefilled").glob("*.xlsx"))[0]
    book = openpyxl.load_workbook(source)
    form = book.worksheets[0]
    form["E13"] = "=1+1"  # text typed by a unit: openpyxl stores it as a formula
    form["F14"] = "完成\r\n第二行"
    form["G14"] = 7.5
    form["H14"] = True
    path = tmp_path / "returned.xlsx"
    book.save(path)
    fast = fast_grids(path)
    assert fast is not None
    assert shape(fast) == shape(calamine_grids(path))
    assert "完成\n第二行" in [v for g in fast for row in g.rows for v in row]


def test_values_of_every_plain_kind(tmp_path):
    path = tmp_path / "kinds.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("自评表")
    ws.write_number("B3", 3)
    ws.write_number("C3", -0.0)
    ws.write_number("D3", 1e20)
    ws.write_formula("E3", "=1/0", None, "#DIV/0!")
    ws.write_formula("F3", '="文本"', None, "文本")
    ws.write_boolean("G3", False)
    ws.write_string("B4", " 前后空格 ")
    ws.write_string("C4", "a&b<c>\"'")
    ws.write_string("D4", "_x0041_ 与 line\r\nbreak")
    ws.write_number("E4", 0.125, book.add_format({"num_format": "0.00%"}))
    ws.merge_range("B6:D7", "合并", None)
    hidden = book.add_worksheet("隐藏")
    hidden.write("A1", "x")
    hidden.hide()
    book.close()
    fast = fast_grids(path)
    assert fast is not None
    assert shape(fast) == shape(calamine_grids(path))
    form = fast[0]
    assert form.origin == (2, 1)
    assert form.rows[0] == [3.0, -0.0, 1e20, None, "文本", False]
    assert form.rows[1][:3] == [" 前后空格 ", "a&b<c>\"'", "_x0041_ 与 line\r\nbreak"]
    assert (3, 0, 4, 2) in form.merged  # B6:D7 from origin B3
    # typed in (numbers, text, a boolean) versus computed by a formula (E3, F3)
    assert {(2, 1), (2, 2), (2, 3), (2, 6), (3, 1), (3, 4)} <= form.typed_cells
    assert (2, 4) not in form.typed_cells and (2, 5) not in form.typed_cells
    assert fast[1].visibility == "hidden"


def test_rich_text_phonetic_guides_and_escapes_in_shared_strings(tmp_path):
    strings = sst('<si><r><rPr><b/></rPr><t>加粗</t></r><r><t xml:space="preserve"> 与常规</t></r></si>',
                  "<si><t>上海</t><rPh sb=\"0\" eb=\"2\"><t>シャンハイ</t></rPh></si>",
                  "<si><t>第一行_x000D_\r\n第二行 &#12354; &amp;</t></si>",
                  "<si/>")
    cells = ('<row r="2"><c r="B2" t="s"><v>0</v></c><c r="C2" t="s"><v>1</v></c>'
             '<c r="D2" t="s"><v>2</v></c><c r="E2" t="s"><v>3</v></c></row>')
    path = write_xlsx(tmp_path / "rich.xlsx", [("表", sheet(cells))], shared_strings=strings)
    fast = fast_grids(path)
    assert fast is not None
    assert shape(fast) == shape(calamine_grids(path))
    assert fast[0].rows == [["加粗 与常规", "上海", "第一行\r\n第二行 あ &"]]


def test_plain_inline_strings_and_odd_but_legal_spacing(tmp_path):
    cells = ('<row r="1"><c r="A1" t="inlineStr"><is><t xml:space="preserve">内联 </t></is></c>'
             '<c r="B1" s="0" t="n" /><c r="C1" t="n"><v>4.5</v></c><c r="D1" t="str"><f>A1</f><v></v></c></row>')
    path = write_xlsx(tmp_path / "inline.xlsx", [("表", sheet(cells))])
    fast = fast_grids(path)
    assert fast is not None
    assert shape(fast) == shape(calamine_grids(path))
    assert fast[0].rows == [["内联 ", None, 4.5]]


@pytest.mark.parametrize("cell", [
    '<c r="B2" t="str"><f>x</f><v></v></c>', '<c r="B2" t="str"><f>x</f><v/></c>',
    '<c r="B2" t="str"><f>x</f></c>', '<c r="B2" t="e"><v>#N/A</v></c>', '<c r="B2" t="e"><v></v></c>',
    '<c r="B2" t="s"><v>0</v></c>', '<c r="B2" t="s"><v></v></c>', '<c r="B2" t="inlineStr"><is><t/></is></c>',
    '<c r="B2" t="inlineStr"><is></is></c>', '<c r="B2"><f>1</f></c>', '<c r="B2"><v></v></c>',
    '<c r="B2" t="b"><v></v></c>', '<c r="B2" t="n"><v>2</v></c>',
])
def test_cells_that_read_as_empty_set_the_area_as_calamine_does(tmp_path, cell):
    # calamine counts an empty text or an error into the sheet's area (its origin), not an
    # empty number; the grids must agree on where the area starts
    xml = sheet(f'<row r="2">{cell}</row><row r="4"><c r="D4"><v>1</v></c></row>')
    path = write_xlsx(tmp_path / "area.xlsx", [("表", xml)], shared_strings=sst("<si><t></t></si>"))
    fast = fast_grids(path)
    assert fast is not None
    assert shape(fast) == shape(calamine_grids(path))


# ------------------------------------------------------------------ handed back

@pytest.mark.parametrize("cells", [
    '<row r="1"><c s="0" r="A1"><v>1</v></c></row>',           # reference not first
    '<row r="1"><c><v>1</v></c></row>',                         # no reference at all
    '<row r="1"><c r="A1" t="d"><v>2024-01-02</v></c></row>',   # an ISO date cell
    '<row r="1"><c r="A1" t="inlineStr"><is><r><t>富</t></r></is></c></row>',  # rich inline text
])
def test_cells_it_does_not_handle_go_to_calamine(tmp_path, cells):
    path = write_xlsx(tmp_path / "odd.xlsx", [("表", sheet(cells))])
    assert fast_grids(path) is None
    assert read_grids(path, LIMITS)  # calamine still reads it


def test_a_date_formatted_number_goes_to_calamine(tmp_path):
    path = tmp_path / "date.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("表")
    ws.write_datetime("A1", dt.datetime(2024, 1, 2), book.add_format({"num_format": 'yyyy"年"m"月"d"日"'}))
    book.close()
    assert fast_grids(path) is None
    assert read_grids(path, LIMITS)[0].rows == [[dt.date(2024, 1, 2)]]


def test_a_namespace_prefixed_sheet_goes_to_calamine(tmp_path):
    xml = (f'<?xml version="1.0"?>\n<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>')
    path = write_xlsx(tmp_path / "prefixed.xlsx", [("表", xml)])
    assert fast_grids(path) is None


# ------------------------------------------------------------------ used where it pays

def test_our_template_is_read_without_calamine(tmp_path, monkeypatch):
    path = tmp_path / "form.xlsx"
    shutil.copy(sorted((SAMPLES / "returned").glob("*.xlsx"))[0], path)
    expected = shape(calamine_grids(path))

    def no_calamine(gated):
        raise AssertionError("calamine opened our own template")

    monkeypatch.setattr(readers, "_open_workbook", no_calamine)
    assert shape(read_grids(path, LIMITS)) == expected


def test_other_workbooks_still_go_through_calamine(tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "plain.xlsx", [("表", sheet_xml([["项目名称", "x"]]))])
    opened = []
    real = readers._open_workbook
    monkeypatch.setattr(readers, "_open_workbook", lambda gated: opened.append(gated) or real(gated))
    assert read_grids(path, LIMITS)[0].rows == [["项目名称", "x"]]
    assert len(opened) == 1


@pytest.mark.parametrize("with_date", [False, True])
def test_parts_too_large_for_the_gate_to_keep_are_read_too(tmp_path, with_date):
    from jixiao.io.safety import CHUNK_BYTES

    path = tmp_path / "large.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("表")
    for r in range(CHUNK_BYTES // 40 + 10):  # distinct strings: a shared-strings part > CHUNK_BYTES
        ws.write_string(r, 0, f"第{r}行的说明文字，足够长以撑大共享字符串表")
    if with_date:
        ws.write_datetime(0, 1, dt.datetime(2024, 6, 30), book.add_format({"num_format": "yyyy-mm-dd"}))
    book.close()
    gated = gate(path, LIMITS)
    assert gated.package.names["xl/sharedStrings.xml"].file_size > CHUNK_BYTES
    fast = read_plain_xlsx(gated.package, LIMITS)
    if with_date:
        assert fast is None  # the date is calamine's to read
    else:
        assert fast is not None and shape(fast) == shape(calamine_grids(path))


def test_xml_escapes_decode_and_a_reference_to_no_character_stays_as_written():
    from jixiao.io.sheet_xml import unescape

    assert unescape("&#65;&amp;&#x42; &lt;&gt;&quot;&apos;") == "A&B <>\"'"
    assert unescape("名称&#99999999;") == "名称&#99999999;"


def test_percent_styles_are_found_whatever_the_attribute_order(tmp_path):
    from jixiao.io.readers import _BUILTIN_PERCENT_FORMATS, _is_percent_format
    from jixiao.io.sheet_xml import styles_showing

    styles = (b'<styleSheet><numFmts count="2"><numFmt formatCode="0.0&quot;%&quot;" numFmtId="164"/>'
              b'<numFmt formatCode="0.00%" numFmtId="165"/></numFmts>'
              b'<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/>'
              b'<xf numFmtId="10"/></cellXfs></styleSheet>')
    # 164 shows a quoted "%" (text, not a percent); 165 (formatCode first, as LibreOffice
    # writes it) and the built-in 10 are percents
    assert styles_showing(styles, _BUILTIN_PERCENT_FORMATS, _is_percent_format) == {2, 3}


def test_a_sheet_without_cells_beside_the_form(tmp_path):
    empty = f'<?xml version="1.0"?>\n<worksheet {_NS}><sheetData/><colBreaks count="1"><brk id="3"/></colBreaks></worksheet>'
    path = write_xlsx(tmp_path / "empty.xlsx", [("表", sheet('<row r="1"><c r="A1"><v>1</v></c></row>')),
                                                ("空白", empty)])
    fast = fast_grids(path)
    assert fast is not None
    assert shape(fast) == shape(calamine_grids(path))
    assert fast[1].rows == []


# ------------------------------------------------------------------ any values, both writers

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_TEXT_VALUES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                       max_size=12)
_VALUES = st.one_of(_TEXT_VALUES, st.floats(allow_nan=False, allow_infinity=False, width=64),
                    st.integers(-10**12, 10**12), st.booleans(), st.just("=1+1"), st.just(" 前后 "))
_CELLS = st.dictionaries(st.tuples(st.integers(0, 30), st.integers(0, 12)), _VALUES, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=_CELLS, writer=st.sampled_from(["xlsxwriter", "openpyxl"]))
def test_any_cells_read_as_calamine_reads_them(tmp_path, cells, writer):
    path = tmp_path / f"random-{writer}.xlsx"
    if writer == "xlsxwriter":
        book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
        sheet_ = book.add_worksheet("表")
        for (r, c), value in cells.items():
            sheet_.write(r, c, value) if not isinstance(value, str) else sheet_.write_string(r, c, value)
        book.close()
    else:
        book = openpyxl.Workbook()
        sheet_ = book.active
        sheet_.title = "表"
        for (r, c), value in cells.items():
            try:
                sheet_.cell(r + 1, c + 1, value)
            except openpyxl.utils.exceptions.IllegalCharacterError:
                sheet_.cell(r + 1, c + 1, "x")
        book.save(path)
    fast = fast_grids(path)
    assert fast is not None
    assert shape(fast) == shape(calamine_grids(path))

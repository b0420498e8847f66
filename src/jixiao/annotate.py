"""The annotated copy a finance officer sends back to a unit (``jixiao check --annotate``).

For each checked file a copy is written into the output folder: every flagged cell is
filled by the worst severity found there and carries a comment with the messages, and a
问题清单 sheet (first, and active when the file opens) lists every finding with a link to
its cell. The input is only ever read: .xlsx/.xlsm are loaded from their bytes and saved
under a temporary name that is renamed into place. openpyxl cannot write .xls/.ods and
text tables, so those become an .xlsx holding the values and merged ranges of the grids
the checker read (the 问题清单 says so): the cell references of the findings stay right.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from jixiao.checking import CheckReport, FileResult
from jixiao.checks.registry import SEVERITY_LABELS
from jixiao.errors import OutputError, ReadError, UsageError
from jixiao.io import safety
from jixiao.io.atomic import atomic_path, output_error
from jixiao.io.textout import bounded, encodable
from jixiao.model import SEVERITY_ORDER, Finding
from jixiao.report import display_width
from jixiao.template.batch import sheet_name

LIST_SHEET = "问题清单"
LIST_HEADERS = ("序号", "工作表", "单元格", "代码", "严重程度", "问题说明", "应为", "实为")
#: 1-based row of the list's header; rows above hold the title, summary and a note
LIST_HEADER_ROW = 4
COMMENT_AUTHOR = "jixiao"
#: fill colours (RGB) by severity: red, amber, light blue
SEVERITY_FILLS = {"error": "FF7C80", "warning": "FFC000", "info": "BDD7EE"}
#: suffixes openpyxl loads and saves as they are
OPENPYXL_SUFFIXES = (".xlsx", ".xlsm")

_LIST_WIDTHS = (6, 16, 10, 7, 9, 60, 22, 22)
_WRAPPED_COLUMNS = {2: 16, 6: 60, 7: 22, 8: 22}  # 1-based column -> width, for row heights
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})")
_MAX_ROW, _MAX_COL = 1_048_576, 16_384
_MAX_TEXT = 32_767  # characters an Excel cell holds
_MAX_COMMENT_LINES = 40
_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass
class _Copy:
    """A workbook about to become the annotated copy."""

    workbook: Workbook
    #: finding.sheet (the name the checker read) -> title of the sheet in ``workbook``
    titles: dict[str, str]
    #: a sentence for the 问题清单 when the copy is not the original workbook
    note: str | None = None


# ---------------------------------------------------------------- public API

def annotate(report: CheckReport, outdir: str | os.PathLike) -> list[Path]:
    """An annotated copy of every readable input of ``report`` in ``outdir``.

    Two inputs with the same name (from different folders, or a.xls beside a.xlsx) get
    distinct names ("a(2).xlsx"), and a copy never takes the name of an input that lives
    in ``outdir`` itself (a second run over a folder that holds the first run's copies).
    """
    outdir = Path(outdir)
    names = _output_names(report.files, outdir)
    written = []
    for result, name in zip(report.files, names):
        path = annotate_file(result, outdir, name=name)
        if path is not None:
            written.append(path)
    return written


def annotate_file(result: FileResult, outdir: str | os.PathLike, *,
                  name: str | None = None) -> Path | None:
    """Write the annotated copy of one checked file into ``outdir``; return its path.

    None when no copy can be made: the file cannot be read (it was reported R01, or it no
    longer opens) or openpyxl cannot write what it loaded. ``name`` overrides the file name
    of the copy. UsageError when the copy would replace the input itself or ``outdir``
    cannot be written.
    """
    source = Path(result.path)
    if result.status == "unreadable":
        return None
    target = Path(outdir) / (name or output_name(source))
    _refuse_overwrite(source, target)
    copy = _open_copy(source)
    if copy is None:
        return None
    try:
        _annotate_workbook(copy, result, source.name)
        with atomic_path(target) as tmp:
            copy.workbook.save(tmp)
    except OutputError:
        raise
    except OSError as exc:
        raise output_error(target, exc) from None
    except MemoryError:  # over the worker's memory budget: the file's R01, not "no copy"
        raise
    except Exception:  # a workbook openpyxl loaded but cannot write must not stop a batch
        return None
    return target


def copy_targets(files: list[str], roots: list[str | os.PathLike],
                 outdir: str | os.PathLike) -> dict[str, Path]:
    """Where the copy of each file goes: under ``outdir`` at its place under the folder it
    was found in (单位A/自评表.xlsx), a file named on its own at the top. With several
    folders given, each one's name comes first. Distinct, deterministic names.
    """
    outdir = Path(outdir)
    folders = [Path(r) for r in roots if os.path.isdir(r)]
    several = len(folders) > 1
    taken: set[str] = set()
    targets: dict[str, Path] = {}
    for file in files:
        path = Path(file)
        relative = Path(output_name(path))
        for folder in folders:
            try:
                inside = path.relative_to(folder)
            except ValueError:
                continue
            relative = inside.with_name(output_name(path))
            if several:
                relative = Path(folder.resolve().name or "root") / relative
            break
        targets[file] = outdir / _unique_relative(relative, taken)
    return targets


def _unique_relative(relative: Path, taken: set[str]) -> Path:
    """``relative``, or with "(2)", "(3)"… when taken; a name the file system would refuse
    (a 255-byte .xls name becomes a 256-byte .xlsx) cut, keeping a digest of the original."""
    from jixiao.io.atomic import fitting_name

    stem, suffix = os.path.splitext(relative.name)
    tag = hashlib.sha256(relative.name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    candidate, n = relative.with_name(fitting_name(stem, suffix, tag)), 2
    while str(candidate).casefold() in taken:
        candidate, n = relative.with_name(fitting_name(f"{stem}({n})", suffix, f"{tag}({n})")), n + 1
    taken.add(str(candidate).casefold())
    return candidate


def output_name(source: Path) -> str:
    """The file name of a copy: the input's own for .xlsx/.xlsm, else the stem + .xlsx."""
    suffix = source.suffix if source.suffix.lower() in OPENPYXL_SUFFIXES else ".xlsx"
    return source.stem + suffix


# ---------------------------------------------------------------- names and safety

def _output_names(results: list[FileResult], outdir: Path) -> list[str]:
    taken = {Path(r.path).name.casefold() for r in results if _same_folder(Path(r.path), outdir)}
    names = []
    for result in results:
        base = output_name(Path(result.path))
        stem, suffix = os.path.splitext(base)
        candidate, n = base, 2
        while candidate.casefold() in taken:
            candidate, n = f"{stem}({n}){suffix}", n + 1
        taken.add(candidate.casefold())
        names.append(candidate)
    return names


def _same_folder(path: Path, folder: Path) -> bool:
    try:
        return folder.exists() and os.path.samefile(path.parent, folder)
    except OSError:
        return False


def _refuse_overwrite(source: Path, target: Path) -> None:
    try:
        same = target.exists() and os.path.samefile(source, target)
    except OSError:
        same = False
    if same:
        raise UsageError(f"标注副本 {target} 会覆盖被审核的原文件，请另选 --annotate 输出目录")


# ---------------------------------------------------------------- opening the copy

def _open_copy(source: Path) -> _Copy | None:
    try:
        gated = safety.gate(source)
    except ReadError:
        return None
    if gated.kind == "xlsx":
        copy = None if _expands_in_openpyxl(gated) or _holds_overlong_text(gated) \
            else _load_original(source, gated.data)
        if copy is not None:
            return copy
        note = ("原工作簿无法按原样复制（openpyxl 无法打开或范围异常巨大），本副本只保留了各单元格的值和合并单元格，"
                "格式与公式未保留。")
    else:
        note = (f"原文件为 {source.suffix.lower() or gated.kind} 格式，无法直接写入标注，"
                "本副本已转换为 .xlsx，只保留了各单元格的值和合并单元格，格式与公式未保留。")
    return _convert_from_grids(source, gated, note)


# openpyxl makes an object for every cell a merged range or a hyperlink covers: one over
# A1:XFD1048576 in a 3 KB file asks for 17 billion of them.
_RANGE_TAG = re.compile(rb"<(?:\w+:)?(?:mergeCell|hyperlink)\s[^<>]{0,4096}?\bref\s*=\s*[\"']"
                        rb"\$?([A-Za-z]{1,4})\$?([0-9]{1,9}):\$?([A-Za-z]{1,4})\$?([0-9]{1,9})[\"']")


def _expands_in_openpyxl(gated: safety.GatedFile) -> bool:
    """Whether a range in the workbook covers more cells than a sheet may hold (the
    reading limits): openpyxl would expand it, so the copy is made from the grids."""
    package = gated.package
    if package is None:
        return False
    limits = safety.Limits.from_env()
    try:
        members = safety.xlsx_sheet_members(package, limits)
        for member in members:
            for m in _RANGE_TAG.finditer(package.xml(member)):
                first_col, first_row, last_col, last_row = m.groups()
                rows = abs(int(last_row) - int(first_row)) + 1
                cols = abs(safety.column_number(last_col.upper()) - safety.column_number(first_col.upper())) + 1
                if rows * cols > limits.max_cells_per_sheet:
                    return True
    except (ReadError, KeyError, ValueError, OSError):
        return True
    return False


# A text run longer than a cell holds (Excel repairs such a workbook on opening): the copy
# is then made from the grids, where every text is bounded and says where it was cut.
_OVERLONG_TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^<>]*)?>[^<]{%d}" % (_MAX_TEXT + 1))


def _holds_overlong_text(gated: safety.GatedFile) -> bool:
    package = gated.package
    if package is None:
        return False
    try:
        names = ["xl/sharedStrings.xml", *safety.xlsx_sheet_members(package, safety.Limits.from_env())]
        return any(_OVERLONG_TEXT.search(package.xml(name)) for name in names if name in package.names)
    except (ReadError, KeyError, ValueError, OSError):
        return True


def _load_original(source: Path, data: bytes) -> _Copy | None:
    """The workbook itself, loaded from its bytes (the file is never opened for writing)."""
    keep_vba = source.suffix.lower() == ".xlsm"
    try:
        with warnings.catch_warnings():
            # openpyxl warns about every extension it drops (x14 validations, slicers…)
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), keep_vba=keep_vba, keep_links=True,
                                     rich_text=True)
    except MemoryError:
        raise
    except Exception:  # openpyxl raises a zoo of types on workbooks it does not understand
        return None
    workbook.template = False  # a renamed .xltx must be saved as a workbook
    return _Copy(workbook, {ws.title: ws.title for ws in workbook.worksheets})


def _convert_from_grids(source: Path, gated: safety.GatedFile, note: str) -> _Copy | None:
    from jixiao.io.readers import read_grids

    try:
        grids = read_grids(source, gated=gated)
    except ReadError:
        return None
    workbook = Workbook()
    workbook.remove(workbook.active)
    titles: dict[str, str] = {}
    taken: set[str] = {LIST_SHEET.casefold()}
    for grid in grids:
        title = sheet_name(str(grid.name), taken)
        titles[grid.name] = title
        ws = workbook.create_sheet(title)
        _write_grid(ws, grid)
        if grid.hidden:
            ws.sheet_state = "hidden"
    if not workbook.worksheets:
        workbook.create_sheet("Sheet1")
    return _Copy(workbook, titles, note)


def _write_grid(ws: Worksheet, grid) -> None:
    """Values and merged ranges at their real positions, readable: widths and row heights."""
    r0, c0 = grid.origin
    # a merged range is kept within the cells the sheet uses: openpyxl makes an object per
    # cell of a range, and one over A1:XFD1048576 is 17 billion of them
    last_row, last_col = grid.height - 1, grid.width - 1
    spans = {}
    for fr, fc, lr, lc in grid.merged:
        lr, lc = min(lr, max(last_row, fr)), min(lc, max(last_col, fc))
        if (fr, fc) != (lr, lc):
            spans[(fr, fc)] = (lr, lc)
    texts: list[tuple[int, int, str]] = []
    wrap = Alignment(wrap_text=True, vertical="center")
    for r, row in enumerate(grid.rows):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            cell = ws.cell(r0 + r + 1, c0 + c + 1)
            put_value(cell, value)
            if isinstance(value, str):
                cell.alignment = wrap
                texts.append((r, c, value))
            if grid.is_percent(r, c):
                cell.number_format = "0.00%"
    for (fr, fc), (lr, lc) in spans.items():
        ws.merge_cells(start_row=r0 + fr + 1, start_column=c0 + fc + 1,
                       end_row=r0 + lr + 1, end_column=c0 + lc + 1)

    # text merged across columns has their room: only single-column text sets a width
    widths: dict[int, float] = {}
    for r, c, text in texts:
        if spans.get((r, c), (r, c))[1] == c:
            widths[c] = max(widths.get(c, 8), min(_longest_line(text) + 2, 40))
    for c, width in widths.items():
        ws.column_dimensions[get_column_letter(c0 + c + 1)].width = width
    heights: dict[int, int] = {}
    for r, c, text in texts:
        last_row, last_col = spans.get((r, c), (r, c))
        room = sum(widths.get(col, 8) for col in range(c, last_col + 1)) - 1
        lines = _wrapped_lines(text, room)
        heights[r] = max(heights.get(r, 1), math.ceil(lines / (last_row - r + 1)))
    for r, lines in heights.items():
        if lines > 1:
            ws.row_dimensions[r0 + r + 1].height = min(15 * lines + 3, 409)


def _longest_line(text: str) -> int:
    return max(display_width(line) for line in text.split("\n"))


def _wrapped_lines(text: str, room: float) -> int:
    """Lines ``text`` takes in a column ``room`` characters wide (CJK counts two)."""
    per_line = max(1, int(room))
    return sum(max(1, math.ceil(display_width(line) / per_line)) for line in text.split("\n"))


# ---------------------------------------------------------------- cell values

def clean_text(text: str) -> str:
    """Text an Excel cell accepts: no control characters, at most 32,767 characters."""
    text = ILLEGAL_CHARACTERS_RE.sub("", encodable(text))
    return bounded(text, _MAX_TEXT)  # says where it was cut


def put_value(cell, value: Any) -> None:
    """Write a value that stays what it is: text is never taken for a formula or an error.

    openpyxl turns a str starting with "=" into a formula and "#N/A" into an error value;
    forcing the type afterwards makes it an inline string.
    """
    if value is None:
        cell.value = None
    elif isinstance(value, bool) or (isinstance(value, (int, float)) and math.isfinite(value)):
        cell.value = value
    elif hasattr(value, "isoformat") and not isinstance(value, str):
        try:
            cell.value = value
        except (TypeError, ValueError):
            _put_text(cell, value.isoformat())
    elif isinstance(value, (list, tuple, dict)):
        _put_text(cell, json.dumps(value, ensure_ascii=False, default=str))
    else:
        _put_text(cell, str(value))


def _put_text(cell, text: str) -> None:
    cell.value = clean_text(text)
    cell.data_type = "s"


# ---------------------------------------------------------------- marking the cells

@dataclass
class _Located:
    finding: Finding
    #: sheet title and coordinate of the cell that carries the fill and comment
    sheet: str | None = None
    coordinate: str | None = None


def _annotate_workbook(copy: _Copy, result: FileResult, file_name: str) -> None:
    findings = result.file_findings + [f for form in result.forms for f in form.findings]
    located = [_locate(copy, f) for f in findings]
    _mark_cells(copy.workbook, located)
    _write_list(copy, located, list_title(result, file_name))


def list_title(result: FileResult, file_name: str) -> str:
    """The 问题清单 title: whose form it is (unit and project), then the file.

    Two units' copies of 自评表.xlsx are told apart by what they are about, not their names.
    """
    forms = [form.record for form in result.forms]
    units = list(dict.fromkeys(r.unit for r in forms if r.unit))
    projects = list(dict.fromkeys(r.project for r in forms if r.project))
    who = "、".join(units[:2]) + ("等" if len(units) > 2 else "")
    what = projects[0] + (f"等 {len(projects)} 个项目" if len(projects) > 1 else "") if projects else ""
    about = " · ".join(part for part in (who, what) if part)
    return f"问题清单：{about}（{file_name}）" if about else f"问题清单：{file_name}"


def _locate(copy: _Copy, finding: Finding) -> _Located:
    """The cell of a finding in the copy: the top-left cell when it lies in a merged range."""
    if not finding.cell:
        return _Located(finding)
    text = finding.cell.strip()
    sheet = finding.sheet
    if "!" in text:  # a reference that names its sheet itself
        prefix, text = text.rsplit("!", 1)
        sheet = prefix.strip("'").replace("''", "'") or sheet
    title = _sheet_title(copy, sheet)
    m = _CELL_REF.match(text)
    if title is None or m is None:
        return _Located(finding)
    row, col = int(m.group(2)), _column_number(m.group(1))
    if row > _MAX_ROW or col > _MAX_COL:
        return _Located(finding)
    ws = copy.workbook[title]
    for merged in ws.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
            row, col = merged.min_row, merged.min_col
            break
    return _Located(finding, title, f"{get_column_letter(col)}{row}")


def _sheet_title(copy: _Copy, sheet: str | None) -> str | None:
    names = [ws.title for ws in copy.workbook.worksheets]  # a chartsheet has no cells
    if sheet is None:
        # a finding without a sheet in a one-sheet file can only mean that sheet
        return names[0] if len(names) == 1 else None
    title = copy.titles.get(sheet, sheet)
    if title in names:
        return title
    folded = {n.casefold(): n for n in names}  # Excel sheet names ignore case
    return folded.get(title.casefold())


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _mark_cells(workbook: Workbook, located: list[_Located]) -> None:
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for item in located:
        if item.sheet is not None:
            by_cell.setdefault((item.sheet, item.coordinate), []).append(item.finding)
    for (title, coordinate), findings in by_cell.items():
        findings.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.code))
        ws = workbook[title]
        fill = _fill(findings[0].severity)
        for cell in _cells_of(ws, coordinate):
            cell.fill = fill
        anchor = ws[coordinate]
        anchor.comment = _comment(findings, anchor.comment)


def _cells_of(ws: Worksheet, coordinate: str):
    """The cell, or every cell of the merged range it starts, so the whole area shows the fill."""
    for merged in ws.merged_cells.ranges:
        if merged.start_cell.coordinate == coordinate:
            for row in ws.iter_rows(min_row=merged.min_row, max_row=merged.max_row,
                                    min_col=merged.min_col, max_col=merged.max_col):
                yield from row
            return
    yield ws[coordinate]


def _fill(severity: str) -> PatternFill:
    color = SEVERITY_FILLS.get(severity, SEVERITY_FILLS["info"])
    return PatternFill(fill_type="solid", start_color=color, end_color=color)


def comment_text(findings: list[Finding]) -> str:
    lines = [f"[{f.code}] {f.message}" for f in findings[:_MAX_COMMENT_LINES]]
    if len(findings) > _MAX_COMMENT_LINES:
        lines.append(f"……另有 {len(findings) - _MAX_COMMENT_LINES} 项，见“{LIST_SHEET}”")
    return clean_text("\n".join(lines))


def _comment(findings: list[Finding], existing: Comment | None) -> Comment:
    text = comment_text(findings)
    if existing is not None and existing.author != COMMENT_AUTHOR and existing.text:
        # the unit's own note stays readable under ours
        text = clean_text(f"{text}\n—— 原批注 ——\n{existing.text}")
    width, height = _comment_size(text)
    return Comment(text, COMMENT_AUTHOR, height=height, width=width)


def _comment_size(text: str) -> tuple[int, int]:
    """Pixels for a comment box that shows all of ``text`` (9 pt: a CJK char is ~12 px)."""
    px_per_unit, line_px, max_width = 6.5, 16, 420
    units = [display_width(line) for line in text.split("\n")]
    width = min(max(max(units, default=0) * px_per_unit + 16, 160), max_width)
    per_line = max(1, int((width - 16) / px_per_unit))
    lines = sum(max(1, math.ceil(u / per_line)) for u in units)
    return int(width), int(min(lines * line_px + 14, 1200))


# ---------------------------------------------------------------- the 问题清单 sheet

def _write_list(copy: _Copy, located: list[_Located], title_text: str) -> None:
    workbook = copy.workbook
    _drop_previous_list(workbook)
    title = sheet_name(LIST_SHEET, {n.casefold() for n in workbook.sheetnames})
    ws = workbook.create_sheet(title, 0)
    last_col = get_column_letter(len(LIST_HEADERS))

    ws.merge_cells(f"A1:{last_col}1")
    put_value(ws["A1"], title_text)
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells(f"A2:{last_col}2")
    put_value(ws["A2"], _summary(located))
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[2].height = 32
    if copy.note:
        ws.merge_cells(f"A3:{last_col}3")
        put_value(ws["A3"], copy.note)
        ws["A3"].font = Font(color="C00000")
        ws["A3"].alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[3].height = 32

    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill(fill_type="solid", start_color="1F4E78", end_color="1F4E78")
    for col, (label, width) in enumerate(zip(LIST_HEADERS, _LIST_WIDTHS), start=1):
        cell = ws.cell(LIST_HEADER_ROW, col, label)
        cell.font, cell.fill, cell.border = header_font, header_fill, _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width

    wrap = Alignment(wrap_text=True, vertical="top")
    link_font = Font(color="0563C1", underline="single")
    for number, item in enumerate(located, start=1):
        f = item.finding
        row = LIST_HEADER_ROW + number
        values = (number, f.sheet or "（整个文件）", f.cell or "—", f.code,
                  SEVERITY_LABELS.get(f.severity, f.severity), f.message, f.expected, f.found)
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row, col)
            put_value(cell, value)
            cell.border, cell.alignment = _BORDER, wrap
        ws.cell(row, 5).fill = _fill(f.severity)
        if item.sheet is not None:
            link = ws.cell(row, 3)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=sheet_reference(
                item.sheet, item.coordinate), tooltip=f"转到 {item.sheet}!{item.coordinate}")
            link.font = link_font
        ws.row_dimensions[row].height = _row_height(values)

    last_row = LIST_HEADER_ROW + max(len(located), 1)
    ws.auto_filter.ref = f"A{LIST_HEADER_ROW}:{last_col}{last_row}"
    ws.freeze_panes = f"A{LIST_HEADER_ROW + 1}"
    ws.print_title_rows = f"{LIST_HEADER_ROW}:{LIST_HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    for sheet in workbook.worksheets:  # more than one selected tab groups the sheets in Excel
        sheet.sheet_view.tabSelected = False
    workbook.active = 0
    ws.sheet_view.tabSelected = True


def sheet_reference(title: str, coordinate: str) -> str:
    """"'Sheet'!E6": a reference a hyperlink location accepts, quotes doubled."""
    return "'{}'!{}".format(title.replace("'", "''"), coordinate)


def _summary(located: list[_Located]) -> str:
    counts = {s: sum(item.finding.severity == s for item in located) for s in SEVERITY_LABELS}
    if not located:
        return "未发现问题。"
    unlocated = sum(item.sheet is None for item in located)
    tail = f"其中 {unlocated} 项不对应具体单元格。" if unlocated else ""
    return (f"共 {len(located)} 项：错误 {counts['error']} 项，警告 {counts['warning']} 项，"
            f"提示 {counts['info']} 项。有问题的单元格已按严重程度着色（红色：错误；橙色：警告；"
            f"蓝色：提示）并附批注，点击“单元格”列可跳转到该单元格。{tail}")


def _row_height(values: tuple) -> float:
    lines = max((_wrapped_lines(str(values[col - 1]), width - 1)
                 for col, width in _WRAPPED_COLUMNS.items() if values[col - 1] is not None),
                default=1)
    return min(15 * lines + 3, 409)  # 409 pt: Excel's tallest row


def _drop_previous_list(workbook: Workbook) -> None:
    """A copy annotated again gets a fresh list, not a second one beside the old."""
    for ws in list(workbook.worksheets):
        if ws.title.startswith(LIST_SHEET):
            header = tuple(c.value for c in ws[LIST_HEADER_ROW][:len(LIST_HEADERS)])
            if header == LIST_HEADERS:
                workbook.remove(ws)

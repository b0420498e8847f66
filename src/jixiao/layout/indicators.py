"""The indicator block: header row, 三级指标 rows, 总分 and 评分等级.

Rows are read relative to the header's columns. In a workbook those columns are exact; in
the text of a PDF a merged cell leaves no field at all, so a row can sit one or two
columns left or right of its header. Such a row is placed by its 分值/得分 pair (the
numbers that every scored row has), and its 一级/二级 names are told apart from the
三级 name by the frameworks' vocabulary rather than by column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from jixiao.layout.labels import (
    BLOCK_KEYS,
    GRADE_LABELS,
    GRADES,
    INDICATOR_HEADER,
    LEVEL1_NAMES,
    OPERATOR_WORDS,
    QUALITATIVE_WORDS,
    LEVEL2_PARENTS,
    TOTAL_LABELS,
    is_footer_key,
    label_key,
    level1_parents,
    without_points,
)
from jixiao.layout.sheet import Sheet, store_number
from jixiao.model import Indicator
from jixiao.values import EMPTY_MARKS, Quantity, normalize_label, parse_measure, percent_text

TEXT_FIELDS = ("target", "actual", "deviation")
SHIFTS = (0, -1, 1, -2, 2, -3, 3)
# Operator words of a 指标性质 column that are not symbols already.


@dataclass
class IndicatorHeader:
    #: the (last) header row: the block's rows start below it
    row: int
    cols: dict[str, int] = field(default_factory=dict)
    #: the first header row of a two-row header (row otherwise)
    top: int | None = None
    #: the column of the first header right of 偏差原因 (备注): the reason stops before it
    deviation_end: int | None = None
    #: the last column of the 三级指标 header: a text right of it (指标解释) is no name
    name_end: int | None = None

    # Both asked once per indicator row; a header's cols do not change once found.
    @cached_property
    def first_col(self) -> int:
        return min(self.cols.get(k, 10**6) for k in ("level1", "level2", "name"))

    @cached_property
    def number_cols(self) -> list[int]:
        """The 分值 and 得分 columns: every scored row has numbers there."""
        return [self.cols[k] for k in ("weight", "score") if k in self.cols]


@dataclass
class IndicatorBlock:
    indicators: list[Indicator]
    total_weight: float | None = None
    total_score: float | None = None
    grade: str | None = None
    cells: dict[str, str] = field(default_factory=dict)
    unparsed: dict[str, str] = field(default_factory=dict)
    #: the last row that belongs to the block
    end: int = 0


def header_fields(sheet: Sheet, r: int) -> dict[str, int]:
    return sheet.fields(r, INDICATOR_HEADER)


def is_indicator_header(cols: dict[str, int]) -> bool:
    return "name" in cols and ("target" in cols or "actual" in cols) and (
        "weight" in cols or "score" in cols or "level1" in cols)


def is_header_row(sheet: Sheet, r: int) -> bool:
    # A header names its 三级指标 column: a row without that key is not one, found
    # without a lookup per cell (every row of every block is asked).
    return not _NAME_KEYS.isdisjoint(sheet.keys(r)) and is_indicator_header(
        header_fields(sheet, r))


_NAME_KEYS = frozenset(INDICATOR_HEADER["name"])


def find_indicator_header(sheet: Sheet, rows: range) -> IndicatorHeader | None:
    for r in rows:
        if is_header_row(sheet, r):
            return _flattened_header(sheet, r, rows)
    return None


def _flattened_header(sheet: Sheet, r: int, rows: range) -> IndicatorHeader:
    """The header found at row r, with the other row of a two-row header folded in.

    Yunnan's form heads its block with 绩效指标 | 年度指标值 | 实际完成值 | 分值 | 得分 (the
    last four merged over both rows) above 一级 | 二级 | 三级 | 指标性质 | 指标值 | 度量单位;
    other forms put the sub-columns below. A field named in both rows is taken from the
    sub-column under a merged parent; the block's rows start after the lower header row.
    """
    cols = dict(header_fields(sheet, r))
    top = last = r
    above, below = r - 1, r + 1
    if above >= rows.start and _is_header_part(sheet, above, cols):
        for name, c in header_fields(sheet, above).items():
            if name not in cols and c not in cols.values():
                cols[name] = c
        top = above
    if below < rows.stop and _is_header_part(sheet, below, cols):
        sub = header_fields(sheet, below)
        for name, c in sub.items():  # first the sub-columns under a merged parent
            parent = cols.get(name)
            if parent is not None and parent != c and parent <= c <= sheet.span_end(r, parent):
                cols[name] = c
        for name, c in sub.items():  # then the fields only the lower row names
            if name not in cols and c not in cols.values():
                cols[name] = c
        last = below
    if "target" not in cols and "target_initial" in cols:
        cols["target"] = cols.pop("target_initial")
    # beside an adjusted target, 年初指标值 stays a column: it is neither a name nor the target
    end = None
    if "deviation" in cols:
        c0 = cols["deviation"]
        after = [c for hr in range(top, last + 1) for c, _ in sheet.cells(hr)
                 if c > sheet.span_end(hr, c0)]
        end = min(after, default=None)
    name_end = max((sheet.span_end(hr, cols["name"]) for hr in range(top, last + 1)),
                   default=None) if "name" in cols else None
    return IndicatorHeader(last, cols, top, end, name_end)


def _is_header_part(sheet: Sheet, r: int, cols: dict[str, int]) -> bool:
    """Row r holds only labels, and names fields the header at hand lacks or splits."""
    found = header_fields(sheet, r)
    if not found or len(found) < len(sheet.cells(r)) - 1:
        return False  # a data row, or the form's own lines above the block
    return any(name not in cols or cols[name] != c for name, c in found.items())


# ------------------------------------------------------------------ one row


@dataclass
class _Row:
    r: int
    shift: int
    indicator: Indicator
    explicit_level1: bool = False
    explicit_level2: bool = False


def _choose_shift(sheet: Sheet, r: int, hdr: IndicatorHeader, trust_columns: bool) -> int | None:
    """The column shift that puts numbers under 分值/得分; None when the row has none."""
    number_cols = hdr.number_cols
    if not number_cols:
        return 0
    if trust_columns:
        for c in number_cols:
            if sheet.number_kind(r, c) == 2:
                return 0  # what the loop below ends with at once; most rows of a workbook
    best, best_points = None, -1
    for shift in SHIFTS:
        if min(number_cols) + shift < 0:
            continue
        kinds = [sheet.number_kind(r, c + shift) for c in number_cols]
        if 2 not in kinds:
            continue
        if trust_columns and shift == 0:
            return 0
        points = sum(kinds)
        if points > best_points:
            best, best_points = shift, points
    return best


def _kind(text: str) -> str:
    return _kind_of_key(label_key(text))


def _kind_of_key(key: str) -> str:
    return _NAME_KINDS.get(key, "text")


def _name_kinds() -> dict[str, str]:
    kinds = {}
    for key in LEVEL1_NAMES | LEVEL2_PARENTS.keys():
        level1, level2 = key in LEVEL1_NAMES, key in LEVEL2_PARENTS
        kinds[key] = "either" if level1 and level2 else "level1" if level1 else "level2"
    return kinds


#: framework name -> "level1", "level2" or "either" (成本指标); any other text is "text"
_NAME_KINDS = _name_kinds()
#: the same, and "block" for the 绩效指标 side label: one lookup per cell of a row
_CELL_KINDS = {**_NAME_KINDS, **dict.fromkeys(BLOCK_KEYS, "block")}


def _read_row(sheet: Sheet, r: int, hdr: IndicatorHeader, shift: int) -> _Row:
    ind = Indicator(row=r + sheet.grid.origin[0] + 1)
    cols = {k: c + shift for k, c in hdr.cols.items()} if shift else hdr.cols
    row = _Row(r, shift, ind)

    for name in ("weight", "score"):
        if name in cols:
            store_number(sheet, r, cols[name], ind, name)
    for name in ("target", "actual"):
        if name in cols:
            ind.cells[name] = sheet.ref(r, cols[name])
            setattr(ind, name, sheet.text(r, cols[name]))
    if "deviation" in cols:
        c0 = cols["deviation"]
        end = hdr.deviation_end + shift if hdr.deviation_end is not None else None
        ind.cells["deviation"] = sheet.ref(r, c0)
        parts = [t for c, t in sheet.cells(r) if c >= c0 and (end is None or c < end)]
        ind.deviation = "".join(parts) or None
    _fold_op_and_unit(sheet, r, cols, ind)
    if sheet.grid.percent_cells is None and "actual" in cols:
        _percent_by_target(sheet.raw(r, cols["actual"]), ind)

    # Names: everything left of the targets (and of a 指标性质 column, where there is one).
    limit = min((cols[k] for k in ("op", "target_initial", "target", "actual") if k in cols),
                default=cols.get("name", 0) + 1)
    first = hdr.first_col + shift
    if hdr.name_end is not None:
        limit = min(limit, hdr.name_end + shift + 1)
    found = []
    name_cell = None  # the last plain text left of the target
    for (c, text), key in zip(sheet.cells(r), sheet.keys(r)):
        if c >= limit:
            continue
        kind = _CELL_KINDS.get(key, "text")
        if kind == "block" or kind == "text" and c < first:
            continue  # a merged side label (项目资金, 绩效指标) or a placeholder
        found.append((c, text, kind))
        if kind == "text":
            name_cell = found[-1]
    if name_cell is None:  # a 三级 that reads like a framework name: the 三级 column's cell
        name_cell = next((f for f in found if f[0] == cols.get("name")), None)
    if name_cell is not None:
        found.remove(name_cell)
        ind.name = name_cell[1]
        ind.cells["name"] = sheet.ref(r, name_cell[0])
    elif "name" in cols:
        ind.cells["name"] = sheet.ref(r, cols["name"])

    level1 = [f for f in found if f[2] == "level1"]
    level2 = [f for f in found if f[2] == "level2"]
    for c, text, kind in found:
        if kind == "either":  # 成本指标: a 一级 (2021) or a 二级 under 产出 (2020)
            beside_level2 = bool(level2) and not level1
            by_column = "level2" in cols and c >= cols["level2"]
            (level1 if beside_level2 or not by_column else level2).append((c, text, kind))
        elif kind == "text":
            (level1 if c <= cols.get("level1", first) else level2).append((c, text, kind))
    if level1:
        c, text, _ = level1[-1]
        ind.level1, ind.cells["level1"], row.explicit_level1 = text, sheet.ref(r, c), True
    if level2:
        c, text, _ = level2[-1]
        ind.level2, ind.cells["level2"], row.explicit_level2 = text, sheet.ref(r, c), True
    return row


def _fold_op_and_unit(sheet: Sheet, r: int, cols: dict[str, int], ind: Indicator) -> None:
    """指标性质 + 指标值 + 度量单位 -> one target: "≥" "95" "%" -> "≥95%"; 定性 keeps its text.

    The actual under 完成值 takes the unit too ("100" "%" -> "100%").
    """
    if "op" not in cols and "unit" not in cols:
        return
    op_text = sheet.text(r, cols["op"]) if "op" in cols else None
    unit = sheet.text(r, cols["unit"]) if "unit" in cols else None
    qualitative = op_text is not None and label_key(op_text) in QUALITATIVE_WORDS
    op = None if op_text is None or qualitative else OPERATOR_WORDS.get(label_key(op_text))
    if ind.target is not None and not qualitative:
        # "≥98" typed with its operator still takes the unit column's "%"
        if unit is not None and _is_plain_number(ind.target.lstrip("".join(_OPERATOR_STARTS))):
            ind.target = f"{ind.target}{unit}"
        if op is not None and not ind.target.startswith(_OPERATOR_STARTS):
            ind.target = f"{op}{ind.target}"
    if unit is not None and ind.actual is not None and _is_plain_number(ind.actual):
        ind.actual = f"{ind.actual}{unit}"


def _percent_by_target(raw, ind: Indicator) -> None:
    """Where no number format can be seen (text, an .xls xlrd cannot parse) a typed 95% is
    0.95: a bare fraction against a target in percent (≥90%) is that percent. A target of
    1.5 % or less (≤1% errors) is left alone, where 0.5 may well mean 0.5 %."""
    if type(raw) not in (float, int) or not 0 <= raw <= 1.5:  # .xls gives a whole 1 as int
        return
    target = parse_measure(ind.target)
    if isinstance(target, Quantity) and target.unit == "%" and target.value > 1.5:
        ind.actual = percent_text(raw)


_OPERATOR_STARTS = ("≥", "≤", ">", "<", "=", "＝", "﹦", "＞", "＜")


def _is_plain_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------ the block


def read_indicators(sheet: Sheet, hdr: IndicatorHeader, stop: int,
                    trust_columns: bool) -> IndicatorBlock:
    block = IndicatorBlock([])
    items: list[tuple[str, object]] = []  # ("row", _Row) | ("frag", [(c, text)]) | ("blank", r)
    end = hdr.row
    r = hdr.row + 1
    while r < stop:
        cells = sheet.cells(r)
        if not cells:
            items.append(("blank", r))
            r += 1
            continue
        keys = sheet.keys(r)
        if any(key.startswith("小计") for key in keys[:4]):
            r += 1  # a 一级's subtotal: the 总分 row sums the indicators themselves
            continue
        if _is_total_row(keys):
            _read_total(sheet, r, hdr, trust_columns, block)
            end = r
            end = _read_grade_after(sheet, r, stop, block)
            break
        if "等级" in "".join(keys[:3]) and _grade_label_at(keys[:3]) is not None:
            _read_grade(sheet, r, block)
            end = r
            break
        if is_footer_key(keys[0]):
            break
        if is_header_row(sheet, r):
            r += 1  # the header repeated on a printed page
            continue
        end = r
        shift = _choose_shift(sheet, r, hdr, trust_columns)
        if shift is None and not trust_columns and len(cells) == 1:
            items.append(("frag", cells))
        else:
            items.append(("row", _read_row(sheet, r, hdr, shift or 0)))
        r += 1
    block.end = end
    rows = _merge_fragments(items, hdr, sheet)
    _resolve_levels(rows)
    # A row that carries only a 一级/二级 label (an unused 二级 left on the form) is no
    # indicator; its labels have been filled down already.
    block.indicators = [row.indicator for row in rows if not _only_labels(row.indicator)]
    for ind in block.indicators:
        ind.level1, ind.level2 = without_points(ind.level1), without_points(ind.level2)
    return block


def _only_labels(ind: Indicator) -> bool:
    """No indicator on the row: its cells are empty or placeholders ("/", "—", "无" with
    分值 and 得分 0 or empty), as units leave an unused 二级 slot of the printed form."""
    return _placeholder(ind.name) and _placeholder(ind.target) and _placeholder(ind.actual) \
        and not ind.weight and not ind.score \
        and all(_placeholder(text) for text in ind.unparsed.values())


def _placeholder(text: str | None) -> bool:
    return text is None or normalize_label(text) in EMPTY_MARKS


def _is_total_row(keys: tuple[str, ...]) -> bool:
    for key in keys[:3]:
        if len(key) <= 4 and key.startswith(TOTAL_LABELS):
            return True
    return False


def _merge_fragments(items: list, hdr: IndicatorHeader, sheet: Sheet) -> list[_Row]:
    """Join text a page break cut off its row: "完成好差评系统范围拓" + "展"."""
    rows: list[_Row] = []
    label_rows: list[list[tuple[int, str]]] = []
    for i, (kind, payload) in enumerate(items):
        if kind != "frag":
            continue
        cells = payload
        if all(_kind(t) != "text" for _, t in cells):
            label_rows.append(cells)
            continue
        before_break = i + 1 < len(items) and items[i + 1][0] == "blank"
        prev_row = next((p for k, p in reversed(items[:i]) if k == "row"), None)
        next_row = next((p for k, p in items[i + 1:] if k == "row"), None)
        if (before_break or prev_row is None) and next_row is not None:
            _join(next_row, cells, hdr, sheet, prepend=True)
        elif prev_row is not None:
            _join(prev_row, cells, hdr, sheet, prepend=False)
    pending: list[tuple[int, str]] = []
    for kind, payload in items:
        if kind == "frag" and all(_kind(t) != "text" for _, t in payload):
            pending.extend(payload)
        elif kind == "row":
            row = payload
            for c, text in pending:  # a 一级/二级 name printed on a line of its own
                k = _kind(text)
                if k in ("level1", "either") and not row.explicit_level1:
                    row.indicator.level1, row.explicit_level1 = text, True
                elif k == "level2" and not row.explicit_level2:
                    row.indicator.level2, row.explicit_level2 = text, True
            pending = []
            rows.append(row)
    return rows


def _join(row: _Row, cells: list[tuple[int, str]], hdr: IndicatorHeader, sheet: Sheet,
          prepend: bool) -> None:
    ind = row.indicator
    for c, text in cells:
        # A fragment is placed by the header's own columns: after a page break the
        # extraction lines the lone piece up with the printed column it belongs to.
        name = _field_at(c, hdr)
        if name == "target_initial":
            continue  # the record keeps the adjusted target only
        old = getattr(ind, name)
        setattr(ind, name, (text + (old or "")) if prepend else ((old or "") + text))


def _field_at(c: int, hdr: IndicatorHeader) -> str:
    placed = sorted((col, name) for name, col in hdr.cols.items())
    owner = "name"
    for col, name in placed:
        if col <= c:
            owner = name
    return owner if owner in TEXT_FIELDS or owner == "target_initial" else "name"


def _resolve_levels(rows: list[_Row]) -> None:
    """Fill 一级/二级 down from merged cells, placing a 一级 printed mid-block correctly."""
    previous: Indicator | None = None
    for row in rows:
        ind = row.indicator
        if not row.explicit_level2 and previous is not None and previous.level2 is not None:
            ind.level2 = previous.level2
            if "level2" in previous.cells:
                ind.cells["level2"] = previous.cells["level2"]
        previous = ind

    # A satisfaction indicator left just above the 满意度指标 rows (its merged labels
    # printed on the next page) is one of them, not of the group above.
    for row, after in zip(rows, rows[1:]):
        ind = row.indicator
        if not (row.explicit_level1 or row.explicit_level2) and "满意" in (ind.name or "") \
                and after.explicit_level1 and label_key(after.indicator.level1) == "满意度指标":
            ind.level1, ind.level2 = after.indicator.level1, after.indicator.level2
            for key in ("level1", "level2"):
                if key in after.indicator.cells:
                    ind.cells[key] = after.indicator.cells[key]
            row.explicit_level1 = True

    explicit = [(i, row.indicator) for i, row in enumerate(rows) if row.explicit_level1]
    current: Indicator | None = None
    for i, row in enumerate(rows):
        ind = row.indicator
        if row.explicit_level1:
            current = ind
            continue
        parents = level1_parents(ind.level2)

        def fits(source: Indicator | None) -> bool:
            return source is not None and (not parents or label_key(source.level1) in parents)

        later = [src for j, src in explicit if j > i]
        source = current if fits(current) else next((s for s in later if fits(s)), None)
        if source is None:
            source = current if current is not None else (later[0] if later else None)
        if source is not None:
            ind.level1 = source.level1
            if "level1" in source.cells:
                ind.cells["level1"] = source.cells["level1"]
            current = source


# ------------------------------------------------------------------ totals


def _read_total(sheet: Sheet, r: int, hdr: IndicatorHeader, trust_columns: bool,
                block: IndicatorBlock) -> None:
    shift = _choose_shift(sheet, r, hdr, trust_columns) or 0
    holder = _Holder()
    for name, out in (("weight", "total_weight"), ("score", "total_score")):
        if name in hdr.cols:
            store_number(sheet, r, hdr.cols[name] + shift, holder, name)
            setattr(block, out, getattr(holder, name))
            block.cells[out] = holder.cells[name]
            if name in holder.unparsed:
                block.unparsed[out] = holder.unparsed[name]


class _Holder:
    def __init__(self) -> None:
        self.cells: dict[str, str] = {}
        self.unparsed: dict[str, str] = {}


def _grade_label_at(keys: tuple[str, ...]) -> int | None:
    """Where a row names its grade: "评分等级" in a cell, or "评分等级：优" typed in one."""
    return next((i for i, k in enumerate(keys) if k.partition(":")[0] in GRADE_LABELS), None)


def _read_grade_after(sheet: Sheet, total_row: int, stop: int, block: IndicatorBlock) -> int:
    # the 总分 row itself may end with the grade ("总分 | 100 | 95 | 评分等级 | 优")
    if _grade_label_at(sheet.keys(total_row)) is not None:
        _read_grade(sheet, total_row, block)
        return total_row
    for r in range(total_row + 1, min(total_row + 4, stop)):
        if _grade_label_at(sheet.keys(r)[:3]) is not None:
            _read_grade(sheet, r, block)
            return r
    return total_row


def _read_grade(sheet: Sheet, r: int, block: IndicatorBlock) -> None:
    cells, keys = sheet.cells(r), sheet.keys(r)
    label_at = _grade_label_at(keys)
    label_col = cells[label_at][0]
    typed = keys[label_at].partition(":")[2]
    if typed:  # "评分等级：优" in one cell
        block.cells["grade"] = sheet.ref(r, label_col)
        if typed[:1] in GRADES:
            block.grade = typed[:1]
        else:
            block.unparsed["grade"] = cells[label_at][1]
        return
    block.cells["grade"] = sheet.ref(r, sheet.span_end(r, label_col) + 1)
    for (c, text), key in zip(cells[label_at + 1:], keys[label_at + 1:]):
        block.cells["grade"] = sheet.ref(r, c)
        bracketed = _BRACKETED_GRADE.search(text)
        if key[:1] in GRADES:
            block.grade = key[:1]
        elif bracketed:  # "A（优）"
            block.grade = bracketed.group(1)
        else:
            block.unparsed["grade"] = text
        return


_BRACKETED_GRADE = re.compile(r"[(（]\s*([优良中差])")

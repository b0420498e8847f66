"""The fund block: 项目资金 header row, then 年度资金总额 and its three sources."""

from __future__ import annotations

from dataclasses import dataclass, field

from jixiao.layout.labels import FUND_HEADER, MONEY_LABELS, fund_row_field
from jixiao.layout.sheet import Sheet, store_number
from jixiao.model import ALL_FUND_ROWS, FUND_ROWS, FundRow, Funds
from jixiao.values import ValueParseError, money_unit_of, parse_number, parse_rate_pct

NUMBER_FIELDS = ("initial", "budget", "executed", "weight", "score")


@dataclass
class FundHeader:
    row: int
    cols: dict[str, int] = field(default_factory=dict)
    #: the 执行率 header says "(%)": its numbers are percents already
    rate_in_percent: bool = False
    money_unit: str | None = None
    money_label: tuple[int, int] | None = None


def find_fund_header(sheet: Sheet, rows: range) -> FundHeader | None:
    for r in rows:
        cols = sheet.fields(r, FUND_HEADER)
        if "executed" in cols and len(cols) >= 2 or {"initial", "budget"} <= cols.keys():
            rate_label = sheet.text(r, cols["rate_pct"]) if "rate_pct" in cols else None
            rate_pct = rate_label is not None and "%" in rate_label.replace("％", "%")
            header = FundHeader(r, dict(cols), rate_pct)
            _find_money_unit(sheet, header, rows)
            return header
    return None


def _find_money_unit(sheet: Sheet, header: FundHeader, rows: range) -> None:
    # The 项目资金（万元） label sits in the header row, or merged down beside the rows; a
    # form may carry two such labels (预算执行情况(10分) beside 年度预算数(万元)): the one
    # that names a unit says it.
    for r in range(header.row, min(header.row + 6, rows.stop)):
        for (c, text), key in zip(sheet.cells(r), sheet.keys(r)):
            if key.startswith(MONEY_LABELS):
                unit = money_unit_of(text)
                if header.money_label is None or unit is not None:
                    header.money_label = (r, c)
                    header.money_unit = unit
                if unit is not None:
                    return
    # 年初预算数（万元） | 全年预算数（万元）: the amount columns' own heads name the unit
    for name in ("initial", "budget", "executed"):
        c = header.cols.get(name)
        unit = money_unit_of(sheet.text(header.row, c)) if c is not None else None
        if unit is not None:
            header.money_label, header.money_unit = (header.row, c), unit
            return


def read_funds(sheet: Sheet, header: FundHeader, stop: int) -> Funds:
    """Read the fund rows below the header, until `stop` (exclusive).

    A row is placed by its label; rows whose label says nothing (the placeholders of a
    blank export) take the standard rows in order.
    """
    funds = Funds()
    value_cols = sorted(header.cols.values())
    first_value_col = value_cols[0] if value_cols else 0
    unassigned = list(ALL_FUND_ROWS)
    pending: list[int] = []  # rows whose label says nothing (placeholders): by order
    for r in range(header.row + 1, stop):
        label_cells = [(c, t) for (c, t), k in zip(sheet.cells(r), sheet.keys(r))
                       if c < first_value_col and not k.startswith(MONEY_LABELS)]
        has_values = any(not sheet.is_blank(r, c) for c in value_cols)
        if not label_cells and not has_values:
            continue
        label = label_cells[-1][1] if label_cells else None
        name = fund_row_field(label)
        if name in unassigned:
            unassigned.remove(name)
            _read_row(sheet, header, r, getattr(funds, name))
        elif name is None:
            pending.append(r)
        if len(pending) + (len(ALL_FUND_ROWS) - len(unassigned)) >= len(ALL_FUND_ROWS):
            break
    standard = [name for name in unassigned if name in FUND_ROWS]
    for r in pending:
        if not standard:
            break
        _read_row(sheet, header, r, getattr(funds, standard.pop(0)))
    return funds


def _read_row(sheet: Sheet, header: FundHeader, r: int, row: FundRow) -> None:
    for name in NUMBER_FIELDS:
        if name in header.cols:
            store_number(sheet, r, header.cols[name], row, name)
    if "rate_pct" in header.cols:
        c = header.cols["rate_pct"]
        row.cells["rate_pct"] = sheet.ref(r, c)
        value = sheet.raw(r, c)
        try:
            row.rate_pct = _rate(value, header.rate_in_percent, sheet.is_percent(r, c), row)
        except (ValueParseError, ValueError, TypeError, OverflowError):
            text = sheet.text(r, c)
            if text is not None:
                row.unparsed["rate_pct"] = text
            row.rate_pct = None


def _rate(value, header_percent: bool, cell_percent: bool | None, row: FundRow) -> float | None:
    if isinstance(value, str) or value is None:
        return parse_rate_pct(value)
    number = parse_number(value)
    if number is None:
        return None
    if cell_percent is not None:
        return parse_rate_pct(number, cell_percent)
    if header_percent:
        return number
    # Format unknown (a reader that cannot see number formats): a rate near 全年执行数 /
    # 全年预算数 is a fraction, one near 100 times that is a percent. Rates above 100 %
    # (a real mistake to report) stay right this way, unlike a fixed cut-off.
    if row.budget and row.executed is not None:
        ratio = row.executed / row.budget
        return round(number * 100, 10) if abs(number - ratio) < abs(number - ratio * 100) \
            else number
    return parse_rate_pct(number, None)

"""What calamine does not give of an .ods sheet: its merged ranges and its percent cells.

An OpenDocument cell says both itself (``table:number-columns-spanned`` /
``number-rows-spanned``, ``office:value-type="percentage"``), so one pass over content.xml
finds them. Rows and columns repeated by ``number-*-repeated`` are counted, not expanded:
a sheet ends in a run of a million empty rows. The gate has already checked the part
(size, no DOCTYPE or entities) before this parser sees it.
"""

from __future__ import annotations

from xml.etree.ElementTree import XMLPullParser

TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
#: a percent cell repeated further than this (a formatted empty run) is not listed
MAX_REPEAT = 1000


def ods_merges_and_percents(chunks) -> dict[str, tuple[list, set[tuple[int, int]]]]:
    """{sheet: (merged ranges as calamine gives them, absolute (row, col) of % cells)}."""
    parser = XMLPullParser(events=("start", "end"))
    sheets: dict[str, tuple[list, set[tuple[int, int]]]] = {}
    merged: list = []
    percent: set[tuple[int, int]] = set()
    row = col = 0
    rows_repeated = 1
    for chunk in chunks:
        parser.feed(chunk)
        for event, element in parser.read_events():
            tag = element.tag
            if event == "start":
                if tag == TABLE + "table":
                    merged, percent = [], set()
                    sheets[element.get(TABLE + "name", "")] = (merged, percent)
                    row = 0
                elif tag == TABLE + "table-row":
                    col = 0
                    rows_repeated = _count(element.get(TABLE + "number-rows-repeated"))
                elif tag in (TABLE + "table-cell", TABLE + "covered-table-cell"):
                    cols_repeated = _count(element.get(TABLE + "number-columns-repeated"))
                    if tag == TABLE + "table-cell":
                        spanned_cols = _count(element.get(TABLE + "number-columns-spanned"))
                        spanned_rows = _count(element.get(TABLE + "number-rows-spanned"))
                        if spanned_cols > 1 or spanned_rows > 1:
                            merged.append(((row, col), (row + spanned_rows - 1, col + spanned_cols - 1)))
                        if element.get(OFFICE + "value-type") == "percentage" and \
                                cols_repeated * rows_repeated <= MAX_REPEAT:
                            percent.update((row + i, col + j) for i in range(rows_repeated)
                                           for j in range(cols_repeated))
                    col += cols_repeated
            elif tag == TABLE + "table-row":
                row += rows_repeated
                element.clear()
            elif tag == TABLE + "table":
                element.clear()
    return sheets


def _count(value: str | None) -> int:
    try:
        return max(1, int(value)) if value else 1
    except ValueError:
        return 1

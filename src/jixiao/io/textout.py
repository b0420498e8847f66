"""Text from returned workbooks and their file names, made safe for every output.

- Encodable: a lone surrogate (Excel's escape ``_xD800_`` decoded) cannot be written as
  UTF-8, and a file name in raw GBK bytes (what unzip makes of a zip created on Chinese
  Windows) comes out of the file system as surrogate escapes. One such name or text lost
  the report for every file of a run. Escaped bytes are decoded as GB18030 where they
  are that (the name shows as the unit wrote it), anything else becomes U+FFFD.
- Bounded: no cell or field longer than an Excel cell (32,767 characters); where text
  was cut, the text says so.
- For a terminal: no control sequences (OSC 52 writes the clipboard on many terminals).
"""

from __future__ import annotations

import re
from typing import Any

#: characters an Excel cell holds; every output field is bounded to it
MAX_FIELD_CHARS = 32_767

_SURROGATES = re.compile("[\ud800-\udfff]+")
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")
# ESC sequences (CSI, OSC up to BEL or ST, other two-byte ones), then any lone C0/C1 control
# character but tab and newline.
_TERMINAL_CONTROL = re.compile(
    "\x1b\\[[0-?]*[ -/]*[@-~]?|\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|\x1b[P^_X][^\x1b]*(?:\x1b\\\\)?"
    "|\x1b.?|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def encodable(text: str) -> str:
    """``text`` with every surrogate resolved: escaped GB18030 bytes decoded, the rest U+FFFD."""
    if text.isascii() or not _SURROGATES.search(text):
        return text
    text = _ESCAPED_BYTES.sub(
        lambda m: bytes(ord(ch) - 0xDC00 for ch in m.group()).decode("gb18030", "replace"), text)
    return _SURROGATES.sub(lambda m: "\ufffd" * len(m.group()), text)


_CUT_MARK = re.compile(r"…（内容过长，已截断，原文共 [0-9,]+ 字）$")


def bounded(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying so at the end when it was cut. A text
    cut before keeps its mark, which counts the original."""
    if len(text) <= limit:
        return text
    earlier = _CUT_MARK.search(text)
    mark = earlier.group() if earlier else f"…（内容过长，已截断，原文共 {len(text):,} 字）"
    return text[:limit - len(mark)] + mark


def field(value: Any) -> Any:
    """A value for an output field: text encodable and bounded, anything else as it is."""
    if type(value) is str and (len(value) > MAX_FIELD_CHARS
                               or not value.isascii() and _SURROGATES.search(value)):
        return bounded(encodable(value))
    return value


def for_terminal(text: str) -> str:
    """``text`` encodable, without control characters or escape sequences (tab and
    newline kept)."""
    return _TERMINAL_CONTROL.sub("", encodable(text))

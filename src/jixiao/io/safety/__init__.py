"""The safety gate: decide what a file really is and refuse what is unsafe before any
reader touches it.

- :mod:`.limits` — what one file may cost (:class:`Limits`) and the refusals past it;
- :mod:`.sniff` — the real type by content, and :func:`gate`, which runs the checks of
  that type and hands the bytes it read on (:class:`GatedFile`);
- :mod:`.package` — a zip workbook in memory, inflated by a bounded inflater, and the
  parts a run has already checked (:class:`PassedParts`);
- :mod:`.areas` — each sheet's used area per format (xlsx, ods, xls), from the bytes.
"""

from jixiao.io.safety.areas import xlsx_sheet_members
from jixiao.io.safety.limits import KINDS, Limits, parse_limit, too_many_cells_error, too_many_merges_error
from jixiao.io.safety.package import PassedParts, ZipPackage
from jixiao.io.safety.sniff import INPUT_EXTENSIONS, GatedFile, decode_text, gate, sniff

__all__ = ["INPUT_EXTENSIONS", "KINDS", "GatedFile", "Limits", "PassedParts", "ZipPackage",
           "decode_text", "gate", "parse_limit", "sniff", "too_many_cells_error",
           "too_many_merges_error", "xlsx_sheet_members"]

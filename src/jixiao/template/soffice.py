"""Run LibreOffice headless to recalculate or render workbooks (tests, samples, docs).

LibreOffice keeps the cached formula results of an xlsx unless its profile says to
recalculate on load, so every call gets a fresh profile with ``OOXMLRecalcMode`` = 0
(docs/READING.md, Traps). Files are converted in one ``soffice`` call: a lone call costs ≈ 1.5 s.
Not used to produce anything that is distributed (LibreOffice rewrites fonts on save).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(files: list[Path], out_dir: Path, fmt: str = "xlsx", timeout: float = 600) -> list[Path]:
    """Convert ``files`` to ``fmt`` ("xlsx", "pdf") in ``out_dir``, recalculating on load.

    Returns the converted paths in the order of ``files``; raises RuntimeError when
    LibreOffice is missing or a file was not converted.
    """
    exe = soffice_path()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jixiao-lo-") as profile_dir:
        user = Path(profile_dir) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
        cmd = [exe, f"-env:UserInstallation={Path(profile_dir).as_uri()}", "--headless",
               "--norestore", "--nolockcheck", "--convert-to", fmt, "--outdir", str(out_dir),
               *map(str, files)]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    outputs = [out_dir / f"{Path(f).stem}.{fmt}" for f in files]
    missing = [str(p) for p in outputs if not p.exists()]
    if missing:
        raise RuntimeError(f"soffice did not convert {len(missing)} file(s): {missing[:3]}; "
                           f"stderr: {result.stderr[-500:]}")
    return outputs

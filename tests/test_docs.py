"""The repository stands alone: every document a comment cites is in docs/."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [p for folder in ("src", "tests", "benchmarks", "samples") for p in (ROOT / folder).rglob("*")
           if p.suffix in (".py", ".md", ".toml") and "egg-info" not in str(p)]
CITATION = re.compile(r"(?<![\w.-])((?:[\w.-]+/)*)([A-Z][A-Z_]+\.md)\b")


def test_every_cited_document_is_in_the_repository():
    cited = set()
    for path in SOURCES:
        for folder, name in CITATION.findall(path.read_text(encoding="utf-8", errors="replace")):
            if name == "README.md":
                continue
            cited.add(folder + name)
            assert folder == "docs/", f"{path.relative_to(ROOT)} cites {folder}{name} outside docs/"
            assert (ROOT / folder / name).is_file(), f"{path.relative_to(ROOT)} cites a missing {name}"
    assert "docs/FORM.md" in cited and "docs/CHECKS.md" in cited


def test_docs_cite_each_other_by_files_that_exist():
    for doc in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([A-Z]+\.md)", doc.read_text(encoding="utf-8")):
            assert (ROOT / "docs" / target).is_file(), (doc.name, target)


def test_every_image_the_readme_and_docs_show_exists_and_is_small():
    """The portal's screenshots (benchmarks/portal_screenshots.py) and the printed forms:
    a renamed or missing file would show as a broken image, a large one bloats the repo."""
    shown = 0
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+\.png)\)", doc.read_text(encoding="utf-8")):
            image = doc.parent / target
            assert image.is_file(), (doc.name, target)
            assert image.stat().st_size < 200_000, (doc.name, target, image.stat().st_size)
            shown += 1
    portal = {p.name for p in (ROOT / "docs" / "portal").glob("*.png")}
    assert {"login.png", "rounds.png", "dashboard.png", "form.png", "unit.png", "result.png",
            "unit-phone.png"} <= portal
    assert shown >= 2 * len(portal)  # each screenshot in the README and in docs/portal.md

"""The README shows what the code does: its rules catalogue is the registry's."""

from __future__ import annotations

from pathlib import Path

from jixiao.checks.registry import catalogue_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def _block(text: str, name: str) -> str:
    start = text.index(f"<!-- {name}:start")
    start = text.index("-->", start) + 3
    return text[start:text.index(f"<!-- {name}:end -->")].strip()


def test_readme_rules_catalogue_is_the_registry():
    assert _block(README.read_text(encoding="utf-8"), "rules-catalogue") == \
        catalogue_markdown().strip()


def test_readme_starts_with_the_two_setup_commands_ci_runs():
    text = README.read_text(encoding="utf-8")
    first_block = text[text.index("```bash"):text.index("```", text.index("```bash") + 7)]
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    test_command = "python3 -m pip install -e '.[test,serve]' && python3 -m pytest -q"
    assert "python3 -m pip install -e . && jixiao check samples/returned/" in first_block
    assert test_command in first_block
    assert test_command in ci


def test_every_test_the_safety_section_names_exists():
    """安全与限制 lists each promise with the tests that hold it: none may be renamed away."""
    import re

    block = _block(README.read_text(encoding="utf-8"), "promises")
    tests = Path(__file__).resolve().parent
    named = 0
    for line in block.splitlines()[2:]:
        module = None
        for item in re.findall(r"`([^`]+)`", line.split("|")[2]):
            if "::" in item:
                module, item = item.split("::")
            source = (tests / module).read_text(encoding="utf-8")
            assert f"def {item}(" in source, (module, item)
            named += 1
    assert named >= 30


def test_readme_shows_the_three_commands_of_the_portal():
    """Issue 14: install, init, run — on a fresh machine these give a working portal."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## 收集门户"):]
    block = section[section.index("```bash"):section.index("```", section.index("```bash") + 7)]
    lines = [line.split("#")[0].strip() for line in block.splitlines()[1:]]
    assert [line for line in lines if line] == [
        "pip install -e '.[serve]'",
        "jixiao serve init --data 门户数据",
        "jixiao serve --data 门户数据",
    ]

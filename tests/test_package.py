"""The package's shape: its entry points, and what may import what."""

from __future__ import annotations

import inspect

import jixiao


def test_entry_points_are_the_functions_whatever_was_imported_first():
    import jixiao.merge  # noqa: F401  (the packages of the same meaning)
    import jixiao.template  # noqa: F401

    for name, parameter in [("check_paths", "paths"), ("merge_files", "output"),
                            ("write_templates", "projects")]:
        function = getattr(jixiao, name)
        assert inspect.isfunction(function), name
        assert parameter in inspect.signature(function).parameters, name  # help() shows it
    assert inspect.ismodule(jixiao.merge) and inspect.ismodule(jixiao.template)


# The pure core: what a form is, how it is read from a grid, scored and checked. It needs no
# file to be tested, so it may import nothing from the edges (readers, writers, runs, CLI).
CORE = ("model", "values", "scoring", "fingerprint", "profiles", "grid", "contract", "errors",
        "layout", "checks")


def _imports(path) -> set[str]:
    import ast

    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_core_imports_nothing_of_ours_outside_the_core():
    from pathlib import Path

    package = Path(jixiao.__file__).parent
    core_files = [p for name in CORE for p in
                  ([package / f"{name}.py"] if (package / f"{name}.py").exists()
                   else sorted((package / name).rglob("*.py")))]
    assert len(core_files) >= len(CORE)
    outside = {}
    for path in core_files:
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "jixiao" and len(parts) > 1 and parts[1] not in CORE \
                    and name not in ("jixiao.__version__",):
                outside.setdefault(str(path.relative_to(package)), set()).add(name)
    assert outside == {}


def test_no_module_imports_a_private_name_from_another():
    from pathlib import Path

    package = Path(jixiao.__file__).parent
    private = {}
    for path in package.rglob("*.py"):
        for name in _imports(path):
            if name.startswith("jixiao") and name.rsplit(".", 1)[-1].startswith("_") \
                    and not name.rsplit(".", 1)[-1].startswith("__"):
                private.setdefault(str(path.relative_to(package)), set()).add(name)
    assert private == {}

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


def test_io_imports_only_the_core_and_io():
    from pathlib import Path

    package = Path(jixiao.__file__).parent
    outside = {}
    for path in (package / "io").rglob("*.py"):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "jixiao" and len(parts) > 1 and parts[1] not in CORE + ("io",):
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


def test_every_library_imported_is_declared_and_every_one_declared_is_used():
    import re
    import sys
    import tomllib
    from importlib.metadata import packages_distributions
    from pathlib import Path

    package = Path(jixiao.__file__).parent
    project = tomllib.loads((package.parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {re.split(r"[<>=\[; ]", spec, maxsplit=1)[0].lower()
                for spec in project["project"]["dependencies"]
                + project["project"]["optional-dependencies"]["parquet"]
                + project["project"]["optional-dependencies"]["serve"]}
    distributions = packages_distributions()
    imported = set()
    for path in package.rglob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            if top != "jixiao" and top not in sys.stdlib_module_names:
                imported.update(d.lower() for d in distributions.get(top, [top]))
    # the portal names these in its settings as dotted paths (apps, middleware, backends),
    # which Django imports: each must be named there
    settings_text = (package / "serve" / "config.py").read_text(encoding="utf-8")
    by_settings = {"whitenoise": "whitenoise.", "django-axes": "axes.", "django-csp": "csp."}
    for dotted in by_settings.values():
        assert f'"{dotted}' in settings_text or f'"{dotted[:-1]}"' in settings_text, dotted
    # defusedxml is never imported by us: openpyxl uses it for every XML part when present;
    # psycopg neither: Django's PostgreSQL backend loads it for a postgresql:// --db
    assert imported == declared - {"defusedxml", "psycopg"} - set(by_settings)

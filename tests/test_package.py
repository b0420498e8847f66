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

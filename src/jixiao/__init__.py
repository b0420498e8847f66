"""jixiao: generate, check and consolidate 财政项目支出绩效自评表.

The library's three entry points are ``jixiao.write_templates``, ``jixiao.check_paths``
and ``jixiao.merge_files``; each is the function the CLI command of the same meaning calls.
"""

from __future__ import annotations

__version__ = "0.1.0"

from jixiao.model import Finding, FormRecord  # noqa: E402

__all__ = ["Finding", "FormRecord", "__version__", "check_paths", "merge_files", "write_templates"]

# Imported on first use so `import jixiao` stays cheap (worker processes import it once
# per process). Their names differ from the packages jixiao.merge and jixiao.template, so
# importing those never hides a function.
_ENTRY_POINTS = {
    "check_paths": ("jixiao.checking", "check_paths"),
    "merge_files": ("jixiao.merge", "merge"),
    "write_templates": ("jixiao.template", "write_template"),
}


def __getattr__(name: str):
    if name in _ENTRY_POINTS:
        import importlib

        module, function = _ENTRY_POINTS[name]
        return getattr(importlib.import_module(module), function)
    raise AttributeError(f"module 'jixiao' has no attribute {name!r}")

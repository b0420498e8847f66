"""jixiao: generate, check and consolidate 财政项目支出绩效自评表."""

from __future__ import annotations

__version__ = "0.1.0"

from jixiao.model import Finding, FormRecord  # noqa: E402

__all__ = ["Finding", "FormRecord", "__version__", "check", "merge", "template"]


def __getattr__(name: str):
    # Library entry points are imported lazily so `import jixiao` stays cheap
    # (worker processes import it once per process).
    if name == "check":
        from jixiao.checking import check_paths
        return check_paths
    if name == "merge":
        from jixiao.merge import merge
        return merge
    if name == "template":
        from jixiao.template import write_template
        return write_template
    raise AttributeError(name)

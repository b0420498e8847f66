"""``jixiao.merge(...)`` and ``jixiao.template(...)`` are the library's entry points, but
once the package of the same name is imported Python binds ``jixiao.merge`` to the package,
not to the function. Making those packages callable keeps ``jixiao.merge(...)`` and
``jixiao.merge.merge(...)`` both working, whatever was imported first."""

from __future__ import annotations

import sys
import types
from typing import Any, Callable


class _CallablePackage(types.ModuleType):
    __entry_point__: Callable[..., Any]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__entry_point__(*args, **kwargs)


def make_callable(module_name: str, entry_point: Callable[..., Any]) -> None:
    """Let the package ``module_name`` be called as ``entry_point``."""
    module = sys.modules[module_name]
    module.__entry_point__ = entry_point
    module.__class__ = _CallablePackage

"""Find self-evaluation forms in a sheet by their labels (``find_forms``).

Pure: a ``Grid`` in, ``FormRecord`` objects out, each value with the cell it came from.
"""

from jixiao.layout.forms import find_forms

__all__ = ["find_forms"]

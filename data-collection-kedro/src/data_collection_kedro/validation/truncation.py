"""Is the last field of a file's unterminated last line cut?

A download cut inside its last field leaves a line without its line end whose last value is a
prefix of the real one (``8917`` stored as ``89``). Nothing in the line says so; what can be
checked is whether the value looks like the same column in the rest of the file: its *shape*
(digits → ``9``, letters → ``a``, other characters kept: ``1.823`` → ``9.999``) must be one the
column shows. A column of free text (many shapes) cannot be judged: the value is kept.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

_DIGITS = re.compile(r"\d")
_LETTERS = re.compile(r"[^\W\d_]")
MIN_REFERENCE_ROWS = 10  # fewer other values: nothing to compare with, the value is kept
MAX_SHAPES = 25  # more shapes than this: free text, the value is kept


def shape(text: str) -> str:
    """``"1.823"`` → ``"9.999"``, ``"Définitif"`` → ``"aaaaaaaaa"``."""
    return _LETTERS.sub("a", _DIGITS.sub("9", text))


def last_field_looks_complete(value: Any, others: pd.Series) -> bool:
    """Whether ``value`` (the unterminated last line's last field) looks like ``others`` (the
    same column's values on the file's other lines)."""
    if len(others) < MIN_REFERENCE_ROWS:
        return True
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return bool(others.isna().any())  # cut right after the separator: empty
    present = others.dropna().astype("str").str.strip()
    shapes = set(present.map(shape).unique())
    if len(shapes) > MAX_SHAPES:
        return True
    return shape(str(value).strip()) in shapes

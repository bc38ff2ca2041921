"""Interned string tables: op names, scope paths, labels and source files, each a list.

A table holds valid text only, whatever the engine's Values carried: `Value`
checks a label's type when it is built, but `v.label = 5` later, or an op name
that is not a str (`Value(2.0, (a,), 5, ...)`), reaches the recorder as it is.
Interning turns every name into text (`as_text`), so that whatever `record()`
accepted, `save()` writes and `load()` reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def as_text(x: Any) -> str:
    """A name or label as text that any JSON encoder takes.

    A str as it is; None as ''; bytes decoded as UTF-8 (undecodable bytes as
    `\\xNN`); anything else as `str(x)`. Lone surrogates (which UTF-8 cannot
    encode, so a kernel message would fail) become `\\udNNN` escapes.
    """
    if isinstance(x, str):
        text = str.__str__(x)  # a plain str, also from a subclass (numpy.str_)
    elif x is None:
        text = ""
    elif isinstance(x, (bytes, bytearray, memoryview)):
        text = bytes(x).decode("utf-8", "backslashreplace")
    else:
        try:
            text = str(x)
        except Exception:  # a __str__ that fails: the type still says something
            text = f"<{type(x).__name__}>"
        if not isinstance(text, str):  # a __str__ returning a str subclass
            text = str.__str__(text)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def as_label(x: Any) -> str:
    """A label as text; a false one (None, 0, b'') is no label, as '' is."""
    if type(x) is str:
        return as_text(x)
    try:
        return as_text(x) if x else ""
    except (TypeError, ValueError):  # no truth value (a numpy array)
        return as_text(x)


class StringTable:
    """Interned strings; index 0 is always the empty string."""

    def __init__(self, items: Iterable[str] = ("",)):
        self.items: list[str] = list(items)
        if not self.items or self.items[0] != "":
            raise ValueError("a string table starts with ''")
        self._index = {s: i for i, s in enumerate(self.items)}

    def intern(self, s: Any) -> int:
        """The index of `s` as text (`as_text`), added if new."""
        try:
            i = self._index.get(s)
        except TypeError:  # unhashable (a list as a label)
            i = None
        if i is not None:
            return i
        text = as_text(s)
        i = self._index.get(text)
        if i is None:
            i = self._index[text] = len(self.items)
            self.items.append(text)
        if type(s) is str:  # a str that needed escaping finds its entry next time
            self._index[s] = i
        return i

    def intern_all(self, names: list, dtype: str) -> np.ndarray:
        """The ids of `names` as an array, interning the new ones (few are distinct)."""
        index = self._index
        try:
            new = set(names).difference(index)
            plain = all(type(s) is str for s in new)
        except TypeError:  # an unhashable name
            plain = False
        if not plain:  # a name that is not a str: each is turned into text
            return np.fromiter(map(self.intern, names), dtype, len(names))
        for s in new:
            self.intern(s)
        return np.fromiter(map(index.__getitem__, names), dtype, len(names))

    def index_of(self, s: str) -> int | None:
        """The index of `s`, or None if the table does not hold it."""
        return self._index.get(s)

    def __contains__(self, s: object) -> bool:
        return s in self._index

    def __getitem__(self, i: int) -> str:
        return self.items[i]

    def __len__(self) -> int:
        return len(self.items)


@dataclass
class Strings:
    """The trace's interned tables: op names, scope paths, labels, source files."""

    ops: StringTable = field(default_factory=StringTable)
    scopes: StringTable = field(default_factory=StringTable)
    labels: StringTable = field(default_factory=StringTable)
    files: StringTable = field(default_factory=StringTable)

    NAMES = ("ops", "scopes", "labels", "files")

    def as_lists(self) -> dict[str, list[str]]:
        return {name: getattr(self, name).items for name in self.NAMES}

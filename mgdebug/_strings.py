"""Interned string tables: op names, scope paths, labels and source files, each a list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np


class StringTable:
    """Interned strings; index 0 is always the empty string."""

    def __init__(self, items: Iterable[str] = ("",)):
        self.items: list[str] = list(items)
        if not self.items or self.items[0] != "":
            raise ValueError("a string table starts with ''")
        self._index = {s: i for i, s in enumerate(self.items)}

    def intern(self, s: str) -> int:
        i = self._index.get(s)
        if i is None:
            i = self._index[s] = len(self.items)
            self.items.append(s)
        return i

    def intern_all(self, names: list[str], dtype: str) -> np.ndarray:
        """The ids of `names` as an array, interning the new ones (few are distinct)."""
        index = self._index
        for s in set(names).difference(index):
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

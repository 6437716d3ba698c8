"""Text columns of many distinct values (order ids, phone numbers, tracking numbers), packed once
the rules have run: one UTF-8 buffer and the offsets of its values, a str made when one is asked for.

As Python objects, a million order ids are 88 MB (a str of 73 bytes and a pointer each); packed,
33 MB. It matters twice over while the sheet is written by two processes (io/forked.py): reading
a str object writes its reference count, so each page of them a process reads becomes a copy of
its own; reading a packed buffer copies nothing. The rules themselves (vexpr.py) run on the object
columns before they are packed; what reads a column after (the rows' views and messages, the Fines
ledger, the report) indexes it as it would the array (tests/test_packed.py).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import numpy as np

SEPARATOR = "\x00"  # no cell of a workbook holds it: XML 1.0 cannot carry it
SAMPLE = 4096  # rows looked at to tell a column of many distinct values from one of few
MANY = 0.25  # packed when at least this share of the sampled rows are distinct str objects


class Packed:
    """The values of a text column (str or None), packed. Raises ValueError for a value that is no
    str or holds the separator."""

    __slots__ = ("buffer", "offsets", "none", "n")
    dtype = np.dtype(object)
    ndim = 1

    def __init__(self, values: list[Any]):
        self.n = len(values)
        self.none = np.fromiter((v is None for v in values), dtype=bool, count=self.n)
        try:
            text = SEPARATOR.join(["" if v is None else v for v in values])
        except TypeError:
            raise ValueError("a value of the column is no text") from None
        self.buffer = text.encode("utf-8", "surrogatepass")
        ends = np.flatnonzero(np.frombuffer(self.buffer, dtype=np.uint8) == 0)
        if len(ends) != max(self.n - 1, 0):
            raise ValueError("a value of the column holds the separator")
        self.offsets = np.empty(self.n + 1, dtype=np.int64)  # value i: buffer[offsets[i]:offsets[i + 1] - 1]
        self.offsets[0] = 0
        self.offsets[1:-1] = ends + 1
        self.offsets[-1] = len(self.buffer) + 1

    @property
    def shape(self) -> tuple[int]:
        return (self.n,)

    def __len__(self) -> int:
        return self.n

    def _slice(self, lo: int, hi: int) -> list[Any]:
        if hi <= lo:
            return []
        values: list[Any] = self.buffer[self.offsets[lo]:self.offsets[hi] - 1].decode("utf-8", "surrogatepass") \
            .split(SEPARATOR)
        for j in np.flatnonzero(self.none[lo:hi]).tolist():
            values[j] = None
        return values

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (int, np.integer)):
            i = int(index) + (self.n if index < 0 else 0)
            if not 0 <= i < self.n:
                raise IndexError(f"row {index} of {self.n}")
            return self._slice(i, i + 1)[0]
        if isinstance(index, slice):
            lo, hi, step = index.indices(self.n)
            values = self._slice(lo, hi) if step == 1 else [self[i] for i in range(lo, hi, step)]
        else:
            index = np.asarray(index)
            rows = np.flatnonzero(index) if index.dtype == bool else index
            values = [self[i] for i in rows.tolist()]
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out

    def tolist(self) -> list[Any]:
        return self._slice(0, self.n)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self[:] if dtype in (None, object) else self[:].astype(dtype)


def worth_packing(column: Any) -> bool:
    """An object column of str values (or None), most of them distinct objects (sampled)."""
    if not isinstance(column, np.ndarray) or column.dtype != object or len(column) < SAMPLE:
        return False
    sample = column[np.linspace(0, len(column) - 1, SAMPLE).astype(np.int64)].tolist()
    return all(v is None or v.__class__ is str for v in sample) and \
        len({id(v) for v in sample if v is not None}) >= MANY * SAMPLE


def pack_text_columns(*columns: MutableMapping[str, Any]) -> list[str]:
    """Pack the text columns worth it, in each of the mappings of columns that holds them (a column
    held by several is packed once, and its objects freed as soon as it is): the names packed."""
    names = []
    for name in list(columns[0]):
        col = columns[0][name]
        if not worth_packing(col):
            continue
        try:
            packed = Packed(col.tolist())
        except ValueError:
            continue
        for cols in columns:
            if cols.get(name) is col:
                cols[name] = packed
        names.append(name)
        del col
    return names

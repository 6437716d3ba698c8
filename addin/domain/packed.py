"""Text columns of many distinct values (order ids, phone numbers, tracking numbers), packed as
they are read: one UTF-8 buffer and the offsets of its values, a str made when one is asked for.

As Python objects, a million order ids are 88 MB (a str of 73 bytes and a pointer each); packed,
33 MB. It matters twice over while the sheet is written by two processes (io/forked.py): reading
a str object writes its reference count, so each page of them a process reads becomes a copy of
its own; reading a packed buffer copies nothing. The reader packs a column whose values have not
repeated over its first 50,000 cells (io/orders_xlsx.py, io/columntypes.py Interner). The rules
(vexpr.py) read them as object arrays, made when a stage of the rules first reads one and let go
of when the stage is over (Unpacking, batch.py); what reads a column after (the rows' views and
messages, the Fines ledger, the report) indexes it as it would the array (tests/test_packed.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

SEPARATOR = "\x00"  # no cell of a workbook holds it: XML 1.0 cannot carry it
SEPARATOR_BYTE = SEPARATOR.encode()


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
            if self.none[i]:
                return None
            return self.buffer[self.offsets[i]:self.offsets[i + 1] - 1].decode("utf-8", "surrogatepass")
        if isinstance(index, slice):
            lo, hi, step = index.indices(self.n)
            values = self._slice(lo, hi) if step == 1 else self._rows(np.arange(lo, hi, step))
        else:
            index = np.asarray(index)
            values = self._rows(np.flatnonzero(index) if index.dtype == bool else index)
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out

    def _rows(self, rows: np.ndarray) -> list[Any]:
        rows = rows.astype(np.int64, copy=False)
        rows = np.where(rows < 0, rows + self.n, rows)
        if len(rows) and (rows.min() < 0 or rows.max() >= self.n):
            raise IndexError(f"rows out of range of {self.n}")
        buffer = self.buffer
        return [None if none else buffer[a:b - 1].decode("utf-8", "surrogatepass") for a, b, none in
                zip(self.offsets[rows].tolist(), self.offsets[rows + 1].tolist(), self.none[rows].tolist())]

    def tolist(self) -> list[Any]:
        return self._slice(0, self.n)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self[:] if dtype in (None, object) else self[:].astype(dtype)


def concatenated(parts: list[Any]) -> Packed:
    """Columns of consecutive rows (Packed, or object arrays of text) as one Packed."""
    packed = [p if isinstance(p, Packed) else Packed(list(p)) for p in parts]
    packed = [p for p in packed if p.n] or [Packed([])]
    out = Packed.__new__(Packed)
    out.n = sum(p.n for p in packed)
    out.none = np.concatenate([p.none for p in packed])
    out.buffer = SEPARATOR_BYTE.join(p.buffer for p in packed)
    out.offsets = np.empty(out.n + 1, dtype=np.int64)
    at, base = 0, 0
    for p in packed:
        out.offsets[at:at + p.n] = p.offsets[:-1] + base
        at, base = at + p.n, base + len(p.buffer) + 1
    out.offsets[-1] = base
    return out


class Unpacking(dict):  # type: ignore[type-arg]
    """Columns as the rules read them (r[name]): a Packed one as its object array, made when a rule
    first reads it and kept until release(), when the stage that reads it is over (the validations
    read the order ids and phone numbers; the policies do not)."""

    def __init__(self, columns: dict[str, Any]):
        super().__init__(columns)
        self.made: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> Any:
        col = dict.__getitem__(self, name)
        if not isinstance(col, Packed):
            return col
        made = self.made.get(name)
        if made is None:
            made = self.made[name] = col[:]
        return made

    def release(self) -> None:
        self.made.clear()

    def columns(self) -> dict[str, Any]:
        """The columns, packed ones packed."""
        return dict(self.items())

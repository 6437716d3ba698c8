"""A column that holds values on a few of a batch's rows and one fill value on all the others.

A policy's amounts, appeal windows, deadlines and suspensions exist only on its fined rows, its
risk deadlines only on rows at risk: a few percent of a million orders. Held densely they were
seven policies x 45 bytes per order, about 300 MB at a million orders; held here, a few MB. It
answers the indexing the batch's readers use (a row, a slice of rows, an array of rows or a mask)
with what the dense array would have given, so they need not know (tests/test_sparse.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Sparse:
    """values[k] on rows[k] (ascending, unique); fill on every other row of n."""

    __slots__ = ("rows", "values", "fill", "n")

    def __init__(self, rows: np.ndarray, values: np.ndarray, fill: Any, n: int):
        self.rows, self.values, self.fill, self.n = rows, values, fill, n

    @classmethod
    def where(cls, dense: np.ndarray, keep: np.ndarray, fill: Any) -> Sparse:
        """The dense column's values on the rows of the mask keep (fill elsewhere)."""
        rows = np.flatnonzero(keep)
        return cls(rows, dense[rows], fill, len(dense))

    @property
    def dtype(self) -> np.dtype:
        return self.values.dtype

    @property
    def shape(self) -> tuple[int]:
        return (self.n,)

    def __len__(self) -> int:
        return self.n

    def dense(self) -> np.ndarray:
        out = np.full(self.n, self.fill, dtype=self.values.dtype)
        out[self.rows] = self.values
        return out

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            lo, hi, step = index.indices(self.n)
            if step != 1:
                return self.dense()[index]
            out = np.full(max(hi - lo, 0), self.fill, dtype=self.values.dtype)
            a, b = np.searchsorted(self.rows, [lo, hi])
            out[self.rows[a:b] - lo] = self.values[a:b]
            return out
        if isinstance(index, (int, np.integer)):
            i = int(index) + (self.n if index < 0 else 0)
            if not 0 <= i < self.n:
                raise IndexError(f"row {index} of {self.n}")
            k = int(self.rows.searchsorted(i))  # (a dict of the rows would be faster, and 30 MB a column at 1M)
            return self.values[k] if k < len(self.rows) and self.rows[k] == i else self.values.dtype.type(self.fill)
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        index = np.where(index < 0, index + self.n, index)
        if len(index) and (index.min() < 0 or index.max() >= self.n):
            raise IndexError(f"rows out of range of {self.n}")
        k = np.minimum(np.searchsorted(self.rows, index), max(len(self.rows) - 1, 0))
        out = np.full(len(index), self.fill, dtype=self.values.dtype)
        if len(self.rows):
            hit = self.rows[k] == index
            out[hit] = self.values[k[hit]]
        return out

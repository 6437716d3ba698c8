"""A column of cells, as the streaming reader collected them, as typed values: a column at a time.

Most columns of an orders sheet are all of one kind: plain numbers, date-formatted numbers, plain
inline or shared strings, booleans. Such a column is read with one findall over its cells joined
(and numpy for the numbers); a column with anything else is read cell by cell, as sheetread.value
reads a cell (what python-calamine gives for it).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from addin.io.sheetread import Column, text, value

EXCEL_EPOCH_US = np.datetime64("1899-12-30T00:00:00", "us").astype(np.int64)
_BLANK = rb'(?: s="\d+")?/>'
_PLAIN_NUMBER = re.compile(rb'\x00[A-Z]+\d+"(?: s="\d+")?(?: t="n")?(?:/>|><v>([^<]*)</v></c>)')
_STYLED = re.compile(rb'\x00[A-Z]+\d+" s="(\d+)"')
_PLAIN_INLINE = re.compile(rb'\x00[A-Z]+\d+"(?:' + _BLANK + rb'|(?: s="\d+")? t="inlineStr">'
                           rb'<is><t(?: xml:space="preserve")?>([^<]*)</t></is></c>)')
_PLAIN_BOOL = re.compile(rb'\x00[A-Z]+\d+"(?:' + _BLANK + rb'|(?: s="\d+")? t="b"><v>([01])</v></c>)')
_PLAIN_SHARED = re.compile(rb'\x00[A-Z]+\d+"(?:' + _BLANK + rb'|(?: s="\d+")? t="s"><v>(\d+)</v></c>)')


def _numbers(column: Column, dates: frozenset[int], dated: bool) -> np.ndarray | None:
    """The cells' numbers (NaN for an empty cell) when every cell is a plain number (or empty) with
    (dated) or without a date format; None otherwise."""
    if not len(column.rows):
        return np.zeros(0)
    joined = column.joined()
    values = _PLAIN_NUMBER.findall(joined)
    if len(values) != len(column.tails):
        return None
    styles = {int(x) for x in set(_STYLED.findall(joined))}
    if dated:  # every cell a date format (an unformatted number in a date column: the general path)
        if joined.count(b'" s="') != len(values) or not styles <= dates:
            return None
    elif styles & dates:
        return None
    raw = np.array(values, dtype="S32")
    raw[raw == b""] = b"nan"
    try:
        return raw.astype(np.float64)
    except ValueError:
        return None


def serial_column(column: Column, dates: frozenset[int]) -> np.ndarray | None:
    """Cells that are all date-formatted numbers (or empty) -> naive datetime64[us] to the millisecond,
    as serial_datetime gives them; None when any cell is something else."""
    serial = _numbers(column, dates, dated=True)
    if serial is None:
        return None
    blank = np.isnan(serial)
    if not ((serial[~blank] >= 0) & (serial[~blank] < 2958466)).all():
        return None
    serial = np.where(serial < 61, serial + 1, serial)
    ms = np.round(np.where(blank, 0, serial) * 86_400_000).astype(np.int64)
    us = np.where(blank, np.iinfo(np.int64).min, ms * 1000 + EXCEL_EPOCH_US)
    return us.view("datetime64[us]")


def number_column(column: Column, dates: frozenset[int]) -> np.ndarray | None:
    """Cells that are all plain numbers without a date format (or empty) -> float64 (NaN blank), or None."""
    return _numbers(column, dates, dated=False)


def _utf8(raw: bytes) -> str:
    return raw.decode("utf-8")


class Interner:
    """One str per distinct value of a text column over the whole sheet, not one per group of rows.

    A column of inline strings read a group at a time makes its own str of each value in each
    group: at a million orders, 600,000 copies of 5,000 SKUs, 770,000 of the zip codes (about 125
    MB). A column whose values do not repeat (order ids, phone numbers) stops being interned after
    SAMPLE cells, so its memo does not hold a second reference to every value for nothing."""

    SAMPLE = 50_000
    MIN_REPEATS = 0.05

    def __init__(self) -> None:
        self.seen: dict[str, str] | None = {}
        self.cells = self.repeats = 0

    @property
    def repeats_seen(self) -> bool:
        """Whether the column's values repeat (so far): False once it stopped being interned."""
        return self.seen is not None

    def __call__(self, values: list[Any]) -> list[Any]:
        seen = self.seen
        if seen is None:
            return values
        before = len(seen)
        one = seen.setdefault
        values = [one(v, v) if v is not None else None for v in values]
        self.cells += len(values)
        self.repeats += len(values) - (len(seen) - before)
        if self.cells >= self.SAMPLE and self.repeats < self.MIN_REPEATS * self.cells:
            self.seen = None
        return values


def text_column(column: Column, shared: Any, dates: frozenset[int], intern: Interner | None = None) -> list[Any]:
    """The cells as value() gives them; columns of plain inline strings or plain shared strings (the
    usual text columns) read with one findall. intern: the column's Interner."""
    joined = column.joined()
    found = _PLAIN_INLINE.findall(joined)
    if len(found) == len(column.tails):
        decode = text if b"&" in joined or b"_x" in joined else _utf8
        distinct = set(found)
        if 2 * len(distinct) < len(found):  # a column of few values (states, countries): one str each
            shown = dict(zip(distinct, (intern or list)([decode(x) if x else None for x in distinct])))
            return [shown[x] for x in found]
        strings = [decode(x) if x else None for x in found]
        return intern(strings) if intern is not None else strings
    if b't="b"' in joined:
        found = _PLAIN_BOOL.findall(joined)
        if len(found) == len(column.tails):
            return [None if not x else x == b"1" for x in found]
    if shared is not None:
        found = _PLAIN_SHARED.findall(joined)
        if len(found) == len(column.tails):
            strings = [shared[int(x)] if x else None for x in found]
            return intern(strings) if intern is not None else strings  # (its counts tell ids from states)
    return [value(a, i, shared, dates) if i else None for a, i in column.cells()]


__all__ = ["Interner", "serial_column", "number_column", "text_column"]

"""Orders as typed columns (numpy arrays), the shape the batch engine works on.

A row engine order is a dict of Python values; a batch is a dict of columns with
the blank conventions of vexpr.py. Conversion from dicts is here for callers that
have rows; a reader that builds columns directly skips it.
"""

from __future__ import annotations

import functools

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from addin.domain.calendar import UTC
from addin.domain.helpers import BOOL, DATETIME, DURATION, NUMBER, TEXT
from addin.domain.vexpr import _py

FIELD_TYPES = {"text": TEXT, "number": NUMBER, "integer": NUMBER, "datetime": DATETIME, "bool": BOOL}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
NAT_INT = np.iinfo(np.int64).min  # numpy's NaT as an integer


def column(values: Sequence[Any], type_: str) -> np.ndarray:
    """One column of Python values (None = blank) as an array of the given expression type."""
    if type_ == NUMBER:
        return np.array([np.nan if v is None else v for v in values], dtype=float)
    if type_ == DATETIME:
        ints = [NAT_INT if v is None else (v - EPOCH) // MICROSECOND for v in values]
        return np.array(ints, dtype=np.int64).view("datetime64[us]")
    if type_ == DURATION:
        ints = [NAT_INT if v is None else v // MICROSECOND for v in values]
        return np.array(ints, dtype=np.int64).view("timedelta64[us]")
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


NAIVE_EPOCH = datetime(1970, 1, 1)
BUCKET = 15 * 60 * 1_000_000  # zones change offset on a quarter hour at the finest
DAY = 86_400_000_000


def instants_column(values: Sequence[datetime | None], zone: Any) -> np.ndarray:
    """Datetimes as written in a sheet (naive = wall-clock time in `zone`; aware = as given) -> UTC datetime64[us].

    The zone's offset is looked up once per quarter hour that occurs, not once per cell; a
    naive time in a DST gap or overlap gets the offset before the change (fold 0), as
    `datetime.replace(tzinfo=zone)` gives it.
    """
    local = np.empty(len(values), dtype=np.int64)
    aware = []
    for i, v in enumerate(values):
        if v is None:
            local[i] = NAT_INT
        elif v.tzinfo is None:
            local[i] = (v - NAIVE_EPOCH) // MICROSECOND
        else:
            local[i] = NAT_INT
            aware.append((i, (v - EPOCH) // MICROSECOND))
    out = local_to_utc(local.view("datetime64[us]"), zone).view(np.int64)
    for i, utc in aware:
        out[i] = utc
    return out.view("datetime64[us]")


def local_to_utc(local: np.ndarray, zone: Any) -> np.ndarray:
    """Naive wall-clock times of `zone` (datetime64[us], NaT = blank) -> UTC datetime64[us].

    The zone's offset is looked up once per quarter hour that occurs, not once per cell; a
    naive time in a DST gap or overlap gets the offset before the change (fold 0), as
    `datetime.replace(tzinfo=zone)` gives it.
    """
    ints = local.astype("datetime64[us]").view(np.int64)
    out = np.full(len(ints), NAT_INT, dtype=np.int64)
    valid = ints != NAT_INT
    if valid.any():
        at = ints[valid]
        days, inverse = np.unique(at // DAY, return_inverse=True)  # once per local day; a day whose
        first = np.array([_local_offset(zone, int(d) * DAY) for d in days], dtype=np.int64)  # offset
        last = np.array([_local_offset(zone, int(d) * DAY + DAY - 1) for d in days], dtype=np.int64)  # changes:
        offsets = first[inverse]
        for k in np.flatnonzero(first[inverse] != last[inverse]):  # by quarter hour
            offsets[k] = _local_offset(zone, int(at[k]) // BUCKET * BUCKET)
        out[valid] = at - offsets
    return out.view("datetime64[us]")


@functools.lru_cache(maxsize=1 << 16)
def _local_offset(zone: Any, local_us: int) -> int:
    return zone.utcoffset(NAIVE_EPOCH + timedelta(microseconds=local_us)) // MICROSECOND


def to_columns(orders: Sequence[Mapping[str, Any]], types: Mapping[str, str]) -> dict[str, np.ndarray]:
    return {name: column([o.get(name) for o in orders], t) for name, t in types.items()}


def value_at(col: np.ndarray, i: int) -> Any:
    """Element i of a column as the row engine would hold it."""
    return _py(col[i])



@functools.lru_cache(maxsize=1 << 16)
def _offset(zone: Any, utc_us: int) -> int:
    """The zone's UTC offset, in microseconds, at a UTC instant given as microseconds since 1970
    (cached: the blocks of a batch ask for the same days again)."""
    return (EPOCH + timedelta(microseconds=utc_us)).astimezone(zone).utcoffset() // MICROSECOND


def utc_to_local(values: np.ndarray, zone: Any) -> np.ndarray:
    """UTC instants (datetime64) -> naive wall-clock times of `zone` (datetime64[us]); NaT stays NaT.

    The offset is looked up once per UTC day that occurs (twice: at its start and end); only the
    instants of a day on which the offset changes are looked up on their own quarter hour.
    """
    ints = values.astype("datetime64[us]").view(np.int64)
    out = np.full(len(ints), NAT_INT, dtype=np.int64)
    valid = ints != NAT_INT
    if not valid.any():
        return out.view("datetime64[us]")
    at = ints[valid]
    days, inverse = np.unique(at // DAY, return_inverse=True)
    first = np.array([_offset(zone, int(d) * DAY) for d in days], dtype=np.int64)
    last = np.array([_offset(zone, int(d) * DAY + DAY - 1) for d in days], dtype=np.int64)
    offsets = first[inverse]
    for k in np.flatnonzero(first[inverse] != last[inverse]):  # a day with a change: by quarter hour
        offsets[k] = _offset(zone, int(at[k]) // BUCKET * BUCKET)
    out[valid] = at + offsets
    return out.view("datetime64[us]")


def clock_strings(local: np.ndarray) -> list[str]:
    """Naive datetime64 values as 'YYYY-MM-DD HH:MM' (the minute, as strftime shows it); NaT -> ''."""
    text = np.datetime_as_string(local.astype("datetime64[m]"), unit="m").tolist()
    return ["" if t == "NaT" else t.replace("T", " ") for t in text]

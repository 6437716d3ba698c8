"""The Orders table of an .xlsx/.xlsm read in one streaming pass (io/sheetread.py), typed a column
at a time.

The same OrdersTable as orders_from_grid gives for python-calamine's grid (tests/test_sheetread.py
holds the two to equal columns): the same header matching, blank rows, and cell conversion
(io/convert.py) for every cell that is not a plain number or a date-formatted number;
those, the bulk of an orders sheet, become numpy arrays without a Python object per cell.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from addin.domain.columns import FIELD_TYPES, column, instants_column, local_to_utc
from addin.domain.model import Issue, RuleSet
from addin.domain.packed import Packed, concatenated
from addin.io.package import Package, SheetRef
from addin.io.convert import convert_column
from addin.io.forked import ForkedError, Half
from addin.io.memory import give_back
from addin.io.reader import InputError, OrdersTable, check_header, merged_in_table
from addin.io.columntypes import Interner, number_column, serial_column, text_column
from addin.io.sheetread import Column, NotStreamable, SheetScan, date_styles, scan_groups, text


SPLIT_MIN_BYTES = 24 << 20  # an Orders sheet part of about 20,000 orders: below, one process reads it
READ_SHARE = 0.54  # this process's share: the other also inflates up to its half and hands its orders over


@dataclass
class _Part:
    """The orders of some of a sheet's rows, typed (indexes in issues and masks count from its first order)."""

    chosen: dict[str, Any]
    order_rows: np.ndarray
    columns: dict[str, np.ndarray]
    cell_issues: dict[int, list[Issue]]
    bad: dict[str, list[int]]
    shown_status: list[Any] | None
    merged: list[Any]


def read_orders_streaming(path: Path, pkg: Package, ref: SheetRef, rules: RuleSet, language: str,
                          split: bool = False) -> OrdersTable:
    """Raise sheetread.NotStreamable for a sheet part written in a way the stream does not take.

    split: a large part is read in two halves of its bytes, the second by a forked process
    (io/forked.py); each half ends at a row's end, so each order is read whole by one of them."""
    size = pkg.infos[ref.part].file_size
    if split and size >= SPLIT_MIN_BYTES and (os.cpu_count() or 1) > 1:
        middle = int(size * READ_SHARE)
        half = Half(lambda: (), lambda: _reopened(path, ref, rules, language, middle))
        try:
            part = _joined([_read_part(pkg, path, ref, rules, language, 0, middle), half.result()])
        except ForkedError as e:
            raise (InputError if e.kind in ("InputError", "PackageError") else NotStreamable)(str(e)) from None
        finally:
            half.cancel()
    else:
        part = _read_part(pkg, path, ref, rules, language, 0, None)
    headers, fields, computed = part.chosen["headers"], part.chosen["fields"], part.chosen["computed"]
    span = merged_in_table(part.merged, len(headers))
    if span:
        raise InputError(f"{path}: sheet {ref.name} has merged cells {span} in the orders table; unmerge them")
    n = len(part.order_rows)
    masks = {}
    for name, ks in part.bad.items():
        masks[name] = np.zeros(n, dtype=bool)
        masks[name][ks] = True
    numbers = part.order_rows  # int64 arrays, not lists: 70 MB less at a million orders
    table = OrdersTable(path, ref.name, headers, fields, computed, [], part.columns, numbers, numbers - 2,
                        part.cell_issues, masks, part.chosen["notes"], part.shown_status)
    del part
    give_back()  # what reading freed, to the system (io/memory.py)
    return table


def _reopened(path: Path, ref: SheetRef, rules: RuleSet, language: str, start: int) -> _Part:
    with Package(path) as pkg:
        return _read_part(pkg, path, ref, rules, language, start, None)


def _joined(parts: list[_Part]) -> _Part:
    """Parts of a sheet, in the order of their rows, as one (their columns are taken from them)."""
    if len(parts) == 1:
        return parts[0]
    issues: dict[int, list[Issue]] = {}
    bad: dict[str, list[int]] = {}
    n = 0
    for part in parts:
        issues.update({k + n: v for k, v in part.cell_issues.items()})
        for name, ks in part.bad.items():
            bad.setdefault(name, []).extend(k + n for k in ks)
        n += len(part.order_rows)
    first = parts[0]
    status = None if first.shown_status is None else [s for part in parts for s in part.shown_status or ()]
    columns = {}
    for name in list(first.columns):  # a column at a time, each part's let go of once joined: the
        columns[name] = _concatenated([part.columns.pop(name) for part in parts])  # sheet is never held twice
    return _Part(first.chosen, np.concatenate([part.order_rows for part in parts]), columns,
                 issues, bad, status, [m for part in parts for m in part.merged])


def _concatenated(columns: list[Any]) -> Any:
    """A column's parts, in order, as one (packed if any part is)."""
    if any(isinstance(c, Packed) for c in columns):
        return concatenated(columns)
    return np.concatenate(columns)


def _read_part(pkg: Package, path: Path, ref: SheetRef, rules: RuleSet, language: str, start: int,
               stop: int | None) -> _Part:
    """The orders of the blocks of the part that begin at byte start or later (and before stop)."""
    chosen: dict[str, Any] = {}

    def wanted(header: dict[int, Any]) -> set[int]:
        headers = [header.get(c) for c in range(max(header) + 1)] if header else []
        fields, computed, notes = check_header(path, ref.name, headers, rules)
        chosen.update(headers=headers, fields=fields, computed=computed, notes=notes)
        return set(fields.values()) | ({computed["Status"]} if "Status" in computed else set())

    dates = date_styles(pkg)
    interned: dict[int, Interner] = defaultdict(Interner)  # column -> its values over all groups
    parts = [_typed_group(sheet, chosen, rules, language, dates, interned)
             for sheet in scan_groups(pkg, ref.part, wanted, start, stop)]
    return _joined(parts)


def _typed_group(sheet: SheetScan, chosen: dict[str, Any], rules: RuleSet, language: str,
                 dates: frozenset[int], interned: dict[int, Interner]) -> _Part:
    """The orders of a group of blocks, typed (its raw cells can then go)."""
    fields, computed = chosen["fields"], chosen["computed"]
    typed: dict[int, tuple[np.ndarray, Any]] = {}  # column -> (its cells' rows, array or list of values)
    filled_rows: list[np.ndarray] = []
    for col, cells in sheet.columns.items():
        rows = cells.rows
        values = _fast(cells, fields, col, rules, dates)
        if values is None:
            values = text_column(cells, sheet.shared, dates, interned[col])
            filled = np.array([v is not None and v != "" for v in values], dtype=bool)
        else:
            filled = ~np.isnan(values) if values.dtype.kind == "f" else ~np.isnat(values)
        typed[col] = (rows, values)
        filled_rows.append(rows[filled])
    order_rows = np.unique(np.concatenate(filled_rows)) if filled_rows else np.zeros(0, np.int64)
    elsewhere = sheet.filled_elsewhere(order_rows)
    if elsewhere:
        order_rows = np.unique(np.concatenate([order_rows, np.array(elsewhere, dtype=np.int64)]))
    order_rows = order_rows[order_rows > 1]
    n = len(order_rows)
    cell_issues: dict[int, list[Issue]] = {}
    bad: dict[str, list[int]] = {}
    columns: dict[str, np.ndarray] = {}
    zone = rules.zones.workbook
    for name, fdef in rules.fields.items():
        col = fields.get(name)
        if col is None or col not in typed:
            empty: list[Any] = [None] * n
            columns[name] = instants_column(empty, zone) if fdef.type == "datetime" else \
                column(empty, FIELD_TYPES[fdef.type])
            continue
        rows, values = typed[col]
        at, keep = _positions(order_rows, rows)
        if isinstance(values, np.ndarray):
            if values.dtype.kind == "f":
                out = np.full(n, np.nan)
                out[at] = values[keep]
                columns[name] = out
            else:
                out64 = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
                out64[at] = values[keep]
                columns[name] = local_to_utc(out64, zone)
            continue
        found = convert_column(name, _scatter(values, at, keep, n, None), rules, language, cell_issues, bad)
        if fdef.type == "text" and not interned[col].repeats_seen:  # values that do not repeat: domain/packed.py
            try:
                columns[name] = Packed(found)
                continue
            except ValueError:
                pass
        columns[name] = instants_column(found, zone) if fdef.type == "datetime" else \
            column(found, FIELD_TYPES[fdef.type])
    shown_status = None
    if "Status" in computed:
        shown_status = [""] * n  # as python-calamine gives a cell with nothing in it
        if computed["Status"] in typed:
            rows, values = typed[computed["Status"]]
            shown_status = _scatter(["" if v is None else v for v in values], *_positions(order_rows, rows), n, "")
    return _Part(chosen, order_rows, columns, cell_issues, bad, shown_status, sheet.merged)


def _scatter(values: list[Any], at: np.ndarray, keep: np.ndarray, n: int, blank: Any) -> list[Any]:
    """The cells' values on the orders' rows (`blank` where an order has no cell in the column)."""
    if len(at) == n and keep.all():  # a cell on every order's row, in order: the usual column
        return list(values)
    out = np.full(n, blank, dtype=object)
    kept = np.empty(int(keep.sum()), dtype=object)
    kept[:] = [v for v, k in zip(values, keep.tolist()) if k]
    out[at] = kept
    return out.tolist()


def _positions(order_rows: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each cell's row is among the orders, and which cells are on an order's row."""
    at = np.searchsorted(order_rows, rows)
    keep = at < len(order_rows)
    keep[keep] = order_rows[at[keep]] == rows[keep]
    return at[keep], keep


def _fast(cells: Column, fields: dict[str, int], col: int, rules: RuleSet, dates: frozenset[int]) -> np.ndarray | None:
    """The column as an array when every cell is a plain number (number fields) or a date-formatted
    number (datetime fields); None when any cell needs the general conversion."""
    name = next((f for f, c in fields.items() if c == col), None)
    if name is None:
        return None
    kind = rules.fields[name].type
    fdef = rules.fields[name]
    if kind in ("number", "integer") and fdef.values is None:
        numbers = number_column(cells, dates)
        if numbers is not None and kind == "integer":
            whole = numbers[~np.isnan(numbers)]
            if not (whole == np.floor(whole)).all():
                return None
        return numbers
    if kind == "datetime":
        return serial_column(cells, dates)
    return None


__all__ = ["read_orders_streaming", "text"]

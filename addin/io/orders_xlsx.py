"""The Orders table of an .xlsx/.xlsm read in one streaming pass (io/sheetread.py), typed a column
at a time.

The same OrdersTable as orders_from_grid gives for python-calamine's grid (tests/test_sheetread.py
holds the two to equal columns): the same header matching, blank rows, and cell conversion
(io/convert.py) for every cell that is not a plain number or a date-formatted number;
those, the bulk of an orders sheet, become numpy arrays without a Python object per cell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from addin.domain.columns import FIELD_TYPES, column, instants_column, local_to_utc
from addin.domain.model import Issue, RuleSet
from addin.io.package import Package, SheetRef
from addin.io.convert import convert_column
from addin.io.reader import InputError, OrdersTable, check_header, merged_in_table
from addin.io.sheetread import (
    Column, date_styles, number_column, scan, serial_column, text, text_column,
)


def read_orders_streaming(path: Path, pkg: Package, ref: SheetRef, rules: RuleSet, language: str) -> OrdersTable:
    """Raise sheetread.NotStreamable for a sheet part written in a way the stream does not take."""
    chosen: dict[str, Any] = {}

    def wanted(header: dict[int, Any]) -> set[int]:
        headers = [header.get(c) for c in range(max(header) + 1)] if header else []
        fields, computed, notes = check_header(path, ref.name, headers, rules)
        chosen.update(headers=headers, fields=fields, computed=computed, notes=notes)
        return set(fields.values()) | ({computed["Status"]} if "Status" in computed else set())

    sheet = scan(pkg, ref.part, wanted)
    if not chosen:  # no cell at all
        wanted({})
    headers, fields, computed = chosen["headers"], chosen["fields"], chosen["computed"]
    span = merged_in_table(sheet.merged, len(headers))
    if span:
        raise InputError(f"{path}: sheet {ref.name} has merged cells {span} in the orders table; unmerge them")
    dates = date_styles(pkg)
    typed: dict[int, tuple[np.ndarray, Any]] = {}  # column -> (its cells' rows, array or list of values)
    blank_rows: list[np.ndarray] = []
    for col, cells in sheet.columns.items():
        rows = cells.rows
        values = _fast(cells, fields, col, rules, dates)
        if values is None:
            values = text_column(cells, sheet.shared, dates)
            filled = np.array([v is not None and v != "" for v in values], dtype=bool)
        else:
            filled = ~np.isnan(values) if values.dtype.kind == "f" else ~np.isnat(values)
        typed[col] = (rows, values)
        blank_rows.append(rows[filled])
    if sheet.other_rows:
        blank_rows.append(np.array(sheet.other_rows, dtype=np.int64))
    order_rows = np.unique(np.concatenate(blank_rows)) if blank_rows else np.zeros(0, np.int64)
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
        columns[name] = instants_column(found, zone) if fdef.type == "datetime" else \
            column(found, FIELD_TYPES[fdef.type])
    shown_status = None
    if "Status" in computed:
        shown_status = [""] * n  # as python-calamine gives a cell with nothing in it
        if computed["Status"] in typed:
            rows, values = typed[computed["Status"]]
            shown_status = _scatter(["" if v is None else v for v in values], *_positions(order_rows, rows), n, "")
    masks = {}
    for name, ks in bad.items():
        masks[name] = np.zeros(n, dtype=bool)
        masks[name][ks] = True
    numbers = order_rows.tolist()
    return OrdersTable(path, ref.name, headers, fields, computed, [], columns, numbers, [r - 2 for r in numbers],
                       cell_issues, masks, chosen["notes"], shown_status)


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

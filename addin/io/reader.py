"""Reading the Orders table (and an optional Inventory table) from .xlsx/.xlsm or .csv.

Headers are matched by name, ignoring case, spaces and underscores, against each
field's header and aliases in rules/fields.yaml; unknown columns are kept as
they are for the writer. The orders become typed columns (domain/columns.py) for
the batch engine; a cell that cannot be converted becomes an issue on its row
naming the cell, and the batch goes on.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import python_calamine

from addin.domain.columns import FIELD_TYPES, column, instants_column, value_at
from addin.domain.model import Issue, RuleSet
from addin.domain.present import OUTPUT_COLUMNS
from addin.io.cells import is_blank
from addin.io.convert import convert_column as _convert_column
from addin.io.convert import fold
from addin.io.package import Package, PackageError
from addin.io.sheetxml import column_index
from addin.io.sheetxml import column_letters as column_letter

ORDERS_SHEET = "Orders"
INVENTORY_SHEET = "Inventory"
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
INVENTORY_SKU = ("sku", "货号", "商品sku")
INVENTORY_STOCK = ("stock", "onhand", "available", "quantity", "qty", "库存", "可用库存", "数量")


class InputError(Exception):
    """A file that cannot be read as an orders table; the message names the file (and sheet or cell)."""


@dataclass
class OrdersTable:
    """The Orders sheet as read: its header row, its raw rows, and its orders as typed columns."""

    path: Path
    sheet: str
    headers: list[Any]
    fields: dict[str, int]                 # field name -> column index
    computed: dict[str, int]               # existing computed output column -> column index
    rows: list[list[Any]]                  # raw values, header excluded
    columns: dict[str, np.ndarray]         # field -> one typed value per order (see domain/columns.py)
    order_rows: Sequence[int]              # sheet row of each order (blank rows are no orders); ascending
    order_index: Sequence[int]             # index in `rows` of each order (lists, or int64 arrays from io/orders_xlsx.py)
    cell_issues: dict[int, list[Issue]] = field(default_factory=dict)  # order -> cells that could not be read
    bad: dict[str, np.ndarray] = field(default_factory=dict)           # field -> orders whose cell was unreadable
    notes: list[str] = field(default_factory=list)
    shown_status: list[Any] | None = None  # what the Status column showed before (None: no such column)

    @property
    def n(self) -> int:
        return len(self.order_rows)

    @property
    def orders(self) -> list[dict[str, Any]]:
        """The orders as dicts of Python values, the row engine's input (built on each call)."""
        out = []
        for k in range(self.n):
            order = {name: value_at(col, k) for name, col in self.columns.items()}
            order["_row"], order["_index"] = int(self.order_rows[k]), int(self.order_index[k])
            if self.shown_status is not None:
                order["_shown_status"] = self.shown_status[k]
            if k in self.cell_issues:
                order["_issues"] = self.cell_issues[k]
                order["_bad"] = frozenset(name for name, rows in self.bad.items() if rows[k])
            out.append(order)
        return out

    def where(self, order: Mapping[str, Any], field_name: str | None = None) -> str:
        """Where a problem is, for a person: 'orders.xlsx Orders!F5' or 'orders.csv F5' (row 5 of the file)."""
        cell = self.cell(order, field_name)
        sheet = "" if self.path.suffix.lower() == ".csv" else f"{self.sheet}!"
        if cell is None:
            return f"{self.path.name} {sheet}row {order['_row']}".replace("! ", " ")
        return f"{self.path.name} {sheet}{cell}"

    def cell(self, order: Mapping[str, Any], field_name: str | None) -> str | None:
        """The A1 address of a field's cell on an order's row (None when the field has no column)."""
        if field_name is None or field_name not in self.fields:
            return None
        return f"{column_letter(self.fields[field_name])}{order['_row']}"


def read_orders(path: str | Path, rules: RuleSet, language: str | None = None, *, keep_rows: bool = True,
                package: Package | None = None, split: bool = False) -> OrdersTable:
    """Read the Orders table of a workbook or CSV; raise InputError for a file that cannot be used.

    keep_rows=False drops the raw cells once the orders are typed (an in-place update does not
    write them again), which halves the memory a large sheet needs. `package`: the workbook already
    opened by the caller (its parts are then inflated once). split: a large sheet may be read by two
    processes (io/orders_xlsx.py).
    """
    path = Path(path)
    if package is not None and not keep_rows:  # in place: the sheet streamed into typed columns
        from addin.io.orders_xlsx import read_orders_streaming
        from addin.io.sheetread import NotStreamable

        ref = package.sheet(ORDERS_SHEET)
        if ref is not None:
            try:
                return read_orders_streaming(path, package, ref, rules, language or rules.language, split)
            except NotStreamable:
                pass  # written in a way the stream does not take: the general reader below
            except PackageError as e:
                raise InputError(str(e)) from None
    grid, sheet = _read_grid(path, ORDERS_SHEET, package)
    return orders_from_grid(path, sheet, grid, rules, language, keep_rows=keep_rows)


def orders_from_grid(path: Path, sheet: str, grid: list[list[Any]], rules: RuleSet, language: str | None = None,
                     *, keep_rows: bool = True) -> OrdersTable:
    """The orders of a sheet given as cells (header row first), as a file, Excel or a test hands them over.

    Every reader of orders (a file, the workbook through xlwings, a cell function's range) goes through
    here, so headers, blank rows and cell conversion mean the same everywhere. `path` only names the
    source in messages.
    """
    language = language or rules.language
    headers = list(grid[0]) if grid else []
    fields, computed, notes = check_header(path, sheet, headers, rules)
    zones = rules.zones
    width = len(headers)
    rows: list[list[Any]] = []
    order_rows: list[int] = []
    order_index: list[int] = []
    for r, raw in enumerate(grid[1:]):
        if len(raw) < width:
            raw = list(raw) + [None] * (width - len(raw))
        rows.append(raw)
        if set(raw) <= BLANKS and all(is_blank(v) for v in raw):
            continue
        order_rows.append(r + 2)
        order_index.append(r)
    cell_issues: dict[int, list[Issue]] = {}
    bad: dict[str, list[int]] = {}
    values: dict[str, list[Any]] = {}
    for name, col in fields.items():
        raw_values = [rows[i][col] for i in order_index]
        values[name] = _convert_column(name, raw_values, rules, language, cell_issues, bad)
    shown_status = [rows[i][computed["Status"]] for i in order_index] if "Status" in computed else None
    if not keep_rows:
        rows, grid = [], None
    n = len(order_rows)
    columns = {}
    for name, fdef in rules.fields.items():
        found = values.get(name, [None] * n)
        if fdef.type == "datetime":
            columns[name] = instants_column(found, zones.workbook)
        else:
            columns[name] = column(found, FIELD_TYPES[fdef.type])
    masks = {}
    for name, ks in bad.items():
        masks[name] = np.zeros(n, dtype=bool)
        masks[name][ks] = True
    return OrdersTable(path, sheet, headers, fields, computed, rows, columns, order_rows, order_index, cell_issues,
                       masks, notes, shown_status)


def check_header(path: Path, sheet: str, headers: list[Any], rules: RuleSet) -> tuple[dict, dict, list[str]]:
    """Row 1 of an orders sheet: which column gives each field and each computed column, or InputError."""
    if not headers or all(is_blank(v) for v in headers):
        raise InputError(f"{path}: sheet {sheet} has no header row (row 1 is empty)")
    fields, computed, notes = _match_headers(path, sheet, headers, rules)
    if "order_id" in rules.fields and "order_id" not in fields:
        shown = ", ".join(str(h) for h in headers if not is_blank(h))
        raise InputError(f"{path}: sheet {sheet} has no {rules.fields['order_id'].header} column "
                         f"(headers in row 1: {shown})")
    return fields, computed, notes


def merged_in_table(merged: list[tuple[tuple[int, int], tuple[int, int]]], width: int) -> str | None:
    """The first merged range (0-based corners) that reaches into the table's columns, as A1:B2."""
    for first, last in merged:
        if first[1] < width or last[1] < width:
            return f"{column_letter(first[1])}{first[0] + 1}:{column_letter(last[1])}{last[0] + 1}"
    return None


BLANKS = frozenset({None, ""})


def read_inventory(path: str | Path, *, required: bool = True, package: Package | None = None) -> dict[str, float] | None:
    """SKU -> stock from an Inventory sheet (or a CSV); None when a workbook has no such sheet and it is optional."""
    path = Path(path)
    try:
        grid, sheet = _read_grid(path, INVENTORY_SHEET, package)
    except InputError:
        if required:
            raise
        return None
    return inventory_from_grid(path, sheet, grid)


def inventory_from_grid(path: Path, sheet: str, grid: list[list[Any]]) -> dict[str, float]:
    """SKU -> stock from an Inventory sheet given as cells (header row first)."""
    if not grid:
        return {}
    header = [fold(h) for h in grid[0]]
    sku_col = next((i for i, h in enumerate(header) if h in INVENTORY_SKU), None)
    stock_col = next((i for i, h in enumerate(header) if h in INVENTORY_STOCK), None)
    if sku_col is None or stock_col is None:
        raise InputError(f"{path}: sheet {sheet} needs an SKU column and a Stock column")
    stock: dict[str, float] = {}
    for r, row in enumerate(grid[1:], start=2):
        sku = row[sku_col] if sku_col < len(row) else None
        if is_blank(sku):
            continue
        value = row[stock_col] if stock_col < len(row) else None
        try:
            amount = float(value) if not is_blank(value) else 0.0
        except (TypeError, ValueError):
            raise InputError(f"{path}: {sheet}!{column_letter(stock_col)}{r}: stock {value!r} is not a number") from None
        key = str(int(sku)) if isinstance(sku, float) and sku.is_integer() else str(sku).strip()
        stock[key] = stock.get(key, 0.0) + amount
    return stock


def _match_headers(path: Path, sheet: str, headers: list[Any], rules: RuleSet) -> tuple[dict, dict, list[str]]:
    """Map each field to the column that names it; the field's own header outranks its aliases."""
    rank: dict[str, tuple[str, int]] = {}
    for name, fdef in rules.fields.items():
        for i, spelling in enumerate((fdef.header, name, *fdef.aliases)):
            rank.setdefault(fold(spelling), (name, i))
    computed_names = {fold(c): c for c in OUTPUT_COLUMNS}
    best: dict[str, tuple[int, int]] = {}
    computed: dict[str, int] = {}
    notes: list[str] = []
    seen: dict[str, int] = {}
    for col, header in enumerate(headers):
        if is_blank(header):
            continue
        key = fold(header)
        if key in seen:
            raise InputError(f"{path}: sheet {sheet}: header {str(header).strip()!r} appears twice "
                             f"(columns {column_letter(seen[key])} and {column_letter(col)})")
        seen[key] = col
        if key in computed_names:
            computed[computed_names[key]] = col
            continue
        hit = rank.get(key)
        if hit is None:
            continue
        name, priority = hit
        if name in best:
            kept, dropped = sorted([best[name], (priority, col)])
            notes.append(f"{sheet}: columns {column_letter(kept[1])} and {column_letter(dropped[1])} both give "
                         f"{rules.fields[name].header}; using {column_letter(kept[1])}")
            best[name] = kept
        else:
            best[name] = (priority, col)
    return {name: col for name, (_, col) in best.items()}, computed, notes


def _read_grid(path: Path, sheet_name: str, package: Package | None = None) -> tuple[list[list[Any]], str]:
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path), path.stem
    if suffix == ".xls":
        raise InputError(f"{path}: .xls (Excel 97-2003) is not supported; save it as .xlsx or .xlsm")
    if suffix not in EXCEL_SUFFIXES:
        raise InputError(f"{path}: unsupported file type {suffix or '(none)'}; use .xlsx, .xlsm or .csv")
    try:
        pkg = package or Package(path)  # refuses bombs, truncated zips and .xls before any parser sees them
        try:
            ref = pkg.sheet(sheet_name)
            if ref is None:
                names = ", ".join(s.name for s in pkg.sheets())
                raise InputError(f"{path}: no sheet named {sheet_name} (sheets: {names})")
            errors, merged = _scan_sheet(pkg.read(ref.part))
        finally:
            if package is None:
                pkg.close()
    except PackageError as e:
        raise InputError(str(e)) from None
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        grid = book.get_sheet_by_name(ref.name).to_python(skip_empty_area=False)
    except Exception as e:  # noqa: BLE001 - calamine raises several types for broken files
        raise InputError(f"{path}: sheet {ref.name} cannot be read ({type(e).__name__}: {e})") from None
    span = merged_in_table(merged, max((len(r) for r in grid[:1]), default=0))
    if span:
        raise InputError(f"{path}: sheet {ref.name} has merged cells {span} in the orders table; unmerge them")
    for (r, c), value in errors.items():  # calamine reads an error cell as empty: put the error back
        if r < len(grid) and c < len(grid[r]):
            grid[r][c] = value
    return grid, ref.name


_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*\bt="e"[^>]*)>(.*?)</(?:\w+:)?c>', re.S)
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def _scan_sheet(xml: bytes) -> tuple[dict[tuple[int, int], str], list[tuple[tuple[int, int], tuple[int, int]]]]:
    """Error cells (#N/A, #DIV/0! ...) by (row, column), and merged ranges, of a sheet part (0-based)."""
    errors = {}
    for m in (_ERROR_CELL.finditer(xml) if b'"e"' in xml else ()):  # most sheets hold no error cell at all
        ref = re.search(rb'\sr="([A-Z]+)(\d+)"', m.group(1))
        value = re.search(rb"<(?:\w+:)?v>([^<]*)<", m.group(2))
        if ref and value:
            errors[(int(ref.group(2)) - 1, column_index(ref.group(1).decode()))] = value.group(1).decode()
    merged = []
    for m in (_MERGE.finditer(xml) if b"mergeCell" in xml else ()):
        c1, r1 = column_index(m.group(1).decode()), int(m.group(2)) - 1
        c2 = column_index((m.group(3) or m.group(1)).decode())
        r2 = int(m.group(4) or m.group(2)) - 1
        merged.append(((r1, c1), (r2, c2)))
    return errors, merged





def _read_csv(path: Path) -> list[list[Any]]:
    """CSV as text rows. Excel in China saves CSV as GB18030 (GBK); UTF-8 (with or without BOM) is tried first."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(f"{path}: not UTF-8 or GB18030 text")
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]

"""The workbook's button actions: the Dashboard's `Action` cell names one, the Run button runs it.

Each action is a function of a WorkbookPort (port.py), so the same code runs in Excel
(XlwingsPort) and in tests (OpenpyxlPort). Orders are evaluated exactly as `wishxl recalc`
evaluates them (same header rules, cell conversion, Inventory stock check and batch engine,
Validation naming the cell), so a button and the command line never disagree on a cell.
`run` never raises: Excel would show a Python traceback, which a merchant cannot act on.
Adding an action is one function plus one line in ACTIONS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from addin.domain.batch import Batch, BatchEngine
from addin.domain.columns import FIELD_TYPES, column, instants_column
from addin.domain.model import RuleSet
from addin.domain.present import FINE_COLUMNS, OUTPUT_COLUMNS, fine_rows, render
from addin.domain.workflow import Walker
from addin.functions import rules_for
from addin.io.cells import is_blank
from addin.io.reader import (BLANKS, INVENTORY_SHEET, INVENTORY_SKU, INVENTORY_STOCK, InputError, OrdersTable,
                             _convert_column, _match_headers, column_letter, fold)
from addin.service import parse_as_of
from addin.xl.port import WorkbookPort

ORDERS, FINES, HISTORY = "Orders", "Fines", "History"
HISTORY_COLUMNS = ("When", "Order ID", "From", "To", "Why", "Action")
APPEAL_STATUS = "Appeal Status"
AS_OF = "AsOf"  # optional defined name: evaluate as of this time instead of now (what-if, tests)
WORKBOOK = Path("workbook")  # what the reader's messages name as the file
PROGRESS_EVERY = 1000


class ActionError(Exception):
    """Something the merchant can put right (no event chosen, no Order ID column): shown as it is."""


@dataclass(frozen=True)
class Action:
    id: str
    label: str
    function: Callable[[WorkbookPort], None]


@dataclass
class Evaluated:
    """The Orders sheet as read and evaluated: data row i is order k = index[i] (blank rows are none)."""

    rules: RuleSet
    headers: list[Any]
    rows: list[list[Any]]
    table: OrdersTable
    batch: Any  # BatchResult
    index: dict[int, int]

    def cells(self, k: int) -> dict[str, Any]:
        order = self.batch.row(k)
        return render(order, self.batch.result(k), self.rules, cell_of=lambda f: self.table.cell(order, f))

    def header(self, name: str) -> str:
        """A computed column's header as the sheet spells it (a new one is added as `name`)."""
        col = self.table.computed.get(name)
        return self.headers[col] if col is not None else name


def _rules() -> RuleSet:
    return rules_for()


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def evaluate(port: WorkbookPort, rules: RuleSet | None = None) -> Evaluated:
    """Read Orders (and Inventory) through the port and evaluate them like `wishxl recalc`."""
    rules = rules or _rules()
    language, zones = rules.language, rules.zones
    port.status("Reading the Orders sheet")
    headers, rows = port.read_table(ORDERS)
    if all(is_blank(h) for h in headers):
        raise ActionError(f"sheet {ORDERS} has no header row (row 1 is empty)")
    try:
        fields, computed, notes = _match_headers(WORKBOOK, ORDERS, headers, rules)
    except InputError as e:
        raise ActionError(str(e).removeprefix(f"{WORKBOOK}: ")) from None
    if "order_id" in rules.fields and "order_id" not in fields:
        raise ActionError(f"sheet {ORDERS} has no {rules.fields['order_id'].header} column")
    order_index = [i for i, r in enumerate(rows) if not set(r) <= BLANKS]  # as io/reader.py read_orders
    n = len(order_index)
    issues: dict[int, list] = {}
    bad: dict[str, list[int]] = {}
    columns = {}
    for name, fdef in rules.fields.items():
        col = fields.get(name)
        values = _convert_column(name, [rows[i][col] for i in order_index], rules, language, issues, bad) \
            if col is not None else [None] * n
        columns[name] = instants_column(values, zones.workbook) if fdef.type == "datetime" \
            else column(values, FIELD_TYPES[fdef.type])
    masks = {name: np.isin(np.arange(n), ks) for name, ks in bad.items()}
    table = OrdersTable(WORKBOOK, ORDERS, headers, fields, computed, rows, columns, [i + 2 for i in order_index],
                        order_index, issues, masks, notes)
    port.status(f"Evaluating {n:,} orders")
    batch = BatchEngine(rules).evaluate(Batch.from_table(table), _as_of(port, rules), _inventory(port), language)
    return Evaluated(rules, headers, rows, table, batch, {i: k for k, i in enumerate(order_index)})


def _as_of(port: WorkbookPort, rules: RuleSet) -> datetime:
    value = port.named_value(AS_OF)
    if isinstance(value, datetime):
        return rules.zones.from_workbook(value)
    if not is_blank(value):
        try:
            return parse_as_of(str(value), rules)
        except ValueError as e:
            raise ActionError(f"the {AS_OF} cell: {e}") from None
    return datetime.now(timezone.utc)


def _inventory(port: WorkbookPort) -> dict[str, float] | None:
    """SKU -> stock from the Inventory sheet, read like io/reader.py read_inventory; None without one."""
    try:
        headers, rows = port.read_table(INVENTORY_SHEET)
    except KeyError:
        return None
    folded = [fold(h) for h in headers]
    sku = next((i for i, h in enumerate(folded) if h in INVENTORY_SKU), None)
    stock = next((i for i, h in enumerate(folded) if h in INVENTORY_STOCK), None)
    if not headers:
        return {}
    if sku is None or stock is None:
        raise ActionError(f"sheet {INVENTORY_SHEET} needs an SKU column and a Stock column")
    found: dict[str, float] = {}
    for r, row in enumerate(rows, start=2):
        if is_blank(row[sku]):
            continue
        try:
            amount = float(row[stock]) if not is_blank(row[stock]) else 0.0
        except (TypeError, ValueError):
            raise ActionError(f"{INVENTORY_SHEET}!{column_letter(stock)}{r}: stock {row[stock]!r} "
                              "is not a number") from None
        key = str(int(row[sku])) if isinstance(row[sku], float) and row[sku].is_integer() else str(row[sku]).strip()
        found[key] = found.get(key, 0.0) + amount
    return found


def _write_computed(port: WorkbookPort, ev: Evaluated, names: tuple[str, ...], verb: str) -> None:
    """Write whole computed columns (blank rows emptied), reporting progress on long sheets."""
    out: dict[str, list[Any]] = {name: [None] * len(ev.rows) for name in names}
    for k, i in enumerate(ev.table.order_index):
        cells = ev.cells(k)
        for name in names:
            out[name][i] = _plain(cells[name])
        if k % PROGRESS_EVERY == PROGRESS_EVERY - 1:
            port.status(f"{verb}: {k + 1:,} of {ev.table.n:,} orders")
    port.status(f"{verb}: writing {ORDERS}")
    port.write_columns(ORDERS, {ev.header(name): values for name, values in out.items()})


def validate(port: WorkbookPort) -> None:
    """Validation and Status of every order (the quick check after typing or pasting orders)."""
    _write_computed(port, evaluate(port), ("Validation", "Status"), "Validate")


def recalculate(port: WorkbookPort) -> None:
    """Every computed column, and the Fines ledger rebuilt; the merchant's own columns of Fines
    (Appeal Status and any other) stay with their fine, matched by Fine ID."""
    ev = evaluate(port)
    _write_computed(port, ev, OUTPUT_COLUMNS, "Recalculate")
    port.status(f"Recalculate: writing {FINES}")
    ledger = [fine for k in ev.batch.fined_rows() for fine in fine_rows(ev.batch.result(k), ev.rules)]
    try:
        headers, rows = port.read_table(FINES)
    except KeyError:
        headers, rows = [], []
    extra = [h for h in headers if not is_blank(h) and h not in FINE_COLUMNS]
    if APPEAL_STATUS not in extra:
        extra.insert(0, APPEAL_STATUS)
    kept: dict[str, dict[str, Any]] = {}
    if "Fine ID" in headers:
        at = {h: headers.index(h) for h in extra if h in headers}
        for row in rows:
            if not is_blank(row[headers.index("Fine ID")]):
                kept[str(row[headers.index("Fine ID")])] = {h: row[c] for h, c in at.items()}
    port.replace_rows(FINES, [*FINE_COLUMNS, *extra],
                      [[_plain(fine[c]) for c in FINE_COLUMNS] + [kept.get(str(fine["Fine ID"]), {}).get(h)
                                                                  for h in extra] for fine in ledger])
    current = {str(fine["Fine ID"]) for fine in ledger}
    gone = [fid for fid, values in kept.items() if fid not in current and not all(map(is_blank, values.values()))]
    if gone:
        port.message(f"Recalculate: these fines no longer apply and left the {FINES} sheet with what was "
                     f"written beside them ({', '.join(extra)}): {', '.join(gone)}")


def advance(port: WorkbookPort) -> None:
    """The event chosen in the `Event` cell on each selected order: new Status, one History row each.

    An order starts from the Status its row shows when that names a state (an earlier manual
    event is only recorded there), else from the status its data gives. A refused event is
    reported for its row and the other rows go on."""
    rules = _rules()
    language, states = rules.language, rules.workflow.states
    chosen = port.named_value("Event")
    if is_blank(chosen):
        raise ActionError("choose an event in the Event cell first")
    event = next((e for e in rules.workflow.events
                  if fold(chosen) in (fold(e.rule.id), fold(e.label.en), fold(e.label.zh))), None)
    if event is None:
        known = ", ".join(e.rule.id for e in rules.workflow.events)
        raise ActionError(f"unknown event {chosen!r} (one of: {known})")
    selected = port.selected_rows(ORDERS)
    if not selected:
        raise ActionError(f"select the rows of the {ORDERS} sheet to advance first")
    ev = evaluate(port, rules)
    named = {fold(name): sid for sid, s in states.items() for name in (sid, s.label.en, s.label.zh)}
    col = ev.table.computed.get("Status")
    statuses = [row[col] if col is not None else None for row in ev.rows]
    walker, when, action = Walker(rules.workflow), datetime.now().replace(microsecond=0), ACTIONS["advance"].label
    history, refused = [], []
    for n, i in enumerate(selected, start=1):
        k = ev.index.get(i)
        if k is None:
            continue  # a blank row, or below the table
        order = ev.batch.row(k)
        order_id = order["order_id"] or "?"
        where = f"{ORDERS} row {i + 2} (order {order_id})"
        state = named.get(fold(statuses[i])) if not is_blank(statuses[i]) else None
        state = state or order["status"]
        try:
            new, issue = walker.apply_event(order, state, event.rule.id, language)
        except Exception as e:  # noqa: BLE001 - a guard failing on this row's data stops this row only
            refused.append(f"{where}: event {event.label(language)} could not be checked ({e})")
            continue
        if issue is not None:
            refused.append(f"{where}: {issue.message}")
            continue
        statuses[i] = states[new].label(language)
        history.append([when, order_id, states[state].label(language), statuses[i], event.label(language), action])
        if n % PROGRESS_EVERY == 0:
            port.status(f"Advance: {n:,} of {len(selected):,} selected rows")
    if history:
        port.write_columns(ORDERS, {ev.header("Status"): statuses})
        _log(port, history)
    if refused:
        port.message("\n".join(refused))


def _log(port: WorkbookPort, entries: list[list[Any]]) -> None:
    """Append History rows in the sheet's own column order (a sheet without headers gets them)."""
    try:
        headers, _ = port.read_table(HISTORY)
    except KeyError:
        headers = []
    if not headers:
        port.replace_rows(HISTORY, HISTORY_COLUMNS, entries)
        return
    pos = {fold(h): j for j, h in enumerate(HISTORY_COLUMNS)}
    port.append_rows(HISTORY, [[e[pos[fold(h)]] if fold(h) in pos else None for h in headers] for e in entries])


def clear_sample(port: WorkbookPort) -> None:
    """Empty the data rows of Orders, Fines and History, keeping their header rows."""
    for sheet in (ORDERS, FINES, HISTORY):
        try:
            headers, _ = port.read_table(sheet)
        except KeyError:
            continue
        port.status(f"Clearing {sheet}")
        port.replace_rows(sheet, headers, [])


ACTIONS: dict[str, Action] = {a.id: a for a in (
    Action("validate", "Validate orders", validate),
    Action("advance", "Advance selected orders", advance),
    Action("recalculate", "Recalculate", recalculate),
    Action("clear_sample", "Clear the sample", clear_sample),
)}


def find(label_or_id: Any) -> Action | None:
    key = fold(label_or_id) if not is_blank(label_or_id) else None
    return next((a for a in ACTIONS.values() if key in (fold(a.id), fold(a.label))), None)


def run(label_or_id: Any, port: WorkbookPort) -> bool:
    """Run one action; True when it finished. Every failure becomes a message, never an exception."""
    action = find(label_or_id)
    if action is None:
        labels = ", ".join(a.label for a in ACTIONS.values())
        what = "Choose an action" if is_blank(label_or_id) else f"Unknown action {label_or_id!r}; choose one"
        _quietly(port.message, f"{what} in the Action cell: {labels}")
        return False
    try:
        action.function(port)
        return True
    except (ActionError, InputError) as e:
        _quietly(port.message, f"{action.label}: {e}")
    except Exception as e:  # noqa: BLE001 - the merchant sees a message, not a traceback
        _quietly(port.message, f"{action.label} failed: {type(e).__name__}: {e}")
    finally:
        _quietly(port.status, "")
    return False


def _quietly(say: Callable[[str], None], text: str) -> None:
    try:
        say(text)
    except Exception:  # noqa: BLE001 - nothing is left to tell it with
        pass

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
from addin.domain.model import RuleSet
from addin.domain.present import FINE_COLUMNS, OUTPUT_COLUMNS, fine_rows, render
from addin.domain.workflow import Walker
from addin.functions import rules_for
from addin.io.cells import is_blank
from addin.io.reader import INVENTORY_SHEET, InputError, OrdersTable, fold, inventory_from_grid, orders_from_grid
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
    """The Orders sheet as read (`table.rows`: data row i is sheet row i + 2) and its orders evaluated
    (order k is data row `table.order_index[k]`; blank rows are no order)."""

    rules: RuleSet
    table: OrdersTable
    batch: Any  # BatchResult

    def cells(self, k: int) -> dict[str, Any]:
        order = self.batch.row(k)
        return render(order, self.batch.result(k), self.rules, cell_of=lambda f: self.table.cell(order, f))

    def header(self, name: str) -> str:
        """A computed column's header as the sheet spells it (a new one is added as `name`)."""
        col = self.table.computed.get(name)
        return self.table.headers[col] if col is not None else name


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def evaluate(port: WorkbookPort, rules: RuleSet | None = None) -> Evaluated:
    """Read Orders (and Inventory) through the port and evaluate them like `wishxl recalc`."""
    rules = rules or rules_for()
    port.status("Reading the Orders sheet")
    headers, rows = port.read_table(ORDERS)
    try:
        table = orders_from_grid(WORKBOOK, ORDERS, [list(headers), *rows], rules)
    except InputError as e:
        raise ActionError(str(e).removeprefix(f"{WORKBOOK}: ")) from None
    port.status(f"Evaluating {table.n:,} orders")
    batch = BatchEngine(rules).evaluate(Batch.from_table(table), _as_of(port, rules), _inventory(port),
                                        rules.language)
    return Evaluated(rules, table, batch)


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
    """SKU -> stock from the Inventory sheet (read as io/reader.py reads one); None without one."""
    try:
        headers, rows = port.read_table(INVENTORY_SHEET)
    except KeyError:
        return None
    try:
        return inventory_from_grid(WORKBOOK, INVENTORY_SHEET, [list(headers), *rows]) if headers else {}
    except InputError as e:
        raise ActionError(str(e).removeprefix(f"{WORKBOOK}: ")) from None


def _write_computed(port: WorkbookPort, ev: Evaluated, names: tuple[str, ...], verb: str, label: str) -> None:
    """Write whole computed columns (blank rows emptied), reporting progress on long sheets; each
    order whose Status changes gets a History row saying from what, to what, and why."""
    out: dict[str, list[Any]] = {name: [None] * len(ev.table.rows) for name in names}
    status_col = ev.table.computed.get("Status")
    changes = []
    when = datetime.now().replace(microsecond=0)
    for k, i in enumerate(ev.table.order_index):
        cells = ev.cells(k)
        for name in names:
            out[name][i] = _plain(cells[name])
        before = ev.table.rows[i][status_col] if status_col is not None else None
        if not is_blank(before) and before != cells["Status"]:
            events = ev.batch.result(k).status_events
            why = " → ".join(e.label(ev.rules.language) for e in events) or cells["Status"]
            changes.append([when, _plain(ev.batch.row(k)["order_id"]), before, cells["Status"], why, label])
        if k % PROGRESS_EVERY == PROGRESS_EVERY - 1:
            port.status(f"{verb}: {k + 1:,} of {ev.table.n:,} orders")
    port.status(f"{verb}: writing {ORDERS}")
    port.write_columns(ORDERS, {ev.header(name): values for name, values in out.items()})
    if changes:
        _log(port, changes)


def validate(port: WorkbookPort) -> None:
    """Validation and Status of every order (the quick check after typing or pasting orders)."""
    _write_computed(port, evaluate(port), ("Validation", "Status"), "Validate", "Validate orders")


def recalculate(port: WorkbookPort) -> None:
    """Every computed column, and the Fines ledger rebuilt; the merchant's own columns of Fines
    (Appeal Status and any other) stay with their fine, matched by Fine ID."""
    ev = evaluate(port)
    _write_computed(port, ev, OUTPUT_COLUMNS, "Recalculate", "Recalculate")
    port.status(f"Recalculate: writing {FINES}")
    ledger = [fine for k in ev.batch.fined_rows() for fine in fine_rows(ev.batch.result(k), ev.rules)]
    headers, rows = _table(port, FINES)
    extra = [h for h in headers if not is_blank(h) and h not in FINE_COLUMNS]
    extra = extra if APPEAL_STATUS in extra else [APPEAL_STATUS, *extra]
    by_id = headers.index("Fine ID") if "Fine ID" in headers else None
    at = {h: headers.index(h) for h in extra if h in headers}
    kept = {str(row[by_id]): {h: row[c] for h, c in at.items()} for row in rows
            if by_id is not None and not is_blank(row[by_id])}
    port.replace_rows(FINES, [*FINE_COLUMNS, *extra],
                      [[_plain(fine[c]) for c in FINE_COLUMNS] + [kept.get(str(fine["Fine ID"]), {}).get(h)
                                                                  for h in extra] for fine in ledger])
    current = {str(fine["Fine ID"]) for fine in ledger}
    gone = [fid for fid, values in kept.items() if fid not in current and not all(map(is_blank, values.values()))]
    if gone:
        port.message(f"Recalculate: these fines no longer apply and left the {FINES} sheet with what was "
                     f"written beside them ({', '.join(extra)}): {', '.join(_first(gone, 'more'))}")


def _table(port: WorkbookPort, sheet: str) -> tuple[list[Any], list[list[Any]]]:
    try:
        return port.read_table(sheet)
    except KeyError:
        return [], []


def _first(lines: list[str], more: str, limit: int = 20) -> list[str]:
    """At most `limit` lines and a count of the rest: a message box taller than the screen cannot be read."""
    return lines[:limit] + [f"... and {len(lines) - limit} {more}"] if len(lines) > limit else lines


def advance(port: WorkbookPort) -> None:
    """The event chosen in the `Event` cell on each selected order: new Status, one History row each.

    An order starts from the Status its row shows when that names a state (an earlier manual
    event is only recorded there), else from the status its data gives. A refused event is
    reported for its row and the other rows go on."""
    rules = rules_for()
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
    statuses = [row[col] if col is not None else None for row in ev.table.rows]
    index = {i: k for k, i in enumerate(ev.table.order_index)}
    walker, when, action = Walker(rules.workflow), datetime.now().replace(microsecond=0), ACTIONS["advance"].label
    history, refused = [], []
    for n, i in enumerate(selected, start=1):
        k = index.get(i)
        if k is None:
            continue  # a blank row, or below the table
        order = ev.batch.row(k)
        order_id, shown = order["order_id"] or "?", statuses[i]
        where = f"{ORDERS} row {i + 2} (order {order_id})"
        state = (named.get(fold(shown)) if not is_blank(shown) else None) or order["status"]
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
        port.message("\n".join(_first(refused, "more rows refused")))


def _log(port: WorkbookPort, entries: list[list[Any]]) -> None:
    """Append History rows in the sheet's own column order (a sheet without headers gets them)."""
    headers = _table(port, HISTORY)[0]
    if not headers:
        port.replace_rows(HISTORY, HISTORY_COLUMNS, entries)
        return
    pos = {fold(h): j for j, h in enumerate(HISTORY_COLUMNS)}
    port.append_rows(HISTORY, [[e[pos[fold(h)]] if fold(h) in pos else None for h in headers] for e in entries])


def clear_sample(port: WorkbookPort) -> None:
    """Empty the data rows of Orders, Fines and History, keeping their header rows."""
    for sheet in (ORDERS, FINES, HISTORY):
        headers = _table(port, sheet)[0]
        if headers:
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

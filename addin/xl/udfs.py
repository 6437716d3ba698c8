"""The workbook's cell functions: xlwings UDFs (Windows Excel; "Import Python UDFs" writes their VBA wrappers).

Each body only converts what Excel passes (floats for numbers, datetimes for date cells, None for
empty cells, a serial number for a computed date) and calls addin/functions.py. A user error comes
back as its message, the cell's value. Rules for this module (tests/test_udfs.py checks them):
parameter names become the VBA wrapper's argument names, so none may be a VBA keyword (hence
`event_name`: Event is one); no type hints on parameters (xlwings turns them into converters); no
keyword-only parameters; one-line docstrings under 255 characters (Excel's function wizard shows them).
"""

from __future__ import annotations

import functools
from typing import Any

import xlwings as xw

from addin import functions
from addin.domain.messages import say
from addin.io.cells import CellError, is_blank
from addin.io.reader import InputError, _match_headers

_ORDERS_DOC = "The Orders table with its header row, e.g. OrdersTable[#All]"
_AS_OF_DOC = "Optional: the time to evaluate at, e.g. NOW() (default: now)"


def _user_errors(f):
    """A refused input comes back as its message (the cell's value), not as a traceback."""
    @functools.wraps(f)
    def cell(*args):
        try:
            return f(*args)
        except (ValueError, ArithmeticError, InputError) as e:
            return str(e)
    return cell


def _cell(value: Any, label: str, kind: str = "datetime") -> Any:
    """An argument as typed ("datetime": a date cell, an Excel serial or date text); None when blank."""
    rules = functions.rules_for()
    try:
        return functions.CONVERTERS[kind](value, rules.zones)
    except CellError as e:
        kind = say(e.kind, rules.language)
        raise ValueError(say("bad_value", rules.language, label=label, value=value, kind=kind)) from None


def _table(orders: list[list[Any]], as_of: Any, column: str) -> list[list[Any]]:
    """One computed column of the Orders range (header row first), one single-cell row per data row."""
    rules = functions.rules_for()
    headers, rows = (orders[0], orders[1:]) if orders else ([], [])
    if not _match_headers("table", "Orders", list(headers), rules)[0]:
        raise ValueError("the first row is not the Orders header row: pass the table with it, e.g. OrdersTable[#All]")
    results = functions.evaluate_table(headers, rows, rules, _cell(as_of, "as_of"))
    values = [[v if (v := r.get(column)) is not None else ""] for r in results]
    return values or [[""]]  # a spill needs a cell even when the table has no rows


@xw.func(category="Wish")
@xw.arg("start", doc="The date and time to count from")
@xw.arg("days", doc="Business days to add (negative: back)")
@_user_errors
def WISH_WORKDAY(start, days):
    """Like WORKDAY: `days` US business days (Wish's holiday calendar) from `start`, keeping the clock time."""
    moment = _cell(start, "start")
    if moment is None:
        return ""
    return functions.workday(moment, int(_cell(days, "days", "number") or 0), functions.rules_for())


@xw.func(category="Wish")
@xw.arg("generated_at", doc="When the fine was generated")
@xw.arg("policy", doc="Policy id or name (default: order-cancellation)")
@_user_errors
def WISH_APPEAL_DEADLINE(generated_at, policy=None):
    """When a fine generated at `generated_at` under `policy` must be appealed; blank if it has no deadline."""
    moment = _cell(generated_at, "generated_at")
    if moment is None:
        return ""
    name = None if is_blank(policy) else str(policy).strip()
    deadline = functions.appeal_deadline(moment, name, functions.rules_for())
    return "" if deadline is None else deadline


@xw.func(category="Wish")
@xw.arg("released_at", doc="When Wish released the order to the merchant")
@_user_errors
def WISH_SHIP_BY(released_at):
    """When an order released at `released_at` must be shipped (the ship-by hours of the rules)."""
    moment = _cell(released_at, "released_at")
    return "" if moment is None else functions.ship_by(moment, functions.rules_for())


@xw.func(category="Wish")
@xw.arg("status", doc="The order's status (id or label, English or Chinese)")
@xw.arg("event_name", doc="The workflow event (id or label), e.g. confirm")
@_user_errors
def WISH_NEXT_STATUS(status, event_name):
    """The status an order takes when `event_name` happens, or why the workflow refuses it."""
    if is_blank(status) or is_blank(event_name):
        return ""
    return functions.next_status(str(status).strip(), str(event_name).strip(), functions.rules_for())


@xw.func(category="Wish")
@xw.arg("orders", ndim=2, err_to_str=True, doc=_ORDERS_DOC)
@xw.arg("as_of", doc=_AS_OF_DOC)
@_user_errors
def WISH_VALIDATION(orders, as_of=None):
    """The Validation column of an Orders range (header row first): one value per row, spilled down."""
    return _table(orders, as_of, "Validation")


@xw.func(category="Wish")
@xw.arg("orders", ndim=2, err_to_str=True, doc=_ORDERS_DOC)
@xw.arg("as_of", doc=_AS_OF_DOC)
@_user_errors
def WISH_STATUS(orders, as_of=None):
    """The Status column of an Orders range (header row first): one value per row, spilled down."""
    return _table(orders, as_of, "Status")


@xw.func(category="Wish")
@xw.arg("orders", ndim=2, err_to_str=True, doc=_ORDERS_DOC)
@xw.arg("as_of", doc=_AS_OF_DOC)
@_user_errors
def WISH_FINES(orders, as_of=None):
    """The Fines (USD) column of an Orders range (header row first): one value per row, spilled down."""
    return _table(orders, as_of, "Fines (USD)")

"""What the workbook's cell functions compute, as plain Python (no Excel needed to call or test them).

The xlwings UDFs (addin/xl/udfs.py) only convert Excel's arguments and call these; the
headless recalculation calls them too, for cells whose formulas use the add-in's functions.
Datetimes in and out are naive wall-clock times of the workbook zone, as cells hold them.
"""

from __future__ import annotations

import functools
import re
from xml.sax.saxutils import unescape
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from addin.config.loader import load_ruleset
from addin.domain.batch import Batch, BatchEngine
from addin.domain.calendar import add_business_days
from addin.domain.model import RuleSet
from addin.domain.policies import appeal_deadline as policy_deadline
from addin.domain.policies import find_window
from addin.domain.present import render
from addin.domain.messages import say
from addin.domain.messages import CATALOG
from addin.io.cells import CONVERTERS, CellError
from addin.io.reader import fold


@functools.lru_cache(maxsize=8)
def rules_for(rules_dir: str | None = None, language: str | None = None, workbook_zone: str | None = None) -> RuleSet:
    """The rule set, loaded once per process (a cell function is called many times)."""
    return load_ruleset(rules_dir, language=language, workbook_zone=workbook_zone)


def workday(start: datetime, days: int, rules: RuleSet) -> datetime:
    """WORKDAY.INTL on the rules' business-day calendar, in the policy zone, keeping the clock time."""
    zones, calendar = rules.zones, rules.calendar.calendar
    days = int(days)
    begin = zones.from_workbook(start)
    if abs(days) > 10000:
        raise ValueError(f"days {days} is out of range (at most 10000 either way)")
    for day in (zones.to_policy(begin).date(), (zones.to_policy(begin) + timedelta(days=days * 2)).date()):
        if not calendar.covers(day):
            raise ValueError(f"{day} is outside the business-day calendar ({calendar.first_year}-{calendar.last_year})")
    out = add_business_days(begin, days, calendar, zones.policy)
    return zones.to_workbook(out)


def ship_by(released_at: datetime, rules: RuleSet) -> datetime:
    zones = rules.zones
    return zones.to_workbook(zones.from_workbook(released_at) + timedelta(hours=rules.workflow.ship_by.hours))


def appeal_deadline(generated_at: datetime, policy_id: str | None, rules: RuleSet) -> datetime | None:
    """When a fine of `policy_id` (default: the order-cancellation fine) generated then must be appealed."""
    wanted = policy_id or "order-cancellation"
    policy = next((p for p in rules.policies if p.rule.id == wanted or fold(p.name(rules.language)) == fold(wanted)),
                  None)
    if policy is None:
        known = ", ".join(p.rule.id for p in rules.policies)
        raise ValueError(f"unknown policy {wanted!r} (one of: {known})")
    zones = rules.zones
    generated = zones.from_workbook(generated_at)
    window = find_window(policy, generated)
    if window is None:
        return None
    deadline = policy_deadline(window, generated, rules.calendar.calendar, zones)
    return zones.to_workbook(deadline) if deadline is not None else None


def next_status(status: str, event: str, rules: RuleSet, language: str | None = None) -> str:
    """The status an order takes when `event` happens (ids or labels, in either language); ValueError if refused."""
    language = language or rules.language
    workflow = rules.workflow
    state = _find(status, {s.id: [s.label.en, s.label.zh] for s in workflow.states.values()})
    event_id = _find(event, {e.rule.id: [e.label.en, e.label.zh] for e in workflow.events})
    if state is None:
        raise ValueError(f"unknown status {status!r}")
    chosen = next((e for e in workflow.events if e.rule.id == event_id), None)
    if chosen is None or not chosen.allowed_from(state):
        label = chosen.label(language) if chosen else event
        raise ValueError(say("not_allowed", language, event=label, state=workflow.states[state].label(language)))
    return workflow.states[chosen.target].label(language)  # the table only: a cell has no order to test guards on


def _find(text: str, names: dict[str, list[str]]) -> str | None:
    key = fold(text)
    for ident, labels in names.items():
        if key in (fold(ident), *(fold(label) for label in labels)):
            return ident
    return None


def evaluate_table(headers: Sequence[Any], rows: Sequence[Sequence[Any]], rules: RuleSet,
                   now: datetime | None = None) -> list[dict[str, Any]]:
    """The computed columns for a table of orders given as cells (header row + rows), one dict per row
    ({} for a blank row). Read as every reader reads orders (io/reader.py orders_from_grid)."""
    from addin.io.reader import orders_from_grid

    now_utc = rules.zones.from_workbook(now) if now is not None else datetime.now(timezone.utc)
    table = orders_from_grid(Path("table"), "Orders", [list(headers), *[list(r) for r in rows]], rules)
    result = BatchEngine(rules).evaluate(Batch.from_table(table), now_utc)
    out: list[dict[str, Any]] = [{} for _ in rows]
    for k, i in enumerate(table.order_index):
        out[i] = render(result.row(k), result.result(k), rules)
    return out


_CALL = re.compile(r"^\s*=?\s*(WISH_[A-Z_]+)\s*\((.*)\)\s*$", re.I | re.S)
_ARG = re.compile(r'\s*(?:"((?:[^"]|"")*)"|(\$?[A-Za-z]{1,3}\$?\d+)|([-+]?\d+(?:\.\d+)?))\s*(?:,|$)')
UNSUPPORTED = object()


def evaluate_formula(formula: str, cell: Any, rules: RuleSet) -> Any:
    """The value of a formula that is one call of an add-in function, e.g. `WISH_WORKDAY(B2,3)`.

    `cell(ref)` gives a referenced cell's value (or UNSUPPORTED). Returns None for any other formula
    (nesting, ranges, other functions: left to Excel, which recalculates on open) or when an argument
    is blank; a user error (unknown policy, refused transition) comes back as its message, as the
    cell function shows it.
    """
    m = _CALL.match(unescape(formula, {"&quot;": "\"", "&apos;": "'"}))
    if m is None:
        return None
    name, body, args, pos = m.group(1).upper(), m.group(2), [], 0
    while pos < len(body):
        a = _ARG.match(body, pos)
        if a is None or a.end() == pos:
            return None
        text, ref, number = a.groups()
        if ref is not None:
            value = cell(ref.replace("$", "").upper())
            if value is UNSUPPORTED:
                return None
        elif number is not None:
            value = float(number)
        else:
            value = text.replace('""', '"')
        args.append(value)
        pos = a.end()
    when = functools.partial(CONVERTERS["datetime"], zones=rules.zones)  # a date cell, an Excel serial or text
    number = functools.partial(CONVERTERS["number"], zones=rules.zones)
    calls = {
        "WISH_WORKDAY": lambda start, days: workday(when(start), int(number(days)), rules),
        "WISH_SHIP_BY": lambda released: ship_by(when(released), rules),
        "WISH_APPEAL_DEADLINE": lambda generated, policy=None: appeal_deadline(when(generated), policy, rules),
        "WISH_NEXT_STATUS": lambda status, event: next_status(str(status), str(event), rules),
    }
    fn = calls.get(name)
    if fn is None or any(a is None for a in args):
        return None
    try:
        return fn(*args)
    except CellError as e:  # a cell that is not a date or a number: the message the cell would show
        return f"{e.value!r} is not {CATALOG[e.kind](rules.language)}"
    except ValueError as e:
        return str(e)
    except (TypeError, OverflowError, AttributeError):
        return None  # left as it is; Excel recalculates it on open


__all__ = ["evaluate_formula", "UNSUPPORTED", "rules_for", "workday", "ship_by", "appeal_deadline", "next_status", "evaluate_table", "CONVERTERS"]

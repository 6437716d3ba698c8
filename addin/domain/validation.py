"""Order validation: the batch facts rules need (duplicates, stock), then each rule per order.

A rule reports an issue when its `when` holds (default: always) and its `check`
does not. Issues are data; a rule that cannot be evaluated on a row (a division
by zero, say) becomes an issue on that row, never an exception for the batch.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from addin.domain.fused import fuse
from addin.domain.expr import BOOL, DATETIME, NUMBER, TEXT, Helper
from addin.domain.messages import say
from addin.domain.model import ERROR, WARNING, Issue, ValidationRule

# Names the engine adds to every order before validation; rules may use them.
BATCH_NAMES = {
    "now": DATETIME,
    "duplicate_order_id": BOOL,
    "duplicate_rows": TEXT,
    "sku_known": BOOL,
    "stock_on_hand": NUMBER,
    "stock_available": NUMBER,
}


def reference_helpers(postal_codes: Mapping[str, str], countries: frozenset[str]) -> dict[str, Helper]:
    """Helpers that look values up in reference tables given by the rules (postal formats, ISO codes)."""
    patterns = {code.upper(): re.compile(p) for code, p in postal_codes.items()}

    def postal_code_ok(country: Any, zipcode: Any) -> bool:
        """True when the code fits the country's format; countries without a listed format accept any, or none."""
        pattern = patterns.get(str(country or "").upper())
        if pattern is None:
            return True
        return zipcode is not None and pattern.fullmatch(str(zipcode).strip()) is not None

    def country_known(country: Any) -> bool:
        return country is not None and str(country).upper() in countries

    non_digits = str.maketrans("", "", "0123456789")

    def phone_digits(phone: Any) -> Any:
        if phone is None:
            return None
        text = str(phone)
        return len(text) - len(text.translate(non_digits))

    return {
        "postal_code_ok": Helper(postal_code_ok, (TEXT, TEXT), BOOL),
        "country_known": Helper(country_known, (TEXT,), BOOL),
        "phone_digits": Helper(phone_digits, (TEXT,), NUMBER),
    }


def prepare_batch(
    orders: Sequence[dict[str, Any]], now: datetime, inventory: Mapping[str, float] | None
) -> None:
    """Add the batch facts to each order: `now`, duplicate Order IDs, and stock left for it.

    Stock is reserved first come, first served by release time: an order is given
    what earlier open orders of the same SKU have not reserved. Orders already
    shipped, refunded or cancelled need no stock.
    """
    counts = Counter(o.get("order_id") for o in orders if o.get("order_id") is not None)
    rows: dict[Any, list[str]] = {}
    for o in orders:
        oid = o.get("order_id")
        if oid is not None and counts[oid] > 1:
            rows.setdefault(oid, []).append(str(o.get("_row", "?")))
    facts = {"now": now, "duplicate_order_id": False, "duplicate_rows": None, "sku_known": None,
             "stock_on_hand": None, "stock_available": None}
    shown = {oid: ", ".join(where) for oid, where in rows.items()}
    for o in orders:
        o.update(facts)
        if shown:
            where = shown.get(o.get("order_id"))
            if where is not None:
                o["duplicate_order_id"] = True
                o["duplicate_rows"] = where
    if inventory is None:
        return
    reserved: Counter[str] = Counter()
    needing = []
    for o in orders:
        sku = o.get("sku")
        o["sku_known"] = sku is not None and str(sku) in inventory
        if o["sku_known"]:
            o["stock_on_hand"] = inventory[str(sku)]
            if o.get("shipped_at") is None and o.get("refunded_at") is None:
                needing.append(o)
    never = datetime.max.replace(tzinfo=now.tzinfo)
    needing.sort(key=lambda o: (o.get("released_at") or never, o.get("_row", 0)))
    for o in needing:
        sku = str(o["sku"])
        left = inventory[sku] - reserved[sku]
        o["stock_available"] = left
        qty = o.get("quantity")
        if isinstance(qty, (int, float)) and 0 < qty <= left:
            reserved[sku] += qty


class Checks:
    """A list of validation rules, fused into one call per order (see fused.py)."""

    def __init__(self, rules: Sequence[ValidationRule]):
        self.rules = tuple(rules)
        self.fused = fuse([(r.when, r.check) for r in self.rules], "validation")


def validate(order: Mapping[str, Any], checks: Checks, language: str, context: Any) -> list[Issue]:
    """Run the checks on one order; `context` renders an order's values for messages (called only on failure)."""
    failed = checks.fused(order)
    if failed is None:
        return _validate_one_by_one(order, checks.rules, language, context)
    if not failed:
        return []
    bad = order.get("_bad") or ()
    issues: list[Issue] = []
    shown = None
    for i in failed:
        rule = checks.rules[i]
        if rule.field is not None and rule.field in bad:
            continue  # the cell could not be read; that is already reported on the row
        if shown is None:
            shown = context(order)
        issues.append(Issue(rule.severity, rule.message.render(language, shown), rule.rule.id, rule.rule.ref,
                            rule.field, rule.contact_customer))
    return issues


def _validate_one_by_one(
    order: Mapping[str, Any], rules: Sequence[ValidationRule], language: str, context: Any
) -> list[Issue]:
    """Rule by rule, so that a rule that raises on this row is named on it."""
    issues: list[Issue] = []
    bad = order.get("_bad") or ()
    shown = None
    for rule in rules:
        if rule.field is not None and rule.field in bad:
            continue  # the cell could not be read; that is already reported on the row
        try:
            if rule.when is not None and not rule.when.fn(order):
                continue
            if rule.check.fn(order):
                continue
        except Exception as e:  # noqa: BLE001 - any failure of a rule on one row is reported on that row
            issues.append(Issue(ERROR, say("rule_failed", language, rule=rule.rule.id, error=e), rule.rule.id,
                                rule.rule.ref, rule.field))
            continue
        if shown is None:
            shown = context(order)
        issues.append(Issue(rule.severity, rule.message.render(language, shown), rule.rule.id, rule.rule.ref,
                            rule.field, rule.contact_customer))
    return issues


def summarize(issues: Sequence[Issue]) -> tuple[bool, bool, bool]:
    """(has errors, has warnings, a rule asks to contact the customer)."""
    errors = warnings = contact = False
    for issue in issues:
        errors = errors or issue.severity == ERROR
        warnings = warnings or issue.severity == WARNING
        contact = contact or issue.contact_customer
    return errors, warnings, contact

"""Rules run on whole columns give, row for row, what they give on one order at a time.

Every expression of the bundled rule set is compiled twice (Python over one order,
numpy over columns) and evaluated on random orders with blanks everywhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pycountry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addin.config.loader import load_ruleset
from addin.domain.calendar import UTC
from addin.domain.columns import to_columns, value_at
from addin.domain.engine import STAGE_NAMES
from addin.domain.expr import compile_expr
from addin.domain.validation import BATCH_NAMES, reference_helpers
from addin.domain.vexpr import VectorCompiler

RULES = load_ruleset()
START = datetime(2018, 4, 1, tzinfo=UTC)


def instants():
    return st.one_of(st.none(), st.integers(0, 600 * 24 * 4).map(lambda q: START + timedelta(minutes=15 * q)))


TEXTS = {
    "country": ["US", "GB", "CN", "XX", "cn", ""], "origin_country": ["CN", "US", "HK", " cn "],
    "refunded_by": ["merchant", "customer", "wish", "seller"], "order_state": ["APPROVED", "SHIPPED", "REFUNDED"],
    "shipping_provider": ["USPS", "WishPost", " wishpost ", "Yanwen"], "zipcode": ["94105", "9410", "SW1A 1AA"],
    "phone_number": ["+1 415 555 0100", "12", "abc"], "tracking_number": ["9400A1", "9400 11"],
}
NUMBERS = {"quantity": [0, 1, 2, 3], "price": [0.5, 3.0, 10.0, 95.0, 120.0, -1.0], "shipping": [0.0, 1.0, 2.0, 5.0],
           "order_total": [12.0, 13.0, 0.0]}


def field_strategy(name: str, type_: str):
    if type_ == "datetime":
        return instants()
    if type_ == "bool":
        return st.sampled_from([None, True, False])
    if type_ in ("number", "integer"):
        return st.one_of(st.none(), st.sampled_from(NUMBERS.get(name, [0.0, 1.0, 7.5])))
    return st.one_of(st.none(), st.sampled_from(TEXTS.get(name, ["a", "B", "x1"])))


ORDER = st.fixed_dictionaries({n: field_strategy(n, f.type) for n, f in RULES.fields.items()})
TYPES = {n: {"text": "text", "number": "number", "integer": "number", "datetime": "datetime", "bool": "bool"}[f.type]
         for n, f in RULES.fields.items()}
EXTRA = {"now": "datetime", "duplicate_order_id": "bool", "duplicate_rows": "text", "sku_known": "bool",
         "stock_on_hand": "number", "stock_available": "number", "has_errors": "bool", "has_warnings": "bool",
         "contact_customer": "bool", "ship_by": "datetime", "status": "text"}


def expressions():
    """(text, names) of every expression in the bundled rules."""
    names = {**TYPES, **BATCH_NAMES, **STAGE_NAMES, **{d.name: d.expr.type for d in RULES.derived}}
    found = [d.expr for d in RULES.derived]
    for v in RULES.validations:
        found += [v.check] + ([v.when] if v.when else [])
    for e in RULES.workflow.events:
        found += [e.when] if e.when else []
    for p in RULES.policies:
        found += [p.when, p.generated_at] + ([p.amount.of] if p.amount.of else [])
        if p.risk and p.risk.when:
            found += [p.risk.when, p.risk.deadline]
    return [(c.source, names) for c in found]


HELPERS = reference_helpers({"US": r"\d{5}(-\d{4})?", "GB": "[A-Z0-9 ]+"},
                            frozenset(c.alpha_2 for c in pycountry.countries))
PAIRS = [(text, compile_expr(text, names, HELPERS), compile_expr(text, names, HELPERS, compiler=VectorCompiler))
         for text, names in expressions()]


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 1e-9
    return a == b or (a is None and b is None)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders=st.lists(ORDER, min_size=1, max_size=25), extra=st.fixed_dictionaries({
    "now": instants().filter(lambda v: v is not None), "has_errors": st.booleans(), "has_warnings": st.booleans(),
    "contact_customer": st.booleans(), "ship_by": instants(), "status": st.sampled_from(["new", "cancelled", "paid"]),
    "duplicate_order_id": st.booleans(), "stock_available": st.one_of(st.none(), st.sampled_from([0.0, 1.0, 5.0])),
}))
def test_every_rule_gives_the_same_answer_on_columns_as_on_one_order(orders, extra):
    rows = []
    for o in orders:
        row = {**o, **extra, "duplicate_rows": None, "sku_known": None, "stock_on_hand": None}
        for d in RULES.derived:
            row[d.name] = d.expr.fn(row)
        rows.append(row)
    types = {**TYPES, **EXTRA, **{d.name: d.expr.type for d in RULES.derived}}
    cols = to_columns(rows, types)
    cols["now"] = cols["now"][0]  # a scalar, as the batch engine gives it
    for text, row_expr, col_expr in PAIRS:
        column = col_expr.fn(cols, len(rows))
        assert len(column) == len(rows), text
        for i, row in enumerate(rows):
            expected = row_expr.fn(row)
            got = value_at(column, i)
            if row_expr.type == "bool":
                expected, got = bool(expected), bool(got)
            assert same(expected, got), (text, i, expected, got)


def test_division_by_zero_is_blank_in_both_forms():
    names = {"price": "number", "quantity": "number"}
    row = compile_expr("price / quantity", names)
    col = compile_expr("price / quantity", names, compiler=VectorCompiler)
    assert row.fn({"price": 3.0, "quantity": 0}) is None
    out = col.fn({"price": np.array([3.0, 3.0]), "quantity": np.array([0.0, 2.0])}, 2)
    assert np.isnan(out[0]) and out[1] == 1.5


def test_a_helper_over_a_column_of_few_values_runs_once_per_value():
    """`country_known(country)` over a million orders runs for each of the 13 countries, not each
    order; over a column of many values or of mixed types it runs row by row; the answers are the
    same either way."""
    from addin.domain import vexpr

    calls = []

    def shout(value):
        calls.append(value)
        return None if value is None else value.upper() + "!"

    countries = np.array((["US", "GB", None, "DE"] * 2000)[:5000], dtype=object)
    assert vexpr._vobj(shout, countries).tolist() == [None if c is None else c + "!" for c in countries.tolist()]
    assert sorted(calls, key=str) == ["DE", "GB", None, "US"]
    calls.clear()
    ids = np.array([f"{i:06d}" for i in range(5000)], dtype=object)
    assert vexpr._vobj(shout, ids).tolist() == [i + "!" for i in ids.tolist()] and len(calls) == 5000
    calls.clear()
    mixed = np.array([1, True, 1.0, "1"] * 1250, dtype=object)  # equal as dict keys: row by row
    assert vexpr._vobj(lambda v: type(v).__name__, mixed).tolist() == ["int", "bool", "float", "str"] * 1250

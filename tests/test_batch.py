"""The batch engine (numpy, one call per rule) and the row engine (one order at a time) agree on every cell.

The row engine is the reference; every computed column and every row of the Fines
ledger must come out the same from both, on the bundled sample and on random orders.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addin.domain.batch import Batch, BatchEngine
from addin.domain.calendar import UTC
from addin.domain.engine import Engine
from addin.domain.present import fine_rows, render
from addin.io.reader import read_inventory, read_orders
from addin.service import parse_as_of

SAMPLE = "samples/orders.xlsx"
START = datetime(2018, 4, 1, tzinfo=UTC)


def both(rules, orders, now, inventory=None):
    """(row engine output, batch engine output): per order, its computed cells and its fines."""
    fresh = copy.deepcopy(orders)
    row_results = Engine(rules).evaluate(orders, now, inventory)
    batch = BatchEngine(rules).evaluate(Batch.from_rows(fresh, rules), now, inventory)
    assert len(batch) == len(orders)
    ours = [(render(o, r, rules), fine_rows(r, rules)) for o, r in zip(orders, row_results)]
    theirs = [(render(batch.row(i), batch.result(i), rules), fine_rows(batch.result(i), rules))
              for i in range(len(batch))]
    return ours, theirs


def assert_same(ours, theirs):
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"order {i}: row engine {a!r}\n batch engine {b!r}"


def test_the_sample_gives_the_same_cells_in_both_engines(rules):
    orders = read_orders(SAMPLE, rules).orders
    now = parse_as_of("2018-11-21T09:00:00-08:00", rules)
    assert_same(*both(rules, orders, now, read_inventory(SAMPLE)))
    orders = read_orders(SAMPLE, rules).orders
    assert_same(*both(rules, orders, parse_as_of("2019-06-01T00:00:00Z", rules)))


def test_the_columns_a_reader_builds_give_what_rows_give(rules):
    """The product path (reader -> columns -> batch engine) against the reference (rows -> row engine)."""
    table = read_orders(SAMPLE, rules)
    now = parse_as_of("2018-11-21T09:00:00-08:00", rules)
    inventory = read_inventory(SAMPLE)
    orders = table.orders
    results = Engine(rules).evaluate(orders, now, inventory)
    batch = BatchEngine(rules).evaluate(Batch.from_table(table), now, inventory)
    ours = [(render(o, r, rules), fine_rows(r, rules)) for o, r in zip(orders, results)]
    assert_same(ours, [(render(batch.row(k), batch.result(k), rules), fine_rows(batch.result(k), rules))
                       for k in range(table.n)])


def instants():
    return st.one_of(st.none(), st.integers(0, 500 * 24).map(lambda h: START + timedelta(hours=h, minutes=h % 4 * 15)))


TEXT = {
    "order_id": ["A", "B", "C", "D", "E", "F", "G"], "country": ["US", "GB", "XX", "CN"],
    "origin_country": ["CN", "US", "HK"], "refunded_by": ["merchant", "customer", "wish"],
    "order_state": ["APPROVED", "SHIPPED", "REFUNDED", "REQUIRE_REVIEW", " shipped ", "LOST"],
    "shipping_provider": ["USPS", "WishPost", "Yanwen"], "zipcode": ["94105", "9410", "SW1A 1AA"],
    "phone_number": ["+1 415 555 0100", "12"], "tracking_number": ["9400A1", "9400 11"], "sku": ["S1", "S2", "S3"],
    "tracking_exception": ["lost"], "product_id": ["P1", "P2"],
}


def order_strategy(rules):
    fields = {}
    for name, f in rules.fields.items():
        if f.type == "datetime":
            fields[name] = instants()
        elif f.type == "bool":
            fields[name] = st.sampled_from([None, True, False])
        elif f.type in ("number", "integer"):
            fields[name] = st.one_of(st.none(), st.sampled_from([0, 1, 2, 3] if f.type == "integer"
                                                                 else [0.5, 3.0, 10.0, 99.5, 120.0]))
        else:
            fields[name] = st.one_of(st.none(), st.sampled_from(TEXT.get(name, ["x"])))
    return st.fixed_dictionaries(fields)


def draw_batch(rules, data):
    """Random orders (on sheet rows 2...), a time to evaluate them at, and maybe an inventory."""
    orders = data.draw(st.lists(order_strategy(rules), min_size=1, max_size=30))
    for i, o in enumerate(orders):
        o["_row"] = i + 2
    now = data.draw(instants().filter(lambda v: v is not None))
    return orders, now, data.draw(st.one_of(st.none(), st.just({"S1": 3.0, "S2": 0.0})))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_orders_give_the_same_cells_in_both_engines(rules, data):
    orders, now, inventory = draw_batch(rules, data)
    assert_same(*both(rules, orders, now, inventory))

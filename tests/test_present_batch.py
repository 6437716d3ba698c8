"""The batch presenter (what `wishxl recalc` writes) gives render()'s cells, order by order.

render() turns one OrderResult into words and is the reference; BatchPresenter makes the same
cells from the batch's columns a block of rows at a time. Held to each other on the sample
workbook (both languages, both zones, two dates) and on random orders.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addin.config.loader import load_ruleset
from addin.domain import present_batch
from addin.domain.batch import Batch, BatchEngine
from addin.domain.present import render
from addin.domain.present_batch import BatchPresenter
from addin.io.reader import read_inventory, read_orders
from addin.service import parse_as_of
from tests.conftest import RULES_DIR
from tests.test_batch import SAMPLE, draw_batch


def reference_and_presenter(rules, batch, language):
    reference = [render(batch.row(k), batch.result(k), rules, language) for k in range(len(batch))]
    seen, results = [], {}

    def counted(order, result):
        seen.append(order.i)
        results[order.i] = result

    presenter = BatchPresenter(batch, rules, language, on_result=counted)
    ours = list(presenter.rows())
    for k, result in results.items():  # what a report reads of a result: its issues, fines and deadlines
        expected = batch.result(k)
        assert (result.issues, result.fines, result.appeal_deadline, result.suspended_until) == \
            (expected.issues, expected.fines, expected.appeal_deadline, expected.suspended_until), f"order {k}"
    return reference, ours, seen


def assert_same(reference, ours):
    assert len(reference) == len(ours)
    for k, (a, b) in enumerate(zip(reference, ours)):
        assert a == b, f"order {k}:\n render    {a!r}\n presenter {b!r}"
        assert [type(v) for v in a.values()] == [type(v) for v in b.values()], f"order {k}: value types differ"


@pytest.mark.parametrize("language,zone", [("en", None), ("zh", None), ("en", "Asia/Shanghai"),
                                           ("zh", "Asia/Shanghai")])
@pytest.mark.parametrize("as_of", ["2018-11-21T09:00:00-08:00", "2019-06-01T00:00:00Z"])
def test_the_sample_gives_render_s_cells(monkeypatch, language, zone, as_of):
    monkeypatch.setattr(present_batch, "BLOCK", 64)  # several blocks, and a short last one
    rules = load_ruleset(RULES_DIR, language=language, workbook_zone=zone)
    table = read_orders(SAMPLE, rules)
    batch = BatchEngine(rules).evaluate(Batch.from_table(table), parse_as_of(as_of, rules), read_inventory(SAMPLE))
    reference, ours, seen = reference_and_presenter(rules, batch, language)
    assert_same(reference, ours)
    # The rows a report must count (issues, fines) are handed over, and only those.
    counted = [k for k in range(len(batch)) if batch.result(k).issues or batch.result(k).fines]
    assert seen == counted
    assert len(seen) < len(batch) / 2, "most sample orders should take the fast path"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_orders_give_render_s_cells(rules, data):
    orders, now, inventory = draw_batch(rules, data)
    batch = BatchEngine(rules).evaluate(Batch.from_rows(copy.deepcopy(orders), rules), now, inventory)
    reference, ours, _ = reference_and_presenter(rules, batch, rules.language)
    assert_same(reference, ours)


@pytest.mark.parametrize("language,zone", [("en", None), ("zh", "Asia/Shanghai")])
def test_the_fines_ledger_of_a_batch_is_the_rows_of_each_orders_fines(language, zone, monkeypatch):
    from addin.domain import present_batch
    from addin.domain.present import ledger_rows
    from addin.domain.present_batch import BatchLedger

    rules = load_ruleset(RULES_DIR, language=language, workbook_zone=zone)
    table = read_orders(SAMPLE, rules)
    for as_of in ("2018-11-21T09:00:00-08:00", "2019-06-01T00:00:00Z"):
        batch = BatchEngine(rules).evaluate(Batch.from_table(table), parse_as_of(as_of, rules), read_inventory(SAMPLE))
        reference = [row for k in batch.fined_rows() for row in ledger_rows(batch.fines_of(k), rules, language)]
        assert len(reference) > 10
        assert list(BatchLedger(batch, rules, language)) == reference
        with monkeypatch.context() as m:
            m.setattr(present_batch, "LEDGER_ORDERS", 7)  # made a few orders at a time: the same rows
            assert list(BatchLedger(batch, rules, language)) == reference
        assert len(BatchLedger(batch, rules, language)) == len(reference)
        assert sorted(BatchLedger(batch, rules, language).fine_ids()) == sorted(r["Fine ID"] for r in reference)
        assert [[type(v) for v in r.values()] for r in BatchLedger(batch, rules, language)] == \
            [[type(v) for v in r.values()] for r in reference]

"""The order workflow: a status derived from the row's facts, and chosen events that may be refused."""

from __future__ import annotations

import pytest

from addin.domain.workflow import Walker

AS_OF = "2018-11-21T09:00:00-08:00"
CLEAN = {"Order ID": "W", "Released At": "2018-11-19 09:00", "SKU": "S1", "Quantity": "1", "Price": "10",
         "Shipping": "2", "Country": "US", "Zipcode": "94105", "Phone Number": "+1 415 555 0100"}

STATUS = [
    # (id, cells, status, events taken after the start)
    ("clean-approved", {"Order State": "APPROVED"}, "Paid", ["confirm", "pay"]),
    ("no-order-state", {}, "Paid", ["confirm", "pay"]),
    ("validation-error", {"Quantity": "0"}, "New", []),
    ("contact-customer", {"Zipcode": "9410"}, "On hold", ["hold"]),
    ("wish-review", {"Order State": "REQUIRE_REVIEW"}, "On hold", []),
    ("shipped", {"Shipping Provider": "USPS", "Tracking Number": "9400A", "Shipped At": "2018-11-20 10:00"},
     "Shipped", ["ship"]),
    ("scanned", {"Shipping Provider": "USPS", "Tracking Number": "9400A", "Shipped At": "2018-11-20 10:00",
                 "Tracking Confirmed At": "2018-11-20 18:00"}, "Fulfilment confirmed", ["ship", "confirm-fulfilment"]),
    ("delivered", {"Order State": "SHIPPED", "Shipping Provider": "USPS", "Tracking Number": "9400A",
                   "Shipped At": "2018-11-20 10:00", "Delivered At": "2018-11-21 08:00"}, "Delivered", ["deliver"]),
    ("exception", {"Order State": "SHIPPED", "Shipping Provider": "USPS", "Tracking Number": "9400A",
                   "Shipped At": "2018-11-20 10:00", "Tracking Exception": "address unknown"}, "Exception",
     ["flag-exception"]),
    ("cancelled", {"Refunded At": "2018-11-19 12:00", "Refunded By": "customer"}, "Cancelled", ["cancel"]),
    ("refunded-after-shipping", {"Order State": "SHIPPED", "Shipping Provider": "USPS", "Tracking Number": "9400A",
                                 "Shipped At": "2018-11-20 10:00", "Refunded At": "2018-11-21 08:00",
                                 "Refunded By": "customer"}, "Refunded", ["refund"]),
    ("wish-refunded-unshipped", {"Order State": "REFUNDED"}, "Cancelled", ["cancel"]),
    ("wish-refunded-shipped", {"Order State": "REFUNDED", "Shipping Provider": "USPS", "Tracking Number": "9400A",
                               "Shipped At": "2018-11-20 10:00", "Refunded At": "2018-11-21 08:00"}, "Refunded", []),
    ("wish-auto-refund", {"Released At": "2018-11-15 09:00"}, "Cancelled", ["auto-refund"]),
    ("unknown-wish-state", {"Order State": "LOST"}, "Paid", ["confirm", "pay"]),
]


@pytest.mark.parametrize("oid, cells, status, events", STATUS, ids=[s[0] for s in STATUS])
def test_status_follows_the_facts(recalc_rows, oid, cells, status, events):
    row = recalc_rows([{**CLEAN, "Order ID": oid, **cells}], AS_OF)[oid]
    assert row["Status"] == status
    assert [e.rule.id for e in row.result.status_events] == events


def test_an_unknown_wish_state_is_a_warning_on_the_row(recalc_rows):
    row = recalc_rows([{**CLEAN, "Order State": "LOST"}], AS_OF)["W"]
    assert "Warning" in row["Validation"] and "'LOST' is not a Wish state" in row["Validation"]


@pytest.mark.parametrize("state, event, expected, problem", [
    ("on_hold", "resume", "new", None),
    ("delivered", "close", "closed", None),
    ("new", "close", "new", "event close is not allowed from status New"),
    ("new", "teleport", "new", "event teleport is not allowed from status New"),
])
def test_a_chosen_event_moves_the_order_or_says_why_not(rules, state, event, expected, problem):
    walker = Walker(rules.workflow)
    new_state, issue = walker.apply_event({}, state, event, "en")
    assert new_state == expected
    assert (issue.message if issue else None) == problem


def test_a_guarded_event_names_its_condition(rules):
    walker = Walker(rules.workflow)
    state, issue = walker.apply_event({"has_errors": True}, "new", "confirm", "en")
    assert state == "new" and issue.message == "event confirm needs: not has_errors"


def test_a_status_only_the_merchant_sets_survives_a_recalculation(recalc_rows):
    """Closed is set by the merchant (event close, not automatic): the data cannot tell it, so it is kept."""
    delivered = {**CLEAN, "Order State": "SHIPPED", "Shipping Provider": "USPS", "Tracking Number": "9400A",
                 "Shipped At": "2018-11-20 10:00", "Delivered At": "2018-11-21 08:00"}
    rows = recalc_rows([{**delivered, "Order ID": "kept", "Status": "Closed"},
                        {**delivered, "Order ID": "derived", "Status": "Paid"},
                        {**delivered, "Order ID": "refunded", "Status": "已关闭", "Refunded At": "2018-11-21 09:00",
                         "Refunded By": "customer"}], AS_OF)
    assert rows["kept"]["Status"] == "Closed"
    assert "as the sheet shows it: only the merchant sets this status" in rows["kept"]["Explanation"]
    assert rows["derived"]["Status"] == "Delivered"  # a status the data decides is worked out again
    assert rows["refunded"]["Status"] == "Refunded"  # a closed order refunded later still moves on

"""The values behind the workbook's cell functions, called as plain Python."""

from __future__ import annotations

from datetime import datetime

import pytest

from addin.functions import appeal_deadline, evaluate_table, next_status, rules_for, ship_by, workday

RULES = rules_for()


@pytest.mark.parametrize("start, days, expected", [
    (datetime(2018, 11, 8, 18, 0), 3, datetime(2018, 11, 14, 18, 0)),    # Veterans Day observed skipped
    (datetime(2018, 11, 17, 10, 0), 1, datetime(2018, 11, 19, 10, 0)),   # from a Saturday
    (datetime(2018, 11, 17, 10, 0), 0, datetime(2018, 11, 17, 10, 0)),   # n = 0 keeps the start
    (datetime(2018, 11, 26, 9, 30), -2, datetime(2018, 11, 21, 9, 30)),  # backwards over Thanksgiving
])
def test_wish_workday(start, days, expected):
    assert workday(start, days, RULES) == expected


def test_wish_ship_by_and_appeal_deadline():
    assert ship_by(datetime(2018, 11, 1, 9, 0), RULES) == datetime(2018, 11, 6, 8, 0)  # 120 h across DST
    assert appeal_deadline(datetime(2018, 10, 25, 10, 0), None, RULES) == datetime(2018, 11, 7, 17, 0)
    assert appeal_deadline(datetime(2018, 11, 2, 17, 0), "Order cancellation", RULES) == datetime(2018, 11, 7, 17, 0)
    assert appeal_deadline(datetime(2018, 11, 15, 10, 0), "late-confirmed-fulfilment", RULES) == \
        datetime(2019, 2, 13, 10, 0)
    assert appeal_deadline(datetime(2018, 11, 15, 10, 0), "auto-refund", RULES) is None
    with pytest.raises(ValueError, match="unknown policy 'nope'"):
        appeal_deadline(datetime(2018, 11, 15), "nope", RULES)


@pytest.mark.parametrize("status, event, expected", [
    ("New", "confirm", "Confirmed"), ("new", "hold", "On hold"), ("已确认", "确认付款", "Paid"),
    ("Delivered", "close", "Closed"), ("On hold", "resume", "New"),
])
def test_wish_next_status(status, event, expected):
    assert next_status(status, event, RULES) == expected


def test_wish_next_status_refuses_what_the_table_does_not_allow():
    with pytest.raises(ValueError, match="event close is not allowed from status New"):
        next_status("New", "close", RULES)


def test_a_whole_table_gives_one_result_per_row():
    headers = ["Order ID", "Released At", "Quantity", "Price", "SKU", "Country", "Zipcode", "Refunded At",
               "Refunded By"]
    rows = [["A1", datetime(2018, 11, 1, 9), 1, 10, "S", "US", "94105", datetime(2018, 11, 2, 17), "merchant"],
            [None] * 9,
            ["A2", "2018-11-19 09:00", "x", 10, "S", "US", "94105", None, None]]
    out = evaluate_table(headers, rows, RULES, datetime(2018, 11, 21, 9))
    assert (out[0]["Status"], out[0]["Fines (USD)"], out[0]["Appeal Deadline"]) == \
        ("Cancelled", 2.0, datetime(2018, 11, 7, 17, 0))
    assert out[1] == {}
    assert out[2]["Validation"] == "Error: Quantity 'x' is not a number"

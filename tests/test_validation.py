"""Order checks at the confirm step: each problem reported on its row and cell, the batch going on."""

from __future__ import annotations

import re

import pytest

AS_OF = "2018-11-21T09:00:00-08:00"
CLEAN = {"Order ID": "V", "Released At": "2018-11-19 09:00", "SKU": "S1", "Quantity": "1", "Price": "10",
         "Shipping": "2", "Country": "US", "Zipcode": "94105", "Phone Number": "+1 415 555 0100"}

CASES = [
    ("clean", {}, "OK"),
    ("missing-sku", {"SKU": ""}, "Error: SKU is missing"),
    ("quantity-zero", {"Quantity": "0"}, "Error: Quantity 0 must be at least 1"),
    ("quantity-text", {"Quantity": "abc"}, "Error: Quantity 'abc' is not a number"),
    ("quantity-fraction", {"Quantity": "1.5"}, "Error: Quantity '1.5' is not a whole number"),
    ("negative-price", {"Price": "-1"}, "Error: Price -1 is negative"),
    ("money-text", {"Price": "$1,299.50"}, "OK"),
    ("total-wrong", {"Order Total": "13"}, "Error: Order total 13 differs from quantity × (price + shipping) = 12"),
    ("total-right", {"Order Total": "12.00"}, "OK"),
    ("country", {"Country": "XX"}, "Error: Country XX is not an ISO country code (e.g. US, GB, DE)"),
    ("country-name", {"Country": "United States"}, "OK"),
    ("country-chinese", {"Country": "美国"}, "OK"),
    ("country-lowercase", {"Country": "usa"}, "OK"),
    ("zip-us", {"Zipcode": "9410"},
     "Warning: Postal code 9410 does not fit the format of US; check the address with the customer"),
    ("zip-gb-ok", {"Country": "GB", "Zipcode": "SW1A 1AA"}, "OK"),
    ("zip-ca-ok", {"Country": "CA", "Zipcode": "K1A 0B1"}, "OK"),
    ("zip-jp-ok", {"Country": "JP", "Zipcode": "100-0001"}, "OK"),
    ("zip-br-bad", {"Country": "BR", "Zipcode": "0100"},
     "Warning: Postal code 0100 does not fit the format of BR; check the address with the customer"),
    ("zip-elsewhere", {"Country": "HK", "Zipcode": ""}, "OK"),
    ("zip-missing", {"Zipcode": ""}, "Warning: Postal code is missing for US; check the address with the customer"),
    ("phone", {"Phone Number": "12"}, "Warning: Phone number 12 does not look valid; ask the customer"),
    ("tracking-space", {"Shipping Provider": "USPS", "Tracking Number": "9400 11", "Shipped At": "2018-11-20 10:00"},
     "Error: Tracking number 9400 11 may hold only letters and digits, no spaces"),
    ("shipped-no-tracking", {"Shipped At": "2018-11-20 10:00"}, "Error: Shipped order without carrier or tracking number"),
    ("dates", {"Shipping Provider": "USPS", "Tracking Number": "9400", "Shipped At": "2018-11-18 10:00"},
     "Warning: Dates are out of order (released, shipped, first scan, delivered)"),
    ("refund-source", {"Refunded At": "2018-11-20 10:00", "Refunded By": "someone"},
     "Warning: Refunded By 'someone' is not one of: customer, merchant, wish"),  # said once, by the reader
    ("bad-date", {"Released At": "2018-11-31 09:00"},
     "Error: Released At '2018-11-31 09:00' is not a date and time"),  # not also "missing": one cause, one message
]


@pytest.mark.parametrize("oid, cells, expected", CASES, ids=[c[0] for c in CASES])
def test_validation_messages(recalc_rows, oid, cells, expected):
    row = recalc_rows([{**CLEAN, "Order ID": oid, **cells}], AS_OF)[oid]
    assert re.sub(r" [A-Z]+\d+:", ":", row["Validation"]) == expected


def test_an_issue_names_its_cell(recalc_rows):
    rows = recalc_rows([CLEAN, {**CLEAN, "Order ID": "V2", "Quantity": "abc"}], AS_OF)
    order = rows["V2"].order
    assert order["_row"] == 3
    assert rows["V2"]["Validation"].startswith("Error ") and "3: Quantity 'abc'" in rows["V2"]["Validation"]


def test_duplicate_order_ids_name_both_rows(recalc_rows):
    rows = recalc_rows([CLEAN, {**CLEAN, "SKU": "S2"}], AS_OF)
    assert "Order ID V appears on rows 2, 3" in rows["V"]["Validation"]


def test_stock_is_reserved_first_come_first_served(recalc_rows):
    first = {**CLEAN, "Order ID": "first", "Quantity": "2", "Released At": "2018-11-19 08:00"}
    second = {**CLEAN, "Order ID": "second", "Quantity": "2", "Released At": "2018-11-19 09:00"}
    unknown = {**CLEAN, "Order ID": "unknown", "SKU": "NOPE"}
    shipped = {**CLEAN, "Order ID": "shipped", "Quantity": "5", "Shipping Provider": "USPS",
               "Tracking Number": "9400", "Shipped At": "2018-11-20 10:00"}
    rows = recalc_rows([second, first, unknown, shipped], AS_OF, inventory={"S1": 3})
    assert rows["first"]["Validation"] == "OK" and rows["first"]["Status"] == "Paid"
    assert rows["second"]["Status"] == "New"
    assert "Only 1 of SKU S1 left for this order; it needs 2" in rows["second"]["Validation"]
    assert "SKU NOPE is not in the inventory" in rows["unknown"]["Validation"]
    assert rows["shipped"]["Validation"] == "OK"


def test_stock_is_not_checked_without_an_inventory(recalc_rows):
    assert recalc_rows([{**CLEAN, "SKU": "NOPE"}], AS_OF)["V"]["Validation"] == "OK"

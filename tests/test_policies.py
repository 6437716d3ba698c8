"""Wish's fines, table by table: the instants, amounts and windows a merchant's money depends on.

Times are typed as a merchant in Los Angeles types them (naive = America/Los_Angeles,
the default workbook zone), or with an explicit offset where the exact instant matters.
Every expected deadline is the wall-clock time the merchant reads in the workbook.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

AS_OF = "2019-12-01T00:00:00Z"  # long after every order below: all fines are history


def order(oid: str, **cells: str) -> dict[str, str]:
    """A clean, shipped-in-time order; `cells` override or add columns (underscores for spaces)."""
    row = {
        "Order ID": oid, "Released At": "2018-11-01 09:00", "Order State": "APPROVED", "SKU": "SKU-1",
        "Product ID": "P-1", "Quantity": "1", "Price": "10", "Shipping": "2", "Country": "US", "Zipcode": "94105",
        "Phone Number": "+1 415 555 0100", "Shipping Provider": "USPS", "Tracking Number": "9400111899223",
        "Shipped At": "2018-11-02 10:00", "Tracking Confirmed At": "2018-11-03 10:00", "Origin Country": "US",
    }
    row.update({k.replace("_", " "): v for k, v in cells.items()})
    return row


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- Order cancellation (5.9): $2, 48 h suspension, appeal window by generation time ---------------
CANCELLATION = [
    # (id, refunded at (LA), expected appeal deadline (LA), expected suspension end (LA), why)
    ("transitional", "2018-10-25 10:00", "2018-11-07 17:00", "2018-10-27 10:00",
     "generated before 2018-10-31 17:00 PT: appeal until the fixed 2018-11-07 17:00 PT"),
    ("transitional-last-minute", "2018-10-31 16:59", "2018-11-07 17:00", "2018-11-02 16:59",
     "one minute before the switch is still transitional"),
    ("switch-instant", "2018-10-31 17:00", "2018-11-05 17:00", "2018-11-02 17:00",
     "from 2018-10-31 17:00 PT: 3 business days, same clock time (Wed -> Mon)"),
    ("dst-end", "2018-11-02 17:00", "2018-11-07 17:00", "2018-11-04 16:00",
     "Fri 17:00 PDT -> Wed 17:00 PST; the 48 elapsed hours end at 16:00 PST after the DST change"),
    ("veterans-day", "2018-11-07 10:00", "2018-11-13 10:00", "2018-11-09 10:00",
     "Veterans Day 2018-11-11 is a Sunday, observed Mon 11-12: skipped"),
    ("thanksgiving", "2018-11-20 10:00", "2018-11-26 10:00", "2018-11-22 10:00",
     "Thanksgiving Thu 11-22 skipped"),
    ("christmas", "2018-12-21 10:00", "2018-12-27 10:00", "2018-12-23 10:00",
     "Christmas Tue 12-25 skipped; Mon 12-24 is a postal business day"),
    ("new-year", "2018-12-28 10:00", "2019-01-03 10:00", "2018-12-30 10:00",
     "New Year's Day Tue 01-01 skipped"),
    ("mourning-day", "2018-12-03 10:00", "2018-12-07 10:00", "2018-12-05 10:00",
     "USPS closed on 2018-12-05 (National Day of Mourning), rules/calendar.yaml extra closure"),
    ("on-saturday", "2018-11-17 10:00", "2018-11-21 10:00", "2018-11-19 10:00",
     "a fine on a Saturday counts from the next business day, like WORKDAY"),
    ("on-holiday", "2018-11-12 10:00", "2018-11-15 10:00", "2018-11-14 10:00",
     "a fine on the observed holiday counts from the next business day"),
    ("evening", "2018-11-08 18:00", "2018-11-14 18:00", "2018-11-10 18:00",
     "18:00 PST Thursday is already Friday in UTC; counting from the UTC date would give Thu 11-15"),
]


@pytest.mark.parametrize("oid, refunded, deadline, suspended, why", CANCELLATION, ids=[c[0] for c in CANCELLATION])
def test_cancellation_fine_and_its_appeal_deadline(recalc_rows, oid, refunded, deadline, suspended, why):
    released = (dt(refunded) - timedelta(days=2)).strftime("%Y-%m-%d %H:%M")  # refunded before its ship-by time
    rows = recalc_rows([order(oid, Released_At=released, Shipped_At="", Tracking_Confirmed_At="",
                              Shipping_Provider="", Tracking_Number="", Refunded_At=refunded,
                              Refunded_By="merchant")], AS_OF)
    row = rows[oid]
    fine = row.fine("order-cancellation")
    assert fine is not None, why
    assert (fine["Amount (USD)"], fine["Generated At"]) == (2.00, dt(refunded))
    assert (fine["Appeal Deadline"], fine["Suspended Until"]) == (dt(deadline), dt(suspended)), why
    assert (row["Appeal Deadline"], row["Suspended Until"], row["Fines (USD)"]) == (dt(deadline), dt(suspended), 2.0)
    assert fine["Appealable"] == "yes"
    assert row["Status"] == "Cancelled"


CANCELLATION_EDGES = [
    # (id, cells, fined?, why)
    ("by-customer", dict(Refunded_By="customer"), False, "refunds by the customer are not fined"),
    ("by-wish", dict(Refunded_By="wish"), False, "refunds by Wish are not fined"),
    ("after-scan", dict(Tracking_Confirmed_At="2018-11-03 10:00", Refunded_At="2018-11-06 10:00"), False,
     "refunded after confirmed fulfilment (the first carrier scan)"),
    ("at-scan", dict(Tracking_Confirmed_At="2018-11-06 10:00", Refunded_At="2018-11-06 10:00"), False,
     "refunded at the very minute of the scan is not before it"),
    ("before-scan", dict(Tracking_Confirmed_At="2018-11-06 10:01", Refunded_At="2018-11-06 10:00"), True,
     "refunded a minute before the first scan"),
    ("shipped-never-scanned", dict(Tracking_Confirmed_At="", Refunded_At="2018-11-06 10:00"), True,
     "shipped but never scanned counts as before confirmed fulfilment"),
    ("released-before", dict(Released_At="2018-10-17 16:59", Refunded_At="2018-10-19 10:00",
                             Tracking_Confirmed_At=""), False, "released before 2018-10-17 17:00 PT"),
    ("released-at", dict(Released_At="2018-10-17 17:00", Refunded_At="2018-10-19 10:00",
                         Tracking_Confirmed_At=""), False, "the policy covers orders released *after* 17:00"),
    ("released-after", dict(Released_At="2018-10-17 17:01", Refunded_At="2018-10-19 10:00",
                            Tracking_Confirmed_At=""), True, "released one minute after"),
    ("released-at-utc", dict(Released_At="2018-10-18T00:00:00Z", Refunded_At="2018-10-19 10:00",
                             Tracking_Confirmed_At=""), False, "17:00 PDT written in UTC is the same instant"),
    ("chinese-source", dict(Refunded_By="商户", Tracking_Confirmed_At="", Refunded_At="2018-11-06 10:00"), True,
     "商户 is the merchant (rules/fields.yaml values)"),
]


@pytest.mark.parametrize("oid, cells, fined, why", CANCELLATION_EDGES, ids=[c[0] for c in CANCELLATION_EDGES])
def test_who_refunded_and_when_decides_the_cancellation_fine(recalc_rows, oid, cells, fined, why):
    cells = {"Refunded_By": "merchant", "Refunded_At": "2018-11-02 09:00", "Tracking_Confirmed_At": "", **cells}
    row = recalc_rows([order(oid, **cells)], AS_OF)[oid]
    assert (row.fine("order-cancellation") is not None) == fined, why


# --- Auto-refund (5.1): $50 at release + 120 h, not appealable ---------------------------------------
AUTO_REFUND = [
    # (id, released, shipped, refunded, fine?, why)
    ("never-shipped", "2018-11-01 09:00", "", "", True, "not shipped: Wish refunds at release + 120 h"),
    ("shipped-at-deadline", "2018-11-01 09:00", "2018-11-06 08:00", "", False,
     "release + 120 elapsed hours is 08:00 PST after the DST change; shipped then is in time"),
    ("shipped-a-minute-late", "2018-11-01 09:00", "2018-11-06 08:01", "", True, "one minute late"),
    ("customer-refunded-first", "2018-11-01 09:00", "", "2018-11-02 10:00", False,
     "an order refunded before its ship-by time is not auto-refunded"),
    ("before-fine-era", "2018-08-09 16:59:59", "", "", False,
     "auto-refunded at 2018-08-14 23:59:59 UTC, before the $50 fine began"),
    ("fine-era-starts", "2018-08-09 17:00", "", "", True, "auto-refunded at exactly 2018-08-15 00:00 UTC"),
]


@pytest.mark.parametrize("oid, released, shipped, refunded, fined, why", AUTO_REFUND, ids=[c[0] for c in AUTO_REFUND])
def test_auto_refund_fine(recalc_rows, oid, released, shipped, refunded, fined, why):
    cells = dict(Released_At=released, Shipped_At=shipped, Refunded_At=refunded, Tracking_Confirmed_At="",
                 Refunded_By="customer" if refunded else "")
    if not shipped:
        cells.update(Shipping_Provider="", Tracking_Number="")
    row = recalc_rows([order(oid, **cells)], AS_OF)[oid]
    fine = row.fine("auto-refund")
    assert (fine is not None) == fined, why
    if fine:
        assert (fine["Amount (USD)"], fine["Appealable"], fine["Appeal Deadline"]) == (50.0, "no", None)
        assert fine["Generated At"] == row["Ship By"]


def test_ship_by_is_120_elapsed_hours_and_an_unshipped_order_is_only_at_risk_before_it(recalc_rows):
    row = recalc_rows([order("R1", Released_At="2018-11-01 09:00", Shipped_At="", Tracking_Confirmed_At="",
                             Shipping_Provider="", Tracking_Number="")], "2018-11-05T09:00:00-08:00")["R1"]
    assert row["Ship By"] == dt("2018-11-06 08:00")  # 09:00 PDT + 120 h = 08:00 PST
    assert row.fines == [] and row["Fines (USD)"] == 0
    assert "Mark it shipped or Wish refunds it and fines $50.00 (by 2018-11-06 08:00)" in row["Next Action"]


# --- Late confirmed fulfilment (5.5): max(20 % of order value, $1) ------------------------------------
LCF = [
    # (id, released, scanned, qty, price, shipping, expected amount or None, expected deadline, why)
    ("late", "2018-11-01T09:00:00-07:00", "2018-11-08T09:01:00-07:00", 2, 10, 2, 4.80, None,
     "168 h + 1 min; 20 % of 2 x (10 + 2); generated before 2018-11-12: appealable, no published window"),
    ("exactly-168h", "2018-11-01T09:00:00-07:00", "2018-11-08T09:00:00-07:00", 2, 10, 2, None, None,
     "a scan at exactly 168 h is not more than 168 h"),
    ("minimum", "2018-11-01T09:00:00-07:00", "2018-11-09T09:00:00-08:00", 1, 3, 1, 1.00, None,
     "20 % of $4 is $0.80: the $1.00 minimum applies"),
    ("90-days", "2018-11-05 10:00", "2018-11-15 10:00", 1, 50, 5, 11.00, "2019-02-13 10:00",
     "generated from 2018-11-12: appealable within 90 calendar days, same clock time"),
    ("high-value-2018", "2018-11-01 09:00", "2018-11-30 09:00", 1, 95, 10, None, None,
     "an item of $100 or more was not fined before 2019-07-09"),
    ("before-policy", "2018-04-11 23:59", "2018-05-01 09:00", 1, 10, 2, None, None,
     "orders released before 2018-04-12 are not fined"),
    ("policy-start", "2018-04-12 00:00", "2018-05-01 09:00", 1, 10, 2, 2.40, None, "released at the start"),
    ("high-value-2019", "2019-07-09T00:00:00Z", "2019-07-23T00:01:00Z", 1, 120, 5, 25.00, "2019-10-20 17:01",
     "from 2019-07-09 00:00 UTC items of $100+ are fined after 336 h"),
    ("high-value-2019-in-time", "2019-07-09T00:00:00Z", "2019-07-23T00:00:00Z", 1, 120, 5, None, None,
     "exactly 336 h is in time"),
    ("cheap-2019", "2019-07-09T00:00:00Z", "2019-07-16T00:01:00Z", 1, 20, 5, 5.00, "2019-10-13 17:01",
     "items under $100 keep the 168 h limit in 2019"),
]


@pytest.mark.parametrize("oid, released, scanned, qty, price, shipping, amount, deadline, why", LCF,
                         ids=[c[0] for c in LCF])
def test_late_confirmed_fulfilment(recalc_rows, oid, released, scanned, qty, price, shipping, amount, deadline, why):
    row = recalc_rows([order(oid, Released_At=released, Shipped_At=released, Tracking_Confirmed_At=scanned,
                             Quantity=str(qty), Price=str(price), Shipping=str(shipping))], AS_OF)[oid]
    fines = [f for f in row.fines if f["Rule"].startswith("late-confirmed-fulfilment")]
    if amount is None:
        assert fines == [], why
        return
    assert len(fines) == 1, why
    assert (fines[0]["Amount (USD)"], fines[0]["Appeal Deadline"]) == (amount, dt(deadline) if deadline else None), why
    assert fines[0]["Appealable"] == "yes"


# --- Fake tracking (5.6): order value + $100, or + $500 after 2019-01-15 00:00 UTC --------------------
FAKE = [
    ("fake-2018", "2018-11-01 10:00", "", 112.00, "order value $12 + $100"),
    ("fake-at-switch", "2019-01-15T00:00:00Z", "", 112.00, "marked shipped at the switch instant: still $100"),
    ("fake-after-switch", "2019-01-15T00:00:01Z", "", 512.00, "one second after: + $500"),
    ("fake-modified-after", "2019-01-10 10:00", "2019-01-20 10:00", 512.00, "tracking modified after the switch"),
]


@pytest.mark.parametrize("oid, shipped, modified, amount, why", FAKE, ids=[c[0] for c in FAKE])
def test_fake_tracking(recalc_rows, oid, shipped, modified, amount, why):
    row = recalc_rows([order(oid, Released_At="2018-10-30 09:00", Shipped_At=shipped, Tracking_Modified_At=modified,
                             Tracking_Confirmed_At="", Fake_Tracking="yes")], AS_OF)[oid]
    fines = [f for f in row.fines if f["Rule"].startswith("fake-tracking")]
    assert [f["Amount (USD)"] for f in fines] == [amount], why
    assert row["Status"] == "Exception"


# --- WishPost: $100 for orders from mainland China not shipped with WishPost -------------------------
WISHPOST = [
    ("cn-yanwen", "CN", "Yanwen", "2018-10-25 10:00", True, "origin mainland China, another carrier"),
    ("cn-wishpost", "CN", "WishPost", "2018-10-25 10:00", False, "shipped with WishPost"),
    ("cn-wishpost-spelling", "cn", " wishpost ", "2018-10-25 10:00", False, "case and spaces do not matter"),
    ("cn-before", "CN", "Yanwen", "2018-10-21 23:59", False, "shipped before 2018-10-22 00:00 PT"),
    ("hk", "HK", "Yanwen", "2018-10-25 10:00", False, "Hong Kong is not mainland China"),
]


@pytest.mark.parametrize("oid, origin, carrier, shipped, fined, why", WISHPOST, ids=[c[0] for c in WISHPOST])
def test_wishpost(recalc_rows, oid, origin, carrier, shipped, fined, why):
    row = recalc_rows([order(oid, Released_At="2018-10-20 09:00", Origin_Country=origin, Shipping_Provider=carrier,
                             Shipped_At=shipped, Tracking_Confirmed_At="2018-10-26 10:00")], AS_OF)[oid]
    fine = row.fine("wishpost")
    assert (fine is not None) == fined, why
    if fine:
        assert (fine["Amount (USD)"], fine["Appealable"]) == (100.0, "no")


def test_every_fine_explains_itself_with_rule_and_line(recalc_rows, rules):
    row = recalc_rows([order("X1", Released_At="2018-10-20 09:00", Shipped_At="", Tracking_Confirmed_At="",
                             Shipping_Provider="", Tracking_Number="", Refunded_At="2018-11-02 17:00",
                             Refunded_By="merchant")], AS_OF)["X1"]
    policy = next(p for p in rules.policies if p.rule.id == "order-cancellation")
    assert f"[order-cancellation {policy.rule.ref}]" in row["Explanation"]
    assert row.fine("order-cancellation")["Rule"] == f"order-cancellation {policy.rule.ref}"
    text = (policy.rule.ref.file, policy.rule.ref.line)
    with open(text[0], encoding="utf-8") as fh:
        assert "id: order-cancellation" in fh.read().splitlines()[text[1] - 1]
    assert "appeal by 2018-11-07 17:00 (America/Los_Angeles) (3 US business days, same clock time)" in row["Explanation"]

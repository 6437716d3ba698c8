"""A merchant in Shenzhen, working in Chinese, gets the same fines and deadlines, in her own clock and words."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from addin.domain.messages import CATALOG

LA, SHANGHAI = ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Shanghai")
AS_OF_LA = "2018-11-21T09:00:00-08:00"
CJK = re.compile(r"[\u4e00-\u9fff]")
TIME_COLUMNS = ("Released At", "Shipped At", "Tracking Confirmed At", "Delivered At", "Refunded At")

ORDERS_LA = [
    {"Order ID": "cancel-evening", "Released At": "2018-11-06 09:00", "SKU": "S1", "Quantity": "1", "Price": "10",
     "Shipping": "2", "Country": "US", "Zipcode": "94105", "Refunded At": "2018-11-08 18:00",
     "Refunded By": "merchant"},
    {"Order ID": "cancel-dst", "Released At": "2018-10-31 09:00", "SKU": "S1", "Quantity": "1", "Price": "10",
     "Shipping": "2", "Country": "US", "Zipcode": "94105", "Refunded At": "2018-11-02 17:00",
     "Refunded By": "merchant"},
    {"Order ID": "late-scan", "Released At": "2018-11-05 10:00", "SKU": "S1", "Quantity": "2", "Price": "10",
     "Shipping": "2", "Country": "US", "Zipcode": "94105", "Shipping Provider": "USPS", "Tracking Number": "9400A1",
     "Shipped At": "2018-11-06 10:00", "Tracking Confirmed At": "2018-11-15 10:00"},
    {"Order ID": "unshipped", "Released At": "2018-11-10 23:30", "SKU": "S1", "Quantity": "1", "Price": "10",
     "Shipping": "2", "Country": "GB", "Zipcode": "SW1A 1AA"},
    {"Order ID": "bad-row", "Released At": "2018-11-19 08:00", "SKU": "S1", "Quantity": "abc", "Price": "-1",
     "Shipping": "2", "Country": "XX", "Zipcode": "1", "Phone Number": "12"},
]


def in_shanghai(text: str) -> str:
    """The wall-clock time a Shanghai merchant would have typed for the same instant."""
    return datetime.fromisoformat(text).replace(tzinfo=LA).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def la_to_shanghai(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=LA).astimezone(SHANGHAI).replace(tzinfo=None)


def test_the_same_orders_typed_in_shanghai_give_the_same_fines_written_in_shanghai_time(recalc_rows):
    la = recalc_rows(ORDERS_LA, AS_OF_LA)
    typed_in_shanghai = [{k: in_shanghai(v) if k in TIME_COLUMNS and v else v for k, v in row.items()}
                         for row in ORDERS_LA]
    sh = recalc_rows(typed_in_shanghai, AS_OF_LA, zone="Asia/Shanghai")
    assert sum(len(r.fines) for r in la.values()) >= 3
    for oid, row in la.items():
        assert sh[oid]["Status"] == row["Status"], oid
        assert sh[oid]["Fines (USD)"] == row["Fines (USD)"], oid
        for column in ("Ship By", "Appeal Deadline", "Suspended Until"):
            assert sh[oid][column] == la_to_shanghai(row[column]), (oid, column)
        assert [(f["Fine ID"], f["Amount (USD)"]) for f in sh[oid].fines] == \
            [(f["Fine ID"], f["Amount (USD)"]) for f in row.fines]
        for fine_sh, fine_la in zip(sh[oid].fines, row.fines):
            for column in ("Generated At", "Appeal Deadline", "Suspended Until"):
                assert fine_sh[column] == la_to_shanghai(fine_la[column]), (oid, column)


def test_shanghai_deadline_reads_in_shanghai_and_explains_in_pacific_time(recalc_rows):
    row = recalc_rows([{**ORDERS_LA[0], "Refunded At": in_shanghai("2018-11-08 18:00"),
                        "Released At": in_shanghai("2018-11-06 09:00")}], AS_OF_LA, zone="Asia/Shanghai")
    cell = row["cancel-evening"]
    # Thu 18:00 PST = Fri 10:00 in Shanghai; 3 US business days from Thursday (Veterans Day observed Mon 11-12)
    # -> Wed 2018-11-14 18:00 PST = Thu 2018-11-15 10:00 in Shanghai.
    assert cell["Appeal Deadline"] == datetime(2018, 11, 15, 10, 0)
    assert "2018-11-15 10:00 (Asia/Shanghai) = 2018-11-14 18:00 (America/Los_Angeles)" in cell["Explanation"]


def test_in_chinese_every_status_message_and_action_is_chinese(recalc_rows):
    rows = recalc_rows(ORDERS_LA, AS_OF_LA, language="zh")
    for oid, row in rows.items():
        assert CJK.search(row["Status"]), (oid, row["Status"])
        assert row["Validation"] == "正常" or all(CJK.search(line) for line in row["Validation"].splitlines()), oid
        assert not row["Next Action"] or CJK.search(row["Next Action"]), (oid, row["Next Action"])
        for line in row["Explanation"].split(" | "):
            assert CJK.search(line), (oid, line)
        for fine in row.fines:
            assert CJK.search(fine["Policy"]) and fine["Appealable"] in ("是", "否")
    assert re.fullmatch("错误 [A-Z]+6：数量“abc”不是数字", rows["bad-row"]["Validation"].splitlines()[0])


def test_every_rule_text_has_a_chinese_version(rules):
    texts = [(s.id, s.label) for s in rules.workflow.states.values()]
    texts += [(s.id + ".next_action", s.next_action.text) for s in rules.workflow.states.values()]
    texts += [(e.rule.id, e.label) for e in rules.workflow.events]
    texts += [(v.rule.id, v.message.text) for v in rules.validations]
    texts += [(p.rule.id, p.name) for p in rules.policies]
    texts += [(p.rule.id + ".reason", p.reason.text) for p in rules.policies if p.reason]
    texts += [(p.rule.id + ".risk", p.risk.message.text) for p in rules.policies if p.risk]
    texts += [(f.name, f.label) for f in rules.fields.values() if f.name not in ("sku",)]
    texts += [(key, text) for key, text in CATALOG.items()]
    def has_words(en: str) -> bool:
        return bool(re.search("[A-Za-z]{2,}", re.sub(r"\{[^}]*\}", "", en)))

    missing = [name for name, text in texts if has_words(text.en) and not CJK.search(text.zh)]
    assert missing == []


@pytest.mark.parametrize("header, field", [("订单号", "order_id"), ("放单时间", "released_at"), ("数量", "quantity"),
                                           ("退款时间", "refunded_at"), ("退款方", "refunded_by"),
                                           ("Price (each)", "price"), ("Available for Fulfillment Time", "released_at"),
                                           ("tracking_confirmed_date", "tracking_confirmed_at")])
def test_chinese_and_wish_export_headers_are_aliases(recalc_rows, header, field):
    base = {"Order ID": "H1", "Released At": "2018-11-06 09:00", "Quantity": "1", "Refunded At": "",
            "Refunded By": "", "Price": "1", "Tracking Confirmed At": ""}
    value = {"order_id": "H1", "released_at": "2018-11-06 09:00", "quantity": "3", "refunded_at": "2018-11-07 10:00",
             "refunded_by": "商户", "price": "7.5", "tracking_confirmed_at": "2018-11-08 10:00"}[field]
    canonical = {"order_id": "Order ID", "released_at": "Released At", "quantity": "Quantity",
                 "refunded_at": "Refunded At", "refunded_by": "Refunded By", "price": "Price",
                 "tracking_confirmed_at": "Tracking Confirmed At"}[field]
    row = {k: v for k, v in base.items() if k != canonical}
    row[header] = value
    order = next(iter(recalc_rows([row], AS_OF_LA).values())).order
    expected = {"quantity": 3, "price": 7.5, "refunded_by": "merchant"}.get(field, order[field])
    assert order[field] == expected and order[field] is not None

"""The streaming reader of the Orders sheet gives the table the general reader gives.

The general reader (python-calamine's grid, then orders_from_grid) is the reference; the
streaming one (io/sheetread.py + io/orders_xlsx.py) is what an in-place recalculation runs.
Held to the same headers, order rows, typed columns, cell issues and shown statuses on the
sample, the front-end workbook, and workbooks full of the cells a merchant's file may hold.
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
import xlsxwriter

from addin.io.package import Package
from addin.io.reader import ORDERS_SHEET, _read_grid, orders_from_grid, read_orders
from addin.io.sheetread import NotStreamable, scan_groups

ROOT = Path(__file__).resolve().parents[1]


def both(path: Path, rules):
    with Package(path) as pkg:
        streamed = read_orders(path, rules, keep_rows=False, package=pkg)
    grid, sheet = _read_grid(path, ORDERS_SHEET)
    general = orders_from_grid(path, sheet, grid, rules, keep_rows=False)
    return streamed, general


def assert_same_table(streamed, general):
    assert streamed.headers[:len(general.headers)] == general.headers[:len(streamed.headers)]
    assert all(h is None for h in general.headers[len(streamed.headers):])
    assert streamed.fields == general.fields
    assert streamed.computed == general.computed
    assert list(streamed.order_rows) == list(general.order_rows)
    assert list(streamed.order_index) == list(general.order_index)
    assert streamed.notes == general.notes
    assert streamed.shown_status == general.shown_status
    for name, col in general.columns.items():
        ours = streamed.columns[name]
        assert ours.dtype == col.dtype, name
        if col.dtype.kind in "fM":
            assert np.array_equal(ours, col, equal_nan=True), (name, ours[ours != col][:5], col[ours != col][:5])
        else:
            assert ours.tolist() == col.tolist(), name
    assert {k: [(i.severity, i.message, i.field) for i in v] for k, v in streamed.cell_issues.items()} == \
        {k: [(i.severity, i.message, i.field) for i in v] for k, v in general.cell_issues.items()}
    assert {k: v.tolist() for k, v in streamed.bad.items()} == {k: v.tolist() for k, v in general.bad.items()}


@pytest.mark.parametrize("book", ["samples/orders.xlsx", "workbook.xlsm"])
@pytest.mark.parametrize("pieces", ["whole", "in small groups"])
def test_the_bundled_workbooks_read_the_same(rules, book, pieces, monkeypatch):
    if pieces != "whole":  # the sheet inflated and typed a few rows at a time, as a large one is
        monkeypatch.setattr("addin.io.sheetread.BLOCK", 2048)
        monkeypatch.setattr("addin.io.sheetread.GROUP", 6000)
    assert_same_table(*both(ROOT / book, rules))


def merchant_book(path: Path, shared_strings: bool) -> Path:
    """Cells of every kind, in the columns of the orders table, with gaps, as Excel keeps them."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": not shared_strings, "strings_to_numbers": False})
    ws = wb.add_worksheet("Orders")
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    money = wb.add_format({"num_format": "#,##0.00"})
    headers = ["Order ID", "Released At", "Order State", "Quantity", "Price", "Shipping", "Country",
               "Zipcode", "Shipped At", "Refunded At", "Refunded By", "Fake Tracking", "Notes", "Status"]
    ws.write_row(0, 0, headers)
    rows = [
        ["A&1 <x>", datetime(2018, 11, 2, 17, 0), "APPROVED", 1, 12.5, 0, "US", "94105", None, None, None, None,
         "note", "Closed"],
        ["A2", date(2018, 11, 5), " shipped ", 2.0, "1,299.00", "$3", "United States", 94105, "2018-11-06 08:00",
         None, "merchant", True, None, None],
        ["A3 _x000D_ tab\there", 43405.5, "REFUNDED", "two", 9.99, None, "cn", "", None, datetime(2018, 11, 9, 1, 2, 3),
         "Customer", "yes", None, "Shipped"],
        [None, None, None, None, None, None, None, None, None, None, None, None, "only a note", None],
        [None] * 14,
        ["A6", "not a date", "UNKNOWN", 3.5, -1, 2, "GB", "SW1A 1AA", datetime(2019, 1, 1), None, "wish", False, "",
         "Delivered"],
        ["中文订单", "2018年11月2日 17:00", "SHIPPED", 1, 5, 1, "中国", "100000", None, None, None, None, "备注", None],
    ]
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v is None:
                if c in (1, 4):
                    ws.write_blank(r, c, None, when if c == 1 else money)  # a styled empty cell
                continue
            if isinstance(v, datetime):
                ws.write_datetime(r, c, v, when)
            elif isinstance(v, date):
                ws.write_datetime(r, c, datetime(v.year, v.month, v.day), day)
            elif isinstance(v, bool):
                ws.write_boolean(r, c, v)
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v, money if c == 4 else None)
            else:
                ws.write_string(r, c, v)
    ws.write_formula(8, 0, '="F"&"9"', None, "F9")            # a formula with a cached text value
    ws.write_formula(8, 3, "=1+1", None, 2)                   # a formula with a cached number
    ws.write_formula(8, 4, "=1/0", None, "#DIV/0!")           # an error cell
    ws.write_formula(8, 1, "=NOW()", when, 43405.25)          # a date-formatted formula
    ws.write_string(9, 0, "   ")                              # a row with only blanks in it: not an order
    bold = wb.add_format({"bold": True})
    ws.write_rich_string(10, 0, "R-", bold, "11", " & co")     # rich text: runs with their own fonts
    ws.write_rich_string(10, 6, "U", bold, "S")
    wb.close()
    return path


@pytest.mark.parametrize("shared_strings", [True, False], ids=["shared strings", "inline strings"])
@pytest.mark.parametrize("group", [None, 700])
def test_a_workbook_with_every_kind_of_cell_reads_the_same(rules, tmp_path, shared_strings, group, monkeypatch):
    if group:
        monkeypatch.setattr("addin.io.sheetread.BLOCK", 600)
        monkeypatch.setattr("addin.io.sheetread.GROUP", group)
    path = merchant_book(tmp_path / "orders.xlsx", shared_strings)
    streamed, general = both(path, rules)
    assert_same_table(streamed, general)
    assert streamed.n >= 7 and streamed.cell_issues  # the table really holds orders and bad cells
    ids = streamed.columns["order_id"].tolist()
    assert "R-11 & co" in ids and "A&1 <x>" in ids and "A3 _x000D_ tab\there" in ids  # a typed _x000D_ stays


def test_a_sheet_written_with_a_namespace_prefix_takes_the_general_reader(rules, tmp_path):
    path = merchant_book(tmp_path / "plain.xlsx", True)
    prefixed = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(prefixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet xmlns=", b"<x:worksheet xmlns:x=").replace(b"</worksheet>",
                                                                                            b"</x:worksheet>")
                for tag in (b"sheetData", b"row", b"c", b"v", b"is", b"t", b"f", b"dimension", b"sheetViews",
                            b"sheetView", b"sheetFormatPr", b"pageMargins", b"cols", b"col", b"selection", b"pane"):
                    data = data.replace(b"<" + tag + b" ", b"<x:" + tag + b" ").replace(b"<" + tag + b">",
                                                                                        b"<x:" + tag + b">")
                    data = data.replace(b"</" + tag + b">", b"</x:" + tag + b">").replace(b"<" + tag + b"/>",
                                                                                          b"<x:" + tag + b"/>")
            dst.writestr(info, data)
    with Package(prefixed) as pkg, pytest.raises(NotStreamable):
        next(scan_groups(pkg, pkg.sheet("Orders").part, lambda header: set(header)))
    streamed, _ = both(prefixed, rules)
    _, general = both(path, rules)
    assert list(streamed.order_rows) == list(general.order_rows)
    assert list(streamed.order_index) == list(general.order_index)


def test_a_repeated_text_value_is_one_string_over_the_whole_sheet(rules, tmp_path, monkeypatch):
    """Read a group of rows at a time, a column of a few SKUs still holds one str per SKU (a million
    orders would otherwise hold a copy per group); a column of unique ids is left as read."""
    path = tmp_path / "repeats.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})  # inline strings, as a large export has
    ws = wb.add_worksheet(ORDERS_SHEET)
    headers = [rules.fields[f].header for f in ("order_id", "sku", "zipcode", "price")]
    ws.write_row(0, 0, headers)
    for r in range(1, 3001):
        ws.write_string(r, 0, f"{r:024x}")
        ws.write_string(r, 1, f"SKU-{r % 7}")
        ws.write_string(r, 2, f"{10000 + r % 300}")  # mostly unique in a group, repeated over the sheet
        ws.write_number(r, 3, 9.5)
    wb.close()
    monkeypatch.setattr("addin.io.sheetread.BLOCK", 2048)
    monkeypatch.setattr("addin.io.sheetread.GROUP", 6000)  # about 50 rows a group
    monkeypatch.setattr("addin.io.columntypes.Interner.SAMPLE", 1000)
    with Package(path) as pkg:
        table = read_orders(path, rules, keep_rows=False, package=pkg)
    assert table.n == 3000
    skus, zips, ids = (table.columns[f].tolist() for f in ("sku", "zipcode", "order_id"))
    assert skus[:8] == ["SKU-1", "SKU-2", "SKU-3", "SKU-4", "SKU-5", "SKU-6", "SKU-0", "SKU-1"]
    assert len({id(s) for s in skus}) == 7
    assert len({id(z) for z in zips}) == 300 and zips[299] == "10000" and zips[300] == "10001"
    assert len(set(ids)) == 3000


@pytest.mark.parametrize("tail,expected", [
    (b'A1"/>', (0, 1)),
    (b'B7" s="2"><v>3</v></c>', (1, 7)),
    (b'AL100001" t="inlineStr">', (37, 100001)),
    (b'XFD1048576"', (16383, 1048576)),      # Excel's last cell
    (b'a1"', None),                           # lower case: not a reference this reader takes
    (b'A"', None),                            # no row
    (b'1A"', None),
    (b'ABCD1"', None),                        # four letters
    (b'A12345678"', None),                    # eight digits
    (b'A1 s="2"', None),                      # no closing quote after the row
    (b'A1B2"', None),
])
def test_cell_references_are_read_or_refused(tail, expected):
    from addin.io.sheetread import _references
    found = _references([b'C3"/>', tail, b'D4"/>'])  # among good ones: each cell is read on its own
    if expected is None:
        assert found is None
    else:
        columns, numbers = found
        assert (columns.tolist(), numbers.tolist()) == ([2, expected[0], 3], [3, expected[1], 4])

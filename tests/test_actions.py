"""The workbook's button actions, run through OpenpyxlPort on small workbooks built here.

What the merchant relies on: each action writes exactly the cells it owns, with the same
values `wishxl recalc` computes for the same orders; advancing orders logs each change in
History and reports each refused row by its sheet row and order id while the other rows go
on; the merchant's Appeal Status stays with its fine; customer text starting with "=" stays
text; and nothing a button does ever ends in a Python traceback.
"""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest
import python_calamine
import xlsxwriter
import xlwings
from typer.testing import CliRunner

from addin.cli import app
from addin.domain.present import FINE_COLUMNS, OUTPUT_COLUMNS
from addin.functions import rules_for
from addin.xl import actions
from addin.xl.actions import ACTIONS, Action, run
from addin.xl.port import OpenpyxlPort, WorkbookPort
from addin.xl.xlwings_port import XlwingsPort, _cell, rows_of_address

AS_OF = datetime(2018, 11, 21, 9, 0)  # naive: America/Los_Angeles, the bundled workbook zone
FORMULA_NAME = "=HYPERLINK(\"http://x\",\"click\")"
HEADERS = ["Order ID", "Released At", "Order State", "SKU", "Product ID", "Quantity", "Price", "Shipping", "Country",
           "Zipcode", "Name", "Shipping Provider", "Tracking Number", "Shipped At", "Tracking Confirmed At",
           "Delivered At", "Refunded At", "Refunded By", "Merchant Notes"]
C = {h: i for i, h in enumerate(HEADERS + list(OUTPUT_COLUMNS))}
BASE = {"SKU": "SKU-1", "Product ID": "P-1", "Quantity": 1, "Price": 10.0, "Shipping": 2.0, "Country": "US",
        "Zipcode": "94105", "Name": "Ann Lee"}
ORDERS = [
    # Refunded by the merchant before any carrier scan: an order-cancellation fine.
    {**BASE, "Order ID": "A-1", "Released At": datetime(2018, 11, 1, 9), "Order State": "REFUNDED",
     "Refunded At": datetime(2018, 11, 2, 17), "Refunded By": "merchant"},
    # Quantity is not a number; the customer's name looks like a formula.
    {**BASE, "Order ID": "A-2", "Released At": datetime(2018, 11, 19, 9), "Order State": "APPROVED",
     "Quantity": "abc", "Name": FORMULA_NAME},
    # Shipped, scanned, delivered.
    {**BASE, "Order ID": "A-3", "Released At": datetime(2018, 11, 1, 9), "Order State": "SHIPPED",
     "Shipping Provider": "USPS", "Tracking Number": "9400111899223197428490", "Shipped At": datetime(2018, 11, 2, 9),
     "Tracking Confirmed At": datetime(2018, 11, 3, 9), "Delivered At": datetime(2018, 11, 10, 9)},
    None,  # a blank row
    # Never shipped: Wish auto-refunds it at its ship-by time and fines $50; its SKU is not in Inventory.
    {**BASE, "Order ID": "A-5", "Released At": datetime(2018, 11, 10, 9), "Order State": "APPROVED", "SKU": "SKU-9"},
]
OLD_FINE = ["OLD-1-order-cancellation"] + [None] * 9
EARLIER = [datetime(2018, 11, 1, 8), "Z-9", "New", "On hold", "hold", "Advance selected orders"]


def build(path: Path, *, action: str = "Recalculate", event: str | None = "close",
          orders: list[dict[str, Any] | None] = ORDERS) -> Path:
    """A workbook laid out as docs-excel-contract.md says (strings never turned into formulas)."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False,
                                           "strings_to_urls": False})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    dash = book.add_worksheet("Dashboard")
    dash.write_row(0, 0, ["Action", action])
    dash.write_row(1, 0, ["Event", event])
    dash.write(2, 0, "As of")
    dash.write_datetime(2, 1, AS_OF, stamp)
    for name, cell in (("Action", "$B$1"), ("Event", "$B$2"), ("AsOf", "$B$3")):
        book.define_name(name, f"=Dashboard!{cell}")

    def put(ws: Any, r: int, values: list[Any]) -> None:
        for c, v in enumerate(values):
            if isinstance(v, datetime):
                ws.write_datetime(r, c, v, stamp)
            elif v is not None:
                ws.write(r, c, v)

    sheet = book.add_worksheet("Orders")
    columns = HEADERS + list(OUTPUT_COLUMNS)
    for r, order in enumerate(orders, start=1):
        put(sheet, r, [(order or {}).get(h) for h in HEADERS])
    sheet.add_table(0, 0, max(len(orders), 1), len(columns) - 1,
                    {"name": "OrdersTable", "columns": [{"header": h} for h in columns]})
    fines = book.add_worksheet("Fines")
    put(fines, 0, list(FINE_COLUMNS) + ["Appeal Status"])
    put(fines, 1, ["A-1-order-cancellation"] + [None] * 9 + ["Appealed 2018-11-05"])
    put(fines, 2, OLD_FINE + ["Won"])
    history = book.add_worksheet("History")
    put(history, 0, list(actions.HISTORY_COLUMNS))
    put(history, 1, EARLIER)
    inventory = book.add_worksheet("Inventory")
    put(inventory, 0, ["SKU", "Stock"])
    put(inventory, 1, ["SKU-1", 10])
    book.close()
    return path


def rule(policy_id: str) -> str:
    """The Rule column of a fine: the policy and the line of rules/policies.yaml it is written on."""
    return next(f"{p.rule.id} {p.rule.ref}" for p in rules_for().policies if p.rule.id == policy_id)


def table(port: OpenpyxlPort, sheet: str) -> list[list[Any]]:
    return port.read_table(sheet)[1]


def row_of(port: OpenpyxlPort, order_id: str) -> dict[str, Any]:
    headers, rows = port.read_table("Orders")
    return next(dict(zip(headers, r)) for r in rows if r[0] == order_id)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return build(tmp_path / "shop.xlsx")


# -- the registry and run ------------------------------------------------------------------------------
def test_every_action_has_an_id_and_a_label_and_runs_by_either(book, monkeypatch):
    assert list(ACTIONS) == ["validate", "advance", "recalculate", "clear_sample"]
    assert all(a.id == key and a.label and callable(a.function) for key, a in ACTIONS.items())
    calls = []
    monkeypatch.setitem(ACTIONS, "validate", Action("validate", "Validate orders", lambda port: calls.append(port)))
    port = OpenpyxlPort(book)
    assert isinstance(port, WorkbookPort)
    assert run("validate", port) and run("Validate orders", port) and run(" validate ORDERS", port)
    assert calls == [port] * 3 and port.messages == []
    assert run("Fly to the moon", port) is False
    assert run(None, port) is False
    assert port.messages == [
        "Unknown action 'Fly to the moon'; choose one in the Action cell: Validate orders, Advance selected orders, "
        "Recalculate, Clear the sample",
        "Choose an action in the Action cell: Validate orders, Advance selected orders, Recalculate, Clear the sample"]


def test_an_exception_inside_an_action_becomes_a_message(book, monkeypatch):
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(actions, "fine_rows", boom)
    port = OpenpyxlPort(book)
    assert run("recalculate", port) is False
    assert port.messages == ["Recalculate failed: RuntimeError: disk on fire"]
    assert port.statuses[-1] == ""  # the status bar is given back to Excel

    class Mute(OpenpyxlPort):
        def message(self, text: str) -> None:
            raise OSError("Excel is gone")

    assert run("recalculate", Mute(book)) is False  # even telling it may fail: still no exception


# -- recalculate and validate ------------------------------------------------------------------------
def test_recalculate_writes_every_computed_column_and_the_fines_ledger(book):
    port = OpenpyxlPort(book)
    assert run("Recalculate", port) is True
    a1, a2, a3, a5 = (row_of(port, o) for o in ("A-1", "A-2", "A-3", "A-5"))
    assert (a1["Validation"], a1["Status"], a1["Fines (USD)"], a1["Appeal Deadline"], a1["Suspended Until"]) == \
        ("OK", "Cancelled", 2.0, datetime(2018, 11, 7, 17, 0), datetime(2018, 11, 4, 16, 0))
    assert (a2["Validation"], a2["Status"], a2["Ship By"]) == \
        ("Error F3: Quantity 'abc' is not a number", "New", datetime(2018, 11, 24, 9, 0))
    assert (a3["Status"], a3["Fines (USD)"], a3["Appeal Deadline"]) == ("Delivered", 0, None)
    assert (a5["Status"], a5["Fines (USD)"], a5["Validation"]) == \
        ("Cancelled", 50.0, "Error D6: SKU SKU-9 is not in the inventory")  # stock checked against Inventory
    assert table(port, "Orders")[3] == [None] * len(C)  # the blank row stays blank
    headers, fines = port.read_table("Fines")
    assert headers == list(FINE_COLUMNS) + ["Appeal Status"]
    assert fines == [
        ["A-1-order-cancellation", "A-1", "P-1", "Order cancellation", 2.0, datetime(2018, 11, 2, 17),
         "yes", datetime(2018, 11, 7, 17), datetime(2018, 11, 4, 16), rule("order-cancellation"),
         "Appealed 2018-11-05"],
        ["A-5-auto-refund", "A-5", "P-1", "Auto-refund (not shipped in time)", 50.0, datetime(2018, 11, 15, 9),
         "no", None, None, rule("auto-refund"), None]]
    assert port.messages == ["Recalculate: these fines no longer apply and left the Fines sheet with what was "
                             "written beside them (Appeal Status): OLD-1-order-cancellation"]
    assert port.statuses[0] == "Reading the Orders sheet" and port.statuses[-1] == ""


def calamine(path: Path, sheet: str) -> list[list[Any]]:
    grid = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    return [[None if v == "" else v for v in row] for row in grid]


def test_recalculate_gives_the_cells_wishxl_recalc_gives(book, tmp_path):
    cli = tmp_path / "cli.xlsx"
    result = CliRunner().invoke(app, ["recalc", str(book), "--out", str(cli), "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    port = OpenpyxlPort(book)
    assert run("recalculate", port)
    port.save()
    ours, theirs = calamine(book, "Orders"), calamine(cli, "Orders")
    assert ours[0][:len(C)] == theirs[0][:len(C)]
    compared = 0
    for mine, cli_row in zip(ours[1:], theirs[1:]):
        for name in OUTPUT_COLUMNS:
            assert mine[C[name]] == cli_row[C[name]], (mine[0], name)
            compared += 1
    assert compared == len(ORDERS) * len(OUTPUT_COLUMNS)
    assert [r[:len(FINE_COLUMNS)] for r in calamine(book, "Fines")] == calamine(cli, "Fines")


def test_validate_writes_only_validation_and_status(book):
    port = OpenpyxlPort(book)
    assert run("validate", port)
    a2 = row_of(port, "A-2")
    assert (a2["Validation"], a2["Status"]) == ("Error F3: Quantity 'abc' is not a number", "New")
    assert all(a2[name] is None for name in OUTPUT_COLUMNS if name not in ("Validation", "Status"))
    assert table(port, "Fines")[0][-1] == "Appealed 2018-11-05" and len(table(port, "Fines")) == 2  # untouched


# -- advance -------------------------------------------------------------------------------------------
def test_advance_applies_the_event_to_the_selected_rows_and_logs_each_change(book):
    port = OpenpyxlPort(book, selection=[0, 1, 2, 3, 40])  # the blank row, below the table
    before = datetime.now().replace(microsecond=0)
    assert run("advance", port) is True
    after = datetime.now()
    assert [r[C["Status"]] for r in table(port, "Orders")] == [None, None, "Closed", None, None]
    history = table(port, "History")
    assert history[0] == EARLIER
    assert history[1][1:] == ["A-3", "Delivered", "Closed", "close", "Advance selected orders"]
    assert before <= history[1][0] <= after and len(history) == 2
    assert port.messages == ["Orders row 2 (order A-1): event close is not allowed from status Cancelled\n"
                             "Orders row 3 (order A-2): event close is not allowed from status New"]
    # The Status the sheet shows is where the next event starts: closing twice is refused.
    port.save()
    again = OpenpyxlPort(book, selection=[2])
    assert run("advance", again) and again.messages == [
        "Orders row 4 (order A-3): event close is not allowed from status Closed"]


def test_advance_takes_the_event_by_label_and_checks_its_guard(tmp_path):
    port = OpenpyxlPort(build(tmp_path / "shop.xlsx", event="关闭"), selection=[2])  # close, by its Chinese label
    assert run("advance", port) and port.messages == []
    assert table(port, "History")[1][1:] == ["A-3", "Delivered", "Closed", "close", "Advance selected orders"]
    port = OpenpyxlPort(build(tmp_path / "again.xlsx", event="Confirm"), selection=[1])  # A-2 has an error
    assert run("advance", port)
    assert port.messages == ["Orders row 3 (order A-2): event confirm needs: not has_errors"]
    assert len(table(port, "History")) == 1


def test_advance_lists_at_most_twenty_refused_rows(tmp_path):
    orders = [{**ORDERS[1], "Order ID": f"B-{n}"} for n in range(25)]
    port = OpenpyxlPort(build(tmp_path / "many.xlsx", orders=orders), selection=range(25))
    assert run("advance", port)
    lines = port.messages[0].split("\n")
    assert len(lines) == 21 and lines[0].startswith("Orders row 2 (order B-0): ")
    assert lines[-1] == "... and 5 more rows refused"


@pytest.mark.parametrize("event, selection, message", [
    (None, [0], "Advance selected orders: choose an event in the Event cell first"),
    ("teleport", [0], "Advance selected orders: unknown event 'teleport' (one of: cancel, auto-refund, refund, ship, "
                      "flag-exception, confirm-fulfilment, deliver, hold, confirm, pay, resume, close)"),
    ("close", [], "Advance selected orders: select the rows of the Orders sheet to advance first"),
])
def test_advance_says_what_is_missing(tmp_path, event, selection, message):
    port = OpenpyxlPort(build(tmp_path / "shop.xlsx", event=event), selection=selection)
    assert run("advance", port) is False
    assert port.messages == [message]


# -- clear the sample ------------------------------------------------------------------------------------
def test_clear_sample_keeps_only_the_header_rows(book):
    port = OpenpyxlPort(book)
    assert run("clear_sample", port)
    port.save()
    for sheet, headers in (("Orders", HEADERS + list(OUTPUT_COLUMNS)),
                           ("Fines", list(FINE_COLUMNS) + ["Appeal Status"]),
                           ("History", list(actions.HISTORY_COLUMNS))):
        assert OpenpyxlPort(book).read_table(sheet) == (headers, []), sheet
    assert OpenpyxlPort(book).read_table("Inventory")[1] == [["SKU-1", 10]]
    reopened = openpyxl.load_workbook(book)
    assert reopened["Orders"].tables["OrdersTable"].ref == "A1:AA2"  # a table keeps one (empty) data row


# -- cells: text stays text --------------------------------------------------------------------------------
def test_text_starting_with_equals_stays_text(book):
    port = OpenpyxlPort(book)
    assert run("recalculate", port)
    port.write_columns("Orders", {"Merchant Notes": ["=1+1"]})
    port.append_rows("History", [["=2+2"]])
    port.replace_rows("Notes", ["=3+3"], [["=4+4", "", 5]])
    port.save()
    book_ = openpyxl.load_workbook(book)
    cells = [book_["Orders"]["K3"], book_["Orders"]["S2"], book_["History"]["A3"], book_["Notes"]["A1"],
             book_["Notes"]["A2"]]
    assert [(c.value, c.data_type) for c in cells] == [
        (FORMULA_NAME, "s"), ("=1+1", "s"), ("=2+2", "s"), ("=3+3", "s"), ("=4+4", "s")]
    assert book_["Notes"]["B2"].value is None and book_["Notes"]["C2"].value == 5
    with zipfile.ZipFile(book) as z:
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in z.namelist() if "worksheets/" in n)
    assert calamine(book, "Orders")[2][C["Name"]] == FORMULA_NAME


def test_xlwings_port_writes_text_with_excels_text_prefix():
    assert [_cell(v) for v in ("=1+1", "1/2", "", None, 3.5, AS_OF)] == ["'=1+1", "'1/2", None, None, 3.5, AS_OF]


@pytest.mark.parametrize("address, rows", [
    ("$A$2", [0]), ("$B$3:$D$5", [1, 2, 3]), ("$A$1:$A$3", [0, 1]), ("$A$2,$C$7:$C$8", [0, 5, 6]),
    ("$4:$5", [2, 3]), ("$B:$B", [0, 1, 2, 3, 4, 5, 6, 7, 8]), ("$A$1", []), ("Orders!$A$9:$A$20", [7, 8]),
])
def test_a_selection_address_gives_its_data_rows(address, rows):
    assert rows_of_address(address, last_row=10) == rows


# -- the port itself -----------------------------------------------------------------------------------------
def test_openpyxl_port_names_and_vba(book, tmp_path):
    port = OpenpyxlPort(book)
    assert (port.named_value("Action"), port.named_value("event"), port.named_value("Nope")) == \
        ("Recalculate", "close", None)
    with pytest.raises(KeyError):
        port.read_table("Carriers")
    xlsm = tmp_path / "macro.xlsm"
    xlsm.write_bytes((Path(xlwings.__file__).parent / "quickstart_standalone.xlsm").read_bytes())
    OpenpyxlPort(xlsm).save()
    with zipfile.ZipFile(xlsm) as z:
        assert "xl/vbaProject.bin" in z.namelist()
    OpenpyxlPort(book).save()
    with zipfile.ZipFile(book) as z:  # an .xlsx stays an .xlsx (Excel refuses a macro content type in one)
        assert b"macroEnabled" not in z.read("[Content_Types].xml")


# -- XlwingsPort against a stand-in for Excel's object model ----------------------------------------------
class FakeRange:
    """The part of xlwings' Range the port uses, over a sheet's dict of cells. Writing text behaves as
    typing it into Excel does: a leading apostrophe is dropped, "=..." becomes a formula ("formula", text)."""

    def __init__(self, sheet: FakeSheet, r1: int, c1: int, r2: int, c2: int, address: str = ""):
        self.sheet, self.row, self.column, self.r2, self.c2, self.address = sheet, r1, c1, r2, c2, address

    def options(self, ndim: int) -> FakeRange:
        return self

    @property
    def last_cell(self) -> FakeRange:
        return FakeRange(self.sheet, self.r2, self.c2, self.r2, self.c2)

    @property
    def value(self) -> list[list[Any]]:
        return [[self.sheet.data.get((r, c)) for c in range(self.column, self.c2 + 1)]
                for r in range(self.row, self.r2 + 1)]

    @value.setter
    def value(self, value: Any) -> None:
        for dr, row in enumerate(value if isinstance(value, list) else [[value]]):
            for dc, v in enumerate(row):
                if isinstance(v, str) and v.startswith("'"):
                    v = v[1:]
                elif isinstance(v, str) and v.startswith("="):
                    v = ("formula", v)
                self.sheet.data.pop((self.row + dr, self.column + dc), None)
                if v is not None:
                    self.sheet.data[(self.row + dr, self.column + dc)] = v

    def end(self, direction: str) -> FakeRange:
        assert direction == "up"
        row = max((r for (r, c) in self.sheet.data if c == self.column and r <= self.row), default=1)
        return FakeRange(self.sheet, row, self.column, row, self.column)

    def clear_contents(self) -> None:
        for key in [k for k in self.sheet.data if self.row <= k[0] <= self.r2 and self.column <= k[1] <= self.c2]:
            del self.sheet.data[key]


class FakeSheet:
    def __init__(self, name: str, data: dict[tuple[int, int], Any], book: Any = None):
        self.name, self.data, self.book = name, data, book
        self.cells = FakeRange(self, 1, 1, 1_048_576, 16_384)

    def activate(self) -> None:
        self.book.sheets.active = self

    @property
    def used_range(self) -> FakeRange:
        return FakeRange(self, 1, 1, max((r for r, _ in self.data), default=1), max((c for _, c in self.data), default=1))

    def range(self, first: tuple[int, int], last: tuple[int, int] | None = None) -> FakeRange:
        return FakeRange(self, *first, *(last or first))


class FakeSheets(list):
    active: Any = None

    def __getitem__(self, key: Any) -> FakeSheet:
        return next(s for s in self if s.name == key) if isinstance(key, str) else list.__getitem__(self, key)

    def add(self, name: str, after: Any = None) -> FakeSheet:
        self.append(FakeSheet(name, {}))
        return self[-1]


class FakeApp:
    def __init__(self) -> None:
        self.status_bar: Any = False
        self.alerts: list[str] = []

    def alert(self, text: str, title: str) -> None:
        self.alerts.append(text)


class FakeBook:
    """Sheets, names, selection and app as xlwings shows them (numbers as floats), from a workbook on disk."""

    def __init__(self, path: Path, selection: str | None = None):
        source = openpyxl.load_workbook(path)
        self.sheets = FakeSheets(
            FakeSheet(ws.title, {(c.row, c.column): float(c.value) if type(c.value) is int else c.value
                                 for row in ws.iter_rows() for c in row if c.value is not None}, self)
            for ws in source.worksheets)
        # Like Excel: a selection per sheet, the book's selection is the active sheet's, and the Run button
        # is pressed on the Dashboard.
        self.selections = {"Orders": FakeRange(self.sheets["Orders"], 1, 1, 1, 1, selection)} if selection else {}
        dashboard = self.sheets["Dashboard"]
        self.sheets.active = dashboard
        self.names = {n: SimpleNamespace(refers_to_range=dashboard.range((r, 2)))
                      for n, r in (("Action", 1), ("Event", 2), ("AsOf", 3))}
        self.app = FakeApp()

    @property
    def selection(self) -> Any:
        return self.selections.get(self.sheets.active.name)


def test_the_xlwings_port_gives_the_cells_the_openpyxl_port_gives(book):
    fake = FakeBook(book, selection="$A$3:$D$5,$A$40")  # the blank row, below the table
    port = XlwingsPort(fake)
    assert (port.named_value("Action"), port.named_value("Nope")) == ("Recalculate", None)
    assert port.selected_rows("Orders") == [1, 2, 3] and port.selected_rows("Fines") == []
    assert run("recalculate", port) and run("advance", port)
    reference = OpenpyxlPort(book, selection=[1, 2, 3])
    assert run("recalculate", reference) and run("advance", reference)
    as_floats = [[float(v) if type(v) is int else v for v in row] for row in reference.read_table("Orders")[1]]
    assert port.read_table("Orders") == (reference.read_table("Orders")[0], as_floats)
    assert port.read_table("Fines") == reference.read_table("Fines")
    assert [r[1:] for r in port.read_table("History")[1]] == [r[1:] for r in reference.read_table("History")[1]]
    assert fake.app.alerts == reference.messages
    assert fake.app.alerts[-1] == "Orders row 3 (order A-2): event close is not allowed from status New"
    assert fake.app.status_bar is False  # given back to Excel
    assert fake.sheets["Orders"].data[(3, C["Name"] + 1)] == FORMULA_NAME  # text, not ("formula", ...)
    assert run("clear_sample", port) and port.read_table("Orders") == (HEADERS + list(OUTPUT_COLUMNS), [])


def test_recalculate_logs_each_status_it_changes_in_history(tmp_path):
    """An order the sheet showed as New that the data now shows Cancelled gets a History row; unchanged ones none."""
    orders = [dict(o, **{"Status": "New"}) if o and o["Order ID"] == "A-1" else o for o in ORDERS]
    path = tmp_path / "shop.xlsx"
    build(path, orders=orders)
    wb = openpyxl.load_workbook(path)
    status_col = list(HEADERS + list(OUTPUT_COLUMNS)).index("Status") + 1
    wb["Orders"].cell(2, status_col, "New")  # what the sheet showed before this recalculation
    wb.save(path)
    port = OpenpyxlPort(path)
    assert run("Recalculate", port) is True
    history = table(port, "History")
    logged = [row for row in history[1:] if row[5] == "Recalculate"]
    assert [row[1:] for row in logged] == [["A-1", "New", "Cancelled", "cancel", "Recalculate"]]
    assert isinstance(logged[0][0], datetime)

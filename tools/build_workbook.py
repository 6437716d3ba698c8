"""Build workbook.xlsm, the merchant's Excel front end, deterministically.

    python tools/build_workbook.py [OUT]      (default: workbook.xlsm at the repository root)

The sheets are drawn with XlsxWriter; the VBA project is the one Excel itself wrote inside the
pinned xlwings package (quickstart_standalone.xlsm: ThisWorkbook, Sheet1, Module1.SampleCall,
Sheet2, xlwings, Dictionary), so nothing in the binary was made on Linux
(shared/notes/excel-stack.md §0 (i), §2 route b). `SampleCall` runs `import workbook;
workbook.main()`: the module named after the workbook, i.e. workbook.py beside it.

The Orders sample (the named edge cases of samples/orders.xlsx and a few ordinary orders) goes
through the same pipeline as `wishxl recalc` at a fixed now, and the workbook's creation date is
fixed, so two builds give the same bytes.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

import xlsxwriter  # noqa: E402
import xlwings  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402
from xlsxwriter.utility import xl_col_to_name  # noqa: E402

from addin.config.loader import load_ruleset  # noqa: E402
from addin.domain.messages import CATALOG  # noqa: E402
from addin.domain.model import RuleSet  # noqa: E402
from addin.domain.present import FINE_COLUMNS, OUTPUT_COLUMNS  # noqa: E402
from addin.service import recalc  # noqa: E402

DEFAULT_OUT = ROOT / "workbook.xlsm"
SAMPLE = ROOT / "samples" / "orders.xlsx"
AS_OF = datetime(2018, 11, 21, 9, 0)      # the sample's "now", naive in the workbook zone (samples/README.md)
CREATED = datetime(2018, 11, 21, 9, 0)    # fixed, so two builds are byte-identical
ORDINARY_PER_STATUS = 5                   # ordinary sample orders kept per status (about 20 in all)
FORMATTED_ROWS = 10_000                   # Orders/Fines rows given drop-downs and colours beyond the sample

# docs-excel-contract.md: the four actions of addin/xl/actions.py, by label.
ACTION_LABELS = ("Validate orders", "Advance selected orders", "Recalculate", "Clear the sample")
APPEAL_STATUSES = ("to appeal", "appealed", "won", "lost")
HISTORY_COLUMNS = ("When", "Order ID", "From", "To", "Why", "Action")
# The keys the standalone xlwings.bas reads (excel-stack.md §1.3), with a hint in column C.
CONF = (
    ("Interpreter_Win", "python", "Windows: full path of python.exe if typing python in a terminal does not start it"),
    ("Interpreter_Mac", "", "macOS: full path of python, e.g. /usr/local/bin/python3 (after xlwings runpython install)"),
    ("PYTHONPATH", "", "Folders to add to Python's path (this workbook's folder is added anyway)"),
    ("UDF Modules", "addin.xl.udfs", "The cell functions (Windows only): keep as is"),
    ("Show Console", False, "True shows a console window while Python runs (Windows)"),
    ("Debug UDFs", False, "Developers only"),
    ("Use UDF Server", False, "Developers only"),
)
CN_NOTE = ("From mainland China, use WishPost: since 2018-10-22 another carrier costs $100 per order, "
           "not appealable (rules/policies.yaml, wishpost).")
CARRIERS = (
    ("WishPost", "From mainland China (CN) to every destination",
     "Wish's own logistics: the carrier to use for orders shipped from mainland China."),
    ("USPS", "From the US", "US warehouse orders."),
    ("China Post", "From mainland China (CN)", CN_NOTE),
    ("Yanwen", "From mainland China (CN)", CN_NOTE),
    ("4PX", "From mainland China (CN)", CN_NOTE),
    ("DHL", "From the US (express)", "US warehouse orders."),
    ("UPS", "From the US", "US warehouse orders."),
    ("FedEx", "From the US", "US warehouse orders."),
)

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_FORMAT = "#,##0.00"
WIDTHS = {"Validation": 42, "Next Action": 60, "Explanation": 80, "Policy": 30, "Rule": 42, "Fine ID": 46,
          "Order ID": 30, "Appeal Status": 14}
WRAPPED = ("Validation", "Next Action")
MAX_LINES = 8
LINE_HEIGHT = 15.0
DASHBOARD_WIDTHS = (50, 14, 19, 50)

# Colours: Excel's own "light red / yellow fill with dark text" pairs, and an orange one.
RED = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
ORANGE = {"bg_color": "#FFD8A8", "font_color": "#7A3E00"}
YELLOW = {"bg_color": "#FFEB9C", "font_color": "#7F6000"}


# -- the sample, recalculated ------------------------------------------------------------------

def sample(rules: RuleSet) -> dict[str, Any]:
    """Orders (field columns + computed columns), Fines and Inventory, as `wishxl recalc` makes them."""
    book = CalamineWorkbook.from_path(str(SAMPLE))
    orders = book.get_sheet_by_name("Orders").to_python()
    inventory = [r[:2] for r in book.get_sheet_by_name("Inventory").to_python()[1:] if r and r[0]]
    field_headers = [f.header for f in rules.fields.values()]
    where = [orders[0].index(h) if h in orders[0] else None for h in field_headers]  # Paid At is not in it
    rows = [[row[c] if c is not None else "" for c in where] for row in orders[1:]]
    edge = [r for r in rows if str(r[0]).startswith("E-")]
    ordinary = [r for r in rows if not str(r[0]).startswith("E-")]
    status_of = {id(r): out[len(field_headers) + 1]
                 for r, out in zip(ordinary, _recalc(rules, field_headers, ordinary, inventory)[0][1:])}
    kept: dict[str, int] = {}
    chosen = []
    for r in ordinary:  # the first few of each status, in sample order
        status = status_of[id(r)]
        if kept.get(status, 0) < ORDINARY_PER_STATUS:
            kept[status] = kept.get(status, 0) + 1
            chosen.append(r)
    out, fines = _recalc(rules, field_headers, chosen + edge, inventory)
    headers = [*field_headers, *OUTPUT_COLUMNS]
    if out[0] != headers:
        raise RuntimeError(f"recalc wrote the headers {out[0]}, expected {headers}")
    if fines and fines[0] != list(FINE_COLUMNS):
        raise RuntimeError(f"recalc wrote the Fines headers {fines[0]}, expected {list(FINE_COLUMNS)}")
    return {"headers": headers, "rows": out[1:], "fines": fines[1:], "inventory": inventory}


def _recalc(rules: RuleSet, headers: list[str], rows: list[list[Any]],
            inventory: list[list[Any]]) -> tuple[list[list[Any]], list[list[Any]]]:
    """Run rows through service.recalc (the `wishxl recalc --out` pipeline) and read the result back."""
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.xlsx", Path(tmp) / "out.xlsx"
        book = xlsxwriter.Workbook(str(source), {"strings_to_formulas": False, "strings_to_numbers": False,
                                                 "strings_to_urls": False})
        when = book.add_format({"num_format": DATETIME_FORMAT})
        for name, table in (("Orders", [headers, *rows]), ("Inventory", [["SKU", "Stock"], *inventory])):
            sheet = book.add_worksheet(name)
            for r, row in enumerate(table):
                for c, value in enumerate(row):
                    _write(sheet, r, c, value, when, None)
        book.close()
        recalc(source, target, rules=rules, as_of=rules.zones.from_workbook(AS_OF))
        result = CalamineWorkbook.from_path(str(target))
        fines = result.get_sheet_by_name("Fines").to_python() if "Fines" in result.sheet_names else []
        return result.get_sheet_by_name("Orders").to_python(), fines


def _write(sheet: Any, r: int, c: int, value: Any, when: Any, fmt: Any) -> None:
    """One typed cell; text always as text (a Name starting with '=' stays a name)."""
    if value is None or value == "":
        if fmt is not None:
            sheet.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(r, c, value, fmt)
    elif isinstance(value, (int, float)):
        sheet.write_number(r, c, value, fmt)
    elif isinstance(value, (datetime, date)):
        sheet.write_datetime(r, c, value, when if fmt is None else fmt)
    else:
        sheet.write_string(r, c, str(value), fmt)


# -- formats ------------------------------------------------------------------------------------

def formats(book: Any) -> dict[str, Any]:
    f = book.add_format
    top = {"valign": "top"}
    header = {"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF", "border": 1, "text_wrap": True,
              "valign": "top"}
    return {
        "title": f({"bold": True, "font_size": 18, "font_color": "#1F4E78"}),
        "subtitle": f({"italic": True, "font_color": "#595959"}),
        "section": f({"bold": True, "font_size": 13, "font_color": "#1F4E78", "bottom": 2,
                      "bottom_color": "#1F4E78"}),
        "header": f(header),
        "header_computed": f({**header, "bg_color": "#7F7F7F"}),
        "plain": f({**top, "indent": 1}),
        "wrap": f({**top, "text_wrap": True, "indent": 1}),
        "datetime": f({**top, "num_format": DATETIME_FORMAT, "align": "center"}),
        "bool": f({**top, "align": "center"}),
        "value": f({"align": "left"}),
        "money": f({**top, "num_format": MONEY_FORMAT}),
        "integer": f({**top, "num_format": "0"}),
        "label": f({"text_wrap": True, "valign": "vcenter", "border": 1, "border_color": "#BFBFBF"}),
        "count": f({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter", "border": 1,
                    "border_color": "#BFBFBF", "num_format": "0"}),
        "count_money": f({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter", "border": 1,
                          "border_color": "#BFBFBF", "num_format": MONEY_FORMAT}),
        "deadline": f({"align": "center", "valign": "vcenter", "border": 1, "border_color": "#BFBFBF",
                       "num_format": DATETIME_FORMAT}),
        "hint": f({"text_wrap": True, "valign": "vcenter", "font_color": "#404040", "border": 1,
                   "border_color": "#BFBFBF"}),
        "input": f({"bold": True, "bg_color": "#FFF2CC", "border": 2, "border_color": "#BF9000",
                    "valign": "vcenter"}),
        "input_label": f({"bold": True, "align": "right", "valign": "vcenter"}),
        "step": f({"text_wrap": True, "valign": "top"}),
        "red": f(RED), "orange": f(ORANGE), "yellow": f(YELLOW),
    }


def _header_row(sheet: Any, headers: Sequence[str], fmt: dict[str, Any], widths: Sequence[float]) -> None:
    for c, (h, w) in enumerate(zip(headers, widths)):
        sheet.write_string(0, c, h, fmt["header"])
        sheet.set_column(c, c, w)
    sheet.freeze_panes(1, 0)


def _width(header: str, values: Sequence[Any]) -> float:
    """Wide enough for the header and the values (dates in full), at most 45 characters."""
    widest = len(header) + 2
    for v in values:
        if isinstance(v, (datetime, date)):
            widest = max(widest, 17)
        elif isinstance(v, float):
            widest = max(widest, len(f"{v:,.2f}") + 2)
        elif v not in (None, ""):
            widest = max(widest, sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(v)) + 2)
    return float(min(widest, 45))


def _lines(text: Any, width: float) -> int:
    """Lines a wrapped text takes in a column `width` characters wide (a little pessimistic: fonts differ)."""
    if not text:
        return 1
    per_line = max(int(width * 1.1), 1)
    return sum(max(1, -(-len(line) // per_line)) for line in str(text).split("\n"))


def _print_setup(sheet: Any, last_row: int, last_col: int, *, landscape: bool, wide: int = 1) -> None:
    sheet.print_area(0, 0, last_row, last_col)
    if landscape:
        sheet.set_landscape()
    sheet.fit_to_pages(wide, 0)
    sheet.repeat_rows(0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)


# -- sheets ------------------------------------------------------------------------------------

class Layout:
    """Where the Orders and Fines columns are, for the Dashboard's formulas and the colours."""

    def __init__(self, headers: Sequence[str]):
        self.orders = {h: xl_col_to_name(c) for c, h in enumerate(headers)}
        self.fines = {h: xl_col_to_name(c) for c, h in enumerate((*FINE_COLUMNS, "Appeal Status"))}

    def col(self, header: str) -> str:
        return f"OrdersTable[{header}]"

    def fine(self, header: str) -> str:
        letter = self.fines[header]
        return f"Fines!${letter}$2:${letter}${FORMATTED_ROWS + 1}"


def write_orders(book: Any, fmt: dict[str, Any], rules: RuleSet, data: dict[str, Any], layout: Layout) -> None:
    sheet = book.add_worksheet("Orders")
    headers, rows = data["headers"], data["rows"]
    types = {f.header: f.type for f in rules.fields.values()}
    dates = {h for h, t in types.items() if t == "datetime"} | {"Ship By", "Appeal Deadline", "Suspended Until"}
    money = {rules.fields[n].header for n in ("price", "shipping", "order_total") if n in rules.fields}
    money.add("Fines (USD)")
    style = {h: fmt["datetime"] if h in dates else fmt["money"] if h in money else fmt["wrap"] if h in WRAPPED
             else fmt["integer"] if types.get(h) == "integer" else fmt["bool"] if types.get(h) == "bool"
             else fmt["plain"] for h in headers}
    widths = [WIDTHS.get(h) or (17.0 if h in dates else _width(h, [r[c] for r in rows]))
              for c, h in enumerate(headers)]
    sheet.add_table(0, 0, max(len(rows), 1), len(headers) - 1, {
        "name": "OrdersTable", "style": "Table Style Medium 2", "autofilter": True,
        "columns": [{"header": h, "header_format": fmt["header_computed" if h in OUTPUT_COLUMNS else "header"]}
                    for h in headers],
    })
    for c, w in enumerate(widths):
        sheet.set_column(c, c, w)
    for r, row in enumerate(rows, start=1):
        lines = max(_lines(row[headers.index(h)], widths[headers.index(h)]) for h in WRAPPED)
        sheet.set_row(r, LINE_HEIGHT * min(lines, MAX_LINES))
        for c, value in enumerate(row):
            _write(sheet, r, c, value, fmt["datetime"], style[headers[c]])
    sheet.set_row(0, 30)
    sheet.freeze_panes(1, 1)
    _orders_checks(sheet, fmt, rules, layout)
    _print_setup(sheet, len(rows), len(headers) - 1, landscape=True, wide=3)
    sheet.repeat_columns(0)
    sheet.set_paper(8)  # A3: three pages across, readable


def _orders_checks(sheet: Any, fmt: dict[str, Any], rules: RuleSet, layout: Layout) -> None:
    """Drop-downs for the columns with fixed values, and the red / orange / yellow cells."""
    o, last = layout.orders, FORMATTED_ROWS + 1
    lists = {
        rules.fields["order_state"].header: (list(rules.workflow.wish_states), "Wish order states"),
        rules.fields["refunded_by"].header: (list(dict.fromkeys((rules.fields["refunded_by"].values or {}).values())),
                                            "Who refunded the order"),
        rules.fields["shipping_provider"].header: ("=CarrierList", "Carrier"),
    }
    for header, (source, title) in lists.items():
        col = o[header]
        sheet.data_validation(f"{col}2:{col}{last}", {
            "validate": "list", "source": source, "error_type": "warning", "error_title": title,
            "error_message": "This value is not in the list. Keep it only if Wish or your carrier uses it.",
        })
    labels = rules.workflow.states
    open_states = [labels[s].label(rules.language) for s in ("new", "confirmed", "paid", "on_hold") if s in labels]
    status, ship_by = f"${o['Status']}2", f"${o['Ship By']}2"
    is_open = "OR(" + ",".join(f'{status}="{s}"' for s in open_states) + ")"
    sheet.conditional_format(f"{o['Ship By']}2:{o['Ship By']}{last}", {
        "type": "formula", "criteria": f'=AND({ship_by}<>"",{ship_by}<NOW(),{is_open})', "format": fmt["red"]})
    deadline = f"${o['Appeal Deadline']}2"
    sheet.conditional_format(f"{o['Appeal Deadline']}2:{o['Appeal Deadline']}{last}", {
        "type": "formula", "format": fmt["orange"],
        "criteria": f'=AND({deadline}<>"",{deadline}>=NOW(),NETWORKDAYS(TODAY(),{deadline})<=2)'})
    ok = CATALOG["ok"](rules.language)
    first, valid = f"${o[rules.fields['order_id'].header]}2", f"${o['Validation']}2"
    sheet.conditional_format(f"{o['Validation']}2:{o['Validation']}{last}", {
        "type": "formula", "criteria": f'=AND({first}<>"",{valid}<>"{ok}")', "format": fmt["yellow"]})


def write_fines(book: Any, fmt: dict[str, Any], data: dict[str, Any], layout: Layout) -> None:
    sheet = book.add_worksheet("Fines")
    headers = [*FINE_COLUMNS, "Appeal Status"]
    rows = [list(r) + [""] for r in data["fines"]]
    dates, money = {"Generated At", "Appeal Deadline", "Suspended Until"}, {"Amount (USD)"}
    widths = [WIDTHS.get(h) or (17.0 if h in dates else _width(h, [r[c] for r in rows])) for c, h in enumerate(headers)]
    _header_row(sheet, headers, fmt, widths)
    sheet.set_row(0, 30)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            h = headers[c]
            style = fmt["datetime"] if h in dates else fmt["money"] if h in money else fmt["plain"]
            _write(sheet, r, c, value, fmt["datetime"], style)
    f, last = layout.fines, FORMATTED_ROWS + 1
    sheet.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
    sheet.data_validation(f"{f['Appeal Status']}2:{f['Appeal Status']}{last}", {
        "validate": "list", "source": list(APPEAL_STATUSES), "error_title": "Appeal status",
        "error_message": "Choose one of: " + ", ".join(APPEAL_STATUSES)})
    d, st = f"${f['Appeal Deadline']}2", f"${f['Appeal Status']}2"
    sheet.conditional_format(f"{f['Appeal Deadline']}2:{f['Appeal Deadline']}{last}", {
        "type": "formula", "format": fmt["orange"],
        "criteria": f'=AND({d}<>"",{d}>=NOW(),NETWORKDAYS(TODAY(),{d})<=2,OR({st}="",{st}="to appeal"))'})
    _print_setup(sheet, len(rows), len(headers) - 1, landscape=True)


def write_simple(book: Any, fmt: dict[str, Any], name: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
                 widths: Sequence[float], styles: Sequence[str]) -> None:
    sheet = book.add_worksheet(name)
    _header_row(sheet, headers, fmt, widths)
    for c, s in enumerate(styles):
        sheet.set_column(c, c, widths[c], fmt[s])
    for r, row in enumerate(rows, start=1):
        lines = max(_lines(v, widths[c]) if styles[c] == "wrap" else 1 for c, v in enumerate(row))
        sheet.set_row(r, LINE_HEIGHT * lines)
        for c, value in enumerate(row):
            _write(sheet, r, c, value, fmt["datetime"], fmt[styles[c]])
    _print_setup(sheet, max(len(rows), 1), len(headers) - 1, landscape=len(headers) > 3)


def write_conf(book: Any, fmt: dict[str, Any]) -> None:
    """The settings the standalone xlwings VBA reads: keys in A, values in B, from A1, no header."""
    sheet = book.add_worksheet("xlwings.conf")
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, 22, fmt["value"])
    sheet.set_column(2, 2, 90, fmt["subtitle"])
    for r, (key, value, hint) in enumerate(CONF):
        sheet.write_string(r, 0, key)
        if isinstance(value, bool):
            sheet.write_boolean(r, 1, value, fmt["value"])
        elif value:
            sheet.write_string(r, 1, value, fmt["value"])
        sheet.write_string(r, 2, hint)
    sheet.write_string(len(CONF) + 1, 0, "xlwings reads column A and B from A1 down to the first empty row: "
                       "keep the keys together, change only the values in column B.", fmt["subtitle"])
    _print_setup(sheet, len(CONF) + 1, 2, landscape=True)


# -- the Dashboard -------------------------------------------------------------------------------

def write_dashboard(book: Any, fmt: dict[str, Any], rules: RuleSet, layout: Layout) -> None:
    sheet = book.add_worksheet("Dashboard")
    sheet.hide_gridlines(2)
    for c, w in enumerate(DASHBOARD_WIDTHS):
        sheet.set_column(c, c, w)
    sheet.write_string(0, 0, "Wish orders: what to do today", fmt["title"])
    sheet.set_row(0, 30)
    sheet.write_string(1, 0, f"Times are in the workbook's time zone ({rules.zones.workbook.key}). "
                       "The counts update by themselves.", fmt["subtitle"])
    row = 3
    for c, h in enumerate(("To do", "How many", "Next deadline", "Where to look")):
        sheet.write_string(row, c, h, fmt["header"])
    for label, count, deadline, hint in _todo(rules, layout):
        row += 1
        sheet.set_row(row, 32)
        sheet.write_string(row, 0, label, fmt["label"])
        sheet.write_formula(row, 1, count, fmt["count_money" if "USD" in label else "count"])
        if deadline:
            sheet.write_formula(row, 2, deadline, fmt["deadline"])
        else:
            sheet.write_blank(row, 2, None, fmt["deadline"])
        sheet.write_string(row, 3, hint, fmt["hint"])
    row = _run_inputs(book, sheet, fmt, rules, row + 2)
    row = _steps(sheet, fmt, row + 2)
    row = _events(sheet, fmt, rules, row + 2)
    sheet.print_area(0, 0, row, 3)
    sheet.fit_to_pages(1, 1)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)


def _section(sheet: Any, fmt: dict[str, Any], row: int, title: str) -> None:
    sheet.write_string(row, 0, title, fmt["section"])
    for c in range(1, 4):
        sheet.write_blank(row, c, None, fmt["section"])


def _run_inputs(book: Any, sheet: Any, fmt: dict[str, Any], rules: RuleSet, row: int) -> int:
    """The cells named Action and Event, each with its drop-down, and the Run button under them."""
    _section(sheet, fmt, row, "Run an action")
    events = [e.rule.id for e in rules.workflow.events]
    for name, options, value, hint in (
        ("Action", list(ACTION_LABELS), ACTION_LABELS[0], "What to do when you press Run."),
        ("Event", events, "confirm" if "confirm" in events else events[0],
         "Only for \"Advance selected orders\": the step to apply to the rows you selected on the Orders "
         "sheet (see the list below)."),
    ):
        row += 1
        sheet.set_row(row, 30)
        sheet.write_string(row, 0, f"{name}:", fmt["input_label"])
        sheet.merge_range(row, 1, row, 2, value, fmt["input"])
        sheet.write_string(row, 3, hint, fmt["hint"])
        if len(",".join(options)) > 255:
            raise ValueError(f"the {name} drop-down list is longer than Excel's 255 characters")
        sheet.data_validation(row, 1, row, 1, {"validate": "list", "source": options, "error_title": name,
                                               "error_message": "Choose a value from the drop-down list."})
        book.define_name(name, f"=Dashboard!${xl_col_to_name(1)}${row + 1}")
    row += 1
    sheet.insert_button(row, 1, {"macro": "SampleCall", "caption": "Run", "width": 150, "height": 34,
                                 "x_offset": 4, "y_offset": 6})
    sheet.set_row(row, 40)
    sheet.write_string(row, 3, "Press Run. Python does the action and reports on the status bar "
                       "(macros must be enabled).", fmt["hint"])
    return row


def _todo(rules: RuleSet, layout: Layout) -> list[tuple[str, str, str, str]]:
    """(label, count formula, next-deadline formula, where to look) of each line of the Dashboard."""
    st = {s: rules.workflow.states[s].label(rules.language) for s in rules.workflow.states}
    status, ship_by, valid = layout.col("Status"), layout.col("Ship By"), layout.col("Validation")
    order_id = layout.col(rules.fields["order_id"].header)

    def count(states: Sequence[str], extra: str = "") -> str:
        return "+".join(f'COUNTIFS({status},"{st[s]}"{extra})' for s in states)

    def earliest(states: Sequence[str]) -> str:
        parts = [f'IF(COUNTIFS({status},"{st[s]}",{ship_by},">="&NOW())=0,9E+99,'
                 f'_xlfn.MINIFS({ship_by},{status},"{st[s]}",{ship_by},">="&NOW()))' for s in states]
        return f"=IF(MIN({','.join(parts)})>=9E+99,\"\",MIN({','.join(parts)}))"

    ahead, passed = f',{ship_by},">="&NOW()', f',{ship_by},"<"&NOW()'
    amount, generated = layout.fine("Amount (USD)"), layout.fine("Generated At")
    deadline, appeal = layout.fine("Appeal Deadline"), layout.fine("Appeal Status")
    still_open = f'{deadline},">="&NOW(),{appeal},"<>appealed",{appeal},"<>won",{appeal},"<>lost"'
    month = "DATE(YEAR(TODAY()),MONTH(TODAY()),1)"
    next_month = "DATE(YEAR(TODAY()),MONTH(TODAY())+1,1)"
    ok = CATALOG["ok"](rules.language)
    return [
        (f"Orders to confirm (Status {st['new']})", "=" + count(["new"]), "",
         f"Orders: Status {st['new']}. Fix what Validation lists, then advance them with the event confirm."),
        (f"Orders to ship before their ship-by time ({st['paid']} or {st['confirmed']})",
         "=" + count(["paid", "confirmed"], ahead), earliest(["paid", "confirmed"]),
         "Orders: Ship By. Ship, then type Shipping Provider, Tracking Number and Shipped At."),
        ("Overdue: ship-by time passed, not shipped", "=" + count(["new", "confirmed", "paid", "on_hold"], passed),
         "", "Orders: red Ship By cells. Wish refunds these orders and fines them."),
        (f"Orders on hold ({st['on_hold']})", "=" + count(["on_hold"]), "",
         "Orders: Status On hold. Contact the customer about what Validation flags."),
        (f"Orders with a data problem (Validation not {ok})",
         f'=COUNTIFS({order_id},"<>",{valid},"<>{ok}")', "", "Orders: yellow Validation cells. Correct the data."),
        ("Fines you can still appeal", f"=COUNTIFS({still_open})",
         f'=IF(COUNTIFS({still_open})=0,"",_xlfn.MINIFS({deadline},{still_open}))',
         "Fines: orange deadlines are due within one business day. Set Appeal Status when you appeal."),
        ("Fines generated this month (USD)",
         f'=SUMIFS({amount},{generated},">="&{month},{generated},"<"&{next_month})', "",
         "Fines: Generated At and Amount (USD)."),
    ]


STEPS = (
    "Put your orders on the Orders sheet, one row per order, each value under its header (keep the header "
    "row). The sample orders show what the program finds; the action \"Clear the sample\" removes them.",
    "Keep the Inventory sheet up to date (SKU and Stock), so that stock is checked.",
    "Choose \"Recalculate\" in the yellow Action cell and press Run: the columns with grey headers on Orders "
    "(Validation, Status, Next Action, Ship By, Fines, Appeal Deadline...) and the Fines sheet are filled in. "
    "\"Validate orders\" only fills Validation and Status.",
    "To move orders on: select their rows on Orders, choose \"Advance selected orders\", pick the Event and press "
    "Run. Status changes are listed on the History sheet.",
    "Read the colours on Orders: red Ship By = ship-by time passed and not shipped; yellow Validation = fix the "
    "data; orange Appeal Deadline = due within one business day. Each Explanation cell names the rule behind "
    "every value.",
    "On Fines, set Appeal Status (to appeal, appealed, won, lost) as your appeals go.",
    "Python must be installed once (see For merchants in README.md); if Run says Python was not found, set "
    "Interpreter_Win or Interpreter_Mac on the xlwings.conf sheet.",
)


def _steps(sheet: Any, fmt: dict[str, Any], row: int) -> int:
    _section(sheet, fmt, row, "How to use this workbook")
    for n, text in enumerate(STEPS, start=1):
        row += 1
        sheet.merge_range(row, 0, row, 3, f"{n}. {text}", fmt["step"])
        sheet.set_row(row, LINE_HEIGHT * _lines(f"{n}. {text}", sum(DASHBOARD_WIDTHS)) + 4)
    return row


def _events(sheet: Any, fmt: dict[str, Any], rules: RuleSet, row: int) -> int:
    """The workflow events of rules/workflow.yaml, for the Event drop-down."""
    _section(sheet, fmt, row, "Events (rules/workflow.yaml)")
    row += 1
    for c, h in enumerate(("What happens", "Event", "Moves orders to", "From")):
        sheet.write_string(row, c, h, fmt["header"])
    states = rules.workflow.states
    for e in rules.workflow.events:
        row += 1
        lang = rules.language
        sources = ", ".join(states[s].label(lang) for s in sorted(e.sources, key=list(states).index)) or "any"
        what = e.rule.description + ("" if e.auto else " (only when you choose it)")
        sheet.set_row(row, LINE_HEIGHT * max(_lines(what, 50), _lines(sources, 50)) + 2)
        sheet.write_string(row, 0, what, fmt["hint"])
        sheet.write_string(row, 1, e.rule.id, fmt["label"])
        sheet.write_string(row, 2, states[e.target].label(lang), fmt["label"])
        sheet.write_string(row, 3, sources, fmt["hint"])
    return row


# -- the workbook --------------------------------------------------------------------------------

def vba_project() -> bytes:
    """The VBA project Excel saved in the pinned xlwings' standalone quickstart workbook."""
    with zipfile.ZipFile(Path(xlwings.__file__).parent / "quickstart_standalone.xlsm") as z:
        return z.read("xl/vbaProject.bin")


def build(out: Path = DEFAULT_OUT) -> Path:
    rules = load_ruleset(ROOT / "rules")
    data = sample(rules)
    layout = Layout(data["headers"])
    out = Path(out)
    tmp = out.with_name(f".{out.name}.build.tmp")
    book = xlsxwriter.Workbook(str(tmp), {"in_memory": True, "strings_to_formulas": False,
                                          "strings_to_numbers": False, "strings_to_urls": False})
    try:
        book.set_properties({"title": "Wish orders", "subject": "Orders, fines and appeal deadlines for Wish",
                             "author": "wishxl", "company": "", "created": CREATED,
                             "comments": "Built by tools/build_workbook.py"})
        book.add_vba_project(io.BytesIO(vba_project()), is_stream=True)
        book.set_vba_name("ThisWorkbook")
        fmt = formats(book)
        write_dashboard(book, fmt, rules, layout)
        write_orders(book, fmt, rules, data, layout)
        write_fines(book, fmt, data, layout)
        write_simple(book, fmt, "Inventory", ("SKU", "Stock"), data["inventory"], (28, 10), ("plain", "integer"))
        write_simple(book, fmt, "Carriers", ("Carrier", "Countries", "Notes"), CARRIERS, (14, 44, 90),
                     ("plain", "wrap", "wrap"))
        book.define_name("CarrierList", f"=Carriers!$A$2:$A${len(CARRIERS) + 1}")
        write_simple(book, fmt, "History", HISTORY_COLUMNS, [], (17, 30, 16, 16, 50, 24),
                     ("datetime", "plain", "plain", "plain", "wrap", "plain"))
        write_conf(book, fmt)
        # Codenames as in the VBA project (ThisWorkbook, Sheet1, Sheet2). Sheet3... have no document module
        # in it; Excel is expected to add empty ones on open (only Excel can confirm it).
        for n, sheet in enumerate(book.worksheets(), start=1):
            sheet.set_vba_name(f"Sheet{n}")
        book.worksheets()[0].activate()
        book.close()
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1 or (args and args[0].startswith("-")):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    out = build(Path(args[0]) if args else DEFAULT_OUT)
    print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

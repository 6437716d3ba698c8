"""The `wishxl` command line, as a merchant uses it.

What the merchant relies on: every command explains itself with --help; `wishxl recalc`
turns an orders sheet into a workbook with the computed columns and a Fines ledger,
with exact money and exact deadlines (Wish's business days, US Pacific time, across the
end of daylight saving time); a row with bad data is reported on its row and the run
goes on; customer text never becomes a live formula; and when a run cannot be done, the
exit code says why (1 invalid rule set, 2 wrong usage, 3 unreadable input or unwritable
output) and the message names the file.

Every test runs in a temporary folder (the current directory), with the bundled rules.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import python_calamine
import typer.main
import xlsxwriter
from typer.testing import CliRunner

from addin.cli import app
from addin.config.loader import DEFAULT_RULES

BUNDLED = Path(DEFAULT_RULES)
README = Path(__file__).resolve().parents[1] / "README.md"
AS_OF = "2018-11-05T09:00:00"  # naive: America/Los_Angeles, the bundled workbook zone

# A wide console, so each message stays on one line (80 columns is tested on its own, below).
wide = CliRunner(env={"COLUMNS": "500"})

HEADER = ("Order ID,Released At,Order State,SKU,Product ID,Quantity,Price,Shipping,Country,Zipcode,Phone Number,"
          "Shipping Provider,Tracking Number,Shipped At,Tracking Confirmed At,Delivered At,Refunded At,Refunded By,"
          "Fake Tracking,Origin Country")
# Released 2018-11-01 09:00, refunded by the merchant 2018-11-02 17:00 before any carrier scan.
REFUNDED = ("5bd5b0a1e2f3a4b5c6d7e8f9,2018-11-01 09:00,APPROVED,RED-SHIRT-M,P-1001,1,10.00,2.00,US,94105,"
            "+1 415 555 0100,,,,,,2018-11-02 17:00,merchant,,US")
# Released the same morning, not shipped yet: no fine, but at risk.
WAITING = ("5bd5b0a1e2f3a4b5c6d7e8fa,2018-11-01 09:00,APPROVED,RED-SHIRT-M,P-1001,2,10.00,2.00,US,94105,"
           "+1 415 555 0100,,,,,,,,,US")

COMPUTED = ["Validation", "Status", "Next Action", "Ship By", "Fines (USD)", "Appeal Deadline", "Suspended Until",
            "Explanation"]
FINE_COLUMNS = ["Fine ID", "Order ID", "Product ID", "Policy", "Amount (USD)", "Generated At", "Appealable",
                "Appeal Deadline", "Suspended Until", "Rule"]


# -- helpers ------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def csv_file(name: str, text: str) -> str:
    """Write an orders CSV (UTF-8) in the current folder; return its name."""
    Path(name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return name


def sheet(path: str | Path, name: str) -> list[dict[str, Any]]:
    """The rows of one sheet of a written workbook, as dicts keyed by the header row."""
    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()
    header = rows[0]
    return [dict(zip(header, row)) for row in rows[1:]]


def headers(path: str | Path, name: str) -> list[Any]:
    return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()[0]


def computed(row: dict[str, Any]) -> dict[str, Any]:
    return {column: row[column] for column in COMPUTED}


def ref(file: str, line_text: str) -> str:
    """`rules/FILE.yaml:LINE` of a bundled rule (as the workbook cites it), found by the line's text."""
    path = BUNDLED / f"{file}.yaml"
    lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line == line_text]
    assert len(lines) == 1, f"{line_text!r} should be one line of {path.name}"
    return f"rules/{file}.yaml:{lines[0]}"  # cited from the rules folder, whatever the current folder


def recalc(*args: str, runner: CliRunner = wide) -> Any:
    return runner.invoke(app, ["recalc", *args])


# -- help ---------------------------------------------------------------------------------------
def command_paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found += command_paths(sub, (*path, name))
    return found


COMMANDS = command_paths(typer.main.get_command(app))


def test_the_app_has_the_commands_the_readme_shows() -> None:
    assert [path for path, _ in COMMANDS] == [(), ("recalc",), ("rules",), ("rules", "check")]


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(("wishxl", *p)) for p, _ in COMMANDS])
def test_every_command_explains_itself(path: tuple[str, ...], command: Any) -> None:
    """`--help` works for every command and group, and shows its description and every option's help."""
    result = wide.invoke(app, [*path, "--help"], prog_name="wishxl")
    assert result.exit_code == 0
    assert " ".join(("Usage: wishxl", *path)) in result.stdout
    assert command.help and command.help.strip()
    first_paragraph = " ".join(command.help.split("\n\n")[0].split())
    assert first_paragraph in " ".join(result.stdout.split())
    for param in command.params:
        assert param.help, f"{param.name} has no help text"
        assert param.help in result.stdout
        for opt in param.opts if param.param_type_name == "option" else ():
            assert opt in result.stdout


@pytest.mark.parametrize(("path", "command"), [c for c in COMMANDS if not hasattr(c[1], "commands")],
                         ids=[" ".join(("wishxl", *p)) for p, c in COMMANDS if not hasattr(c, "commands")])
def test_every_command_and_option_is_in_the_readme(path: tuple[str, ...], command: Any) -> None:
    """Like sqlite-utils' test_docs: what the program accepts, the README documents."""
    readme = README.read_text(encoding="utf-8")
    assert " ".join(("wishxl", *path)) in readme
    for param in command.params:
        if param.param_type_name == "option":
            assert any(opt in readme for opt in param.opts), f"{param.opts} is not in README.md"


# -- recalc: the computed columns and the Fines ledger ------------------------------------------
def test_a_merchant_refund_is_fined_with_its_deadlines() -> None:
    """Released 2018-11-01 09:00, refunded by the merchant 2018-11-02 17:00 (Pacific, naive).

    Fine $2.00 (policy 5.9). Appeal within 3 US business days, same clock time: Fri 11-02 ->
    Wed 11-07 17:00. The product is suspended for 48 elapsed hours: daylight saving time
    ends on Sun 11-04, so the wall clock shows 16:00, not 17:00. The order had to ship
    within 120 h of its release: 11-06 08:00 on the wall clock for the same reason.
    """
    csv_file("orders.csv", f"""
        {HEADER}
        {REFUNDED}
        """)
    result = recalc("orders.csv", "--out", "checked.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output

    # Where each value comes from, as the Explanation and the Fines ledger cite it.
    wish_states = ref("workflow", "  wish_states:")
    cancel = ref("workflow", "    - id: cancel")
    ship_by = ref("workflow", "  ship_by:")
    policy = ref("policies", "  - id: order-cancellation")
    amount = ref("policies", "    amount: {fixed: 2.00}")
    window = ref("policies", '      - generated_from: "2018-10-31T17:00:00-07:00"')
    suspension = ref("policies", "    suspension:")

    assert headers("checked.xlsx", "Orders") == HEADER.split(",") + COMPUTED
    [order] = sheet("checked.xlsx", "Orders")
    typed = {"Released At": datetime(2018, 11, 1, 9, 0), "Refunded At": datetime(2018, 11, 2, 17, 0),
             "Quantity": 1.0, "Price": 10.0, "Shipping": 2.0}  # a CSV's numbers and dates become real ones
    assert [order[h] for h in HEADER.split(",")] == \
        [typed.get(h, v) for h, v in zip(HEADER.split(","), REFUNDED.split(","))], "the merchant's columns come back"
    assert computed(order) == {
        "Validation": "OK",
        "Status": "Cancelled",
        "Next Action": "Appeal fine Order cancellation by 2018-11-07 17:00",
        "Ship By": datetime(2018, 11, 6, 8, 0),
        "Fines (USD)": 2.0,
        "Appeal Deadline": datetime(2018, 11, 7, 17, 0),
        "Suspended Until": datetime(2018, 11, 4, 16, 0),
        "Explanation": " | ".join([
            f"Status Cancelled: start New (Order State APPROVED [{wish_states}]) → cancel [cancel {cancel}]",
            f"Ship By = Released At + 120 h [ship-by {ship_by}]",
            "Fine Order cancellation $2.00: refunded by the merchant at 2018-11-02 17:00 before confirmed fulfilment"
            f" [order-cancellation {policy}]; amount fixed $2.00 [{amount}];"
            f" appeal by 2018-11-07 17:00 (America/Los_Angeles) (3 US business days, same clock time) [{window}];"
            f" product suspended until 2018-11-04 16:00 (America/Los_Angeles) (48 h) [{suspension}]",
        ]),
    }

    assert headers("checked.xlsx", "Fines") == FINE_COLUMNS
    assert sheet("checked.xlsx", "Fines") == [{
        "Fine ID": "5bd5b0a1e2f3a4b5c6d7e8f9-order-cancellation",
        "Order ID": "5bd5b0a1e2f3a4b5c6d7e8f9",
        "Product ID": "P-1001",
        "Policy": "Order cancellation",
        "Amount (USD)": 2.0,
        "Generated At": datetime(2018, 11, 2, 17, 0),
        "Appealable": "yes",
        "Appeal Deadline": datetime(2018, 11, 7, 17, 0),
        "Suspended Until": datetime(2018, 11, 4, 16, 0),
        "Rule": f"order-cancellation {policy}",
    }]


def test_an_order_not_yet_shipped_is_at_risk_not_fined() -> None:
    """No fine yet: the Next Action says what to do, and by when, nearest deadline first."""
    csv_file("orders.csv", f"""
        {HEADER}
        {WAITING}
        """)
    result = recalc("orders.csv", "--out", "checked.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    [order] = sheet("checked.xlsx", "Orders")
    assert {k: order[k] for k in ("Validation", "Status", "Next Action", "Ship By", "Fines (USD)",
                                  "Appeal Deadline", "Suspended Until")} == {
        "Validation": "OK",
        "Status": "Paid",
        "Next Action": "Choose a carrier, pack, ship and enter the tracking number by 2018-11-06 08:00; "
                       "Mark it shipped or Wish refunds it and fines $50.00 (by 2018-11-06 08:00); "
                       "Get the carrier's first scan in time, or pay 20% of the order value (at least $1) "
                       "(by 2018-11-08 08:00)",
        "Ship By": datetime(2018, 11, 6, 8, 0),
        "Fines (USD)": 0.0,
        "Appeal Deadline": "",
        "Suspended Until": "",
    }
    assert sheet("checked.xlsx", "Fines") == []


def test_an_xlsx_orders_sheet_with_real_excel_dates_gives_the_same_fine() -> None:
    """Most merchants paste Wish's export into Excel: datetimes and numbers are real cells there."""
    book = xlsxwriter.Workbook("orders.xlsx")
    ws = book.add_worksheet("Orders")
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write_row(0, 0, ["Order ID", "Released At", "SKU", "Product ID", "Quantity", "Price", "Shipping", "Country",
                        "Refunded At", "Refunded By"])
    ws.write_row(1, 0, ["5bd5b0a1e2f3a4b5c6d7e8f9", None, "RED-SHIRT-M", "P-1001", 1, 10.0, 2.0, "US", None,
                        "merchant"])
    ws.write_datetime(1, 1, datetime(2018, 11, 1, 9, 0), stamp)
    ws.write_datetime(1, 8, datetime(2018, 11, 2, 17, 0), stamp)
    book.close()
    result = recalc("orders.xlsx", "--out", "checked.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    [fine] = sheet("checked.xlsx", "Fines")
    assert (fine["Amount (USD)"], fine["Generated At"], fine["Appeal Deadline"], fine["Suspended Until"]) == (
        2.0, datetime(2018, 11, 2, 17, 0), datetime(2018, 11, 7, 17, 0), datetime(2018, 11, 4, 16, 0))


def test_json_prints_a_summary() -> None:
    csv_file("orders.csv", f"""
        {HEADER}
        {REFUNDED}
        {WAITING.replace(",2,10.00,", ",abc,10.00,")}
        """)
    result = recalc("orders.csv", "--out", "checked.xlsx", "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "input": "orders.csv",
        "output": "checked.xlsx",
        "orders": 2,
        "with_errors": 1,
        "with_warnings": 0,
        "fines": 1,
        "fines_total": 2.0,
        "open_appeals": 1,
        "nearest_appeal": "2018-11-07 17:00:00",
        "problems": ["orders.csv F3 order 5bd5b0a1e2f3a4b5c6d7e8fa: Error: Quantity 'abc' is not a number"],
        "notes": [],
    }


# -- recalc: bad data stays on its row ----------------------------------------------------------
def test_a_bad_cell_is_reported_on_its_row_and_the_run_goes_on() -> None:
    """"abc" in Quantity (cell F2): exit 0, the issue in Validation naming the cell, and on stderr."""
    csv_file("orders.csv", f"""
        {HEADER}
        {WAITING.replace(",2,10.00,", ",abc,10.00,")}
        """)
    result = recalc("orders.csv", "--out", "checked.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0
    [order] = sheet("checked.xlsx", "Orders")
    assert order["Quantity"] == "abc"
    assert order["Validation"] == "Error F2: Quantity 'abc' is not a number"
    assert order["Status"] == "New", "an order with an error is not confirmed"
    assert "orders.csv F2 order 5bd5b0a1e2f3a4b5c6d7e8fa: Error: Quantity 'abc' is not a number\n" in result.stderr


def test_orders_excel_could_not_hold_are_refused_and_nothing_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSV may hold more orders than an Excel sheet (1,048,576 rows), and XlsxWriter leaves the rows
    past the last out without a word: the run refuses instead (shown with the limit lowered to 2)."""
    monkeypatch.setattr("addin.service.EXCEL_ROWS", 2)
    csv_file("orders.csv", f"""
        {HEADER}
        {REFUNDED}
        {WAITING}
        """)
    result = recalc("orders.csv", "--out", "checked.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 3
    assert result.stderr == ("orders.csv: its 2 orders need 3 rows in the Orders sheet, and Excel's sheets hold 2: "
                             "nothing was written; split its orders into two workbooks\n")
    assert not Path("checked.xlsx").exists()


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x","y")', "=1+1", "@SUM(A1:A9)"])
def test_customer_text_that_looks_like_a_formula_stays_text(name: str) -> None:
    """A customer named `=HYPERLINK(...)` must not become a live formula in the merchant's Excel."""
    quoted = '"' + name.replace('"', '""') + '"'
    csv_file("orders.csv", f"""
        {HEADER},Name
        {REFUNDED},{quoted}
        """)
    result = recalc("orders.csv", "--out", "checked.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    [order] = sheet("checked.xlsx", "Orders")
    assert order["Name"] == name

    column = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[headers("checked.xlsx", "Orders").index("Name")]
    with zipfile.ZipFile("checked.xlsx") as z:
        assert '<sheet name="Orders" sheetId="1"' in z.read("xl/workbook.xml").decode()
        root = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    cell = root.find(f".//m:c[@r='{column}2']", ns)
    assert cell is not None
    assert cell.find("m:f", ns) is None, "no <f> (formula) element"
    assert cell.get("t") in ("inlineStr", "s"), "a string cell"
    assert root.find(".//m:f", ns) is None, "no formula anywhere in the Orders sheet"


# -- recalc: the merchant's language ------------------------------------------------------------
def test_lang_zh_speaks_chinese() -> None:
    csv_file("orders.csv", f"""
        {HEADER}
        {REFUNDED}
        {WAITING.replace(",2,10.00,", ",abc,10.00,")}
        """)
    result = recalc("orders.csv", "--out", "checked.xlsx", "--as-of", AS_OF, "--lang", "zh")
    assert result.exit_code == 0, result.output
    refunded, bad = sheet("checked.xlsx", "Orders")
    assert (refunded["Validation"], refunded["Status"], refunded["Next Action"]) == (
        "正常", "已取消", "请在 2018-11-07 17:00 前申诉罚款 订单取消罚款")
    assert (bad["Validation"], bad["Status"]) == ("错误 F3：数量“abc”不是数字", "新订单")
    [fine] = sheet("checked.xlsx", "Fines")
    assert (fine["Policy"], fine["Appealable"], fine["Amount (USD)"]) == ("订单取消罚款", "是", 2.0)


def test_chinese_headers_are_accepted() -> None:
    """订单号, 放单时间, 数量, 退款时间, 退款方 ... are aliases (rules/fields.yaml); 商户 means merchant."""
    csv_file("订单.csv", """
        订单号,放单时间,订单状态,货号,产品ID,数量,单价,运费,国家,邮编,退款时间,退款方
        5bd5b0a1e2f3a4b5c6d7e8f9,2018-11-01 09:00,APPROVED,RED-SHIRT-M,P-1001,1,10.00,2.00,US,94105,2018-11-02 17:00,商户
        """)
    result = recalc("订单.csv", "--out", "checked.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert headers("checked.xlsx", "Orders") == [
        "订单号", "放单时间", "订单状态", "货号", "产品ID", "数量", "单价", "运费", "国家", "邮编", "退款时间", "退款方",
        *COMPUTED]
    [order] = sheet("checked.xlsx", "Orders")
    assert (order["Validation"], order["Status"], order["Fines (USD)"]) == ("OK", "Cancelled", 2.0)
    assert sheet("checked.xlsx", "Fines") == [{
        "Fine ID": "5bd5b0a1e2f3a4b5c6d7e8f9-order-cancellation",
        "Order ID": "5bd5b0a1e2f3a4b5c6d7e8f9",
        "Product ID": "P-1001",
        "Policy": "Order cancellation",
        "Amount (USD)": 2.0,
        "Generated At": datetime(2018, 11, 2, 17, 0),
        "Appealable": "yes",
        "Appeal Deadline": datetime(2018, 11, 7, 17, 0),
        "Suspended Until": datetime(2018, 11, 4, 16, 0),
        "Rule": "order-cancellation " + ref("policies", "  - id: order-cancellation"),
    }]


def test_chinese_headers_and_chinese_words_name_the_bad_cell() -> None:
    csv_file("订单.csv", """
        订单号,放单时间,货号,数量,单价,运费,国家,邮编
        5bd5b0a1e2f3a4b5c6d7e8f9,2018-11-01 09:00,RED-SHIRT-M,三,10.00,2.00,US,94105
        """)
    result = recalc("订单.csv", "--out", "checked.xlsx", "--as-of", AS_OF, "--lang", "zh")
    assert result.exit_code == 0, result.output
    [order] = sheet("checked.xlsx", "Orders")
    assert order["Validation"] == "错误 D2：数量“三”不是数字"


# -- recalc: when it cannot run, the exit code says why -----------------------------------------
def test_a_missing_input_file_exits_3_naming_it() -> None:
    result = recalc("missing.csv", "--out", "checked.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 3
    assert result.stderr == "missing.csv: file not found\n"
    assert not Path("checked.xlsx").exists()


def test_an_xls_file_exits_3_saying_what_to_do() -> None:
    Path("orders.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    result = recalc("orders.xls", "--out", "checked.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 3
    assert result.stderr == "orders.xls: .xls (Excel 97-2003) is not supported; save it as .xlsx or .xlsm\n"


def test_a_workbook_without_an_orders_sheet_exits_3_naming_its_sheets() -> None:
    book = xlsxwriter.Workbook("book.xlsx")
    book.add_worksheet("Sheet1").write(0, 0, "Order ID")
    book.add_worksheet("Data")
    book.close()
    result = recalc("book.xlsx", "--out", "checked.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 3
    assert result.stderr == "book.xlsx: no sheet named Orders (sheets: Sheet1, Data)\n"


def test_an_unwritable_output_exits_3_naming_it() -> None:
    csv_file("orders.csv", f"""
        {HEADER}
        {REFUNDED}
        """)
    Path("afile").write_text("not a folder", encoding="utf-8")
    result = recalc("orders.csv", "--out", "afile/checked.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 3
    assert result.stderr.startswith("afile/checked.xlsx: cannot write (")


def test_an_invalid_rules_folder_exits_1_with_its_problems() -> None:
    csv_file("orders.csv", f"""
        {HEADER}
        {REFUNDED}
        """)
    shutil.copytree(BUNDLED, "myrules")
    policies = Path("myrules/policies.yaml")
    text = policies.read_text(encoding="utf-8")
    text = text.replace("    amount: {fixed: 2.00}\n", "    amount: {fixed: 2.00}\n    amout: 3.00\n")
    policies.write_text(text, encoding="utf-8")
    line = text.splitlines().index("    amout: 3.00") + 1

    result = recalc("orders.csv", "--out", "checked.xlsx", "--rules", "myrules", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert result.stderr == f'myrules/policies.yaml line {line}: unknown field "amout"\n'
    assert not Path("checked.xlsx").exists()


def test_a_rules_folder_that_does_not_exist_exits_1() -> None:
    csv_file("orders.csv", f"""
        {HEADER}
        {REFUNDED}
        """)
    result = recalc("orders.csv", "--out", "checked.xlsx", "--rules", "nowhere", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert result.stderr == "nowhere: rules folder not found\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--out", "checked.xlsx", "--as-of", "tomorrow"],
     "--as-of 'tomorrow' is not an ISO date-time (e.g. 2018-11-05T09:00:00-08:00)\n"),
    (["--out", "checked.xlsx", "--as-of", "2018-13-01"],
     "--as-of '2018-13-01' is not an ISO date-time (e.g. 2018-11-05T09:00:00-08:00)\n"),
    (["--out", "checked.xlsx", "--lang", "fr"], "--lang must be en or zh, not 'fr'\n"),
    ([], "a .csv is not updated in place: give --out OUTPUT.xlsx\n"),
], ids=["bad --as-of", "month 13", "bad --lang", "no --out"])
def test_wrong_usage_exits_2(args: list[str], message: str) -> None:
    csv_file("orders.csv", f"""
        {HEADER}
        {REFUNDED}
        """)
    result = recalc("orders.csv", *args)
    assert result.exit_code == 2
    assert result.stderr == message
    assert not Path("checked.xlsx").exists()


def test_an_unknown_option_exits_2() -> None:
    result = recalc("orders.csv", "--out", "checked.xlsx", "--bogus")
    assert result.exit_code == 2
    assert "--bogus" in result.stderr


# -- once bugs, now fixed: they stay as regression tests ------------------------------------------
def test_an_unreadable_input_is_named_not_the_output() -> None:
    Path("orders.csv").mkdir()
    result = recalc("orders.csv", "--out", "checked.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 3
    assert result.stderr.startswith("orders.csv: ")


def test_a_bad_workbook_zone_is_wrong_usage() -> None:
    csv_file("orders.csv", f"""
        {HEADER}
        {REFUNDED}
        """)
    result = recalc("orders.csv", "--out", "checked.xlsx", "--workbook-zone", "Mars/Olympus")
    assert result.stderr == '--workbook-zone: unknown time zone "Mars/Olympus"\n'
    assert result.exit_code == 2


def test_a_long_message_stays_on_one_line_in_an_80_column_log(tmp_path: Path) -> None:
    missing = tmp_path / ("orders-exported-from-the-wish-merchant-dashboard-" + "x" * 40 + ".csv")
    assert len(f"{missing}: file not found") > 80
    result = recalc(str(missing), "--out", "checked.xlsx", runner=CliRunner(env={"COLUMNS": "80"}))
    assert result.exit_code == 3
    assert result.stderr == f"{missing}: file not found\n"


def test_csv_numbers_and_dates_come_out_as_numbers_and_dates() -> None:
    """A CSV holds only text; the workbook written from it holds numbers and Excel datetimes."""
    csv_file("orders.csv", f"""
        {HEADER}
        {REFUNDED}
        """)
    assert recalc("orders.csv", "--out", "checked.xlsx", "--as-of", AS_OF).exit_code == 0
    header, row = python_calamine.CalamineWorkbook.from_path("checked.xlsx").get_sheet_by_name("Orders").to_python()[:2]
    cells = dict(zip(header, row))
    assert isinstance(cells["Quantity"], float) and isinstance(cells["Released At"], datetime)
    assert isinstance(cells["Order ID"], str) and isinstance(cells["Zipcode"], str)

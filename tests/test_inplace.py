"""Recalculating a merchant's workbook in place: what the program owns changes, nothing else does.

The fixture is a macro workbook holding each kind of part a merchant's file may hold:
the xlwings VBA project, an Excel Table, drop-down validation, conditional formats
(including an Excel 2010 data bar), a comment, an image, a form-control button,
a chart and formulas on a dashboard, defined names and custom properties.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
import zipfile
import zlib
from datetime import datetime
from datetime import time as dt_time
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

import xlwings
from addin.cli import app
from addin.io.inplace import mark_full_calculation

AS_OF = "2018-11-21T09:00:00-08:00"
HEADERS = ["Order ID", "Released At", "Order State", "SKU", "Product ID", "Quantity", "Price", "Shipping", "Country",
           "Zipcode", "Refunded At", "Refunded By", "Notes"]
ROWS = [
    ["A-1", datetime(2018, 11, 1, 9), "APPROVED", "S1", "P1", 1, 10.0, 2.0, "US", "94105", datetime(2018, 11, 2, 17),
     "merchant", "=HYPERLINK(\"http://x\")"],
    ["A-2", datetime(2018, 11, 19, 9), "APPROVED", "S1", "P1", 2, 10.0, 2.0, "US", "94105", None, None, "rush"],
    ["A-3", datetime(2018, 11, 19, 9), "APPROVED", "S2", "P2", "abc", 10.0, 2.0, "XX", "1", None, None, None],
]
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")
runner = CliRunner()


def vba_project(tmp: Path) -> Path:
    """The VBA project Excel wrote into the pinned xlwings' standalone quickstart workbook."""
    source = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    target = tmp / "vbaProject.bin"
    target.write_bytes(zipfile.ZipFile(source).read("xl/vbaProject.bin"))
    return target


def build(path: Path, rows: list[list] = ROWS) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    wb.set_vba_name("ThisWorkbook")
    wb.add_vba_project(str(vba_project(path.parent)))
    wb.set_custom_property("Merchant", "Shenzhen Trading")
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws = wb.add_worksheet("Orders")
    ws.set_vba_name("Sheet1")
    ws.add_table(0, 0, len(rows), len(HEADERS) - 1, {"name": "OrdersTable", "columns": [{"header": h} for h in HEADERS]})
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                ws.write_datetime(r, c, value, when)
            elif isinstance(value, str):
                ws.write_string(r, c, value)
            elif value is not None:
                ws.write(r, c, value)
    ws.data_validation(1, 2, 1000, 2, {"validate": "list", "source": ["APPROVED", "SHIPPED", "REFUNDED"]})
    ws.conditional_format(1, 5, 1000, 5, {"type": "cell", "criteria": "<", "value": 1,
                                          "format": wb.add_format({"bg_color": "#FFC7CE"})})
    ws.conditional_format(1, 6, 1000, 6, {"type": "data_bar", "data_bar_2010": True})
    ws.write_comment(1, 0, "first order of the day")
    ws.insert_image(1, 14, "logo.png", {"image_data": __import__("io").BytesIO(PNG)})
    ws.insert_button(5, 14, {"macro": "SampleCall", "caption": "Recalculate"})
    ws.freeze_panes(1, 0)
    dash = wb.add_worksheet("Dashboard")
    dash.set_vba_name("Sheet2")
    dash.write_formula("A1", "=COUNTA(Orders!A:A)-1", None, len(rows))
    dash.write_formula("A2", "=SUM(Orders!G:G)", None, sum(r[6] for r in rows))
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": f"=Orders!$G$2:$G${len(rows) + 1}"})
    dash.insert_chart("C1", chart)
    wb.define_name("ShipDays", "=5")
    wb.define_name("Dashboard!Total", "=Dashboard!$A$2")
    wb.close()
    return path


def hashes(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}


def values(path: Path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return build(tmp_path / "shop.xlsm")


def recalc(*args: str):
    return runner.invoke(app, ["recalc", *args, "--as-of", AS_OF])


def test_only_the_parts_the_program_owns_change(book: Path):
    before = hashes(book)
    result = recalc(str(book))
    assert result.exit_code == 0, result.output
    after = hashes(book)
    changed = {name for name in before if before[name] != after.get(name)}
    added = set(after) - set(before)
    # First run: the Orders sheet gets its computed columns (and its Table grows to them); a Fines sheet is
    # added (the workbook part, its relationships and the content types list it).
    assert changed == {"xl/worksheets/sheet1.xml", "xl/tables/table1.xml", "xl/workbook.xml",
                       "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}
    assert added == {"xl/worksheets/sheet3.xml"}
    for kept in ("xl/vbaProject.bin", "xl/styles.xml", "xl/sharedStrings.xml", "xl/worksheets/sheet2.xml",
                 "xl/charts/chart1.xml", "xl/drawings/drawing1.xml", "xl/comments1.xml", "xl/media/image1.png",
                 "docProps/custom.xml", "xl/worksheets/_rels/sheet1.xml.rels"):
        assert before[kept] == after[kept], kept
    with zipfile.ZipFile(book) as z:
        assert [i.filename for i in z.infolist()][:len(before)] == list(before)  # same parts, same order


def test_inside_the_orders_sheet_only_the_cells_change(book: Path):
    """Validation, conditional formats (with their Excel 2010 extension), the comment's and button's
    drawings, panes and the table part link stay as they were, byte for byte, in the rewritten part."""
    def pieces(path: Path) -> list[bytes]:
        xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
        found = [re.search(rb"<sheetViews>.*?</sheetViews>", xml, re.S)]
        found += [re.search(rb"</sheetData>(.*)</worksheet>", xml, re.S)]
        return [m.group(0) for m in found if m]

    before = pieces(book)
    assert recalc(str(book)).exit_code == 0
    after = pieces(book)
    assert b"<extLst>" in before[1] and b"dataValidations" in before[1] and b"legacyDrawing" in before[1]
    assert after[0] == before[0]
    assert after[1] == before[1]


def test_a_second_run_changes_nothing_and_is_byte_identical(book: Path, tmp_path: Path):
    assert recalc(str(book)).exit_code == 0
    first = book.read_bytes()
    assert recalc(str(book)).exit_code == 0
    assert book.read_bytes() == first
    headers = values(book, "Orders")[0]
    assert headers.count("Validation") == 1 and headers[-8:] == ["Validation", "Status", "Next Action", "Ship By",
                                                                "Fines (USD)", "Appeal Deadline", "Suspended Until",
                                                                "Explanation"]


def test_the_merchants_cells_stay_and_the_computed_ones_are_right(book: Path):
    typed = [row[:len(HEADERS)] for row in values(book, "Orders")]
    assert recalc(str(book)).exit_code == 0
    after = values(book, "Orders")
    assert [row[:len(HEADERS)] for row in after] == typed
    cells = {row[0]: dict(zip(after[0], row)) for row in after[1:]}
    assert cells["A-1"]["Status"] == "Cancelled" and cells["A-1"]["Fines (USD)"] == 2.0
    assert cells["A-1"]["Appeal Deadline"] == datetime(2018, 11, 7, 17, 0)
    assert cells["A-1"]["Notes"] == '=HYPERLINK("http://x")'  # customer text stays text
    assert cells["A-3"]["Validation"].startswith("Error F4: Quantity 'abc' is not a number")
    fines = values(book, "Fines")
    assert fines[1][:5] == ["A-1-order-cancellation", "A-1", "P1", "Order cancellation", 2.0]
    table = zipfile.ZipFile(book).read("xl/tables/table1.xml").decode()
    assert 'ref="A1:U4"' in table and 'name="Explanation"' in table and 'tableColumns count="21"' in table


def test_openpyxl_and_libreoffice_open_the_result(book: Path, tmp_path: Path):
    assert recalc(str(book)).exit_code == 0
    with warnings.catch_warnings():  # openpyxl warns that it would drop the 2010 data bar it cannot model
        warnings.simplefilter("ignore", UserWarning)
        ws = openpyxl.load_workbook(book, keep_vba=True, data_only=True)["Orders"]
    assert [c.value for c in ws[1]][13:15] == ["Validation", "Status"] and ws["O2"].value == "Cancelled"
    converted = opened_by_libreoffice(book, tmp_path)
    assert values(converted, "Orders")[1][14] == "Cancelled"
    assert values(converted, "Fines")[1][0] == "A-1-order-cancellation"


def opened_by_libreoffice(book: Path, tmp_path: Path) -> Path:
    """The workbook as LibreOffice opens it and saves it again (.xlsx), the independent check that it opens."""
    if shutil.which("soffice") is None and os.environ.get("WISHXL_REQUIRE_LIBREOFFICE") != "1":
        pytest.skip("LibreOffice is not installed")
    profile = tmp_path / "profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(tmp_path / "lo"), str(book)], check=True, capture_output=True, timeout=180)
    return tmp_path / "lo" / (book.stem + ".xlsx")


def test_a_workbook_open_in_excel_is_refused(book: Path):
    (book.parent / ("~$" + book.name)).write_text("owner")
    before = book.read_bytes()
    result = recalc(str(book))
    assert result.exit_code == 3
    assert f"{book}: open in Excel (lock file ~${book.name}); close it and run again" in result.stderr
    assert book.read_bytes() == before


def test_a_workbook_another_recalculation_is_writing_is_refused(book: Path):
    (book.parent / f".{book.name}.wishxl.lock").write_text(str(os.getpid()))
    result = recalc(str(book))
    assert result.exit_code == 3 and "another recalculation is writing it" in result.stderr


def test_a_stale_lock_of_a_dead_process_is_taken_over(book: Path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (book.parent / f".{book.name}.wishxl.lock").write_text(dead.stdout.strip())
    assert recalc(str(book)).exit_code == 0


def test_backup_keeps_the_previous_version(book: Path):
    before = book.read_bytes()
    assert recalc(str(book), "--backup").exit_code == 0
    assert (book.parent / "shop.bak.xlsm").read_bytes() == before


def bad_files(tmp: Path) -> list[tuple[str, Path, str]]:
    good = build(tmp / "good.xlsm")
    cases = []
    p = tmp / "text.xlsx"
    p.write_text("Order ID,Quantity\n")
    cases.append(("not a zip", p, "not a readable .xlsx/.xlsm (broken or truncated zip"))
    p = tmp / "truncated.xlsm"
    p.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    cases.append(("truncated", p, "not a readable .xlsx/.xlsm (broken or truncated zip"))
    p = tmp / "old.xlsx"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    cases.append((".xls", p, "an .xls (Excel 97-2003) or password-protected workbook"))
    p = tmp / "bomb.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, src.read(info))
        z.writestr("xl/media/huge.bin", b"\0" * (40 << 20))
    cases.append(("zip bomb", p, "part xl/media/huge.bin inflates to 41,943,040 bytes"))
    p = tmp / "entities.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>', 1)
            z.writestr(info, data)
    cases.append(("entity bomb", p, "part xl/workbook.xml declares a DTD or entities: refused"))
    p = tmp / "nosheet.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    wb.add_worksheet("Sheet1").write("A1", "x")
    wb.close()
    cases.append(("no Orders sheet", p, "no sheet named Orders (sheets: Sheet1)"))
    p = tmp / "noid.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    wb.add_worksheet("Orders").write_row(0, 0, ["SKU", "Quantity"])
    wb.close()
    cases.append(("no Order ID header", p, "sheet Orders has no Order ID column (headers in row 1: SKU, Quantity)"))
    p = tmp / "twice.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    wb.add_worksheet("Orders").write_row(0, 0, ["Order ID", "Quantity", "quantity"])
    wb.close()
    cases.append(("duplicate header", p, "sheet Orders: header 'quantity' appears twice (columns B and C)"))
    p = tmp / "merged.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("Orders")
    ws.write_row(0, 0, ["Order ID", "Quantity"])
    ws.merge_range("A3:B3", "note")
    wb.close()
    cases.append(("merged cells", p, "sheet Orders has merged cells A3:B3 in the orders table; unmerge them"))
    p = tmp / "mac1904.xlsx"
    wb = xlsxwriter.Workbook(str(p), {"date_1904": True})
    wb.add_worksheet("Orders").write_row(0, 0, ["Order ID", "Quantity"])
    wb.close()
    cases.append(("1904 date system", p, "uses the 1904 date system (Excel for Mac before 2011): its dates would "
                                         "be read and written four years off; turn it off in Excel"))
    return cases


def test_bad_files_get_one_clear_message_and_the_batch_goes_on(tmp_path: Path):
    cases = bad_files(tmp_path)
    good = build(tmp_path / "shop.xlsm")
    result = recalc(*(str(p) for _, p, _ in cases), str(good))
    assert result.exit_code == 3
    for what, path, message in cases:
        assert f"{path}: {message}" in result.stderr, what
    assert values(good, "Orders")[0][-1] == "Explanation"  # the good one was done


def test_a_sheet_the_program_wrote_is_not_taken_for_a_zip_bomb_at_excel_s_last_row(tmp_path: Path):
    """The next run must open what this one wrote: the widest order row of the recalculated front-end
    workbook (issues, fines, risks and their explanations), on every one of Excel's 1,048,576 rows,
    stays under the size at which a part is refused."""
    from addin.io.package import MAX_PART, Package
    book = tmp_path / "workbook.xlsm"
    shutil.copy(Path(__file__).resolve().parents[1] / "workbook.xlsm", book)
    assert recalc(str(book)).exit_code == 0
    with Package(book) as pkg:
        sheet = pkg.read(pkg.sheet("Orders").part)
    widest = max(len(row) for row in re.findall(rb"<row\b.*?</row>", sheet, re.S)[1:])
    assert widest > 1000  # rows with explanations in them
    assert widest * 1_048_576 < MAX_PART


def test_a_part_that_may_pass_2_gib_is_written_as_zip64_and_the_others_as_excel_writes_them(tmp_path: Path):
    """zipfile writes a member's header first: a sheet that may grow past 2 GiB (a million orders and
    their explanations) must be zip64 from the start; the rest stay plain zip. Shown on a small
    workbook told that its Orders sheet may grow that much."""
    from addin.io.inplace import write_package
    from addin.io.package import Package
    book = build(tmp_path / "shop.xlsm")
    out = tmp_path / "out.xlsm"
    with Package(book) as pkg:
        orders = pkg.sheet("Orders").part
        write_package(pkg, out, {orders: pkg.read(orders)}, {}, {orders: 2 << 30})

    def zip64_in_local_header(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
        with open(z.filename, "rb") as f:
            f.seek(info.header_offset + 26)  # (the local header: the lengths of the name and of the extra)
            name_len, extra_len = int.from_bytes(f.read(2), "little"), int.from_bytes(f.read(2), "little")
            f.seek(name_len, 1)
            extra = f.read(extra_len)
        return extra[:2] == b"\x01\x00"  # the zip64 extended information field

    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None
        assert {i.filename for i in z.infolist() if zip64_in_local_header(z, i)} == {orders}
    assert values(out, "Orders") == values(book, "Orders")
    assert values(opened_by_libreoffice(out, tmp_path), "Orders")[1][0] == "A-1"


def test_fines_that_would_not_fit_in_an_excel_sheet_leave_the_workbook_as_it_was(tmp_path: Path, monkeypatch):
    """Excel's sheets hold 1,048,576 rows; a ledger that needs more is refused, not written cut short
    (shown with the limit lowered to 20 rows: the front-end workbook has 22 fines)."""
    monkeypatch.setattr("addin.service.EXCEL_ROWS", 20)
    book = tmp_path / "workbook.xlsm"
    shutil.copy(Path(__file__).resolve().parents[1] / "workbook.xlsm", book)
    before = book.read_bytes()
    result = recalc(str(book))
    assert result.exit_code == 3
    assert (f"{book}: its 22 fines need 23 rows in the Fines sheet, and Excel's sheets hold 20: the workbook is "
            "left as it was; split its orders into two workbooks") in result.stderr
    assert book.read_bytes() == before


def test_an_excel_error_value_is_reported_on_its_row(tmp_path: Path):
    path = tmp_path / "errors.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Orders")
    ws.write_row(0, 0, ["Order ID", "Released At", "SKU", "Quantity", "Price", "Country"])
    ws.write_row(1, 0, ["E-1", "2018-11-19 09:00", "S1"])
    ws.write_formula(1, 3, "=1/0", None, "#DIV/0!")
    ws.write_row(1, 4, [10, "US"])
    wb.close()
    assert recalc(str(path)).exit_code == 0
    row = dict(zip(*values(path, "Orders")[:2]))
    assert row["Validation"].splitlines()[0] == "Error D2: Quantity holds the Excel error #DIV/0!"


def test_a_kill_at_any_moment_leaves_the_workbook_whole(book: Path, tmp_path: Path):
    """SIGKILL a recalculation at random moments: the file is always the old one or the new one."""
    original = book.read_bytes()
    done = tmp_path / "done.xlsm"
    shutil.copy(book, done)
    assert recalc(str(done)).exit_code == 0
    finished = done.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-m", "addin", "recalc", str(book), "--as-of", AS_OF]
    seen = set()
    for delay in [0.2, 0.5, 0.8, 1.0, 1.1, 1.2, 1.3, 1.4, 1.6, 1.8, 2.2, 3.0]:
        book.write_bytes(original)
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = book.read_bytes()
        assert data in (original, finished), f"damaged after a kill at {delay}s"
        seen.add(data == finished)
        zipfile.ZipFile(book).testzip()
    assert seen == {False, True}, "the kills should fall both before and after the new file is in place"
    assert zlib.crc32(original) != zlib.crc32(finished)
    assert recalc(str(book)).exit_code == 0  # the lock and temporary file a kill leaves do not block the next run
    assert not list(book.parent.glob(f".{book.name}.*.tmp"))


@pytest.mark.parametrize("before, after", [
    (b'<workbook><calcPr calcId="191029"/></workbook>', b'<workbook><calcPr calcId="191029" fullCalcOnLoad="1"/></workbook>'),
    (b'<x:workbook><x:sheets/></x:workbook>', b'<x:workbook><x:sheets/><x:calcPr fullCalcOnLoad="1"/></x:workbook>'),
    (b'<workbook><calcPr calcId="1" fullCalcOnLoad="0"/></workbook>',
     b'<workbook><calcPr calcId="1" fullCalcOnLoad="1"/></workbook>'),
    (b'<workbook><calcPr fullCalcOnLoad="1"/></workbook>', b'<workbook><calcPr fullCalcOnLoad="1"/></workbook>'),
])
def test_the_workbook_is_marked_for_a_full_recalculation_when_excel_opens_it(before, after):
    assert mark_full_calculation(before) == after


def test_formulas_calling_the_add_in_keep_their_formula_and_get_a_fresh_value(tmp_path: Path):
    path = tmp_path / "formulas.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws = wb.add_worksheet("Orders")
    ws.write_row(0, 0, HEADERS + ["My Deadline", "Plus 3", "Other"])
    for r, row in enumerate(ROWS[:2], start=1):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                ws.write_datetime(r, c, value, when)
            elif value is not None:
                ws.write_string(r, c, value) if isinstance(value, str) else ws.write(r, c, value)
    ws.write_formula(1, 13, '=WISH_APPEAL_DEADLINE(K2, "order-cancellation")', when, 0)  # stale cached values
    ws.write_formula(1, 14, "=WISH_WORKDAY($B$2,3)", when, 0)
    ws.write_formula(1, 15, "=F2*2", None, 2)
    ws.write_formula(2, 13, "=WISH_APPEAL_DEADLINE(K3)", when, 0)  # K3 is blank: left as it is
    wb.close()
    assert recalc(str(path)).exit_code == 0
    formulas = openpyxl.load_workbook(path)["Orders"]
    cached = openpyxl.load_workbook(path, data_only=True)["Orders"]
    assert formulas["N2"].value == '=WISH_APPEAL_DEADLINE(K2, "order-cancellation")'
    assert cached["N2"].value == datetime(2018, 11, 7, 17, 0)
    assert (formulas["O2"].value, cached["O2"].value) == ("=WISH_WORKDAY($B$2,3)", datetime(2018, 11, 6, 9, 0))
    assert (formulas["P2"].value, cached["P2"].value) == ("=F2*2", 2)  # other formulas: Excel recalculates on open
    assert cached["N3"].value in (0, dt_time(0, 0))  # the stale 0 it had (shown by openpyxl as a time)
    assert b'fullCalcOnLoad="1"' in zipfile.ZipFile(path).read("xl/workbook.xml")


def format_fines(path: Path, cells: dict[str, str], choices: str, column: str) -> bytes:
    """The merchant edits the Fines sheet in "Excel" (openpyxl, which drops what it cannot model):
    cells written, a drop-down on a column, a column width. The Fines part as she saved it."""
    from openpyxl.worksheet.datavalidation import DataValidation
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(path, keep_vba=True)
    ws = wb["Fines"]
    for ref, text in cells.items():
        ws[ref] = text
    dv = DataValidation(type="list", formula1=choices)
    ws.add_data_validation(dv)
    dv.add(f"{column}2:{column}100")
    ws.column_dimensions[column].width = 17
    wb.save(path)
    return zipfile.ZipFile(path).read("xl/worksheets/sheet3.xml")


@pytest.mark.parametrize("block", [4 << 20, 200], ids=["whole", "read a few rows at a time"])
def test_the_merchants_columns_in_the_fines_sheet_stay_with_their_fines(tmp_path: Path, monkeypatch, block):
    """An Appeal Status written beside a fine follows that fine; the sheet's drop-down and widths stay."""
    monkeypatch.setattr("addin.io.sheetread.BLOCK", block)
    path = build(tmp_path / "ledger.xlsm")
    assert recalc(str(path)).exit_code == 0  # adds the Fines sheet
    fines = values(path, "Fines")
    assert fines[1][0] == "A-1-order-cancellation"
    # The merchant adds an Appeal Status column with a drop-down, and a note for a fine that will not be there.
    before = format_fines(path, {"K1": "Appeal Status", "K2": "appealed", "A3": "OLD-1-order-cancellation",
                                 "K3": "won"}, '"to appeal,appealed,won,lost"', "K")
    result = recalc(str(path))
    assert result.exit_code == 0
    assert "Fines: fine OLD-1-order-cancellation no longer applies; the row with your notes is kept as row 3" \
        in result.stderr
    after = values(path, "Fines")
    assert after[0][10] == "Appeal Status"
    assert after[1][0] == "A-1-order-cancellation" and after[1][10] == "appealed"
    assert after[2][0] == "OLD-1-order-cancellation" and after[2][10] == "won"
    new = zipfile.ZipFile(path).read("xl/worksheets/sheet3.xml")
    for piece in (rb"<cols>.*?</cols>", rb"<dataValidations.*?</dataValidations>"):
        assert re.search(piece, before, re.S).group(0) == re.search(piece, new, re.S).group(0)


@pytest.mark.parametrize("block", [4 << 20, 200], ids=["whole", "read a few rows at a time"])
def test_a_fines_sheet_the_merchant_formatted_keeps_its_formatting_and_gets_the_new_fines(tmp_path: Path,
                                                                                         monkeypatch, block):
    """No column of hers: the old rows are passed over unread, what follows them (a drop-down) stays."""
    monkeypatch.setattr("addin.io.sheetread.BLOCK", block)
    path = build(tmp_path / "ledger.xlsm")
    assert recalc(str(path)).exit_code == 0  # adds the Fines sheet
    fresh = values(path, "Fines")
    before = format_fines(path, {"A2": "stale"}, '"TRUE,FALSE"', "G")  # a cell of the program's: made anew
    assert recalc(str(path)).exit_code == 0
    assert values(path, "Fines") == fresh
    new = zipfile.ZipFile(path).read("xl/worksheets/sheet3.xml")
    for piece in (rb"<cols>.*?</cols>", rb"<dataValidations.*?</dataValidations>"):
        assert re.search(piece, before, re.S).group(0) == re.search(piece, new, re.S).group(0)


def test_many_workbooks_in_parallel_each_updated_and_summarised(tmp_path: Path):
    books = [build(tmp_path / f"shop{i}.xlsm") for i in range(3)]
    result = runner.invoke(app, ["recalc", str(tmp_path / "shop*.xlsm"), "--jobs", "2", "--as-of", AS_OF, "--json"])
    assert result.exit_code == 0, result.output
    report = __import__("json").loads(result.stdout)
    assert sorted(Path(f["output"]).name for f in report["files"]) == ["shop0.xlsm", "shop1.xlsm", "shop2.xlsm"]
    assert report["failed"] == [] and all(f["fines"] == 1 for f in report["files"])
    for book in books:
        assert values(book, "Orders")[0][-1] == "Explanation"


def test_the_workbook_keeps_its_permissions(book: Path):
    book.chmod(0o640)
    assert recalc(str(book)).exit_code == 0
    assert book.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "no fork (Windows): the halves in turn"])
def test_two_processes_write_the_same_workbook_as_one(tmp_path: Path, monkeypatch, fork):
    """A large sheet is read and written in two halves, the second by a forked process (and deflated
    there): forced here on the sample, the file has the same parts, valid CRCs, and the same report."""
    import json

    from addin import service
    from addin.io import orders_xlsx

    sample = Path(__file__).resolve().parents[1] / "samples" / "orders.xlsx"
    one, two = tmp_path / "one.xlsx", tmp_path / "two.xlsx"
    shutil.copy(sample, one)
    shutil.copy(sample, two)
    reports = {}
    for book, split in ((one, False), (two, True)):
        if split:
            from addin.io import forked

            started = []
            start = forked.Half._start
            monkeypatch.setattr(forked.Half, "_start", lambda self: (started.append(1), start(self)))
            monkeypatch.setattr(os, "cpu_count", lambda: 2)
            monkeypatch.setattr(service, "SPLIT_MIN_ORDERS", 10)
            monkeypatch.setattr(orders_xlsx, "SPLIT_MIN_BYTES", 1)
            monkeypatch.setattr("addin.io.sheetread.BLOCK", 4096)  # many blocks: the halves cut the sheet
            if not fork:
                monkeypatch.delattr(os, "fork")
        result = recalc(str(book), "--as-of", "2018-11-21T09:00:00-08:00", "--json")
        assert result.exit_code in (0, 1), result.output
        reports[split] = json.loads(result.stdout)["files"][0]
    assert started == ([1, 1] if fork else [])  # the reading and the writing each had a second process
    assert reports[False]["orders"] > 300 and reports[False]["fines"] > 0
    assert {k: v for k, v in reports[True].items() if k not in ("input", "output")} == \
        {k: v.replace("one.xlsx", "two.xlsx") if isinstance(v, str) else
         [x.replace("one.xlsx", "two.xlsx") for x in v] if isinstance(v, list) else v
         for k, v in reports[False].items() if k not in ("input", "output")}
    with zipfile.ZipFile(one) as a, zipfile.ZipFile(two) as b:
        assert b.testzip() is None  # every member's CRC, the combined one included
        assert [i.filename for i in a.infolist()] == [i.filename for i in b.infolist()]
        for name in a.namelist():
            assert a.read(name) == b.read(name), name
    assert CalamineWorkbook.from_path(str(two)).get_sheet_by_name("Orders").to_python()[1][-8]  # readable
    first = two.read_bytes()  # its Fines sheet now exists: rewritten here, not made there
    assert recalc(str(two), "--as-of", "2018-11-21T09:00:00-08:00").exit_code in (0, 1)
    assert two.read_bytes() == first


def test_crc32_of_two_halves_is_combined_exactly():
    from addin.io.deflate import crc32_combine

    for a, b in ((b"", b""), (b"abc", b""), (b"", b"xyz"), (b"hello ", b"world" * 10_000),
                 (os.urandom(1000), os.urandom(20_000_001))):
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


@pytest.mark.parametrize("jobs,split", [(1, False), (1, True), (2, False)])
def test_progress_counts_every_order_once(tmp_path: Path, monkeypatch, jobs, split):
    """What the progress bar's orders counter is fed: each order of each workbook, once (in one
    process, in two halves, or from parallel jobs)."""
    from addin import service
    from addin.io import orders_xlsx

    sample = Path(__file__).resolve().parents[1] / "samples" / "orders.xlsx"
    books = [tmp_path / "a.xlsx", tmp_path / "b.xlsx"]
    for b in books:
        shutil.copy(sample, b)
    if split:
        monkeypatch.setattr(os, "cpu_count", lambda: 2)
        monkeypatch.setattr(service, "SPLIT_MIN_ORDERS", 10)
        monkeypatch.setattr(orders_xlsx, "SPLIT_MIN_BYTES", 1)
    monkeypatch.setattr(service, "BLOCK", 64)  # orders are made (and counted) 64 at a time
    counted: list[int] = []
    as_of = datetime(2018, 11, 21, 17, tzinfo=__import__("datetime").timezone.utc)
    outcomes = service.recalc_many(books, as_of=as_of, jobs=jobs, progress=counted.append)
    assert all(o.report for o in outcomes)
    assert sum(counted) == sum(o.report.orders for o in outcomes) > 600
    if jobs == 1:
        assert len(counted) > 2  # it moves as a workbook is written, not only at its end


def pivot_book(tmp: Path) -> Path:
    """A workbook LibreOffice saves with a pivot table (DataPilot) over the Orders sheet, as merchants
    summarise their orders: built as a flat ODF spreadsheet, converted to .xlsx by LibreOffice itself."""
    def cell(v):
        if isinstance(v, datetime):
            return (f'<table:table-cell office:value-type="date" office:date-value="{v.isoformat()}">'
                    f'<text:p>{v}</text:p></table:table-cell>')
        if isinstance(v, (int, float)):
            return f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
        if v is None:
            return "<table:table-cell/>"
        return f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'

    rows = "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>"
                   for row in [HEADERS, *ROWS])
    last = chr(ord("A") + len(HEADERS) - 1)
    fods = tmp / "pivot.fods"
    fods.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><office:document '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2" '
        'office:mimetype="application/vnd.oasis.opendocument.spreadsheet"><office:body><office:spreadsheet>'
        f'<table:table table:name="Orders">{rows}</table:table>'
        '<table:table table:name="Summary"><table:table-row><table:table-cell/></table:table-row></table:table>'
        '<table:data-pilot-tables><table:data-pilot-table table:name="ByCountry" '
        'table:target-range-address="Summary.A1:Summary.B6">'
        f'<table:source-cell-range table:cell-range-address="Orders.A1:Orders.{last}{len(ROWS) + 1}"/>'
        '<table:data-pilot-field table:source-field-name="Country" table:orientation="row"/>'
        '<table:data-pilot-field table:source-field-name="Price" table:orientation="data" table:function="sum"/>'
        '</table:data-pilot-table></table:data-pilot-tables></office:spreadsheet></office:body></office:document>',
        encoding="utf-8")
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp / 'profile'}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(tmp), str(fods)], check=True, capture_output=True, timeout=180)
    return tmp / "pivot.xlsx"


def test_a_pivot_table_made_by_libreoffice_comes_out_byte_identical(tmp_path: Path):
    if shutil.which("soffice") is None and os.environ.get("WISHXL_REQUIRE_LIBREOFFICE") != "1":
        pytest.skip("LibreOffice is not installed")
    book = pivot_book(tmp_path)
    before = hashes(book)
    pivot_parts = {name for name in before if "pivot" in name.lower()}
    assert {"xl/pivotTables/pivotTable1.xml", "xl/pivotCache/pivotCacheDefinition1.xml",
            "xl/pivotCache/pivotCacheRecords1.xml"} <= pivot_parts
    result = recalc(str(book))
    assert result.exit_code in (0, 1), result.output
    after = hashes(book)
    for name in pivot_parts | {"xl/worksheets/sheet2.xml", "xl/sharedStrings.xml"}:
        assert before[name] == after[name], name
    # (LibreOffice saved no date format: the one style the computed dates need is added to styles.xml.)
    assert {n for n in before if before[n] != after.get(n)} <= {
        "xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
        "xl/styles.xml"}
    assert values(book, "Orders")[1][len(HEADERS) + 1] == "Cancelled"
    # LibreOffice opens the result and still finds its pivot table.
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to",
                    "xlsx", "--outdir", str(tmp_path / "again"), str(book)], check=True, capture_output=True,
                   timeout=180)
    with zipfile.ZipFile(tmp_path / "again" / "pivot.xlsx") as z:
        assert any("pivotTable" in n for n in z.namelist())


def test_text_columns_packed_as_read_give_the_same_workbook_and_report(tmp_path: Path, monkeypatch, rules):
    """Order ids, phone and tracking numbers are packed as they are read (domain/packed.py); forced
    on the sample (a column is packed once its values have not repeated over 50,000 cells), nothing
    written or reported changes: the rules, cells, messages, the Fines ledger and the report's
    problems all read the packed values."""
    import json

    from addin.domain.packed import Packed
    from addin.io.columntypes import Interner
    from addin.io.package import Package
    from addin.io.reader import read_orders

    sample = Path(__file__).resolve().parents[1] / "samples" / "orders.xlsx"
    plain, packed_book = tmp_path / "plain.xlsx", tmp_path / "packed.xlsx"
    reports = {}
    for book, pack in ((plain, False), (packed_book, True)):
        shutil.copy(sample, book)
        with monkeypatch.context() as m:
            if pack:
                m.setattr(Interner, "SAMPLE", 50)
                with Package(book) as pkg:
                    columns = read_orders(book, rules, keep_rows=False, package=pkg).columns
                assert {"order_id", "phone_number", "tracking_number"} <= \
                    {name for name, col in columns.items() if isinstance(col, Packed)}
            else:
                m.setattr(Interner, "MIN_REPEATS", -1)  # never
            result = recalc(str(book), "--as-of", "2018-11-21T09:00:00-08:00", "--json")
        assert result.exit_code in (0, 1), result.output
        report = json.loads(result.stdout)["files"][0]
        reports[pack] = json.loads(json.dumps({k: v for k, v in report.items() if k not in ("input", "output")})
                                   .replace(book.name, "BOOK"))
    assert reports[True] == reports[False] and reports[True]["problems"] and reports[True]["fines"]
    with zipfile.ZipFile(plain) as a, zipfile.ZipFile(packed_book) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name

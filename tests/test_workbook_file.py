"""workbook.xlsm: a reproducible build, wired to the pinned xlwings VBA and to workbook.py.

What can be checked without Excel (shared/notes/excel-stack.md §0 (i)): the build is
deterministic and the committed file is a fresh build; olevba reads the VBA project Excel wrote
inside xlwings 0.37.8 and its SampleCall imports a module that exists; the Dashboard's
drop-downs hold what the actions and the workflow know; the Run button calls SampleCall; the
xlwings.conf sheet is one the VBA reads; LibreOffice opens the file, computes the Dashboard's
formulas and renders the Dashboard and Orders sheets. That the macro runs, the button fires and
the VBA compiles can only be seen in Excel (README.md, "For merchants").
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import struct
import subprocess
import tomllib
import warnings
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import pytest
import xlwings

from addin.config.loader import load_ruleset
from addin.domain.present import FINE_COLUMNS, OUTPUT_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
WORKBOOK = ROOT / "workbook.xlsm"
REBUILD = "rebuild it with `python tools/build_workbook.py` and commit workbook.xlsm"


def builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_workbook", ROOT / "tools" / "build_workbook.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    build = builder().build
    folder = tmp_path_factory.mktemp("builds")
    return build(folder / "first.xlsm"), build(folder / "second.xlsm")


def cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's cells as openpyxl reads them: values, and formulas as their text."""
    book = openpyxl.load_workbook(path, keep_vba=True)
    try:
        return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in book}
    finally:
        book.close()


def vba_bin(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/vbaProject.bin")


def vba_modules(path: Path) -> dict[str, str]:
    """Module file name (xlwings.bas, Module1.bas, ThisWorkbook.cls...) -> its source, read by olevba."""
    with warnings.catch_warnings():  # olevba calls a pyparsing name deprecated in pyparsing 3
        warnings.simplefilter("ignore", DeprecationWarning)
        from oletools.olevba import VBA_Parser
    parser = VBA_Parser(str(path))
    try:
        return {name: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def named_cell(book: Any, name: str) -> tuple[Any, str]:
    sheet, ref = next(iter(book.defined_names[name].destinations))
    return book[sheet], ref.replace("$", "")


def dropdown(sheet: Any, ref: str) -> list[str]:
    """The values of the list validation covering one cell."""
    for dv in sheet.data_validations.dataValidation:
        if dv.type == "list" and ref in dv.sqref:
            return dv.formula1.strip('"').split(",")
    raise AssertionError(f"{sheet.title}!{ref} has no drop-down list")


@pytest.fixture(scope="module")
def book() -> Any:
    assert WORKBOOK.exists(), f"{WORKBOOK} is missing: {REBUILD}"
    wb = openpyxl.load_workbook(WORKBOOK, keep_vba=True)
    yield wb
    wb.close()


# -- (a) reproducible, and the committed file is a fresh build ------------------------------------

def test_building_twice_gives_the_same_file(builds: tuple[Path, Path]) -> None:
    first, second = builds
    assert cells(first) == cells(second)
    assert vba_bin(first) == vba_bin(second)
    assert first.read_bytes() == second.read_bytes(), "the build is not byte-for-byte reproducible"


def test_committed_workbook_is_a_fresh_build(builds: tuple[Path, Path]) -> None:
    assert WORKBOOK.exists(), f"{WORKBOOK} is missing: {REBUILD}"
    fresh = cells(builds[0])
    committed = cells(WORKBOOK)
    assert list(committed) == list(fresh), f"sheets differ: {REBUILD}"
    for sheet in fresh:
        assert committed[sheet] == fresh[sheet], f"sheet {sheet} differs from a fresh build: {REBUILD}"
    assert vba_bin(WORKBOOK) == vba_bin(builds[0]), f"the VBA project differs: {REBUILD}"


def test_vba_project_is_the_one_excel_wrote_in_xlwings() -> None:
    with zipfile.ZipFile(Path(xlwings.__file__).parent / "quickstart_standalone.xlsm") as z:
        assert vba_bin(WORKBOOK) == z.read("xl/vbaProject.bin")


# -- (b) the VBA, the macro, the module it imports, the drop-downs and the button ------------------

def test_vba_is_the_pinned_xlwings_standalone_module() -> None:
    modules = vba_modules(WORKBOOK)
    assert {"xlwings.bas", "Module1.bas", "Dictionary.cls", "ThisWorkbook.cls"} <= set(modules)
    code = modules["xlwings.bas"]
    version = re.search(r"^'Version: (\S+)", code, re.M)
    assert version is not None, "xlwings.bas has no 'Version: line"
    assert version.group(1) == xlwings.__version__ == "0.37.8"
    assert f'Lib "xlwings64-{xlwings.__version__}.dll"' in code
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert f"xlwings=={xlwings.__version__}" in deps, "the merchant's xlwings must be the VBA's exact version"


def test_sample_call_imports_the_module_named_after_the_workbook() -> None:
    code = vba_modules(WORKBOOK)["Module1.bas"]
    assert re.search(r"^Sub SampleCall\(\)", code, re.M)
    assert 'mymodule = Left(ThisWorkbook.Name, (InStrRev(ThisWorkbook.Name, ".", -1, vbTextCompare) - 1))' in code
    assert 'RunPython "import " & mymodule & ";" & mymodule & ".main()"' in code
    module_file = WORKBOOK.with_suffix(".py")  # mymodule = "workbook", found in the workbook's folder
    assert module_file.exists(), f"SampleCall imports {WORKBOOK.stem}, but {module_file.name} is missing"
    spec = importlib.util.spec_from_file_location(WORKBOOK.stem, module_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(getattr(module, "main", None))


def test_codenames_match_the_vba_document_modules() -> None:
    documents = {name[:-4] for name in vba_modules(WORKBOOK) if name.endswith(".cls") and name != "Dictionary.cls"}
    with zipfile.ZipFile(WORKBOOK) as z:
        workbook_xml = z.read("xl/workbook.xml").decode()
        sheet_xml = [z.read(n).decode() for n in sorted(z.namelist()) if re.match(r"xl/worksheets/sheet\d+\.xml$", n)]
    codenames = set(re.findall(r'<workbookPr[^>]*codeName="([^"]+)"', workbook_xml))
    codenames |= {m for x in sheet_xml for m in re.findall(r'<sheetPr[^>]*codeName="([^"]+)"', x)}
    assert documents == {"ThisWorkbook", "Sheet1", "Sheet2"}
    assert documents <= codenames


def test_action_dropdown_holds_actions_the_adapter_knows(book: Any) -> None:
    sheet, ref = named_cell(book, "Action")
    assert sheet.title == "Dashboard"
    labels = dropdown(sheet, ref)
    assert labels == list(builder().ACTION_LABELS)
    assert sheet[ref].value in labels
    try:
        from addin.xl.actions import ACTIONS
    except ModuleNotFoundError as e:
        if e.name != "addin.xl.actions":
            raise
        pytest.skip("addin/xl/actions.py is not written yet (docs-excel-contract.md), so the Action "
                    "labels cannot be checked against ACTIONS")
    known = set(ACTIONS) | {getattr(action, "label", None) for action in ACTIONS.values()}
    assert [label for label in labels if label not in known] == []


def test_event_dropdown_holds_the_workflow_event_ids(book: Any) -> None:
    sheet, ref = named_cell(book, "Event")
    assert sheet.title == "Dashboard"
    ids = [event.rule.id for event in load_ruleset(ROOT / "rules").workflow.events]
    assert dropdown(sheet, ref) == ids
    assert sheet[ref].value in ids


def test_run_button_on_the_dashboard_calls_sample_call() -> None:
    with zipfile.ZipFile(WORKBOOK) as z:
        names = z.namelist()
        rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()  # sheet1 = Dashboard, the first sheet
        vml = re.search(r'Target="\.\./drawings/(vmlDrawing\d+\.vml)"', rels)
        assert vml is not None, "the Dashboard has no VML drawing (form controls)"
        drawing = z.read(f"xl/drawings/{vml.group(1)}").decode()
        assert 'name="Dashboard"' in re.findall(r"<sheet [^>]*>", z.read("xl/workbook.xml").decode())[0]
    assert "xl/vbaProject.bin" in names
    assert re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", drawing) == ["SampleCall"]
    assert 'ObjectType="Button"' in drawing and ">Run<" in drawing


# -- (c) settings and the sheets of the contract -------------------------------------------------

def test_xlwings_conf_sheet_is_one_the_vba_reads(book: Any) -> None:
    sheet = book["xlwings.conf"]
    conf = {}
    for key, value in sheet.iter_rows(min_col=1, max_col=2, values_only=True):  # A1 down to the first blank
        if key is None:
            break
        conf[key] = value
    assert conf["UDF Modules"] == "addin.xl.udfs"
    assert conf["Interpreter_Win"] == "python"
    assert {"Interpreter_Mac", "PYTHONPATH", "Show Console"} <= set(conf)
    read = set(re.findall(r'GetConfig\("([^"]+)"', vba_modules(WORKBOOK)["xlwings.bas"]))
    assert [k for k in conf if k.upper() not in read] == [], "keys the VBA never reads"
    assert str(conf.get("ADD_WORKBOOK_TO_PYTHONPATH", True)).lower() == "true", "workbook.py must be importable"


def test_sheets_follow_the_contract(book: Any) -> None:
    rules = load_ruleset(ROOT / "rules")
    assert book.sheetnames == ["Dashboard", "Orders", "Fines", "Inventory", "Carriers", "History", "xlwings.conf"]
    table = book["Orders"].tables["OrdersTable"]
    headers = [h.value for h in book["Orders"][1]]
    assert headers == [f.header for f in rules.fields.values()] + list(OUTPUT_COLUMNS)
    assert table.ref.startswith("A1:") and len(table.tableColumns) == len(headers)
    assert [h.value for h in book["Fines"][1]] == [*FINE_COLUMNS, "Appeal Status"]
    assert dropdown(book["Fines"], f"{openpyxl.utils.get_column_letter(len(FINE_COLUMNS) + 1)}2") == \
        ["to appeal", "appealed", "won", "lost"]
    assert [h.value for h in book["Inventory"][1]] == ["SKU", "Stock"]
    assert [h.value for h in book["History"][1]] == ["When", "Order ID", "From", "To", "Why", "Action"]
    assert [h.value for h in book["Carriers"][1]] == ["Carrier", "Countries", "Notes"]


# -- (d) LibreOffice opens it, computes the Dashboard and renders Dashboard and Orders ----------------

def tool_or_skip(name: str, package: str) -> str:
    exe = shutil.which(name)
    if exe:
        return exe
    reason = f"`{name}` is not installed, so workbook.xlsm cannot be rendered"
    if os.environ.get("WISHXL_REQUIRE_LIBREOFFICE") == "1":
        pytest.fail(f"{reason}; WISHXL_REQUIRE_LIBREOFFICE=1 requires it (apt-get install {package})")
    pytest.skip(reason)


def libreoffice(soffice: str, work: Path, fmt: str, source: Path) -> Path:
    """Convert `source` headless in a throwaway profile that recalculates every formula on load
    (LibreOffice's default keeps XlsxWriter's cached zeros: excel-stack.md §4)."""
    profile = work / "lo-profile"
    if not profile.exists():
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry"'
            ' xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            '<item oor:path="/org.openoffice.Office.Calc/Formula/Load">'
            '<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>\n</oor:items>\n',
            encoding="utf-8")
    done = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                           "--convert-to", fmt, "--outdir", str(work), str(source)],
                          capture_output=True, text=True, timeout=240)
    result = work / f"{source.stem}.{fmt}"
    assert done.returncode == 0 and result.exists(), f"LibreOffice failed:\n{done.stdout}\n{done.stderr}"
    return result


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_libreoffice_renders_dashboard_and_orders(tmp_path: Path) -> None:
    soffice = tool_or_skip("soffice", "libreoffice-calc-nogui")
    pdftoppm, pdftotext = tool_or_skip("pdftoppm", "poppler-utils"), tool_or_skip("pdftotext", "poppler-utils")
    pdf = libreoffice(soffice, tmp_path, "pdf", WORKBOOK)
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    # Sheets print in order, each from its first page: Dashboard (one page), then Orders, then Fines.
    assert "Wish orders: what to do today" in pages[0]
    fines = next(i for i, page in enumerate(pages) if "Fine ID" in page)
    orders = list(range(1, fines))
    assert orders and all("Order ID" in pages[i] for i in orders)
    for bad in ("#NAME?", "#VALUE!", "#REF!", "Err:", "###"):
        assert bad not in "".join(pages[: fines + 1]), f"{bad} on the rendered Dashboard or Orders"
    # LibreOffice computed the counts (XlsxWriter stores 0): one per "New" order of the sample.
    new = sum(1 for row in cells(WORKBOOK)["Orders"][1:] if row[len(row) - len(OUTPUT_COLUMNS) + 1] == "New")
    assert new > 0 and re.search(rf"Orders to confirm \(Status New\)\s+{new}\b", pages[0])

    shown = os.environ.get("WISHXL_RENDER_DIR")  # set it to keep the PNGs and look at them
    out = Path(shown) if shown else tmp_path / "png"
    out.mkdir(parents=True, exist_ok=True)
    for name, first, last in (("Dashboard", 1, 1), ("Orders", orders[0] + 1, orders[-1] + 1)):
        subprocess.run([pdftoppm, "-png", "-r", "100", "-f", str(first), "-l", str(last), str(pdf),
                        str(out / name)], check=True)
        pngs = sorted(out.glob(f"{name}-*.png"))
        assert len(pngs) == last - first + 1
        for png in pngs:
            width, height = png_size(png)
            assert width > 700 and height > 700, f"{png.name} is {width}x{height}"
            assert png.stat().st_size > 30_000, f"{png.name} looks blank ({png.stat().st_size} bytes)"


def test_libreoffice_reads_the_macros_and_the_button(tmp_path: Path) -> None:
    soffice = tool_or_skip("soffice", "libreoffice-calc-nogui")
    ods = libreoffice(soffice, tmp_path, "ods", WORKBOOK)
    with zipfile.ZipFile(ods) as z:
        modules = {Path(n).stem for n in z.namelist() if n.startswith("Basic/VBAProject/") and n.endswith(".xml")}
        content = z.read("content.xml").decode()
    assert {"Module1", "xlwings", "Dictionary", "ThisWorkbook"} <= modules
    assert re.search(r'<form:button [^>]*form:label="Run"', content)

"""The workbook's cell functions (addin/xl/udfs.py): called as Excel calls them, and wrapped as Excel imports them.

(a) Each UDF is called as a plain function with what Excel passes: floats for numbers,
    datetimes for date cells, None for empty cells, serial numbers for computed dates, a 2-D
    list (header row first) for a range.
(b) xlwings' own VBA-wrapper generator (what "Import Python UDFs" writes into the workbook) is
    run over the module with the real Windows decorators, by putting stub pywin32 modules in
    sys.modules (shared/notes/excel-stack.md §1.6), and its VBA is checked.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import re
import sys
import types
from datetime import datetime
from types import SimpleNamespace

import pytest

import xlwings as xw
from addin.xl import udfs
from addin.xl.udfs import (WISH_APPEAL_DEADLINE, WISH_FINES, WISH_NEXT_STATUS, WISH_SHIP_BY, WISH_STATUS,
                           WISH_VALIDATION, WISH_WORKDAY)

MODULE = "addin.xl.udfs"
SIGNATURES = {  # what Excel's function wizard shows: the generated VBA signatures
    "WISH_WORKDAY": "start, days",
    "WISH_APPEAL_DEADLINE": "generated_at, Optional policy",
    "WISH_SHIP_BY": "released_at",
    "WISH_NEXT_STATUS": "status, event_name",
    "WISH_VALIDATION": "orders, Optional as_of",
    "WISH_STATUS": "orders, Optional as_of",
    "WISH_FINES": "orders, Optional as_of",
}
HEADERS = ["Order ID", "Released At", "Quantity", "Price", "SKU", "Country", "Zipcode", "Refunded At", "Refunded By"]
ORDERS = [
    HEADERS,
    ["A1", datetime(2018, 11, 1, 9), 1.0, 10.0, "S", "US", 94105.0, datetime(2018, 11, 2, 17), "merchant"],
    [None] * 9,                                                              # a blank row: no order
    ["A2", 43423.375, "x", 10.0, "S", "US", "94105", None, None],           # released 2018-11-19 09:00 (serial)
    ["A3", datetime(2018, 11, 19, 9), "#N/A", 10.0, "S", "US", 94105.0, None, None],  # an error cell
]
AS_OF = datetime(2018, 11, 21, 9)
AS_OF_SERIAL = 43425.375  # the same time as Excel's NOW() would pass it


# --- (a) the functions as Excel calls them -------------------------------------------------------------

@pytest.mark.parametrize("start, days, expected", [
    (datetime(2018, 11, 8, 18, 0), 3.0, datetime(2018, 11, 14, 18, 0)),  # over Veterans Day (observed)
    (43412.75, 3.0, datetime(2018, 11, 14, 18, 0)),                      # a computed date: an Excel serial
    ("2018-11-08 18:00", "3", datetime(2018, 11, 14, 18, 0)),            # dates and numbers typed as text
    (datetime(2018, 11, 26, 9, 30), -2.0, datetime(2018, 11, 21, 9, 30)),  # back over Thanksgiving
    (datetime(2018, 11, 8, 18, 0), 3.9, datetime(2018, 11, 14, 18, 0)),  # WORKDAY truncates the days
    (datetime(2018, 11, 17, 10, 0), None, datetime(2018, 11, 17, 10, 0)),  # empty days cell: 0
    (None, 3.0, ""),                                                     # empty start cell: blank
])
def test_wish_workday(start, days, expected):
    assert WISH_WORKDAY(start, days) == expected


@pytest.mark.parametrize("start, days, message", [
    ("soon", 3.0, "start 'soon' is not a date and time"),
    (-5.0, 3.0, "start -5.0 is not a date and time"),
    (datetime(2018, 11, 8), "three", "days 'three' is not a number"),
    (datetime(2018, 11, 8), True, "days True is not a number"),
])
def test_wish_workday_gives_the_message_for_a_bad_argument(start, days, message):
    assert WISH_WORKDAY(start, days) == message


def test_wish_appeal_deadline():
    assert WISH_APPEAL_DEADLINE(datetime(2018, 10, 25, 10), None) == datetime(2018, 11, 7, 17, 0)
    assert WISH_APPEAL_DEADLINE(datetime(2018, 10, 25, 10)) == datetime(2018, 11, 7, 17, 0)  # argument left out
    assert WISH_APPEAL_DEADLINE(43406.708333333336, "Order cancellation") == datetime(2018, 11, 7, 17, 0)
    assert WISH_APPEAL_DEADLINE(datetime(2018, 11, 15, 10), "late-confirmed-fulfilment") == datetime(2019, 2, 13, 10)
    assert WISH_APPEAL_DEADLINE(datetime(2018, 11, 15, 10), "auto-refund") == ""  # not appealable: blank
    assert WISH_APPEAL_DEADLINE(None, "auto-refund") == ""
    assert WISH_APPEAL_DEADLINE(datetime(2018, 11, 15), "nope").startswith(
        "unknown policy 'nope' (one of: order-cancellation, auto-refund")


def test_wish_ship_by():
    assert WISH_SHIP_BY(datetime(2018, 11, 1, 9, 0)) == datetime(2018, 11, 6, 8, 0)  # 120 h across the DST end
    assert WISH_SHIP_BY(43405.375) == datetime(2018, 11, 6, 8, 0)
    assert WISH_SHIP_BY(None) == ""
    assert WISH_SHIP_BY("yesterday") == "released_at 'yesterday' is not a date and time"


def test_wish_next_status():
    assert WISH_NEXT_STATUS("New", "confirm") == "Confirmed"
    assert WISH_NEXT_STATUS(" 已确认 ", "确认付款") == "Paid"
    assert WISH_NEXT_STATUS("New", "close") == "event close is not allowed from status New"
    assert WISH_NEXT_STATUS("Lost", "close") == "unknown status 'Lost'"
    assert WISH_NEXT_STATUS(None, "confirm") == ""
    assert WISH_NEXT_STATUS("New", None) == ""


@pytest.mark.parametrize("as_of", [AS_OF, AS_OF_SERIAL])
def test_the_table_functions_give_one_value_per_data_row_as_a_column(as_of):
    assert WISH_VALIDATION(ORDERS, as_of) == [
        ["OK"], [""], ["Error: Quantity 'x' is not a number"], ["Error: Quantity holds the Excel error #N/A"]]
    assert WISH_STATUS(ORDERS, as_of) == [["Cancelled"], [""], ["New"], ["New"]]
    assert WISH_FINES(ORDERS, as_of) == [[2.0], [""], [0], [0]]


def test_the_table_functions_take_now_when_as_of_is_left_out():
    assert WISH_STATUS(ORDERS) == WISH_STATUS(ORDERS, None) == [["Cancelled"], [""], ["Cancelled"], ["Cancelled"]]


def test_the_table_functions_refuse_with_a_message():
    assert WISH_STATUS(ORDERS[1:], AS_OF) == \
        "the first row is not the Orders header row: pass the table with it, e.g. OrdersTable[#All]"
    assert WISH_STATUS([["SKU", "sku"], ["S", "S"]], AS_OF) == \
        "table: sheet Orders: header 'sku' appears twice (columns A and B)"
    assert WISH_STATUS(ORDERS, "someday") == "as_of 'someday' is not a date and time"


def test_a_table_without_data_rows_still_gives_one_cell():
    assert WISH_FINES([HEADERS], AS_OF) == [[""]]
    assert WISH_FINES([HEADERS, [None] * 9], AS_OF) == [[""]]


def test_docstrings_fit_the_function_wizard_and_parameters_carry_no_type_hints():
    for name in SIGNATURES:
        func = getattr(udfs, name)
        assert func.__doc__ and "\n" not in func.__doc__ and len(func.__doc__) <= 255, name
        assert all(p.annotation is inspect.Parameter.empty for p in inspect.signature(func).parameters.values())


# --- (b) the VBA that "Import Python UDFs" would write -------------------------------------------------

@contextlib.contextmanager
def windows_xlwings():
    """xlwings as on Windows: stub pywin32 modules, the real UDF decorators; everything put back on exit."""
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.CoInitialize = lambda *a, **k: None
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.com_error = type("com_error", (Exception,), {})
    win32com = types.ModuleType("win32com")
    client = types.ModuleType("win32com.client")
    client.Dispatch = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("no COM here"))
    win32com.client = client
    before = set(sys.modules)
    with pytest.MonkeyPatch.context() as mp:
        for name, module in {"pythoncom": pythoncom, "pywintypes": pywintypes, "win32com": win32com,
                             "win32com.client": client}.items():
            mp.setitem(sys.modules, name, module)
        mp.delitem(sys.modules, "xlwings.udfs", raising=False)
        real = importlib.import_module("xlwings.udfs")
        for name, decorator in dict(func=real.xlfunc, arg=real.xlarg, ret=real.xlret, sub=real.xlsub,
                                    script=real.xlsub).items():
            mp.setattr(xw, name, decorator)
        mp.delitem(sys.modules, MODULE)          # put back (the no-op decorated module) on exit
        mp.setattr(sys.modules["addin.xl"], "udfs", udfs)
        try:
            yield real
        finally:
            for name in set(sys.modules) - before:  # xlwings.udfs, modules imported from tmp_path ...
                sys.modules.pop(name, None)
            if getattr(xw, "udfs", None) is real:
                del xw.udfs
    assert sys.modules[MODULE] is udfs


@pytest.fixture
def xlwings_win():
    with windows_xlwings() as real:
        yield real


def generate(real, name: str, workbook: str = "workbook.xlsm") -> str:
    """Import `name` afresh under the real decorators and return the VBA module xlwings writes for it."""
    sys.modules.pop(name, None)
    module = importlib.import_module(name)
    buffer = io.StringIO()
    real.generate_vba_wrapper(name, module, buffer, SimpleNamespace(Name=workbook))  # only .Name is read
    return buffer.getvalue()


# MS-VBAL 3.3.5.2 reserved identifiers (case-insensitive): none may name a function or an argument.
VBA_RESERVED = {w.casefold() for w in """
    Call Case Close Const Declare DefBool DefByte DefCur DefDate DefDbl DefInt DefLng DefLngLng DefLngPtr DefObj
    DefSng DefStr DefVar Dim Do Else ElseIf End EndIf Enum Erase Event Exit For Friend Function Get Global GoSub
    GoTo If Implements Input Let Lock Loop LSet Next On Open Option Print Private Public Put RaiseEvent ReDim
    Resume Return RSet Seek Select Set Static Stop Sub Type Unlock Wend While With Write
    Any As ByRef ByVal Each In New Shared Until WithEvents Optional ParamArray Preserve Spc Tab Then To
    AddressOf And Eqv Imp Is Like Mod Not Or TypeOf Xor
    Abs CBool CByte CCur CDate CDbl CDec CInt CLng CLngLng CLngPtr CSng CStr CVar CVErr Date Debug DoEvents Fix
    Int Len LenB Me PSet Scale Sgn String Array Circle InputB LBound UBound
    Boolean Byte Currency Double Integer Long LongLong LongPtr Single Variant
    True False Nothing Empty Null Rem Attribute Version CDecl Decimal DefDec
""".split()}


def test_the_generated_vba_has_one_wrapper_per_udf_with_the_exact_arguments(xlwings_win):
    vba = generate(xlwings_win, MODULE)
    found = dict(re.findall(r"^Function (\w+)\((.*)\)$", vba, re.M))
    assert found == SIGNATURES
    assert "Sub " not in vba and "Application.Volatile" not in vba and "ParamArray" not in vba
    for name, signature in SIGNATURES.items():
        args = ", ".join(a.removeprefix("Optional ") for a in signature.split(", "))
        assert vba.count(f"Function {name}(") == 1
        assert f'{name} = XLPy.CallUDF("{MODULE}", "{name}", Array({args}), ThisWorkbook, Application.Caller)' \
            in vba
        assert f'{name} = XLPy.CallUDF("{MODULE}", "{name}", Array({args}))' in vba  # the #Else branch
        assert f"{name} = Err.Description" in vba  # a Python exception would show as its text


def test_every_generated_name_is_a_vba_identifier_and_no_cell_address(xlwings_win):
    vba = generate(xlwings_win, MODULE)
    names = re.findall(r"^Function (\w+)\(", vba, re.M)
    arguments = [a.split()[-1] for s in re.findall(r"^Function \w+\((.*)\)$", vba, re.M) for a in s.split(", ")]
    for name in names + arguments:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,254}", name), name
        assert name.casefold() not in VBA_RESERVED, f"{name} is a VBA keyword: the module would not compile"
    for name in names:
        assert not re.fullmatch(r"[A-Z]{1,3}[0-9]+", name, re.I), f"{name} looks like an A1 cell address"
        assert not re.fullmatch(r"R[0-9]*C[0-9]*|R|C", name, re.I), f"{name} looks like an R1C1 reference"


def test_the_generated_wrappers_carry_what_excel_shows_and_converts(xlwings_win):
    generate(xlwings_win, MODULE)
    module = sys.modules[MODULE]
    assert module is not udfs
    for name in SIGNATURES:
        info = getattr(module, name).__xlfunc__
        assert info["category"] == "Wish" and not info["volatile"] and not info["async_mode"]
        assert info["ret"]["doc"] == getattr(udfs, name).__doc__  # the wizard's description
        assert all(not a["doc"].startswith("Positional argument") and len(a["doc"]) <= 255 for a in info["args"])
        assert all("convert" not in a["options"] for a in info["args"])  # no type hint turned into a converter
    for name in ("WISH_VALIDATION", "WISH_STATUS", "WISH_FINES"):
        orders = getattr(module, name).__xlfunc__["argmap"]["orders"]
        assert orders["options"] == {"ndim": 2, "err_to_str": True}
        assert getattr(module, name).__xlfunc__["argmap"]["as_of"]["optional"] is None
    assert module.WISH_APPEAL_DEADLINE.__xlfunc__["argmap"]["policy"]["optional"] is None


def test_an_add_in_writes_activeworkbook_instead(xlwings_win):
    vba = generate(xlwings_win, MODULE, "addin.xlam")
    assert "ThisWorkbook" not in vba and "ActiveWorkbook, Application.Caller)" in vba


def test_a_keyword_only_parameter_is_refused_by_the_import(xlwings_win, tmp_path, monkeypatch):
    (tmp_path / "kwonly_udf.py").write_text(
        "import xlwings as xw\n\n\n@xw.func\ndef WISH_BAD(amount, *, rate=1):\n    return amount * rate\n",
        encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(Exception, match="xlwings does not support UDFs with keyword arguments"):
        generate(xlwings_win, "kwonly_udf")


def test_a_vba_keyword_as_parameter_passes_xlwings_but_not_this_suite(xlwings_win, tmp_path, monkeypatch):
    """xlwings copies Python parameter names into VBA unchecked: `event` would break the whole module."""
    (tmp_path / "keyword_udf.py").write_text(
        "import xlwings as xw\n\n\n@xw.func\ndef WISH_NEXT(status, event):\n    return status\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    vba = generate(xlwings_win, "keyword_udf")
    assert "Function WISH_NEXT(status, event)" in vba
    assert "event" in VBA_RESERVED


def test_driving_a_table_function_through_xlwings_conversion(xlwings_win, monkeypatch):
    """As call_udf does: conversion.read of each argument (a fake engine standing in for COM), then write."""
    from xlwings import conversion
    from xlwings.main import Engine, Engines

    class FakeExcel:
        name, type = "excel", "desktop"
        errors = {-2146826246: "#N/A", -2146826281: "#DIV/0!"}  # COM's error codes, as _xlwindows maps them

        @classmethod
        def clean_value_data(cls, data, datetime_builder, empty_as, number_builder, err_to_str):
            def clean(v):
                if v in ("", None):
                    return empty_as
                if isinstance(v, int) and v in cls.errors:
                    return cls.errors[v] if err_to_str else None
                return v
            return [[clean(v) for v in row] for row in data]

        @staticmethod
        def prepare_xl_data_element(x, options):
            return "" if x is None else x

    engines = Engines()
    engines.add(Engine(impl=FakeExcel()))
    monkeypatch.setattr(xw, "engines", engines)
    generate(xlwings_win, MODULE)
    module = sys.modules[MODULE]

    def call(func, *values):
        info = func.__xlfunc__
        args = [conversion.read(None, v, info["args"][i]["options"]) for i, v in enumerate(values)]
        return conversion.write(func(*args), None, info["ret"]["options"])

    com_orders = tuple(tuple("" if v is None else (-2146826246 if v == "#N/A" else v) for v in row) for row in ORDERS)
    assert call(module.WISH_STATUS, com_orders, AS_OF_SERIAL) == [["Cancelled"], [""], ["New"], ["New"]]
    assert call(module.WISH_VALIDATION, com_orders, AS_OF)[3] == ["Error: Quantity holds the Excel error #N/A"]
    assert call(module.WISH_FINES, "Order ID", AS_OF) == [[""]]  # one cell: ndim=2 still gives a 2-D list
    assert call(module.WISH_FINES, "A1", AS_OF) == [["the first row is not the Orders header row: "
                                                     "pass the table with it, e.g. OrdersTable[#All]"]]
    assert call(module.WISH_NEXT_STATUS, "New", "close") == [["event close is not allowed from status New"]]


def test_the_windows_decorators_are_gone_afterwards():
    before = (xw.func, xw.arg, xw.ret, sys.modules[MODULE], "xlwings.udfs" in sys.modules)
    with windows_xlwings() as real:
        assert xw.func is real.xlfunc and xw.arg is real.xlarg and "pythoncom" in sys.modules
        generate(real, MODULE)
        assert sys.modules[MODULE] is not udfs and hasattr(sys.modules[MODULE].WISH_STATUS, "__xlfunc__")
    assert (xw.func, xw.arg, xw.ret, sys.modules[MODULE], "xlwings.udfs" in sys.modules) == before
    assert "pythoncom" not in sys.modules and "win32com.client" not in sys.modules
    assert sys.modules["addin.xl"].udfs is udfs and not hasattr(udfs.WISH_STATUS, "__xlfunc__")
    assert importlib.import_module(MODULE) is udfs

"""What the workbook's Run button calls (SampleCall -> workbook.main() -> here): the action chosen
in the Dashboard's Action cell, on the workbook that called. Kept tiny: everything testable
lives in actions.py, behind the port."""

from __future__ import annotations


def main() -> None:
    import xlwings as xw

    from addin.xl.actions import run
    from addin.xl.xlwings_port import XlwingsPort

    book = xw.Book.caller()
    port = XlwingsPort(book)
    run(port.named_value("Action"), port)

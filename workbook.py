"""What the workbook's Run button runs.

workbook.xlsm carries the VBA of xlwings' standalone quickstart: its one macro, `SampleCall`,
runs `RunPython "import " & mymodule & ";" & mymodule & ".main()"` where `mymodule` is the
workbook's file name without its extension (shared/notes/excel-stack.md §1.2). So Excel
imports the module named after the workbook, `workbook`, found because xlwings puts the
workbook's folder on Python's path. This file must stay beside workbook.xlsm and keep its name;
a copy of the workbook saved as `shop.xlsm` needs a `shop.py` with the same two lines.
"""


def main() -> None:
    """Run the action chosen in the Dashboard's Action cell (addin.xl.main)."""
    from addin.xl.main import main as run  # imported when the button is pressed, not at import

    run()

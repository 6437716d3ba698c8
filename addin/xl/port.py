"""What the button actions need from a workbook, and that need met by openpyxl for tests.

The actions (actions.py) talk only to a `WorkbookPort`, so the same code runs behind Excel's
Run button (xlwings_port.XlwingsPort, which needs Excel) and in tests on Linux (OpenpyxlPort,
on an .xlsx/.xlsm file). Tables are plain lists: row 1 holds the headers, data rows follow,
and data row i is sheet row i + 2. Ports do no business logic and no header matching beyond
exact names: what a column means is the actions' business.

OpenpyxlPort is for tests only. Saving with openpyxl regenerates the whole package (cached
values, form-control buttons and x14 extensions are lost, see shared/notes/excel-stack.md
§0 (ii)), so it must never be pointed at a merchant's workbook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries


@runtime_checkable
class WorkbookPort(Protocol):
    """The workbook as the actions see it (docs-excel-contract.md, "Ports")."""

    def read_table(self, sheet: str) -> tuple[list[Any], list[list[Any]]]:
        """(headers of row 1, data rows each as wide as the headers); KeyError if there is no such sheet."""

    def write_columns(self, sheet: str, columns: Mapping[str, Sequence[Any]]) -> None:
        """Write whole columns found by their exact header from row 2 down; a missing header is
        added after the last one. Text is always written as text, never as a formula."""

    def selected_rows(self, sheet: str) -> list[int]:
        """The 0-based data rows selected on `sheet` (none when another sheet is active)."""

    def named_value(self, name: str) -> Any:
        """The value of the cell a defined name points at; None when the name is not defined."""

    def append_rows(self, sheet: str, rows: Sequence[Sequence[Any]]) -> None:
        """Add rows (values in the sheet's column order) below its last filled row."""

    def replace_rows(self, sheet: str, headers: Sequence[Any], rows: Sequence[Sequence[Any]]) -> None:
        """Make the sheet hold exactly these headers and rows (created when missing)."""

    def status(self, text: str) -> None:
        """Show progress; an empty text gives the status bar back to Excel."""

    def message(self, text: str) -> None:
        """Tell the merchant something that needs reading (a refused row, a failure)."""


def trim(grid: Sequence[Sequence[Any]]) -> tuple[list[Any], list[list[Any]]]:
    """Headers up to the last non-blank one and data rows cut or padded to that width,
    trailing empty rows dropped (formatted but empty rows are not data)."""
    if not grid:
        return [], []
    headers = list(grid[0])
    while headers and headers[-1] in (None, ""):
        headers.pop()
    width = len(headers)
    rows = [(list(r) + [None] * width)[:width] for r in grid[1:]]
    while rows and all(v in (None, "") for v in rows[-1]):
        rows.pop()
    return headers, rows


class OpenpyxlPort:
    """A WorkbookPort on a file, for tests: `selection` plays the rows selected on `selection_sheet`;
    `statuses` and `messages` record what Excel would have shown."""

    def __init__(self, path: str | Path, selection: Sequence[int] = (), selection_sheet: str = "Orders"):
        self.path = Path(path)
        # keep_vba only for .xlsm: openpyxl gives a kept archive the macro-enabled content type,
        # which Excel refuses in a file named .xlsx.
        self.book = load_workbook(self.path, keep_vba=self.path.suffix.lower() == ".xlsm")
        self.selection, self.selection_sheet = list(selection), selection_sheet
        self.statuses: list[str] = []
        self.messages: list[str] = []

    def save(self, path: str | Path | None = None) -> None:
        self.book.save(path or self.path)

    def read_table(self, sheet: str) -> tuple[list[Any], list[list[Any]]]:
        ws = self.book[sheet]  # KeyError for a missing sheet
        return trim([list(r) for r in ws.iter_rows(values_only=True)])

    def write_columns(self, sheet: str, columns: Mapping[str, Sequence[Any]]) -> None:
        ws = self.book[sheet]
        headers = self._headers(ws)
        for name, values in columns.items():
            if name in headers:
                col = headers.index(name) + 1
            else:
                headers.append(name)
                col = len(headers)
                _put(ws, 1, col, name)
            for r, value in enumerate(values, start=2):
                _put(ws, r, col, value)

    def selected_rows(self, sheet: str) -> list[int]:
        return sorted(set(self.selection)) if sheet == self.selection_sheet else []

    def named_value(self, name: str) -> Any:
        wanted = name.casefold()  # Excel names are not case-sensitive
        scopes = [self.book.defined_names, *(ws.defined_names for ws in self.book.worksheets)]
        for scope in scopes:
            for key, defined in scope.items():
                if key.casefold() == wanted:
                    for title, coord in defined.destinations:
                        return self.book[title][coord.replace("$", "").split(":")[0]].value
        return None

    def append_rows(self, sheet: str, rows: Sequence[Sequence[Any]]) -> None:
        ws = self.book[sheet]
        last = max((c.row for row in ws.iter_rows() for c in row if c.value not in (None, "")), default=0)
        self._write_rows(ws, last + 1, rows)

    def replace_rows(self, sheet: str, headers: Sequence[Any], rows: Sequence[Sequence[Any]]) -> None:
        ws = self.book[sheet] if sheet in self.book.sheetnames else self.book.create_sheet(sheet)
        for row in ws.iter_rows():
            for cell in row:
                cell.value = None
        self._write_rows(ws, 1, [list(headers), *rows])
        last = max(len(rows) + 1, 2)  # an Excel table needs one data row, even an empty one
        for table in ws.tables.values():
            min_col, min_row, max_col, _ = range_boundaries(table.ref)
            if min_row == 1:
                table.ref = f"{get_column_letter(min_col)}1:{get_column_letter(max_col)}{last}"
                if table.autoFilter is not None:
                    table.autoFilter.ref = table.ref

    def status(self, text: str) -> None:
        self.statuses.append(text)

    def message(self, text: str) -> None:
        self.messages.append(text)

    @staticmethod
    def _headers(ws: Any) -> list[Any]:
        return trim([[c.value for c in ws[1]]])[0] if ws.max_row >= 1 else []

    @staticmethod
    def _write_rows(ws: Any, first: int, rows: Sequence[Sequence[Any]]) -> None:
        for r, row in enumerate(rows, start=first):
            for c, value in enumerate(row, start=1):
                _put(ws, r, c, value)


def _put(ws: Any, row: int, col: int, value: Any) -> None:
    """One cell; an empty text becomes an empty cell and text stays text even when it starts with '='."""
    cell = ws.cell(row=row, column=col)
    cell.value = None if value == "" else value
    if isinstance(value, str) and value:
        cell.data_type = "s"  # openpyxl made it a formula ("f") if it starts with "="

"""The WorkbookPort on the workbook open in Excel, through xlwings (Windows and macOS).

Kept as thin as the calls allow, because nothing here can run without Excel: every read and
write is one range call over a whole block (`options(ndim=2)`), never a loop over cells, and
the only logic is turning a selection's address into data rows (`rows_of_address`, a pure
function tested on Linux). The port only calls methods of the Book it is given and never
imports xlwings itself (main.py does, when Excel calls), so it imports anywhere and can be
driven in tests by a stand-in for Excel's object model (tests/test_actions.py).

Excel parses a text written into a cell as if it were typed: "=..." would become a formula,
"1/2" a date, "00123" a number. Every text is therefore written with Excel's text prefix, an
apostrophe, which Excel keeps out of the value (not verifiable without Excel: check it there).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from addin.xl.port import trim

_AREA = re.compile(r"^\$?([A-Z]*)\$?(\d*)(?::\$?([A-Z]*)\$?(\d*))?$")


def rows_of_address(address: str, last_row: int) -> list[int]:
    """0-based data rows (sheet row 2 is data row 0) of an address such as "$A$2:$C$4,$7:$9,$B:$B";
    whole columns stop at `last_row`, the header row is never a data row."""
    rows: set[int] = set()
    for area in address.replace("'", "").split(","):
        m = _AREA.match(area.split("!")[-1].strip())
        if m is None:
            continue
        top = int(m.group(2)) if m.group(2) else 1
        bottom = int(m.group(4)) if m.group(4) else (top if m.group(2) and m.group(3) is None else last_row)
        rows.update(range(max(top, 2) - 2, min(bottom, last_row) - 1))
    return sorted(rows)


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return "'" + value if value else None
    return value


class XlwingsPort:
    """A WorkbookPort on an xlwings Book (usually `xw.Book.caller()`)."""

    def __init__(self, book: Any):
        self.book = book

    def _sheet(self, name: str) -> Any:
        if name not in [s.name for s in self.book.sheets]:
            raise KeyError(name)
        return self.book.sheets[name]

    def _grid(self, sheet: Any) -> list[list[Any]]:
        last = sheet.used_range.last_cell
        return sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value

    def read_table(self, sheet: str) -> tuple[list[Any], list[list[Any]]]:
        return trim(self._grid(self._sheet(sheet)))

    def write_columns(self, sheet: str, columns: Mapping[str, Sequence[Any]]) -> None:
        sh = self._sheet(sheet)
        width = sh.used_range.last_cell.column
        headers = trim(sh.range((1, 1), (1, width)).options(ndim=2).value)[0]
        for name, values in columns.items():
            if name not in headers:
                headers.append(name)
                sh.range((1, len(headers))).value = _cell(name)
            if len(values):
                sh.range((2, headers.index(name) + 1)).options(ndim=2).value = [[_cell(v)] for v in values]

    def selected_rows(self, sheet: str) -> list[int]:
        """The rows selected on `sheet`. Excel keeps a selection per sheet but shows only the active
        sheet's: when the button was pressed on another sheet (the Dashboard), switch to `sheet` for
        a moment to read it, then come back."""
        active = self.book.sheets.active
        if active.name != sheet:
            self._sheet(sheet).activate()
        try:
            selection = self.book.selection
        finally:
            if active.name != sheet:
                active.activate()
        if selection is None or selection.sheet.name != sheet:
            return []
        return rows_of_address(selection.address, selection.sheet.used_range.last_cell.row)

    def named_value(self, name: str) -> Any:
        if name not in self.book.names:
            return None
        return self.book.names[name].refers_to_range.options(ndim=2).value[0][0]

    def append_rows(self, sheet: str, rows: Sequence[Sequence[Any]]) -> None:
        sh = self._sheet(sheet)
        last = max(sh.range((sh.cells.last_cell.row, c)).end("up").row for c in (1, 2))
        self._write(sh, last + 1, rows)

    def replace_rows(self, sheet: str, headers: Sequence[Any], rows: Sequence[Sequence[Any]]) -> None:
        try:
            sh = self._sheet(sheet)
        except KeyError:
            sh = self.book.sheets.add(sheet, after=self.book.sheets[-1])
        last = sh.used_range.last_cell
        if last.row > 1:  # the header row is overwritten, not cleared: an Excel table keeps its columns
            sh.range((2, 1), (last.row, last.column)).clear_contents()
        self._write(sh, 1, [list(headers) + [None] * (last.column - len(headers)), *rows])

    def status(self, text: str) -> None:
        self.book.app.status_bar = text or False  # False gives the status bar back to Excel

    def message(self, text: str) -> None:
        self.book.app.alert(text, title="wishxl")

    @staticmethod
    def _write(sh: Any, first: int, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            width = max(len(r) for r in rows)
            block = [[_cell(v) for v in r] + [None] * (width - len(r)) for r in rows]
            sh.range((first, 1)).options(ndim=2).value = block

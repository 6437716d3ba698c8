"""Writing the recalculated Orders sheet and the Fines ledger to a new workbook.

XlsxWriter in constant-memory mode: rows stream out, memory stays flat at a
million orders (shared/notes/perf-baseline.md §1). Text is always written with
write_string, so customer text that starts with "=" stays text and never
becomes a live formula. The file appears atomically: it is written beside the
target under a temporary name, flushed to disk, then renamed.
"""

from __future__ import annotations

import itertools
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import xlsxwriter

from addin.domain.present import FINE_COLUMNS, OUTPUT_COLUMNS

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_FORMAT = "#,##0.00"
DATETIME_COLUMNS = {"Ship By", "Appeal Deadline", "Suspended Until", "Generated At"}
MONEY_COLUMNS = {"Fines (USD)", "Amount (USD)"}
WRAP_COLUMNS = {"Validation", "Next Action"}  # Explanation stays one line high: the full text is in the cell
LINE_HEIGHT = 15.0
MAX_LINES = 4
WIDTHS = {"Validation": 40, "Next Action": 48, "Explanation": 70, "Policy": 30, "Rule": 40, "Fine ID": 34}


def atomic_path(target: Path) -> tuple[Path, Callable[[], None], Callable[[], None]]:
    """A temporary path beside `target`, a commit (fsync + rename) and an abort (remove)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)

    def commit() -> None:
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        try:  # the new file gets the old one's permissions (mkstemp makes it private to us)
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
        try:
            dir_fd = os.open(target.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def abort() -> None:
        tmp_path.unlink(missing_ok=True)

    return tmp_path, commit, abort


class _Sheet:
    """Typed cell writing for one worksheet."""

    def __init__(self, book: Any, name: str, headers: Sequence[Any], formats: dict[str, Any],
                 sample: Sequence[Sequence[Any]] = ()):
        self.ws = book.add_worksheet(name)
        self.formats = formats
        self.headers = list(headers)
        for c, h in enumerate(self.headers):
            self.ws.write_string(0, c, "" if h is None else str(h), formats["header"])
            name_ = str(h)
            width = WIDTHS.get(name_) or (18 if name_ in DATETIME_COLUMNS else _width(name_, c, sample))
            fmt = formats["wrap"] if name_ in WRAP_COLUMNS else None
            self.ws.set_column(c, c, width, fmt)
        self.ws.freeze_panes(1, 0)

    def write(self, r: int, c: int, value: Any, style: str | None = None) -> None:
        """Write one value with its own type; `style` names a format for numbers ("money") or text ("wrap")."""
        ws, f = self.ws, self.formats
        if value is None or value == "":
            return
        if isinstance(value, bool):
            ws.write_boolean(r, c, value, f["plain"])
        elif isinstance(value, (int, float)):
            ws.write_number(r, c, value, f["money"] if style == "money" else f["plain"])
        elif isinstance(value, datetime):
            ws.write_datetime(r, c, value.replace(tzinfo=None), f["datetime"])
        elif isinstance(value, date):
            ws.write_datetime(r, c, datetime.combine(value, time()), f["date"])
        else:
            ws.write_string(r, c, str(value), f["wrap"] if style == "wrap" else f["plain"])

    def finish(self, rows: int) -> None:
        if self.headers:
            self.ws.autofilter(0, 0, max(rows, 1), len(self.headers) - 1)


def write_results(
    target: str | Path,
    headers: Sequence[Any],
    computed_at: dict[str, int],
    rows: Iterable[tuple[Sequence[Any], dict[str, Any] | None]],
    fines: Iterable[dict[str, Any]],
) -> None:
    """Write Orders (original columns + computed ones) and Fines to `target`, atomically.

    `computed_at` maps computed columns that already exist in `headers` to their
    index (they are overwritten in place); the others are appended in OUTPUT_COLUMNS order.
    """
    target = Path(target)
    headers = list(headers)
    where = dict(computed_at)
    for name in OUTPUT_COLUMNS:
        if name not in where:
            where[name] = len(headers)
            headers.append(name)
    tmp, commit, abort = atomic_path(target)
    try:
        book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False,
                                              "strings_to_urls": False, "strings_to_numbers": False})
        formats = {
            "header": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
            # Every cell top-aligned, so a row made taller by a wrapped message still reads across.
            "plain": book.add_format({"valign": "top"}),
            "datetime": book.add_format({"num_format": DATETIME_FORMAT, "valign": "top"}),
            "date": book.add_format({"num_format": "yyyy-mm-dd", "valign": "top"}),
            "money": book.add_format({"num_format": MONEY_FORMAT, "valign": "top"}),
            "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        }
        rows = iter(rows)
        first = list(itertools.islice(rows, 200))  # to size the columns
        orders = _Sheet(book, "Orders", headers, formats, [raw for raw, _ in first])
        skip = set(where.values())
        r = 0
        for r, (raw, computed) in enumerate(itertools.chain(first, rows), start=1):
            if computed:  # a row's height must be set before its cells (constant-memory mode)
                lines = max(_lines(computed.get(name), WIDTHS[name]) for name in WRAP_COLUMNS)
                if lines > 1:
                    orders.ws.set_row(r, LINE_HEIGHT * min(lines, MAX_LINES))
            for c, value in enumerate(raw):
                if c not in skip:
                    orders.write(r, c, value)
            if computed:
                for name, value in computed.items():
                    orders.write(r, where[name], value, _style(name))
        orders.finish(r)
        fines = iter(fines)
        first_fines = list(itertools.islice(fines, 200))
        ledger = _Sheet(book, "Fines", FINE_COLUMNS, formats, [[fine.get(c) for c in FINE_COLUMNS] for fine in first_fines])
        f = 0
        for f, fine in enumerate(itertools.chain(first_fines, fines), start=1):
            for c, name in enumerate(FINE_COLUMNS):
                ledger.write(f, c, fine.get(name), _style(name))
        ledger.finish(f)
        book.close()
        commit()
    except BaseException:
        abort()
        raise


def _width(header: str, column: int, sample: Sequence[Sequence[Any]]) -> float:
    """A column wide enough for its header and the values of the first rows (dates in full), at most 45."""
    widest = len(header) + 2
    for row in sample:
        value = row[column] if column < len(row) else None
        if isinstance(value, (datetime, date)):
            widest = max(widest, 18)
        elif value is not None:
            text = value if isinstance(value, str) else (f"{value:,.2f}" if isinstance(value, float) else str(value))
            # CJK characters take two columns
            widest = max(widest, sum(2 if ord(ch) > 0x2E80 else 1 for ch in text) + 2)
    return min(max(widest, 8), 45)


def _lines(text: Any, width: float) -> int:
    """How many lines a wrapped text takes in a column `width` characters wide."""
    if not text:
        return 1
    return sum(max(1, -(-len(line) // int(width))) for line in str(text).split("\n"))


def _style(column: str) -> str | None:
    if column in MONEY_COLUMNS:
        return "money"
    return "wrap" if column in WRAP_COLUMNS else None

"""Reading chosen columns of a worksheet part in one streaming pass, straight into typed columns.

Why by hand: python-calamine (Rust) parses a sheet fast but builds the whole sheet first, as a
Python list of lists at the end (about 2.5 GB at a million orders; shared/notes/perf-baseline.md
§2), and every cell then becomes a Python object that the reader types again. Here the sheet part
is inflated a few MiB at a time, its cells are split apart with bytes.split and their references
read with numpy, only the columns the rules read are kept, and each column is typed with one
findall over its cells (io/columntypes.py): numbers and Excel serial dates become numpy arrays
without a Python object per cell. Memory stays at the size of the typed columns.

The fast grammar is the one Excel, LibreOffice, XlsxWriter and openpyxl write: `<c r="B7" ...>`
with the reference first and no namespace prefix. A part written otherwise (a prefix, a cell
without its reference) raises NotStreamable and the caller reads it the general way.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from itertools import chain
from operator import itemgetter
from dataclasses import dataclass
from html import unescape
from typing import Any

import numpy as np

from addin.io.package import DATE_FORMAT_IDS, Package, PackageError
from addin.io.sheetxml import column_index

BLOCK = 4 << 20
_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_ODD_CELL = re.compile(rb"<c[\t\r\n]")
_TYPE = re.compile(rb'\st="(\w+)"')
_STYLE = re.compile(rb'\ss="(\d+)"')
_V = re.compile(rb"<v>([^<]*)</v>")
_T = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>|<t(?:\s[^>]*)?/>")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_ROOT = re.compile(rb"<(\w+:)?worksheet\b")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


class NotStreamable(Exception):
    """A sheet part this reader does not take (the general reader does)."""


def text(raw: bytes) -> str:
    """XML character data as the text it stands for: entities, and Excel's _xHHHH_ escapes."""
    value = raw.decode("utf-8")
    if "&" in value:
        value = unescape(value)
    if "_x" in value:
        value = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value


def rich_text(inner: bytes) -> str:
    """The text of an inline string or shared-string item: its <t> runs joined (phonetic runs left out)."""
    if b"<rPh" in inner:
        inner = re.sub(rb"<rPh\b.*?</rPh>", b"", inner, flags=re.S)
    return "".join(text(m.group(1) or b"") for m in _T.finditer(inner))


class SharedStrings:
    """xl/sharedStrings.xml, its items decoded when a cell first asks for them."""

    def __init__(self, data: bytes):
        start = data.find(b"<si")
        self.items = data[start:].split(b"</si>") if start >= 0 else []
        self.cache: dict[int, str] = {}

    def __getitem__(self, index: int) -> str:
        hit = self.cache.get(index)
        if hit is None:
            item = self.items[index]
            hit = self.cache[index] = rich_text(item[item.find(b">") + 1:])
        return hit


class SharedOnDemand:
    """The workbook's shared strings, read when a cell first is one: a sheet of inline strings (as
    the program and XlsxWriter's constant_memory mode write them) never reads the part, and no
    block is searched for shared-string cells to learn whether to."""

    def __init__(self, pkg: Package):
        self.pkg, self.strings = pkg, None

    def __getitem__(self, index: int) -> str:
        if self.strings is None:
            self.strings = _shared(self.pkg)
        return self.strings[index]


def date_styles(pkg: Package) -> frozenset[int]:
    """The cell-style indexes (xf) whose number format shows a date or time, as Excel decides it."""
    return frozenset(i for i, (fid, code) in enumerate(pkg.cell_formats())
                     if (re.search(r"[ymdhs]", re.sub(r'"[^"]*"|\[[^]]*]|\\.', "", code), re.I) if code is not None
                         else fid.isdigit() and int(fid) in DATE_FORMAT_IDS))


def blocks(pkg: Package, part: str) -> Iterator[bytes]:
    """The inflated part in pieces of about BLOCK bytes, each ending at the end of a row."""
    try:
        with pkg.zip.open(part) as fh:
            carry = b""
            while True:
                data = fh.read(BLOCK)
                if not data:
                    if carry:
                        yield carry
                    return
                buf = carry + data if carry else data
                cut = buf.rfind(b"</row>")
                if cut < 0:
                    carry = buf
                    continue
                cut += 6
                yield buf[:cut]
                carry = buf[cut:]
    except KeyError:
        raise PackageError(f"{pkg.path}: part {part} is missing") from None
    except (zlib.error, EOFError, OSError) as e:
        raise PackageError(f"{pkg.path}: part {part} is damaged ({e})") from None
    except Exception as e:  # zipfile.BadZipFile (CRC) and friends
        if type(e).__name__ == "BadZipFile":
            raise PackageError(f"{pkg.path}: part {part} is damaged ({e})") from None
        raise


_SEP = b"\x00"  # cannot occur in XML: joins a column's cells so one findall reads them all


@dataclass
class Column:
    """One sheet column's cells below the header: each cell's row, and its XML from just after
    `<c r="` (its reference, attributes and content; what follows the cell's end is ignored)."""

    rows: np.ndarray
    tails: list[bytes]

    def joined(self) -> bytes:
        """The cells, each after a NUL: a pattern that begins with the NUL is searched for with a
        fast scan for that byte (one that begins "^ or NUL" is tried at every byte)."""
        return _SEP + _SEP.join(self.tails)

    def cells(self) -> list[tuple[bytes, bytes]]:
        """(attributes, inner XML) of each cell, read one by one (the general path)."""
        out = []
        for tail in self.tails:
            m = _CELL.match(b'<c r="' + tail)
            if m is None:
                raise NotStreamable("a cell that does not parse")
            out.append((m.group(3), m.group(4) or b""))
        return out


@dataclass
class SheetScan:
    header: dict[int, Any]                   # column -> header value (row 1)
    columns: dict[int, Column]               # wanted column -> its cells below row 1
    other_cells: list[tuple[np.ndarray, list[bytes]]]  # the cells of columns not wanted: rows, cells
    merged: list[tuple[tuple[int, int], tuple[int, int]]]
    shared: SharedOnDemand

    def filled_elsewhere(self, known: np.ndarray) -> list[int]:
        """The rows, other than the `known` ones (sorted), that hold a non-empty cell in a column
        not wanted. Asked after the wanted columns are typed: a row known to be filled (an
        order) is not looked at again, and most rows are (on a second run, seven computed cells
        each would be read only to learn that)."""
        rows: list[int] = []
        shared = self.shared
        for numbers, tails in self.other_cells:
            at = np.searchsorted(known, numbers)
            unknown = (at >= len(known)) | (known[np.minimum(at, len(known) - 1)] != numbers) if len(known) \
                else np.ones(len(numbers), dtype=bool)
            filled = -1  # (a row's cells are in order: once one is filled, its others are skipped)
            for k, number in zip(np.flatnonzero(unknown).tolist(), numbers[unknown].tolist()):
                if number == filled:
                    continue
                m = _CELL.match(b'<c r="' + tails[k])
                if m and m.group(4) and value(m.group(3), m.group(4), shared, frozenset()) not in (None, ""):
                    rows.append(number)
                    filled = number
        return rows


GROUP = 8 << 20  # the cells of about 8 MiB of a part are typed together: memory stays flat


def scan_groups(pkg: Package, part: str, wanted: Any, start: int = 0, stop: int | None = None) -> Iterator[SheetScan]:
    """One pass over a sheet part: its header row, the cells of the columns `wanted(header)` chooses
    (header: column -> value), the rows that hold anything elsewhere, and merged ranges; of the
    blocks that begin at byte `start` or later, and before `stop` (the header is read in any case).
    Yielded a group of blocks (about GROUP bytes) at a time, so that a caller types them and lets
    the raw cells go before the next group is read; the last group holds the part's tail.

    Per block of rows, the cells are found with bytes.split, their references read with numpy
    (_references) and the cells sorted into columns with one stable argsort: no Python statement
    runs per cell (a million orders have some twenty-five million cells)."""
    stream = blocks(pkg, part)
    first = next(stream, b"")
    head = first[:4096]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise PackageError(f"{pkg.path}: part {part} declares a DTD or entities: refused")
    root = _ROOT.search(head)
    if root is None or root.group(1):
        raise NotStreamable("namespace prefix" if root else "not a worksheet")
    header: dict[int, Any] = {}
    chosen: list[int] | None = None
    slot = np.zeros(0, dtype=np.int64)
    parts: dict[int, list[tuple[np.ndarray, Any]]] = {}
    others: list[tuple[np.ndarray, Any]] = []
    merged = []
    shared = SharedOnDemand(pkg)

    offset = grouped = 0
    for block in _chain(first, stream):
        if grouped >= GROUP and chosen is not None:
            yield _group(header, parts, others, merged, shared)
            parts, others, merged, grouped = {col: [] for col in chosen}, [], [], 0
        begin, offset = offset, offset + len(block)
        here = start <= begin and (stop is None or begin < stop)
        if not here and chosen is not None:
            continue
        tails = block.split(b'<c r="')[1:]
        if len(tails) != block.count(b"<c"):  # other tags that begin "<c" (<cols>, <color>): count exactly
            expected = block.count(b"<c ") + block.count(b"<c>") + block.count(b"<c/")
            if len(tails) != expected or _ODD_CELL.search(block):
                raise NotStreamable("cells without a leading reference")
        refs = _references(tails)
        if refs is None:
            raise NotStreamable("a cell reference that is not letters and a row number")
        columns, numbers = refs
        if b"mergeCell" in block[block.rfind(b"</row>") + 1:]:  # (after sheetData: in the part's tail)
            for m in _MERGE.finditer(block):
                c1, r1 = column_index(m.group(1).decode()), int(m.group(2)) - 1
                c2 = column_index((m.group(3) or m.group(1)).decode())
                r2 = int(m.group(4) or m.group(2)) - 1
                merged.append(((r1, c1), (r2, c2)))
        if not tails:
            continue
        if chosen is None:
            for k in np.flatnonzero(numbers == 1).tolist():
                m = _CELL.match(b'<c r="' + tails[k])
                header[column_index(m.group(1).decode())] = value(m.group(3), m.group(4) or b"", shared,
                                                                  frozenset())
            chosen = sorted(wanted(header))
            parts = {col: [] for col in chosen}
            slot = np.full(max(chosen, default=0) + 2, -1, dtype=np.int64)  # column -> its place in chosen
            slot[chosen] = np.arange(len(chosen))
            if not here:
                continue
        grouped += len(block)
        # Each cell's wanted column as its place in `chosen` (-1: not wanted, or the header row), the
        # cells then grouped by it with one stable sort (they stay in sheet order within a column).
        which = slot[np.minimum(columns, len(slot) - 1)]
        which[numbers <= 1] = len(chosen)
        order = np.argsort(which, kind="stable")
        ends = np.cumsum(np.bincount(which + 1, minlength=len(chosen) + 2)).tolist()
        for k, col in enumerate(chosen):
            idx = order[ends[k]:ends[k + 1]]
            if len(idx):
                pick = itemgetter(*idx.tolist())(tails)
                parts[col].append((numbers[idx], pick if len(idx) > 1 else (pick,)))
        rest = order[:ends[0]]  # columns the rules do not read: SheetScan.filled_elsewhere
        if len(rest):
            others.append((numbers[rest], itemgetter(*rest.tolist())(tails) if len(rest) > 1 else (tails[rest[0]],)))
    if chosen is None:
        parts = {col: [] for col in wanted(header)}
    yield _group(header, parts, others, merged, shared)


def _group(header: dict[int, Any], parts: dict[int, list[tuple[np.ndarray, Any]]], others: list[Any],
           merged: list[Any], shared: SharedOnDemand) -> SheetScan:
    columns = {}
    for col, pieces in parts.items():
        columns[col] = Column(np.concatenate([p[0] for p in pieces]) if pieces else np.zeros(0, np.int64),
                              list(chain.from_iterable(p[1] for p in pieces)))
    return SheetScan(header, columns, others, merged, shared)


def _references(tails: list[bytes]) -> tuple[np.ndarray, np.ndarray] | None:
    """Each cell's column (0-based) and row number, read from the first bytes after `<c r="` of all the
    block's cells at once (numpy on a byte matrix, a column of it at a time: twelve steps over all
    the cells, the row numbers built digit by digit); None when one is not LETTERS DIGITS quote."""
    n = len(tails)
    head = np.array(tails, dtype="S12").view(np.uint8).reshape(n, 12)
    lead = np.ones(n, dtype=bool)      # still in the leading letters
    ended = np.zeros(n, dtype=bool)    # past the digits that follow them
    closed = np.zeros(n, dtype=bool)   # ... and the byte after them is the closing quote
    letters = np.zeros(n, dtype=np.int64)
    digits = np.zeros(n, dtype=np.int64)
    numbers = np.zeros(n, dtype=np.int64)
    columns = np.zeros(n, dtype=np.int64)  # the letters as a number: A 1, Z 26, AA 27
    for p in range(12):
        byte = head[:, p]
        lead &= (byte >= 65) & (byte <= 90)
        letters += lead
        if p < 3:
            columns = np.where(lead, columns * 26 + (byte.astype(np.int64) - 64), columns)
        digit = ~lead & ~ended & (byte >= 48) & (byte <= 57)
        numbers = np.where(digit, numbers * 10 + (byte.astype(np.int64) - 48), numbers)
        digits += digit
        end = ~lead & ~ended & ~digit
        closed |= end & (byte == 34)
        ended |= end
    if not (closed & (letters >= 1) & (letters <= 3) & (digits >= 1) & (digits <= 7)).all():
        return None
    return columns - 1, numbers


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


class _NoSST:
    def __getitem__(self, index: int) -> str:
        raise NotStreamable("a shared string without a shared-strings part")


_NO_SST = _NoSST()


def _shared(pkg: Package) -> Any:
    """The shared strings; without the part, a lookup raises NotStreamable (the general reader decides)."""
    part = next((t for k, t in pkg.rels(pkg.workbook_part).values() if k == "sharedStrings"), None)
    return SharedStrings(pkg.read(part)) if part else _NO_SST


def value(attrs: bytes, inner: bytes, shared: Any, dates: frozenset[int]) -> Any:
    """One cell as python-calamine gives it: float, datetime (date-formatted numbers), str, bool, or
    the error's text ("#N/A"); None when empty."""
    kind = _TYPE.search(attrs)
    t = kind.group(1) if kind else b"n"
    if t == b"inlineStr":
        return rich_text(inner)
    v = _V.search(inner) if inner else None
    if v is None:
        return None
    raw = v.group(1)
    if t == b"n":
        if not raw:
            return None
        number = float(raw)
        style = _STYLE.search(attrs)
        if style and int(style.group(1)) in dates:
            return serial_datetime(number)
        return number
    if t == b"s":
        return shared[int(raw)]
    if t == b"b":
        return raw.strip() == b"1"
    if t in (b"str", b"e"):
        return text(raw)
    if t == b"d":
        from datetime import datetime
        try:
            return datetime.fromisoformat(text(raw))
        except ValueError:
            return text(raw)
    return text(raw)


def serial_datetime(serial: float) -> Any:
    """A date-formatted number as a datetime to the millisecond (a date when it has no time part)."""
    from datetime import datetime, timedelta
    if not 0 <= serial < 2958466:
        return serial
    if serial < 61:
        serial += 1
    ms = round(serial * 86_400_000)
    moment = datetime(1899, 12, 30) + timedelta(milliseconds=ms)
    return moment.date() if moment.time() == datetime.min.time() else moment



__all__ = ["NotStreamable", "SharedStrings", "scan_groups", "value", "date_styles", "blocks", "text"]

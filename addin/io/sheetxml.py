"""Rewriting the cells of some columns of a worksheet part, leaving every other byte of it alone.

Why by hand: openpyxl's load/save regenerates the whole package (it drops cached
formula values, x14 extensions and form controls; shared/notes/excel-stack.md §3),
and no maintained library edits one sheet part in place. A worksheet's rows are
flat `<row>` elements of `<c>` cells, so a streaming pass with regular
expressions can replace the cells of the columns the program owns, row by row,
and copy everything else (other cells, formulas, styles, merged cells, extensions)
as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time
from typing import Any
from xml.sax.saxutils import escape

EXCEL_EPOCH = datetime(1899, 12, 30)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]|_x[0-9A-Fa-f]{4}_")


class SheetError(ValueError):
    pass


def column_index(letters: str) -> int:
    """A -> 0, Z -> 25, AA -> 26."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def excel_serial(moment: datetime) -> float:
    """A naive datetime as an Excel serial date (1900 date system)."""
    delta = moment - EXCEL_EPOCH
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000


def _text(value: str) -> str:
    """XML text for a string cell: escaped, control characters as Excel's _xHHHH_ (and a literal _xHHHH_ kept)."""
    value = _CONTROL.sub(lambda m: "_x005F" + m.group(0) if m.group(0).startswith("_x")
                         else f"_x{ord(m.group(0)):04X}_", value)
    return escape(value)


def cell_xml(prefix: str, ref: str, value: Any, style: str | None, date_style: str | None) -> str:
    """One `<c>` element for a Python value; strings are inline strings (sharedStrings stays untouched)."""
    s = f' s="{style}"' if style is not None else ""
    p = prefix
    if isinstance(value, bool):
        return f'<{p}c r="{ref}"{s} t="b"><{p}v>{int(value)}</{p}v></{p}c>'
    if isinstance(value, (int, float)):
        return f'<{p}c r="{ref}"{s}><{p}v>{value!r}</{p}v></{p}c>'
    if isinstance(value, (datetime, date)):
        moment = value if isinstance(value, datetime) else datetime.combine(value, time())
        s = f' s="{style if style is not None else date_style}"' if (style or date_style) is not None else ""
        if moment.tzinfo is not None:
            moment = moment.replace(tzinfo=None)
        return f'<{p}c r="{ref}"{s}><{p}v>{excel_serial(moment)!r}</{p}v></{p}c>'
    text = _text(str(value))
    return f'<{p}c r="{ref}"{s} t="inlineStr"><{p}is><{p}t xml:space="preserve">{text}</{p}t></{p}is></{p}c>'


_ROOT = re.compile(rb"<(\w+:)?worksheet\b")
_ATTR = re.compile(rb'\s([\w:]+)="([^"]*)"')


class SheetRewriter:
    """Replace the cells of `owned` columns on the rows given in `updates`.

    updates: sheet row number (1-based) -> {column index (0-based) -> value}, read once per
    row with .get (so a caller can compute each row's values only when it is written); a None
    value leaves the cell empty. Cells of owned columns on those rows that have no new
    value are removed; every other cell, row and element is copied as it was.
    """

    def __init__(self, xml: bytes, updates: Mapping[int, Mapping[int, Any]], owned: set[int],
                 date_style: str | None, header_style_from: int | None = None,
                 formulas: Callable[[int, str], Any] | None = None):
        head = xml[:4096]
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise SheetError("the sheet declares a DTD or entities: refused")
        m = _ROOT.search(head)
        if m is None:
            raise SheetError("not a worksheet part")
        self.xml = xml
        self.prefix = (m.group(1) or b"").decode()
        p = re.escape(m.group(1) or b"")
        self.row_re = re.compile(rb"<" + p + rb"row\b([^>]*?)(/>|>(.*?)</" + p + rb"row>)", re.S)
        self.cell_re = re.compile(rb"<" + p + rb"c\b([^>]*?)(?:/>|>.*?</" + p + rb"c>)", re.S)
        self.updates, self.owned = updates, owned
        self.date_style = date_style
        self.header_style_from = header_style_from
        self.max_col = max(owned) if owned else 0
        self.min_owned = min(owned) if owned else 1 << 30
        self._cell_ref = re.compile(rb"<" + p + rb'c\b[^>]*?\sr="([A-Z]+)')
        self._no_ref = re.compile(rb"<" + p + rb'c(?=[\s>/])(?![^>]*\sr=")')
        self._columns: dict[bytes, int] = {}
        self._owned_letters = column_letters(self.min_owned).encode() if owned else b"?"
        self._tag_start = b"<" + (m.group(1) or b"") + b"c"
        self.formulas = formulas  # (sheet row, formula text) -> fresh value of an add-in function, or None
        self._formula = re.compile(rb"<" + p + rb"f\b[^>]*>(.*?)</" + p + rb"f>", re.S)

    def chunks(self) -> Iterator[bytes]:
        """The new sheet part, in pieces (so a large sheet need not be built twice in memory)."""
        xml, pos, next_row, first = self.xml, 0, 1, True
        data_start = xml.find(b"sheetData")
        for m in self.row_re.finditer(xml, data_start if data_start >= 0 else 0):
            attrs = dict(_ATTR.findall(m.group(1)))
            number = int(attrs.get(b"r", next_row))
            next_row = number + 1
            values = self.updates.get(number)
            if values is None:
                continue
            piece = xml[pos:m.start()]
            if first:  # the <dimension> sits before the first row
                piece, first = set_dimension(piece, self.max_col), False
            yield piece
            yield self._row(m, attrs, number, values)
            pos = m.end()
        tail = set_dimension(xml[pos:], self.max_col) if first else xml[pos:]
        yield widen_autofilter(tail, self.max_col)

    def _fresh_formulas(self, cells: bytes, number: int) -> bytes:
        """Cells whose formula calls one of the add-in's functions keep the formula and get a fresh cached value."""
        def refresh(c: re.Match[bytes]) -> bytes:
            whole = c.group(0)
            f = self._formula.search(whole)
            if f is None or b"WISH_" not in f.group(1):
                return whole
            value = self.formulas(number, f.group(1).decode())  # type: ignore[misc]
            if value is None:
                return whole
            attrs = re.sub(rb'\st="[^"]*"', b"", c.group(1))
            p = self.prefix
            if isinstance(value, (datetime, date)):
                cached, kind = repr(excel_serial(value if isinstance(value, datetime) else
                                                 datetime.combine(value, time()))), b""
            elif isinstance(value, bool):
                cached, kind = str(int(value)), b' t="b"'
            elif isinstance(value, (int, float)):
                cached, kind = repr(value), b""
            else:
                cached, kind = _text(str(value)), b' t="str"'
            return (b"<" + p.encode() + b"c" + attrs + kind + b">" + f.group(0) +
                    f"<{p}v>{cached}</{p}v></{p}c>".encode())

        return self.cell_re.sub(refresh, cells)

    def _in_cell_tag(self, body: bytes, at: int) -> int:
        """Where the cell tag holding position `at` starts, or -1 if `at` is not inside a <c ...> tag
        (text cannot hold a raw "<", so the nearest "<" before a tag attribute is that tag's)."""
        start = body.rfind(b"<", 0, at)
        tag = self._tag_start
        if start < 0 or body[start:start + len(tag)] != tag or body[start + len(tag):start + len(tag) + 1] not in \
                (b" ", b"\t", b"\n", b"\r") or b">" in body[start:at]:
            return -1
        return start

    def _split(self, body: bytes, number: int = 0) -> tuple[bytes, bytes]:
        """The row's cells before the first owned column (kept as they are, unparsed) and the rest.

        Fast paths, for rows whose cells carry r attributes (Excel's always do): the first owned
        column's cell found by its reference, or a last cell left of every owned column. Otherwise
        the cell tags' r attributes are read in turn; a row with a cell that has no r attribute
        (allowed, rare) is parsed whole.
        """
        if number:
            at = body.find(b' r="' + self._owned_letters + str(number).encode() + b'"')
            start = self._in_cell_tag(body, at) if at >= 0 else -1
            if start >= 0:
                return body[:start], body[start:]
            last = body.rfind(b' r="')
            if at < 0 and last >= 0 and self._in_cell_tag(body, last) >= 0:
                m = re.match(rb' r="([A-Z]+)', body[last:last + 12])
                if m and column_index(m.group(1).decode()) < self.min_owned and not self._no_ref.search(body):
                    return body, b""
        if self._no_ref.search(body):
            return b"", body
        for c in self._cell_ref.finditer(body):
            letters = c.group(1)
            col = self._columns.get(letters)
            if col is None:
                col = self._columns[letters] = column_index(letters.decode())
            if col >= self.min_owned:
                return body[:c.start()], body[c.start():]
        return body, b""

    def _row(self, m: re.Match[bytes], attrs: dict[bytes, bytes], number: int, values: Mapping[int, Any]) -> bytes:
        keep, rest = self._split(m.group(3) or b"", number)
        if self.formulas is not None and b"WISH_" in keep:
            keep = self._fresh_formulas(keep, number)
        cells: dict[int, bytes] = {}
        styles: dict[int, str] = {}
        col = -1
        for c in self.cell_re.finditer(rest):
            cattrs = dict(_ATTR.findall(c.group(1)))
            ref = cattrs.get(b"r")
            col = column_index(re.match(rb"[A-Z]+", ref).group().decode()) if ref else col + 1
            if col in self.owned:
                if b"s" in cattrs:
                    styles[col] = cattrs[b"s"].decode()
                continue
            cells[col] = c.group(0) if ref else c.group(0).replace(b"<" + self.prefix.encode() + b"c",
                                                                  f'<{self.prefix}c r="{column_letters(col)}{number}"'
                                                                  .encode(), 1)
        header_style = None
        if self.header_style_from is not None and number == 1:
            ref = f' r="{column_letters(self.header_style_from)}1"'.encode()
            at = keep.find(ref)
            tag = keep[keep.rfind(b"<", 0, at):keep.find(b">", at)] if at >= 0 else b""
            hit = re.search(rb'\ss="(\d+)"', tag)
            header_style = hit.group(1).decode() if hit else None
        for col, value in values.items():
            if value is None or value == "":
                continue
            style = styles.get(col, header_style if number == 1 else None)
            cells[col] = cell_xml(self.prefix, f"{column_letters(col)}{number}", value, style,
                                  self.date_style).encode()
        start = re.sub(rb'\sspans="[^"]*"', b"", m.group(1))
        p = self.prefix.encode()
        body = keep + b"".join(cells[c] for c in sorted(cells))
        return b"<" + p + b"row" + start + b">" + body + b"</" + p + b"row>"


def widen_ref(ref: str, max_col: int) -> str:
    """A range like A1:H300 widened to reach column max_col (0-based)."""
    m = re.fullmatch(r"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?", ref)
    if m is None:
        return ref
    c1, r1, c2, r2 = m.group(1), m.group(2), m.group(3) or m.group(1), m.group(4) or m.group(2)
    end = max(column_index(c2), max_col)
    return f"{c1}{r1}:{column_letters(end)}{r2}"


def widen_autofilter(tail: bytes, max_col: int) -> bytes:
    """A sheet's <autoFilter ref> (after sheetData) widened to the owned columns."""
    def widen(m: re.Match[bytes]) -> bytes:
        return m.group(1) + widen_ref(m.group(2).decode(), max_col).encode() + b'"'

    return re.sub(rb'(<(?:\w+:)?autoFilter\s+ref=")([^"]*)"', widen, tail, count=1)


def set_dimension(head: bytes, max_col: int) -> bytes:
    """The sheet's <dimension ref> widened to the owned columns (it sits before sheetData)."""
    def widen(m: re.Match[bytes]) -> bytes:
        return m.group(1) + widen_ref(m.group(2).decode(), max_col).encode() + b'"'

    return re.sub(rb'(<(?:\w+:)?dimension\s+ref=")([^"]*)"', widen, head, count=1)

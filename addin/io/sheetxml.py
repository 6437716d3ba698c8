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
from collections.abc import Callable, Iterable, Iterator, Mapping
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


def fast_cell(p: str, ref: str, value: Any, style: str | None, date_style: str | None) -> str:
    """cell_xml, with the common values (text, numbers) first and text escaped only when it must be:
    this runs for every cell the program writes."""
    kind = value.__class__
    if kind is str:
        text = value if value.isprintable() and "&" not in value and "<" not in value and ">" not in value \
            and "_x" not in value else _text(value)
        s = f' s="{style}"' if style is not None else ""
        return f'<{p}c r="{ref}"{s} t="inlineStr"><{p}is><{p}t xml:space="preserve">{text}</{p}t></{p}is></{p}c>'
    if kind is float or kind is int:
        s = f' s="{style}"' if style is not None else ""
        return f'<{p}c r="{ref}"{s}><{p}v>{value!r}</{p}v></{p}c>'
    return cell_xml(p, ref, value, style, date_style)


_ROOT = re.compile(rb"<(\w+:)?worksheet\b")
_ATTR = re.compile(rb'\s([\w:]+)="([^"]*)"')
_ROW_R = re.compile(rb'\sr="(\d+)"')
_CELL_REF = re.compile(rb'\sr="([A-Z]+)\d+"')
_CELL_STYLE = re.compile(rb'\ss="(\d+)"')
_LETTERS = re.compile(rb"[A-Z]+")


class SheetRewriter:
    """Replace the cells of `owned` columns on the rows given in `updates`.

    updates: sheet row number (1-based) -> {column index (0-based) -> value}, read once per
    row with .get (so a caller can compute each row's values only when it is written); a None
    value leaves the cell empty. Cells of owned columns on those rows that have no new
    value are removed; every other cell, row and element is copied as it was.
    """

    def __init__(self, xml: bytes | Iterable[bytes], updates: Mapping[int, Mapping[int, Any]], owned: set[int],
                 date_style: str | None, header_style_from: int | None = None,
                 formulas: Callable[[int, str], Any] | None = None):
        """xml: the sheet part, whole or as blocks that each end at the end of a row (sheetread.blocks),
        so that a large sheet is never held whole."""
        blocks = iter([xml] if isinstance(xml, bytes) else xml)
        first = next(blocks, b"")
        self.blocks = _chain(first, blocks)
        head = first[:4096]
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise SheetError("the sheet declares a DTD or entities: refused")
        m = _ROOT.search(head)
        if m is None:
            raise SheetError("not a worksheet part")
        self.prefix = (m.group(1) or b"").decode()
        p = re.escape(m.group(1) or b"")
        self.cell_re = re.compile(rb"<" + p + rb"c\b([^>]*?)(?:/>|>.*?</" + p + rb"c>)", re.S)
        self.updates, self.owned = updates, owned
        self.date_style = date_style
        self.header_style_from = header_style_from
        self.max_col = max(owned) if owned else 0
        self.min_owned = min(owned) if owned else 1 << 30
        self._open_r, self._contiguous = b"<" + (m.group(1) or b"") + b'c r="', len(owned) == self.max_col - self.min_owned + 1
        self._styled = re.compile(rb"<" + p + rb'c r="([A-Z]+)\d+" s="(\d+)"')  # (Excel writes r, then s)
        self._cell_open = re.compile(rb"<" + p + rb"c\b([^>]*)>")  # a cell's start tag (or its only one)
        self._cell_ref = re.compile(rb"<" + p + rb'c\b[^>]*?\sr="([A-Z]+)')
        self._no_ref = re.compile(rb"<" + p + rb'c(?=[\s>/])(?![^>]*\sr=")')
        self._columns: dict[bytes, int] = {}
        self._owned_letters = column_letters(self.min_owned).encode() if owned else b"?"
        self._tag_start = b"<" + (m.group(1) or b"") + b"c"
        self.formulas = formulas  # (sheet row, formula text) -> fresh value of an add-in function, or None
        self._formula = re.compile(rb"<" + p + rb"f\b[^>]*>(.*?)</" + p + rb"f>", re.S)
        self._owned_order = [(col, column_letters(col)) for col in sorted(owned)]

    def chunks(self, start_row: int | None = None, stop_row: int | None = None) -> Iterator[bytes]:
        """The new sheet part, in pieces of about 1 MiB (a large sheet is never built whole).

        start_row / stop_row: only the part from the start of the first row numbered start_row or
        more, to the end (tail included); or from the beginning to the start of the first row
        numbered stop_row or more. The two pieces, with the same split row, make the whole part:
        two processes can each write one half.

        Rows are found with bytes.find, not a regular expression: a row's end tag cannot occur
        inside cell text (a raw "<" is not allowed there), and this loop runs once per order row.
        """
        p = self.prefix.encode()
        open_tag, close_tag, data_close = b"<" + p + b"row", b"</" + p + b"row>", b"</" + p + b"sheetData"
        width = len(open_tag)
        next_row, head = 1, True
        emitting = start_row is None
        updates, row_attrs, pieces, size = self.updates, _ROW_R.search, [], 0
        for block in self.blocks:
            pos = cut = 0
            if head:  # the <dimension> sits before sheetData, in the first block
                head = False
                start = block.find(b"sheetData")
                pos = cut = start if start >= 0 else len(block)
                if emitting:
                    pieces.append(set_dimension(block[:cut], self.max_col))
            data_end = block.find(data_close, pos)
            if data_end < 0:
                data_end = len(block)
            if not emitting:  # a block wholly before start_row is passed over, not row by row
                last = block.rfind(open_tag + b' r="', pos, data_end)
                hit = _ROW_R.match(block, last + width) if last >= 0 else None
                if hit is not None and int(hit.group(1)) < start_row:  # type: ignore[operator]
                    next_row = int(hit.group(1)) + 1
                    continue
            find = block.find
            while True:
                at = find(open_tag, pos, data_end)
                if at < 0:
                    break
                if block[at + width:at + width + 1] not in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
                    pos = at + 1  # e.g. <rowBreaks> (not in sheetData)
                    continue
                gt = find(b">", at)
                attrs = block[at + width:gt]
                if attrs.endswith(b"/"):
                    attrs, body, end = attrs[:-1], b"", gt + 1
                else:
                    close = find(close_tag, gt)
                    if close < 0:
                        raise SheetError(f"row at byte {at} of a block has no end tag")
                    body, end = block[gt + 1:close], close + len(close_tag)
                hit = row_attrs(attrs)
                number = int(hit.group(1)) if hit else next_row
                next_row, pos = number + 1, end
                if stop_row is not None and number >= stop_row:
                    if emitting:
                        pieces.append(block[cut:at])
                    yield b"".join(pieces)
                    return
                if not emitting:
                    if number < start_row:  # type: ignore[operator]
                        continue
                    emitting, cut = True, at
                values = updates.get(number)
                if values is None:
                    continue
                row = self._row(attrs, body, number, values)
                pieces.append(block[cut:at])
                pieces.append(row)
                size += at - cut + len(row)
                cut = end
                if size >= 1 << 20:
                    yield b"".join(pieces)
                    pieces, size = [], 0
            if emitting:
                rest = block[cut:]
                pieces.append(widen_autofilter(rest, self.max_col) if b"autoFilter" in rest else rest)
                size += len(rest)
        yield b"".join(pieces)

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
            if at < 0:  # no owned cell yet: keep the row whole if its last cell is left of every owned column
                tag = self._tag_start + b' r="'
                last = body.rfind(tag)
                # Every "<c" opening a cell tag with r as its first attribute (as Excel, XlsxWriter and
                # LibreOffice write them) means every cell has its reference; text holds no raw "<".
                if last >= 0 and body.count(tag) == body.count(self._tag_start):
                    m = _LETTERS.match(body, last + len(tag))
                    if m and column_index(m.group().decode()) < self.min_owned:
                        return body, b""
        if self._no_ref.search(body):
            return b"", body
        for c in self._cell_ref.finditer(body):
            if self._column_of(c.group(1)) >= self.min_owned:
                return body[:c.start()], body[c.start():]
        return body, b""

    def _row(self, attrs: bytes, body: bytes, number: int, values: Mapping[int, Any]) -> bytes:
        keep, rest = self._split(body, number)
        if self.formulas is not None and b"WISH_" in keep:
            keep = self._fresh_formulas(keep, number)
        p = self.prefix.encode()
        if b"spans" in attrs:
            attrs = re.sub(rb'\sspans="[^"]*"', b"", attrs)
        styles: dict[int, str] | None = None if rest else {}  # a first run: no owned cell yet
        if rest and number != 1:
            styles = self._owned_styles(rest)
        if styles is not None and number != 1:  # nothing right of the owned cells but owned ones
            tail = self._new_cells(number, values, styles, None)
            return b"".join((b"<", p, b"row", attrs, b">", keep, "".join(tail.values()).encode(), b"</", p, b"row>"))
        kept: dict[int, bytes] = {}  # cells right of the first owned column that are not owned
        styles = {}
        col = -1
        # (On a second run: the owned cells.) A cell runs from its start tag to the next one: text holds
        # no raw "<", and a row holds only cells; matching each cell's end instead (a lazy .*?</c>)
        # costs a step per byte of its text, and the explanations are long.
        opens = list(self._cell_open.finditer(rest)) if rest else []
        for n, c in enumerate(opens):
            cattrs = c.group(1)
            ref = _CELL_REF.search(cattrs)
            col = self._column_of(ref.group(1)) if ref else col + 1
            if col in self.owned:
                style = _CELL_STYLE.search(cattrs)
                if style:
                    styles[col] = style.group(1).decode()
                continue
            whole = rest[c.start():opens[n + 1].start() if n + 1 < len(opens) else len(rest)]
            kept[col] = whole if ref else whole.replace(b"<" + p + b"c", f'<{self.prefix}c r="{column_letters(col)}'
                                                                         f'{number}"'.encode(), 1)
        header_style = None
        if self.header_style_from is not None and number == 1:
            ref = f' r="{column_letters(self.header_style_from)}1"'.encode()
            at = keep.find(ref)
            tag = keep[keep.rfind(b"<", 0, at):keep.find(b">", at)] if at >= 0 else b""
            hit = re.search(rb'\ss="(\d+)"', tag)
            header_style = hit.group(1).decode() if hit else None
        new = self._new_cells(number, values, styles, header_style if number == 1 else None)
        if kept:
            cells = {**{c: x.decode() for c, x in kept.items()}, **new}
            tail = "".join(cells[c] for c in sorted(cells))
        else:
            tail = "".join(new.values())
        return b"".join((b"<", p, b"row", attrs, b">", keep, tail.encode(), b"</", p, b"row>"))

    def _owned_styles(self, rest: bytes) -> dict[int, str] | None:
        """A second run's owned cells' styles, read at once when every cell of `rest` is owned (owned
        columns side by side, the last cell within them, tags `<c r=` with any style right after)."""
        last = rest.rfind(self._open_r)
        if not self._contiguous or last < 0 or rest.count(self._open_r) != rest.count(self._tag_start):
            return None
        letters = _LETTERS.match(rest, last + len(self._open_r))
        if letters is None or self._column_of(letters.group()) > self.max_col:
            return None
        styled = self._styled.findall(rest)
        if len(styled) != rest.count(b' s="'):
            return None
        return {self._column_of(ref): style.decode() for ref, style in styled}

    def _column_of(self, letters: bytes) -> int:
        col = self._columns.get(letters)
        if col is None:
            col = self._columns[letters] = column_index(letters.decode())
        return col

    def _new_cells(self, number: int, values: Mapping[int, Any], styles: dict[int, str] | None,
                   default_style: str | None) -> dict[int, str]:
        """The `<c>` elements of the row's new values, in column order (empty values have none).

        fast_cell written out for the common values (text, numbers), as this runs for every cell
        the program writes: a million orders have eight million."""
        p, row, out = self.prefix, str(number), {}
        get = values.get
        for col, letters in self._owned_order:
            value = get(col)
            if value is None:
                continue
            style = (styles.get(col, default_style) if styles else default_style) \
                if styles or default_style is not None else None
            kind = value.__class__
            if style is None and kind is str:
                if not value:
                    continue
                if not value.isprintable() or "&" in value or "<" in value or ">" in value or "_x" in value:
                    value = _text(value)
                out[col] = (f'<{p}c r="{letters}{row}" t="inlineStr"><{p}is><{p}t xml:space="preserve">{value}'
                            f'</{p}t></{p}is></{p}c>')
            elif style is None and (kind is float or kind is int):
                out[col] = f'<{p}c r="{letters}{row}"><{p}v>{value!r}</{p}v></{p}c>'
            elif kind is datetime and value.tzinfo is None and (style or self.date_style) is not None:
                delta = value - EXCEL_EPOCH  # excel_serial, written out
                serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
                out[col] = f'<{p}c r="{letters}{row}" s="{style or self.date_style}"><{p}v>{serial!r}</{p}v></{p}c>'
            elif value != "":
                out[col] = fast_cell(p, letters + row, value, style, self.date_style)
        return out


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


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

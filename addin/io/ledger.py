"""Rewriting the rows of an existing Fines sheet, keeping what the merchant wrote beside each fine.

The program owns the ledger's columns (FINE_COLUMNS); the merchant may add her own (an Appeal
Status, a note) and format the sheet. So only the rows of sheetData are made anew: each fine's
cells in the ledger's columns, and the merchant's cells of the same fine (matched by Fine ID)
copied as they were, moved to the fine's new row. Everything else in the part (widths, drop-downs,
conditional formats, print setup) keeps its bytes; a fine that no longer applies but has the
merchant's notes keeps its row, at the end, and is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from addin.domain.present import FINE_COLUMNS
from addin.domain.present_batch import BatchLedger
from addin.io.inplace import FINE_ROWS
from addin.io.package import Package
from addin.io.sheetread import SharedOnDemand, blocks, value
from addin.io.sheetxml import cell_xml, column_index, column_letters, widen_ref

_ROW = re.compile(rb"<((?:\w+:)?)row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>.*?</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb'\sr="([A-Z]+)(\d+)"')


def _cells(row_body: bytes) -> dict[int, bytes]:
    out = {}
    for c in _CELL.finditer(row_body or b""):
        ref = _REF.search(c.group(1))
        if ref:
            out[column_index(ref.group(1).decode())] = c.group(0)
    return out


def _style(cell: bytes | None) -> str | None:
    hit = re.search(rb'\ss="(\d+)"', cell or b"")
    return hit.group(1).decode() if hit else None


class LedgerRewrite:
    """The new Fines part (and its Table parts) for the ledger's rows, and notes for the merchant.

    Made in two passes, neither holding the sheet: __init__ reads the old part once, a block of
    rows at a time, keeping its head and tail (all but sheetData), its header row, the styles of
    its first fine, and only the rows where the merchant wrote in her own columns; chunks() then
    writes the new part, FINE_ROWS fines at a time. A ledger of 190,000 fines (a million orders)
    was 700 MB held whole.
    """

    def __init__(self, pkg: Package, part: str, rows: BatchLedger, date_style: str | None):
        self.rows, self.date_style = rows, date_style
        self.shared = SharedOnDemand(pkg)
        self.prefix = ""
        self.header: bytes | None = None
        self.col_of: dict[str, int] = {}
        self.theirs: list[int] = []
        self.styles: dict[int, str | None] = {}
        self.mine: dict[int, tuple[Any, dict[int, bytes]]] = {}  # row -> (its Fine ID, its cells): rows with her cells
        head, tail = self._read(pkg, part)
        if self.header is None:  # no header row at all
            self._columns({}, None)
        id_col = self.col_of["Fine ID"]
        self.mine = {number: (_value_of(cells.get(id_col), self.shared), cells)
                     for number, (_, cells) in self.mine.items()}
        self.row_of = {str(fid): number for number, (fid, _) in self.mine.items() if fid not in (None, "")}
        wanted = set(self.row_of)
        found = {fid for fid in rows.fine_ids() if fid in wanted} if wanted else set()  # (not its rows: made once)
        used = {self.row_of[fid] for fid in found}
        self.kept = [number for number in sorted(self.mine) if number not in used]
        self.last_row = 1 + len(rows) + len(self.kept)
        self.notes = [f"Fines: fine {'?' if self.mine[old][0] is None else self.mine[old][0]} no longer applies; "
                      f"the row with your notes is kept as row {len(rows) + 2 + k}" for k, old in enumerate(self.kept)]
        rng = f"A1:{column_letters(max(self.col_of.values()))}{max(self.last_row, 2)}".encode()
        self.head = re.sub(rb'(<(?:\w+:)?dimension\s+ref=")[^"]*(")', lambda m: m.group(1) + rng + m.group(2), head, 1)
        self.tail = re.sub(rb'(<(?:\w+:)?autoFilter\s+ref=")[^"]*(")', lambda m: m.group(1) + rng + m.group(2), tail, 1)
        self.tables = self._tables(pkg, part)

    def _read(self, pkg: Package, part: str) -> tuple[bytes, bytes]:
        """One pass over the old part, a block at a time: its head and tail; the header, the first
        fine's styles and the merchant's rows kept on self."""
        head, tail, state = [], [], "head"
        last_row = [0]
        for block in blocks(pkg, part):
            pos = 0
            if state == "head":
                m = _SHEET_DATA.search(block)
                if m is None:
                    head.append(block)
                    continue
                head.append(block[:m.start()])
                root = re.search(rb"<(\w+:)?worksheet\b", b"".join(head)[:4096])
                self.prefix = (root.group(1) or b"").decode() if root else ""
                pos, state = m.end(), "tail" if m.group(0).endswith(b"/>") else "rows"
            if state == "tail":
                tail.append(block[pos:])
                continue
            if state == "passed":  # no column of hers: the rows after the first fine are not looked at
                at = block.find(b"sheetData>", pos)  # (a byte scan; the pattern's "</" is in every end tag)
                end = _DATA_END.search(block, max(pos, at - 64)) if at >= 0 else None
                if end:
                    state = "tail"
                    tail.append(block[end.end():])
                continue
            end = _DATA_END.search(block, pos)
            for number, m in _numbered(_ROW.finditer(block, pos, end.start() if end else len(block)), last_row):
                body = m.group(3) or b""
                if number == 1:
                    self.header = m.group(0)
                    self._columns(_cells(body), self.shared)
                    continue
                if self.header is None and not self.col_of:
                    self._columns({}, None)
                if number == 2:
                    first = _cells(body)
                    self.styles = {col: _style(first.get(col)) for col in self.owned}
                if not self.theirs_refs and number >= 2:
                    state = "passed"
                    break
                if any(ref + str(number).encode() + b'"' in body for ref in self.theirs_refs):
                    cells = _cells(body)
                    if any(c in cells for c in self.theirs):
                        self.mine[number] = (None, cells)
            if end:
                state = "tail"
                tail.append(block[end.end():])
        return b"".join(head), b"".join(tail)

    def _columns(self, header_cells: dict[int, bytes], shared: Any) -> None:
        """The ledger's columns from the header row: where each of the program's is (a deleted one
        comes back at the end), which are the merchant's, and the header row to write."""
        headers = {c: _value_of(x, shared) for c, x in header_cells.items()}
        col_of = {str(h).strip(): c for c, h in sorted(headers.items()) if h not in (None, "")}
        nxt = max(col_of.values(), default=-1) + 1
        for name in FINE_COLUMNS:
            if name not in col_of:
                col_of[name], nxt = nxt, nxt + 1
        self.col_of = col_of
        self.owned = {col_of[name] for name in FINE_COLUMNS}
        self.theirs = sorted(set(col_of.values()) - self.owned)
        self.theirs_refs = [f' r="{column_letters(c)}'.encode() for c in self.theirs]
        present = {str(h).strip() for h in headers.values() if h not in (None, "")}
        if self.header is None or not all(n in present for n in FINE_COLUMNS):
            cells = dict(header_cells)
            for n in FINE_COLUMNS:
                if n not in present:
                    cells[col_of[n]] = cell_xml(self.prefix, f"{column_letters(col_of[n])}1", n, None, None).encode()
            self.header = _row(self.prefix, 1, cells)

    def chunks(self) -> Iterator[bytes]:
        """The new part, in pieces."""
        p, col_of, theirs, styles, date_style = self.prefix, self.col_of, self.theirs, self.styles, self.date_style
        letters = {col: column_letters(col) for col in col_of.values()}
        yield self.head + b"<" + p.encode() + b"sheetData>" + (self.header or b"")
        out: list[bytes] = []
        for r, fine in enumerate(self.rows, start=2):
            cells = {}
            for name in FINE_COLUMNS:
                value = fine.get(name)
                if value not in (None, ""):
                    col = col_of[name]
                    cells[col] = cell_xml(p, f"{letters[col]}{r}", value, styles.get(col), date_style).encode()
            old = self.row_of.get(str(fine.get("Fine ID"))) if self.row_of else None
            if old is not None:
                mine = self.mine[old][1]
                cells.update({c: _moved(mine[c], c, r) for c in theirs if c in mine})
            out.append(_row(p, r, cells))
            if len(out) == FINE_ROWS:
                yield b"".join(out)
                out = []
        for k, old in enumerate(self.kept):  # fines that no longer apply but carry the merchant's notes
            r = len(self.rows) + 2 + k
            out.append(_row(p, r, {c: _moved(x, c, r) for c, x in self.mine[old][1].items()}))
        yield b"".join(out) + b"</" + p.encode() + b"sheetData>" + self.tail

    def _tables(self, pkg: Package, part: str) -> dict[str, bytes]:
        changed = {}
        r = self.last_row
        for table in pkg.tables(part):
            data = pkg.read(table)
            ref = re.search(rb'\sref="([A-Z]+\d+:[A-Z]+\d+)"', data)
            if ref:
                old_ref = ref.group(1).decode()
                end_col = re.match(r"[A-Z]+\d+:([A-Z]+)", old_ref).group(1)
                new_ref = f"{old_ref.split(':')[0]}:{end_col}{max(r, 2)}"
                new_ref = widen_ref(new_ref, max(self.col_of.values()))
                data = data.replace(ref.group(0), f' ref="{new_ref}"'.encode(), 1)
                data = re.sub(rb'(<(?:\w+:)?autoFilter\s+ref=")[^"]*(")',
                              lambda m: m.group(1) + new_ref.encode() + m.group(2), data, 1)
                changed[table] = data
        return changed


_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData\s*/>|<(?:\w+:)?sheetData\b[^>]*>")
_DATA_END = re.compile(rb"</(?:\w+:)?sheetData>")
_CELL_PARTS = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)


def _numbered(rows: Iterator[re.Match[bytes]], seen: list[int]) -> Iterator[tuple[int, re.Match[bytes]]]:
    """Each row with its number: its r attribute, or the one after the row before (seen[0]: the last
    number seen, carried from block to block)."""
    last = seen[0]
    for m in rows:
        hit = _ROW_NUMBER.search(m.group(2))
        last = int(hit.group(1)) if hit else last + 1
        yield last, m
    seen[0] = last


_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')


def _value_of(cell: bytes | None, shared: Any) -> Any:
    """A cell's value as python-calamine shows it (text of shared or inline strings, numbers)."""
    if cell is None:
        return None
    m = _CELL_PARTS.match(cell)
    return value(m.group(1), m.group(2) or b"", shared, frozenset()) if m else None


def _moved(cell: bytes, col: int, row: int) -> bytes:
    return _REF.sub(f' r="{column_letters(col)}{row}"'.encode(), cell, 1)


def _row(prefix: str, number: int, cells: Mapping[int, bytes]) -> bytes:
    return f'<{prefix}row r="{number}">'.encode() + b"".join(cells[c] for c in sorted(cells)) + \
        f"</{prefix}row>".encode()

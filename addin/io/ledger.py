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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from addin.domain.present import FINE_COLUMNS
from addin.io.package import Package
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


def rewrite_ledger(pkg: Package, part: str, values: Sequence[Sequence[Any]], rows: Iterable[Mapping[str, Any]],
                   date_style: str | None) -> tuple[dict[str, bytes], list[str]]:
    """New bytes for the Fines part (and its Table parts), and notes for the merchant.

    `values` is the sheet as read (header row first), for its headers and Fine IDs.
    """
    xml = pkg.read(part)
    root = re.search(rb"<(\w+:)?worksheet\b", xml[:4096])
    prefix = (root.group(1) or b"").decode() if root else ""
    headers = list(values[0]) if values else []
    col_of = {str(h).strip(): i for i, h in enumerate(headers) if h not in (None, "")}
    nxt = max(col_of.values(), default=-1) + 1
    for name in FINE_COLUMNS:  # a ledger column the merchant deleted comes back at the end
        if name not in col_of:
            col_of[name], nxt = nxt, nxt + 1
    owned = {col_of[name] for name in FINE_COLUMNS}
    theirs = sorted(set(col_of.values()) - owned)
    old_rows = {int(m.group(2).split(b'r="')[1].split(b'"')[0]) if b'r="' in m.group(2) else i + 1: m
                for i, m in enumerate(_ROW.finditer(xml))}
    id_col = col_of["Fine ID"]
    sheet_row_of = {str(r[id_col]): n for n, r in enumerate(values[1:], start=2)
                    if id_col < len(r) and r[id_col] not in (None, "")}
    first = _cells(old_rows[2].group(3)) if 2 in old_rows else {}
    styles = {col: _style(first.get(col)) for col in owned}
    header = old_rows.get(1)
    present = {str(h).strip() for h in headers}
    if header is not None and all(n in present for n in FINE_COLUMNS):
        out_rows = [header.group(0)]  # the merchant's header row, as it was
    else:
        cells = _cells(header.group(3)) if header is not None else {}
        for n in FINE_COLUMNS:
            if n not in present:
                cells[col_of[n]] = cell_xml(prefix, f"{column_letters(col_of[n])}1", n, None, None).encode()
        out_rows = [_row(prefix, 1, cells)]
    used: set[int] = set()
    r = 1
    for fine in rows:
        r += 1
        cells = {}
        for name in FINE_COLUMNS:
            value = fine.get(name)
            if value not in (None, ""):
                col = col_of[name]
                cells[col] = cell_xml(prefix, f"{column_letters(col)}{r}", value, styles.get(col), date_style).encode()
        old = sheet_row_of.get(str(fine.get("Fine ID")))
        if old is not None and old in old_rows:
            used.add(old)
            mine = _cells(old_rows[old].group(3))
            cells.update({c: _moved(mine[c], c, r) for c in theirs if c in mine})
        out_rows.append(_row(prefix, r, cells))
    notes = []
    for old, m in sorted(old_rows.items()):  # fines that no longer apply but carry the merchant's notes
        if old == 1 or old in used:
            continue
        mine = {c: x for c, x in _cells(m.group(3)).items() if c in theirs}
        if mine:
            r += 1
            kept = {c: _moved(x, c, r) for c, x in _cells(m.group(3)).items()}
            out_rows.append(_row(prefix, r, kept))
            fid = values[old - 1][id_col] if old - 1 < len(values) and id_col < len(values[old - 1]) else "?"
            notes.append(f"Fines: fine {fid} no longer applies; the row with your notes is kept as row {r}")
    last = column_letters(max(col_of.values()))
    body = b"".join(out_rows)
    start = re.search(rb"<(?:\w+:)?sheetData\s*/>|<(?:\w+:)?sheetData\b[^>]*>.*?</(?:\w+:)?sheetData>", xml, re.S)
    p = prefix.encode()
    new = xml[:start.start()] + b"<" + p + b"sheetData>" + body + b"</" + p + b"sheetData>" + xml[start.end():]
    rng = f"A1:{last}{max(r, 2)}"
    new = re.sub(rb'(<(?:\w+:)?dimension\s+ref=")[^"]*(")', lambda m: m.group(1) + rng.encode() + m.group(2), new, 1)
    new = re.sub(rb'(<(?:\w+:)?autoFilter\s+ref=")[^"]*(")', lambda m: m.group(1) + rng.encode() + m.group(2), new, 1)
    changed = {part: new}
    for table in pkg.tables(part):
        data = pkg.read(table)
        ref = re.search(rb'\sref="([A-Z]+\d+:[A-Z]+\d+)"', data)
        if ref:
            old_ref = ref.group(1).decode()
            end_col = re.match(r"[A-Z]+\d+:([A-Z]+)", old_ref).group(1)
            new_ref = f"{old_ref.split(':')[0]}:{end_col}{max(r, 2)}"
            new_ref = widen_ref(new_ref, max(col_of.values()))
            data = data.replace(ref.group(0), f' ref="{new_ref}"'.encode(), 1)
            data = re.sub(rb'(<(?:\w+:)?autoFilter\s+ref=")[^"]*(")',
                          lambda m: m.group(1) + new_ref.encode() + m.group(2), data, 1)
            changed[table] = data
    return changed, notes


def _moved(cell: bytes, col: int, row: int) -> bytes:
    return _REF.sub(f' r="{column_letters(col)}{row}"'.encode(), cell, 1)


def _row(prefix: str, number: int, cells: Mapping[int, bytes]) -> bytes:
    return f'<{prefix}row r="{number}">'.encode() + b"".join(cells[c] for c in sorted(cells)) + \
        f"</{prefix}row>".encode()

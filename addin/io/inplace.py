"""Bringing a merchant's workbook up to date in place, touching only what the program owns.

Owned: the computed columns of the Orders sheet (its sheet part) and the Fines
sheet. Every other zip part comes out with the same bytes, in the same order.
Parts that must change only when the workbook gains something (a Fines sheet,
computed columns added to a Table) are edited minimally: the workbook part and
its relationships, [Content_Types].xml, the Table part. The new file is written
beside the old one and renamed over it, so a crash leaves the original intact.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from itertools import chain
from typing import Any, Iterator

from addin.domain.present import FINE_COLUMNS, OUTPUT_COLUMNS
from addin.io.deflate import Halves, Ready, write_halves, write_ready
from addin.io.package import DATE_FORMAT_IDS, MAIN, Package, PackageError
from addin.io.sheetxml import SheetRewriter, column_letters, fast_cell, widen_ref
from addin.io.writer import atomic_path

FINES_SHEET = "Fines"
EXCEL_ROWS = 1_048_576  # the rows of a sheet, header included (Excel 2007 and later): what is written must fit
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # new parts get a fixed date: two runs give the same bytes
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


class LockedError(Exception):
    """The workbook is open in Excel or being written by another recalculation."""


@contextmanager
def workbook_lock(path: Path) -> Iterator[None]:
    """Refuse a workbook Excel has open (its ~$ owner file) or another wishxl is writing (our lock file)."""
    owner = path.with_name("~$" + path.name)
    if owner.exists():
        raise LockedError(f"{path}: open in Excel (lock file {owner.name}); close it and run again")
    lock = path.with_name(f".{path.name}.wishxl.lock")
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        if _stale(lock):
            lock.unlink(missing_ok=True)
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        else:
            raise LockedError(f"{path}: another recalculation is writing it (lock file {lock.name})") from None
    try:
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        yield
    finally:
        lock.unlink(missing_ok=True)


def _stale(lock: Path) -> bool:
    """A lock left by a process that no longer runs."""
    try:
        pid = int(lock.read_text().strip() or 0)
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError, FileNotFoundError):
        return True
    except PermissionError:
        return False
    return False


def date_style(pkg: Package) -> tuple[str | None, bytes | None]:
    """The index of a cell style with a date-time format, and new styles.xml bytes only if one had to be added."""
    part = pkg.styles_part()
    if part is None:
        return None, None
    formats = pkg.cell_formats()
    best = None
    for i, (fid, custom) in enumerate(formats):
        code = custom or ""
        is_date = int(fid) in DATE_FORMAT_IDS if fid.isdigit() and custom is None else \
            bool(re.search(r"[yd]", re.sub(r'"[^"]*"|\[[^]]*]', "", code), re.I))
        if is_date and (best is None or "h" in code.lower() or fid == "22"):
            best = str(i)
            if "h" in code.lower() or fid == "22":
                break
    if best is not None:
        return best, None
    # No date style in the workbook: add one (built-in 22, m/d/yyyy h:mm). The only case styles.xml changes.
    data = pkg.read(part)
    count = len(formats)
    new = re.sub(rb"(<(?:\w+:)?cellXfs\b[^>]*count=\")(\d+)(\")", lambda m: m.group(1) + str(count + 1).encode()
                 + m.group(3), data, count=1)
    new = re.sub(rb"(</(?:\w+:)?cellXfs>)", b'<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" '
                 b'applyNumberFormat="1"/>' + rb"\1", new, count=1)
    return str(count), new


def fines_sheet_xml(rows: Collection[Mapping[str, Any]], style: str | None) -> Iterator[bytes]:
    """The Fines ledger as a worksheet part of its own (the program owns all of it), in pieces of
    FINE_ROWS rows: 190,000 fines of a million orders never make one 130 MB string."""
    last = column_letters(len(FINE_COLUMNS) - 1)
    yield (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
           f'<dimension ref="A1:{last}{len(rows) + 1}"/><sheetViews><sheetView workbookViewId="0">'
           f'<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
           f'<sheetFormatPr defaultRowHeight="15"/><cols><col min="1" max="{len(FINE_COLUMNS)}" width="20" '
           f'customWidth="1"/></cols><sheetData>').encode()
    letters = [column_letters(c) for c in range(len(FINE_COLUMNS))]
    out = []
    for r, values in enumerate(chain([dict(zip(FINE_COLUMNS, FINE_COLUMNS))], rows), start=1):
        cells = "".join(fast_cell("", f"{letters[c]}{r}", value, None, style)
                        for c, value in enumerate(map(values.get, FINE_COLUMNS)) if value is not None and value != "")
        out.append(f'<row r="{r}">{cells}</row>')
        if len(out) == FINE_ROWS:
            yield "".join(out).encode()
            out = []
    yield "".join(out).encode()
    yield f'</sheetData><autoFilter ref="A1:{last}{max(len(rows) + 1, 2)}"/></worksheet>'.encode()


FINE_ROWS = 5000


def update_tables(pkg: Package, sheet_part: str, header_row: int, added: Sequence[tuple[int, str]],
                  max_col: int) -> dict[str, bytes]:
    """Tables on the Orders header row grow to cover the computed columns appended after them."""
    changed = {}
    for part in pkg.tables(sheet_part):
        data = pkg.read(part)
        m = re.search(rb'\sref="([A-Z]+)(\d+):([A-Z]+)(\d+)"', data)
        if m is None or int(m.group(2)) != header_row:
            continue
        new_ref = widen_ref(m.group(0).split(b'"')[1].decode(), max_col)
        data = data.replace(m.group(0), f' ref="{new_ref}"'.encode(), 1)
        data = re.sub(rb'(<(?:\w+:)?autoFilter\s+ref=")[^"]*(")', lambda x: x.group(1) + new_ref.encode()
                      + x.group(2), data, count=1)
        ids = [int(i) for i in re.findall(rb'<(?:\w+:)?tableColumn\b[^>]*\sid="(\d+)"', data)]
        extra = "".join(f'<tableColumn id="{max(ids, default=0) + k + 1}" name="{name}"/>'
                        for k, (_, name) in enumerate(added)).encode()
        data = re.sub(rb"</((?:\w+:)?)tableColumns>", lambda x: extra + x.group(0), data, count=1)
        data = re.sub(rb'(<(?:\w+:)?tableColumns\s+count=")(\d+)(")',
                      lambda x: x.group(1) + str(len(ids) + len(added)).encode() + x.group(3), data, count=1)
        changed[part] = data
    return changed


def add_sheet(pkg: Package, name: str) -> tuple[str, dict[str, bytes]]:
    """A new worksheet part for `name`, and the edited workbook, relationships and content-type parts."""
    existing = set(pkg.infos)
    n = 1
    while f"xl/worksheets/sheet{n}.xml" in existing:
        n += 1
    part = f"xl/worksheets/sheet{n}.xml"
    wb_part = pkg.workbook_part
    folder, base = wb_part.rsplit("/", 1)
    rels_part = f"{folder}/_rels/{base}.rels"
    rels = pkg.read(rels_part)
    rid_numbers = [int(x) for x in re.findall(rb'Id="rId(\d+)"', rels)]
    rid = f"rId{max(rid_numbers, default=0) + 1}"
    target = os.path.relpath(part, folder).replace(os.sep, "/")
    rels = rels.replace(b"</Relationships>", f'<Relationship Id="{rid}" Type="{WORKSHEET_REL}" '
                        f'Target="{target}"/></Relationships>'.encode(), 1)
    wb = pkg.read(wb_part)
    sheet_ids = [int(x) for x in re.findall(rb'<(?:\w+:)?sheet\b[^>]*\ssheetId="(\d+)"', wb)]
    m = re.search(rb"</((?:\w+:)?)sheets>", wb)
    if m is None:
        raise PackageError(f"{pkg.path}: the workbook part lists no sheets")
    prefix = m.group(1).decode()
    wb = wb[:m.start()] + (f'<{prefix}sheet name="{name}" sheetId="{max(sheet_ids, default=0) + 1}" '
                           f'r:id="{rid}"/>').encode() + wb[m.start():]
    types = pkg.read("[Content_Types].xml").replace(
        b"</Types>", f'<Override PartName="/{part}" ContentType="{WORKSHEET_CT}"/></Types>'.encode(), 1)
    return part, {rels_part: rels, wb_part: wb, "[Content_Types].xml": types}


def mark_full_calculation(workbook_xml: bytes) -> bytes:
    """workbook.xml with <calcPr fullCalcOnLoad="1">, so Excel recomputes the merchant's own formulas
    (which may read the columns just rewritten) when it opens the file. Unchanged when already marked."""
    m = re.search(rb"<((?:\w+:)?)calcPr\b([^>]*?)(/?)>", workbook_xml)
    if m is None:
        end = re.search(rb"</((?:\w+:)?)workbook>", workbook_xml)
        if end is None:
            return workbook_xml
        tag = f'<{end.group(1).decode()}calcPr fullCalcOnLoad="1"/>'.encode()
        return workbook_xml[:end.start()] + tag + workbook_xml[end.start():]
    attrs = m.group(2)
    if b'fullCalcOnLoad="1"' in attrs:
        return workbook_xml
    attrs = re.sub(rb'\sfullCalcOnLoad="[^"]*"', b"", attrs) + b' fullCalcOnLoad="1"'
    return workbook_xml[:m.start()] + b"<" + m.group(1) + b"calcPr" + attrs + m.group(3) + b">" + \
        workbook_xml[m.end():]


def write_package(pkg: Package, target: Path, replaced: Mapping[str, Any], added: Mapping[str, bytes],
                  may_grow: Mapping[str, int] | None = None) -> None:
    """Write the package to `target` atomically: replaced parts get new content (bytes or an iterable of
    chunks), added parts go at the end, every other part is copied with the same content, name and order.

    may_grow: part -> how many bytes its new content may add to its old size (a new part: its
    whole size). zipfile writes a member's header before its data, so a member that may pass 2 GiB
    must be opened as zip64 up front (past 1 GiB, to be safe); others stay plain zip, as Excel
    writes them."""
    grow = may_grow or {}
    tmp, commit, abort = atomic_path(target)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as out:
            for info in pkg.zip.infolist():
                new = replaced.get(info.filename)
                copy = zipfile.ZipInfo(info.filename, info.date_time)
                copy.compress_type, copy.external_attr = info.compress_type, info.external_attr
                large = info.file_size + grow.get(info.filename, 0) > 1 << 30
                if new is None:
                    with pkg.zip.open(info) as src, out.open(copy, "w", force_zip64=large) as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                else:
                    _write(out, copy, new, large)
            for name, data in added.items():
                _write(out, zipfile.ZipInfo(name, FIXED_TIME), data, grow.get(name, 0) > 1 << 30)
        commit()
    except BaseException:
        abort()
        raise


def _write(out: zipfile.ZipFile, info: zipfile.ZipInfo, content: bytes | Iterable[bytes], large: bool) -> None:
    """A new part: bytes deflated by zipfile (as the parts copied are); chunks (a rewritten sheet)
    gathered into 1 MiB blocks and deflated at deflate.LEVEL (less than half of level 6's time for a
    fifth more bytes) on a second thread, with zlib-ng (io/deflate.py), which gives the same bytes
    however the content comes in pieces."""
    info.compress_type = zipfile.ZIP_DEFLATED
    with out.open(info, "w", force_zip64=large) as dst:
        if isinstance(content, bytes):
            dst.write(content)
        elif isinstance(content, Ready):
            write_ready(dst, content)
        else:
            write_halves(dst, content if isinstance(content, Halves) else Halves(content, None))


def owned_columns(headers: Sequence[Any], computed: Mapping[str, int]) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Where each computed column goes: where it already is, else appended after the last header."""
    where = dict(computed)
    added = []
    nxt = max((i for i, h in enumerate(headers) if h not in (None, "")), default=-1) + 1
    for name in OUTPUT_COLUMNS:
        if name not in where:
            where[name] = nxt
            added.append((nxt, name))
            nxt += 1
    return where, added


__all__ = ["LockedError", "workbook_lock", "date_style", "fines_sheet_xml", "update_tables", "add_sheet",
           "write_package", "owned_columns", "SheetRewriter", "FINES_SHEET", "EXCEL_ROWS"]

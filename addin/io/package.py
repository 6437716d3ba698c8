"""An .xlsx/.xlsm file as a package of zip parts, opened defensively.

A merchant's workbook is only ever read part by part here: bad files (not a
zip, truncated, an .xls, a zip bomb, an XML entity bomb) are refused with one
message naming the file, before anything else reads them. Small XML parts
(workbook, relationships, tables, styles) are parsed with defusedxml; the
big sheet parts are streamed by sheetxml.py, which refuses DOCTYPEs itself.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an .xls (or an encrypted .xlsx) is an OLE file, not a zip
# An Orders sheet of a million orders is about 1.2 GB; once recalculated, with an explanation on every
# row, about 2.1 GB, and Excel's last row (1,048,576) bounds it: a part is refused above 4 GiB (a zip
# needs zip64 for more), a workbook above 8 GiB. (2 GiB refused the program's own file at 1.04M orders.)
MAX_PART = 4 << 30
MAX_TOTAL = 8 << 30
MAX_RATIO = 200             # a part inflating more than 200x its stored size (and over 16 MiB) is a bomb
DATE_FORMAT_IDS = frozenset(set(range(14, 23)) | {45, 46, 47})  # Excel's built-in date and time formats


class PackageError(Exception):
    """A workbook that cannot be used; the message names the file (and part)."""


@dataclass(frozen=True)
class SheetRef:
    name: str
    part: str       # e.g. xl/worksheets/sheet1.xml
    rid: str
    sheet_id: str


def q(tag: str, ns: str = MAIN) -> str:
    return f"{{{ns}}}{tag}"


class Package:
    """The zip parts of one workbook, checked once when opened."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(8)
        except FileNotFoundError:
            raise PackageError(f"{self.path}: file not found") from None
        except OSError as e:
            raise PackageError(f"{self.path}: cannot read ({e.strerror or e})") from None
        if head.startswith(OLE_MAGIC):
            raise PackageError(f"{self.path}: an .xls (Excel 97-2003) or password-protected workbook; "
                               "save it as .xlsx or .xlsm without a password")
        try:
            self.zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
            raise PackageError(f"{self.path}: not a readable .xlsx/.xlsm (broken or truncated zip: {e})") from None
        # Parts are checked against their CRC as they are read (zipfile raises then), not all up front.
        self.infos = {info.filename: info for info in self.zip.infolist()}
        self._parts: dict[str, bytes] = {}
        total = 0
        for info in self.infos.values():
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > MAX_PART or total > MAX_TOTAL or (info.file_size > 16 << 20 and ratio > MAX_RATIO):
                raise PackageError(f"{self.path}: part {info.filename} inflates to {info.file_size:,} bytes "
                                   f"({ratio:,.0f}x): refused as a zip bomb")
        if "[Content_Types].xml" not in self.infos:
            raise PackageError(f"{self.path}: not an Excel workbook (no [Content_Types].xml)")
        self.workbook_part = self._workbook_part()

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def read(self, name: str) -> bytes:
        """A part's bytes, inflated once per package: the reader and the rewriter of one recalculation
        both need the Orders sheet, the workbook part and its relationships."""
        hit = self._parts.get(name)
        if hit is not None:
            return hit
        try:
            data = self._parts[name] = self.zip.read(name)
            return data
        except KeyError:
            raise PackageError(f"{self.path}: part {name} is missing") from None
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as e:
            raise PackageError(f"{self.path}: part {name} is damaged ({e})") from None

    def xml(self, name: str) -> Element:
        """A small XML part, parsed safely (no DTDs, no entities)."""
        try:
            return SafeET.fromstring(self.read(name))
        except DefusedXmlException:
            raise PackageError(f"{self.path}: part {name} declares a DTD or entities: refused") from None
        except SafeET.ParseError as e:
            raise PackageError(f"{self.path}: part {name} is not well-formed XML ({e})") from None

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, target part) of a part."""
        folder, base = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", base + ".rels")
        if rels_part not in self.infos:
            return {}
        out = {}
        for rel in self.xml(rels_part).iter(q("Relationship", PKG_REL)):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], path)
        return out

    def _workbook_part(self) -> str:
        for _, (kind, target) in self.rels("").items():
            if kind == "officeDocument":
                return target
        raise PackageError(f"{self.path}: no workbook part in the package")

    def sheets(self) -> list[SheetRef]:
        rels = self.rels(self.workbook_part)
        out = []
        for sheet in self.xml(self.workbook_part).iter(q("sheet")):
            rid = sheet.get(q("id", REL), "")
            if rid in rels and rels[rid][0] == "worksheet":
                out.append(SheetRef(sheet.get("name", ""), rels[rid][1], rid, sheet.get("sheetId", "")))
        return out

    def sheet(self, name: str) -> SheetRef | None:
        sheets = self.sheets()
        return next((s for s in sheets if s.name == name), None) or \
            next((s for s in sheets if s.name.strip().casefold() == name.casefold()), None)

    def styles_part(self) -> str | None:
        return next((t for k, t in self.rels(self.workbook_part).values() if k == "styles"), None)

    def cell_formats(self) -> list[tuple[str, str | None]]:
        """Each cell style (xf) in order: its number format id and, for a custom format, its code
        (None: one of Excel's built-in formats)."""
        part = self.styles_part()
        if part is None:
            return []
        root = self.xml(part)
        custom = {nf.get("numFmtId"): nf.get("formatCode", "") for nf in root.iter(q("numFmt"))}
        xfs = root.find(q("cellXfs"))
        return [(xf.get("numFmtId", "0"), custom.get(xf.get("numFmtId", "0"))) for xf in
                (xfs if xfs is not None else [])]

    def tables(self, sheet_part: str) -> list[str]:
        return [target for kind, target in self.rels(sheet_part).values() if kind == "table"]

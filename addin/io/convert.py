"""One field's cells as typed values, a column at a time.

Every reader (a workbook streamed or read with python-calamine, a CSV, Excel through xlwings)
hands a field's raw cells here. The usual columns (numbers in a number column, datetimes in a
date column, plain strings in a text column) are checked and taken whole; any other cell goes
through io/cells.py, once per distinct value, and a cell that does not fit becomes None and an
issue on its order naming the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from addin.domain.messages import CATALOG, say
from addin.domain.model import ERROR, WARNING, Issue, RuleSet
from addin.io.cells import CONVERTERS, CellError, excel_error


def fold(header: Any) -> str:
    """A header or value as compared: without spaces or underscores, case folded."""
    return "".join(str(header).split()).replace("_", "").casefold()


def convert_column(name: str, raw: list[Any], rules: RuleSet, language: str, issues: dict[int, list[Issue]],
                    bad: dict[str, list[int]]) -> list[Any]:
    """One field's cells as typed values; a cell that does not fit is None and an issue on its order.

    Cells of the usual kind (a float in a number column, a datetime in a date column, a plain
    string in a text column) take a fast path, checked a column at a time; any other goes through
    io/cells.py, once per distinct value.
    """
    fdef = rules.fields[name]
    kind = fdef.type
    types = set(map(type, raw))
    if kind in ("number", "integer") and types <= _NUMBER_CELLS and not _strings(raw).strip("\x00"):
        typed = [None if v is None or v == "" else float(v) for v in raw]
        if kind == "number" or all(v is None or v.is_integer() for v in typed):
            return [v if v is None or kind == "number" else int(v) for v in typed]
    elif kind == "datetime" and types <= _DATETIME_CELLS and not _strings(raw).strip("\x00"):
        return [None if v is None or v == "" else v for v in raw]
    elif kind == "text" and fdef.values is None and fdef.synonyms is None and types <= _TEXT_CELLS:
        joined = _strings(raw)
        if not joined.startswith("#") and "\x00#" not in joined:
            return [(v.strip() or None) if v is not None else None for v in raw]
    return _convert_cells(name, raw, rules, language, issues, bad, types)


_NUMBER_CELLS = {float, int, type(None), str}
_DATETIME_CELLS = {datetime, type(None), str}
_TEXT_CELLS = {str, type(None)}


def _strings(raw: list[Any]) -> str:
    """The column's text cells joined by NUL (which no cell holds): one C-level scan checks them all."""
    return "\x00".join([v for v in raw if v.__class__ is str])


def _convert_cells(name: str, raw: list[Any], rules: RuleSet, language: str, issues: dict[int, list[Issue]],
                   bad: dict[str, list[int]], types: set[type]) -> list[Any]:
    fdef = rules.fields[name]
    convert, allowed, synonyms, zones = CONVERTERS[fdef.type], fdef.values, fdef.synonyms, rules.zones
    label = fdef.label(language)

    def one(value: Any) -> tuple[Any, Issue | None]:
        return _convert_cell(value, convert, allowed, synonyms, zones, label, language, name)

    if types <= _TEXT_CELLS:  # a column repeats few values (states, countries): each converted once
        hits = {v: one(v) for v in set(raw)}
        out = [hits[v][0] for v in raw]
        if any(issue is not None for _, issue in hits.values()):
            for k, value in enumerate(raw):
                issue = hits[value][1]
                if issue is not None:
                    bad.setdefault(name, []).append(k)
                    issues.setdefault(k, []).append(issue)
        return out
    out = []
    seen: dict[tuple[type, Any], tuple[Any, Issue | None]] = {}  # (1, 1.0 and True are told apart)
    for k, value in enumerate(raw):
        key = (value.__class__, value)
        try:
            hit = seen.get(key)
        except TypeError:  # an unhashable cell value: not remembered
            hit = None
        if hit is None:
            hit = one(value)
            try:
                seen[key] = hit
            except TypeError:
                pass
        typed, issue = hit
        if issue is not None:
            bad.setdefault(name, []).append(k)
            issues.setdefault(k, []).append(issue)
        out.append(typed)
    return out


def _convert_cell(value: Any, convert: Any, allowed: Any, synonyms: Any, zones: Any, label: str, language: str,
                  name: str) -> tuple[Any, Issue | None]:
    """One cell's typed value, and the issue to report on its order (an unreadable cell is None)."""
    err = excel_error(value)
    try:
        if err is not None:
            raise CellError("excel_error", err)
        typed = convert(value, zones)
    except CellError as e:
        if e.kind == "excel_error":
            text = say("excel_error", language, label=label, value=err)
        else:
            text = say("bad_value", language, label=label, value=value, kind=CATALOG[e.kind](language))
        return None, Issue(ERROR, text, "cell", None, name)
    if synonyms is not None and typed is not None:
        typed = synonyms.get(fold(typed), typed)
    if allowed is not None and typed is not None:
        canonical = allowed.get(fold(typed))
        if canonical is None:  # reported here; rules on this field would only repeat it
            known = ", ".join(sorted(set(allowed.values())))
            return typed, Issue(WARNING, say("unknown_value", language, label=label, value=typed, known=known),
                                "cell", None, name)
        typed = canonical
    return typed, None

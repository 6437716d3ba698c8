"""The one place where cell values become typed order values.

Workbooks and CSVs hold the same facts in many spellings: numbers stored as
text ("1,299.00", "$12.50"), Excel serial dates, dates as text in ISO, slash or
Chinese form, yes/no in English or Chinese, zip codes typed as numbers. Each
converter returns the typed value or raises CellError with what was wrong;
the reader turns that into an issue on the row and carries on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from addin.domain.calendar import Zones

EXCEL_EPOCH = datetime(1899, 12, 30)  # serial 1 = 1900-01-01, with Excel's phantom 1900-02-29 before day 61
EXCEL_ERRORS = frozenset({"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "x", "✓", "是", "对", "真"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "否", "不", "假", "-"})

_MONEY = re.compile(r"^\s*(?:US\$|USD|\$|¥|￥|RMB|CNY)?\s*([-+]?[\d,]*\.?\d+(?:[eE][-+]?\d+)?)\s*(?:USD|元)?\s*$")
_CN_DATE = re.compile(
    r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?\s*(?:(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*(?:[:：分]\s*(\d{1,2}))?\s*秒?)?\s*$")
_SLASH_DATE = re.compile(r"^\s*(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")


class CellError(ValueError):
    """A cell whose value does not fit its field; `kind` is the catalog key of what was expected."""

    def __init__(self, kind: str, value: Any):
        super().__init__(f"{value!r} is not {kind}")
        self.kind = kind
        self.value = value


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def excel_error(value: Any) -> str | None:
    """The Excel error value a cell holds (#N/A, #DIV/0! ...), or None."""
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        return value.strip().upper()
    return None


def to_text(value: Any, zones: Zones) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # A zip code or phone number typed as a number comes back as 94105.0: show it as typed.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def to_number(value: Any, zones: Zones) -> float | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError("kind_number", value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        m = _MONEY.match(value.replace("，", ","))
        if m:
            try:
                return float(m.group(1).replace(",", ""))
            except ValueError:
                pass
    raise CellError("kind_number", value)


def to_integer(value: Any, zones: Zones) -> int | None:
    number = to_number(value, zones) if not isinstance(value, bool) else None
    if number is None:
        if isinstance(value, bool):
            raise CellError("kind_integer", value)
        return None
    if not float(number).is_integer():
        raise CellError("kind_integer", value)
    return int(number)


def to_bool(value: Any, zones: Zones) -> bool | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if value in (0, 1):
            return bool(value)
        raise CellError("kind_bool", value)
    word = str(value).strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError("kind_bool", value)


def to_instant(value: Any, zones: Zones) -> datetime | None:
    """A cell as an aware UTC instant: naive values are wall-clock times of the workbook zone."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return zones.from_workbook(value)
    if isinstance(value, date):
        return zones.from_workbook(datetime.combine(value, time()))
    if isinstance(value, bool):
        raise CellError("kind_datetime", value)
    if isinstance(value, (int, float)):
        return zones.from_workbook(excel_serial(float(value)))
    text = str(value).strip()
    parsed = parse_datetime_text(text)
    if parsed is None:
        raise CellError("kind_datetime", value)
    return zones.from_workbook(parsed)


def to_moment(value: Any, zones: Zones) -> datetime | None:
    """A cell as written: a naive datetime (wall-clock time of the workbook zone) or, when the cell gives
    an offset or Z, an aware one. The zone is applied a column at a time (columns.local_to_utc)."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, bool):
        raise CellError("kind_datetime", value)
    if isinstance(value, (int, float)):
        return excel_serial(float(value))
    parsed = parse_datetime_text(str(value).strip())
    if parsed is None:
        raise CellError("kind_datetime", value)
    return parsed


def excel_serial(serial: float) -> datetime:
    """An Excel (1900 date system) serial number as a naive datetime, to the second."""
    if not 0 < serial < 2958466:  # 9999-12-31
        raise CellError("kind_datetime", serial)
    if serial < 61:
        serial += 1  # Excel counts a 1900-02-29 that never was
    moment = EXCEL_EPOCH + timedelta(days=serial)
    return moment.replace(microsecond=0) + timedelta(seconds=round(moment.microsecond / 1e6))


def parse_datetime_text(text: str) -> datetime | None:
    """ISO 8601 (offset or Z honoured), 2018/11/02 17:00, 2018.11.02, 2018年11月2日 17:00."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in (_SLASH_DATE, _CN_DATE):
        m = pattern.match(text)
        if m:
            y, mo, d, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
            try:
                return datetime(y, mo, d, hh, mm, ss)
            except ValueError:
                return None
    return None


CONVERTERS: dict[str, Callable[[Any, Zones], Any]] = {
    "text": to_text,
    "number": to_number,
    "integer": to_integer,
    "bool": to_bool,
    "datetime": to_moment,  # the zone is applied to the whole column at once
}

"""Business days with Excel WORKDAY.INTL semantics, and the two time zones.

Wish states its instants and counts its business days in one zone (the
*policy zone*); merchants type naive timestamps in another (the *workbook
zone*). Every instant inside the engine is an aware UTC datetime; this module
is the one place that moves between the zones and the local dates that
business-day arithmetic works on.

Business-day arithmetic is done on numpy's busday calendar: it is vectorised
and exact, but its rolling rules differ from Excel's, so `workday` wraps it to
follow WORKDAY.INTL exactly (start on a weekend or holiday, n = 0, negative n).
The holiday dates themselves come from python-holidays in the config layer;
this module only receives dates and so stays free of IO and policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

UTC = timezone.utc

# Excel's weekend numbers (WORKDAY.INTL's third argument) as Monday-first masks, 1 = non-workday.
EXCEL_WEEKEND_NUMBERS = {
    1: "0000011", 2: "1000001", 3: "1100000", 4: "0110000", 5: "0011000", 6: "0001100", 7: "0000110",
    11: "0000001", 12: "1000000", 13: "0100000", 14: "0010000", 15: "0001000", 16: "0000100", 17: "0000010",
}


def excel_weekend_mask(weekend: str | int) -> str:
    """Normalise an Excel weekend argument (number or 7-character string) to a 7-character mask.

    Raises ValueError with Excel's own rules: a number outside the table, a string that is not
    seven 0/1 characters, or "1111111" (a week without workdays) is refused.
    """
    if isinstance(weekend, bool):
        raise ValueError(f"weekend must be an Excel weekend number or a 7-character mask, not {weekend!r}")
    if isinstance(weekend, float) and weekend.is_integer():
        weekend = int(weekend)  # a number read from a cell
    if isinstance(weekend, int) or type(weekend).__name__.startswith("int"):
        weekend = int(weekend)
        try:
            return EXCEL_WEEKEND_NUMBERS[weekend]
        except KeyError:
            raise ValueError(f"weekend number {weekend} is not one of Excel's (1-7, 11-17)") from None
    mask = str(weekend)
    if len(mask) != 7 or set(mask) - {"0", "1"}:
        raise ValueError(f"weekend mask {mask!r} must be 7 characters of 0 and 1, Monday first (1 = weekend)")
    if mask == "1111111":
        raise ValueError("weekend mask '1111111' leaves no workday in the week")
    return mask


@dataclass(frozen=True)
class Holiday:
    """One closed date with its name and where it comes from."""

    day: date
    name: str
    source: str = ""


@dataclass
class BusinessCalendar:
    """Workdays = not in the weekend mask and not a listed holiday.

    `holidays` must cover every year the program will count through; `covers`
    tells callers whether a date is inside that range so they can refuse to
    guess outside it.
    """

    weekend: str = "0000011"
    holidays: tuple[Holiday, ...] = ()
    first_year: int = 1900
    last_year: int = 2200
    _numpy: np.busdaycalendar = field(init=False, repr=False)
    _memo: dict[tuple[date, int], date] = field(init=False, repr=False, default_factory=dict)
    _names: dict[date, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.weekend = excel_weekend_mask(self.weekend)
        numpy_mask = "".join("0" if c == "1" else "1" for c in self.weekend)
        days = sorted({h.day for h in self.holidays})
        self._numpy = np.busdaycalendar(weekmask=numpy_mask, holidays=np.array(days, dtype="datetime64[D]"))
        self._names = {h.day: h.name for h in self.holidays}

    def covers(self, day: date) -> bool:
        return self.first_year <= day.year <= self.last_year

    def holiday_name(self, day: date) -> str | None:
        return self._names.get(day)

    def is_workday(self, day: date) -> bool:
        return bool(np.is_busday(np.datetime64(day, "D"), busdaycal=self._numpy))

    def workday(self, start: date, days: int) -> date:
        """Excel WORKDAY.INTL(start, days) on this calendar (memoised per start date and offset)."""
        key = (start, days)
        hit = self._memo.get(key)
        if hit is None:
            hit = self.workday_array(np.array([start], dtype="datetime64[D]"), days)[0].astype(date)
            self._memo[key] = hit
        return hit

    def workday_array(self, starts: np.ndarray, days: np.ndarray | int) -> np.ndarray:
        """Vectorised WORKDAY.INTL: datetime64[D] starts, integer offsets (scalar or array).

        numpy's busday_offset counts from a business day; Excel counts from the day
        after (before) the start whatever that day is. Rolling a non-workday start
        backward for positive offsets and forward for negative ones reproduces Excel;
        an offset of 0 returns the start unchanged, even on a weekend.
        """
        starts = np.asarray(starts, dtype="datetime64[D]")
        days = np.asarray(days, dtype=np.int64)
        forward = np.busday_offset(starts, days, roll="backward", busdaycal=self._numpy)
        backward = np.busday_offset(starts, days, roll="forward", busdaycal=self._numpy)
        return np.where(days > 0, forward, np.where(days < 0, backward, starts))


@dataclass(frozen=True)
class Zones:
    """The policy zone (where Wish counts) and the workbook zone (how naive timestamps are read)."""

    policy: ZoneInfo
    workbook: ZoneInfo

    def from_workbook(self, naive: datetime) -> datetime:
        """A naive workbook timestamp as an aware UTC instant. An aware one is honoured as it is."""
        if naive.tzinfo is None:
            naive = naive.replace(tzinfo=self.workbook)
        return naive.astimezone(UTC)

    def to_workbook(self, instant: datetime) -> datetime:
        """An instant as the naive wall-clock time a merchant reads in the workbook zone."""
        return instant.astimezone(self.workbook).replace(tzinfo=None)

    def from_policy(self, naive: datetime) -> datetime:
        if naive.tzinfo is None:
            naive = naive.replace(tzinfo=self.policy)
        return naive.astimezone(UTC)

    def to_policy(self, instant: datetime) -> datetime:
        return instant.astimezone(self.policy)


def add_business_days(instant: datetime, days: int, calendar: BusinessCalendar, zone: ZoneInfo) -> datetime:
    """The same local clock time on WORKDAY(local date, days) in `zone`, as a UTC instant.

    The local date matters: a Thursday evening in Los Angeles is already Friday in
    UTC, and counting from the UTC date would be a day late. Across a DST change
    the clock time is kept, so the elapsed hours differ from days x 24.
    """
    local = instant.astimezone(zone)
    target = calendar.workday(local.date(), days)
    return _local_to_utc(target, local.time().replace(tzinfo=None), local.fold, zone)


def add_calendar_days(instant: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The same local clock time `days` calendar days later in `zone`, as a UTC instant."""
    local = instant.astimezone(zone)
    return _local_to_utc(local.date() + timedelta(days=days), local.time().replace(tzinfo=None), local.fold, zone)


def _local_to_utc(day: date, clock: time, fold: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone).replace(fold=fold).astimezone(UTC)

"""Our business-day arithmetic agrees with WORKDAY.INTL, as LibreOffice computes it.

Merchants read deadlines off a spreadsheet, so `BusinessCalendar.workday` must give
exactly what `WORKDAY.INTL(start, n, weekend, holidays)` shows them, including the
corners where numpy's busday rules differ from Excel's: a start on a weekend or a
holiday, n = 0, negative n, one-day and split weekends, and observed holidays.

No Excel runs on Linux, so the oracle is LibreOffice Calc, run headless: we write
a workbook of a few thousand formulas, let LibreOffice recalculate it, and compare
every cell with both the scalar and the vectorised code paths. Microsoft's own
documented examples are checked as well, without LibreOffice.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date, datetime, time, timedelta
from pathlib import Path

import holidays as pyholidays
import numpy as np
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from addin.domain.calendar import BusinessCalendar, Holiday, excel_weekend_mask

# Serial 0 of Excel's 1900 date system. Because Excel counts the fictitious
# 1900-02-29, 1899-12-30 + serial is exact for every date from 1900-03-01 on.
EXCEL_EPOCH = date(1899, 12, 30)

# Masks as strings (Monday first, 1 = non-workday) and Excel weekend numbers:
# the usual Sat/Sun, Sunday only, Sun/Mon, Fri/Sat, a split Mon/Wed/Fri weekend,
# and the numeric forms 1 (Sat/Sun), 2 (Sun/Mon), 7 (Fri/Sat), 11 (Sun), 17 (Sat).
WEEKENDS: tuple[str | int, ...] = ("0000011", "0000001", "1000001", "0000110", "1010100", 1, 2, 7, 11, 17)
OFFSETS = (-10, -5, -3, -2, -1, 0, 1, 2, 3, 5, 10, 25)

# A one-off federal closure (the national day of mourning for George H. W. Bush):
# the kind of date a merchant adds by hand, one week before a weekend.
EXTRA_CLOSURE = Holiday(date(2018, 12, 5), "National Day of Mourning", "extra closure")

# Start dates: the whole of Q4 2018 (Columbus, Veterans Day observed on a Monday,
# Thanksgiving, the extra closure, Christmas) into New Year 2019, and stretches of
# the 2024 leap year around Feb 29, Juneteenth/Independence Day and Thanksgiving/Christmas.
START_SPANS = [
    (date(2018, 10, 1), date(2019, 1, 31)),
    (date(2024, 2, 19), date(2024, 3, 10)),
    (date(2024, 6, 14), date(2024, 7, 8)),
    (date(2024, 11, 22), date(2024, 12, 31)),
]


def to_serial(day: date) -> int:
    return (day - EXCEL_EPOCH).days


def from_serial(serial: float) -> date:
    return EXCEL_EPOCH + timedelta(days=int(serial))


def us_closures() -> tuple[Holiday, ...]:
    """US federal holidays 2018-2024 as python-holidays gives them (observed dates included), plus the extra closure."""
    source = pyholidays.country_holidays("US", years=range(2018, 2025))
    return tuple(Holiday(day, name, "python-holidays") for day, name in sorted(source.items())) + (EXTRA_CLOSURE,)


def start_dates() -> list[date]:
    days: list[date] = []
    for first, last in START_SPANS:
        days += [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return days


def cases() -> list[tuple[date, int, str | int]]:
    return [(start, n, weekend) for weekend in WEEKENDS for start in start_dates() for n in OFFSETS]


def soffice_or_skip() -> str:
    """The LibreOffice executable; a skip on machines without it, a failure where CI demands it."""
    exe = shutil.which("soffice")
    if exe:
        return exe
    reason = "LibreOffice is not installed (`soffice` not on PATH), so WORKDAY.INTL cannot be cross-checked"
    if os.environ.get("WISHXL_REQUIRE_LIBREOFFICE") == "1":
        pytest.fail(f"{reason}; WISHXL_REQUIRE_LIBREOFFICE=1 requires it (apt-get install libreoffice-calc-nogui)")
    pytest.skip(reason)


def write_workbook(path: Path, grid: list[tuple[date, int, str | int]], closures: tuple[Holiday, ...]) -> None:
    """Holidays!A1:A<N> holds the closed dates; Cases has start, offset, weekend and the WORKDAY.INTL formula.

    XlsxWriter stores 0 as each formula's cached result, so a LibreOffice that did
    not recalculate would hand back 1899-12-30 everywhere rather than plausible dates.
    A mask goes in as a text cell ("0000011" must not become the number 11, which is
    a different weekend); a weekend number goes in as a number.
    """
    book = xlsxwriter.Workbook(str(path))
    as_date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet("Holidays")
    for row, holiday in enumerate(closures):
        sheet.write_datetime(row, 0, datetime.combine(holiday.day, datetime.min.time()), as_date)
        sheet.write_string(row, 1, holiday.name)
    span = f"Holidays!$A$1:$A${len(closures)}"
    sheet = book.add_worksheet("Cases")
    sheet.write_row(0, 0, ["start", "days", "weekend", "WORKDAY.INTL"])
    for row, (start, n, weekend) in enumerate(grid, start=1):
        sheet.write_datetime(row, 0, datetime.combine(start, datetime.min.time()), as_date)
        sheet.write_number(row, 1, n)
        if isinstance(weekend, str):
            sheet.write_string(row, 2, weekend)
        else:
            sheet.write_number(row, 2, weekend)
        sheet.write_formula(row, 3, f"=WORKDAY.INTL(A{row + 1},B{row + 1},C{row + 1},{span})", as_date)
    book.close()


def recalculate_with_libreoffice(soffice: str, source: Path, work: Path) -> Path:
    """Convert xlsx -> xlsx headless, in a throwaway profile told to recalculate on load.

    LibreOffice's default OOXMLRecalcMode (1, "never") keeps the cached values and
    ignores fullCalcOnLoad (shared/notes/excel-stack.md §4); 0 means "always".
    A private -env:UserInstallation keeps parallel runs from sharing a profile lock.
    """
    profile = work / "lo-profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry"'
        ' xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load">'
        '<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>\n'
        "</oor:items>\n",
        encoding="utf-8",
    )
    outdir = work / "recalculated"
    command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", "xlsx", "--outdir", str(outdir), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    result = outdir / source.name
    assert done.returncode == 0 and result.exists(), (
        f"LibreOffice conversion failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return result


def read_results(path: Path) -> list[date | str]:
    """Column D of Cases as dates. Calamine returns a date-formatted cell as a date (serial 0,
    the stale cached value, as a bare time of day), an unformatted one as a serial number, and
    an error cell as its text ("#VALUE!")."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Cases").to_python()
    values: list[date | str] = []
    for row in rows[1:]:
        value = row[3]
        if isinstance(value, datetime):
            value = value.date()
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value = from_serial(value)
        elif isinstance(value, time):
            value = EXCEL_EPOCH
        elif not isinstance(value, date):
            value = str(value)
        values.append(value)
    return values


def test_documented_microsoft_examples() -> None:
    """The examples on Microsoft's WORKDAY.INTL page, with no holidays.

    90 workdays after Sunday 2012-01-01 with only Sundays off (weekend 11) is
    serial 41013, Saturday 2012-04-14 (15 six-day weeks); 30 workdays with only
    Saturdays off (weekend 17) is serial 40944, Sunday 2012-02-05.
    """
    assert from_serial(41013) == date(2012, 4, 14) and from_serial(40944) == date(2012, 2, 5)
    assert BusinessCalendar(11).workday(date(2012, 1, 1), 90) == from_serial(41013)
    assert BusinessCalendar(17).workday(date(2012, 1, 1), 30) == from_serial(40944)


@pytest.mark.parametrize("weekend", ["1111111", "000001", 0, 8, "abcdefg"])
def test_invalid_weekend_arguments_are_refused(weekend: str | int) -> None:
    """Where Excel answers #NUM! or #VALUE!, we refuse the calendar instead of guessing a weekend."""
    with pytest.raises(ValueError):
        excel_weekend_mask(weekend)
    with pytest.raises(ValueError):
        BusinessCalendar(weekend)


def test_workday_matches_libreoffice_workday_intl(tmp_path: Path) -> None:
    """Every case of the grid: `workday` and `workday_array` both equal LibreOffice's WORKDAY.INTL."""
    soffice = soffice_or_skip()
    closures = us_closures()
    grid = cases()
    calendars = {w: BusinessCalendar(w, closures, 2018, 2024) for w in WEEKENDS}
    # The grid must exercise Excel's rolling rule: starts on non-workdays, with every sign of offset.
    assert sum(not calendars[w].is_workday(s) for s, n, w in grid if n == 1) > 500

    source = tmp_path / "workday_intl.xlsx"
    write_workbook(source, grid, closures)
    theirs = read_results(recalculate_with_libreoffice(soffice, source, tmp_path))
    assert len(theirs) == len(grid), "LibreOffice returned a different number of rows than were written"
    assert theirs.count(EXCEL_EPOCH) < len(grid) // 2, (
        "LibreOffice returned the cached 0s: it did not recalculate on load (check OOXMLRecalcMode)")

    scalar = [calendars[w].workday(s, n) for s, n, w in grid]
    vector: list[date] = []
    for w in WEEKENDS:
        rows = [(s, n) for s, n, ww in grid if ww == w]
        starts = np.array([s for s, _ in rows], dtype="datetime64[D]")
        offsets = np.array([n for _, n in rows], dtype=np.int64)
        vector += calendars[w].workday_array(starts, offsets).astype(date).tolist()

    mismatches = [(s, n, w, ours, vec, lo) for (s, n, w), ours, vec, lo in zip(grid, scalar, vector, theirs)
                  if not (ours == vec == lo)]
    report = "\n".join(f"  start={s} ({s:%a}) n={n:+d} weekend={w!r}: workday={ours} workday_array={vec} "
                       f"LibreOffice={lo}" for s, n, w, ours, vec, lo in mismatches[:20])
    assert not mismatches, f"{len(mismatches)} of {len(grid)} cases differ from WORKDAY.INTL; first 20:\n{report}"

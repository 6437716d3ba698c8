"""Columns of instants: a sheet's wall-clock times moved to UTC a column at a time, exactly as one by one."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from addin.domain.columns import instants_column, value_at

EDGES = [
    datetime(2018, 11, 4, 0, 59), datetime(2018, 11, 4, 1, 0), datetime(2018, 11, 4, 1, 30),  # LA: the repeated hour
    datetime(2018, 11, 4, 2, 0), datetime(2018, 3, 11, 1, 59), datetime(2018, 3, 11, 2, 30),  # LA: the missing hour
    datetime(2018, 3, 11, 3, 0), datetime(2018, 10, 7, 2, 0), datetime(2018, 4, 1, 1, 45),  # Lord Howe: 30 min
]


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Shanghai", "Australia/Lord_Howe", "Europe/London"])
def test_a_column_of_wall_clock_times_becomes_the_same_instants_as_cell_by_cell(zone):
    tz = ZoneInfo(zone)
    rnd = random.Random(7)
    naive = [datetime(2018, 1, 1) + timedelta(minutes=rnd.randrange(60 * 24 * 900)) for _ in range(5000)] + EDGES
    aware = [datetime(2018, 11, 2, 17, 0, tzinfo=timezone(timedelta(hours=-7))), datetime(2019, 1, 15, tzinfo=timezone.utc)]
    values = naive + aware + [None]
    col = instants_column(values, tz)
    expected = [v.replace(tzinfo=tz).astimezone(timezone.utc) for v in naive] + \
        [v.astimezone(timezone.utc) for v in aware] + [None]
    assert [value_at(col, i) for i in range(len(values))] == expected

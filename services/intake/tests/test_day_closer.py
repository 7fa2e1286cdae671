from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from intake.day_closer import days_to_close

WIB = ZoneInfo("Asia/Jakarta")
CLOSE = time(23, 30)


@pytest.mark.parametrize(
    ("now", "last", "due"),
    [
        (datetime(2026, 11, 2, 10, 0, tzinfo=WIB), None, [date(2026, 11, 1)]),  # start: yesterday
        (datetime(2026, 11, 2, 23, 30, tzinfo=WIB), None, [date(2026, 11, 2)]),
        (datetime(2026, 11, 2, 23, 45, tzinfo=WIB), date(2026, 11, 2), []),
        (datetime(2026, 11, 2, 10, 0, tzinfo=WIB), date(2026, 11, 1), []),
        (
            datetime(2026, 11, 5, 23, 31, tzinfo=WIB),
            date(2026, 11, 2),  # after an outage
            [date(2026, 11, 3), date(2026, 11, 4), date(2026, 11, 5)],
        ),
    ],
)
def test_days_to_close(now: datetime, last: date | None, due: list[date]) -> None:
    assert days_to_close(now, CLOSE, last) == due

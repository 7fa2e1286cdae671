from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from intake.day_closer import MAX_CATCH_UP_DAYS, DayCloser, days_to_close
from kinerja_shared.reference import DayClosed

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


def test_a_long_gap_closes_at_most_the_grace() -> None:
    due = days_to_close(datetime(2026, 11, 5, 23, 31, tzinfo=WIB), CLOSE, date(2026, 1, 1))
    assert len(due) == MAX_CATCH_UP_DAYS
    assert due[-1] == date(2026, 11, 5)


class FakeClosed:
    def __init__(self, last: date | None) -> None:
        self.last = last

    async def last_closed_day(self) -> date | None:
        return self.last

    async def set_last_closed_day(self, day: date) -> None:
        self.last = max(day, self.last or day)


class FakePublisher:
    def __init__(self) -> None:
        self.published: list[date] = []

    async def publish_reference(self, records: list[DayClosed]) -> None:
        self.published.extend(r.date for r in records)


async def test_an_intake_down_over_two_evenings_closes_both_when_back() -> None:
    closed, publisher = FakeClosed(None), FakePublisher()
    first = DayCloser(publisher, closed, WIB, CLOSE)  # type: ignore[arg-type]
    await first.tick(datetime(2026, 11, 2, 23, 31, tzinfo=WIB))
    assert publisher.published == [date(2026, 11, 2)]
    # Down on the evenings of the 3rd and 4th; a new process starts on the 5th at noon.
    again = DayCloser(publisher, closed, WIB, CLOSE)  # type: ignore[arg-type]
    assert await again.tick(datetime(2026, 11, 5, 12, 0, tzinfo=WIB)) == [
        date(2026, 11, 3),
        date(2026, 11, 4),
    ]
    assert closed.last == date(2026, 11, 4)

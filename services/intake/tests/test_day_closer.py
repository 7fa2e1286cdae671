from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import CollectorRegistry

from intake.day_closer import MAX_CATCH_UP_DAYS, DayCloser, days_to_close, held_back
from kinerja_shared.clock import SystemClock
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
    def __init__(self, last: date | None, years: set[int] | None = None) -> None:
        self.last = last
        self.years = {2026} if years is None else years

    async def calendar_years(self) -> set[int]:
        return self.years

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
    first = DayCloser(publisher, closed, WIB, CLOSE, SystemClock())  # type: ignore[arg-type]
    await first.tick(datetime(2026, 11, 2, 23, 31, tzinfo=WIB))
    assert publisher.published == [date(2026, 11, 2)]
    # Down on the evenings of the 3rd and 4th; a new process starts on the 5th at noon.
    again = DayCloser(publisher, closed, WIB, CLOSE, SystemClock())  # type: ignore[arg-type]
    assert await again.tick(datetime(2026, 11, 5, 12, 0, tzinfo=WIB)) == [
        date(2026, 11, 3),
        date(2026, 11, 4),
    ]
    assert closed.last == date(2026, 11, 4)


@pytest.mark.parametrize(
    ("due", "years", "closed", "held"),
    [
        ([date(2026, 12, 30), date(2026, 12, 31)], {2026}, 2, 0),
        # Issue 15 item 5: 2027's SKB not loaded yet: 1 January is held, and so is every day
        # after it (days close in order), while 2026's last days close.
        ([date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)], {2026}, 1, 2),
        ([date(2027, 1, 1)], set(), 0, 1),
        ([date(2027, 1, 1)], {2026, 2027}, 1, 0),
    ],
)
def test_days_of_a_year_without_its_calendar_are_held(
    due: list[date], years: set[int], closed: int, held: int
) -> None:
    may, waiting = held_back(due, years)
    assert (len(may), len(waiting)) == (closed, held)
    assert may + waiting == due


async def test_held_days_are_counted_logged_and_closed_once_the_calendar_is_loaded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed, publisher = FakeClosed(date(2026, 12, 30), years={2026}), FakePublisher()
    registry = CollectorRegistry()
    closer = DayCloser(publisher, closed, WIB, CLOSE, SystemClock(), registry=registry)  # type: ignore[arg-type]
    await closer.tick(datetime(2027, 1, 2, 23, 31, tzinfo=WIB))
    assert publisher.published == [date(2026, 12, 31)]
    assert registry.get_sample_value("kinerja_intake_days_held") == 2
    assert "Kalender libur tahun 2027 belum dimuat: 2 hari (2027-01-01..2027-01-02)" in caplog.text
    closed.years.add(2027)  # the admin loads 2027's calendar
    await closer.tick(datetime(2027, 1, 3, 0, 5, tzinfo=WIB))
    assert publisher.published == [date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)]
    assert registry.get_sample_value("kinerja_intake_days_held") == 0

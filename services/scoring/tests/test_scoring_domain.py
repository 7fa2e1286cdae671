from __future__ import annotations

import itertools
import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from kinerja_shared.events import AttendanceRecordedEvent, parse_event
from scoring.domain import combine, month_attendance, parse_month, punch_of

WIB = ZoneInfo("Asia/Jakarta")
NIP = "198609262015051001"


def rec(event_id: int, at: str, direction: str = "in") -> AttendanceRecordedEvent:
    e = parse_event(
        {
            "event_id": f"00000000-0000-4000-8000-{event_id:012d}",
            "type": "attendance.recorded",
            "occurred_at": at,
            "nip": NIP,
            "source": {"kind": "device", "id": "TBL1"},
            "payload": {"direction": direction, "method": "face", "device_sn": "TBL1"},
        }
    )
    assert isinstance(e, AttendanceRecordedEvent)
    return e


@pytest.mark.parametrize(
    ("period", "expected"),
    [("2026-11", (2026, 11)), ("2026-01", (2026, 1)), ("1999-12", (1999, 12))],
)
def test_months_parse(period: str, expected: tuple[int, int]) -> None:
    assert parse_month(period) == expected


@pytest.mark.parametrize("period", ["2026-13", "2026-00", "2026-1", "26-11", "2026-Q4", "2026"])
def test_non_months_are_refused(period: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(period)


@pytest.mark.parametrize(
    ("at", "period", "day"),
    [
        ("2026-11-02T07:21:05+07:00", "2026-11", "02"),
        ("2026-11-30T17:30:00Z", "2026-12", "01"),  # 00:30 WIB on 1 December
        ("2026-10-31T23:59:00+07:00", "2026-10", "31"),
        ("2026-11-01T00:10:00+08:00", "2026-10", "31"),  # WITA 00:10 is WIB 23:10 the day before
    ],
)
def test_punches_land_on_their_local_day(at: str, period: str, day: str) -> None:
    p = punch_of(rec(1, at), WIB)
    assert (p.period, p.day) == (period, day)


def test_unknown_direction_counts_as_either() -> None:
    p = punch_of(rec(1, "2026-11-02T07:00:00+07:00", "unknown"), WIB)
    assert p.counts_as_check_in
    assert p.counts_as_check_out


def test_month_is_a_function_of_the_set_of_events() -> None:
    events = [
        rec(1, "2026-11-02T07:40:00+07:00"),
        rec(2, "2026-11-02T07:10:00+07:00"),
        rec(3, "2026-11-02T16:05:00+07:00", "out"),
        rec(4, "2026-11-02T16:45:00+07:00", "out"),
        rec(5, "2026-11-03T16:30:00+07:00", "out"),  # check-out only: no check-in that day
        rec(6, "2026-11-04T07:29:59+07:00"),
    ]
    punches = [punch_of(e, WIB) for e in events]
    reference = combine(punches)
    rng = random.Random(3)
    for _ in range(20):
        shuffled = punches + rng.sample(punches, 3)  # duplicates and redelivery
        rng.shuffle(shuffled)
        assert combine(shuffled)[0].first_in == reference[0].first_in
        assert combine(shuffled)[0].last_out == reference[0].last_out
        assert combine(shuffled)[0].event_ids == reference[0].event_ids
    # Folding deltas again (what the store's $min/$max/$addToSet do) changes nothing either.
    for a, b in itertools.permutations(range(2)):
        assert combine([punches[a], punches[b]])[0].first_in == {"02": events[1].occurred_at}

    (delta,) = reference
    month = month_attendance(
        NIP, "2026-11", delta.first_in, delta.last_out, len(delta.event_ids), WIB
    )
    assert month.days_with_check_in == 2
    assert month.events_counted == 6
    assert [d.date for d in month.days] == [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)]
    assert month.days[0].first_check_in == datetime(2026, 11, 2, 7, 10, tzinfo=WIB)
    assert month.days[0].last_check_out == datetime(2026, 11, 2, 16, 45, tzinfo=WIB)
    assert month.days[1].first_check_in is None
    assert month.days[2].first_check_in == datetime(2026, 11, 4, 7, 29, 59, tzinfo=WIB)


def test_deltas_are_one_per_employee_month() -> None:
    punches = [
        punch_of(rec(1, "2026-11-30T08:00:00+07:00"), WIB),
        punch_of(rec(2, "2026-12-01T08:00:00+07:00"), WIB),
        punch_of(rec(3, "2026-12-02T08:00:00+07:00"), WIB),
    ]
    periods = sorted(d.period for d in combine(punches))
    assert periods == ["2026-11", "2026-12"]
    december = next(d for d in combine(punches) if d.period == "2026-12")
    assert sorted(december.first_in) == ["01", "02"]

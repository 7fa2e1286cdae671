from __future__ import annotations

import itertools
import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from kinerja_shared.events import AttendanceRecordedEvent, parse_event
from scoring.domain import Punch, month_attendance, parse_month, punch_of
from scoring.domain.facts import Deltas, FactsDelta, month_within, year_doc

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


def fold(punches: list[Punch]) -> list[FactsDelta]:
    deltas = Deltas(WIB)
    for p in punches:
        deltas.punch(p)
    return deltas.result()


def test_facts_are_a_function_of_the_set_of_events() -> None:
    events = [
        rec(1, "2026-11-02T07:40:00+07:00"),
        rec(2, "2026-11-02T07:10:00+07:00"),
        rec(3, "2026-11-02T16:05:00+07:00", "out"),
        rec(4, "2026-11-02T16:45:00+07:00", "out"),
        rec(5, "2026-11-03T16:30:00+07:00", "out"),  # check-out only: no check-in that day
        rec(6, "2026-11-04T07:29:59+07:00"),
    ]
    punches = [punch_of(e, WIB) for e in events]
    (reference,) = fold(punches)
    rng = random.Random(3)
    for _ in range(20):
        shuffled = punches + rng.sample(punches, 3)  # duplicates and redelivery
        rng.shuffle(shuffled)
        (again,) = fold(shuffled)
        assert again.first_in == reference.first_in
        assert again.last_out == reference.last_out
        assert again.punches == reference.punches
    # Folding deltas again (what the store's $min/$max/$addToSet do) changes nothing either.
    for a, b in itertools.permutations(range(2)):
        assert fold([punches[a], punches[b]])[0].first_in == {"1102": events[1].occurred_at}

    ids = {i for day in reference.punches.values() for i in day}
    month = month_attendance(
        NIP,
        "2026-11",
        {k[2:]: v for k, v in reference.first_in.items()},
        {k[2:]: v for k, v in reference.last_out.items()},
        len(ids),
        WIB,
    )
    assert month.days_with_check_in == 2
    assert month.events_counted == 6
    assert [d.date for d in month.days] == [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)]
    assert month.days[0].first_check_in == datetime(2026, 11, 2, 7, 10, tzinfo=WIB)
    assert month.days[0].last_check_out == datetime(2026, 11, 2, 16, 45, tzinfo=WIB)
    assert month.days[1].first_check_in is None
    assert month.days[2].first_check_in == datetime(2026, 11, 4, 7, 29, 59, tzinfo=WIB)


def test_deltas_are_one_per_employee_month_and_name_the_months_they_touch() -> None:
    punches = [
        punch_of(rec(1, "2026-11-30T08:00:00+07:00"), WIB),
        punch_of(rec(2, "2026-12-01T08:00:00+07:00"), WIB),
        punch_of(rec(3, "2026-12-31T08:00:00+07:00"), WIB),
        punch_of(rec(4, "2027-01-02T08:00:00+07:00"), WIB),
    ]
    deltas = sorted(fold(punches), key=lambda d: (d.year, d.month))
    assert [(d.year, d.month, sorted(d.months)) for d in deltas] == [
        (2026, 11, ["2026-11"]),
        (2026, 12, ["2026-12"]),
        (2027, 1, ["2027-01"]),
    ]
    assert sorted(deltas[1].first_in) == ["1201", "1231"]


@pytest.mark.parametrize(
    ("year", "day", "month"),
    [
        (2026, date(2026, 3, 9), 3),  # a fact of its own year: its own month
        (2026, date(2027, 1, 15), 12),  # a 2026 target reported in January 2027: December
        (2026, date(2025, 12, 30), 1),  # a 2026 rating given ahead, in 2025: January
    ],
)
def test_a_fact_is_kept_in_a_month_of_the_year_it_belongs_to(
    year: int, day: date, month: int
) -> None:
    assert month_within(year, day) == month


def test_a_years_months_join_into_one_document() -> None:
    oct_, nov = (
        {
            "month": 10,
            "days": {"1030": {"i": 1}},
            "targets": {"s|1": {"indicator": "old", "figures": {"a": 1}}},
        },
        {
            "month": 11,
            "days": {"1102": {"i": 2}},
            "ikm": {"t1": {"x": 1}},
            "targets": {"s|1": {"indicator": "new", "figures": {"b": 2}}},
            "ratings": {"2026-Q4": {"t2": {"r": 1}}},
        },
    )
    joined = year_doc([nov, None, oct_])  # in any order, months missing
    assert joined == {
        "days": {"1030": {"i": 1}, "1102": {"i": 2}},
        "ikm": {"t1": {"x": 1}},
        "targets": {"s|1": {"indicator": "new", "figures": {"a": 1, "b": 2}}},
        "ratings": {"2026-Q4": {"t2": {"r": 1}}},
        "decisions": {},
        "voids": {},
    }


def test_a_years_document_of_before_the_months_joins_them_day_by_day() -> None:
    """A store upgraded from one document per year reads it beside the new month documents;
    a day in both folds as the store's $min, $max and $addToSet would have."""
    legacy = {"days": {"1102": {"i": 7, "o": 16, "ev": ["a", "b"]}, "1030": {"i": 8}}}
    november = {"month": 11, "days": {"1102": {"i": 6, "o": 15, "ev": ["b", "c"], "x": True}}}
    joined = year_doc([november, legacy])
    assert joined["days"]["1102"] == {"i": 6, "o": 16, "x": True, "ev": ["a", "b", "c"]}
    assert joined["days"]["1030"] == {"i": 8}

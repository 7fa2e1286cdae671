"""The simulated year: every record fits its topic's contract, and the year looks like one."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime

from kinerja_local.city import generate_city
from kinerja_local.year import Record, year_records
from kinerja_shared import topics
from kinerja_shared.events import FEEDBACK_EVENT_ADAPTER, parse_event
from kinerja_shared.reference import REFERENCE_ADAPTER


def _year(until: date = date(2026, 6, 30)) -> list[Record]:
    return list(year_records(generate_city(seed=8, employees=300, units=12), 2026, until))


def test_every_record_fits_its_contract_and_key() -> None:
    for r in _year(date(2026, 3, 31)):
        if r.topic == topics.REFERENCE:
            ref = REFERENCE_ADAPTER.validate_python(r.value)
            assert r.key.startswith(f"{ref.kind}:")
        elif r.topic == topics.FEEDBACK:
            assert FEEDBACK_EVENT_ADAPTER.validate_python(r.value).nip == r.key
        else:
            event = parse_event(r.value)
            assert event.nip == r.key
            assert event.received_at is not None
            assert event.received_at > event.occurred_at


def test_the_year_has_ratings_targets_leave_and_closed_days_and_is_repeatable() -> None:
    records = _year()
    kinds = Counter(r.value.get("type") or r.value["kind"] for r in records)
    assert kinds["attendance.recorded"] > 5 * kinds["service.rated"] > 0
    assert kinds["target.progressed"] == 6 * 2 * 300  # two indicators a month
    assert kinds["behaviour.rated"] == 2 * sum(1 for _ in _staff())  # two quarters
    assert kinds["attendance.excused"] > 0
    assert kinds["day_closed"] == sum(1 for r in records if r.key.startswith("day_closed:"))
    assert kinds["day_closed"] < 130  # working days of half a year, holidays left out
    assert [r.value.get("event_id") for r in _year()] == [r.value.get("event_id") for r in records]


def test_no_punch_on_an_excused_day_and_days_close_after_their_punches() -> None:
    away: dict[str, set[str]] = defaultdict(set)
    closed: set[str] = set()
    for r in _year(date(2026, 4, 30)):
        v = r.value
        if v.get("type") == "attendance.excused":
            p = v["payload"]
            first, last = date.fromisoformat(p["date_from"]), date.fromisoformat(p["date_to"])
            away[v["nip"]] |= {d for d in _days(first, last)}
        elif v.get("type") == "attendance.recorded":
            day = datetime.fromisoformat(v["occurred_at"]).date().isoformat()
            assert day not in away[v["nip"]]
            assert day not in closed
        elif v.get("kind") == "day_closed":
            closed.add(v["date"])


def _staff() -> list[str]:
    city = generate_city(seed=8, employees=300, units=12)
    return [e.nip for e in city.employees if e.supervisor_nip]


def _days(first: date, last: date) -> list[str]:
    return [date.fromordinal(o).isoformat() for o in range(first.toordinal(), last.toordinal() + 1)]

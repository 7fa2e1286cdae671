from __future__ import annotations

from collections import Counter
from datetime import date

from kinerja_local.city import Habit, generate_city
from kinerja_local.simulator import attendance_events, working_days
from kinerja_shared.events import parse_event
from kinerja_shared.nip import parse_nip

TODAY = date(2026, 11, 27)


def test_city_is_tanjungbalai_sized_and_deterministic() -> None:
    city = generate_city(seed=1956)
    again = generate_city(seed=1956)
    assert city.employees == again.employees
    assert [u.devices for u in city.units] == [u.devices for u in again.units]
    assert 4300 <= len(city.employees) <= 4700
    assert len(city.units) == 30
    assert generate_city(seed=2).employees != city.employees


def test_every_nip_is_valid_and_unique_and_every_chain_reaches_a_head() -> None:
    city = generate_city(seed=5, employees=900)
    nips = [e.nip for e in city.employees]
    assert len(set(nips)) == len(nips)
    for nip in nips:
        parse_nip(nip, TODAY)
    supervisor = {e.nip: e.supervisor_nip for e in city.employees}
    unit_of = {e.nip: e.unit_code for e in city.employees}
    heads = {u.head_nip for u in city.units}
    for e in city.employees:
        seen, cur = set(), e.nip
        while supervisor[cur] is not None:
            assert cur not in seen  # no cycles
            seen.add(cur)
            cur = supervisor[cur]  # type: ignore[assignment]
            assert unit_of[cur] == e.unit_code
        assert cur in heads


def test_habits_have_realistic_shares() -> None:
    shares = Counter(e.habit for e in generate_city(seed=9).employees)
    total = sum(shares.values())
    assert 0.68 < shares[Habit.PUNCTUAL] / total < 0.80
    assert 0.01 < shares[Habit.OFTEN_ABSENT] / total < 0.06


def test_attendance_is_valid_deterministic_and_mostly_on_time() -> None:
    city = generate_city(seed=3, employees=200, units=4)
    start, end = date(2026, 11, 2), date(2026, 11, 13)
    events = list(attendance_events(city, start, end))
    assert events == list(attendance_events(city, start, end))
    days = list(working_days(start, end))
    assert len(days) == 10
    # about two punches per person per working day, a few absences and forgotten check-outs
    assert 0.85 * 2 * len(city.employees) * len(days) < len(events) <= 2 * len(city.employees) * 10
    ins = [e for e in events if e["payload"]["direction"] == "in"]
    late = sum(1 for e in ins if e["occurred_at"][11:16] > "07:30")
    assert 0.05 < late / len(ins) < 0.40
    for e in events[:200]:
        parse_event(e)
    assert len({e["event_id"] for e in events}) == len(events)

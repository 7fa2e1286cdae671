"""The simulated city's ratings and SKP progress: valid events intake takes, deterministic for
the seed, rated at the desks of the units that serve the public, and habits that show."""

from __future__ import annotations

from datetime import UTC, date, datetime
from statistics import mean

from kinerja_local.city import Habit, generate_city
from kinerja_local.work import (
    INDICATORS,
    SERVICE_UNITS,
    desk_staff,
    service_ratings,
    target_progress,
)
from kinerja_shared.events import EVENT_ADAPTER, ServiceRatedEvent, TargetProgressedEvent

CITY = generate_city(7, 600)
AS_OF = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_ratings_are_valid_events_at_the_desks_of_service_units_only() -> None:
    events = list(service_ratings(CITY, date(2026, 11, 2), date(2026, 11, 6)))
    assert events == list(service_ratings(CITY, date(2026, 11, 2), date(2026, 11, 6)))
    assert events
    units = {e.nip: e.unit_code for e in CITY.employees}
    for raw in events:
        assert isinstance(EVENT_ADAPTER.validate_python(raw), ServiceRatedEvent)
        event = ServiceRatedEvent.model_validate(raw)
        assert event.payload.unit_code == units[event.nip]  # the NIP's own unit (finding 3)
        assert event.payload.unit_code in SERVICE_UNITS
    staff = desk_staff(CITY)
    assert {e["nip"] for e in events} <= {e.nip for e in staff}
    assert all(e.supervisor_nip for e in staff)  # a unit's head works no desk


def test_every_employee_reports_each_indicator_and_habits_show() -> None:
    events = [TargetProgressedEvent.model_validate(e) for e in target_progress(CITY, AS_OF)]
    assert len(events) == len(CITY.employees) * len(INDICATORS)
    habit = {e.nip: e.habit for e in CITY.employees}
    done = {
        h: mean(
            e.payload.realized
            for e in events
            if e.payload.indicator_id == "IK1" and habit[e.nip] is h
        )
        for h in (Habit.PUNCTUAL, Habit.OFTEN_ABSENT)
        if any(habit[e.nip] is h for e in events)
    }
    assert done[Habit.PUNCTUAL] > done[Habit.OFTEN_ABSENT]
    share = (AS_OF.date() - date(2026, 1, 1)).days / 365
    assert 0.6 * share * 1200 < done[Habit.OFTEN_ABSENT] < done[Habit.PUNCTUAL] < 1.3 * share * 1200

"""Attendance the simulated city produces: each working day, each employee checks in and out at
one of their unit's machines, following their habit, with Monday and rainy-day effects.

Pure generation (deterministic for the seed); sending lives in ``sender``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kinerja_local.city import City, Employee, Habit

WIB = ZoneInfo("Asia/Jakarta")

# The national default schedule (Perpres 21/2023 as Kinerja applies it): Mon–Thu 07:30–16:00,
# Fri 07:30–16:30, WIB.
START = time(7, 30)
END_MON_THU = time(16, 0)
END_FRI = time(16, 30)


@dataclass(frozen=True, slots=True)
class DayWeather:
    rainy: bool


def working_days(start: date, end: date) -> Iterator[date]:
    """Monday to Friday between ``start`` and ``end`` inclusive (holidays come from reference
    data in the scoring service; the simulator only skips weekends)."""
    d = start
    while d <= end:
        if d.weekday() < 5:
            yield d
        d += timedelta(days=1)


def _event_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _arrival_offset_min(rng: random.Random, habit: Habit, monday: bool, rainy: bool) -> float:
    """Minutes after 07:30 (negative: early)."""
    late_bias = (4 if monday else 0) + (12 if rainy else 0)
    if habit is Habit.PUNCTUAL:
        base = rng.gauss(-14, 7)
    elif habit is Habit.SOMETIMES_LATE:
        base = rng.gauss(-5, 12) if rng.random() < 0.8 else rng.uniform(5, 50)
    elif habit is Habit.CHRONICALLY_LATE:
        base = rng.gauss(18, 14)
    else:
        base = rng.gauss(5, 20)
    return base + late_bias * rng.random()


def _absence_chance(habit: Habit, monday: bool) -> float:
    base = {
        Habit.PUNCTUAL: 0.004,
        Habit.SOMETIMES_LATE: 0.01,
        Habit.CHRONICALLY_LATE: 0.02,
        Habit.OFTEN_ABSENT: 0.12,
    }[habit]
    return base * (1.5 if monday else 1.0)


def day_events(
    city: City, day: date, rng: random.Random, away: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Every punch of ``day`` in the city, as ``attendance.recorded`` events, in time order;
    the employees in ``away`` (on leave, sick) punch nothing."""
    weather = DayWeather(rainy=day.month in (10, 11, 12, 1, 2, 3) and rng.random() < 0.3)
    monday = day.weekday() == 0
    end = END_FRI if day.weekday() == 4 else END_MON_THU
    devices = {u.code: u.devices for u in city.units}
    events: list[dict[str, Any]] = []
    for emp in city.employees:
        if rng.random() < _absence_chance(emp.habit, monday) or emp.nip in away:
            continue
        device = rng.choice(devices[emp.unit_code])
        arrive = datetime.combine(day, START, WIB) + timedelta(
            minutes=_arrival_offset_min(rng, emp.habit, monday, weather.rainy),
            seconds=rng.randint(0, 59),
        )
        leave = datetime.combine(day, end, WIB) + timedelta(
            minutes=rng.gauss(12, 10) if rng.random() > 0.08 else -rng.uniform(5, 95)
        )
        events.append(_punch(emp, device.serial, arrive, "in", rng))
        if rng.random() < 0.97:  # some forget to check out
            events.append(_punch(emp, device.serial, leave, "out", rng))
    events.sort(key=lambda e: e["occurred_at"])
    return events


def _punch(
    emp: Employee, serial: str, at: datetime, direction: str, rng: random.Random
) -> dict[str, Any]:
    return {
        "event_id": _event_id(rng),
        "type": "attendance.recorded",
        "schema_version": 1,
        "occurred_at": at.replace(microsecond=0).isoformat(),
        "nip": emp.nip,
        "source": {"kind": "device", "id": serial},
        "payload": {"direction": direction, "method": "fingerprint", "device_sn": serial},
    }


def attendance_events(
    city: City, start: date, end: date, seed: int | None = None
) -> Iterator[dict[str, Any]]:
    """All punches from ``start`` to ``end``, day by day, deterministic for the seed."""
    rng = random.Random(city.seed if seed is None else seed)
    for day in working_days(start, end):
        yield from day_events(city, day, rng)

"""A simulated city's year as the topics would hold it: the org chart, then day by day the
punches, the leave and sick notes, the citizens' ratings at the service desks, each day's closing,
and at each month's end the targets' progress and each quarter's behaviour ratings.

Pure generation (deterministic for the seed), for the replay benchmark and ``kinerja-local
year``. Intake takes events at most 35 days old, so a past year goes straight onto the topics,
stamped as intake would have stamped it on the day (``received_at``). For 4,500 ASN a year is
about 2.3 million records; attendance is most of it (two punches a working day).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from kinerja_local.city import City, Employee, Habit
from kinerja_local.provision import FIXED_HOLIDAYS, city_rows
from kinerja_local.simulator import WIB, day_events, working_days
from kinerja_shared import topics

#: Units with a service desk, where citizens rate the officer who served them (SKM).
SERVICE_UNITS = frozenset({"DUKCAPIL", "DPMPTSP", "RSUD", "DINKES", "DINSOS"})
#: One in this many of a service unit's staff sits at a desk.
DESK_SHARE = 6
#: How a habit shows in the targets: the share of the year's target reached by December.
_REACHED = {
    Habit.PUNCTUAL: (0.95, 1.15),
    Habit.SOMETIMES_LATE: (0.85, 1.05),
    Habit.CHRONICALLY_LATE: (0.7, 0.95),
    Habit.OFTEN_ABSENT: (0.4, 0.8),
}


@dataclass(frozen=True, slots=True)
class Record:
    """One record for a topic (base name, without an environment's prefix), keyed as intake and
    feedback key theirs."""

    topic: str
    key: str
    value: dict[str, Any]


def year_records(city: City, year: int, until: date | None = None) -> Iterator[Record]:
    """The org chart, then every record of ``year`` up to ``until`` (inclusive), in time order."""
    rng = random.Random(city.seed * 7919 + year)
    yield from _org_chart(city, year)
    holidays = {date.fromisoformat(f"{year}-{md}") for md, _ in FIXED_HOLIDAYS}
    last = min(until or date(year, 12, 31), date(year, 12, 31))
    days = [d for d in working_days(date(year, 1, 1), last) if d not in holidays]
    away, excuses = _leave(city, days, rng)
    desks = _desks(city, rng)
    for i, day in enumerate(days):
        for value in excuses.get(day, []):
            yield _event(value)
        for value in day_events(city, day, rng, frozenset(away.get(day, ()))):
            yield _event(value)
        for value in _ratings(desks, day, rng, away.get(day, set())):
            yield _event(value)
        yield Record(
            topics.REFERENCE, f"day_closed:{day}", {"kind": "day_closed", "date": str(day)}
        )
        if i + 1 == len(days) or days[i + 1].month != day.month:
            yield from (_event(v) for v in _targets(city, day, rng))
            if day.month % 3 == 0:
                yield from (_event(v) for v in _behaviour(city, day, rng))


def _org_chart(city: City, year: int) -> Iterator[Record]:
    for u in city.units:
        yield Record(
            topics.REFERENCE, f"unit:{u.code}", {"kind": "unit", "code": u.code, "name": u.name}
        )
        for d in u.devices:
            device = {"kind": "device", "serial": d.serial, "unit_code": d.unit_code}
            yield Record(topics.REFERENCE, f"device:{d.serial}", device)
    for md, name in FIXED_HOLIDAYS:
        day = f"{year}-{md}"
        yield Record(
            topics.REFERENCE, f"holiday:{day}", {"kind": "holiday", "date": day, "name": name}
        )
    # As the admin API registers them: heads first, so a supervisor is known before the staff.
    for row in city_rows(city):
        yield Record(topics.REFERENCE, f"employee:{row['nip']}", {"kind": "employee", **row})


def _event(value: dict[str, Any]) -> Record:
    """Stamped as intake stamps what it accepts: received a few seconds after it happened."""
    occurred = datetime.fromisoformat(value["occurred_at"])
    stamped = {**value, "received_at": (occurred + timedelta(seconds=7)).isoformat()}
    topic = topics.FEEDBACK if value["type"] == "behaviour.rated" else _TOPIC[value["type"]]
    return Record(topic, value["nip"], stamped)


_TOPIC = {
    "attendance.recorded": topics.ATTENDANCE,
    "attendance.excused": topics.ATTENDANCE,
    "service.rated": topics.SERVICE_QUALITY,
    "target.progressed": topics.TARGET_PROGRESS,
}


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), WIB).isoformat()


def _leave(
    city: City, days: list[date], rng: random.Random
) -> tuple[dict[date, set[str]], dict[date, list[dict[str, Any]]]]:
    """Who is away on which day, and the excuse events (filed the morning the leave starts):
    a block or two of annual leave (cuti tahunan) and now and then a sick note."""
    away: dict[date, set[str]] = {}
    excuses: dict[date, list[dict[str, Any]]] = {}
    for e in city.employees:
        blocks = [("cuti", rng.randint(2, 5)) for _ in range(rng.randint(0, 2))]
        if rng.random() < 0.3:
            blocks.append(("sakit", rng.randint(1, 3)))
        for reason, length in blocks:
            start = rng.randrange(max(1, len(days) - length))
            span = days[start : start + length]
            for d in span:
                away.setdefault(d, set()).add(e.nip)
            excuses.setdefault(span[0], []).append(_excuse(e, span[0], span[-1], reason, rng))
    return away, excuses


def _excuse(
    e: Employee, first: date, last: date, reason: str, rng: random.Random
) -> dict[str, Any]:
    return {
        "event_id": _id(rng),
        "type": "attendance.excused",
        "schema_version": 1,
        "occurred_at": _at(first, 7, 5),
        "nip": e.nip,
        "source": {"kind": "system", "id": "simpeg"},
        "payload": {
            "date_from": str(first),
            "date_to": str(last),
            "reason": reason,
            "reference": f"{reason.upper()}/{e.nip[-6:]}/{first:%Y%m%d}",
        },
    }


def _desks(city: City, rng: random.Random) -> list[tuple[Employee, str]]:
    staff = [e for e in city.employees if e.unit_code in SERVICE_UNITS and e.supervisor_nip]
    chosen = [e for e in staff if rng.randrange(DESK_SHARE) == 0]
    return [(e, f"{e.unit_code}-LOKET{i % 4 + 1}") for i, e in enumerate(chosen)]


def _ratings(
    desks: list[tuple[Employee, str]], day: date, rng: random.Random, away: set[str]
) -> Iterator[dict[str, Any]]:
    for e, desk in desks:
        if e.nip in away:
            continue
        good = e.habit in (Habit.PUNCTUAL, Habit.SOMETIMES_LATE)
        for n in range(rng.randint(1, 5)):
            score = min(4, max(1, round(rng.gauss(3.4 if good else 2.8, 0.6))))
            yield {
                "event_id": _id(rng),
                "type": "service.rated",
                "schema_version": 1,
                "occurred_at": _at(day, 9 + n, rng.randrange(60)),
                "nip": e.nip,
                "source": {"kind": "desk", "id": desk},
                "payload": {
                    "unit_code": e.unit_code,
                    "desk_id": desk,
                    "service": "Pelayanan loket",
                    "ratings": {"overall": score},
                },
            }


def _targets(city: City, day: date, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Each employee's two indicators (the first one main), realised so far this year."""
    share_of_year = day.month / 12
    for e in city.employees:
        low, high = _REACHED[e.habit]
        for k, (name, target) in enumerate((("Dokumen yang diselesaikan", 120), ("Laporan", 12))):
            reached = target * share_of_year * rng.uniform(low, high)
            yield {
                "event_id": _id(rng),
                "type": "target.progressed",
                "schema_version": 1,
                "occurred_at": _at(day, 15, 30),
                "nip": e.nip,
                "source": {"kind": "system", "id": "e-kinerja"},
                "payload": {
                    "skp_id": f"SKP-{day.year}-{e.nip}",
                    "indicator_id": f"IKI-{k + 1}",
                    "indicator": name,
                    "period": day.year,
                    "target": target,
                    "realized": round(reached, 1),
                    "unit": "dokumen" if k == 0 else "laporan",
                    "main": k == 0,
                },
            }


def _behaviour(city: City, day: date, rng: random.Random) -> Iterator[dict[str, Any]]:
    """The supervisors' Perilaku Kerja ratings of the quarter, as feedback publishes them."""
    quarter = f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    for e in city.employees:
        if not e.supervisor_nip:
            continue
        x = rng.random()
        rating = (
            "Di Atas Ekspektasi"
            if x < 0.15
            else "Di Bawah Ekspektasi"
            if x > 0.95 or e.habit is Habit.OFTEN_ABSENT
            else "Sesuai Ekspektasi"
        )
        yield {
            "event_id": _id(rng),
            "type": "behaviour.rated",
            "schema_version": 1,
            "occurred_at": _at(day, 16, 0),
            "nip": e.nip,
            "source": {"kind": "system", "id": "kinerja-feedback"},
            "payload": {
                "period": quarter,
                "rating": rating,
                "justification": "Penilaian perilaku kerja triwulan.",
                "rated_by": e.supervisor_nip,
            },
        }

"""The simulated city's work besides attendance: citizens rating the desks of the units that
serve them (SKM, ``service.rated``), and each employee's progress on their annual targets (SKP,
``target.progressed``), so that IKM, Hasil Kerja and the predicate have figures on a first run.

Pure generation (deterministic for the seed); sending lives in ``sender``. Habits carry over:
who keeps their hours tends to serve better and to keep pace with their targets, loosely.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from kinerja_local.city import City, Employee, Habit
from kinerja_local.simulator import WIB, working_days

#: Units with desks the public visits, and what each serves.
SERVICE_UNITS = {
    "DUKCAPIL": "Layanan KTP-el dan Kartu Keluarga",
    "DPMPTSP": "Perizinan berusaha",
    "RSUD": "Pendaftaran pasien",
    "DINKES": "Layanan puskesmas",
    "DINSOS": "Layanan bantuan sosial",
    "KEC-DTB": "Layanan administrasi kecamatan",
    "KEC-TBS": "Layanan administrasi kecamatan",
}
#: The share of a service unit's staff who work a desk.
DESK_SHARE = 0.3
#: How well, on the 1–4 scale of each SKM element, a desk serves by habit (mean).
_SERVICE = {
    Habit.PUNCTUAL: 3.5,
    Habit.SOMETIMES_LATE: 3.2,
    Habit.CHRONICALLY_LATE: 2.8,
    Habit.OFTEN_ABSENT: 2.4,
}
#: How far ahead of the year's pro-rated targets an employee runs, by habit (mean).
_PACE = {
    Habit.PUNCTUAL: 1.05,
    Habit.SOMETIMES_LATE: 0.97,
    Habit.CHRONICALLY_LATE: 0.88,
    Habit.OFTEN_ABSENT: 0.75,
}
#: Each employee's SKP indicators: (id, words, yearly target, unit, main, lower is better).
INDICATORS = (
    ("IK1", "Dokumen dan layanan yang diselesaikan", 1200.0, "dokumen", True, False),
    ("IK2", "Laporan kinerja bulanan yang tepat waktu", 12.0, "laporan", False, False),
    ("IK3", "Rata-rata waktu penyelesaian layanan", 3.0, "hari", False, True),
)


def _event(
    rng: random.Random, type_: str, at: datetime, nip: str, source: dict[str, str], payload: Any
) -> dict[str, Any]:
    return {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "type": type_,
        "schema_version": 1,
        "occurred_at": at.replace(microsecond=0).isoformat(),
        "nip": nip,
        "source": source,
        "payload": payload,
    }


def desk_staff(city: City, seed: int | None = None) -> list[Employee]:
    """Who works a desk: a share of each service unit's staff (never its head)."""
    rng = random.Random((city.seed if seed is None else seed) + 101)
    return [
        e
        for e in city.employees
        if e.unit_code in SERVICE_UNITS and e.supervisor_nip and rng.random() < DESK_SHARE
    ]


def service_ratings(
    city: City, start: date, end: date, seed: int | None = None
) -> Iterator[dict[str, Any]]:
    """Each working day, zero to four citizens rate each desk on the nine SKM elements."""
    rng = random.Random((city.seed if seed is None else seed) + 202)
    staff = desk_staff(city, seed)
    for day in working_days(start, end):
        for emp in staff:
            desk = f"LOKET-{emp.unit_code}"
            for _ in range(rng.randint(0, 4)):
                mean = _SERVICE[emp.habit]
                ratings = {
                    f"U{i}": min(4, max(1, round(rng.gauss(mean, 0.6)))) for i in range(1, 10)
                }
                at = datetime.combine(day, time(8, 0), WIB) + timedelta(minutes=rng.randint(0, 420))
                payload = {
                    "unit_code": emp.unit_code,
                    "desk_id": desk,
                    "service": SERVICE_UNITS[emp.unit_code],
                    "ratings": ratings,
                }
                source = {"kind": "desk", "id": desk}
                yield _event(rng, "service.rated", at, emp.nip, source, payload)


def target_progress(
    city: City, as_of: datetime, seed: int | None = None
) -> Iterator[dict[str, Any]]:
    """Every employee's cumulative realisation of each SKP indicator as of ``as_of``."""
    rng = random.Random((city.seed if seed is None else seed) + 303)
    year = as_of.astimezone(WIB).year
    elapsed = (as_of.astimezone(WIB).date() - date(year, 1, 1)).days + 1
    share = min(1.0, elapsed / 365)
    for emp in city.employees:
        pace = _PACE[emp.habit] * rng.uniform(0.88, 1.15)
        for ind_id, words, target, unit, main, lower in INDICATORS:
            realized = target / pace if lower else target * share * pace
            payload = {
                "skp_id": f"SKP-{year}-{emp.nip}",
                "indicator_id": ind_id,
                "indicator": words,
                "period": year,
                "target": target,
                "realized": round(realized, 2 if lower else 0),
                "unit": unit,
                "polarity": "lower_is_better" if lower else "higher_is_better",
                "main": main,
            }
            source = {"kind": "system", "id": "e-kinerja"}
            yield _event(rng, "target.progressed", as_of, emp.nip, source, payload)

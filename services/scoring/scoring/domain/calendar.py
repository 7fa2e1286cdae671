"""The working calendar and each working day's standing (pure).

A working day is a weekday the employee's schedule has hours for, that is neither a national
holiday nor cuti bersama. On it an employee is hadir (present; possibly terlambat/TL, late, and
pulang sebelum waktunya/PSW, leaving early), izin (excused: cuti, sakit, dinas luar...) or tanpa
keterangan (absent without a valid reason: no record at all and no excuse).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from scoring.domain.policy import Band, Policy, Schedule


class DayStatus(StrEnum):
    HADIR = "hadir"  # present
    IZIN = "izin"  # excused (cuti, sakit, izin, dinas luar, tugas belajar)
    TANPA_KETERANGAN = "tanpa_keterangan"  # absent without a valid reason
    LIBUR = "libur"  # not a working day (weekend, holiday, cuti bersama)


@dataclass(frozen=True, slots=True)
class DayStanding:
    date: date
    status: DayStatus
    late_minutes: int = 0
    tl: str | None = None  # TL1..TL4
    early_minutes: int = 0
    psw: str | None = None  # PSW1..PSW4
    note: str = ""


@dataclass(frozen=True, slots=True)
class Permit:
    """A partial-day permission (izin datang terlambat / pulang cepat): lateness up to
    ``late_until`` and leaving from ``early_from`` are excused; the day still counts."""

    late_until: datetime | None = None
    early_from: datetime | None = None


def is_working_day(day: date, schedule: Schedule, holidays: frozenset[date]) -> bool:
    return day.weekday() in schedule.hours and day not in holidays


def working_days(
    start: date, end: date, schedule: Schedule, holidays: frozenset[date]
) -> Iterator[date]:
    day = start
    while day <= end:
        if is_working_day(day, schedule, holidays):
            yield day
        day += timedelta(days=1)


def band_of(minutes: int, bands: Iterable[Band]) -> str | None:
    """The category whose band holds ``minutes`` (bands start at their first minute)."""
    found = None
    for start, name in bands:
        if minutes >= start:
            found = name
    return found


def _working_minutes_between(
    a: datetime, b: datetime, day: date, schedule: Schedule, tz: ZoneInfo
) -> int:
    """Working minutes of ``day`` between instants ``a`` and ``b``: inside the day's hours and
    outside its break, a started minute counting as one (07:30:01 is one minute late)."""
    seconds = _overlap(a, b, *schedule.span(day, tz))
    pause = schedule.break_span(day, tz)
    if pause is not None:
        seconds -= _overlap(a, b, *pause)
    return max(0, math.ceil(seconds / 60))


def _overlap(a: datetime, b: datetime, lo: datetime, hi: datetime) -> float:
    return max(0.0, (min(b, hi) - max(a, lo)).total_seconds())


def _one_punch(
    day: date, first_in: datetime, schedule: Schedule, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """A day with one punch (or a "check-out" not after the check-in) is judged once: before
    the middle of the working day the punch is the check-in, from it on the check-out."""
    start, end = schedule.span(day, tz)
    return (first_in, None) if first_in < start + (end - start) / 2 else (None, first_in)


def day_standing(
    day: date,
    policy: Policy,
    schedule: Schedule,
    holidays: frozenset[date],
    tz: ZoneInfo,
    first_in: datetime | None,
    last_out: datetime | None,
    excused: bool,
    permit: Permit = Permit(),
) -> DayStanding:
    """``schedule``: the hours the employee works on ``day`` (``WorkSchedule.on``)."""
    if not is_working_day(day, schedule, holidays):
        return DayStanding(day, DayStatus.LIBUR)
    if excused:
        return DayStanding(day, DayStatus.IZIN)
    if first_in is None and last_out is None:
        return DayStanding(day, DayStatus.TANPA_KETERANGAN)
    note = ""
    if first_in is not None and last_out is not None and last_out <= first_in:
        first_in, last_out = _one_punch(day, first_in, schedule, tz)
        note = "one punch, judged once"
    start, end = schedule.span(day, tz)
    bands = policy.attendance
    day_minutes = schedule.working_minutes(day.weekday())
    missing = day_minutes // 2 if bands.missing_punch_minutes == "half_day" else 0
    tl: str | None
    psw: str | None
    if first_in is None:
        late, tl, note = missing, bands.tl_bands[-1][1], note or "no check-in"
    else:
        if permit.late_until is not None:  # permitted: only arriving after it counts
            start = max(start, permit.late_until)
            note = note or f"izin datang terlambat s.d. {_clock(permit.late_until, tz)}"
        late = _working_minutes_between(start, first_in, day, schedule, tz)
        tl = band_of(late, bands.tl_bands)
    if last_out is None:
        early, psw, note = missing, bands.psw_bands[-1][1], note or "no check-out"
    else:
        if permit.early_from is not None:  # permitted: only leaving before it counts
            end = min(end, permit.early_from)
            note = note or f"izin pulang cepat mulai {_clock(permit.early_from, tz)}"
        early = _working_minutes_between(last_out, end, day, schedule, tz)
        psw = band_of(early, bands.psw_bands)
    late = min(late, day_minutes)  # a day never counts more than its working time
    early = min(early, day_minutes - late)
    return DayStanding(day, DayStatus.HADIR, late, tl, early, psw, note)


@dataclass(frozen=True)
class WorkSchedule:
    """Which hours an employee works on a day: their schedule history (the name from a date on,
    oldest first; the first holds for any earlier day) and the policy's periods (Ramadan's
    hours, a schedule's new hours). Past days keep the hours they had."""

    policy: Policy
    history: tuple[tuple[date | None, str], ...] = ((None, "standar"),)

    def name_on(self, day: date) -> str:
        name = self.history[0][1]
        for since, later in self.history:
            if since is None or since <= day:
                name = later
        return name

    def on(self, day: date) -> Schedule:
        name, _ = self.policy.schedule_for(self.name_on(day))
        known = name if name in self.policy.schedules else "standar"
        return self.policy.hours_on(known, day)[1]

    def names(self) -> list[str]:
        """How the evidence names the schedules: each with the date it started."""
        return [
            f"{self.policy.schedule_for(n)[0]}" + (f" (sejak {since})" if since else "")
            for since, n in self.history
        ]


def _clock(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%H:%M")

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


def _minutes_after(later: datetime, earlier: datetime) -> int:
    """Whole minutes, a started minute counting as one (07:30:01 is one minute late)."""
    return max(0, math.ceil((later - earlier).total_seconds() / 60))


def day_standing(
    day: date,
    policy: Policy,
    schedule: Schedule,
    holidays: frozenset[date],
    tz: ZoneInfo,
    first_in: datetime | None,
    last_out: datetime | None,
    excused: bool,
) -> DayStanding:
    if not is_working_day(day, schedule, holidays):
        return DayStanding(day, DayStatus.LIBUR)
    if excused:
        return DayStanding(day, DayStatus.IZIN)
    if first_in is None and last_out is None:
        return DayStanding(day, DayStatus.TANPA_KETERANGAN)
    start_t, end_t = schedule.hours[day.weekday()]
    start = datetime.combine(day, start_t, tz)
    end = datetime.combine(day, end_t, tz)
    bands = policy.attendance
    worst_tl, worst_psw = bands.tl_bands[-1][1], bands.psw_bands[-1][1]
    if last_out is not None and first_in is not None and last_out <= first_in:
        last_out = None  # one punch is a check-in only
    if first_in is None:
        early = _minutes_after(end, last_out) if last_out else 0
        return DayStanding(
            day,
            DayStatus.HADIR,
            tl=worst_tl,
            early_minutes=early,
            psw=band_of(early, bands.psw_bands),
            note="no check-in",
        )
    late = _minutes_after(first_in, start)
    if last_out is None:
        return DayStanding(
            day,
            DayStatus.HADIR,
            late_minutes=late,
            tl=band_of(late, bands.tl_bands),
            psw=worst_psw,
            note="no check-out",
        )
    early = _minutes_after(end, last_out)
    return DayStanding(
        day,
        DayStatus.HADIR,
        late_minutes=late,
        tl=band_of(late, bands.tl_bands),
        early_minutes=early,
        psw=band_of(early, bands.psw_bands),
    )

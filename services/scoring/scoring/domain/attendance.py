"""Scoring's pure rules. No I/O: adapters turn records into these inputs and store the outputs.

A punch is reduced to its local day and instant; ``scoring.domain.facts`` folds punches into an
employee's facts of the year by ``min``/``max``/set-union, so the result depends only on the *set*
of events received: order, duplicates and redelivery change nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kinerja_shared.events import (
    AttendanceExcusedEvent,
    AttendanceRecordedEvent,
    Direction,
    ExcusePart,
)
from kinerja_shared.periods import MONTH_PATTERN

_MONTH_RE = re.compile(MONTH_PATTERN)


def parse_month(period: str) -> tuple[int, int]:
    """``"2026-11"`` → ``(2026, 11)``; ``ValueError`` with a reason otherwise."""
    if not _MONTH_RE.match(period):
        raise ValueError(f"period {period!r} is not a month written YYYY-MM")
    return int(period[:4]), int(period[5:])


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True, slots=True)
class Punch:
    """One attendance record reduced to what the month keeps: which local day, and when."""

    nip: str
    period: str  # YYYY-MM of the local day
    day: str  # DD of the local day
    at: datetime  # the instant (aware)
    event_id: str
    counts_as_check_in: bool
    counts_as_check_out: bool


def punch_of(event: AttendanceRecordedEvent, tz: ZoneInfo) -> Punch:
    """A machine that does not say the direction (``unknown``) may be either: the day's earliest
    such punch can be its check-in and the latest its check-out."""
    local_day = event.occurred_at.astimezone(tz).date()
    direction = event.payload.direction
    return Punch(
        nip=event.nip,
        period=month_of(local_day),
        day=f"{local_day.day:02d}",
        at=event.occurred_at,
        event_id=event.event_id,
        counts_as_check_in=direction in (Direction.IN, Direction.UNKNOWN),
        counts_as_check_out=direction in (Direction.OUT, Direction.UNKNOWN),
    )


@dataclass(frozen=True, slots=True)
class ExcuseMark:
    """One day covered by an ``attendance.excused`` event (cuti, sakit, izin, dinas luar...)."""

    nip: str
    period: str
    day: str
    event_id: str


@dataclass(frozen=True, slots=True)
class PartialExcuse:
    """A partial-day permission: late arrival excused until ``late_until`` or early leaving
    excused from ``early_from`` (instants; the day's end or start when the letter names no
    time). Several on one day fold by ``max``/``min``: together they excuse the most."""

    nip: str
    day: date
    event_id: str
    late_until: datetime | None = None
    early_from: datetime | None = None


def partial_excuse(event: AttendanceExcusedEvent, tz: ZoneInfo) -> PartialExcuse | None:
    p = event.payload
    if p.part is ExcusePart.DAY:
        return None
    if p.part is ExcusePart.DATANG_TERLAMBAT:
        until = datetime.combine(p.date_from, p.time or time.max, tz)
        return PartialExcuse(event.nip, p.date_from, event.event_id, late_until=until)
    since = datetime.combine(p.date_from, p.time or time.min, tz)
    return PartialExcuse(event.nip, p.date_from, event.event_id, early_from=since)


def excuse_marks(event: AttendanceExcusedEvent) -> list[ExcuseMark]:
    """Every calendar day of a whole-day excuse; days off among them simply stay days off. A
    partial-day permission marks no day as excused (``partial_excuse``)."""
    if event.payload.part is not ExcusePart.DAY:
        return []
    marks = []
    day = event.payload.date_from
    while day <= event.payload.date_to:
        marks.append(ExcuseMark(event.nip, month_of(day), f"{day.day:02d}", event.event_id))
        day += timedelta(days=1)
    return marks


@dataclass(frozen=True, slots=True)
class DayAttendance:
    date: date
    first_check_in: datetime | None  # in the employee's local time
    last_check_out: datetime | None


@dataclass(frozen=True, slots=True)
class MonthAttendance:
    """The month figures of the first path: days with a check-in and each day's first check-in."""

    nip: str
    period: str
    days_with_check_in: int
    events_counted: int
    days: tuple[DayAttendance, ...]


def month_attendance(
    nip: str,
    period: str,
    first_in: Mapping[str, datetime],
    last_out: Mapping[str, datetime],
    events_counted: int,
    tz: ZoneInfo,
) -> MonthAttendance:
    year, month = parse_month(period)
    days = []
    for dd in sorted(set(first_in) | set(last_out)):
        fi, lo = first_in.get(dd), last_out.get(dd)
        days.append(
            DayAttendance(
                date=date(year, month, int(dd)),
                first_check_in=fi.astimezone(tz) if fi else None,
                last_check_out=lo.astimezone(tz) if lo else None,
            )
        )
    return MonthAttendance(
        nip=nip,
        period=period,
        days_with_check_in=sum(1 for d in days if d.first_check_in is not None),
        events_counted=events_counted,
        days=tuple(days),
    )

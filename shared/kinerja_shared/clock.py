"""Time as a dependency of every service: services read the system clock; tests move a manual
one, so windows, grouping, quiet hours and escalation are tested without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, at: datetime) -> None:
        self._now = at


def utc(at: datetime) -> datetime:
    """A stored moment as an aware one: BSON dates come back naive, and they are UTC."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)

"""Closes each calendar day on a schedule by publishing ``day_closed`` to the reference topic.

Absence is the lack of events; this record is what turns "no record yet" into "absent without a
valid reason" in scoring, and what makes a replay reproduce it. Publishing is idempotent (the key
is the date), so several intake instances, restarts and the catch-up at start are harmless.

A day of a year whose holiday calendar is not loaded yet is held, not closed: closing it would
judge that year's holidays and cuti bersama as everyone's absence. The days held are logged in
Indonesian and counted (``kinerja_intake_days_held``, which Prometheus alerts on); they close as
soon as the calendar is loaded.

The last day closed is kept in intake's store once Kafka has acknowledged it, so an intake that
was down over several evenings closes every one of those days when it is back (at most
``MAX_CATCH_UP_DAYS``: older days than scoring's grace can no longer change anything). The
store, not the topic, is asked: the reference topic is compacted and holds every employee, so
finding the last closing there means reading all of it at each start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry, Gauge

from intake.publisher import EventPublisher, PublishFailed
from kinerja_shared.clock import Clock
from kinerja_shared.reference import DayClosed

log = logging.getLogger(__name__)


#: Days closed at most in one catch-up (the scoring grace).
MAX_CATCH_UP_DAYS = 35


def days_to_close(now: datetime, close_at: time, last_closed: date | None) -> list[date]:
    """The dates that are over at ``now`` (local) and not yet closed, oldest first (pure)."""
    today = now.date()
    newest = today if now.time() >= close_at else today - timedelta(days=1)
    first = newest if last_closed is None else last_closed + timedelta(days=1)
    first = max(first, newest - timedelta(days=MAX_CATCH_UP_DAYS - 1))
    return [first + timedelta(days=i) for i in range((newest - first).days + 1)]


def held_back(due: list[date], calendar_years: set[int]) -> tuple[list[date], list[date]]:
    """(the days that may close, the days held): a day of a year whose calendar is not loaded is
    held, and so is every later day, since days close in order and resume after the last."""
    for i, day in enumerate(due):
        if day.year not in calendar_years:
            return due[:i], due[i:]
    return due, []


def held_message(held: list[date]) -> str:
    """What ops read in the log and the alert, in Indonesian."""
    years = sorted({d.year for d in held})
    return (
        f"Kalender libur tahun {', '.join(map(str, years))} belum dimuat: {len(held)} hari "
        f"({held[0]}..{held[-1]}) ditahan, belum dinilai. Muat kalender tahun itu dari SKB "
        "(POST /v1/admin/calendars); hari yang ditahan ditutup sesudahnya."
    )


class ClosedDays(Protocol):
    async def last_closed_day(self) -> date | None: ...

    async def set_last_closed_day(self, day: date) -> None: ...

    async def calendar_years(self) -> set[int]: ...


class DayCloser:
    def __init__(
        self,
        publisher: EventPublisher,
        closed: ClosedDays,
        tz: ZoneInfo,
        close_at: time,
        clock: Clock,
        check_every_s: float = 60.0,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._publisher = publisher
        self._closed = closed
        self._tz = tz
        self._clock = clock
        self._close_at = close_at
        self._check_every_s = check_every_s
        self._last_closed: date | None = None
        self._task: asyncio.Task[None] | None = None
        self._held = Gauge(
            "kinerja_intake_days_held",
            "Days over but not closed: their year's holiday calendar is not loaded",
            registry=registry,
        )

    async def close(self, days: list[date]) -> None:
        await self._publisher.publish_reference([DayClosed(date=d) for d in days])

    async def tick(self, now: datetime) -> list[date]:
        if self._last_closed is None:
            self._last_closed = await self._closed.last_closed_day()
        due, held = held_back(
            days_to_close(now, self._close_at, self._last_closed),
            await self._closed.calendar_years(),
        )
        self._held.set(len(held))
        if held:
            log.warning(held_message(held), extra={"held": [d.isoformat() for d in held]})
        if due:
            await self.close(due)
            await self._closed.set_last_closed_day(due[-1])
            self._last_closed = due[-1]
            log.info("closed days", extra={"days": [d.isoformat() for d in due]})
        return due

    async def _run(self) -> None:
        while True:
            try:
                await self.tick(self._clock.now().astimezone(self._tz))
            except PublishFailed as exc:
                log.warning("could not close the day yet; retrying", extra={"error": str(exc)})
            except Exception as exc:  # noqa: BLE001 - the store away, or else: the loop goes on
                log.warning("could not record the closed day; retrying", extra={"error": str(exc)})
            await asyncio.sleep(self._check_every_s)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="day-closer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

"""Closes each calendar day on a schedule by publishing ``day_closed`` to the reference topic.

Absence is the lack of events; this record is what turns "no record yet" into "absent without a
valid reason" in scoring, and what makes a replay reproduce it. Publishing is idempotent (the key
is the date), so several intake instances, restarts and the catch-up at start are harmless.

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

from intake.publisher import EventPublisher, PublishFailed
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


class ClosedDays(Protocol):
    async def last_closed_day(self) -> date | None: ...

    async def set_last_closed_day(self, day: date) -> None: ...


class DayCloser:
    def __init__(
        self,
        publisher: EventPublisher,
        closed: ClosedDays,
        tz: ZoneInfo,
        close_at: time,
        check_every_s: float = 60.0,
    ) -> None:
        self._publisher = publisher
        self._closed = closed
        self._tz = tz
        self._close_at = close_at
        self._check_every_s = check_every_s
        self._last_closed: date | None = None
        self._task: asyncio.Task[None] | None = None

    async def close(self, days: list[date]) -> None:
        await self._publisher.publish_reference([DayClosed(date=d) for d in days])

    async def tick(self, now: datetime) -> list[date]:
        if self._last_closed is None:
            self._last_closed = await self._closed.last_closed_day()
        due = days_to_close(now, self._close_at, self._last_closed)
        if due:
            await self.close(due)
            await self._closed.set_last_closed_day(due[-1])
            self._last_closed = due[-1]
            log.info("closed days", extra={"days": [d.isoformat() for d in due]})
        return due

    async def _run(self) -> None:
        while True:
            try:
                await self.tick(datetime.now(self._tz))
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

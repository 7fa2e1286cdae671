"""The dispatcher: the loops that drive the notifier's use cases on the replica holding the
dispatcher's lease. Planning (``plan``) escalates what is due (``followups``), turns queued
items into notifications (``grouping``) and reminds; delivery (``deliver_due``) sends the outbox
(``delivery``). The service runs both loops; tests call ``tick`` with a manual clock.

How each step survives a crash without transactions is told where the step is: ``grouping``
(the order of writes) and ``delivery`` (the lease, and the one window of a repeat).
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta

from faststream.kafka import KafkaBroker

from kinerja_shared.clock import Clock
from kinerja_shared.periodic import Periodic
from notifier.delivery import Delivery, DispatchLease, Senders
from notifier.domain.routing import RoutingConfig
from notifier.followups import FollowUps
from notifier.grouping import Grouping
from notifier.metrics import NotifierMetrics
from notifier.store import NotifierStore

log = logging.getLogger(__name__)

#: Reminders and escalations are due in hours and working days: they are looked for this often,
#: not on every pass (their collections hold every open alert, so a look reads them all).
FOLLOW_UP_EVERY = timedelta(seconds=15)


class Dispatcher:
    def __init__(
        self,
        store: NotifierStore,
        config: RoutingConfig,
        clock: Clock,
        senders: Senders,
        broker: KafkaBroker,
        dlq_topic: str,
        metrics: NotifierMetrics,
        *,
        batch_limit: int = 5000,
        concurrency: int = 32,
        lease_s: float = 60.0,
        stream_retention: timedelta = timedelta(days=3),
    ) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._metrics = metrics
        self._stream_retention = stream_retention
        self._lease = DispatchLease(store, clock, timedelta(seconds=lease_s))
        self._grouping = Grouping(store, config, metrics, batch_limit)
        self._followups = FollowUps(store, config, metrics, email_enabled=senders.email is not None)
        self._delivery = Delivery(
            store,
            config,
            clock,
            senders,
            broker,
            dlq_topic,
            metrics,
            self._lease,
            limit=batch_limit,
            concurrency=concurrency,
        )
        self._holidays: frozenset[date] = frozenset()
        self._holidays_at: datetime | None = None
        self._purged_at: datetime | None = None
        self._followed_up_at: datetime | None = None
        self._loops: list[Periodic] = []

    def start(self, interval_s: float) -> None:
        """Two loops: planning (group, remind, escalate) and delivery, so a slow send never
        holds back the grouping, and a busy grouping never holds back the sends."""
        if interval_s > 0:  # 0: the caller runs the passes (tests with a manual clock)
            self._loops = [
                Periodic("notifier-planning", self.plan, interval_s),
                Periodic("notifier-delivery", self.deliver_due, interval_s),
            ]
            for loop in self._loops:
                loop.start()

    async def stop(self) -> None:
        for loop in self._loops:
            await loop.stop()
        await self._delivery.stop()
        await self._lease.release()

    async def tick(self) -> None:
        """One pass of both loops, one after the other (what tests drive)."""
        await self.plan()
        await self.deliver_due()

    async def plan(self) -> None:
        """Escalate what is due, group what is queued, remind; purge the history hourly."""
        started = time.perf_counter()
        now = self._clock.now()
        if not await self._lease.hold(now):
            return  # another replica dispatches
        holidays = await self._holiday_dates(now)
        followups = self._followed_up_at is None or now - self._followed_up_at >= FOLLOW_UP_EVERY
        if followups:
            await self._followups.escalate(now, holidays)
        await self._grouping.flush(now, holidays)
        if followups:
            await self._followups.remind(now, holidays)
            self._followed_up_at = now
        if self._purged_at is None or now - self._purged_at > timedelta(hours=1):
            removed = await self._store.purge_before(
                now - timedelta(days=self._config.retention_days), now - self._stream_retention
            )
            if removed:
                log.info("history past retention removed", extra={"documents": removed})
            self._purged_at = now
        self._metrics.tick_seconds.observe(time.perf_counter() - started)

    async def deliver_due(self) -> int:
        """Send what the outbox holds, if this replica holds the lease."""
        now = self._clock.now()
        if self._lease.held_since is None and not await self._lease.hold(now):
            return 0
        return await self._delivery.deliver(now)

    @property
    def holidays(self) -> frozenset[date]:
        """The holidays as of the last pass (escalation counts working days by them)."""
        return self._holidays

    async def load_holidays(self) -> None:
        self._holidays = await self._store.holiday_dates()
        self._holidays_at = self._clock.now()

    async def _holiday_dates(self, now: datetime) -> frozenset[date]:
        if self._holidays_at is None or abs(now - self._holidays_at) > timedelta(minutes=1):
            await self.load_holidays()
        return self._holidays

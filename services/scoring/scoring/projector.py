"""Keeps the read models up to date (a use case): takes the stale queue the consumers fill,
computes each changed employee's evaluations once per round, and writes them with the unit
lines and the outcome lists. Then, once the changes have settled, it hands the employees to the
alert check and clears their marks.

Coalescing is the point. The consumers write facts and one stale mark per batch; the projector
takes every mark that is waiting when a round starts, so an employee with many new events is
evaluated once. Live, a round follows each batch within a fraction of a second; during a
catch-up or a replay rounds grow by themselves and the store's write rate, not the event rate,
is the limit.

A round writes the evaluations itself; the unit lines and outcome lists (a unit's document holds
a line per employee, so rewriting it is slow) are flushed beside the next round, and whatever
rounds end while a flush runs go in the following one. Live, that took the flush (1.5 s of a
2.6 s round at 150 events/s) off the path from an event to its evaluation. A mark counts as
projected only once its lines are written.

One replica projects at a time (a lease), so two never write the same documents with different
views of the facts.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from kinerja_shared.clock import Clock
from kinerja_shared.metrics import LATENCY_BUCKETS
from kinerja_shared.periods import Period
from scoring.domain.attendance import month_of
from scoring.domain.facts import YearFacts
from scoring.domain.policy import Policy
from scoring.domain.projection import (
    AlertInput,
    Projection,
    periods_to_project,
    project,
)
from scoring.store import FactsStore, ReferenceStore, StaleMark

log = logging.getLogger(__name__)
#: How long the projector's lease lasts without renewal (each round renews it): a replica
#: that dies leaves the work for this long at most (``projector_lease_s``).
LEASE = timedelta(seconds=20)
#: Steps (of ``projection_round`` employees) a round may hold; the lease is renewed before
#: each, so a long round keeps it. 200 × 250 covers a city many times over.
ROUND_STEPS = 200
#: A long round writes its unit lines every this many steps (a replay's one round of the whole
#: city held every line of every period until its end: 681 MiB).
FLUSH_STEPS = 10
#: Unit lines are flushed at most this often while rounds follow each other.
FLUSH_EVERY_S = 2.0

#: Alert checks of settled employees: ``{nip: alert input}``.
AlertCheck = Callable[[Mapping[str, AlertInput]], Awaitable[object]]
#: Told which months of which employees now read differently (``evaluation.updated``).
Projected = Callable[[Mapping[str, Iterable[str]]], Awaitable[None]]


class Evaluations:
    """Computes read models from facts: for a round of many employees, or for one read whose
    document is not there yet (an employee just registered, a new day for the rolling window)."""

    def __init__(
        self,
        facts: FactsStore,
        reference: ReferenceStore,
        policy: Policy,
        tz: ZoneInfo,
        clock: Clock,
    ) -> None:
        self._facts = facts
        self._reference = reference
        self._policy = policy
        self._tz = tz
        self._clock = clock

    @property
    def policy(self) -> Policy:
        return self._policy

    def today(self) -> date:
        return self._clock.now().astimezone(self._tz).date()

    async def compute(self, months_by_nip: Mapping[str, Iterable[str]]) -> dict[str, Projection]:
        today = self.today()
        plans = {n: periods_to_project(m, today) for n, m in months_by_nip.items()}
        return await self._run(plans, today)

    async def one(self, nip: str, period: Period) -> Projection | None:
        """None when scoring knows nothing of ``nip`` (no events, no reference data)."""
        projection = (await self._run({nip: [period]}, self.today()))[nip]
        return projection if projection.known else None

    async def _run(self, plans: Mapping[str, list[Period]], today: date) -> dict[str, Projection]:
        calendar = await self._reference.calendar()
        employees = await self._reference.employees(plans)
        keys = {(n, y) for n, ps in plans.items() for p in ps for y in (p.start.year, p.end.year)}
        for nip, leads in (await self._reference.leads(keys)).items():
            employees[nip] = replace(employees[nip], leads=leads)
        facts = await self._facts.load(keys)
        by_nip: dict[str, dict[int, YearFacts]] = {}
        for (nip, year), f in facts.items():
            by_nip.setdefault(nip, {})[year] = f
        out = {}
        for i, (nip, periods) in enumerate(plans.items()):
            out[nip] = project(
                by_nip.get(nip, {}),
                employees[nip],
                calendar,
                periods,
                self._policy,
                self._tz,
                today,
            )
            if i % 50 == 49:
                await asyncio.sleep(0)  # the HTTP API stays responsive during a long round
        return out


class Queue(Protocol):
    async def pending(self, limit: int = 200) -> list[StaleMark]: ...
    async def projected(self, ids: Sequence[str]) -> None: ...
    async def done(self, ids: Sequence[str]) -> None: ...


class ReadModels(Protocol):
    async def put(self, projections: Mapping[str, Projection], now: datetime) -> None: ...
    async def flush(self) -> None: ...
    def forget(self) -> None: ...


class Lease(Protocol):
    async def hold(self, name: str, owner: str, ttl: timedelta, now: datetime) -> bool: ...
    async def release(self, name: str, owner: str) -> None: ...


class Computes(Protocol):
    def today(self) -> date: ...
    async def compute(
        self, months_by_nip: Mapping[str, Iterable[str]]
    ) -> dict[str, Projection]: ...


class Projector:
    """The ports are the stores' (``StaleQueue``, ``ReadModelStore``, ``Leases``) and
    ``Evaluations``; tests pass fakes."""

    def __init__(
        self,
        queue: Queue,
        evaluations: Computes,
        read_models: ReadModels,
        leases: Lease,
        clock: Clock,
        registry: CollectorRegistry,
        *,
        alert_check: AlertCheck | None = None,
        on_projected: Projected | None = None,
        backlog: Callable[[], Awaitable[int]] | None = None,
        catchup_backlog: int = 2000,
        settle_s: float = 30.0,
        round_employees: int = 250,
        catchup_window_s: float = 10.0,
        lease: timedelta = LEASE,
    ) -> None:
        self._queue = queue
        self._lease = lease
        self._evaluations = evaluations
        self._read_models = read_models
        self._leases = leases
        self._clock = clock
        self._alert_check = alert_check
        self._on_projected = on_projected
        self._backlog = backlog
        self._catchup_backlog = catchup_backlog
        self._settle = timedelta(seconds=settle_s)
        self._round = round_employees
        self._window = catchup_window_s
        self._last_round = time.monotonic()  # a start into a large backlog waits a window
        self._last_round_seconds = 0.0
        self._held = False
        self._owner = f"projector-{uuid.uuid4().hex[:8]}"
        # Only the alert inputs wait for the settle time (small), never whole projections.
        self._pending_alerts: dict[str, AlertInput] = {}
        # Marks evaluated whose unit lines wait for a flush, and the flush under way.
        self._unflushed: list[str] = []
        self._flushing: asyncio.Task[list[str]] | None = None
        self._flushing_ids: list[str] = []
        self._last_flush = 0.0
        self._projected = Counter(
            "kinerja_scoring_projected_employees_total",
            "Employees whose read models were computed again",
            registry=registry,
        )
        self._round_seconds = Histogram(
            "kinerja_scoring_projection_round_seconds",
            "Time of one projection round (read facts, compute, write read models)",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._waiting = Gauge(
            "kinerja_scoring_stale_marks",
            "Stale marks waiting: to be evaluated, or evaluated and waiting for the alert check",
            ["stage"],
            registry=registry,
        )

    async def release(self) -> None:
        await self._finish_flush()
        await self._leases.release("projector", self._owner)

    async def drain(self) -> None:
        """Rounds until nothing is waiting to be projected, the lines written, and the marks
        that leaves settled as far as they can be."""
        while await self.run_once():
            pass
        if await self._finish_flush():
            await self.run_once()

    async def run_once(self) -> int:
        """One round; returns how many employees were projected."""
        now = self._clock.now()
        if not await self._leases.hold("projector", self._owner, self._lease, now):
            self._held = False
            return 0
        if not self._held:  # another replica may have written meanwhile
            self._read_models.forget()
            self._held = True
        # Asked before the queue is read: once the consumers had committed everything, every
        # record's mark is in what is read next (a mark is written before its commit).
        backlog = 0 if self._backlog is None else await self._backlog()
        caught_up = backlog == 0
        marks = await self._queue.pending()
        self._waiting.labels("evaluate").set(sum(1 for m in marks if not m.projected))
        self._waiting.labels("alerts").set(sum(1 for m in marks if m.projected))
        fresh = self._take(marks) if self._due(backlog) else []
        projected = 0
        if fresh:
            months = _union(fresh)
            started = time.perf_counter()
            nips = sorted(months)
            for i in range(0, len(nips), self._round):  # bounded memory per step
                renewed = self._clock.now()
                if i and not await self._leases.hold(
                    "projector", self._owner, self._lease, renewed
                ):
                    self._held = False  # lost mid-round: the marks stay for the new holder
                    return projected
                part = {n: months[n] for n in nips[i : i + self._round]}
                projected += await self._project(part, now)
                if (i // self._round) % FLUSH_STEPS == FLUSH_STEPS - 1:
                    await self._flush_lines()  # a long round's lines would pile up in memory
            self._unflushed += [m.id for m in fresh]
            await self._flush_beside()
            self._last_round_seconds = time.perf_counter() - started
            self._round_seconds.observe(self._last_round_seconds)
            self._last_round = time.monotonic()
        await self._settled([m for m in marks if m.projected], caught_up)
        return projected

    async def _flush_beside(self) -> None:
        """Starts a flush of what is staged unless one is under way (then the next takes it)."""
        if self._flushing is not None:
            if not self._flushing.done():
                return
            await self._flushed()
        if time.monotonic() - self._last_flush >= FLUSH_EVERY_S:
            self._start_flush()

    async def _flush_lines(self) -> None:
        """Writes the lines staged so far, inside a round (its marks count as projected only
        after the flush that follows the round)."""
        await self._flushed()
        await self._read_models.flush()

    def _start_flush(self) -> None:
        if self._unflushed:
            self._flushing_ids, self._unflushed = self._unflushed, []
            self._flushing = asyncio.create_task(self._flush(self._flushing_ids))
            self._last_flush = time.monotonic()

    async def _flush(self, ids: list[str]) -> list[str]:
        await self._read_models.flush()
        await self._queue.projected(ids)
        return ids

    async def _flushed(self) -> list[str]:
        """The ids the last flush made projected. A failed flush's marks go back in line (its
        lines are staged again) and the error is raised."""
        task, self._flushing = self._flushing, None
        if task is None:
            return []
        try:
            return await task
        except BaseException:
            self._unflushed[:0] = self._flushing_ids
            raise
        finally:
            self._flushing_ids = []

    async def _finish_flush(self) -> bool:
        """Waits for the flush under way and writes the rest; True if anything was written."""
        done = await self._flushed()
        self._start_flush()
        done += await self._flushed()
        return bool(done)

    def _due(self, backlog: int) -> bool:
        """Live, every round; while the consumers have a large backlog (a catch-up, a replay),
        one round per window, so that each round takes in more of it (an employee's many
        events, one evaluation)."""
        if backlog <= self._catchup_backlog:
            return True
        # A round that took long says the next one will too: wait at least twice as long, so
        # the store spends most of a catch-up on the consumers' writes.
        window = max(self._window, 2 * self._last_round_seconds)
        return time.monotonic() - self._last_round >= window

    async def _project(self, months: Mapping[str, set[str]], now: datetime) -> int:
        projections = await self._evaluations.compute(months)
        await self._read_models.put(projections, now)
        if self._on_projected is not None:
            await self._on_projected(months)
        self._projected.inc(len(projections))
        if self._alert_check is not None:
            self._pending_alerts.update(
                {n: p.alerts for n, p in projections.items() if p.alerts is not None}
            )
        return len(projections)

    def _take(self, marks: list[StaleMark]) -> list[StaleMark]:
        """Unprojected marks, oldest first, up to a round's worth of employees (not those
        evaluated already and waiting for their lines' flush)."""
        taken: list[StaleMark] = []
        nips: set[str] = set()
        waiting = set(self._unflushed) | set(self._flushing_ids)
        for m in marks:
            if m.projected or m.id in waiting:
                continue
            new = set(m.months) - nips
            # Every waiting mark joins, so an employee in many marks is evaluated once (that
            # is the coalescing: a catch-up's batches each touch nearly everyone, and taking
            # ten steps' worth of employees took one mark a round and evaluated each of make
            # run's employees 9.3 times). Only past ROUND_STEPS steps does a round stop.
            if taken and new and len(nips) + len(new) > ROUND_STEPS * self._round:
                break
            taken.append(m)
            nips |= new
        return taken

    async def _settled(self, marks: list[StaleMark], caught_up: bool) -> None:
        """Marks whose changes have rested long enough go to the alert check, then away:
        records of one day travel on several topics, and an alert cannot be taken back."""
        if self._alert_check is None:
            await self._queue.done([m.id for m in marks])
            return
        cutoff = self._clock.now() - self._settle
        ripe = [m for m in marks if m.at <= cutoff]
        if ripe and not caught_up:
            # A backlog may still hold records of the same day (its closing, a late punch):
            # wait for it, but never longer than ten settle times, so steady load cannot
            # starve the alerts.
            ripe = [m for m in ripe if m.at <= cutoff - 9 * self._settle]
        if not ripe:
            return
        # An employee changed again since is checked when that later mark has settled.
        unsettled = set(_union(m for m in marks if m.at > cutoff))
        nips = set(_union(ripe)) - unsettled
        missing = nips - set(self._pending_alerts)
        if missing:  # a restart lost the in-memory inputs: compute them again
            this_month = month_of(self._evaluations.today())
            again = await self._evaluations.compute({n: [this_month] for n in missing})
            self._pending_alerts.update({n: p.alerts for n, p in again.items() if p.alerts})
        await self._alert_check(
            {n: self._pending_alerts[n] for n in nips if n in self._pending_alerts}
        )
        for n in nips:
            self._pending_alerts.pop(n, None)
        await self._queue.done([m.id for m in ripe])


def _union(marks: Iterable[StaleMark]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m in marks:
        for nip, months in m.months.items():
            out.setdefault(nip, set()).update(months)
    return out

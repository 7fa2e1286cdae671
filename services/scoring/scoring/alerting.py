"""Raises alerts exactly once per crossing, apart from the consumption path.

The consumers mark employees "dirty" in MongoDB in the same step as their write (durable: a crash
loses no check); this loop re-evaluates dirty employees, publishes the alerts whose deterministic
id was never published (``alert_state``), then records them. A crash between the publish and the
record republishes the same id, which the notifier recognises.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry, Counter
from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from kinerja_shared.alerts import AlertRaised, EvaluationUpdated
from kinerja_shared.mongo import bulk_write_chunked
from kinerja_shared.periodic import Periodic
from kinerja_shared.topics import Topics
from scoring.domain.alerts import (
    AlertDraft,
    Conditions,
    discipline_alerts,
    early_warnings,
    tl_psw_week_alerts,
)
from scoring.domain.ikm import ikm_of
from scoring.domain.performance import Predikat
from scoring.domain.periods import resolve
from scoring.domain.policy import Policy
from scoring.evaluations import Evaluator

log = logging.getLogger(__name__)
DIRTY = "alert_dirty"
STATE = "alert_state"
CONDITIONS = "alert_conditions"


async def mark_dirty(
    db: AsyncDatabase[dict[str, Any]], months_by_nip: Mapping[str, Iterable[str]]
) -> None:
    now = datetime.now(UTC)
    ops = [
        UpdateOne(
            {"_id": nip},
            {"$addToSet": {"months": {"$each": sorted(set(months))}}, "$set": {"dirty_at": now}},
            upsert=True,
        )
        for nip, months in months_by_nip.items()
        if months
    ]
    await bulk_write_chunked(db[DIRTY], ops)


class EvaluationUpdates:
    """``evaluation.updated``, coalesced: one per employee per consumed batch."""

    def __init__(self, broker: KafkaBroker, topics: Topics, registry: CollectorRegistry) -> None:
        self._broker = broker
        self._topics = topics
        self._published = Counter(
            "kinerja_scoring_evaluation_updates_total",
            "evaluation.updated events published (one per employee per batch)",
            registry=registry,
        )

    async def publish(self, changed: Mapping[str, Iterable[str]]) -> None:
        now = datetime.now(UTC)
        futures = [
            await self._broker.publish(
                EvaluationUpdated(nip=nip, periods=sorted(set(months)), as_of=now)
                .model_dump_json()
                .encode(),
                self._topics.evaluation,
                key=nip.encode(),
                no_confirm=True,
            )
            for nip, months in changed.items()
        ]
        await asyncio.gather(*futures)
        self._published.inc(len(futures))


class AlertChecker:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        evaluator: Evaluator,
        broker: KafkaBroker,
        topics: Topics,
        policy: Policy,
        registry: CollectorRegistry,
        interval_s: float = 2.0,
        chunk: int = 200,
        settle_s: float = 30.0,
        caught_up: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self._caught_up = caught_up
        self._pending_active: dict[str, set[str]] = {}
        self._db = db
        self._settle = timedelta(seconds=settle_s)
        self._evaluator = evaluator
        self._broker = broker
        self._topics = topics
        self._policy = policy
        self._interval_s = interval_s
        self._chunk = chunk
        self._loop: Periodic | None = None
        self._raised = Counter(
            "kinerja_scoring_alerts_total", "Alerts published by type", ["type"], registry=registry
        )
        for alert_type in ("coaching.needed", "recognition.earned", "discipline.threshold_crossed"):
            self._raised.labels(alert_type)

    async def _drafts(
        self, nip: str, months: list[str], today: date
    ) -> tuple[list[AlertDraft], dict[str, Any] | None]:
        drafts: dict[str, AlertDraft] = {}
        employee = None
        for month in months:
            view = await self._evaluator.evaluate(nip, resolve(month, None, today), today)
            if view is None:
                continue
            employee = view.employee
            ev = view.evaluation
            for d in discipline_alerts(nip, ev.end.year, ev.discipline):
                drafts[d.alert_id] = d
            for d in tl_psw_week_alerts(
                nip, view.period_days, self._policy.early_warning.tl_psw_days_in_a_week
            ):
                drafts[d.alert_id] = d
        fresh, active = await self._early_warnings(nip, today)
        for d in fresh:
            drafts[d.alert_id] = d
        self._pending_active[nip] = active
        return list(drafts.values()), employee

    async def _early_warnings(self, nip: str, today: date) -> tuple[list[AlertDraft], set[str]]:
        """Rolling conditions: IKM over the last responses, and the pace of the year's targets."""
        rules = self._policy.early_warning
        months = resolve(None, "30d", today).months()
        months = sorted(
            set(months)
            | {f"{today.year}-{m:02d}" for m in range(max(1, today.month - 2), today.month + 1)}
        )
        last = (await self._evaluator.employee_ratings(nip, months))[-rules.ikm_last_responses :]
        ikm_low = None
        result = ikm_of(last, self._policy)
        if (
            result is not None
            and len(last) >= rules.ikm_last_responses
            and result.category in ("C", "D")
        ):
            ikm_low = result.category
        slow = []
        view = await self._evaluator.evaluate(nip, resolve(str(today.year), None, today), today)
        if view is not None:
            for i in view.indicators:
                pace = self._policy.targets.pace_warning_percent * view.year_elapsed
                if i["polarity"] == "higher_is_better" and i["achievement_percent"] < pace:
                    slow.append(i["indicator_id"])
        weak = None
        rolling = await self._evaluator.evaluate(nip, resolve(None, "30d", today), today)
        if rolling is not None and rolling.evaluation.predikat in (
            Predikat.BUTUH_PERBAIKAN,
            Predikat.KURANG,
            Predikat.SANGAT_KURANG,
        ):
            weak = rolling.evaluation.predikat.value
        state = await self._db[CONDITIONS].find_one({"_id": nip})
        active = set(state.get("active", [])) if state else set()
        return early_warnings(nip, today, Conditions(ikm_low, slow, weak), active)

    async def run_once(self, today: date) -> int:
        """Check up to ``chunk`` dirty employees; returns how many alerts were published.

        Nothing is checked while the consumers have a backlog: records of one day travel on
        several topics (attendance, the closing of the day), and judging a closed day before its
        attendance is stored would raise an alert that cannot be taken back."""
        if self._caught_up is not None and not await self._caught_up():
            return 0
        # Marks settle first: records of one day travel on several topics (attendance, the
        # closing of the day) and an alert is a side effect that cannot be taken back.
        ripe = datetime.now(UTC) - self._settle
        dirty = [
            d async for d in self._db[DIRTY].find({"dirty_at": {"$lte": ripe}}).limit(self._chunk)
        ]
        published = 0
        for mark in dirty:
            drafts, employee = await self._drafts(
                mark["_id"], sorted(mark.get("months", [])), today
            )
            ids = [d.alert_id for d in drafts]
            known = {s["_id"] async for s in self._db[STATE].find({"_id": {"$in": ids}})}
            for draft in drafts:
                if draft.alert_id in known:
                    continue
                alert = AlertRaised(
                    type=draft.type,
                    alert_id=draft.alert_id,
                    nip=mark["_id"],
                    unit_code=(employee or {}).get("unit_code"),
                    supervisor_nip=(employee or {}).get("supervisor_nip"),
                    period=draft.period,
                    level=draft.level,
                    title=draft.title,
                    reasons=draft.reasons,
                    evidence=draft.evidence,
                    policy_version=self._policy.version,
                    raised_at=datetime.now(UTC),
                )
                await self._broker.publish(
                    alert.model_dump_json().encode(),
                    self._topics.alert,
                    key=mark["_id"].encode(),
                    headers={"event-type": draft.type},
                )
                await self._db[STATE].update_one(
                    {"_id": draft.alert_id},
                    {
                        "$setOnInsert": {
                            "nip": mark["_id"],
                            "type": draft.type,
                            "published_at": datetime.now(UTC),
                        }
                    },
                    upsert=True,
                )
                self._raised.labels(draft.type).inc()
                published += 1
            await self._db[CONDITIONS].update_one(
                {"_id": mark["_id"]},
                {"$set": {"active": sorted(self._pending_active.pop(mark["_id"], set()))}},
                upsert=True,
            )
            # Only if nothing new arrived meanwhile; otherwise the next round checks again.
            await self._db[DIRTY].delete_one({"_id": mark["_id"], "dirty_at": mark["dirty_at"]})
        return published

    def start(self, tz: Any) -> None:
        self._loop = Periodic(
            "alert-checker", lambda: self.run_once(datetime.now(tz).date()), self._interval_s
        )
        self._loop.start()

    async def stop(self) -> None:
        if self._loop is not None:
            await self._loop.stop()

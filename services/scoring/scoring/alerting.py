"""Raises alerts exactly once per crossing (a use case), after the projector has settled an
employee's changes: the threshold crossings of the year carry deterministic ids, and an id that
was published before is never published again (``AlertStore``). A crash between the publish and
the record republishes the same id, which the notifier recognises.

Also ``evaluation.updated``: one notice per employee per projection round, sent once the read
models carry the change, so whoever reacts to it reads the new figures.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import date

from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry, Counter

from kinerja_shared.alerts import AlertRaised, EvaluationUpdated
from kinerja_shared.clock import Clock
from kinerja_shared.guard import transient
from kinerja_shared.topics import Topics
from scoring.domain.alerts import AlertDraft, early_warnings
from scoring.domain.policy import Policy
from scoring.domain.projection import AlertInput
from scoring.store import AlertStore

log = logging.getLogger(__name__)
TodayFn = Callable[[], date]
ALERT_TYPES = ("coaching.needed", "recognition.earned", "discipline.threshold_crossed")


class EvaluationUpdates:
    """``evaluation.updated``, coalesced: one per employee per projection round."""

    def __init__(
        self, broker: KafkaBroker, topics: Topics, clock: Clock, registry: CollectorRegistry
    ) -> None:
        self._broker = broker
        self._topics = topics
        self._clock = clock
        self._published = Counter(
            "kinerja_scoring_evaluation_updates_total",
            "evaluation.updated events published (one per employee per projection round)",
            registry=registry,
        )

    async def publish(self, changed: Mapping[str, Iterable[str]]) -> None:
        now = self._clock.now()
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


#: Employees whose alerts are published at once (each employee's in order).
PUBLISH_CHUNK = 200


class AlertChecker:
    def __init__(
        self,
        store: AlertStore,
        broker: KafkaBroker,
        topics: Topics,
        policy: Policy,
        clock: Clock,
        registry: CollectorRegistry,
        today: TodayFn,
    ) -> None:
        self._store = store
        self._broker = broker
        self._topics = topics
        self._policy = policy
        self._clock = clock
        self._today = today
        self._raised = Counter(
            "kinerja_scoring_alerts_total", "Alerts published by type", ["type"], registry=registry
        )
        for alert_type in ALERT_TYPES:
            self._raised.labels(alert_type)
        self._failures = Counter(
            "kinerja_scoring_alert_check_failures_total",
            "Employees whose alert check failed on its own and was skipped",
            registry=registry,
        )

    async def check(self, inputs: Mapping[str, AlertInput]) -> int:
        """Publishes the alerts the settled employees have not had yet; returns how many.
        The lookups of a whole round go out together (by ``_id``), the conditions back in
        one bulk write."""
        today = self._today()
        actives = await self._store.active_conditions_of(list(inputs))
        plans: dict[str, tuple[dict[str, AlertDraft], set[str]]] = {}
        for nip, given in inputs.items():
            try:
                warnings, now_active = early_warnings(nip, today, given.conditions, actives[nip])
            except Exception as exc:  # noqa: BLE001 - one employee's bad input is skipped
                self._failed(nip, exc)
                continue
            plans[nip] = ({d.alert_id: d for d in [*given.drafts, *warnings]}, now_active)
        known = await self._store.published([i for drafts, _ in plans.values() for i in drafts])
        fresh = {
            nip: [d for d in drafts.values() if d.alert_id not in known]
            for nip, (drafts, _) in plans.items()
        }
        sent: list[tuple[str, str, str]] = []
        nips = [n for n, drafts in fresh.items() if drafts]
        # Employees' alerts go out together (a first check of a whole city raised thousands,
        # each waiting for its own acknowledgement: 20 s of a round), a chunk at a time.
        for i in range(0, len(nips), PUBLISH_CHUNK):
            chunk = nips[i : i + PUBLISH_CHUNK]
            outcomes = await asyncio.gather(
                *(self._publish_all(n, fresh[n], inputs[n]) for n in chunk), return_exceptions=True
            )
            for nip, outcome in zip(chunk, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    if transient(outcome) or not isinstance(outcome, Exception):
                        await self._store.record(sent, self._clock.now())
                        raise outcome  # Kafka or the store away: the marks stay, retried
                    self._failed(nip, outcome)
                    del plans[nip]  # its conditions stay as they were: checked again next time
                else:
                    sent += [(d.alert_id, nip, d.type) for d in fresh[nip]]
        await self._store.record(sent, self._clock.now())
        changed = {n: a for n, (_, a) in plans.items() if a != actives[n]}
        await self._store.set_conditions_of(changed)
        return len(sent)

    async def _publish_all(self, nip: str, drafts: list[AlertDraft], given: AlertInput) -> None:
        for draft in drafts:
            await self._publish(nip, draft, given.unit_code, given.supervisor_nip)

    def _failed(self, nip: str, exc: BaseException) -> None:
        """Recorded (log and counter) and skipped: one employee's failure never holds back
        the others' alerts."""
        log.error("alert check failed for one employee", exc_info=exc, extra={"nip": nip})
        self._failures.inc()

    async def _publish(
        self, nip: str, draft: AlertDraft, unit_code: str | None, supervisor_nip: str | None
    ) -> None:
        alert = AlertRaised(
            type=draft.type,
            alert_id=draft.alert_id,
            nip=nip,
            unit_code=unit_code,
            supervisor_nip=supervisor_nip,
            period=draft.period,
            level=draft.level,
            title=draft.title,
            reasons=draft.reasons,
            evidence=draft.evidence,
            policy_version=self._policy.version,
            raised_at=self._clock.now(),
        )
        await self._broker.publish(
            alert.model_dump_json().encode(),
            self._topics.alert,
            key=nip.encode(),
            headers={"event-type": draft.type},
        )
        self._raised.labels(draft.type).inc()

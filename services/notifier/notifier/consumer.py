"""Kafka adapter: scoring's alerts and the dialogue's steps become stored notices and delivery
items; the reference topic keeps the notifier's view of the org chart and holidays. Offsets are
committed only after MongoDB has the result; what cannot be read goes to the DLQ."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from faststream.kafka import KafkaBroker
from pydantic import ValidationError

from kinerja_shared.alerts import AlertRaised
from kinerja_shared.clock import Clock
from kinerja_shared.dlq import DlqReason, dead_letter, read_reference_batch
from kinerja_shared.events import (
    DIALOGUE_EVENT_ADAPTER,
    SCORING_FEEDBACK_TYPES,
    SUPPORTED_SCHEMA_VERSIONS,
)
from kinerja_shared.kafka import subscribe_batches
from kinerja_shared.reference import Employee, Holiday
from kinerja_shared.validation import invalid_detail
from notifier.domain.model import Channel, Delivery, Notice, Person
from notifier.domain.planning import Undeliverable, plan
from notifier.domain.policy import add_working_days, inhibition_sources
from notifier.domain.routing import RoutingConfig
from notifier.metrics import NotifierMetrics
from notifier.notices import (
    alert_doc,
    item_docs,
    notice_from_alert,
    notice_from_dialogue,
    notice_from_doc,
    notice_id,
)
from notifier.settings import NotifierSettings

log = logging.getLogger(__name__)
Doc = dict[str, Any]

# On the dialogue's topic too, but scoring's business: ratings and decisions on objections.
_SCORINGS = SCORING_FEEDBACK_TYPES


def _decode(value: bytes | None) -> tuple[dict[str, Any] | None, DlqReason | None, str]:
    if not value:
        return None, DlqReason.UNDECODABLE, "empty record"
    try:
        raw = json.loads(value)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, DlqReason.UNDECODABLE, str(exc)
    if not isinstance(raw, dict):
        return None, DlqReason.INVALID, "not a JSON object"
    if raw.get("schema_version", 1) not in SUPPORTED_SCHEMA_VERSIONS:
        return (
            None,
            DlqReason.UNSUPPORTED_SCHEMA_VERSION,
            f"schema_version {raw['schema_version']!r}",
        )
    return raw, None, ""


class NoticeStore(Protocol):
    """What the consumer asks of its store (``NotifierStore``; a fake in its unit tests)."""

    async def org_chart(self, nips: Iterable[str], depth: int = 8) -> dict[str, Person]: ...
    async def opted_out(self, nips: Iterable[str]) -> dict[str, frozenset[Channel]]: ...
    async def alerts_known(self, ids: Iterable[str]) -> set[str]: ...
    async def record_notices(
        self,
        items: list[Doc],
        inhibitors: list[Doc],
        escalations: list[Doc],
        waiting: list[Doc],
        alerts: list[Doc],
    ) -> set[str]: ...
    async def waiting_alerts(self) -> list[Doc]: ...
    async def replanned(
        self, alert_id: str, items: list[Doc], escalation: Doc | None, alert_fields: Doc
    ) -> None: ...
    async def apply_reference(
        self, employees: Iterable[Employee], removed: Iterable[str], holidays: Iterable[date]
    ) -> None: ...


@dataclass
class _Planned:
    """What one batch's notices write: their work, then their alerts."""

    items: list[Doc] = field(default_factory=list)
    inhibitors: list[Doc] = field(default_factory=list)
    escalations: list[Doc] = field(default_factory=list)
    waiting: list[Doc] = field(default_factory=list)
    alerts: dict[str, Doc] = field(default_factory=dict)


class NoticeConsumer:
    def __init__(
        self,
        broker: KafkaBroker,
        store: NoticeStore,
        config: RoutingConfig,
        settings: NotifierSettings,
        clock: Clock,
        metrics: NotifierMetrics,
        *,
        email_enabled: bool,
        holidays: Callable[[], frozenset[date]],
    ) -> None:
        self._broker = broker
        self._store = store
        self._config = config
        self._settings = settings
        self._clock = clock
        self._metrics = metrics
        self._email = email_enabled
        self._holidays = holidays

    def register(self) -> None:
        topics = self._settings.topics
        for title, handler, names in (
            ("notifier.notices", self.handle, (topics.alert, topics.feedback)),
            ("notifier.reference", self.handle_reference, (topics.reference,)),
        ):
            subscribe_batches(
                self._broker,
                handler,
                *names,
                **self._settings.batch_subscription(title, self._metrics.registry),
            )

    async def handle(self, records: Sequence[Any]) -> None:
        now = self._clock.now()
        dead: list[tuple[Any, DlqReason, str]] = []
        parsed = await self._unknown(self._parse(records, dead))
        chart, opted_out = await self._people_of(parsed)
        planned = _Planned()
        for _, obj in parsed:
            self._plan_one(obj, chart, opted_out, now, planned)
        # Work first, the alert last: if the process dies in between, the redelivered batch
        # finds the alert missing and writes it; the other inserts are no-ops by their ids.
        existing = await self._store.record_notices(
            planned.items,
            planned.inhibitors,
            planned.escalations,
            planned.waiting,
            list(planned.alerts.values()),
        )
        for alert_id, doc in planned.alerts.items():
            outcome = "republished" if alert_id in existing else "new"
            self._metrics.notices.labels(doc["type"], outcome).inc()
        for record, reason, detail in dead:
            await self._dead_letter(record, reason, detail)

    def _parse(
        self, records: Sequence[Any], dead: list[tuple[Any, DlqReason, str]]
    ) -> list[tuple[Any, Any]]:
        """(record, contract object) of each record this consumer plans; the rest go to
        ``dead`` with their reason, or are scoring's."""
        parsed: list[tuple[Any, Any]] = []
        for record in records:
            raw, reason, detail = _decode(record.value)
            if raw is None:
                dead.append((record, reason or DlqReason.INVALID, detail))
                continue
            if raw.get("type") in _SCORINGS:
                self._metrics.notices.labels(str(raw["type"]), "ignored").inc()
                continue
            try:
                if record.topic == self._settings.topics.alert:
                    parsed.append((record, AlertRaised.model_validate(raw)))
                else:
                    parsed.append((record, DIALOGUE_EVENT_ADAPTER.validate_python(raw)))
            except ValidationError as exc:
                dead.append((record, DlqReason.INVALID, invalid_detail(exc)))
        return parsed

    async def _people_of(
        self, parsed: list[tuple[Any, Any]]
    ) -> tuple[dict[str, Person], dict[str, frozenset[Channel]]]:
        """The org chart of everyone the notices may reach, and the channels they turned off."""
        wanted: set[str] = {nip for role in self._config.roles.values() for nip in role.nips}
        for _, obj in parsed:
            wanted.add(obj.nip)
            if isinstance(obj, AlertRaised) and obj.supervisor_nip:
                wanted.add(obj.supervisor_nip)
            elif not isinstance(obj, AlertRaised):
                wanted.update((obj.payload.supervisor_nip, obj.payload.author_nip))
        chart = await self._store.org_chart(wanted)
        return chart, await self._store.opted_out([*chart, *wanted])

    def _plan_one(
        self,
        obj: Any,
        chart: dict[str, Person],
        opted_out: dict[str, frozenset[Channel]],
        now: datetime,
        planned: _Planned,
    ) -> None:
        notice: Notice
        if isinstance(obj, AlertRaised):
            notice = notice_from_alert(obj)
            evidence, raised = obj.evidence, obj.raised_at
        else:
            notice = notice_from_dialogue(obj, chart.get(obj.nip))
            evidence, raised = {}, obj.occurred_at
        if notice.id in planned.alerts:
            return  # the same alert twice in one batch
        deliveries, missing, due = self._plan(notice, chart, now, opted_out)
        planned.items.extend(item_docs(notice, deliveries, now))
        planned.inhibitors.extend(
            {"_id": key, "source": notice.id, "at": now}
            for key in inhibition_sources(notice.labels(), self._config.inhibit_rules)
        )
        if due is not None:
            planned.escalations.append({"_id": notice.id, "level": 0, "due_at": due})
        # The org chart does not know the people yet: plan again once it does.
        wait = notice.nip not in chart or not deliveries
        if wait:
            planned.waiting.append({"_id": notice.id, "at": now})
        planned.alerts[notice.id] = alert_doc(
            notice,
            deliveries,
            missing,
            now,
            escalation_due=due,
            evidence=evidence,
            raised_at=raised,
            waiting=wait,
        )
        if missing:
            log.info(
                "some recipients cannot be reached",
                extra={"notice": notice.id, "undeliverable": [vars(m) for m in missing]},
            )

    async def _dead_letter(self, record: Any, reason: DlqReason, detail: str) -> None:
        log.warning(
            "dead-lettered a record",
            extra={"reason": reason.value, "topic": record.topic, "offset": record.offset},
        )
        await dead_letter(
            self._broker, self._settings.topics.dlq, record, reason, detail, "notifier"
        )
        self._metrics.dlq.labels("notifier", reason.value).inc()
        self._metrics.notices.labels("unknown", "invalid").inc()

    async def _unknown(self, parsed: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
        """Drop the notices the history already holds: a republished alert (a replay, a retry
        by scoring) must not notify again, its group may have flushed long ago. The alert is
        written after its work, so a known alert's work is written too."""
        ids = {notice_id(obj): obj for _, obj in parsed}
        known = await self._store.alerts_known(ids)
        for known_id in known:
            self._metrics.notices.labels(ids[known_id].type, "republished").inc()
        return [(r, obj) for r, obj in parsed if notice_id(obj) not in known]

    def _plan(
        self,
        notice: Notice,
        chart: dict[str, Person],
        now: datetime,
        opted_out: dict[str, frozenset[Channel]],
    ) -> tuple[list[Delivery], list[Undeliverable], datetime | None]:
        deliveries, missing = plan(
            notice, self._config, chart.get, email_enabled=self._email, opted_out=opted_out
        )
        escalation = self._config.escalation
        due = (
            add_working_days(now, escalation.after_working_days, self._holidays())
            if deliveries and notice.type in escalation.types and escalation.max_levels > 0
            else None
        )
        return deliveries, missing, due

    async def replan_waiting(self) -> int:
        """Notices that named nobody the org chart knew: plan them again now that it changed."""
        now = self._clock.now()
        planned = 0
        for doc in await self._store.waiting_alerts():
            notice = notice_from_doc(doc)
            chart = await self._store.org_chart(
                n for n in (notice.nip, notice.supervisor_nip, notice.author_nip) if n
            )
            if notice.nip not in chart:
                continue
            opted_out = await self._store.opted_out(chart)
            deliveries, missing, due = self._plan(notice, chart, now, opted_out)
            planned_before = set(doc.get("recipients", []))
            new = [d for d in deliveries if d.recipient.id not in planned_before]
            first = due is not None and not planned_before
            await self._store.replanned(
                notice.id,
                item_docs(notice, new, now),
                {"_id": notice.id, "level": 0, "due_at": due} if first else None,
                {
                    "recipients": sorted({d.recipient.id for d in deliveries}),
                    "undeliverable": [vars(m) for m in missing],
                },
            )
            planned += 1
        if planned:
            log.info("notices planned once the org chart knew their people", extra={"n": planned})
        return planned

    async def handle_reference(self, records: Sequence[Any]) -> None:
        batch = await read_reference_batch(
            self._broker, self._settings.topics.dlq, records, "notifier"
        )
        if batch.dead_lettered:
            self._metrics.dlq.labels("notifier", DlqReason.INVALID.value).inc(batch.dead_lettered)
        people = batch.employees
        holidays = [r.date for r in batch.records if isinstance(r, Holiday)]
        await self._store.apply_reference(people.values(), batch.withdrawn, holidays)
        if people:
            await self.replan_waiting()

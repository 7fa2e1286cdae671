"""Kafka adapter: consumes the attendance topic in batches and commits only after MongoDB has
the result (FastStream ``NACK_ON_ERROR``: a failed write rewinds and redelivers the batch).

A record that can never be processed goes to the DLQ with its reason; the batch goes on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry, Counter, Histogram
from pydantic import ValidationError

from kinerja_shared.dlq import DlqReason, dead_letter, reference_or_dead_letter
from kinerja_shared.events import (
    FEEDBACK_EVENT_ADAPTER,
    SUPPORTED_SCHEMA_VERSIONS,
    AttendanceExcusedEvent,
    AttendanceRecordedEvent,
    BehaviourRatedEvent,
    ServiceRatedEvent,
    TargetProgressedEvent,
    parse_event,
)
from kinerja_shared.kafka import batch_records, subscribe_batches
from kinerja_shared.metrics import LATENCY_BUCKETS
from kinerja_shared.reference import DayClosed, Employee, Holiday
from kinerja_shared.validation import invalid_detail
from scoring.domain import ExcuseMark, Punch, combine, excuse_marks, month_of, punch_of
from scoring.domain.periods import period_months
from scoring.settings import ScoringSettings
from scoring.store import BehaviourStore, FiguresStore, ReferenceStore, ScoringStore

log = logging.getLogger(__name__)


def classify(value: bytes | None) -> tuple[Any, DlqReason | None, str]:
    """Decode one record: (event, None, "") or (None, reason, detail) for the DLQ."""
    if value is None:
        return None, DlqReason.UNDECODABLE, "empty record"
    try:
        raw = json.loads(value)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, DlqReason.UNDECODABLE, str(exc)
    if isinstance(raw, dict) and raw.get("schema_version", 1) not in SUPPORTED_SCHEMA_VERSIONS:
        return (
            None,
            DlqReason.UNSUPPORTED_SCHEMA_VERSION,
            f"schema_version {raw['schema_version']!r}",
        )
    try:
        return parse_event(raw if isinstance(raw, dict) else value), None, ""
    except ValidationError as exc:
        return None, DlqReason.INVALID, invalid_detail(exc)


#: Called after a batch is stored with the months that changed per NIP (alerts, updates).
Changed = Callable[[dict[str, set[str]]], Awaitable[None]]
#: Called with the days a batch of reference data closed.
DaysClosed = Callable[[list[date]], Awaitable[None]]


class EventConsumer:
    """Attendance, excuses, service ratings, target figures and supervisors' ratings."""

    def __init__(
        self,
        broker: KafkaBroker,
        store: ScoringStore,
        figures: FiguresStore,
        behaviour: BehaviourStore,
        settings: ScoringSettings,
        registry: CollectorRegistry,
        on_changed: Changed,
    ) -> None:
        self._broker = broker
        self._store = store
        self._figures = figures
        self._behaviour = behaviour
        self._on_changed = on_changed
        self._settings = settings
        self._tz = ZoneInfo(settings.timezone)
        self._grace = timedelta(days=settings.grace_days)
        self._events = Counter(
            "kinerja_scoring_events_total",
            "Consumed events by type and outcome (applied, ignored, dead_lettered)",
            ["type", "outcome"],
            registry=registry,
        )
        self._dlq = Counter(
            "kinerja_dlq_messages_total",
            "Records sent to the DLQ by reason",
            ["service", "reason"],
            registry=registry,
        )
        self._batch_seconds = Histogram(
            "kinerja_scoring_batch_duration_seconds",
            "Time to process one consumed batch, store write included",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        for reason in DlqReason:  # known label values from the start: zero, not nothing
            self._dlq.labels("scoring", reason.value)
        self._e2e_seconds = Histogram(
            "kinerja_scoring_end_to_end_seconds",
            "From intake's received_at to the evaluation being written",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def register(self) -> None:
        topics = self._settings.topics
        subscribe_batches(
            self._broker,
            self.handle,
            topics.attendance,
            topics.service_quality,
            topics.target_progress,
            topics.feedback,
            **self._settings.batch_subscription("scoring.events"),
        )

    async def handle(self, msg: KafkaMessage) -> None:
        started = time.perf_counter()
        records = batch_records(msg)
        punches: list[Punch] = []
        excuses: list[ExcuseMark] = []
        ratings: list[ServiceRatedEvent] = []
        progress: list[TargetProgressedEvent] = []
        received: list[datetime] = []
        dead: list[tuple[Any, DlqReason, str]] = []
        behaviour: list[BehaviourRatedEvent] = []
        for record in records:
            if record.topic == self._settings.topics.feedback:
                # The dialogue's topic: scoring takes the supervisors' ratings; the rest is
                # the notifier's.
                rated = self._behaviour_of(record, dead)
                if rated is not None:
                    behaviour.append(rated)
                continue
            event, reason, detail = classify(record.value)
            if reason is not None:
                dead.append((record, reason, detail))
                continue
            if (
                event.received_at is not None
                and event.occurred_at < event.received_at - self._grace
            ):
                # Judged against intake's own stamp, not the clock: a replay decides the same.
                dead.append(
                    (
                        record,
                        DlqReason.PERIOD_CLOSED,
                        f"occurred {event.occurred_at.isoformat()}, received "
                        f"{event.received_at.isoformat()}: past the "
                        f"{self._grace.days}-day grace",
                    )
                )
                continue
            if event.received_at is not None:
                received.append(event.received_at)
            if isinstance(event, AttendanceRecordedEvent):
                punches.append(punch_of(event, self._tz))
                self._events.labels(event.type, "applied").inc()
            elif isinstance(event, AttendanceExcusedEvent):
                excuses.extend(excuse_marks(event))
                self._events.labels(event.type, "applied").inc()
            elif isinstance(event, ServiceRatedEvent):
                ratings.append(event)
                self._events.labels(event.type, "applied").inc()
            elif isinstance(event, TargetProgressedEvent):
                progress.append(event)
                self._events.labels(event.type, "applied").inc()
            else:
                self._events.labels(event.type, "ignored").inc()
        deltas = combine(punches, excuses)
        await self._store.apply_months(deltas)
        await self._figures.apply_ratings(ratings, self._tz)
        await self._figures.apply_progress(progress)
        await self._behaviour.apply(behaviour)
        changed: dict[str, set[str]] = {}
        for d in deltas:
            changed.setdefault(d.nip, set()).add(d.period)
        for figure in [*ratings, *progress]:
            local = figure.occurred_at.astimezone(self._tz)
            changed.setdefault(figure.nip, set()).add(month_of(local))
        for rated in behaviour:
            changed.setdefault(rated.nip, set()).update(period_months(rated.payload.period))
        await self._on_changed(changed)

        for record, reason, detail in dead:
            log.warning(
                "dead-lettered a record",
                extra={
                    "reason": reason.value,
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                },
            )
            await dead_letter(
                self._broker, self._settings.topics.dlq, record, reason, detail, "scoring"
            )
            self._dlq.labels("scoring", reason.value).inc()
            self._events.labels("unknown", "dead_lettered").inc()
        now = datetime.now(UTC)
        for at in received:
            self._e2e_seconds.observe(max(0.0, (now - at).total_seconds()))
        self._batch_seconds.observe(time.perf_counter() - started)

    def _behaviour_of(
        self, record: Any, dead: list[tuple[Any, DlqReason, str]]
    ) -> BehaviourRatedEvent | None:
        try:
            raw = json.loads(record.value)
        except (TypeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            dead.append((record, DlqReason.UNDECODABLE, str(exc)))
            return None
        if not isinstance(raw, dict) or raw.get("type") != "behaviour.rated":
            self._events.labels("feedback", "ignored").inc()
            return None
        try:
            event = FEEDBACK_EVENT_ADAPTER.validate_python(raw)
        except ValidationError as exc:
            dead.append((record, DlqReason.INVALID, invalid_detail(exc)))
            return None
        self._events.labels(event.type, "applied").inc()
        return event


class ReferenceConsumer:
    """Keeps scoring's view of employees and the calendar from the compacted reference topic."""

    def __init__(
        self,
        broker: KafkaBroker,
        store: ReferenceStore,
        settings: ScoringSettings,
        registry: CollectorRegistry,
        on_days_closed: DaysClosed,
    ) -> None:
        self._broker = broker
        self._store = store
        self._settings = settings
        self._on_days_closed = on_days_closed
        self._records = Counter(
            "kinerja_scoring_reference_records_total",
            "Reference records consumed by kind and outcome",
            ["kind", "outcome"],
            registry=registry,
        )

    def register(self) -> None:
        subscribe_batches(
            self._broker,
            self.handle,
            self._settings.topics.reference,
            **self._settings.batch_subscription("scoring.reference"),
        )

    async def handle(self, msg: KafkaMessage) -> None:
        records = batch_records(msg)
        employees: dict[str, dict[str, Any]] = {}
        calendar: dict[str, dict[str, Any]] = {}
        for record in records:
            if record.value is None:  # a tombstone: the record was withdrawn
                self._records.labels("unknown", "tombstone").inc()
                continue
            ref = await reference_or_dead_letter(
                self._broker, self._settings.topics.dlq, record, "scoring"
            )
            if ref is None:
                self._records.labels("unknown", "dead_lettered").inc()
                continue
            if isinstance(ref, Employee):
                employees[ref.nip] = {
                    "nip": ref.nip,
                    "unit_code": ref.unit_code,
                    "schedule": ref.schedule,
                    "supervisor_nip": ref.supervisor_nip,
                }
            elif isinstance(ref, Holiday):
                day = calendar.setdefault(ref.date.isoformat(), {"date": ref.date.isoformat()})
                day.update(holiday=True, holiday_name=ref.name, holiday_kind=ref.holiday_kind.value)
            elif isinstance(ref, DayClosed):
                calendar.setdefault(ref.date.isoformat(), {"date": ref.date.isoformat()})[
                    "closed"
                ] = True
            else:
                self._records.labels(ref.kind, "ignored").inc()
                continue
            self._records.labels(ref.kind, "applied").inc()
        # Within a batch the latest record per key wins, as compaction would keep it.
        await self._store.apply(list(employees.values()), list(calendar.values()))
        closed = [date.fromisoformat(c["date"]) for c in calendar.values() if c.get("closed")]
        if closed:
            await self._on_days_closed(sorted(closed))

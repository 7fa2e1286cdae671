"""Kafka adapter: consumes the attendance topic in batches and commits only after MongoDB has
the result (FastStream ``NACK_ON_ERROR``: a failed write rewinds and redelivers the batch).

A record that can never be processed goes to the DLQ with its reason; the batch goes on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry, Counter, Histogram
from pydantic import ValidationError

from kinerja_shared.clock import Clock
from kinerja_shared.dlq import DlqReason, dead_letter, read_reference_batch
from kinerja_shared.events import (
    CORRECTION_TYPES,
    FEEDBACK_EVENT_ADAPTER,
    SCORING_FEEDBACK_TYPES,
    SUPPORTED_SCHEMA_VERSIONS,
    AttendanceExcusedEvent,
    AttendanceRecordedEvent,
    AttendanceVoidedEvent,
    BehaviourRatedEvent,
    ObjectionDecidedEvent,
    ServiceRatedEvent,
    TargetProgressedEvent,
    parse_event,
)
from kinerja_shared.kafka import subscribe_batches
from kinerja_shared.metrics import LATENCY_BUCKETS
from kinerja_shared.reference import (
    CalendarYear,
    DayClosed,
    Employee,
    Holiday,
    OrgPredicate,
    ScheduleSince,
)
from kinerja_shared.topics import Topics
from kinerja_shared.validation import invalid_detail
from scoring.domain import excuse_marks, month_of, partial_excuse, punch_of
from scoring.domain.facts import Deltas, FactsDelta
from scoring.domain.projection import ROLLING
from scoring.settings import ScoringSettings
from scoring.store import ReadModelStore, ReferenceStore, StaleQueue

log = logging.getLogger(__name__)


def classify(value: bytes | None) -> tuple[Any, DlqReason | None, str]:
    """Decode one record: (event, None, "") or (None, reason, detail) for the DLQ."""
    if value is None:
        return None, DlqReason.UNDECODABLE, "empty record"
    try:
        raw = json.loads(value)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, DlqReason.UNDECODABLE, str(exc)
    version = raw.get("schema_version", 1) if isinstance(raw, dict) else 1
    if not isinstance(version, int) or version not in SUPPORTED_SCHEMA_VERSIONS:
        return (
            None,
            DlqReason.UNSUPPORTED_SCHEMA_VERSION,
            f"schema_version {version!r}",
        )
    try:
        if isinstance(raw, dict) and raw.get("type") in CORRECTION_TYPES:
            return AttendanceVoidedEvent.model_validate(raw), None, ""
        return parse_event(raw if isinstance(raw, dict) else value), None, ""
    except ValidationError as exc:
        return None, DlqReason.INVALID, invalid_detail(exc)


def event_topics(topics: Topics) -> list[str]:
    """The topics whose events scoring folds into facts."""
    return [topics.attendance, topics.service_quality, topics.target_progress, topics.feedback]


def consumed_topics(topics: Topics) -> list[str]:
    """Every topic scoring consumes: its backlog is their lag."""
    return [*event_topics(topics), topics.reference]


class KeptFacts(Protocol):
    """Where the facts are written (``FactsStore``; a fake in the consumer's unit tests)."""

    async def apply(self, deltas: Sequence[FactsDelta], now: datetime) -> None: ...


class StaleMarks(Protocol):
    """Who waits for the projector (``StaleQueue``)."""

    async def mark(self, months_by_nip: Mapping[str, Iterable[str]], now: datetime) -> None: ...


class EventConsumer:
    """Attendance, excuses, service ratings, target figures and supervisors' ratings: folded
    into each employee's facts of the year, then one stale mark for the projector."""

    def __init__(
        self,
        broker: KafkaBroker,
        facts: KeptFacts,
        stale: StaleMarks,
        settings: ScoringSettings,
        clock: Clock,
        registry: CollectorRegistry,
    ) -> None:
        self._broker = broker
        self._facts = facts
        self._stale = stale
        self._settings = settings
        self._clock = clock
        self._registry = registry
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
            "From intake's received_at to the event's facts being written",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def register(self) -> None:
        subscribe_batches(
            self._broker,
            self.handle,
            *event_topics(self._settings.topics),
            **self._settings.batch_subscription("scoring.events", self._registry),
        )

    async def handle(self, records: Sequence[Any]) -> None:
        started = time.perf_counter()
        deltas = Deltas(self._tz)
        received: list[datetime] = []
        dead: list[tuple[Any, DlqReason, str]] = []
        for record in records:
            event = self._decode(record, dead)
            if event is None:
                continue
            if event.received_at is not None:
                received.append(event.received_at)
            self._fold(event, deltas)
        folded = deltas.result()
        await self._facts.apply(folded, self._clock.now())
        changed: dict[str, set[str]] = {}
        for d in folded:
            changed.setdefault(d.nip, set()).update(d.months)
        await self._stale.mark(changed, self._clock.now())
        for record, reason, detail in dead:
            await self._dead_letter(record, reason, detail)
        now = self._clock.now()
        for at in received:
            self._e2e_seconds.observe(max(0.0, (now - at).total_seconds()))
        self._batch_seconds.observe(time.perf_counter() - started)

    def _decode(self, record: Any, dead: list[tuple[Any, DlqReason, str]]) -> Any:
        """The event of a record, or None (dead-lettered or not scoring's)."""
        if record.topic == self._settings.topics.feedback:
            # The dialogue's topic: scoring takes the supervisors' ratings; the rest is the
            # notifier's.
            return self._behaviour_of(record, dead)
        event, reason, detail = classify(record.value)
        if reason is not None:
            dead.append((record, reason, detail))
            return None
        if event.received_at is not None and event.occurred_at < event.received_at - self._grace:
            # Judged against intake's own stamp, not the clock: a replay decides the same.
            dead.append(
                (
                    record,
                    DlqReason.PERIOD_CLOSED,
                    f"occurred {event.occurred_at.isoformat()}, received "
                    f"{event.received_at.isoformat()}: past the {self._grace.days}-day grace",
                )
            )
            return None
        return event

    def _fold(self, event: Any, deltas: Deltas) -> None:
        if isinstance(event, AttendanceRecordedEvent):
            deltas.punch(punch_of(event, self._tz))
        elif isinstance(event, AttendanceVoidedEvent):
            deltas.void(event)
        elif isinstance(event, AttendanceExcusedEvent):
            for mark in excuse_marks(event):
                deltas.excuse(mark)
            partial = partial_excuse(event, self._tz)
            if partial is not None:
                deltas.partial(partial)
        elif isinstance(event, ServiceRatedEvent):
            deltas.rating(event)
        elif isinstance(event, TargetProgressedEvent):
            deltas.progress(event)
        elif isinstance(event, BehaviourRatedEvent):
            deltas.behaviour(event)
        elif isinstance(event, ObjectionDecidedEvent):
            deltas.decision(event)
        else:
            self._events.labels(event.type, "ignored").inc()
            return
        self._events.labels(event.type, "applied").inc()

    async def _dead_letter(self, record: Any, reason: DlqReason, detail: str) -> None:
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

    def _behaviour_of(
        self, record: Any, dead: list[tuple[Any, DlqReason, str]]
    ) -> BehaviourRatedEvent | ObjectionDecidedEvent | None:
        try:
            raw = json.loads(record.value)
        except (TypeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            dead.append((record, DlqReason.UNDECODABLE, str(exc)))
            return None
        if not isinstance(raw, dict):  # no event at all, for anyone
            dead.append((record, DlqReason.INVALID, "not a JSON object"))
            return None
        if raw.get("type") not in SCORING_FEEDBACK_TYPES:  # the notifier's
            self._events.labels("feedback", "ignored").inc()
            return None
        try:
            return FEEDBACK_EVENT_ADAPTER.validate_python(raw)
        except ValidationError as exc:
            dead.append((record, DlqReason.INVALID, invalid_detail(exc)))
            return None


class ReferenceConsumer:
    """Keeps scoring's view of employees and the calendar from the compacted reference topic,
    and marks whose read models the change moves: an employee's own when their record
    changes; everyone's when a day is closed or the holidays change (in marks of bounded
    size, worked off by the projector, never inside this handler)."""

    def __init__(
        self,
        broker: KafkaBroker,
        reference: ReferenceStore,
        read_models: ReadModelStore,
        stale: StaleQueue,
        settings: ScoringSettings,
        clock: Clock,
        registry: CollectorRegistry,
    ) -> None:
        self._broker = broker
        self._reference = reference
        self._read_models = read_models
        self._stale = stale
        self._settings = settings
        self._clock = clock
        self._registry = registry
        self._tz = ZoneInfo(settings.timezone)
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
            **self._settings.batch_subscription("scoring.reference", self._registry),
        )

    async def handle(self, records: Sequence[Any]) -> None:
        batch = await read_reference_batch(
            self._broker, self._settings.topics.dlq, records, "scoring"
        )
        for kind in batch.tombstones:
            self._records.labels(kind, "tombstone").inc()
        self._records.labels("unknown", "dead_lettered").inc(batch.dead_lettered)
        employees: dict[str, dict[str, Any]] = {}
        calendar: dict[str, dict[str, Any]] = {}
        org: dict[str, dict[str, Any]] = {}
        years: list[dict[str, Any]] = []
        withdrawn = batch.withdrawn
        for ref in [*batch.employees.values(), *batch.records]:
            if isinstance(ref, OrgPredicate):
                org[f"{ref.unit_code}:{ref.year}"] = ref.model_dump(mode="json", exclude={"kind"})
            elif isinstance(ref, CalendarYear):
                years.append(ref.model_dump(mode="json"))
            elif not _take_reference(ref, employees, calendar):
                self._records.labels(ref.kind, "ignored").inc()
                continue
            self._records.labels(ref.kind, "applied").inc()
        # Within a batch the latest record per key wins, as compaction would keep it.
        await self._leave_units(employees, withdrawn)
        await self._reference.apply(
            list(employees.values()), list(calendar.values()), self._clock.now()
        )
        await self._reference.withdraw(sorted(withdrawn))
        await self._reference.apply_calendar_years(years)
        await self._mark(employees, calendar)
        await self._mark_heads(await self._reference.apply_org_predicates(list(org.values())))

    async def _mark_heads(self, years: Mapping[str, int]) -> None:
        """A unit's predicate moves its head's annual evaluation: mark the year (its last
        month for a past year, this month for this one)."""
        today = self._clock.now().astimezone(self._tz).date()
        marks = {
            nip: [month_of(today) if year == today.year else f"{year:04d}-12"]
            for nip, year in years.items()
            if year <= today.year
        }
        if marks:
            await self._stale.mark(marks, self._clock.now())

    async def _leave_units(self, employees: dict[str, dict[str, Any]], gone: set[str]) -> None:
        """A withdrawn or moved employee leaves the lines of the unit they were in."""
        before = await self._reference.employees([*employees, *gone])
        year = self._clock.now().astimezone(self._tz).year
        periods = [str(year), *(f"{year}-Q{q}" for q in range(1, 5))]
        periods += [f"{year}-{m:02d}" for m in range(1, 13)] + [ROLLING]
        for nip, old in before.items():
            new_unit = employees.get(nip, {}).get("unit_code")
            if old.unit_code and old.unit_code != new_unit:
                await self._read_models.remove_member(nip, old.unit_code, periods)

    async def _mark(
        self, employees: dict[str, dict[str, Any]], calendar: dict[str, dict[str, Any]]
    ) -> None:
        today = self._clock.now().astimezone(self._tz).date()
        now = self._clock.now()
        if employees:
            await self._stale.mark({n: [month_of(today)] for n in employees}, now)
        changed_days = sorted(date.fromisoformat(d) for d in calendar)
        if changed_days:
            months = sorted({month_of(d) for d in changed_days if d <= today} or {month_of(today)})
            everyone = await self._reference.nips()
            for i in range(0, len(everyone), STALE_MARK_NIPS):
                part = everyone[i : i + STALE_MARK_NIPS]
                await self._stale.mark({n: months for n in part}, now)


#: Employees per stale mark when everyone changes (a closed day): bounded documents.
STALE_MARK_NIPS = 2000


def _take_reference(
    ref: Any, employees: dict[str, dict[str, Any]], calendar: dict[str, dict[str, Any]]
) -> bool:
    if isinstance(ref, Employee):
        employees[ref.nip] = {
            "nip": ref.nip,
            "name": ref.name,
            "position": ref.position,
            "unit_code": ref.unit_code,
            "schedule": ref.schedule,
            # Oldest first, the current one last: past days keep the hours they had. Objects,
            # not pairs: FerretDB stores no arrays within arrays.
            "schedules": [
                h.model_dump(mode="json")
                for h in (
                    *ref.schedule_history,
                    ScheduleSince(since=ref.schedule_since, schedule=ref.schedule),
                )
            ],
            "supervisor_nip": ref.supervisor_nip,
        }
    elif isinstance(ref, Holiday):
        day = calendar.setdefault(ref.date.isoformat(), {"date": ref.date.isoformat()})
        day.update(holiday=True, holiday_name=ref.name, holiday_kind=ref.holiday_kind.value)
    elif isinstance(ref, DayClosed):
        calendar.setdefault(ref.date.isoformat(), {"date": ref.date.isoformat()})["closed"] = True
    else:
        return False
    return True

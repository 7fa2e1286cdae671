"""Kafka adapter: the feedback service's own view of the org chart, from the reference topic
(who supervises whom decides who may write about whom)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry

from feedback.settings import FeedbackSettings
from kinerja_shared.dlq import reference_or_dead_letter
from kinerja_shared.kafka import subscribe_batches
from kinerja_shared.reference import Employee


class PeopleUpdates(Protocol):
    """The service's view of the org chart (``PeopleView``; a fake in the unit tests)."""

    async def apply(self, employees: Iterable[Employee], removed: Iterable[str]) -> None: ...


class ReferenceConsumer:
    def __init__(
        self,
        broker: KafkaBroker,
        people: PeopleUpdates,
        settings: FeedbackSettings,
        registry: CollectorRegistry,
    ) -> None:
        self._broker = broker
        self._people = people
        self._settings = settings
        self._registry = registry

    def register(self) -> None:
        subscribe_batches(
            self._broker,
            self.handle,
            self._settings.topics.reference,
            **self._settings.batch_subscription("feedback.reference", self._registry),
        )

    async def handle(self, records: Sequence[Any]) -> None:
        employees: dict[str, Employee] = {}
        removed: list[str] = []
        for record in records:
            key = (record.key or b"").decode(errors="replace")
            if record.value is None:
                if key.startswith("employee:"):
                    removed.append(key.removeprefix("employee:"))
                    employees.pop(removed[-1], None)
                continue
            ref = await reference_or_dead_letter(
                self._broker, self._settings.topics.dlq, record, "feedback"
            )
            if isinstance(ref, Employee):
                employees[ref.nip] = ref
        await self._people.apply(employees.values(), removed)

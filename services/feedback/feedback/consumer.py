"""Kafka adapter: the feedback service's own view of the org chart, from the reference topic
(who supervises whom decides who may write about whom)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry

from feedback.settings import FeedbackSettings
from kinerja_shared.dlq import read_reference_batch
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
        batch = await read_reference_batch(
            self._broker, self._settings.topics.dlq, records, "feedback"
        )
        await self._people.apply(batch.employees.values(), batch.withdrawn)

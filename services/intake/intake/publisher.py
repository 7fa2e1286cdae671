"""Kafka adapter: publishes accepted events, keyed by NIP, and waits for every acknowledgement."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry, Histogram

from kinerja_shared.events import TOPIC_OF_TYPE, Event, encode_event
from kinerja_shared.metrics import LATENCY_BUCKETS
from kinerja_shared.reference import Device, Employee, Holiday, Unit, reference_key
from kinerja_shared.topics import Topics

ReferenceRecordT = Unit | Employee | Holiday | Device


class PublishFailed(Exception):
    """Kafka did not acknowledge every record in time; nothing may be reported as accepted."""


class EventPublisher:
    def __init__(
        self, broker: KafkaBroker, topics: Topics, registry: CollectorRegistry, timeout_s: float
    ) -> None:
        self._broker = broker
        self._topics = topics
        self._timeout_s = timeout_s
        self._latency = Histogram(
            "kinerja_intake_publish_duration_seconds",
            "Time from the first send of a submission to Kafka's last acknowledgement",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    async def publish(self, events: Sequence[Event]) -> None:
        """Send events to their topics keyed by NIP, and wait until Kafka has every one."""
        await self.publish_records(
            [
                (
                    self._topics.name(TOPIC_OF_TYPE[event.type]),
                    event.nip.encode(),
                    encode_event(event),
                    {
                        "content-type": "application/json",
                        "event-type": event.type,
                        "trace-id": event.trace_id or "",
                    },
                )
                for event in events
            ]
        )

    async def publish_reference(self, records: Sequence[ReferenceRecordT]) -> None:
        """Reference records to the compacted topic, keyed ``<kind>:<id>``."""
        await self.publish_records(
            [
                (
                    self._topics.reference,
                    reference_key(r).encode(),
                    r.model_dump_json().encode(),
                    {"content-type": "application/json"},
                )
                for r in records
            ]
        )

    async def publish_records(
        self,
        records: Sequence[tuple[str, bytes, bytes, dict[str, str]]],
    ) -> None:
        """Send all, then wait for all acks: one pipelined batch, not N round trips."""
        if not records:
            return
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout_s):
                futures = [
                    await self._broker.publish(
                        value, topic, key=key, headers=headers, no_confirm=True
                    )
                    for topic, key, value, headers in records
                ]
                await asyncio.gather(*futures)
        except Exception as exc:  # KafkaError, timeouts, a stopped producer
            raise PublishFailed(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._latency.observe(time.perf_counter() - started)

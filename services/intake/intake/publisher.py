"""Kafka adapter: publishes accepted events, keyed by NIP, and waits for every acknowledgement."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from prometheus_client import CollectorRegistry, Histogram

from kinerja_shared.events import TOPIC_OF_TYPE, AttendanceVoidedEvent, Event, encode_event
from kinerja_shared.kafka import make_producer
from kinerja_shared.kafka_access import KafkaTarget
from kinerja_shared.metrics import LATENCY_BUCKETS
from kinerja_shared.reference import AnyReference, reference_key
from kinerja_shared.topics import Topics

ReferenceRecordT = AnyReference


class PublishFailed(Exception):
    """Kafka did not acknowledge every record in time; nothing may be reported as accepted."""


class EventPublisher:
    def __init__(
        self,
        kafka: KafkaTarget,
        topics: Topics,
        registry: CollectorRegistry,
        timeout_s: float,
    ) -> None:
        self._kafka = kafka
        self._producer: AIOKafkaProducer | None = None
        self._partitioner = DefaultPartitioner()
        self._topics = topics
        self._timeout_s = timeout_s
        self._latency = Histogram(
            "kinerja_intake_publish_duration_seconds",
            "Time from the first send of a submission to Kafka's last acknowledgement",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    async def start(self) -> None:
        """Connect (aiokafka producers must be made inside the running event loop)."""
        if self._producer is None:
            self._producer = make_producer(self._kafka, client_id="kinerja-intake")
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

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

    async def publish_correction(self, event: AttendanceVoidedEvent) -> None:
        """An administrator's correction to the attendance topic, keyed by NIP like the punch."""
        await self.publish_records(
            [
                (
                    self._topics.attendance,
                    event.nip.encode(),
                    event.model_dump_json(exclude_none=True).encode(),
                    {"content-type": "application/json", "event-type": event.type},
                )
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
        self, records: Sequence[tuple[str, bytes, bytes, dict[str, str]]]
    ) -> None:
        """Send all, then wait for all acks. Records are grouped per partition into batches (the
        partition Kafka's default partitioner gives each key, so one NIP stays in order): one
        future per batch instead of one per record, the producer's main cost per event."""
        if not records:
            return
        started = time.perf_counter()
        try:
            producer = self._producer
            if producer is None:
                raise RuntimeError("the Kafka producer is not started")
            async with asyncio.timeout(self._timeout_s):
                partitions: dict[str, list[int]] = {}
                groups: dict[tuple[str, int], list[tuple[bytes, bytes, list[tuple[str, bytes]]]]]
                groups = defaultdict(list)
                for topic, key, value, headers in records:
                    if topic not in partitions:
                        partitions[topic] = sorted(await producer.partitions_for(topic))
                    partition = self._partitioner(key, partitions[topic], partitions[topic])
                    groups[(topic, partition)].append(
                        (key, value, [(k, v.encode()) for k, v in headers.items()])
                    )
                futures = []
                for (topic, partition), group in groups.items():
                    batch = producer.create_batch()
                    for key, value, headers_list in group:
                        if (
                            batch.append(key=key, value=value, timestamp=None, headers=headers_list)
                            is None
                        ):
                            batch.close()
                            futures.append(
                                await producer.send_batch(batch, topic, partition=partition)
                            )
                            batch = producer.create_batch()
                            if (
                                batch.append(
                                    key=key, value=value, timestamp=None, headers=headers_list
                                )
                                is None
                            ):
                                raise ValueError(
                                    f"a record of {len(value)} bytes exceeds the "
                                    "producer's batch size"
                                )
                    batch.close()
                    futures.append(await producer.send_batch(batch, topic, partition=partition))
                await asyncio.gather(*futures)
        except Exception as exc:  # KafkaError, timeouts, a stopped producer
            raise PublishFailed(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._latency.observe(time.perf_counter() - started)

"""Kafka adapter: publishes accepted events, keyed by NIP, and waits for every acknowledgement."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry, Histogram

from kinerja_shared.events import TOPIC_OF_TYPE, Event, encode_event
from kinerja_shared.metrics import LATENCY_BUCKETS
from kinerja_shared.topics import Topics


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
        """Send all, then wait for all acks: one pipelined batch, not N round trips."""
        if not events:
            return
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout_s):
                futures = []
                for event in events:
                    futures.append(
                        await self._broker.publish(
                            encode_event(event),
                            self._topics.name(TOPIC_OF_TYPE[event.type]),
                            key=event.nip.encode(),
                            headers={
                                "content-type": "application/json",
                                "event-type": event.type,
                                "trace-id": event.trace_id or "",
                            },
                            no_confirm=True,
                        )
                    )
                await asyncio.gather(*futures)
        except Exception as exc:  # KafkaError, timeouts, a stopped producer
            raise PublishFailed(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._latency.observe(time.perf_counter() - started)

"""Kafka helpers: the broker every service uses, and topic creation for dev and tests."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from kinerja_shared.dlq import DlqReason, dead_letter
from kinerja_shared.guard import BatchGuard, GuardMetrics, PoisonHandler, RecordsHandler
from kinerja_shared.kafka_access import KafkaAccess, KafkaTarget
from kinerja_shared.topics import COMPACTED_TOPICS, Topics

log = logging.getLogger(__name__)


def make_broker(
    target: KafkaTarget,
    *,
    client_id: str,
    registry: CollectorRegistry | None = None,
    middlewares: Sequence[Any] = (),
) -> KafkaBroker:
    """A FastStream broker whose producer is idempotent and waits for all in-sync replicas.

    ``acks=all`` with idempotence means a 202 from intake is only sent for records the broker
    has durably stored, and a producer retry never writes a record twice.
    """
    mws: list[Any] = list(middlewares)
    if registry is not None:
        mws.append(
            KafkaPrometheusMiddleware(
                registry=registry, app_name=client_id, metrics_prefix="faststream"
            )
        )
    access = KafkaAccess.of(target)
    return KafkaBroker(
        access.servers,
        security=access.security(),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        compression_type=None,
        middlewares=tuple(mws),
        logger=logging.getLogger(f"{client_id}.broker"),
        # Per-message "received/processed" lines are for debugging, not for the INFO log.
        log_level=logging.DEBUG,
        graceful_timeout=15.0,
    )


def make_producer(target: KafkaTarget, *, client_id: str) -> AIOKafkaProducer:
    """A plain aiokafka producer with the same guarantees as the broker's (idempotent, acks=all).

    For hot publish paths: FastStream's per-message ``publish`` measured 2.5x the cost of
    aiokafka's ``send`` here (22-27k vs 65-70k records/s on one core), which matters at intake's
    20,000 events/s target.
    """
    return AIOKafkaProducer(
        **KafkaAccess.of(target).client_options(),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        max_batch_size=256 * 1024,  # a whole request's events of one partition in few batches
        request_timeout_ms=10_000,
    )


async def ensure_topics(
    target: KafkaTarget,
    topics: Topics,
    names: Iterable[str] | None = None,
    *,
    partitions: int = 6,
    replication: int = 1,
) -> list[str]:
    """Create the missing topics (compacted where the design says so); returns those created.

    In production the topics are created by the platform team (see deploy/README.md); services
    call this only when ``create_topics`` is on.
    """
    wanted = list(names) if names is not None else topics.all()
    options = KafkaAccess.of(target).client_options()
    admin = AIOKafkaAdminClient(**options, client_id="kinerja-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new: list[NewTopic] = []
        for name in wanted:
            if name in existing:
                continue
            config = {}
            base = name.removeprefix(topics.prefix)
            if base in COMPACTED_TOPICS:
                config["cleanup.policy"] = "compact"
            new.append(NewTopic(name, partitions, replication, topic_configs=config))
        created: list[str] = []
        for topic in new:
            try:
                await admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass  # another service created it meanwhile
        if created:
            log.info("created topics", extra={"topics": created})
        return created
    finally:
        await admin.close()


class LagProbe:
    """A consumer group's lag per partition: the broker's end offsets minus the group's committed
    offsets. Committed offsets move only after a service stored its results, so zero lag means
    "everything in Kafka is in the store"."""

    def __init__(self, target: KafkaTarget, group_id: str) -> None:
        self._options = KafkaAccess.of(target).client_options()
        self._group_id = group_id
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self._admin = AIOKafkaAdminClient(**self._options, client_id=f"{self._group_id}-lag")
        await self._admin.start()
        self._consumer = AIOKafkaConsumer(**self._options, group_id=None, enable_auto_commit=False)
        await self._consumer.start()

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()

    async def lag(self, topics: Iterable[str]) -> dict[tuple[str, int], int]:
        if self._admin is None or self._consumer is None:
            raise RuntimeError("LagProbe is not started")
        described = await self._admin.describe_topics(list(topics))
        partitions = [
            TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
        ]
        if not partitions:
            return {}
        end = await self._consumer.end_offsets(partitions)
        committed = await self._admin.list_consumer_group_offsets(
            self._group_id, partitions=partitions
        )
        out = {}
        for tp in partitions:
            done = committed.get(tp)
            position = done.offset if done is not None and done.offset >= 0 else 0
            out[(tp.topic, tp.partition)] = max(0, end[tp] - position)
        return out


def subscribe_batches(
    broker: KafkaBroker,
    handler: RecordsHandler,
    *topics: str,
    registry: CollectorRegistry,
    group_id: str,
    title: str,
    dlq_topic: str,
    service: str,
    max_records: int = 500,
    timeout_ms: int = 200,
    partition_fetch_bytes: int = 1 << 20,
    retry_for_s: float = 60.0,
    session_timeout_ms: int = 10_000,
) -> None:
    """One consumer per topic, so a topic that cannot move never holds the others; batches
    from the earliest offset, committed only when ``handler`` returns. ``handler`` gets the
    batch's records and is guarded (``kinerja_shared.guard``): transient failures are retried
    with backoff, a record that fails on its own goes to the DLQ, and the rest flows on."""
    metrics = guard_metrics(registry)
    poison = _to_dlq(broker, dlq_topic, service)
    for topic in topics:
        name = f"{title}.{topic}" if len(topics) > 1 else title
        guard = BatchGuard(name, handler, poison, metrics, retry_for_s=retry_for_s)
        broker.subscriber(
            topic,
            group_id=group_id,
            batch=True,
            max_records=max_records,
            batch_timeout_ms=timeout_ms,
            max_partition_fetch_bytes=partition_fetch_bytes,
            # Bounded prefetch per consumer (one per topic): about two batches of records.
            fetch_max_bytes=partition_fetch_bytes * 2,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            # One consumer per topic means several members join the group at each start, and
            # every join is a rebalance that waits for the others' next heartbeat: 1 s, not 3.
            heartbeat_interval_ms=1000,
            session_timeout_ms=session_timeout_ms,
            # The handlers read each record's raw value themselves: FastStream's own decoding
            # (every record of a batch parsed as JSON, and kept) was a quarter of a replay's
            # heap (63 MiB of 244 for batches of 30,000, by tracemalloc).
            decoder=_undecoded,
            title=name,
        )(_consume(guard))


async def _undecoded(msg: Any) -> None:
    """No body for the handler: it takes the records (``batch_records``)."""
    return None


def _consume(guard: BatchGuard) -> Callable[[KafkaMessage], Awaitable[None]]:
    async def consume(msg: KafkaMessage) -> None:
        await guard(batch_records(msg))

    return consume


def _to_dlq(broker: KafkaBroker, dlq_topic: str, service: str) -> PoisonHandler:
    async def poison(record: Any, exc: BaseException) -> None:
        detail = f"{type(exc).__name__}: {exc}"[:1000]
        await dead_letter(broker, dlq_topic, record, DlqReason.PROCESSING_FAILED, detail, service)

    return poison


_GUARD_METRICS: weakref.WeakKeyDictionary[CollectorRegistry, GuardMetrics] = (
    weakref.WeakKeyDictionary()
)


def guard_metrics(registry: CollectorRegistry) -> GuardMetrics:
    """The guard's counters in ``registry``, made once (several subscribers share them)."""
    if registry not in _GUARD_METRICS:
        _GUARD_METRICS[registry] = GuardMetrics(registry)
    return _GUARD_METRICS[registry]


def batch_records(msg: KafkaMessage) -> tuple[Any, ...]:
    """The aiokafka records of a consumed batch (a single record comes as one). aiokafka
    hands a batch over as a tuple, FastStream's ``TestKafkaBroker`` as a list."""
    raw = msg.raw_message
    return tuple(raw) if isinstance(raw, tuple | list) else (raw,)

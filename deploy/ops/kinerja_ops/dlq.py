"""Reading and redriving the dead-letter queue (pure selection plus a Kafka adapter).

A redrive publishes the original bytes and key to the original topic. It is idempotent twice
over: the consumers count an event once by its id, and every redriven DLQ record is noted (by
partition and offset) on the compacted topic ``kinerja.dlq-redriven.v1``, so running the same
redrive again publishes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from kinerja_shared.dlq import H_DETAIL, H_OFFSET, H_PARTITION, H_REASON, H_SERVICE, H_TOPIC

REDRIVEN_TOPIC = "kinerja.dlq-redriven.v1"


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    at: datetime
    key: bytes | None
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def reason(self) -> str:
        return self.headers.get(H_REASON, "?")

    @property
    def service(self) -> str:
        return self.headers.get(H_SERVICE, "?")

    @property
    def original_topic(self) -> str | None:
        return self.headers.get(H_TOPIC)

    @property
    def detail(self) -> str:
        return self.headers.get(H_DETAIL, "")

    @property
    def origin(self) -> str:
        if not self.original_topic:
            return "-"
        return (
            f"{self.original_topic}[{self.headers.get(H_PARTITION)}]@{self.headers.get(H_OFFSET)}"
        )


def select(
    letters: Iterable[DeadLetter],
    *,
    reason: str | None = None,
    service: str | None = None,
    ids: set[str] | None = None,
) -> list[DeadLetter]:
    return [
        d
        for d in letters
        if (reason is None or d.reason == reason)
        and (service is None or d.service == service)
        and (ids is None or d.id in ids)
    ]


def summarise(letters: Iterable[DeadLetter]) -> list[tuple[str, str, str, int, str]]:
    """(service, reason, original topic, count, newest) per group, biggest first."""
    groups: dict[tuple[str, str, str], list[DeadLetter]] = {}
    for d in letters:
        groups.setdefault((d.service, d.reason, d.original_topic or "-"), []).append(d)
    rows = [
        (s, r, t, len(g), max(x.at for x in g).isoformat(timespec="seconds"))
        for (s, r, t), g in groups.items()
    ]
    return sorted(rows, key=lambda row: -row[3])


async def read_all(
    bootstrap: str, topic: str, progress: Callable[[int, int], None] | None = None
) -> list[DeadLetter]:
    """Every record of ``topic`` from the start to the end offsets as of now."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap.split(","), enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        tps = await _partitions(bootstrap, topic)
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        start = await consumer.beginning_offsets(tps)
        end = await consumer.end_offsets(tps)
        total = sum(end[tp] - start[tp] for tp in tps)
        out: list[DeadLetter] = []
        remaining = {tp for tp in tps if end[tp] > start[tp]}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=2000, max_records=1000)
            for tp, records in batch.items():
                for r in records:
                    if r.offset < end[tp]:
                        out.append(
                            DeadLetter(
                                r.partition,
                                r.offset,
                                datetime.fromtimestamp(r.timestamp / 1000, UTC),
                                r.key,
                                r.value or b"",
                                {k: v.decode(errors="replace") for k, v in r.headers},
                            )
                        )
                    if r.offset >= end[tp] - 1:
                        remaining.discard(tp)
            if progress:
                progress(len(out), total)
        return out
    finally:
        await consumer.stop()


async def _partitions(bootstrap: str, topic: str) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap.split(","), client_id="kinerja-ops")
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(
        (
            TopicPartition(t["topic"], p["partition"])
            for t in described
            if t.get("error_code", 0) == 0
            for p in t["partitions"]
        ),
        key=lambda tp: tp.partition,
    )


async def _ensure_compacted(bootstrap: str, topic: str) -> None:
    if await _partitions(bootstrap, topic):
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap.split(","), client_id="kinerja-ops")
    await admin.start()
    try:
        brokers = len((await admin.describe_cluster())["brokers"])
        await admin.create_topics(
            [NewTopic(topic, 1, min(3, brokers), topic_configs={"cleanup.policy": "compact"})]
        )
    except TopicAlreadyExistsError:
        pass  # another run made it meanwhile
    finally:
        await admin.close()


async def redriven_ids(bootstrap: str, prefix: str) -> set[str]:
    return {d.key.decode() for d in await read_all(bootstrap, prefix + REDRIVEN_TOPIC) if d.key}


async def redrive(
    bootstrap: str,
    prefix: str,
    letters: list[DeadLetter],
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int, int]:
    """Publish each letter's bytes to its original topic and note it; returns (published,
    already redriven, not redrivable)."""
    await _ensure_compacted(bootstrap, prefix + REDRIVEN_TOPIC)
    done = await redriven_ids(bootstrap, prefix)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap.split(","), acks="all", enable_idempotence=True
    )
    await producer.start()
    published = skipped = impossible = 0
    try:
        for i, d in enumerate(letters, 1):
            if d.id in done:
                skipped += 1
            elif not d.original_topic:
                impossible += 1  # e.g. a notification given up: it has no topic to return to
            else:
                await producer.send_and_wait(
                    d.original_topic,
                    d.value,
                    key=d.key,
                    headers=[("kinerja-redriven-from", f"dlq:{d.id}".encode())],
                )
                await producer.send_and_wait(
                    prefix + REDRIVEN_TOPIC,
                    datetime.now(UTC).isoformat().encode(),
                    key=d.id.encode(),
                )
                published += 1
            if progress:
                progress(i, len(letters))
    finally:
        await producer.stop()
    return published, skipped, impossible

"""Dead-letter queue: what a consumer cannot process goes to ``kinerja.dlq.v1`` with its original
bytes untouched and headers saying where it came from and why, so it can be inspected and
redriven after a fix. Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from faststream.kafka import KafkaBroker
from pydantic import ValidationError

from kinerja_shared.reference import REFERENCE_ADAPTER, Employee, ReferenceRecord
from kinerja_shared.validation import invalid_detail


class DlqReason(StrEnum):
    UNDECODABLE = "undecodable"  # not JSON / not UTF-8
    INVALID = "invalid"  # JSON, but not a valid event of the contract
    UNSUPPORTED_SCHEMA_VERSION = "unsupported_schema_version"
    PERIOD_CLOSED = "period_closed"  # older than the scoring grace
    UNMAPPED = "unmapped"  # a device line whose PIN maps to no NIP
    DELIVERY_FAILED = "delivery_failed"  # a notification no retry could deliver
    PROCESSING_FAILED = "processing_failed"  # its handling failed on its own (see guard.py)


#: Header names on a dead-lettered record.
H_REASON = "kinerja-dlq-reason"
H_DETAIL = "kinerja-dlq-detail"
H_TOPIC = "kinerja-dlq-original-topic"
H_PARTITION = "kinerja-dlq-original-partition"
H_OFFSET = "kinerja-dlq-original-offset"
H_SERVICE = "kinerja-dlq-service"


def dlq_headers(
    reason: DlqReason, detail: str, service: str, topic: str, partition: int, offset: int
) -> dict[str, str]:
    return {
        H_REASON: reason.value,
        H_DETAIL: detail[:1000],
        H_SERVICE: service,
        H_TOPIC: topic,
        H_PARTITION: str(partition),
        H_OFFSET: str(offset),
    }


async def dead_letter(
    broker: KafkaBroker,
    dlq_topic: str,
    record: Any,
    reason: DlqReason,
    detail: str,
    service: str,
) -> None:
    """Publish ``record`` (an aiokafka ConsumerRecord) to the DLQ and wait for Kafka's ack."""
    await broker.publish(
        record.value if record.value is not None else b"",
        dlq_topic,
        key=record.key,
        headers=dlq_headers(reason, detail, service, record.topic, record.partition, record.offset),
    )


async def reference_or_dead_letter(
    broker: KafkaBroker, dlq_topic: str, record: Any, service: str
) -> ReferenceRecord | None:
    """A reference-topic record's contract object, or None after dead-lettering it as invalid
    (the batch goes on). Tombstones (no value) are the caller's business."""
    try:
        return REFERENCE_ADAPTER.validate_json(record.value)
    except ValidationError as exc:
        await dead_letter(
            broker, dlq_topic, record, DlqReason.INVALID, invalid_detail(exc), service
        )
        return None


@dataclass
class ReferenceBatch:
    """A batch of the compacted reference topic, decoded as compaction would leave it: the
    latest record of each employee, the employees withdrawn (a tombstone and no record after
    it), and every other record in order."""

    employees: dict[str, Employee] = field(default_factory=dict)
    withdrawn: set[str] = field(default_factory=set)
    records: list[ReferenceRecord] = field(default_factory=list)
    tombstones: list[str] = field(default_factory=list)  # the kind of each (for the metrics)
    dead_lettered: int = 0


async def read_reference_batch(
    broker: KafkaBroker, dlq_topic: str, records: Sequence[Any], service: str
) -> ReferenceBatch:
    """The one decoder of a reference batch every consumer of the topic uses."""
    batch = ReferenceBatch()
    for record in records:
        if record.value is None:  # a tombstone: the record was withdrawn
            kind, _, ident = (record.key or b"").decode(errors="replace").partition(":")
            batch.tombstones.append(kind or "unknown")
            if kind == "employee":
                batch.withdrawn.add(ident)
                batch.employees.pop(ident, None)
            continue
        ref = await reference_or_dead_letter(broker, dlq_topic, record, service)
        if ref is None:
            batch.dead_lettered += 1
        elif isinstance(ref, Employee):
            batch.employees[ref.nip] = ref
            batch.withdrawn.discard(ref.nip)
        else:
            batch.records.append(ref)
    return batch

"""The one decoder of a reference batch, over ``TestKafkaBroker``'s DLQ: the latest record of
each employee wins, a tombstone withdraws one unless a record comes after it, other records
keep their order, and what is no reference record is dead-lettered and counted."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from kinerja_shared.dlq import H_REASON, read_reference_batch
from kinerja_shared.reference import Holiday

A, B = "199001012015011001", "199202022016012005"


@dataclass
class Record:
    key: bytes | None
    value: bytes | None
    topic: str = "kinerja.reference.v1"
    partition: int = 0
    offset: int = 0
    headers: tuple[Any, ...] = ()
    timestamp: int = 0


def employee(nip: str, name: str) -> Record:
    doc = {"kind": "employee", "nip": nip, "name": name, "unit_code": "DISDIK", "position": "Staf"}
    return Record(f"employee:{nip}".encode(), json.dumps(doc).encode())


def tombstone(nip: str) -> Record:
    return Record(f"employee:{nip}".encode(), None)


async def test_a_batch_reads_as_compaction_would_leave_it() -> None:
    broker, dead = KafkaBroker(), []

    @broker.subscriber("kinerja.dlq.v1")
    async def dlq(message: KafkaMessage) -> None:
        dead.append(message.headers[H_REASON])

    holiday = {"kind": "holiday", "date": "2026-12-25", "name": "Natal"}
    records = [
        employee(A, "Lama"),
        employee(A, "Baru"),  # the latest wins
        employee(B, "Budi"),
        tombstone(B),  # withdrawn...
        tombstone(A),
        employee(A, "Kembali"),  # ...unless a record comes after the tombstone
        Record(b"holiday:2026-12-25", json.dumps(holiday).encode()),
        Record(b"employee:x", b"{not json"),
    ]
    async with TestKafkaBroker(broker):
        batch = await read_reference_batch(broker, "kinerja.dlq.v1", records, "test")
    assert {nip: e.name for nip, e in batch.employees.items()} == {A: "Kembali"}
    assert batch.withdrawn == {B}
    assert [type(r) for r in batch.records] == [Holiday]
    assert batch.tombstones == ["employee", "employee"]
    assert (batch.dead_lettered, dead) == (1, ["invalid"])

"""Feedback's Kafka edges over FastStream's ``TestKafkaBroker`` (no broker) and fake stores:
the outbox (a change and its event recorded together, applied, published, removed; held
through a broker outage; never published twice), and the reference consumer (employees in,
tombstones withdraw them, what is no reference record goes to the DLQ). The same paths over a
real broker and store: tests/test_feedback_outbox.py."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry

from feedback.consumer import ReferenceConsumer
from feedback.publisher import Publisher
from feedback.settings import FeedbackSettings
from kinerja_shared.dlq import H_REASON
from kinerja_shared.events import BehaviourRated, BehaviourRatedEvent, PerilakuRating, Source
from kinerja_shared.reference import Employee

SETTINGS = FeedbackSettings()
TOPICS = SETTINGS.topics
STAFF, KABID = "199001012015011001", "198505052010012002"
NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
Doc = dict[str, Any]


class Outbox:
    def __init__(self) -> None:
        self.entries: dict[str, Doc] = {}
        self.ratings: dict[str, Doc] = {}

    async def add_to_outbox(self, entry: Doc) -> bool:
        if entry["_id"] in self.entries:
            return False
        self.entries[entry["_id"]] = entry
        return True

    async def apply_changes(self, entry: Doc) -> None:
        for change in entry["changes"]:
            self.ratings.setdefault(change["doc"]["_id"], change["doc"])

    async def published(self, entry_id: str) -> None:
        self.entries.pop(entry_id, None)

    async def outbox_pending(self, limit: int = 500) -> list[Doc]:
        return sorted(self.entries.values(), key=lambda e: e["at"])[:limit]


def rated(n: int = 1) -> BehaviourRatedEvent:
    return BehaviourRatedEvent(
        event_id=f"00000000-0000-4000-8000-{n:012d}",
        type="behaviour.rated",
        occurred_at=NOW,
        nip=STAFF,
        source=Source(kind="system", id="kinerja-feedback"),
        payload=BehaviourRated(
            period="2026-11",
            rating=PerilakuRating.SESUAI,
            justification="Tepat waktu.",
            rated_by=KABID,
        ),
    )


def rating_doc(event: BehaviourRatedEvent) -> Doc:
    return {"_id": event.event_id, "nip": STAFF, "rating": event.payload.rating.value}


async def test_a_change_and_its_event_go_out_together() -> None:
    broker, sent = KafkaBroker(), []

    @broker.subscriber(TOPICS.feedback)
    async def topic(message: KafkaMessage) -> None:
        sent.append(json.loads(message.body)["event_id"])

    store = Outbox()
    publisher = Publisher(broker, store, TOPICS.feedback)
    event = rated()
    async with TestKafkaBroker(broker):
        assert await publisher.publish(event, NOW, [("ratings", rating_doc(event))])
    assert sent == [event.event_id]
    assert list(store.ratings) == [event.event_id]
    assert store.entries == {}


async def test_a_broker_outage_delays_the_event_and_loses_nothing() -> None:
    store = Outbox()
    down = Publisher(KafkaBroker(), store, TOPICS.feedback)  # never connected: publish fails
    event = rated(2)
    assert not await down.publish(event, NOW, [("ratings", rating_doc(event))])
    # The same event again while its entry waits (a retry racing the first): one entry.
    assert not await down.publish(event, NOW, [("ratings", rating_doc(event))])
    assert list(store.ratings) == [event.event_id]  # the change stands, its event waits
    assert list(store.entries) == [event.event_id]

    broker, sent = KafkaBroker(), []

    @broker.subscriber(TOPICS.feedback)
    async def topic(message: KafkaMessage) -> None:
        sent.append(json.loads(message.body)["event_id"])

    async with TestKafkaBroker(broker):
        assert await Publisher(broker, store, TOPICS.feedback).retry_pending() == 1
    assert sent == [event.event_id]
    assert store.entries == {}


class People:
    def __init__(self) -> None:
        self.known: dict[str, Employee] = {}

    async def apply(self, employees: Iterable[Employee], removed: Iterable[str] = ()) -> None:
        self.known.update({e.nip: e for e in employees})
        for nip in removed:
            self.known.pop(nip, None)


def employee(nip: str, supervisor: str | None = None) -> tuple[bytes, bytes]:
    doc = {
        "kind": "employee",
        "nip": nip,
        "name": f"Pegawai {nip[-3:]}",
        "unit_code": "DISDIK",
        "position": "Staf",
        "supervisor_nip": supervisor,
    }
    return f"employee:{nip}".encode(), json.dumps(doc).encode()


async def consume_reference(people: People, records: list[tuple[bytes, bytes | None]]) -> list[str]:
    broker, dead = KafkaBroker(), []

    @broker.subscriber(TOPICS.dlq)
    async def dlq(message: KafkaMessage) -> None:
        dead.append(message.headers[H_REASON])

    ReferenceConsumer(broker, people, SETTINGS, CollectorRegistry()).register()
    async with TestKafkaBroker(broker) as br:
        for key, value in records:
            await br.publish(value, topic=TOPICS.reference, key=key)
    return dead


async def test_the_org_chart_follows_the_reference_topic() -> None:
    people = People()
    dead = await consume_reference(people, [employee(KABID), employee(STAFF, KABID)])
    assert dead == []
    assert people.known[STAFF].supervisor_nip == KABID


@pytest.mark.parametrize(
    ("value", "reason"),
    [(b"{not json", "invalid"), (json.dumps({"kind": "employee"}).encode(), "invalid")],
)
async def test_what_is_no_reference_record_goes_to_the_dlq(value: bytes, reason: str) -> None:
    people = People()
    dead = await consume_reference(people, [(b"employee:x", value), employee(KABID)])
    assert dead == [reason]
    assert list(people.known) == [KABID]

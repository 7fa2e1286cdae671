"""Scoring's consumer over FastStream's ``TestKafkaBroker`` (no broker, fake stores): how each
topic's records are decoded, routed to the facts, or dead-lettered with their reason, and how a
record that fails on its own is found and set aside while its batch flows on. The same paths
over a real broker and store: tests/test_scoring_stream.py and tests/test_chaos.py."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry

from kinerja_shared.clock import ManualClock
from kinerja_shared.dlq import H_REASON, H_TOPIC
from scoring.consumer import EventConsumer
from scoring.domain.facts import FactsDelta
from scoring.settings import ScoringSettings

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
NIP, OTHER = "199001012015011001", "199202022016012005"
SETTINGS = ScoringSettings()
TOPICS = SETTINGS.topics


class Facts:
    """Fails for ``poisoned`` NIPs, as a bug a record triggers would."""

    def __init__(self, poisoned: Iterable[str] = ()) -> None:
        self.deltas: list[FactsDelta] = []
        self.poisoned = set(poisoned)

    async def apply(self, deltas: Sequence[FactsDelta], now: datetime) -> None:
        if any(d.nip in self.poisoned for d in deltas):
            raise ValueError("a value no contract check caught")
        self.deltas += deltas


class Stale:
    def __init__(self) -> None:
        self.marked: dict[str, set[str]] = {}

    async def mark(self, months_by_nip: Mapping[str, Iterable[str]], now: datetime) -> None:
        for nip, months in months_by_nip.items():
            self.marked.setdefault(nip, set()).update(months)


def event(n: int, nip: str = NIP, **over: Any) -> dict[str, Any]:
    return {
        "event_id": f"00000000-0000-4000-8000-{n:012d}",
        "type": "attendance.recorded",
        "occurred_at": "2026-11-24T07:21:05+07:00",
        "received_at": "2026-11-24T07:21:06+07:00",
        "nip": nip,
        "source": {"kind": "device", "id": "TBL1"},
        "payload": {"direction": "in", "method": "face", "device_sn": "TBL1"},
        **over,
    }


def void(n: int, of: int) -> dict[str, Any]:
    return {
        **event(n, type="attendance.voided", source={"kind": "system", "id": "kinerja-admin"}),
        "payload": {
            "voided_event_id": event(of)["event_id"],
            "punch_at": "2026-11-24T07:21:05+07:00",
            "reason": "PIN pegawai lain dipakai di mesin lantai 2",
            "voided_by": OTHER,
        },
    }


def rating(n: int, period: str = "2026-11") -> dict[str, Any]:
    return {
        **event(n, type="behaviour.rated", source={"kind": "system", "id": "kinerja-feedback"}),
        "payload": {
            "period": period,
            "rating": "Sesuai Ekspektasi",
            "justification": "Tepat waktu.",
            "rated_by": OTHER,
        },
    }


async def consume(
    batches: Mapping[str, Sequence[bytes]], facts: Facts
) -> tuple[Stale, list[tuple[str, str]]]:
    """Each topic's records published as one batch; returns the marks and the DLQ's (reason,
    original topic) of each dead letter."""
    broker, stale, dead = KafkaBroker(), Stale(), []

    @broker.subscriber(TOPICS.dlq, batch=False)
    async def dlq(message: KafkaMessage) -> None:
        headers = message.headers
        dead.append((headers[H_REASON], headers.get(H_TOPIC, "")))

    consumer = EventConsumer(
        broker,
        facts,
        stale,
        SETTINGS,
        ManualClock(NOW),
        CollectorRegistry(),
    )
    consumer.register()
    async with TestKafkaBroker(broker) as br:
        for topic, values in batches.items():
            await br.publish_batch(*values, topic=topic)
    return stale, dead


def wire(doc: Any) -> bytes:
    return json.dumps(doc).encode()


async def test_each_topic_is_decoded_and_folded_into_the_facts() -> None:
    facts = Facts()
    stale, dead = await consume(
        {
            TOPICS.attendance: [wire(event(1)), wire(void(2, of=1))],
            TOPICS.feedback: [wire(rating(3))],
        },
        facts,
    )
    assert dead == []
    punches = [d for d in facts.deltas if d.punches]
    assert [list(d.punches["1124"]) for d in punches] == [[event(1)["event_id"]]]
    assert any(d.voided == {"1124": {event(1)["event_id"]}} for d in facts.deltas)
    assert any("2026-11" in d.ratings for d in facts.deltas)
    assert stale.marked == {NIP: {"2026-11"}}


async def test_the_notifiers_dialogue_events_are_left_alone() -> None:
    notice = {**rating(4), "type": "feedback.posted"}
    facts = Facts()
    stale, dead = await consume({TOPICS.feedback: [wire(notice)]}, facts)
    assert (facts.deltas, stale.marked, dead) == ([], {}, [])


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"\xff not json", "undecodable"),
        (wire({"schema_version": []}), "unsupported_schema_version"),
        (wire({**event(5), "schema_version": 2}), "unsupported_schema_version"),
        (wire({**event(6), "nip": "123"}), "invalid"),
        (wire({**void(7, of=1), "payload": {"reason": "x"}}), "invalid"),
        (wire(event(8, occurred_at="2026-09-01T07:00:00+07:00")), "period_closed"),
    ],
)
async def test_a_record_that_is_no_event_goes_to_the_dlq_and_the_rest_flows(
    value: bytes, reason: str
) -> None:
    facts = Facts()
    stale, dead = await consume({TOPICS.attendance: [value, wire(event(9))]}, facts)
    assert [r for r, _ in dead] == [reason]
    assert [list(d.punches) for d in facts.deltas] == [["1124"]]
    assert stale.marked == {NIP: {"2026-11"}}


async def test_a_record_that_fails_alone_is_found_and_set_aside() -> None:
    """A value that makes the store write fail (not the store being away): the batch is split
    until that record is alone; it goes to the DLQ, everybody else's facts are written."""
    facts = Facts(poisoned={OTHER})
    records = [wire(event(n)) for n in range(10, 16)] + [wire(event(16, nip=OTHER))]
    stale, dead = await consume({TOPICS.attendance: records}, facts)
    assert [r for r, _ in dead] == ["processing_failed"]
    assert {d.nip for d in facts.deltas} == {NIP}
    written = {i for d in facts.deltas for i in d.punches["1124"]}
    assert written == {event(n)["event_id"] for n in range(10, 16)}
    assert OTHER not in stale.marked

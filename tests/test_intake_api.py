"""Intake's POST /v1/events over a real Kafka: what is accepted lands on its topic keyed by NIP;
what is rejected gets a per-item reason and never reaches Kafka."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from intake.app import create_app
from intake.settings import IntakeSettings
from tests.conftest import Namespace
from tests.infra import Infra
from tests.support import issue_key, read_topic, serving, values

pytestmark = pytest.mark.integration

NIP = "198609262015051001"


def event(**over: Any) -> dict[str, Any]:
    e: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "type": "attendance.recorded",
        "schema_version": 1,
        "occurred_at": "2026-11-02T07:21:05+07:00",
        "nip": NIP,
        "source": {"kind": "device", "id": "TBL00000001"},
        "payload": {"direction": "in", "method": "fingerprint", "device_sn": "TBL00000001"},
    }
    e.update(over)
    return e


@pytest.fixture
async def intake(infra: Infra, ns: Namespace) -> Any:
    # scoring_grace_days: the fixed dates of these tests must not age out
    settings = ns.settings(
        IntakeSettings,
        infra,
        scoring_grace_days=36500,
        max_body_bytes=64 * 1024,
        max_batch_events=100,
    )
    async with serving(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        client.headers["X-Api-Key"] = await issue_key(client)
        yield client, settings


async def test_bad_items_get_422_with_reasons_and_nothing_reaches_kafka(
    intake: Any, infra: Infra
) -> None:
    client, settings = intake
    bad = [
        event(nip="12345"),  # not 18 digits
        event(nip="198613262015051001"),  # month 13 in the birth date
        {k: v for k, v in event().items() if k != "occurred_at"},  # missing field
        event(occurred_at="2026-11-02T07:21:05"),  # no offset
        event(payload={"direction": "sideways", "method": "fingerprint", "device_sn": "X1"}),
        event(schema_version="one"),  # wrong type
        "not an object",
    ]
    r = await client.post("/v1/events", json=bad)
    assert r.status_code == 422
    body = r.json()
    assert body["accepted"] == 0
    assert body["rejected"] == len(bad)
    fields = [[e["field"] for e in item["errors"]] for item in body["results"]]
    assert fields[0] == ["nip"]
    assert "18 digits" in body["results"][0]["errors"][0]["reason"]
    assert fields[1] == ["nip"]
    assert "birth date" in body["results"][1]["errors"][0]["reason"]
    assert fields[2] == ["occurred_at"]
    assert fields[3] == ["occurred_at"]
    assert fields[4] == ["payload.direction"]
    assert fields[5] == ["schema_version"]
    assert fields[6] == ["(item)"]
    assert await read_topic(infra.kafka_bootstrap, settings.topics.attendance, idle_s=1.5) == []


async def test_mixed_batch_publishes_only_the_valid_items_keyed_by_nip(
    intake: Any, infra: Infra
) -> None:
    client, settings = intake
    good = [
        event(),
        event(
            occurred_at="2026-11-02T16:05:00+07:00",
            payload={"direction": "out", "method": "face", "device_sn": "TBL00000001"},
        ),
    ]
    r = await client.post("/v1/events", json=[good[0], event(nip="1"), good[1], good[0]])
    assert r.status_code == 202
    body = r.json()
    assert [x["status"] for x in body["results"]] == [
        "accepted",
        "rejected",
        "accepted",
        "duplicate",
    ]
    records = await read_topic(infra.kafka_bootstrap, settings.topics.attendance)
    assert sorted(v["event_id"] for v in values(records)) == sorted(e["event_id"] for e in good)
    assert {r.key for r in records} == {NIP.encode()}
    for v in values(records):
        assert v["trace_id"] == body["trace_id"]
        assert v["received_at"]


async def test_single_event_object_is_accepted(intake: Any) -> None:
    client, _ = intake
    r = await client.post("/v1/events", json=event())
    assert r.status_code == 202
    assert r.json()["accepted"] == 1


@pytest.mark.parametrize(
    ("content", "headers", "status", "title"),
    [
        (b"{not json", {"content-type": "application/json"}, 422, "Malformed JSON"),
        (b"[]", {"content-type": "application/json"}, 422, "Empty batch"),
        (b"<xml/>", {"content-type": "application/xml"}, 415, "Unsupported media type"),
        (b"x" * (65 * 1024), {"content-type": "application/json"}, 413, "Body too large"),
        (
            json.dumps([event() for _ in range(101)]).encode(),
            {"content-type": "application/json"},
            413,
            "Batch too long",
        ),
    ],
)
async def test_malformed_requests_get_clear_errors(
    intake: Any, content: bytes, headers: dict[str, str], status: int, title: str
) -> None:
    client, _ = intake
    r = await client.post("/v1/events", content=content, headers=headers)
    assert r.status_code == status
    assert r.json()["title"] == title


async def test_openapi_documents_the_event_contract_with_examples(intake: Any) -> None:
    client, _ = intake
    spec = (await client.get("/openapi.json")).json()
    body = spec["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    assert set(body["examples"]) == {"one check-in", "a batch"}
    assert "discriminator" in spec["components"]["schemas"]["Event"]
    for name in ("AttendanceRecordedEvent", "ServiceRatedEvent", "TargetProgressedEvent"):
        assert name in spec["components"]["schemas"]


async def test_every_type_lands_on_its_topic_keyed_by_nip(intake: Any, infra: Infra) -> None:
    client, settings = intake
    other = "199001152015032002"
    events = [
        event(),
        event(
            type="attendance.excused",
            nip=other,
            payload={
                "date_from": "2026-11-03",
                "date_to": "2026-11-04",
                "reason": "sakit",
                "reference": "SKT/12/2026",
            },
        ),
        event(
            type="service.rated",
            source={"kind": "desk", "id": "LOKET-2"},
            payload={
                "unit_code": "DUKCAPIL",
                "desk_id": "LOKET-2",
                "service": "KTP-el",
                "ratings": {"U1": 4, "U9": 3},
            },
        ),
        event(
            type="target.progressed",
            nip=other,
            source={"kind": "system", "id": "e-kinerja"},
            payload={
                "skp_id": "SKP-1",
                "indicator_id": "IKI-1",
                "indicator": "Dokumen terbit",
                "period": 2026,
                "target": 100,
                "realized": 40,
                "unit": "dokumen",
            },
        ),
    ]
    r = await client.post("/v1/events", json=events)
    assert r.status_code == 202
    assert r.json()["accepted"] == 4
    topics = settings.topics
    got = {}
    for topic in (topics.attendance, topics.service_quality, topics.target_progress):
        for rec in await read_topic(infra.kafka_bootstrap, topic, idle_s=1):
            got[json.loads(rec.value)["event_id"]] = (topic, rec.key.decode())
    assert got == {
        events[0]["event_id"]: (topics.attendance, NIP),
        events[1]["event_id"]: (topics.attendance, other),
        events[2]["event_id"]: (topics.service_quality, NIP),
        events[3]["event_id"]: (topics.target_progress, other),
    }
    metrics = (await client.get("/metrics")).text
    assert 'kinerja_intake_events_total{outcome="accepted",type="service.rated"} 1.0' in metrics


async def test_rejections_are_counted_by_type_and_field(intake: Any) -> None:
    client, _ = intake
    await client.post("/v1/events", json=[event(nip="1"), event(nip="2")])
    metrics = (await client.get("/metrics")).text
    assert 'kinerja_intake_rejections_total{field="nip",type="attendance.recorded"} 2.0' in metrics

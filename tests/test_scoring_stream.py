"""Scoring's consumer over real Kafka and the MongoDB-wire server: bad records go to the DLQ with
their reason while the good ones flow, and a restarted consumer counts nothing twice."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from kinerja_shared.dlq import H_OFFSET, H_REASON, H_TOPIC
from kinerja_shared.kafka import ensure_topics
from scoring.app import create_app
from scoring.settings import ScoringSettings
from tests.conftest import Namespace
from tests.infra import Infra
from tests.support import read_topic, serving

pytestmark = pytest.mark.integration
NIP = "199001152015032002"


def punch(day: int, hh: int, mm: int, direction: str = "in") -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "attendance.recorded",
        "schema_version": 1,
        "occurred_at": f"2026-11-{day:02d}T{hh:02d}:{mm:02d}:00+07:00",
        "nip": NIP,
        "source": {"kind": "device", "id": "TBL1"},
        "payload": {"direction": direction, "method": "card", "device_sn": "TBL1"},
    }


def settings(infra: Infra, ns: Namespace) -> ScoringSettings:
    return ns.settings(ScoringSettings, infra, batch_timeout_ms=50)


async def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for v in values:
            await producer.send_and_wait(topic, v, key=NIP.encode())
    finally:
        await producer.stop()


async def month(client: httpx.AsyncClient, want_events: int, timeout_s: float = 60) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    body: Any = None
    while loop.time() < deadline:
        r = await client.get(f"/v1/employees/{NIP}/evaluation", params={"period": "2026-11"})
        if r.status_code == 200:
            body = r.json()
            if body["events_counted"] >= want_events:
                return body
        await asyncio.sleep(0.3)
    return body


async def test_poison_records_go_to_the_dlq_and_the_rest_flows(infra: Infra, ns: Namespace) -> None:
    s = settings(infra, ns)
    good = [punch(2, 7, 40), punch(2, 7, 10), punch(3, 8, 0)]
    v2 = {**punch(4, 7, 0), "schema_version": 2}
    invalid = {**punch(4, 7, 0), "nip": "000"}
    async with serving(create_app(s)) as url, httpx.AsyncClient(base_url=url) as client:
        await produce(
            infra.kafka_bootstrap,
            s.topics.attendance,
            [
                json.dumps(good[0]).encode(),
                b"\xff\xfenot json",
                json.dumps(v2).encode(),
                json.dumps(good[1]).encode(),
                json.dumps(invalid).encode(),
                json.dumps(good[2]).encode(),
            ],
        )
        body = await month(client, 3)
    assert body["events_counted"] == 3
    assert body["days_with_check_in"] == 2
    assert body["days"][0]["first_check_in"] == "2026-11-02T07:10:00+07:00"

    dead = await read_topic(infra.kafka_bootstrap, s.topics.dlq)
    reasons = sorted(dict(r.headers)[H_REASON].decode() for r in dead)
    assert reasons == ["invalid", "undecodable", "unsupported_schema_version"]
    undecodable = next(r for r in dead if dict(r.headers)[H_REASON] == b"undecodable")
    assert undecodable.value == b"\xff\xfenot json"  # original bytes, untouched
    assert dict(undecodable.headers)[H_TOPIC].decode() == s.topics.attendance
    assert dict(undecodable.headers)[H_OFFSET].decode().isdigit()


async def test_restart_and_redelivery_count_nothing_twice(infra: Infra, ns: Namespace) -> None:
    s = settings(infra, ns)
    first = [punch(d, 7, 20 + d) for d in range(2, 7)]
    second = [punch(d, 16, 30, "out") for d in range(2, 7)]
    await ensure_topics(infra.kafka_bootstrap, s.topics, partitions=2)
    await produce(
        infra.kafka_bootstrap, s.topics.attendance, [json.dumps(e).encode() for e in first]
    )
    async with serving(create_app(s)) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await month(client, 5))["events_counted"] == 5
    # While scoring is down, the same records arrive again (a device re-upload) plus new ones.
    await produce(
        infra.kafka_bootstrap, s.topics.attendance, [json.dumps(e).encode() for e in first + second]
    )
    async with serving(create_app(s)) as url, httpx.AsyncClient(base_url=url) as client:
        body = await month(client, 10)
    assert body["events_counted"] == 10
    assert body["days_with_check_in"] == 5
    assert [d["first_check_in"][11:16] for d in body["days"]] == [
        "07:22",
        "07:23",
        "07:24",
        "07:25",
        "07:26",
    ]
    assert all(d["last_check_out"][11:16] == "16:30" for d in body["days"])

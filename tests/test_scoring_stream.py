"""Scoring's consumer over real Kafka and the MongoDB-wire server: bad records go to the DLQ with
their reason while the good ones flow, and a restarted consumer counts nothing twice."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from kinerja_shared.dlq import H_OFFSET, H_REASON, H_TOPIC
from kinerja_shared.kafka import ensure_topics
from scoring.app import create_app
from scoring.settings import ScoringSettings
from tests.conftest import Namespace
from tests.infra import Infra
from tests.support import admin_headers, read_topic, serving

pytestmark = pytest.mark.integration
NIP = "199001152015032002"
WIB = ZoneInfo("Asia/Jakarta")


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
    async with (
        serving(create_app(s)) as url,
        httpx.AsyncClient(base_url=url, headers=admin_headers()) as client,
    ):
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
    async with (
        serving(create_app(s)) as url,
        httpx.AsyncClient(base_url=url, headers=admin_headers()) as client,
    ):
        assert (await month(client, 5))["events_counted"] == 5
    # While scoring is down, the same records arrive again (a device re-upload) plus new ones.
    await produce(
        infra.kafka_bootstrap, s.topics.attendance, [json.dumps(e).encode() for e in first + second]
    )
    async with (
        serving(create_app(s)) as url,
        httpx.AsyncClient(base_url=url, headers=admin_headers()) as client,
    ):
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


def envelope(
    etype: str, occurred: str, payload: dict[str, Any], received: str | None = None
) -> dict[str, Any]:
    e = {
        "event_id": str(uuid.uuid4()),
        "type": etype,
        "schema_version": 1,
        "occurred_at": occurred,
        "nip": NIP,
        "source": {"kind": "system", "id": "test"},
        "payload": payload,
    }
    if received:
        e["received_at"] = received
    return e


def progress(
    occurred: str, realized: float, indicator: str = "IKI-1", main: bool | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "skp_id": "SKP-1",
        "indicator_id": indicator,
        "indicator": "Dokumen terbit",
        "period": 2026,
        "target": 100,
        "realized": realized,
        "unit": "dokumen",
    }
    if main is not None:
        payload["main"] = main
    return envelope("target.progressed", occurred, payload)


async def test_ratings_targets_and_the_predicate(infra: Infra, ns: Namespace) -> None:
    s = settings(infra, ns)
    await ensure_topics(infra.kafka_bootstrap, s.topics, partitions=2)
    rating = {"unit_code": "DUKCAPIL", "desk_id": "LOKET-2", "service": "KTP-el"}
    values = [
        envelope(
            "service.rated",
            f"2026-11-{d:02d}T09:00:00+07:00",
            {**rating, "ratings": {"overall": 4}},
        )
        for d in [2, 3, 4, 5, 6] * 6
    ]
    # The latest figure by event time wins, whatever order the figures arrive in.
    values += [
        progress("2026-11-20T10:00:00+07:00", 115),
        progress("2026-10-01T10:00:00+07:00", 5),
        progress("2026-12-20T10:00:00+07:00", 1),  # after the period: not used for it
        progress("2026-11-20T10:00:00+07:00", 112, "IKI-3"),
        # One main (utama) indicator of three below expectation: most are above, yet not
        # Di Atas; a small part of the main results, so Sesuai (half or more: Di Bawah).
        progress("2026-11-20T10:00:00+07:00", 40, "IKU-1", main=True),
        progress("2026-11-20T10:00:00+07:00", 100, "IKU-2", main=True),
        progress("2026-11-20T10:00:00+07:00", 100, "IKU-3", main=True),
    ]
    values.append(punch(2, 7, 15))
    late = envelope(
        "attendance.recorded",
        "2026-09-01T07:00:00+07:00",
        {"direction": "in", "method": "card", "device_sn": "TBL1"},
        received="2026-11-20T07:00:00+07:00",
    )
    values.append(late)
    await produce(
        infra.kafka_bootstrap,
        s.topics.service_quality,
        [json.dumps(v).encode() for v in values if v["type"] == "service.rated"],
    )
    await produce(
        infra.kafka_bootstrap,
        s.topics.target_progress,
        [json.dumps(v).encode() for v in values if v["type"] == "target.progressed"],
    )
    await produce(
        infra.kafka_bootstrap,
        s.topics.attendance,
        [json.dumps(v).encode() for v in values if v["type"].startswith("attendance")],
    )
    async with (
        serving(create_app(s)) as url,
        httpx.AsyncClient(base_url=url, headers=admin_headers()) as client,
    ):
        body: Any = None
        for _ in range(120):
            r = await client.get(f"/v1/employees/{NIP}/evaluation", params={"period": "2026-11"})
            body = r.json() if r.status_code == 200 else None
            if (
                body
                and body["ikm"]
                and body["ikm"]["responses"] == 30
                and len(body["hasil_kerja"]["indicators"]) == 5
                and body["events_counted"] == 1
            ):
                break
            await asyncio.sleep(0.5)
        await produce(
            infra.kafka_bootstrap,
            s.topics.reference,
            [
                json.dumps(
                    {
                        "kind": "employee",
                        "nip": NIP,
                        "name": "Siti",
                        "unit_code": "DUKCAPIL",
                        "position": "Pelaksana",
                    }
                ).encode()
            ],
        )
        summary: Any = None
        for _ in range(60):
            r = await client.get("/v1/units/DUKCAPIL/summary", params={"period": "2026-11"})
            if r.status_code == 200:
                summary = r.json()
                break
            await asyncio.sleep(0.5)
    # All fours under PermenPANRB 14/2017's weight of 0,111 per element: 3,996, so 99,9.
    assert summary["desks"] == {
        "LOKET-2": {"responses": 30, "converted": 99.9, "category": "A", "final": True}
    }
    assert summary["ikm"]["responses"] == 30
    assert summary["predicates"] == {"Baik": 1}
    assert body["ikm"] == {
        "responses": 30,
        "index": 3.996,
        "converted": 99.9,
        "category": "A",
        "label": "Sangat Baik",
        "final": True,
    }
    indicators = {i["indicator_id"]: i for i in body["hasil_kerja"]["indicators"]}
    indicator = indicators["IKI-1"]
    assert indicator["realized"] == 115  # 20 November's figure, not October's nor December's
    assert indicator["status"] == "above"  # above 110% of the target, whatever the date
    assert [(i["status"], i["main"]) for _, i in sorted(indicators.items())] == [
        ("above", False),
        ("above", False),
        ("below", True),
        ("meets", True),
        ("meets", True),
    ]
    assert body["hasil_kerja"]["rating"] == "Sesuai Ekspektasi"  # a main indicator is below
    assert body["perilaku_kerja"] == {"rating": "Di Atas Ekspektasi", "proposal": True}
    assert body["predikat"] == "Baik"
    rules = [e["rule"] for e in body["evidence"]]
    assert "ikm.permenpanrb_14_2017" in rules
    dead = await read_topic(infra.kafka_bootstrap, s.topics.dlq)
    assert [dict(d.headers)[H_REASON] for d in dead] == [b"period_closed"]
    assert json.loads(dead[0].value)["event_id"] == late["event_id"]


async def alerts_once(bootstrap: str, topic: str, want: set[str]) -> list[dict[str, Any]]:
    """The alerts on the topic once ``want`` are all there (30 s at most), and half a second
    more for any that should not be: the projector raises a round's alerts together."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        alerts = [json.loads(r.value) for r in await read_topic(bootstrap, topic)]
        if want <= {a["alert_id"] for a in alerts}:
            await asyncio.sleep(0.5)
            return [json.loads(r.value) for r in await read_topic(bootstrap, topic)]
        assert asyncio.get_running_loop().time() < deadline, f"never raised: {want}"
        await asyncio.sleep(0.5)


async def test_alerts_fire_once_per_crossing_and_updates_are_coalesced(
    infra: Infra, ns: Namespace
) -> None:
    s = ns.settings(
        ScoringSettings, infra, batch_timeout_ms=50, alert_check_interval_s=0.3, alert_settle_s=1
    )
    await ensure_topics(infra.kafka_bootstrap, s.topics, partitions=2)
    employee = {
        "kind": "employee",
        "nip": NIP,
        "name": "Siti",
        "unit_code": "DUKCAPIL",
        "position": "Pelaksana",
        "supervisor_nip": "197501012000031001",
        "schedule": "standar",
        "device_pins": [],
    }
    closed = [{"kind": "day_closed", "date": f"2026-11-{d:02d}"} for d in range(2, 7)]
    reference = [json.dumps(employee).encode()] + [json.dumps(c).encode() for c in closed]
    # Present Monday and Tuesday, late both days and on Thursday (3 TL days in week 45);
    # no record on Wednesday 4th nor Friday 6th.
    punches_ = [
        punch(2, 7, 50),
        punch(2, 16, 10, "out"),
        punch(3, 8, 5),
        punch(3, 16, 0, "out"),
        punch(5, 7, 45),
        punch(5, 16, 2, "out"),
    ]
    await produce(
        infra.kafka_bootstrap, s.topics.attendance, [json.dumps(p).encode() for p in punches_]
    )
    await produce(infra.kafka_bootstrap, s.topics.reference, reference)
    tl_psw = f"coaching:tl_psw:{NIP}:2026-W45"
    async with serving(create_app(s)):
        await alerts_once(infra.kafka_bootstrap, s.topics.alert, {tl_psw})
    # The same days closed again and a restart: nothing new crosses, nothing fires again (the
    # wait covers the settling and one projection round). The same process then takes the
    # next changes live.
    await produce(infra.kafka_bootstrap, s.topics.reference, reference)
    today = datetime.now(WIB).date()
    async with serving(create_app(s)):
        await asyncio.sleep(4)
        alerts = [
            json.loads(r.value) for r in await read_topic(infra.kafka_bootstrap, s.topics.alert)
        ]
        assert sorted(a["alert_id"] for a in alerts) == [tl_psw]  # 2 absences: no level yet
        coaching = alerts[0]
        assert coaching["supervisor_nip"] == "197501012000031001"
        assert coaching["unit_code"] == "DUKCAPIL"
        assert coaching["policy_version"] == "2026.2"

        # A third absence (Monday 9th closed) crosses into the first discipline level.
        await produce(
            infra.kafka_bootstrap,
            s.topics.reference,
            [json.dumps({"kind": "day_closed", "date": "2026-11-09"}).encode()],
        )
        discipline = f"discipline:{NIP}:2026:1"
        alerts = await alerts_once(infra.kafka_bootstrap, s.topics.alert, {tl_psw, discipline})
        assert sorted(a["alert_id"] for a in alerts) == [tl_psw, discipline]
        discipline_alert = next(a for a in alerts if a["type"] == "discipline.threshold_crossed")
        assert discipline_alert["level"] == "ringan"
        assert discipline_alert["title"] == "Disiplin: Teguran lisan"

        # Thirty low ratings (category D over the last responses): one coaching alert, today's.
        low = [
            envelope(
                "service.rated",
                f"{today.isoformat()}T09:{i:02d}:00+07:00",
                {
                    "unit_code": "DUKCAPIL",
                    "desk_id": "L1",
                    "service": "KTP-el",
                    "ratings": {"overall": 1},
                },
            )
            for i in range(30)
        ]
        await produce(
            infra.kafka_bootstrap, s.topics.service_quality, [json.dumps(e).encode() for e in low]
        )
        ikm = f"coaching:ikm:{NIP}:{today.isoformat()}"
        alerts = await alerts_once(infra.kafka_bootstrap, s.topics.alert, {ikm})
    assert sorted(a["alert_id"] for a in alerts) == sorted([tl_psw, discipline, ikm])

    updates = [
        json.loads(r.value) for r in await read_topic(infra.kafka_bootstrap, s.topics.evaluation)
    ]
    assert updates
    assert all(u["nip"] == NIP for u in updates)
    assert {p for u in updates for p in u["periods"]} <= {"2026-11", f"{today:%Y-%m}"}
    # One per employee per batch, not one per event.
    assert len(updates) < len(punches_) + len(low)


async def test_the_supervisors_rating_replaces_the_proposal(infra: Infra, ns: Namespace) -> None:
    s = ns.settings(ScoringSettings, infra, batch_timeout_ms=50, publish_alerts=False)
    await ensure_topics(infra.kafka_bootstrap, s.topics, partitions=2)
    supervisor = "197501012000031001"

    def rated(rating: str, occurred: str) -> bytes:
        return json.dumps(
            envelope(
                "behaviour.rated",
                occurred,
                {
                    "period": "2026-11",
                    "rating": rating,
                    "rated_by": supervisor,
                    "justification": "Tanggap pada warga, laporan selalu tepat waktu.",
                },
            )
        ).encode()

    notice = json.dumps({"type": "feedback.posted", "nip": NIP}).encode()  # not scoring's
    await produce(
        infra.kafka_bootstrap,
        s.topics.feedback,
        [
            rated("Di Atas Ekspektasi", "2026-11-25T10:00:00+07:00"),
            notice,
            rated("Sesuai Ekspektasi", "2026-11-20T10:00:00+07:00"),  # older: replaced
        ],
    )
    await produce(
        infra.kafka_bootstrap, s.topics.attendance, [json.dumps(punch(2, 7, 10)).encode()]
    )
    async with (
        serving(create_app(s)) as url,
        httpx.AsyncClient(base_url=url, headers=admin_headers()) as c,
    ):
        body: Any = None
        for _ in range(60):
            r = await c.get(f"/v1/employees/{NIP}/evaluation", params={"period": "2026-11"})
            body = r.json() if r.status_code == 200 else None
            if body and not body["perilaku_kerja"]["proposal"]:
                break
            await asyncio.sleep(0.5)
    assert body["perilaku_kerja"]["rating"] == "Di Atas Ekspektasi"
    assert body["perilaku_kerja"]["rated_by"] == supervisor
    assert "perilaku_kerja.supervisor" in [e["rule"] for e in body["evidence"]]
    assert await read_topic(infra.kafka_bootstrap, s.topics.dlq, idle_s=1) == []

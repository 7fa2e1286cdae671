"""The first path end to end, over the real Kafka and MongoDB-wire server: attendance events go
through intake's HTTP API, Kafka and scoring's consumer, and scoring's API gives each employee's
month figures. Expected figures are computed here, independently of scoring's code."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from intake.app import create_app as create_intake
from intake.settings import IntakeSettings
from kinerja_local.city import generate_city
from kinerja_local.simulator import attendance_events
from scoring.app import create_app as create_scoring
from scoring.settings import ScoringSettings
from tests.conftest import Namespace
from tests.infra import Infra
from tests.support import admin_headers, issue_key, serving

pytestmark = pytest.mark.integration
WIB = ZoneInfo("Asia/Jakarta")


def settings_for(infra: Infra, ns: Namespace) -> tuple[IntakeSettings, ScoringSettings]:
    common: dict[str, Any] = {
        "kafka_bootstrap": infra.kafka_bootstrap,
        "mongodb_url": infra.mongodb_url,
        "topic_prefix": ns.topic_prefix,
        "topic_partitions": 3,
        "log_format": "text",
    }
    return (
        IntakeSettings(**common, mongodb_database=ns.database("intake"), scoring_grace_days=36500),
        ScoringSettings(**common, mongodb_database=ns.database("scoring"), batch_timeout_ms=50),
    )


def expected_months(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per NIP: the days (local WIB) with a check-in and each day's earliest check-in."""
    first_in: dict[str, dict[date, datetime]] = defaultdict(dict)
    ids: dict[str, set[str]] = defaultdict(set)
    for e in events:
        ids[e["nip"]].add(e["event_id"])
        if e["payload"]["direction"] != "in":
            continue
        at = datetime.fromisoformat(e["occurred_at"]).astimezone(WIB)
        day = at.date()
        if day not in first_in[e["nip"]] or at < first_in[e["nip"]][day]:
            first_in[e["nip"]][day] = at
    return {
        nip: {
            "days_with_check_in": len(first_in[nip]),
            "events_counted": len(ids[nip]),
            "first": {d.isoformat(): at.isoformat() for d, at in sorted(first_in[nip].items())},
        }
        for nip in ids
    }


async def wait_for_scoring(
    client: httpx.AsyncClient,
    base: str,
    period: str,
    expected: dict[str, dict[str, Any]],
    timeout_s: float = 90,
) -> dict[str, dict[str, Any]]:
    deadline = asyncio.get_running_loop().time() + timeout_s
    got: dict[str, dict[str, Any]] = {}
    while True:
        for nip in expected:
            if got.get(nip, {}).get("events_counted") == expected[nip]["events_counted"]:
                continue
            r = await client.get(f"{base}/v1/employees/{nip}/evaluation", params={"period": period})
            if r.status_code == 200:
                got[nip] = r.json()
        done = all(
            got.get(n, {}).get("events_counted") == e["events_counted"] for n, e in expected.items()
        )
        if done or asyncio.get_running_loop().time() > deadline:
            return got
        await asyncio.sleep(0.5)


async def test_thousand_events_with_duplicates_give_the_right_month_figures(
    infra: Infra, ns: Namespace
) -> None:
    city = generate_city(seed=7, employees=60, units=3)
    events = list(attendance_events(city, date(2026, 11, 2), date(2026, 11, 13)))[:1000]
    assert len(events) == 1000
    rng = random.Random(11)
    resent = rng.sample(events, 80)  # a device that uploads some records twice
    in_batch_dupes = rng.sample(events, 20)

    intake_settings, scoring_settings = settings_for(infra, ns)
    async with (
        serving(create_intake(intake_settings)) as intake_url,
        serving(create_scoring(scoring_settings)) as scoring_url,
        httpx.AsyncClient(timeout=30, headers=admin_headers()) as client,
    ):
        client.headers["X-Api-Key"] = await issue_key(client, base_url=intake_url)
        statuses = []
        for i in range(0, len(events), 250):
            batch = events[i : i + 250] + [e for e in in_batch_dupes if e in events[i : i + 250]]
            r = await client.post(f"{intake_url}/v1/events", json=batch)
            statuses.append(r.status_code)
            body = r.json()
            assert body["rejected"] == 0, body
        # A device re-uploads records: intake reports them as duplicates and holds them back...
        r = await client.post(f"{intake_url}/v1/events", json=resent)
        statuses.append(r.status_code)
        assert r.json()["duplicates"] == 80
        # ...and were intake restarted (its memory gone), scoring still would not count them twice.
        restarted = create_intake(intake_settings)
        async with serving(restarted) as fresh_url:
            r = await client.post(f"{fresh_url}/v1/events", json=resent)
            statuses.append(r.status_code)
            assert r.json()["accepted"] == 80
        assert set(statuses) == {202}

        expected = expected_months(events)
        got = await wait_for_scoring(client, scoring_url, "2026-11", expected)

    assert set(got) == set(expected)
    for nip, exp in expected.items():
        doc = got[nip]
        assert doc["events_counted"] == exp["events_counted"], nip
        assert doc["days_with_check_in"] == exp["days_with_check_in"], nip
        first = {d["date"]: d["first_check_in"] for d in doc["days"] if d["first_check_in"]}
        assert first == exp["first"], nip


async def test_an_admin_voids_a_punch_and_the_day_is_judged_again_without_it(
    infra: Infra, ns: Namespace
) -> None:
    """Over the real broker and store: a check-in at 06.10 under the employee's PIN made
    24 November look on time; the administrator voids it through intake, scoring reads the day
    from its other punches (07.40: late), lists the day with the void, and says why. The same
    correction sent again is the same event and one correction."""
    nip, day = "199001012015011001", "2026-11-24"
    intake_settings, scoring_settings = settings_for(infra, ns)
    punches = {
        at: {
            "event_id": str(uuid.uuid4()),
            "type": "attendance.recorded",
            "occurred_at": f"{day}T{at}:00+07:00",
            "nip": nip,
            "source": {"kind": "device", "id": "TBL1"},
            "payload": {"direction": d, "method": "fingerprint", "device_sn": "TBL1"},
        }
        for at, d in (("06:10", "in"), ("07:40", "in"), ("16:30", "out"))
    }
    early = punches["06:10"]
    correction = {
        "nip": nip,
        "event_id": early["event_id"],
        "punch_at": early["occurred_at"],
        "reason": "Presensi dengan PIN pegawai ini oleh orang lain (laporan atasan)",
    }
    async with (
        serving(create_intake(intake_settings)) as intake_url,
        serving(create_scoring(scoring_settings)) as scoring_url,
        httpx.AsyncClient(timeout=30, headers=admin_headers()) as client,
    ):
        unit = [{"code": "DISDIK", "name": "Dinas Pendidikan"}]
        person = [{"nip": nip, "name": "Siti", "unit_code": "DISDIK", "position": "Staf"}]
        for path, body in (("units", unit), ("employees", person)):
            r = await client.post(f"{intake_url}/v1/admin/{path}", json=body)
            assert r.status_code == 200, r.text
        key = await issue_key(client, base_url=intake_url)
        r = await client.post(
            f"{intake_url}/v1/events", json=list(punches.values()), headers={"X-Api-Key": key}
        )
        assert r.json()["accepted"] == 3, r.text

        async def first_in() -> str:
            got = await wait_for_scoring(
                client, scoring_url, "2026-11", {nip: {"events_counted": 3}}
            )
            (line,) = (d for d in got[nip]["days"] if d["date"] == day)
            return str(line["first_check_in"])

        assert (await first_in()).startswith(f"{day}T06:10")
        unknown = {**correction, "nip": "199404042018011009"}
        r = await client.post(f"{intake_url}/v1/admin/attendance/voids", json=unknown)
        assert r.status_code == 422
        assert "tidak terdaftar" in r.text
        answers = [
            await client.post(f"{intake_url}/v1/admin/attendance/voids", json=correction)
            for _ in range(2)
        ]
        assert [a.status_code for a in answers] == [202, 202], answers[0].text
        assert answers[0].json()["event_id"] == answers[1].json()["event_id"]

        deadline = asyncio.get_running_loop().time() + 60
        while not (await first_in()).startswith(f"{day}T07:40"):
            assert asyncio.get_running_loop().time() < deadline, "the void never applied"
            await asyncio.sleep(0.5)
        evaluation = (
            await client.get(
                f"{scoring_url}/v1/employees/{nip}/evaluation", params={"period": "2026-11"}
            )
        ).json()
        kept = (await client.get(f"{scoring_url}/v1/employees/{nip}/days/{day}")).json()

    (voided,) = evaluation["corrections"]
    assert voided["voided_event_id"] == early["event_id"]
    assert "pukul 06.10 WIB dibatalkan" in evaluation["penjelasan"]["koreksi"]
    assert [(p["at"][11:16], p["voided"]) for p in kept["punches"]] == [
        ("23:10", True),  # 06.10 WIB, kept in UTC
        ("00:40", False),
        ("09:30", False),
    ]
    assert len(kept["corrections"]) == 1

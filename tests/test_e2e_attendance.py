"""The first path end to end, over the real Kafka and MongoDB-wire server: attendance events go
through intake's HTTP API, Kafka and scoring's consumer, and scoring's API gives each employee's
month figures. Expected figures are computed here, independently of scoring's code."""

from __future__ import annotations

import asyncio
import random
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

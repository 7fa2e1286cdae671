"""Kafka goes away under a running intake and comes back: intake answers 503 with Retry-After
while it is gone, nothing it acknowledged is lost, and the resent batch lands once it is back.

Uses a broker of its own (the shared one must stay up for the other tests)."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from intake.app import create_app
from intake.settings import IntakeSettings
from kinerja_local.stack import LocalKafka, free_port
from tests.conftest import Namespace
from tests.infra import Infra
from tests.support import issue_key, read_topic, serving, values

pytestmark = pytest.mark.integration


@pytest.fixture
def own_kafka() -> Iterator[LocalKafka]:
    state = Path(tempfile.mkdtemp(prefix="kinerja-outage-"))
    kafka = LocalKafka(state, free_port(), free_port(), heap_mb=384)
    kafka.start(log=lambda _m: None)
    try:
        yield kafka
    finally:
        kafka.stop()
        shutil.rmtree(state, ignore_errors=True)


def punches(n: int) -> list[dict[str, Any]]:
    return [
        {
            "event_id": str(uuid.uuid4()),
            "type": "attendance.recorded",
            "occurred_at": "2026-11-02T07:21:05+07:00",
            "nip": "198609262015051001",
            "source": {"kind": "device", "id": "TBL1"},
            "payload": {"direction": "in", "method": "pin", "device_sn": "TBL1"},
        }
        for _ in range(n)
    ]


async def test_kafka_outage_gives_503_and_loses_nothing_acknowledged(
    own_kafka: LocalKafka, infra: Infra, ns: Namespace
) -> None:
    bootstrap = f"127.0.0.1:{own_kafka.port}"
    settings = ns.settings(
        IntakeSettings,
        infra,
        kafka_bootstrap=bootstrap,
        publish_timeout_s=3,
        scoring_grace_days=36500,
    )
    before, during = punches(50), punches(50)
    async with (
        serving(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        client.headers["X-Api-Key"] = await issue_key(client)
        assert (await client.post("/v1/events", json=before)).status_code == 202

        own_kafka.stop()
        down = await client.post("/v1/events", json=during)
        assert down.status_code == 503
        assert down.headers["retry-after"] == str(settings.retry_after_s)
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["kafka"] == "unavailable"

        own_kafka.start(log=lambda _m: None)
        resent = await client.post("/v1/events", json=during)  # the client retries as told
        assert resent.status_code == 202
        assert resent.json()["accepted"] == 50

    records = values(await read_topic(bootstrap, settings.topics.attendance))
    ids = [r["event_id"] for r in records]
    wanted = {e["event_id"] for e in before + during}
    assert wanted <= set(ids)  # everything acknowledged is there
    # A record the broker took just before it stopped may come twice; scoring dedups by event_id.
    assert set(ids) == wanted

"""The store goes away under running services and comes back. Intake answers 503 with
Retry-After (never 500) where it needs the store, and keeps taking events from keys it knows;
feedback stays ready while Kafka is away, its outbox being there for exactly that.

Each test uses a FerretDB or a Kafka of its own (the shared ones must stay up)."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from feedback.app import create_app as feedback_app
from feedback.settings import FeedbackSettings
from intake.app import create_app as intake_app
from intake.settings import IntakeSettings
from kinerja_local.stack import LocalFerretDB, LocalKafka, free_port
from tests.conftest import Namespace
from tests.infra import Infra
from tests.support import admin_headers, issue_key, serving

pytestmark = pytest.mark.integration


@pytest.fixture
def state() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="kinerja-store-outage-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def punch(serial: str = "TBL1") -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "attendance.recorded",
        "occurred_at": "2026-11-02T07:21:05+07:00",
        "nip": "198609262015051001",
        "source": {"kind": "device", "id": serial},
        "payload": {"direction": "in", "method": "pin", "device_sn": serial},
    }


async def test_intake_answers_503_while_its_store_is_away(
    state: Path, infra: Infra, ns: Namespace
) -> None:
    store = LocalFerretDB(state, free_port())
    store.start(log=lambda _m: None)
    settings = ns.settings(
        IntakeSettings,
        infra,
        mongodb_url=f"mongodb://127.0.0.1:{store.port}/",
        close_days=False,
        readiness_timeout_s=1,
    )
    try:
        async with (
            serving(intake_app(settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            known = await issue_key(client)
            unknown = await issue_key(client)
            await client.post(
                "/v1/admin/units",
                json=[{"code": "DISDIK", "name": "Dinas Pendidikan"}],
                headers=admin_headers(),
            )
            r = await client.post(
                "/v1/admin/devices",
                json=[{"serial": "TBL1", "unit_code": "DISDIK"}],
                headers=admin_headers(),
            )
            assert r.status_code < 300, r.text
            assert (
                await client.post("/v1/events", json=[punch()], headers={"X-Api-Key": known})
            ).status_code == 202  # the key is now cached

            store.stop()
            cached = await client.post("/v1/events", json=[punch()], headers={"X-Api-Key": known})
            assert cached.status_code == 202  # Kafka takes it; the store is not needed
            fresh = await client.post("/v1/events", json=[punch()], headers={"X-Api-Key": unknown})
            assert fresh.status_code == 503, fresh.text
            assert fresh.headers["Retry-After"] == "5"
            assert "tidak tersedia" in fresh.json()["detail"]
            upload = await client.post(
                "/iclock/cdata?SN=TBL1&table=ATTLOG",
                content="1001\t2026-11-02 07:21:05\t0\t1\t0\t0\n",
            )
            assert upload.status_code == 503
            assert (await client.get("/readyz")).status_code == 503

            store.start(log=lambda _m: None)
            again = await client.post("/v1/events", json=[punch()], headers={"X-Api-Key": unknown})
            assert again.status_code == 202, again.text
    finally:
        store.stop()


async def test_feedback_stays_ready_while_kafka_is_away(
    state: Path, infra: Infra, ns: Namespace
) -> None:
    kafka = LocalKafka(state, free_port(), free_port(), heap_mb=384)
    kafka.start(log=lambda _m: None)
    settings = ns.settings(
        FeedbackSettings,
        infra,
        kafka_bootstrap=f"127.0.0.1:{kafka.port}",
        readiness_timeout_s=1,
    )
    try:
        async with (
            serving(feedback_app(settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            assert (await client.get("/readyz")).status_code == 200
            kafka.stop()
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"kafka": "unavailable", "mongodb": "ok"}
    finally:
        kafka.stop()

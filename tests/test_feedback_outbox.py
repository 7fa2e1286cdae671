"""Feedback's writes and their events, over real Kafka and the MongoDB-wire server: a crash
between recording a rating and publishing it loses neither (the outbox entry carries the
rating), and a POST sent again with its Idempotency-Key records and publishes nothing twice."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from feedback.app import create_app
from feedback.publisher import Publisher
from feedback.settings import FeedbackSettings
from kinerja_shared.auth import mint_dev_token
from kinerja_shared.mongo import make_client
from kinerja_shared.settings import DEV_JWT_SECRET
from tests.conftest import Namespace
from tests.infra import Infra
from tests.notifier_support import KABID, STAFF, employee_records, org_chart_loaded, publish
from tests.support import read_topic, serving, values

pytestmark = pytest.mark.integration

RATING = {"period": "2026-Q4", "rating": "Sesuai Ekspektasi", "justification": "Tepat waktu."}


def as_kabid(**extra: str) -> dict[str, str]:
    token = mint_dev_token(DEV_JWT_SECRET, KABID, ["supervisor"])
    return {"Authorization": f"Bearer {token}", **extra}


def oracle(infra: Infra, settings: FeedbackSettings) -> Any:
    """Feedback's database through the test's own client, not the service's store."""
    client = make_client(infra.mongodb_url, app_name="test-feedback-oracle")
    return client[settings.mongodb_database]


async def _ratings_on_topic(infra: Infra, settings: FeedbackSettings) -> list[dict[str, Any]]:
    events = values(await read_topic(infra.kafka_bootstrap, settings.topics.feedback))
    return [e for e in events if e["type"] == "behaviour.rated"]


async def test_a_crash_after_the_outbox_entry_loses_nothing(
    infra: Infra, ns: Namespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = ns.settings(FeedbackSettings, infra, outbox_retry_s=3600)

    async def crash(self: Publisher, doc: dict[str, Any]) -> None:
        raise RuntimeError("the process dies after its first write")

    app = create_app(settings)
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as c:
        await publish(infra.kafka_bootstrap, settings.topics.reference, employee_records())
        await org_chart_loaded(app.state.people)
        db = oracle(infra, settings)
        monkeypatch.setattr(Publisher, "_apply", crash)
        died = await c.post(f"/v1/employees/{STAFF}/ratings", json=RATING, headers=as_kabid())
        assert died.status_code == 500
        assert await db.ratings.count_documents({}) == 0
        assert await db.outbox.count_documents({}) == 1
    monkeypatch.undo()
    # The restarted service finishes the work from the outbox entry alone.
    again = create_app(settings)
    async with serving(again):
        assert await db.outbox.count_documents({}) == 0
        stored = await db.ratings.find_one({"nip": STAFF})
        assert stored is not None
        assert stored["rating"] == "Sesuai Ekspektasi"
    events = await _ratings_on_topic(infra, settings)
    assert [e["event_id"] for e in events] == [stored["_id"]]
    await db.client.close()


async def test_a_post_sent_again_with_its_key_counts_once(infra: Infra, ns: Namespace) -> None:
    settings = ns.settings(FeedbackSettings, infra)
    app = create_app(settings)
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as c:
        await publish(infra.kafka_bootstrap, settings.topics.reference, employee_records())
        await org_chart_loaded(app.state.people)
        db = oracle(infra, settings)
        key = as_kabid(**{"Idempotency-Key": "rating-2026-q4-staff"})
        first = await c.post(f"/v1/employees/{STAFF}/ratings", json=RATING, headers=key)
        second = await c.post(f"/v1/employees/{STAFF}/ratings", json=RATING, headers=key)
        other = await c.post(f"/v1/employees/{STAFF}/ratings", json=RATING, headers=as_kabid())
        assert first.status_code == second.status_code == other.status_code == 201
        assert first.json()["id"] == second.json()["id"] != other.json()["id"]
        assert second.json()["repeated"] is True
        assert await db.ratings.count_documents({"nip": STAFF}) == 2
        bad = await c.post(
            f"/v1/employees/{STAFF}/ratings",
            json=RATING,
            headers=as_kabid(**{"Idempotency-Key": "no spaces allowed"}),
        )
        assert bad.status_code == 422
        await db.client.close()
    events = await _ratings_on_topic(infra, settings)
    assert sorted(e["event_id"] for e in events) == sorted([first.json()["id"], other.json()["id"]])

"""The notifier's consumer over FastStream's ``TestKafkaBroker`` (no broker, a fake store): an
alert becomes a notice with its delivery items, a republished alert is not planned again,
scoring's ratings on the dialogue's topic are left to scoring, and every record that is no
contract goes to the DLQ with its reason. The same paths over a real broker and store:
tests/test_notifier_delivery.py."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry

from kinerja_shared.clock import ManualClock
from kinerja_shared.dlq import H_REASON
from kinerja_shared.orgchart import Person
from kinerja_shared.reference import Employee
from notifier.consumer import NoticeConsumer
from notifier.domain.model import Channel
from notifier.metrics import NotifierMetrics
from notifier.routing_file import load_routing
from notifier.settings import NotifierSettings

STAFF, KABID, KEPALA = "199001012015011001", "198505052010012002", "197803032005011003"
CHART = {
    STAFF: Person(STAFF, "Staf", "DISDIK", KABID, "staf@example.go.id"),
    KABID: Person(KABID, "Kabid", "DISDIK", KEPALA, "kabid@example.go.id"),
    KEPALA: Person(KEPALA, "Kepala", "DISDIK", None, "kepala@example.go.id"),
}
SETTINGS = NotifierSettings()
TOPICS = SETTINGS.topics
Doc = dict[str, Any]


class Store:
    def __init__(self, known: Iterable[str] = ()) -> None:
        self.alerts: dict[str, Doc] = {i: {"_id": i} for i in known}
        self.items: list[Doc] = []

    async def org_chart(self, nips: Iterable[str], depth: int = 8) -> dict[str, Person]:
        return dict(CHART)

    async def opted_out(self, nips: Iterable[str]) -> dict[str, frozenset[Channel]]:
        return {}

    async def alerts_known(self, ids: Iterable[str]) -> set[str]:
        return set(ids) & set(self.alerts)

    async def record_notices(
        self,
        items: list[Doc],
        inhibitors: list[Doc],
        escalations: list[Doc],
        waiting: list[Doc],
        alerts: list[Doc],
    ) -> set[str]:
        known = {a["_id"] for a in alerts} & set(self.alerts)
        self.items += items
        self.alerts.update({a["_id"]: a for a in alerts if a["_id"] not in known})
        return known

    async def waiting_alerts(self) -> list[Doc]:
        return []

    async def replanned(
        self, alert_id: str, items: list[Doc], escalation: Doc | None, alert_fields: Doc
    ) -> None:
        raise AssertionError("nothing waits in these tests")

    async def apply_reference(
        self, employees: Iterable[Employee], removed: Iterable[str], holidays: Iterable[date]
    ) -> None:
        return None


def alert(alert_id: str = f"coaching.needed:{STAFF}:2026-W48:") -> bytes:
    return json.dumps(
        {
            "type": "coaching.needed",
            "schema_version": 1,
            "alert_id": alert_id,
            "nip": STAFF,
            "unit_code": "DISDIK",
            "supervisor_nip": KABID,
            "period": "2026-W48",
            "title": "Perlu pembinaan: sering terlambat",
            "reasons": ["Terlambat 4 hari pekan ini"],
            "evidence": {"rule": "early_warning.tl_psw_week"},
            "policy_version": "2026.2",
            "raised_at": "2026-11-23T08:55:00+07:00",
        }
    ).encode()


async def consume(store: Store, topic: str, values: Sequence[bytes]) -> list[str]:
    """The values published as one batch; returns the DLQ's reasons."""
    broker, dead = KafkaBroker(), []

    @broker.subscriber(TOPICS.dlq)
    async def dlq(message: KafkaMessage) -> None:
        dead.append(message.headers[H_REASON])

    NoticeConsumer(
        broker,
        store,
        load_routing(None),
        SETTINGS,
        ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),
        NotifierMetrics(CollectorRegistry()),
        email_enabled=True,
        holidays=frozenset,
    ).register()
    async with TestKafkaBroker(broker) as br:
        await br.publish_batch(*values, topic=topic)
    return dead


async def test_an_alert_becomes_a_notice_for_the_supervisor() -> None:
    store = Store()
    assert await consume(store, TOPICS.alert, [alert(), alert()]) == []  # twice in one batch
    (notice,) = store.alerts.values()
    assert notice["recipients"] == [KABID]
    assert {i["recipient"]["id"] for i in store.items} == {KABID}
    assert {i["channel"] for i in store.items} == {"email", "web"}


async def test_a_republished_alert_is_not_planned_again() -> None:
    store = Store(known=[f"coaching.needed:{STAFF}:2026-W48:"])
    assert await consume(store, TOPICS.alert, [alert()]) == []
    assert store.items == []


async def test_scorings_ratings_on_the_dialogues_topic_are_left_to_scoring() -> None:
    rating = {"type": "behaviour.rated", "schema_version": 1, "nip": STAFF}
    store = Store()
    assert await consume(store, TOPICS.feedback, [json.dumps(rating).encode()]) == []
    assert (store.alerts, store.items) == ({}, [])


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"", "undecodable"),
        (b"{not json", "undecodable"),
        (b"[1, 2]", "invalid"),
        (json.dumps({"schema_version": 9}).encode(), "unsupported_schema_version"),
        (json.dumps({"type": "coaching.needed", "nip": STAFF}).encode(), "invalid"),
    ],
)
async def test_what_is_no_alert_goes_to_the_dlq_and_the_rest_is_planned(
    value: bytes, reason: str
) -> None:
    store = Store()
    assert await consume(store, TOPICS.alert, [value, alert()]) == [reason]
    assert list(store.alerts) == [f"coaching.needed:{STAFF}:2026-W48:"]

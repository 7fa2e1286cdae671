"""The notifier over real Kafka, the MongoDB-wire server, a real SMTP server, a real webhook
endpoint and the real server-sent-events wire. Time is a manual clock the tests move: grouping,
reminders, quiet hours and escalation are tested without sleeping."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.receivers import MailBox, smtp_server
from kinerja_shared.auth import mint_dev_token
from kinerja_shared.clock import ManualClock
from kinerja_shared.dlq import H_REASON
from kinerja_shared.mongo import make_client
from kinerja_shared.settings import DEV_JWT_SECRET
from notifier.app import create_app
from notifier.channels import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify
from notifier.dispatcher import Dispatcher
from notifier.domain.model import STATUS_OF_RANK
from notifier.settings import NotifierSettings
from tests.conftest import Namespace
from tests.infra import Infra
from tests.notifier_support import (
    EMAILS,
    KABID,
    KEPALA,
    MONDAY_9,
    STAFF,
    STAFF2,
    STAFF3,
    Hook,
    alert,
    dialogue,
    employee_records,
    plain_text,
    publish,
    sse_events,
    wait_for,
    webhook_server,
)
from tests.support import read_topic, serving

pytestmark = pytest.mark.integration
BKD_MAILBOX = "bkpsdm@tanjungbalaikota.go.id"


def token(sub: str, *roles: str) -> str:
    return mint_dev_token(DEV_JWT_SECRET, sub, list(roles) or ["supervisor"])


def bearer(sub: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sub, *roles)}"}


@dataclass
class Running:
    url: str
    settings: NotifierSettings
    dispatcher: Dispatcher
    db: Any  # the notifier's database, read by the test's own client (not the store's)
    clock: ManualClock
    bootstrap: str

    async def send(self, *records: tuple[bytes, bytes], topic: str = "alert") -> None:
        before = await self.db.alerts.count_documents({})
        name = getattr(self.settings.topics, topic)
        await publish(self.bootstrap, name, list(records))

        async def stored() -> bool:
            return bool(await self.db.alerts.count_documents({}) >= before + len(records))

        await wait_for(stored, f"{len(records)} notices stored")

    async def at(self, **delta: float) -> None:
        """Move the clock and run one dispatcher pass."""
        self.clock.advance(**delta)
        await self.dispatcher.tick()

    async def status(self, alert_id: str) -> str:
        doc = await self.db.alerts.find_one({"_id": alert_id})
        assert doc is not None, alert_id
        return STATUS_OF_RANK[doc["rank"]].value


@asynccontextmanager
async def notifier(
    infra: Infra,
    ns: Namespace,
    *,
    start: datetime = MONDAY_9,
    smtp_port: int | None = None,
    routing_file: Path | None = None,
) -> AsyncIterator[Running]:
    s = ns.settings(
        NotifierSettings,
        infra,
        dispatch_interval_s=0,  # the test runs the passes
        batch_timeout_ms=50,
        stream_poll_s=0.1,
        smtp_host="127.0.0.1" if smtp_port else None,
        smtp_port=smtp_port or 25,
        smtp_tls="none",
        routing_file=routing_file,
    )
    clock = ManualClock(start)
    app = create_app(s, clock)
    client = make_client(infra.mongodb_url, app_name="test-notifier-oracle")
    async with serving(app) as url:
        running = Running(
            url, s, app.state.dispatcher, client[s.mongodb_database], clock, infra.kafka_bootstrap
        )
        await publish(infra.kafka_bootstrap, s.topics.reference, employee_records())

        async def org_chart_known() -> bool:
            return bool(await running.db.people.count_documents({}) == len(EMAILS))

        await wait_for(org_chart_known, "the org chart")
        try:
            yield running
        finally:
            await client.close()


def subjects(box: MailBox, address: str) -> list[str]:
    return sorted(str(m["Subject"]) for m in box.to(address))


async def test_each_notice_reaches_the_people_the_org_chart_names(
    infra: Infra, ns: Namespace
) -> None:
    async with smtp_server() as (box, port), notifier(infra, ns, smtp_port=port) as n:
        await n.send(
            alert("coaching.needed", STAFF2, "2026-W47"),
            alert("discipline.threshold_crossed", STAFF, "2026", level="sedang"),
            alert("recognition.earned", STAFF3, "2026"),
        )
        await n.send(
            dialogue("feedback.posted", STAFF, KABID, "0b9f8f9e-3c55-4b8e-9a55-000000000001"),
            dialogue("feedback.replied", STAFF2, STAFF2, "0b9f8f9e-3c55-4b8e-9a55-000000000002"),
            topic="feedback",
        )
        await n.at(seconds=0)
        assert box.messages == []  # every group still gathers (group_wait)
        await n.at(seconds=61)
        assert subjects(box, EMAILS[KABID]) == [
            "Kinerja: Balasan baru dalam dialog kinerja",
            "Kinerja: Disiplin tingkat sedang",
            "Kinerja: Layak mendapat penghargaan",
            "Kinerja: Perlu pembinaan: sering terlambat",
        ]
        assert subjects(box, EMAILS[KEPALA]) == ["Kinerja: Disiplin tingkat sedang"]  # unit head
        assert subjects(box, BKD_MAILBOX) == ["Kinerja: Disiplin tingkat sedang"]
        assert subjects(box, EMAILS[STAFF3]) == ["Kinerja: Layak mendapat penghargaan"]
        assert subjects(box, EMAILS[STAFF]) == ["Kinerja: Umpan balik baru dari atasan"]
        assert box.to(EMAILS[STAFF2]) == []  # coaching is for the supervisor
        mail = box.to(EMAILS[STAFF3])[0]
        parts = {p.get_content_type(): p.get_payload(decode=True) for p in mail.walk()}
        assert b"Yth. Pegawai 006" in parts["text/plain"]
        assert b"<li><strong>Layak mendapat penghargaan</strong>" in parts["text/html"]
        # Every web item lands in the inbox of the person it is for.
        inbox = {d["recipient"] async for d in n.db.inbox.find({})}
        assert inbox == {KABID, KEPALA, STAFF, STAFF3}
        statuses = {d["_id"]: STATUS_OF_RANK[d["rank"]] async for d in n.db.alerts.find({})}
        assert set(statuses.values()) == {"sent"}


async def test_the_live_stream_resumes_from_last_event_id(infra: Infra, ns: Namespace) -> None:
    async with notifier(infra, ns) as n:
        first = asyncio.create_task(sse_events(n.url, token(KABID), 1))
        await n.send(alert("coaching.needed", STAFF2, "2026-W47"))
        await n.at(seconds=61)
        [one] = await first
        assert one["notices"][0]["nip"] == STAFF2
        assert one["recipient"]["id"] == KABID
        # Disconnected: two more arrive; a reconnect with Last-Event-ID gets exactly those.
        await n.send(
            alert("recognition.earned", STAFF3, "2026"),
            alert("discipline.threshold_crossed", STAFF, "2026", level="ringan"),
        )
        await n.at(seconds=61)
        rest = await sse_events(n.url, token(KABID), 2, last_event_id=one["id"])
        assert sorted(e["notices"][0]["type"] for e in rest) == [
            "discipline.threshold_crossed",
            "recognition.earned",
        ]
        assert all(int(e["id"]) > int(one["id"]) for e in rest)
        async with httpx.AsyncClient() as client:
            r = await client.get(f"{n.url}/v1/stream")
            assert r.status_code == 401
            # The sign-in token never travels in the URL: a ticket does, for a minute.
            r = await client.get(f"{n.url}/v1/stream", params={"access_token": token(KABID)})
            assert r.status_code == 401
            r = await client.post(
                f"{n.url}/v1/stream/tickets", headers={"Authorization": f"Bearer {token(KABID)}"}
            )
            assert r.status_code == 200
            ticket = r.json()["ticket"]
            assert r.json()["expires_in"] == 60
            assert token(KABID) not in ticket
            async with client.stream("GET", f"{n.url}/v1/stream", params={"ticket": ticket}) as s:
                assert s.status_code == 200
                opening = await s.aiter_lines().__anext__()
                assert opening == "event: ready"
            await n.at(seconds=61)
            r = await client.get(f"{n.url}/v1/stream", params={"ticket": ticket})
            assert r.status_code == 401
            assert "ask again" in r.json()["detail"]


async def test_grouping_reminders_and_acknowledgement(infra: Infra, ns: Namespace) -> None:
    async with smtp_server() as (box, port), notifier(infra, ns, smtp_port=port) as n:
        kabid = EMAILS[KABID]
        await n.send(
            alert("coaching.needed", STAFF2, "2026-W47"),
            alert("coaching.needed", STAFF3, "2026-W47"),
        )
        await n.at(seconds=61)
        assert subjects(box, kabid) == ["Kinerja: Perlu pembinaan: sering terlambat (+1 lainnya)"]
        n.clock.advance(seconds=60)
        await n.send(alert("coaching.needed", STAFF, "2026-W48"))
        await n.at(seconds=70)  # group_wait is over, but the group notified 2 minutes ago
        assert len(box.to(kabid)) == 1
        await n.at(seconds=480)  # group_interval (600 s) after the first notification
        assert len(box.to(kabid)) == 2
        async with httpx.AsyncClient(base_url=n.url, headers=bearer(KABID)) as client:
            first_id = "coaching.needed:199202022016012005:2026-W47:"
            r = await client.post(f"/v1/alerts/{first_id}/ack", json={"comment": "Sudah dibina"})
            assert r.status_code == 200, r.text
            assert r.json()["ack"]["comment"] == "Sudah dibina"
            again = await client.post(f"/v1/alerts/{first_id}/ack", json={"comment": "lagi"})
            assert again.status_code == 409
        # A day later: one reminder, of the two still unacknowledged.
        await n.at(hours=24)
        reminders = [m for m in box.to(kabid) if str(m["Subject"]).startswith("[Pengingat]")]
        assert len(reminders) == 1
        text = plain_text(reminders[0])
        assert STAFF3 in text
        assert STAFF in text
        assert STAFF2 not in text
        async with httpx.AsyncClient(base_url=n.url, headers=bearer(KABID)) as client:
            for nip, period in ((STAFF3, "2026-W47"), (STAFF, "2026-W48")):
                r = await client.post(f"/v1/alerts/coaching.needed:{nip}:{period}:/ack", json={})
                assert r.status_code == 200
        await n.at(hours=24)
        assert len([m for m in box.to(kabid) if "[Pengingat]" in str(m["Subject"])]) == 1


async def test_silences_and_inhibition_mute_without_losing_history(
    infra: Infra, ns: Namespace
) -> None:
    async with smtp_server() as (box, port), notifier(infra, ns, smtp_port=port) as n:
        ends = (n.clock.now() + timedelta(days=1)).isoformat()
        silence = {"matchers": [f'nip="{STAFF3}"'], "ends_at": ends, "comment": "tugas belajar"}
        async with httpx.AsyncClient(base_url=n.url) as client:
            denied = await client.post("/v1/silences", json=silence, headers=bearer(KABID))
            assert denied.status_code == 403
            r = await client.post("/v1/silences", json=silence, headers=bearer(KEPALA, "ops"))
            assert r.status_code == 201, r.text
            silence_id = r.json()["id"]
            assert r.json()["created_by"] == KEPALA
        await n.send(
            alert("recognition.earned", STAFF3, "2026"),
            alert("discipline.threshold_crossed", STAFF, "2026", level="ringan"),
            alert("coaching.needed", STAFF, "2026-W47"),
        )
        await n.at(seconds=61)
        assert await n.status("recognition.earned:199303032017011006:2026:") == "silenced"
        assert await n.status("coaching.needed:199001012015011001:2026-W47:") == "inhibited"
        assert subjects(box, EMAILS[KABID]) == ["Kinerja: Disiplin tingkat ringan"]
        assert box.to(EMAILS[STAFF3]) == []
        doc = await n.db.alerts.find_one({"_id": f"recognition.earned:{STAFF3}:2026:"})
        assert doc is not None
        assert {(m["reason"], m["by"]) for m in doc["muted"]} == {("silenced", silence_id)}
        coaching = await n.db.alerts.find_one({"_id": f"coaching.needed:{STAFF}:2026-W47:"})
        assert coaching is not None
        assert {m["by"] for m in coaching["muted"]} == {
            f"discipline.threshold_crossed:{STAFF}:2026:ringan"
        }
        async with httpx.AsyncClient(base_url=n.url, headers=bearer(KEPALA, "ops")) as client:
            assert (await client.delete(f"/v1/silences/{silence_id}")).status_code == 200
            assert (await client.get("/v1/silences")).json()["silences"] == []
            assert (await client.delete(f"/v1/silences/{silence_id}")).status_code == 404


async def test_quiet_hours_queue_email_and_urgent_goes_at_once(infra: Infra, ns: Namespace) -> None:
    evening = MONDAY_9 + timedelta(hours=11)  # 20:00 WIB
    async with (
        smtp_server() as (box, port),
        notifier(infra, ns, smtp_port=port, start=evening) as n,
    ):
        await n.send(
            alert("coaching.needed", STAFF2, "2026-W48"),
            alert("discipline.threshold_crossed", STAFF, "2026", level="berat"),
        )
        await n.at(seconds=61)
        assert subjects(box, EMAILS[KABID]) == ["Kinerja: Disiplin tingkat berat"]  # urgent
        assert subjects(box, BKD_MAILBOX) == ["Kinerja: Disiplin tingkat berat"]
        web = {d["event"]["notices"][0]["type"] async for d in n.db.inbox.find({})}
        assert web == {"coaching.needed", "discipline.threshold_crossed"}  # the web is not held
        queued = await n.db.queue.count_documents({"channel": "email"})
        assert queued == 1
        await n.at(hours=11)  # Tuesday 07:01, not yet
        assert len(box.to(EMAILS[KABID])) == 1
        await n.at(minutes=30)  # 07:31: working hours
        assert subjects(box, EMAILS[KABID]) == [
            "Kinerja: Disiplin tingkat berat",
            "Kinerja: Perlu pembinaan: sering terlambat",
        ]


async def test_unacknowledged_coaching_escalates_after_working_days(
    infra: Infra, ns: Namespace
) -> None:
    thursday = MONDAY_9 + timedelta(days=3)
    async with (
        smtp_server() as (box, port),
        notifier(infra, ns, smtp_port=port, start=thursday) as n,
    ):
        await n.send(
            alert("coaching.needed", STAFF2, "2026-W48"),
            alert("coaching.needed", STAFF3, "2026-W48"),
        )
        await n.at(seconds=61)
        async with httpx.AsyncClient(base_url=n.url, headers=bearer(KABID)) as client:
            r = await client.post(f"/v1/alerts/coaching.needed:{STAFF3}:2026-W48:/ack", json={})
            assert r.status_code == 200
        await n.at(days=4)  # Monday: two working days (Friday, Monday) have passed
        assert box.to(EMAILS[KEPALA]) == []
        await n.at(days=1)  # Tuesday 09:01: the third working day
        await n.at(seconds=61)  # the escalated item's group_wait
        [escalated] = box.to(EMAILS[KEPALA])
        assert str(escalated["Subject"]).startswith("[Eskalasi]")
        text = plain_text(escalated)
        assert STAFF2 in text
        assert STAFF3 not in text  # acknowledged in time
        doc = await n.db.alerts.find_one({"_id": f"coaching.needed:{STAFF2}:2026-W48:"})
        assert doc is not None
        assert doc["escalation"]["level"] == 1
        assert KEPALA in doc["recipients"]


def webhook_routing(tmp_path: Path, url: str, **extra: Any) -> Path:
    lines = [
        'version = "test"',
        f"retry_base_s = {extra.get('base', 1)}",
        f"retry_cap_s = {extra.get('cap', 600)}",
        f"retry_max_age_s = {extra.get('max_age', 3600)}",
        "[[receivers]]",
        'name = "gerbang"',
        'channels = ["webhook"]',
        f'webhook = {{ url = "{url}", secret_env = "KINERJA_TEST_HOOK_SECRET", timeout_s = 2 }}',
        "[[routes]]",
        'receiver = "gerbang"',
        'timers = { group_by = ["type", "nip"], group_wait = 0, group_interval = 0 }',
    ]
    path = tmp_path / "routing.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_a_receiver_failing_three_times_gets_exactly_one_notification(
    infra: Infra, ns: Namespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KINERJA_TEST_HOOK_SECRET", "rahasia-uji")
    hook = Hook(script=[(503, {}), (429, {"Retry-After": "7"}), (500, {})])
    async with (
        webhook_server(hook) as url,
        notifier(infra, ns, routing_file=webhook_routing(tmp_path, url)) as n,
    ):
        await n.send(alert("coaching.needed", STAFF2, "2026-W47"))
        await n.at(seconds=0)
        assert len(hook.requests) == 1  # 503
        await n.at(seconds=2.1)
        assert len(hook.requests) == 2  # 429 with Retry-After: 7
        await n.at(seconds=5)
        assert len(hook.requests) == 2  # Retry-After is honoured
        await n.at(seconds=3)
        assert len(hook.requests) == 3  # 500
        await n.at(seconds=10)
        assert len(hook.requests) == 4  # 200
        await n.at(seconds=3600)
        assert len(hook.requests) == 4  # and nothing after
        keys = {h[IDEMPOTENCY_HEADER.lower()] for _, h, _ in hook.requests}
        assert len(keys) == 1
        assert all(
            verify("rahasia-uji", h[SIGNATURE_HEADER.lower()], body) for _, h, body in hook.requests
        )
        body = hook.delivered()[-1]
        assert body["recipient"]["id"] == KABID
        assert body["notification_id"] == keys.pop()
        async with httpx.AsyncClient(base_url=n.url, headers=bearer(KEPALA, "ops")) as client:
            detail = (await client.get(f"/v1/alerts/coaching.needed:{STAFF2}:2026-W47:")).json()
        [notification] = detail["notifications"]
        assert notification["status"] == "sent"
        assert [a["status"] for a in notification["attempts"]] == [503, 429, 500, 200]
        assert [a["result"] for a in notification["attempts"]] == ["retry"] * 3 + ["sent"]
        assert await n.status("coaching.needed:199202022016012005:2026-W47:") == "sent"


async def test_an_undeliverable_notification_goes_to_the_dlq(
    infra: Infra, ns: Namespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KINERJA_TEST_HOOK_SECRET", "rahasia-uji")
    routing = webhook_routing(tmp_path, "http://127.0.0.1:9/hook", max_age=30)
    async with notifier(infra, ns, routing_file=routing) as n:
        await n.send(alert("coaching.needed", STAFF2, "2026-W47"))
        for _ in range(6):  # port 9 refuses: retried until the age limit, then given up
            await n.at(seconds=10)
        assert await n.status("coaching.needed:199202022016012005:2026-W47:") == "failed"
        [dead] = await read_topic(infra.kafka_bootstrap, n.settings.topics.dlq)
        headers = {k: v.decode() for k, v in dead.headers}
        assert headers[H_REASON] == "delivery_failed"
        assert "ConnectError" in headers["kinerja-dlq-detail"]


async def test_bad_records_go_to_the_dlq_and_a_republished_alert_is_not_sent_again(
    infra: Infra, ns: Namespace
) -> None:
    async with smtp_server() as (box, port), notifier(infra, ns, smtp_port=port) as n:
        good = alert("recognition.earned", STAFF3, "2026")
        v2 = (b"x", good[1].replace(b'"schema_version": 1', b'"schema_version": 2'))
        no_title = (b"x", good[1].replace(b'"title"', b'"judul"'))
        await publish(
            infra.kafka_bootstrap,
            n.settings.topics.alert,
            [(b"x", b"{not json"), v2, no_title, good],
        )
        await wait_for(lambda: _count(n.db, {}, 1), "the good alert stored despite the bad ones")
        await n.at(seconds=61)
        assert len(box.to(EMAILS[STAFF3])) == 1
        # The same alert id published again (scoring after a crash): nothing must come of it.
        await publish(infra.kafka_bootstrap, n.settings.topics.alert, [good])
        republished = (
            'kinerja_notifier_notices_total{outcome="republished",type="recognition.earned"}'
        )

        async def recognised() -> bool:
            async with httpx.AsyncClient() as client:
                return republished in (await client.get(f"{n.url}/metrics")).text

        await wait_for(recognised, "the republished alert consumed")
        await n.at(seconds=61)
        await n.at(seconds=700)
        assert len(box.to(EMAILS[STAFF3])) == 1
        dead = await read_topic(infra.kafka_bootstrap, n.settings.topics.dlq)
        reasons = sorted(dict(d.headers)[H_REASON].decode() for d in dead)
        assert reasons == ["invalid", "undecodable", "unsupported_schema_version"]


async def _count(db: Any, query: dict[str, Any], want: int) -> bool:
    return bool(await db.alerts.count_documents(query) >= want)


async def test_people_see_and_acknowledge_only_their_own_alerts(
    infra: Infra, ns: Namespace
) -> None:
    async with notifier(infra, ns) as n:
        await n.send(
            alert("coaching.needed", STAFF2, "2026-W47"),
            alert("recognition.earned", STAFF3, "2026"),
        )
        await n.at(seconds=61)
        coaching = f"coaching.needed:{STAFF2}:2026-W47:"
        async with httpx.AsyncClient(base_url=n.url) as c:
            mine = (await c.get("/v1/alerts", headers=bearer(STAFF3, "employee"))).json()["alerts"]
            assert [a["type"] for a in mine] == ["recognition.earned"]
            other = await c.get(
                "/v1/alerts", params={"recipient": KABID}, headers=bearer(STAFF3, "employee")
            )
            assert other.status_code == 403
            hidden = await c.get(f"/v1/alerts/{coaching}", headers=bearer(STAFF3, "employee"))
            assert hidden.status_code == 404
            ack = await c.post(f"/v1/alerts/{coaching}/ack", json={}, headers=bearer(STAFF3))
            assert ack.status_code == 404
            assert (await c.get("/v1/alerts")).status_code == 401
            everything = (await c.get("/v1/alerts", headers=bearer(KEPALA, "ops"))).json()
            assert len(everything["alerts"]) == 2
            filtered = await c.get(
                "/v1/alerts",
                params={"status": "sent", "type": "coaching.needed", "unit": "DISDIK"},
                headers=bearer(KEPALA, "ops"),
            )
            assert [a["id"] for a in filtered.json()["alerts"]] == [coaching]
            detail = (await c.get(f"/v1/alerts/{coaching}", headers=bearer(KABID))).json()
            assert {x["channel"] for x in detail["notifications"]} == {"web"}  # no SMTP here
            assert detail["notifications"][0]["attempts"][0]["ok"] is True


async def test_a_notice_about_someone_not_yet_known_waits_for_the_org_chart(
    infra: Infra, ns: Namespace
) -> None:
    newcomer = "199404042018011007"
    async with smtp_server() as (box, port), notifier(infra, ns, smtp_port=port) as n:
        _, value = alert("recognition.earned", STAFF3, "2026")
        value = value.replace(STAFF3.encode(), newcomer.encode())
        await n.send((newcomer.encode(), value))
        await n.at(seconds=61)
        # The supervisor named in the alert hears at once; the newcomer is not known yet.
        assert subjects(box, EMAILS[KABID]) == ["Kinerja: Layak mendapat penghargaan"]
        assert await n.db.waiting.count_documents({}) == 1
        record = {
            "kind": "employee",
            "nip": newcomer,
            "name": "Pegawai Baru",
            "unit_code": "DISDIK",
            "position": "Staf",
            "supervisor_nip": KABID,
            "email": "baru@tanjungbalaikota.go.id",
        }
        await publish(
            infra.kafka_bootstrap,
            n.settings.topics.reference,
            [(f"employee:{newcomer}".encode(), json.dumps(record).encode())],
        )

        async def planned() -> bool:
            return bool(await n.db.waiting.count_documents({}) == 0)

        await wait_for(planned, "the waiting notice planned")
        await n.at(seconds=61)
        assert subjects(box, "baru@tanjungbalaikota.go.id") == [
            "Kinerja: Layak mendapat penghargaan"
        ]
        assert len(box.to(EMAILS[KABID])) == 1


async def test_a_person_who_turns_email_off_is_reached_on_the_web_only(
    infra: Infra, ns: Namespace
) -> None:
    async with smtp_server() as (box, port), notifier(infra, ns, smtp_port=port) as n:
        async with httpx.AsyncClient(base_url=n.url, headers=bearer(KABID)) as client:
            assert (await client.get("/v1/me/preferences")).json() == {
                "nip": KABID,
                "email": True,
                "web": True,
            }
            none = await client.put("/v1/me/preferences", json={"email": False, "web": False})
            assert none.status_code == 422
            r = await client.put("/v1/me/preferences", json={"email": False, "web": True})
            assert r.status_code == 200, r.text
        await n.send(alert("coaching.needed", STAFF2, "2026-W47"))
        await n.at(seconds=61)
        assert box.to(EMAILS[KABID]) == []
        assert await n.db.inbox.count_documents({"recipient": KABID}) == 1
        doc = await n.db.alerts.find_one({"_id": f"coaching.needed:{STAFF2}:2026-W47:"})
        assert doc is not None
        assert doc["undeliverable"] == [
            {"recipient": KABID, "channel": "email", "why": "turned off by the recipient"}
        ]

"""Helpers for the notifier's integration tests: real receivers (an SMTP server, an HTTP webhook
endpoint, a server-sent-events client) and builders for the records scoring and intake publish."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, Request, Response

from tests.support import serving

STAFF = "199001012015011001"
STAFF2 = "199202022016012005"
STAFF3 = "199303032017011006"
KABID = "198505052010012002"
KEPALA = "197803032005011003"
SEKDA = "197001012000011004"
EMAILS = {
    STAFF: "staf@tanjungbalaikota.go.id",
    STAFF2: "staf2@tanjungbalaikota.go.id",
    STAFF3: "staf3@tanjungbalaikota.go.id",
    KABID: "kabid@tanjungbalaikota.go.id",
    KEPALA: "kadis@tanjungbalaikota.go.id",
    SEKDA: "sekda@tanjungbalaikota.go.id",
}
SUPERVISOR = {STAFF: KABID, STAFF2: KABID, STAFF3: KABID, KABID: KEPALA, KEPALA: SEKDA, SEKDA: None}
UNIT = {nip: ("SETDA" if nip == SEKDA else "DISDIK") for nip in SUPERVISOR}
#: Monday 23 November 2026, 09:00 WIB: working hours.
MONDAY_9 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def employee_records() -> list[tuple[bytes, bytes]]:
    return [
        (
            f"employee:{nip}".encode(),
            json.dumps(
                {
                    "kind": "employee",
                    "nip": nip,
                    "name": f"Pegawai {nip[-3:]}",
                    "unit_code": UNIT[nip],
                    "position": "Staf",
                    "supervisor_nip": sup,
                    "email": EMAILS[nip],
                }
            ).encode(),
        )
        for nip, sup in SUPERVISOR.items()
    ]


def alert(
    type_: str, nip: str, period: str, *, level: str | None = None, alert_id: str | None = None
) -> tuple[bytes, bytes]:
    body = {
        "type": type_,
        "schema_version": 1,
        "alert_id": alert_id or f"{type_}:{nip}:{period}:{level or ''}",
        "nip": nip,
        "unit_code": UNIT[nip],
        "supervisor_nip": SUPERVISOR[nip],
        "period": period,
        "level": level,
        "title": {
            "coaching.needed": "Perlu pembinaan: sering terlambat",
            "recognition.earned": "Layak mendapat penghargaan",
            "discipline.threshold_crossed": f"Disiplin tingkat {level}",
        }[type_],
        "reasons": ["menurut aturan"],
        "evidence": {"rule": "test"},
        "policy_version": "test",
        "raised_at": "2026-11-23T08:55:00+07:00",
    }
    return nip.encode(), json.dumps(body).encode()


def dialogue(type_: str, nip: str, author: str, event_id: str) -> tuple[bytes, bytes]:
    body = {
        "event_id": event_id,
        "type": type_,
        "schema_version": 1,
        "occurred_at": "2026-11-23T09:00:00+07:00",
        "nip": nip,
        "source": {"kind": "system", "id": "feedback"},
        "payload": {
            "thread_id": "thr-1",
            "period": "2026-11",
            "category": "pelayanan",
            "author_nip": author,
            "supervisor_nip": SUPERVISOR[nip],
            "excerpt": "Pelayanan loket perlu lebih cepat",
        },
    }
    return nip.encode(), json.dumps(body).encode()


def progress_record(nip: str, realized: float = 100) -> tuple[bytes, bytes]:
    """A target figure for ``nip`` in November 2026, so scoring has an evaluation to show."""
    event = {
        "event_id": str(uuid.uuid4()),
        "type": "target.progressed",
        "occurred_at": "2026-11-20T10:00:00+07:00",
        "nip": nip,
        "source": {"kind": "system", "id": "e-kinerja"},
        "payload": {
            "skp_id": "SKP-1",
            "indicator_id": "IKI-1",
            "indicator": "Dokumen terbit",
            "period": 2026,
            "target": 100,
            "realized": realized,
            "unit": "dokumen",
        },
    }
    return nip.encode(), json.dumps(event).encode()


def web_only_routing(tmp_path: Path) -> Path:
    """A routing file that sends every alert to the console only, at once."""
    path = tmp_path / "routing.toml"
    path.write_text(
        'version = "console-test"\n[[receivers]]\nname = "konsol"\nchannels = ["web"]\n'
        '[[routes]]\nreceiver = "konsol"\ntimers = { group_wait = 0, group_interval = 0 }\n'
    )
    return path


async def org_chart_loaded(people: Any, count: int = len(SUPERVISOR)) -> None:
    """Wait until a service's people view holds the test org chart."""

    async def known() -> bool:
        return bool(await people.count() == count)

    await wait_for(known, "the org chart")


async def publish(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in records:
            await producer.send(topic, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()


async def wait_for(
    check: Callable[[], Awaitable[bool]], what: str, timeout_s: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Hook:
    """A real HTTP endpoint: answers from ``script`` in turn (then 200), keeps every request."""

    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    delay_s: float = 0.0
    requests: list[tuple[float, dict[str, str], bytes]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            self.requests.append((time.time(), dict(request.headers), body))
            if self.script:
                status, headers = self.script.pop(0)
                return Response(status_code=status, headers=headers)
            return Response(status_code=200)

        return app

    def delivered(self) -> list[dict[str, Any]]:
        """Bodies of the requests answered 2xx (the script is consumed in order)."""
        return [json.loads(b) for _, _, b in self.requests]


@asynccontextmanager
async def webhook_server(hook: Hook) -> AsyncIterator[str]:
    async with serving(hook.app()) as url:
        yield f"{url}/hook"


async def sse_events(
    url: str, token: str, want: int, *, last_event_id: str | None = None, timeout_s: float = 30
) -> list[dict[str, Any]]:
    """Read ``want`` notification events from the live stream (the real SSE wire format)."""
    headers = {"Authorization": f"Bearer {token}"}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    events: list[dict[str, Any]] = []
    async with (
        httpx.AsyncClient(timeout=timeout_s) as client,
        client.stream("GET", f"{url}/v1/stream", headers=headers) as response,
    ):
        assert response.status_code == 200, await response.aread()
        current: dict[str, Any] = {}
        async with asyncio.timeout(timeout_s):
            async for line in response.aiter_lines():
                if not line:
                    if current.get("event") == "notification":
                        events.append(current)
                        if len(events) >= want:
                            break
                    current = {}
                    continue
                name, _, value = line.partition(":")
                current[name] = value.strip()
    return [{"id": e["id"], **json.loads(e["data"])} for e in events]


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None, "no text/plain part"
    return str(body.get_content())

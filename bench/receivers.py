"""Real receivers of the notifier's deliveries, on loopback, that keep what arrives: a webhook
endpoint (ASGI under uvicorn) and an SMTP server (aiosmtpd). The benchmarks time and count with
them; the fault suite counts each notification's idempotency key and Message-ID, so a second
send of one notification shows."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller

from kinerja_local.city import Employee
from kinerja_local.stack import free_port


class Receiver:
    """A webhook endpoint: notes when each notice first arrives and counts each notification's
    ``Idempotency-Key``; answers 200 after ``delay_s`` (a receiver that takes its time)."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.arrived: dict[str, float] = {}
        self.keys: Counter[str] = Counter()
        self.all_arrived = asyncio.Event()
        self._expected: int | None = None

    def expect(self, total: int) -> None:
        self._expected = total
        if len(self.arrived) >= total:
            self.all_arrived.set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        now = time.time()
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        if "idempotency-key" in headers:
            self.keys[headers["idempotency-key"]] += 1
        for notice in json.loads(body)["notices"]:
            self.arrived.setdefault(notice["id"], now)
        if self._expected is not None and len(self.arrived) >= self._expected:
            self.all_arrived.set()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@asynccontextmanager
async def serving(receiver: Receiver) -> AsyncIterator[str]:
    """The receiver on a free loopback port; yields its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(receiver, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task  # raises why it could not start
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        await task


@dataclass
class MailBox:
    """A real SMTP server's handler (aiosmtpd) that keeps what it receives."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.messages if address in rcpts]

    def message_ids(self) -> Counter[str]:
        return Counter(str(m["Message-ID"]) for _, m in self.messages)


@asynccontextmanager
async def smtp_server() -> AsyncIterator[tuple[MailBox, int]]:
    box = MailBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def routing_file(
    path: Path, url: str, *, channels: tuple[str, ...] = ("webhook",), group_wait: float = 0
) -> Path:
    """One receiver for every alert: one notification per alert (grouped by type, NIP and
    period), ``group_wait`` seconds after it arrives."""
    path.write_text(
        f"""version = "bench"
[[receivers]]
name = "gerbang"
channels = {json.dumps(list(channels))}
webhook = {{ url = "{url}" }}
[[routes]]
receiver = "gerbang"
timers = {{ group_by = ["type", "nip", "period"], group_wait = {group_wait}, group_interval = 0 }}
"""
    )
    return path


def alert_record(alert_id: str, employee: Employee, period: str) -> tuple[bytes, bytes]:
    """A coaching alert for ``employee`` as scoring publishes it: (value, key)."""
    body = {
        "type": "coaching.needed",
        "schema_version": 1,
        "alert_id": alert_id,
        "nip": employee.nip,
        "unit_code": employee.unit_code,
        "supervisor_nip": employee.supervisor_nip,
        "period": period,
        "title": "Perlu pembinaan",
        "reasons": ["bench"],
        "evidence": {},
        "policy_version": "bench",
        "raised_at": "2026-11-23T09:00:00+07:00",
    }
    return json.dumps(body).encode(), employee.nip.encode()

"""Delivery adapters: webhook (signed JSON over HTTP), e-mail (SMTP) and the web inbox that the
live stream reads. Each returns an ``Outcome``; retrying is the dispatcher's business."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal

import aiosmtplib
import httpx
from jinja2 import Environment, PackageLoader, select_autoescape

from kinerja_shared.clock import Clock
from notifier.domain.policy import RETRYABLE_STATUSES, retry_after_s

SIGNATURE_HEADER = "Kinerja-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retryable: bool = False
    error: str = ""
    status: int | None = None
    retry_after_s: float | None = None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``: the timestamp is signed too,
    so a receiver can refuse replays older than its tolerance."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, tolerance_s: int = 300) -> bool:
    """The receiver's side of ``sign`` (documented for integrators; the tests use it)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


class WebhookSender:
    def __init__(self, client: httpx.AsyncClient, clock: Clock) -> None:
        self._client = client
        self._clock = clock

    async def send(
        self, url: str, secret: str | None, key: str, body: dict[str, Any], timeout_s: float
    ) -> Outcome:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", IDEMPOTENCY_HEADER: key}
        if secret:
            # The receiver checks the stamp against its own wall clock (replays): the wall
            # clock's, not the service's clock, which a simulation may run elsewhere.
            headers[SIGNATURE_HEADER] = sign(secret, int(time.time()), data)
        try:
            r = await self._client.post(url, content=data, headers=headers, timeout=timeout_s)
        except httpx.TimeoutException as exc:
            return Outcome(False, True, f"timeout after {timeout_s}s ({type(exc).__name__})")
        except httpx.TransportError as exc:
            return Outcome(False, True, f"{type(exc).__name__}: {exc}")
        if r.is_success:
            return Outcome(True, status=r.status_code)
        return Outcome(
            False,
            r.status_code in RETRYABLE_STATUSES,
            f"HTTP {r.status_code}: {r.text[:200]}",
            r.status_code,
            retry_after_s(r.headers.get("Retry-After"), self._clock.now()),
        )


TlsMode = Literal["none", "starttls", "tls"]


class EmailSender:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        tls: TlsMode = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 30.0,
        console_url: str = "",
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._tls, self._username, self._password = tls, username, password
        self._timeout = timeout_s
        self._console_url = console_url
        self._templates = Environment(
            loader=PackageLoader("notifier", "templates"),
            autoescape=select_autoescape(["html", "html.j2"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, address: str, key: str, context: dict[str, Any]) -> EmailMessage:
        context = {**context, "console_url": self._console_url, "notification_id": key}
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = address
        message["Subject"] = self._templates.get_template("subject.txt.j2").render(context).strip()
        message["Message-ID"] = f"<{key}@kinerja>"  # one id per notification: mail dedup keys on it
        message.set_content(self._templates.get_template("email.txt.j2").render(context))
        message.add_alternative(
            self._templates.get_template("email.html.j2").render(context), subtype="html"
        )
        return message

    async def send(self, address: str, key: str, context: dict[str, Any]) -> Outcome:
        message = self.render(address, key, context)
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._tls == "tls",
                start_tls=self._tls == "starttls",
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return Outcome(False, False, f"recipient refused: {exc}")
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx replies are transient by SMTP's own rules; 5xx are final.
            return Outcome(False, 400 <= exc.code < 500, f"SMTP {exc.code}: {exc.message}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return Outcome(False, True, f"{type(exc).__name__}: {exc}")
        return Outcome(True)

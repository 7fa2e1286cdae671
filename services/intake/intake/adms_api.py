"""HTTP adapter for the ZKTeco push protocol (ADMS): real attendance machines call these paths.

Answers are plain text exactly as the machines expect. Only registered, active serials calling
from their allowed addresses are admitted, but every caller gets the same answers: a serial that
is unknown, inactive or calling from elsewhere is told what a registered one would be told, so
serials cannot be found by asking. What it uploads goes to the DLQ with the reason (logged and
counted), so a machine installed before its registration loses nothing.

Lines that cannot be parsed, whose PIN maps to no employee of the device's unit, or older than
``adms_max_age_days`` go to the DLQ with the raw line; the rest of the upload is still accepted,
and the machine is told ``OK: <lines>`` so it moves on. Each serial, and each source address,
has a rate: past it the answer is 429 for all alike.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from prometheus_client import CollectorRegistry, Counter, Gauge

from intake.adms import count_lines, handshake, parse_attlog
from intake.domain import TimeWindow, triage
from intake.publisher import EventPublisher, PublishFailed
from intake.store import IntakeStore
from kinerja_shared.dlq import DlqReason, dlq_headers
from kinerja_shared.reference import Device
from kinerja_shared.topics import Topics

log = logging.getLogger(__name__)
#: What the handshake tells a machine that is not admitted (that of a WIB device, the usual).
DEFAULT_UTC_OFFSET_H = 7

#: The tables ZKTeco machines upload (any other name is counted as "other").
ADMS_TABLES = frozenset({"ATTLOG", "OPERLOG", "ATTPHOTO", "BIODATA", "USERINFO", "FINGERTMP"})


TOO_MANY = "ERROR: too many requests, retry later"


class _Limited(Exception):
    """Past the serial's or the address's rate."""


def _text(body: str, status: int = 200) -> PlainTextResponse:
    return PlainTextResponse(body, status_code=status)


def adms_router(
    store: IntakeStore,
    publisher: EventPublisher,
    topics: Topics,
    registry: CollectorRegistry,
    window: TimeWindow,
    requests_per_minute: int = 120,
) -> APIRouter:
    router = APIRouter(prefix="/iclock", tags=["attendance machines (ZKTeco ADMS)"])
    limiter = MovingWindowRateLimiter(MemoryStorage())
    per_serial = RateLimitItemPerMinute(requests_per_minute)
    per_address = RateLimitItemPerMinute(10 * requests_per_minute)  # a gateway speaks for many
    uploads = Counter(
        "kinerja_intake_device_uploads_total",
        "ADMS uploads by device and table",
        ["serial", "table"],
        registry=registry,
    )
    lines_total = Counter(
        "kinerja_intake_device_lines_total",
        "ATTLOG lines by outcome (accepted, unparsable, unmapped, rejected)",
        ["outcome"],
        registry=registry,
    )
    refused = Counter(
        "kinerja_intake_unknown_device_requests_total",
        "Requests from serials not admitted, by why (unknown, inactive, address)",
        ["why"],
        registry=registry,
    )
    for why in ("unknown", "inactive", "address"):
        refused.labels(why)
    last_upload = Gauge(
        "kinerja_intake_device_last_upload_timestamp_seconds",
        "Unix time of each device's last upload or poll",
        ["serial"],
        registry=registry,
    )

    async def admitted(request: Request, serial: str) -> Device | None:
        """The device if it may speak for ``serial`` from this address; None otherwise (the
        caller answers as for a registered one). Raises ``_Limited`` past the rates."""
        address = request.client.host if request.client else ""
        if not (
            await limiter.hit(per_serial, "serial", serial)
            and await limiter.hit(per_address, "address", address)
        ):
            raise _Limited
        device = await store.device(serial)
        why = (
            "unknown"
            if device is None
            else "inactive"
            if not device.active
            else "address"
            if not device.admits(address)
            else None
        )
        if why is not None:
            refused.labels(why).inc()
            log.warning(
                "device not admitted", extra={"serial": serial, "why": why, "source": address}
            )
            return None
        last_upload.labels(serial).set(time.time())
        return device

    @router.get("/cdata", response_class=PlainTextResponse, summary="Handshake (options=all)")
    async def cdata_get(
        request: Request, sn: Annotated[str, Query(alias="SN", max_length=64)] = ""
    ) -> Any:
        try:
            device = await admitted(request, sn)
        except _Limited:
            return _text(TOO_MANY, 429)
        hours = DEFAULT_UTC_OFFSET_H
        if device is not None:
            offset = datetime.now(ZoneInfo(device.timezone)).utcoffset()
            hours = int(offset.total_seconds() // 3600) if offset else DEFAULT_UTC_OFFSET_H
        return _text(handshake(sn, hours))

    @router.post("/cdata", response_class=PlainTextResponse, summary="Upload ATTLOG and others")
    async def cdata_post(
        request: Request,
        sn: Annotated[str, Query(alias="SN", max_length=64)] = "",
        table: Annotated[str, Query(max_length=32)] = "",
    ) -> Any:
        try:
            device = await admitted(request, sn)
        except _Limited:
            return _text(TOO_MANY, 429)
        if device is None:
            return await _not_admitted(request, sn, table)
        body = (await request.body()).decode("utf-8", errors="replace")
        # Labels only from what is registered or known: a caller's text never makes a series.
        uploads.labels(sn, table if table in ADMS_TABLES else "other").inc()
        if table != "ATTLOG":
            return _text(f"OK: {count_lines(body)}")  # OPERLOG, ATTPHOTO...: acknowledged, unused
        now = datetime.now(UTC)
        good, bad = parse_attlog(body, ZoneInfo(device.timezone))
        dead: list[tuple[str, DlqReason, str]] = [(b.raw, DlqReason.INVALID, b.reason) for b in bad]
        items: list[dict[str, Any]] = []
        raws: list[str] = []
        for line in good:
            nip = await store.nip_of_pin(device.unit_code, line.pin)
            if nip is None:
                dead.append(
                    (
                        line.raw,
                        DlqReason.UNMAPPED,
                        f"PIN {line.pin} maps to no employee of {device.unit_code}",
                    )
                )
                continue
            payload: dict[str, Any] = {
                "direction": line.direction.value,
                "method": line.method.value,
                "device_sn": sn,
            }
            if line.workcode:
                payload["workcode"] = line.workcode
            items.append(
                {
                    "event_id": line.event_id(sn),
                    "type": "attendance.recorded",
                    "occurred_at": line.at.isoformat(),
                    "nip": nip,
                    "source": {"kind": "device", "id": sn},
                    "payload": payload,
                }
            )
            raws.append(line.raw)
        outcome = triage(items, now, uuid.uuid4().hex, window)
        for r in outcome.results:
            if r.status == "rejected":
                dead.append(
                    (
                        raws[r.index],
                        DlqReason.INVALID,
                        "; ".join(f"{e.field}: {e.reason}" for e in r.errors),
                    )
                )
        records = [
            (
                topics.dlq,
                sn.encode(),
                raw.encode(),
                dlq_headers(reason, detail, "intake", f"adms:{sn}", -1, -1),
            )
            for raw, reason, detail in dead
        ]
        try:
            await publisher.publish(outcome.accepted)
            await publisher.publish_records(records)
        except PublishFailed:
            # The machine keeps its records and retries; the same lines give the same event ids.
            return _text("ERROR: storage unavailable, retry later", 503)
        lines_total.labels("accepted").inc(len(outcome.accepted))
        for _, reason, _ in dead:
            lines_total.labels("unmapped" if reason is DlqReason.UNMAPPED else "rejected").inc()
        return _text(f"OK: {len(good) + len(bad)}")

    @router.get("/getrequest", response_class=PlainTextResponse, summary="Pending commands")
    async def getrequest(
        request: Request, sn: Annotated[str, Query(alias="SN", max_length=64)] = ""
    ) -> Any:
        return await _acknowledge(request, sn)

    @router.post("/devicecmd", response_class=PlainTextResponse, summary="Command results")
    async def devicecmd(
        request: Request, sn: Annotated[str, Query(alias="SN", max_length=64)] = ""
    ) -> Any:
        return await _acknowledge(request, sn)

    async def _acknowledge(request: Request, sn: str) -> PlainTextResponse:
        try:
            await admitted(request, sn)
        except _Limited:
            return _text(TOO_MANY, 429)
        return _text("OK")

    async def _not_admitted(request: Request, sn: str, table: str) -> PlainTextResponse:
        """The answer a registered machine would get; an attendance upload kept in the DLQ."""
        body = (await request.body()).decode("utf-8", errors="replace")
        if table == "ATTLOG":
            detail = f"device {sn!r} not admitted (unknown, inactive or from another address)"
            records = [
                (
                    topics.dlq,
                    sn.encode(),
                    line.encode(),
                    dlq_headers(DlqReason.UNMAPPED, detail, "intake", f"adms:{sn}", -1, -1),
                )
                for line in body.splitlines()
                if line.strip()
            ]
            try:
                await publisher.publish_records(records)
            except PublishFailed:
                return _text("ERROR: storage unavailable, retry later", 503)
        return _text(f"OK: {count_lines(body)}")

    return router

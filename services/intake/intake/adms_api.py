"""HTTP adapter for the ZKTeco push protocol (ADMS): real attendance machines call these paths.

Answers are plain text exactly as the machines expect. Only registered serial numbers are served.
Lines that cannot be parsed or whose PIN maps to no employee go to the DLQ with the raw line; the
rest of the upload is still accepted, and the machine is told ``OK: <lines>`` so it moves on.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from prometheus_client import CollectorRegistry, Counter, Gauge

from intake.adms import count_lines, handshake, parse_attlog
from intake.domain import TimeWindow, triage
from intake.publisher import EventPublisher, PublishFailed
from intake.store import IntakeStore
from kinerja_shared.dlq import DlqReason, dlq_headers
from kinerja_shared.topics import Topics

#: The tables ZKTeco machines upload (any other name is counted as "other").
ADMS_TABLES = frozenset({"ATTLOG", "OPERLOG", "ATTPHOTO", "BIODATA", "USERINFO", "FINGERTMP"})


def _text(body: str, status: int = 200) -> PlainTextResponse:
    return PlainTextResponse(body, status_code=status)


def adms_router(
    store: IntakeStore,
    publisher: EventPublisher,
    topics: Topics,
    registry: CollectorRegistry,
    window: TimeWindow,
) -> APIRouter:
    router = APIRouter(prefix="/iclock", tags=["attendance machines (ZKTeco ADMS)"])
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
    unknown = Counter(
        "kinerja_intake_unknown_device_requests_total",
        "Requests from serial numbers that are not registered",
        registry=registry,
    )
    last_upload = Gauge(
        "kinerja_intake_device_last_upload_timestamp_seconds",
        "Unix time of each device's last upload or poll",
        ["serial"],
        registry=registry,
    )

    async def known(serial: str) -> Any:
        device = await store.device(serial)
        if device is None or not device.active:
            unknown.inc()
        else:
            last_upload.labels(serial).set(time.time())
        return device

    @router.get("/cdata", response_class=PlainTextResponse, summary="Handshake (options=all)")
    async def cdata_get(sn: Annotated[str, Query(alias="SN", max_length=64)] = "") -> Any:
        device = await known(sn)
        if device is None:
            return _text("ERROR: device not registered", 403)
        offset = datetime.now(ZoneInfo(device.timezone)).utcoffset()
        hours = int(offset.total_seconds() // 3600) if offset else 7
        return _text(handshake(sn, hours))

    @router.post("/cdata", response_class=PlainTextResponse, summary="Upload ATTLOG and others")
    async def cdata_post(
        request: Request,
        sn: Annotated[str, Query(alias="SN", max_length=64)] = "",
        table: Annotated[str, Query(max_length=32)] = "",
    ) -> Any:
        device = await known(sn)
        if device is None:
            return _text("ERROR: device not registered", 403)
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
    async def getrequest(sn: Annotated[str, Query(alias="SN", max_length=64)] = "") -> Any:
        if await known(sn) is None:
            return _text("ERROR: device not registered", 403)
        return _text("OK")

    @router.post("/devicecmd", response_class=PlainTextResponse, summary="Command results")
    async def devicecmd(sn: Annotated[str, Query(alias="SN", max_length=64)] = "") -> Any:
        if await known(sn) is None:
            return _text("ERROR: device not registered", 403)
        return _text("OK")

    return router

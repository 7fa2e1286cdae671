"""Attendance machines (use cases of the ZKTeco push protocol): which caller may speak for a
serial, and what an upload becomes. A serial is admitted when it is registered, active and,
where its addresses are named, calling from one of them; every caller is answered alike (the
handlers use the same answers for all), so serials cannot be found by asking. An upload of a
serial not admitted waits in the DLQ with the reason, so a machine installed before its
registration loses nothing. Each serial, and each source address, has a rate.

ATTLOG lines that cannot be parsed, whose PIN maps to no employee of the device's unit, or
older than the ADMS window go to the DLQ with the raw line; the rest is published, and the
machine is told how many lines it sent so it moves on.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from prometheus_client import CollectorRegistry, Counter, Gauge

from intake.adms import AttLine, count_lines, handshake, parse_attlog
from intake.domain import TimeWindow, triage
from kinerja_shared.clock import Clock, SystemClock
from kinerja_shared.dlq import DlqReason, dlq_headers
from kinerja_shared.events import Event
from kinerja_shared.reference import Device
from kinerja_shared.topics import Topics

log = logging.getLogger(__name__)
#: What the handshake tells a machine that is not admitted (that of a WIB device, the usual).
DEFAULT_UTC_OFFSET_H = 7
#: The tables ZKTeco machines upload (any other name is counted as "other").
ADMS_TABLES = frozenset({"ATTLOG", "OPERLOG", "ATTPHOTO", "BIODATA", "USERINFO", "FINGERTMP"})
DeadLine = tuple[str, DlqReason, str]  # the raw line, why, the detail


class Limited(Exception):
    """Past the serial's or the address's rate (429, for all alike)."""


class Devices(Protocol):
    async def device(self, serial: str) -> Device | None: ...
    async def nip_of_pin(self, unit_code: str, pin: str) -> str | None: ...


class Heard(Protocol):
    async def seen(self, serial: str) -> None: ...


class Publishes(Protocol):
    async def publish(self, events: Sequence[Event]) -> None: ...
    async def publish_records(self, records: Sequence[tuple[str, bytes, bytes, Any]]) -> None: ...


class Machines:
    def __init__(
        self,
        devices: Devices,
        publisher: Publishes,
        topics: Topics,
        registry: CollectorRegistry,
        window: TimeWindow,
        requests_per_minute: int = 120,
        heard: Heard | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._clock = clock or SystemClock()
        self._devices = devices
        self._heard = heard
        self._publisher = publisher
        self._topics = topics
        self._window = window
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_serial = RateLimitItemPerMinute(requests_per_minute)
        self._per_address = RateLimitItemPerMinute(10 * requests_per_minute)  # a gateway's many
        self._metrics = _Metrics(registry)

    async def admit(self, serial: str, address: str) -> Device | None:
        """The device if it may speak for ``serial`` from ``address``; None otherwise (answer
        as for a registered one). Raises ``Limited`` past the rates."""
        limiter = self._limiter
        if not (
            await limiter.hit(self._per_serial, "serial", serial)
            and await limiter.hit(self._per_address, "address", address)
        ):
            raise Limited
        device = await self._devices.device(serial)
        why = _refusal(device, address)
        if why is not None:
            self._metrics.refused.labels(why).inc()
            log.warning(
                "device not admitted", extra={"serial": serial, "why": why, "source": address}
            )
            return None
        self._metrics.last_upload.labels(serial).set(time.time())
        if self._heard is not None:
            await self._heard.seen(serial)  # for the list of machines gone silent
        return device

    def handshake(self, device: Device | None, serial: str) -> str:
        hours = DEFAULT_UTC_OFFSET_H
        if device is not None:
            offset = self._clock.now().astimezone(ZoneInfo(device.timezone)).utcoffset()
            hours = int(offset.total_seconds() // 3600) if offset else DEFAULT_UTC_OFFSET_H
        return handshake(serial, hours)

    async def upload(self, device: Device, table: str, body: str) -> str:
        """An admitted machine's upload: its ATTLOG published, the rest acknowledged. Raises
        ``PublishFailed`` (the machine keeps its lines and sends them again, same ids)."""
        serial = device.serial
        # Labels only from what is registered or known: a caller's text never makes a series.
        self._metrics.uploads.labels(serial, table if table in ADMS_TABLES else "other").inc()
        if table != "ATTLOG":
            return f"OK: {count_lines(body)}"  # OPERLOG, ATTPHOTO...: acknowledged, unused
        good, bad = parse_attlog(body, ZoneInfo(device.timezone))
        dead: list[DeadLine] = [(b.raw, DlqReason.INVALID, b.reason) for b in bad]
        items, raws = await self._events(device, good, dead)
        outcome = triage(items, self._clock.now(), uuid.uuid4().hex, self._window)
        for r in outcome.results:
            if r.status == "rejected":
                detail = "; ".join(f"{e.field}: {e.reason}" for e in r.errors)
                dead.append((raws[r.index], DlqReason.INVALID, detail))
        await self._publisher.publish(outcome.accepted)
        await self._dead_letter(serial, dead)
        self._metrics.lines.labels("accepted").inc(len(outcome.accepted))
        for _, reason, _ in dead:
            self._metrics.lines.labels(
                "unmapped" if reason is DlqReason.UNMAPPED else "rejected"
            ).inc()
        return f"OK: {len(good) + len(bad)}"

    async def refused_upload(self, serial: str, table: str, body: str) -> str:
        """What a serial not admitted is told; an attendance upload waits in the DLQ."""
        if table == "ATTLOG":
            detail = f"device {serial!r} not admitted (unknown, inactive or from another address)"
            lines = [line for line in body.splitlines() if line.strip()]
            await self._dead_letter(serial, [(line, DlqReason.UNMAPPED, detail) for line in lines])
        return f"OK: {count_lines(body)}"

    async def _events(
        self, device: Device, lines: list[AttLine], dead: list[DeadLine]
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """The attendance events of the lines whose PIN is an employee of the device's unit."""
        items: list[dict[str, Any]] = []
        raws: list[str] = []
        for line in lines:
            nip = await self._devices.nip_of_pin(device.unit_code, line.pin)
            if nip is None:
                why = f"PIN {line.pin} maps to no employee of {device.unit_code}"
                dead.append((line.raw, DlqReason.UNMAPPED, why))
                continue
            payload: dict[str, Any] = {
                "direction": line.direction.value,
                "method": line.method.value,
                "device_sn": device.serial,
            }
            if line.workcode:
                payload["workcode"] = line.workcode
            items.append(
                {
                    "event_id": line.event_id(device.serial),
                    "type": "attendance.recorded",
                    "occurred_at": line.at.isoformat(),
                    "nip": nip,
                    "source": {"kind": "device", "id": device.serial},
                    "payload": payload,
                }
            )
            raws.append(line.raw)
        return items, raws

    async def _dead_letter(self, serial: str, dead: list[DeadLine]) -> None:
        await self._publisher.publish_records(
            [
                (
                    self._topics.dlq,
                    serial.encode(),
                    raw.encode(),
                    dlq_headers(reason, detail, "intake", f"adms:{serial}", -1, -1),
                )
                for raw, reason, detail in dead
            ]
        )


def _refusal(device: Device | None, address: str) -> str | None:
    if device is None:
        return "unknown"
    if not device.active:
        return "inactive"
    return None if device.admits(address) else "address"


class _Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.uploads = Counter(
            "kinerja_intake_device_uploads_total",
            "ADMS uploads by device and table",
            ["serial", "table"],
            registry=registry,
        )
        self.lines = Counter(
            "kinerja_intake_device_lines_total",
            "ATTLOG lines by outcome (accepted, unparsable, unmapped, rejected)",
            ["outcome"],
            registry=registry,
        )
        self.refused = Counter(
            "kinerja_intake_unknown_device_requests_total",
            "Requests from serials not admitted, by why (unknown, inactive, address)",
            ["why"],
            registry=registry,
        )
        for why in ("unknown", "inactive", "address"):
            self.refused.labels(why)
        self.last_upload = Gauge(
            "kinerja_intake_device_last_upload_timestamp_seconds",
            "Unix time of each device's last upload or poll",
            ["serial"],
            registry=registry,
        )

"""The attendance machines' use cases with fake ports: who is admitted, what every caller is
told, and where each line of an upload goes (the HTTP and Kafka paths are in tests/)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from intake.domain import TimeWindow
from intake.machines import Limited, Machines
from kinerja_shared.clock import ManualClock
from kinerja_shared.dlq import H_REASON
from kinerja_shared.events import Event
from kinerja_shared.reference import Device
from kinerja_shared.topics import Topics

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 09:00 WIB
DEVICES = {
    "OPEN1": Device(serial="OPEN1", unit_code="DUKCAPIL"),
    "VLAN1": Device(serial="VLAN1", unit_code="DUKCAPIL", allowed_sources=["10.9.0.0/16"]),
    "OFF1": Device(serial="OFF1", unit_code="DUKCAPIL", active=False),
}


class FakeDevices:
    async def device(self, serial: str) -> Device | None:
        return DEVICES.get(serial)

    async def nip_of_pin(self, unit_code: str, pin: str) -> str | None:
        return "198609262015051001" if (unit_code, pin) == ("DUKCAPIL", "1001") else None


class FakePublisher:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.dead: list[tuple[str, bytes, bytes, Any]] = []

    async def publish(self, events: Sequence[Event]) -> None:
        self.events += list(events)

    async def publish_records(self, records: Sequence[tuple[str, bytes, bytes, Any]]) -> None:
        self.dead += list(records)


def machines(rate: int = 120) -> tuple[Machines, FakePublisher]:
    publisher = FakePublisher()
    window = TimeWindow(timedelta(minutes=10), timedelta(days=3))
    return (
        Machines(
            FakeDevices(),
            publisher,
            Topics(),
            CollectorRegistry(),
            window,
            rate,
            clock=ManualClock(NOW),
        ),
        publisher,
    )


@pytest.mark.parametrize(
    ("serial", "address", "admitted"),
    [
        ("OPEN1", "203.0.113.9", True),  # no addresses named: any
        ("VLAN1", "10.9.3.4", True),
        ("VLAN1", "203.0.113.9", False),  # named, and this is not one of them
        ("OFF1", "10.9.3.4", False),  # inactive
        ("NOBODY", "10.9.3.4", False),  # unknown
    ],
)
def test_who_is_admitted(serial: str, address: str, admitted: bool) -> None:
    m, _ = machines()
    assert (asyncio.run(m.admit(serial, address)) is not None) is admitted


def test_every_caller_is_told_the_same() -> None:
    m, publisher = machines()
    device = DEVICES["OPEN1"]
    line = "1001\t2026-11-20 07:30:00\t0\t1\n"
    told = asyncio.run(m.upload(device, "ATTLOG", line))
    refused = asyncio.run(m.refused_upload("NOBODY", "ATTLOG", line))
    assert told == refused == "OK: 1"
    assert m.handshake(device, "X") == m.handshake(None, "X")  # a WIB device and a stranger
    assert len(publisher.events) == 1
    assert [(d[1], d[2]) for d in publisher.dead] == [(b"NOBODY", line.strip().encode())]


def test_each_line_goes_where_it_belongs() -> None:
    m, publisher = machines()
    body = (
        "1001\t2026-11-20 07:30:00\t0\t1\n"  # published
        "4242\t2026-11-20 07:31:00\t0\t1\n"  # a PIN of nobody in the unit: DLQ, unmapped
        "1001\t2026-11-14 07:30:00\t0\t1\n"  # six days old: past the 3-day window, DLQ
        "garbage\n"  # unparsable: DLQ, invalid
    )
    assert asyncio.run(m.upload(DEVICES["OPEN1"], "ATTLOG", body)) == "OK: 4"
    assert [e.occurred_at.day for e in publisher.events] == [20]
    reasons = sorted(dict(d[3])[H_REASON] for d in publisher.dead)
    assert reasons == ["invalid", "invalid", "unmapped"]


def test_past_the_serials_rate_everyone_is_limited_alike() -> None:
    m, _ = machines(rate=2)

    async def calls(serial: str) -> None:
        for _ in range(2):
            await m.admit(serial, "10.9.3.4")
        with pytest.raises(Limited):
            await m.admit(serial, "10.9.3.4")

    asyncio.run(calls("OPEN1"))
    asyncio.run(calls("NOBODY"))

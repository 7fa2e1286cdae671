"""Which attendance machines went silent: contacts written at most every few minutes, silence
after the setting, retired machines never silent, a failing store never failing a machine."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from intake.liveness import WRITE_EVERY, Liveness, is_silent
from kinerja_shared.clock import ManualClock
from kinerja_shared.reference import Device

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 08:00 WIB
HOUR = timedelta(hours=1)


class Contacts:
    def __init__(self, fail: bool = False) -> None:
        self.seen: dict[str, datetime] = {}
        self.writes = 0
        self.fail = fail

    async def devices(self) -> list[Device]:
        return [
            Device(serial="A1", unit_code="DISDIK"),
            Device(serial="B1", unit_code="DINKES"),
            Device(serial="OLD", unit_code="DINKES", active=False),
        ]

    async def record_contact(self, serial: str, at: datetime) -> None:
        if self.fail:
            raise ConnectionError("store down")
        self.writes += 1
        self.seen[serial] = at

    async def contacts(self, serials: Sequence[str]) -> dict[str, datetime]:
        return {s: self.seen[s] for s in serials if s in self.seen}


@pytest.mark.parametrize(
    ("active", "last_seen", "silent"),
    [
        (True, None, True),  # registered, never heard of
        (True, T0 - 30 * timedelta(minutes=1), False),
        (True, T0 - HOUR, False),  # exactly the setting: not yet
        (True, T0 - HOUR - timedelta(seconds=1), True),
        (False, None, False),  # retired
    ],
)
def test_silence(active: bool, last_seen: datetime | None, silent: bool) -> None:
    assert is_silent(active, last_seen, T0, HOUR) is silent


def test_contacts_are_written_at_most_every_few_minutes_and_silence_shows_first() -> None:
    clock, contacts = ManualClock(T0), Contacts()
    live = Liveness(contacts, clock, HOUR)
    for _ in range(10):  # a machine polling every 20 s for 3 minutes
        asyncio.run(live.seen("A1"))
        clock.advance(seconds=20)
    assert contacts.writes == 1
    clock.advance(seconds=WRITE_EVERY.total_seconds())
    asyncio.run(live.seen("A1"))
    assert contacts.writes == 2
    status = asyncio.run(live.status())
    assert [(s.serial, s.silent) for s in status] == [("B1", True), ("OLD", False), ("A1", False)]
    clock.advance(hours=2)
    assert all(s.silent for s in asyncio.run(live.status()) if s.active)


def test_a_store_that_cannot_take_the_contact_does_not_fail_the_machine() -> None:
    contacts = Contacts(fail=True)
    live = Liveness(contacts, ManualClock(T0), HOUR)
    asyncio.run(live.seen("A1"))  # logged, not raised
    contacts.fail = False
    asyncio.run(live.seen("A1"))  # and tried again on the next contact
    assert contacts.writes == 1

"""Which attendance machines went silent (use case). A machine that is on polls intake every
minute or so (``getrequest``), so a machine unheard of for longer than the setting is off, cut
off, or broken, and its unit's punches are not arriving. Contacts are written at most every
few minutes per machine: a city's hundred machines polling each minute cost no store writes
worth counting, and at national scale the writes stay a fraction of the polls."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from kinerja_shared.clock import Clock
from kinerja_shared.reference import Device

log = logging.getLogger(__name__)
#: How often one machine's contact is written (at most).
WRITE_EVERY = timedelta(minutes=5)


class Contacts(Protocol):
    async def devices(self) -> list[Device]: ...
    async def record_contact(self, serial: str, at: datetime) -> None: ...
    async def contacts(self, serials: Sequence[str]) -> dict[str, datetime]: ...


@dataclass(frozen=True)
class DeviceStatus:
    serial: str
    unit_code: str
    active: bool
    last_seen: datetime | None
    silent: bool


def is_silent(active: bool, last_seen: datetime | None, now: datetime, after: timedelta) -> bool:
    """An active machine never heard of, or not for longer than ``after``; a machine retired
    (inactive) is never called silent."""
    return active and (last_seen is None or now - last_seen > after)


class Liveness:
    def __init__(self, contacts: Contacts, clock: Clock, silent_after: timedelta) -> None:
        self._contacts = contacts
        self._clock = clock
        self._silent_after = silent_after
        self._written: dict[str, datetime] = {}

    async def seen(self, serial: str) -> None:
        """A registered machine spoke. Best effort: a store that cannot take the contact now
        must not fail the machine's upload (the next contact writes it)."""
        now = self._clock.now()
        last = self._written.get(serial)
        if last is not None and now - last < WRITE_EVERY:
            return
        try:
            await self._contacts.record_contact(serial, now)
        except Exception as exc:  # noqa: BLE001 - any store failure; logged, retried next contact
            log.warning("device contact not recorded", extra={"serial": serial, "error": str(exc)})
            return
        self._written[serial] = now

    async def status(self) -> list[DeviceStatus]:
        devices = await self._contacts.devices()
        seen = await self._contacts.contacts([d.serial for d in devices])
        now = self._clock.now()
        out = [
            DeviceStatus(
                d.serial,
                d.unit_code,
                d.active,
                seen.get(d.serial),
                is_silent(d.active, seen.get(d.serial), now, self._silent_after),
            )
            for d in devices
        ]
        return sorted(out, key=lambda s: (not s.silent, s.unit_code, s.serial))

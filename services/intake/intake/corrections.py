"""Use case: an administrator voids one attendance record (koreksi presensi), for a punch made
under somebody else's PIN, a machine's fault or a test.

Nothing is deleted: the punch stays on the topic as every event does, and the void is a new
event (``attendance.voided``) keyed by the NIP, so it lies in the punch's partition. Scoring
reads the day without the punch and tells the employee who voided it and why. The void's id
is derived from the punch's, so sending the same correction again (after a 503) publishes the
same event, and scoring keeps one correction per punch.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from kinerja_shared.clock import Clock
from kinerja_shared.events import (
    AttendanceVoided,
    AttendanceVoidedEvent,
    Source,
    SourceKind,
)
from kinerja_shared.identity import Principal

log = logging.getLogger(__name__)

#: Names the void of a punch: one punch, one void event id (uuid5 of the punch's id).
VOID_NAMESPACE = uuid.UUID("5f0f6c1e-2f43-4c3a-9a4e-6b1d0c1e7a01")


class Refused(Exception):
    """The correction cannot be made as asked (HTTP 422), with the reason in words."""


class People(Protocol):
    async def unit_of(self, nip: str) -> str | None: ...


class Publishing(Protocol):
    async def publish_correction(self, event: AttendanceVoidedEvent) -> None: ...


@dataclass(frozen=True)
class Voided:
    event_id: str
    voided_event_id: str
    nip: str
    day: date


class Corrections:
    """Corrections reach back as far as scoring still counts a punch (its grace): an older
    period is closed, and its figures have gone to payroll."""

    def __init__(
        self, people: People, publisher: Publishing, clock: Clock, window: timedelta, tz: ZoneInfo
    ) -> None:
        self._people = people
        self._publisher = publisher
        self._clock = clock
        self._window = window
        self._tz = tz

    async def void(self, who: Principal, voided: AttendanceVoided, nip: str) -> Voided:
        """Publish the void; ``PublishFailed`` propagates (nothing was accepted)."""
        now = self._clock.now()
        if voided.punch_at > now:
            raise Refused("punch_at: presensi itu belum terjadi (waktu di masa depan)")
        if voided.punch_at < now - self._window:
            raise Refused(
                f"punch_at: lebih dari {self._window.days} hari lalu; periodenya sudah ditutup "
                "dan tidak dapat dikoreksi lagi"
            )
        if await self._people.unit_of(nip) is None:
            raise Refused(f"nip: {nip} tidak terdaftar dalam data pegawai")
        event = AttendanceVoidedEvent(
            event_id=str(uuid.uuid5(VOID_NAMESPACE, voided.voided_event_id)),
            type="attendance.voided",
            occurred_at=now,
            received_at=now,
            nip=nip,
            source=Source(kind=SourceKind.SYSTEM, id="kinerja-admin"),
            payload=voided.model_copy(update={"voided_by": who.sub}),
        )
        await self._publisher.publish_correction(event)
        log.info(
            "voided an attendance record",
            extra={"nip": nip, "voided_event_id": voided.voided_event_id, "by": who.sub},
        )
        return Voided(event.event_id, voided.voided_event_id, nip, self._day(voided))

    def _day(self, voided: AttendanceVoided) -> date:
        return voided.punch_at.astimezone(self._tz).date()

"""Voiding a punch (koreksi presensi), the use case over fakes: what it publishes, what it
refuses and why, in Indonesian; the same correction twice is the same event."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.corrections import Corrections, Refused
from intake.publisher import PublishFailed
from kinerja_shared.clock import ManualClock
from kinerja_shared.events import AttendanceVoided, AttendanceVoidedEvent
from kinerja_shared.identity import Principal, Role

NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)  # 10.00 WIB
NIP = "199001012015011001"
ADMIN = Principal(sub="196812312000011011", roles=frozenset({Role.ADMIN}))
PUNCH_ID = "0b6b7f38-3f2a-4f3c-9d3c-1f3f6f0e0a01"


class People:
    async def unit_of(self, nip: str) -> str | None:
        return "DISDIK" if nip == NIP else None


class Topic:
    def __init__(self, fail: bool = False) -> None:
        self.events: list[AttendanceVoidedEvent] = []
        self.fail = fail

    async def publish_correction(self, event: AttendanceVoidedEvent) -> None:
        if self.fail:
            raise PublishFailed("kafka down")
        self.events.append(event)


def corrections(topic: Topic) -> Corrections:
    return Corrections(
        People(), topic, ManualClock(NOW), timedelta(days=35), ZoneInfo("Asia/Jakarta")
    )


def voided(at: datetime, by: str = "someone-else") -> AttendanceVoided:
    return AttendanceVoided(
        voided_event_id=PUNCH_ID,
        punch_at=at,
        reason="PIN pegawai lain dipakai di mesin lantai 2",
        voided_by="199202022016012005" if by == "someone-else" else by,
    )


def test_a_void_is_published_keyed_by_the_nip_in_the_admins_name() -> None:
    topic = Topic()
    at = datetime(2026, 11, 23, 23, 50, tzinfo=UTC)  # 06.50 WIB on the 24th
    done = asyncio.run(corrections(topic).void(ADMIN, voided(at), NIP))
    (event,) = topic.events
    assert (event.nip, event.type, event.occurred_at) == (NIP, "attendance.voided", NOW)
    assert event.payload.voided_by == ADMIN.sub  # whoever the request named
    assert done.day == date(2026, 11, 24)  # the punch's local day, not UTC's
    assert done.event_id == event.event_id


def test_the_same_correction_sent_again_is_the_same_event() -> None:
    topic = Topic()
    at = NOW - timedelta(days=3)
    use = corrections(topic)
    asyncio.run(use.void(ADMIN, voided(at), NIP))
    asyncio.run(use.void(ADMIN, voided(at), NIP))
    assert topic.events[0].event_id == topic.events[1].event_id


@pytest.mark.parametrize(
    ("nip", "at", "says"),
    [
        (NIP, NOW + timedelta(minutes=5), "belum terjadi"),
        (NIP, NOW - timedelta(days=36), "lebih dari 35 hari lalu"),
        ("199404042018011009", NOW - timedelta(days=1), "tidak terdaftar"),
    ],
)
def test_what_cannot_be_corrected_is_refused_with_the_reason(
    nip: str, at: datetime, says: str
) -> None:
    topic = Topic()
    with pytest.raises(Refused, match=says):
        asyncio.run(corrections(topic).void(ADMIN, voided(at), nip))
    assert topic.events == []


def test_a_void_kafka_did_not_take_is_reported_not_accepted() -> None:
    with pytest.raises(PublishFailed):
        asyncio.run(corrections(Topic(fail=True)).void(ADMIN, voided(NOW), NIP))

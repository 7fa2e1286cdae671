"""Live figures: an ``evaluation.updated`` reaches the open streams of the employee and their
chain, nobody else's; unreadable records are skipped and counted; with nobody looking, not even
the org chart is read."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from prometheus_client import CollectorRegistry

from kinerja_shared.orgchart import Person
from notifier.live import LiveFigures, updates

HEAD, KABID, STAFF, OTHER = "197501012000031001", "198505052010012002", "199001152015031003", "1"
CHART = {
    HEAD: Person(HEAD, "Kepala", "DISDIK"),
    KABID: Person(KABID, "Kabid", "DISDIK", HEAD),
    STAFF: Person(STAFF, "Staf", "DISDIK", KABID),
}


class Streams:
    def __init__(self, open_for: set[str]) -> None:
        self.open_for = open_for
        self.sent: list[tuple[str, dict[str, Any]]] = []

    @property
    def listeners(self) -> int:
        return len(self.open_for)

    def live(self, recipient: str, event: dict[str, Any]) -> bool:
        if recipient not in self.open_for:
            return False
        self.sent.append((recipient, event))
        return True


class People:
    def __init__(self) -> None:
        self.reads = 0

    async def chart(self, nips: Sequence[str], depth: int = 8) -> dict[str, Person]:
        self.reads += 1
        return CHART


def record(nip: str, *periods: str) -> bytes:
    return json.dumps({"type": "evaluation.updated", "nip": nip, "periods": list(periods)}).encode()


def test_an_update_reaches_the_employee_and_their_chain_who_are_looking() -> None:
    streams, people = Streams({STAFF, HEAD, OTHER}), People()
    live = LiveFigures(streams, people, CollectorRegistry())
    sent = asyncio.run(live.handle([record(STAFF, "2026-11"), b"{not json", None]))
    assert sent == 2
    event = {"nip": STAFF, "periods": ["2026-11"]}
    assert streams.sent == [(STAFF, event), (HEAD, event)]  # KABID has no stream open


def test_nobody_looking_reads_nothing() -> None:
    streams, people = Streams(set()), People()
    assert (
        asyncio.run(LiveFigures(streams, people, CollectorRegistry()).handle([record(STAFF)])) == 0
    )
    assert people.reads == 0


def test_unreadable_records_are_counted_not_raised() -> None:
    found, bad = updates([record(STAFF, "2026-11"), b"[]", b"{}", b"\xff", None])
    assert found == [(STAFF, ["2026-11"])]
    assert bad == 4

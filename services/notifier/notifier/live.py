"""Live figures: scoring's ``evaluation.updated`` passed on to the people who may be looking at
them (the employee and their supervisor chain) through their open streams, so a console page
reads the new figures without a click.

Best effort by design: every notifier process reads the whole topic from its end without a
consumer group (each process serves its own streams), nothing is stored or committed, and a
message missed while a process restarts only means a page shows its figures until the next
change or click. A record that cannot be read is skipped and counted, never retried."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry, Counter

from kinerja_shared.kafka import batch_records
from kinerja_shared.orgchart import Person, chain_above

log = logging.getLogger(__name__)
#: How far up the chain a figure is shown live (a head of a large unit is a few levels up).
CHAIN_LEVELS = 12


class People(Protocol):
    async def chart(self, nips: Sequence[str], depth: int = 8) -> dict[str, Person]: ...


class Streams(Protocol):
    @property
    def listeners(self) -> int: ...
    def live(self, recipient: str, event: dict[str, Any]) -> bool: ...


def updates(values: Sequence[bytes | None]) -> tuple[list[tuple[str, list[str]]], int]:
    """(NIP, months) of each readable ``evaluation.updated``, and how many were not readable."""
    found, bad = [], 0
    for value in values:
        try:
            doc = json.loads(value or b"")
            found.append((str(doc["nip"]), [str(p) for p in doc.get("periods", [])]))
        except (ValueError, KeyError, TypeError):
            bad += 1
    return found, bad


class LiveFigures:
    def __init__(self, streams: Streams, people: People, registry: CollectorRegistry) -> None:
        self._streams = streams
        self._people = people
        self._sent = Counter(
            "notifier_live_figures_total",
            "Live figure updates sent to open streams",
            registry=registry,
        )
        self._unreadable = Counter(
            "notifier_live_figures_unreadable_total",
            "evaluation.updated records that could not be read (skipped)",
            registry=registry,
        )

    async def handle(self, values: Sequence[bytes | None]) -> int:
        """Sends each update to the open streams of the employee and their chain."""
        found, bad = updates(values)
        self._unreadable.inc(bad)
        if not found or not self._streams.listeners:
            return 0  # nobody is looking: not even the org chart is read
        chart = await self._people.chart([nip for nip, _ in found], depth=CHAIN_LEVELS)
        sent = 0
        for nip, periods in found:
            chain = [p.nip for p in chain_above(nip, chart.get, CHAIN_LEVELS)]
            event = {"nip": nip, "periods": periods}
            sent += sum(self._streams.live(who, event) for who in [nip, *chain])
        self._sent.inc(sent)
        return sent

    def register(self, broker: KafkaBroker, topic: str) -> None:
        async def consume(msg: KafkaMessage) -> None:
            await self.handle([r.value for r in batch_records(msg)])

        broker.subscriber(
            topic,
            group_id=None,  # every process reads everything: it serves its own streams
            batch=True,
            max_records=1000,
            batch_timeout_ms=200,
            auto_offset_reset="latest",
            title="live-figures",
        )(consume)

"""Kafka adapter: the dialogue's events, through a small outbox.

The outbox entry is written first and carries the change it reports (the documents to insert):
one write holds both, so no crash can leave a change without its event or an event without its
change. Then the change is applied (inserts by ``_id``: idempotent), the event published and
the entry removed; whatever a crash or a broker outage interrupted, the background retry redoes
from the entry. A broker outage delays events but loses none."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from faststream.kafka import KafkaBroker

from kinerja_shared.events import (
    BehaviourRatedEvent,
    FeedbackAcknowledgedEvent,
    FeedbackPostedEvent,
    FeedbackRepliedEvent,
)
from kinerja_shared.periodic import Periodic

log = logging.getLogger(__name__)

#: A document to insert into one of feedback's collections, by name.
Change = tuple[str, dict[str, Any]]

Outgoing = (
    FeedbackPostedEvent | FeedbackRepliedEvent | FeedbackAcknowledgedEvent | BehaviourRatedEvent
)


class Outbox(Protocol):
    """Where the entries wait (``FeedbackStore``; a fake in the unit tests)."""

    async def add_to_outbox(self, entry: dict[str, Any]) -> bool: ...
    async def apply_changes(self, entry: dict[str, Any]) -> None: ...
    async def published(self, entry_id: str) -> None: ...
    async def outbox_pending(self, limit: int = 500) -> list[dict[str, Any]]: ...


class Publisher:
    def __init__(self, broker: KafkaBroker, store: Outbox, topic: str) -> None:
        self._broker = broker
        self._store = store
        self._topic = topic
        self._loop: Periodic | None = None

    async def publish(self, event: Outgoing, now: datetime, changes: Sequence[Change] = ()) -> bool:
        """Record ``changes`` and ``event`` together, apply the changes, publish the event.
        True once Kafka has it; False when it waits in the outbox for the next try. The same
        event id again while its entry waits changes nothing; a client's retry after that is
        answered by its Idempotency-Key before it gets here (``feedback.dialogue``)."""
        value = event.model_dump_json(exclude_none=True).encode()
        doc = {
            "_id": event.event_id,
            "key": event.nip,
            "value": value,
            "at": now,
            "changes": [{"collection": c, "doc": d} for c, d in changes],
        }
        if not await self._store.add_to_outbox(doc):
            return False  # already recorded: its own call or the retry loop finishes it
        await self._apply(doc)
        return await self._send(doc)

    async def _apply(self, doc: dict[str, Any]) -> None:
        await self._store.apply_changes(doc)

    async def _send(self, doc: dict[str, Any]) -> bool:
        try:
            await self._broker.publish(doc["value"], self._topic, key=doc["key"].encode())
        except Exception as exc:  # noqa: BLE001 - kept in the outbox, retried
            log.warning("event not published yet; will retry", extra={"error": str(exc)})
            return False
        await self._store.published(doc["_id"])
        return True

    async def retry_pending(self) -> int:
        sent = 0
        for doc in await self._store.outbox_pending():
            await self._apply(doc)
            sent += await self._send(doc)
        return sent

    def start(self, interval_s: float = 10.0) -> None:
        self._loop = Periodic("feedback-outbox", self.retry_pending, interval_s, wait_first=True)
        self._loop.start()

    async def stop(self) -> None:
        if self._loop is not None:
            await self._loop.stop()

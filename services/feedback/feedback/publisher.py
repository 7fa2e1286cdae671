"""Kafka adapter: the dialogue's events, through a small outbox. An event is stored with the
change it reports, then published and removed; what Kafka did not take is retried in the
background, so a broker outage delays notices but loses none."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from faststream.kafka import KafkaBroker

from feedback.store import FeedbackStore
from kinerja_shared.events import (
    BehaviourRatedEvent,
    FeedbackAcknowledgedEvent,
    FeedbackPostedEvent,
    FeedbackRepliedEvent,
)
from kinerja_shared.periodic import Periodic

log = logging.getLogger(__name__)

Outgoing = (
    FeedbackPostedEvent | FeedbackRepliedEvent | FeedbackAcknowledgedEvent | BehaviourRatedEvent
)


class Publisher:
    def __init__(self, broker: KafkaBroker, store: FeedbackStore, topic: str) -> None:
        self._broker = broker
        self._store = store
        self._topic = topic
        self._loop: Periodic | None = None

    async def publish(self, event: Outgoing, now: datetime) -> bool:
        """True once Kafka has it; False when it waits in the outbox for the next try."""
        value = event.model_dump_json(exclude_none=True).encode()
        doc = {"_id": event.event_id, "key": event.nip, "value": value, "at": now}
        await self._store.outbox.insert_one(doc)
        return await self._send(doc)

    async def _send(self, doc: dict[str, Any]) -> bool:
        try:
            await self._broker.publish(doc["value"], self._topic, key=doc["key"].encode())
        except Exception as exc:  # noqa: BLE001 - kept in the outbox, retried
            log.warning("event not published yet; will retry", extra={"error": str(exc)})
            return False
        await self._store.outbox.delete_one({"_id": doc["_id"]})
        return True

    async def retry_pending(self) -> int:
        sent = 0
        async for doc in self._store.outbox.find({}).sort("at", 1).limit(500):
            sent += await self._send(doc)
        return sent

    def start(self, interval_s: float = 10.0) -> None:
        self._loop = Periodic("feedback-outbox", self.retry_pending, interval_s, wait_first=True)
        self._loop.start()

    async def stop(self) -> None:
        if self._loop is not None:
            await self._loop.stop()

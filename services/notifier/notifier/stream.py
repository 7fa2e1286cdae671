"""The live web channel: one poller per process reads new inbox entries and fans them out to the
signed-in users' open streams. A stream resumes from ``Last-Event-ID`` (the inbox sequence) by
reading the inbox first, so nothing that came in between is lost.

The poller looks back a few seconds on every pass and skips what it has seen: another notifier
instance may write an entry with a slightly earlier sequence after this one has passed it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo import ASCENDING

from notifier.store import NotifierStore

log = logging.getLogger(__name__)

Entry = dict[str, Any]


class StreamHub:
    def __init__(self, store: NotifierStore, poll_s: float, lookback_s: float = 5.0) -> None:
        self._store = store
        self._poll_s = poll_s
        self._lookback_ns = int(lookback_s * 1e9)
        self._subscribers: dict[str, set[asyncio.Queue[Entry]]] = defaultdict(set)
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._cursor = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        newest = await self._store.inbox.find_one({}, sort=[("seq", -1)])
        self._cursor = newest["seq"] if newest else 0
        self._task = asyncio.create_task(self._run(), name="notifier-stream-poller")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    @property
    def listeners(self) -> int:
        return sum(len(q) for q in self._subscribers.values())

    async def _run(self) -> None:
        while True:
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("stream poll failed; retrying")
            await asyncio.sleep(self._poll_s)

    async def poll(self) -> int:
        since = self._cursor - self._lookback_ns
        cursor = self._store.inbox.find({"seq": {"$gt": since}}).sort("seq", ASCENDING).limit(5000)
        fanned = 0
        async for entry in cursor:
            self._cursor = max(self._cursor, entry["seq"])
            if entry["_id"] in self._seen:
                continue
            self._seen[entry["_id"]] = entry["seq"]
            for queue in self._subscribers.get(entry["recipient"], ()):
                queue.put_nowait(entry)
                fanned += 1
        while self._seen and next(iter(self._seen.values())) < since:
            self._seen.popitem(last=False)
        return fanned

    @asynccontextmanager
    async def subscribe(self, recipient: str) -> AsyncIterator[asyncio.Queue[Entry]]:
        queue: asyncio.Queue[Entry] = asyncio.Queue(maxsize=10_000)
        self._subscribers[recipient].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[recipient].discard(queue)
            if not self._subscribers[recipient]:
                del self._subscribers[recipient]

    async def backlog(self, recipient: str, after_seq: int, limit: int = 1000) -> list[Entry]:
        cursor = (
            self._store.inbox.find({"recipient": recipient, "seq": {"$gt": after_seq}})
            .sort("seq", ASCENDING)
            .limit(limit)
        )
        return [e async for e in cursor]

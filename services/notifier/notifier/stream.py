"""The live web channel: one poller per process reads new inbox entries and fans them out to the
signed-in users' open streams; live figures (``notifier.live``) go straight to the open streams
of this process, unstored. A stream resumes from ``Last-Event-ID`` (the inbox sequence) by
reading the inbox first, so nothing that came in between is lost.

The poller looks back a few seconds on every pass and skips what it has seen: another notifier
instance may write an entry with a slightly earlier sequence after this one has passed it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from kinerja_shared.periodic import Periodic
from notifier.store import NotifierStore

log = logging.getLogger(__name__)

Entry = dict[str, Any]


class StreamHub:
    def __init__(self, store: NotifierStore, poll_s: float, lookback_s: float = 5.0) -> None:
        self._store = store
        self._lookback_ns = int(lookback_s * 1e9)
        self._subscribers: dict[str, set[asyncio.Queue[Entry]]] = defaultdict(set)
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._cursor = 0
        self._loop = Periodic("notifier-stream-poller", self.poll, poll_s)
        self._live_ids = itertools.count(1)

    async def start(self) -> None:
        self._cursor = await self._store.newest_inbox_seq()
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    @property
    def listeners(self) -> int:
        return sum(len(q) for q in self._subscribers.values())

    async def poll(self) -> int:
        since = self._cursor - self._lookback_ns
        fanned = 0
        for entry in await self._store.inbox_since(since):
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

    def live(self, recipient: str, event: dict[str, Any]) -> bool:
        """A live-only message (never stored, never replayed) to ``recipient``'s open streams,
        in this process; False when none is open here. A full queue drops it: a figure that
        changed is read fresh at the next change or the next click."""
        queues = self._subscribers.get(recipient, ())
        entry = {"_id": f"live:{next(self._live_ids)}", "live": True, "event": event}
        for queue in queues:
            try:
                queue.put_nowait(entry)
            except asyncio.QueueFull:
                log.warning("a live update was dropped", extra={"recipient": recipient})
        return bool(queues)

    async def backlog(self, recipient: str, after_seq: int, limit: int = 1000) -> list[Entry]:
        return await self._store.inbox_since(after_seq, recipient, limit)

"""MongoDB adapter of the feedback service. Everything is inserted, nothing rewritten: an edit
is a new version document, so the history of who wrote what and when is the data itself.

Collections: ``threads`` (one per feedback: who, about whom, period, category, visibility,
acknowledgement), ``entries`` (``<thread>:<entry>:<version>``, each version of the feedback and
of every reply), ``ratings`` (Perilaku Kerja, every version), ``coaching`` (bimbingan kinerja
sessions), ``audit`` (every action and every refusal), ``outbox`` (events to publish),
``people`` (the org chart from the reference topic).
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING

Doc = dict[str, Any]


#: The collections whose inserts travel in an outbox entry with their event.
OUTBOX_CHANGES = frozenset({"threads", "entries", "ratings"})


class FeedbackStore:
    def __init__(self, db: Any) -> None:
        self.threads = db["threads"]
        self.entries = db["entries"]
        self.ratings = db["ratings"]
        self.coaching = db["coaching"]
        self.audit = db["audit"]
        self.outbox = db["outbox"]

    def collection(self, name: str) -> Any:
        """One of the collections an outbox entry may change."""
        if name not in OUTBOX_CHANGES:
            raise ValueError(f"the outbox does not change {name!r}")
        return getattr(self, name)

    async def prepare(self) -> None:
        await self.threads.create_index([("nip", ASCENDING), ("created_at", DESCENDING)])
        await self.entries.create_index([("thread_id", ASCENDING), ("at", ASCENDING)])
        await self.ratings.create_index([("nip", ASCENDING), ("period", ASCENDING)])
        await self.coaching.create_index([("nip", ASCENDING), ("date", DESCENDING)])
        await self.audit.create_index([("at", DESCENDING)])

    async def thread_with_entries(self, thread_id: str) -> Doc | None:
        thread = await self.threads.find_one({"_id": thread_id})
        if thread is None:
            return None
        versions = [v async for v in self.entries.find({"thread_id": thread_id}).sort("at", 1)]
        entries: dict[str, Doc] = {}
        for v in versions:  # the thread keeps its order: by each entry's first version
            entry = entries.setdefault(
                v["entry_id"],
                {"id": v["entry_id"], "kind": v["kind"], "author": v["author"], "history": []},
            )
            entry["history"].append({k: v[k] for k in ("version", "at", "body")})
            entry["current"] = v["body"]
            entry["version"] = v["version"]
        return {**thread, "entries": list(entries.values())}

    async def thread_counts(self, nips: list[str]) -> dict[str, int]:
        """How many threads each of ``nips`` has: one query for a whole page of a team."""
        counts: dict[str, int] = {}
        if not nips:
            return counts
        async for t in self.threads.find({"nip": {"$in": nips}}, {"nip": 1}):
            counts[t["nip"]] = counts.get(t["nip"], 0) + 1
        return counts

"""MongoDB adapter of the feedback service. Everything is inserted, nothing rewritten: an edit
is a new version document, so the history of who wrote what and when is the data itself.

Collections: ``threads`` (one per feedback: who, about whom, period, category, visibility,
acknowledgement), ``entries`` (``<thread>:<entry>:<version>``, each version of the feedback and
of every reply), ``ratings`` (Perilaku Kerja, every version), ``coaching`` (bimbingan kinerja
sessions), ``documents`` (coaching records handed out, by code), ``audit`` (every action and
every refusal), ``outbox`` (events to publish), ``people`` (the org chart from the reference
topic).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from kinerja_shared.clock import utc
from kinerja_shared.documents import Issued
from kinerja_shared.mongo import find_by_ids, insert_new, insert_once

Doc = dict[str, Any]


@dataclass(frozen=True)
class AgreedAction:
    """An agreed action (rencana tindak lanjut) as its entry currently states it."""

    thread_id: str
    nip: str  # whom the thread is about
    what: str
    owner_nip: str
    due: str  # ISO date


#: The collections whose inserts travel in an outbox entry with their event.
OUTBOX_CHANGES = frozenset({"threads", "entries", "ratings", "objections", "decisions"})


class FeedbackStore:
    def __init__(self, db: Any) -> None:
        self._threads = db["threads"]
        self._entries = db["entries"]
        self._ratings = db["ratings"]
        self._coaching = db["coaching"]
        self._audit = db["audit"]
        self._outbox = db["outbox"]
        self._objections = db["objections"]
        self._decisions = db["decisions"]  # by the objection's id: present once decided
        self._documents = db["documents"]  # coaching records handed out, by verification code

    def _changed(self, name: str) -> Any:
        """One of the collections an outbox entry may change."""
        if name not in OUTBOX_CHANGES:
            raise ValueError(f"the outbox does not change {name!r}")
        return getattr(self, f"_{name}")

    # --- the outbox (``feedback.publisher``) ----------------------------------------------------

    async def add_to_outbox(self, entry: Doc) -> bool:
        """Record a change with its event; False if its id is there already (a retry)."""
        return not await insert_new(self._outbox, [entry])

    async def apply_changes(self, entry: Doc) -> None:
        """The entry's changes, each inserted by its ``_id`` (again: nothing changes)."""
        for change in entry.get("changes", []):
            await insert_new(self._changed(change["collection"]), [change["doc"]])

    async def published(self, entry_id: str) -> None:
        await self._outbox.delete_one({"_id": entry_id})

    async def outbox_pending(self, limit: int = 500) -> list[Doc]:
        """What still waits for Kafka, oldest first (a small collection)."""
        return [d async for d in self._outbox.find({}).sort("at", 1).limit(limit)]

    async def threads_in(self, nips: list[str]) -> list[Doc]:
        """The threads about these employees (a unit's), without their entries."""
        return [t async for t in self._threads.find({"nip": {"$in": nips}})]

    async def prepare(self) -> None:
        await self._threads.create_index([("nip", ASCENDING), ("created_at", DESCENDING)])
        await self._entries.create_index([("thread_id", ASCENDING), ("at", ASCENDING)])
        await self._ratings.create_index([("nip", ASCENDING), ("period", ASCENDING)])
        await self._coaching.create_index([("nip", ASCENDING), ("date", DESCENDING)])
        await self._audit.create_index([("at", DESCENDING)])
        await self._objections.create_index([("nip", ASCENDING), ("filed_at", DESCENDING)])

    async def thread_with_entries(self, thread_id: str) -> Doc | None:
        thread = await self._threads.find_one({"_id": thread_id})
        if thread is None:
            return None
        versions = [v async for v in self._entries.find({"thread_id": thread_id}).sort("at", 1)]
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

    async def add_thread(self, thread: Doc) -> None:
        await insert_new(self._threads, [thread])  # by its id: a retry finishes the first

    async def add_version(self, version: Doc) -> None:
        await insert_new(self._entries, [version])

    async def threads_of(self, nip: str) -> list[Doc]:
        return [t async for t in self._threads.find({"nip": nip}).sort("created_at", -1)]

    async def acknowledge(self, thread_id: str, at: datetime, by: str) -> bool:
        """False if it was acknowledged already (compare-and-set: once only)."""
        result = await self._threads.update_one(
            {"_id": thread_id, "acknowledged": None},
            {"$set": {"acknowledged": {"at": at, "by": by}}},
        )
        return bool(result.modified_count)

    async def rating(self, rating_id: str) -> Doc | None:
        doc: Doc | None = await self._ratings.find_one({"_id": rating_id})
        return doc

    async def ratings_of(self, nip: str) -> list[Doc]:
        return [d async for d in self._ratings.find({"nip": nip}).sort("at", -1)]

    async def objection(self, objection_id: str) -> Doc | None:
        """An objection with its decision (``decision``: None until decided)."""
        doc: Doc | None = await self._objections.find_one({"_id": objection_id})
        if doc is not None:
            doc["decision"] = await self._decisions.find_one({"_id": objection_id})
        return doc

    async def objections_of(self, nip: str) -> list[Doc]:
        found = [d async for d in self._objections.find({"nip": nip}).sort("filed_at", -1)]
        decided = await find_by_ids(self._decisions, [d["_id"] for d in found])
        return [{**d, "decision": dec} for d, dec in zip(found, decided, strict=True)]

    async def add_coaching(self, session: Doc) -> None:
        await self._coaching.insert_one(session)

    async def coaching_session(self, session_id: str) -> Doc | None:
        doc: Doc | None = await self._coaching.find_one({"_id": session_id})
        return doc

    async def coaching_of(self, nip: str) -> list[Doc]:
        return [d async for d in self._coaching.find({"nip": nip}).sort("date", -1)]

    async def answer_b18(self, session_id: str, answers: Doc) -> bool:
        """False if the session was answered already (once only)."""
        result = await self._coaching.update_one(
            {"_id": session_id, "employee_feedback": None}, {"$set": {"employee_feedback": answers}}
        )
        return bool(result.modified_count)

    async def issue(self, issued: Issued) -> Issued:
        """A code issued again keeps its first issue."""
        return Issued.of(await insert_once(self._documents, issued.record()))

    async def issued(self, code: str) -> Issued | None:
        doc = await self._documents.find_one({"_id": code})
        return Issued.of(doc) if doc else None

    async def record(self, entry: Doc) -> None:
        """One line of the audit log."""
        await self._audit.insert_one(entry)

    async def audit_entries(self, refused_only: bool, limit: int) -> list[Doc]:
        query: Doc = {"allowed": False} if refused_only else {}
        return [d async for d in self._audit.find(query).sort("at", -1).limit(limit)]

    async def last_threads(self, nips: list[str]) -> dict[str, datetime]:
        """When each of ``nips`` last got a feedback thread (those without one are absent)."""
        last: dict[str, datetime] = {}
        async for t in self._threads.find({"nip": {"$in": nips}}, {"nip": 1, "created_at": 1}):
            at = utc(t["created_at"])
            last[t["nip"]] = max(at, last.get(t["nip"], at))
        return last

    async def agreed_actions(self, nips: list[str]) -> list[AgreedAction]:
        """The open agreed actions in the current version of every entry about ``nips``."""
        threads = {
            t["_id"]: t["nip"] async for t in self._threads.find({"nip": {"$in": nips}}, {"nip": 1})
        }
        current: dict[tuple[str, str], Doc] = {}
        query = {"thread_id": {"$in": list(threads)}}
        fields = {"thread_id": 1, "entry_id": 1, "version": 1, "body": 1}
        async for v in self._entries.find(query, fields):
            key = (v["thread_id"], v["entry_id"])
            if v["version"] >= current.get(key, {}).get("version", 0):
                current[key] = v
        return [
            AgreedAction(thread_id, threads[thread_id], a["what"], a["owner_nip"], a["due"])
            for (thread_id, _), v in current.items()
            for a in v["body"].get("actions", [])
            if not a.get("done")
        ]

    async def thread_counts(self, nips: list[str]) -> dict[str, int]:
        """How many threads each of ``nips`` has: one query for a whole page of a team."""
        counts: dict[str, int] = {}
        if not nips:
            return counts
        async for t in self._threads.find({"nip": {"$in": nips}}, {"nip": 1}):
            counts[t["nip"]] = counts.get(t["nip"], 0) + 1
        return counts

"""MongoDB adapter of the notifier: its view of the org chart and calendar, and the history of
every notice, delivery item, notification, delivery attempt and silence.

Collections (owned by the notifier):
- ``people``, ``holidays``: from the reference topic.
- ``alerts``: one per notice (scoring's alert id, or the dialogue event's id) with its status,
  recipients, acknowledgement and escalation state. Inserting the same id twice is how a
  republished alert is recognised.
- ``items``: one per (notice, recipient, channel, escalation level), the grouping's input.
- ``groups``: per group key, when it last notified and when it reminds next.
- ``notifications``: what is (to be) sent, with every attempt; its id is the idempotency key.
- ``inbox``: web notifications in a sortable sequence, read by the live stream.
- ``silences``.

No transactions (FerretDB): each write is idempotent by its ``_id``, and the order of writes
is chosen so a crash at any point is repaired by redoing the step (see ``dispatcher``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, DeleteOne, ReplaceOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from kinerja_shared.mongo import bulk_write_chunked
from notifier.domain.model import Person

Doc = dict[str, Any]
_DUPLICATE = 11000


def _duplicates(exc: BulkWriteError) -> set[Any]:
    errors = exc.details.get("writeErrors", [])
    if any(e.get("code") != _DUPLICATE for e in errors):
        raise exc
    return {e["op"]["_id"] for e in errors}


async def insert_new(collection: Any, docs: Sequence[Doc]) -> set[Any]:
    """Insert ``docs``, ignoring those whose ``_id`` exists; returns the ids that existed."""
    existing: set[Any] = set()
    for start in range(0, len(docs), 50):  # FerretDB: keep commands small (see kinerja_shared)
        try:
            await collection.insert_many(docs[start : start + 50], ordered=False)
        except BulkWriteError as exc:
            existing |= _duplicates(exc)
    return existing


class NotifierStore:
    def __init__(self, db: Any) -> None:
        self.db = db
        self.people = db["people"]
        self.holidays = db["holidays"]
        self.alerts = db["alerts"]
        self.items = db["items"]
        self.groups = db["groups"]
        self.notifications = db["notifications"]
        self.inbox = db["inbox"]
        self.silences = db["silences"]

    async def prepare(self) -> None:
        await self.items.create_index([("status", ASCENDING), ("created_at", ASCENDING)])
        await self.notifications.create_index(
            [("status", ASCENDING), ("next_attempt_at", ASCENDING)]
        )
        await self.notifications.create_index([("item_ids", ASCENDING)])
        await self.notifications.create_index([("notice_ids", ASCENDING)])
        await self.alerts.create_index([("recipients", ASCENDING), ("received_at", DESCENDING)])
        await self.alerts.create_index([("received_at", DESCENDING)])
        await self.alerts.create_index([("nip", ASCENDING)])
        await self.alerts.create_index([("escalation.due_at", ASCENDING)])
        await self.groups.create_index([("repeat_at", ASCENDING)])
        await self.inbox.create_index([("seq", ASCENDING)])
        await self.inbox.create_index([("recipient", ASCENDING), ("seq", ASCENDING)])
        await self.silences.create_index([("ends_at", ASCENDING)])

    # --- reference view ----------------------------------------------------------------------

    async def apply_reference(
        self, people: Iterable[Doc], removed: Iterable[str], holidays: Iterable[date]
    ) -> None:
        ops: list[Any] = [ReplaceOne({"_id": p["_id"]}, p, upsert=True) for p in people]
        ops += [DeleteOne({"_id": nip}) for nip in removed]
        await bulk_write_chunked(self.people, ops)
        days: list[Any] = [
            ReplaceOne({"_id": d.isoformat()}, {"_id": d.isoformat()}, upsert=True)
            for d in holidays
        ]
        await bulk_write_chunked(self.holidays, days)

    async def org_chart(self, nips: Iterable[str], depth: int = 8) -> dict[str, Person]:
        """The people named and their supervisor chains (``depth`` levels), a query per level."""
        found: dict[str, Person] = {}
        wanted = set(nips)
        for _ in range(depth):
            wanted -= found.keys()
            if not wanted:
                break
            next_wanted: set[str] = set()
            async for doc in self.people.find({"_id": {"$in": sorted(wanted)}}):
                person = Person(
                    doc["_id"],
                    doc["name"],
                    doc["unit_code"],
                    doc.get("supervisor_nip"),
                    doc.get("email"),
                )
                found[person.nip] = person
                if person.supervisor_nip:
                    next_wanted.add(person.supervisor_nip)
            wanted = next_wanted
        return found

    async def holiday_dates(self) -> frozenset[date]:
        return frozenset([date.fromisoformat(d["_id"]) async for d in self.holidays.find({})])

    # --- notices and items -------------------------------------------------------------------

    async def insert_alerts(self, docs: Sequence[Doc]) -> set[Any]:
        return await insert_new(self.alerts, docs)

    async def insert_items(self, docs: Sequence[Doc]) -> set[Any]:
        return await insert_new(self.items, docs)

    async def pending_items(self, limit: int) -> list[Doc]:
        cursor = self.items.find({"status": "pending"}).sort("created_at", ASCENDING).limit(limit)
        return [d async for d in cursor]

    async def set_items(self, ids: Sequence[str], fields: Doc) -> None:
        if ids:
            await self.items.update_many(
                {"_id": {"$in": list(ids)}, "status": "pending"}, {"$set": fields}
            )

    async def raise_alert_status(
        self, ids: Iterable[str], status: str, above: Sequence[str]
    ) -> None:
        """Set ``status`` on alerts whose status is one of ``above`` (lower in precedence)."""
        ids = sorted(set(ids))
        if ids:
            await self.alerts.update_many(
                {"_id": {"$in": ids}, "status": {"$in": list(above)}}, {"$set": {"status": status}}
            )

    async def firing_labels(self, nips: Iterable[str]) -> list[tuple[str, dict[str, str]]]:
        cursor = self.alerts.find({"nip": {"$in": sorted(set(nips))}}, {"labels": 1})
        return [(d["_id"], d["labels"]) async for d in cursor]

    async def groups_of(self, keys: Iterable[str]) -> dict[str, Doc]:
        return {d["_id"]: d async for d in self.groups.find({"_id": {"$in": sorted(set(keys))}})}

    async def notifications_holding(self, item_ids: Sequence[str]) -> list[Doc]:
        cursor = self.notifications.find({"item_ids": {"$in": list(item_ids)}}, {"item_ids": 1})
        return [d async for d in cursor]

    async def insert_notification(self, doc: Doc) -> bool:
        try:
            await self.notifications.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def silence_docs(self, now: datetime) -> list[Doc]:
        return [d async for d in self.silences.find({"ends_at": {"$gt": now}})]

    async def purge_before(self, cutoff: datetime) -> int:
        removed = 0
        for collection, field in (
            (self.alerts, "received_at"),
            (self.items, "created_at"),
            (self.notifications, "created_at"),
            (self.inbox, "created_at"),
            (self.silences, "ends_at"),
        ):
            result = await collection.delete_many({field: {"$lt": cutoff}})
            removed += result.deleted_count
        return removed

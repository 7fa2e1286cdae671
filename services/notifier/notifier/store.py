"""MongoDB adapter of the notifier.

History (kept for the retention period; written by insert and by ``_id``, read by the API):
- ``alerts``: one per notice (scoring's alert id, or ``dialog:<event id>``) with its status,
  recipients, acknowledgement, escalation and the deliveries muted by silences or inhibition.
  Inserting the same id twice is how a republished alert is recognised.
- ``notifications``: what is sent to whom over which channel; the id is the idempotency key
  receivers see. ``attempts``: every delivery attempt (``<id>#<n>``) and the final outcome
  (``<id>#final``), inserted, never updated.
- ``silences``.

Work (small: only what is still to do, removed when done):
- ``queue``: delivery items waiting for their group (or for working hours).
- ``waiting``: notices whose people the org chart does not know yet.
- ``outbox``: notifications waiting to be sent or retried (sent by the one replica that holds
  the dispatcher's lease).
- ``reminders``, ``escalations``: groups and notices with a reminder or escalation ahead.
- ``groups`` (when each group last notified), ``inhibitors`` (what mutes what), ``inbox`` (the
  live stream's recent entries, kept for ``stream_retention``).

Why this split: every hot query then scans a small collection or finds by ``_id``. FerretDB 1.24
on SQLite pushes down only ``_id`` equality (measured: a filtered find or an ``$in`` update
scans the whole collection), and on MongoDB the same shape stays cheap at any history size.
No transactions: each write is idempotent by its ``_id``; see ``dispatcher`` for the order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.errors import DuplicateKeyError

from kinerja_shared.leases import Leases
from kinerja_shared.mongo import bulk_write_chunked, delete_by_ids, find_by_ids, insert_new
from kinerja_shared.orgchart import Person
from kinerja_shared.people import PeopleView
from kinerja_shared.reference import Employee
from notifier.domain.model import RANK, Channel, Status

Doc = dict[str, Any]
#: How long the notifier trusts a person it looked up (see ``PeopleView``).
PEOPLE_CACHE_S = 60.0


async def put(collection: Any, doc_id: str, fields: Doc, on_insert: Doc | None = None) -> None:
    """Upsert by ``_id`` as an insert, then an update by ``_id`` if it exists: both are cheap on
    FerretDB, where an upsert scans."""
    try:
        await collection.insert_one({"_id": doc_id, **(on_insert or {}), **fields})
    except DuplicateKeyError:
        await collection.update_one({"_id": doc_id}, {"$set": fields})


class NotifierStore:
    def __init__(self, db: Any) -> None:
        self.db = db
        self.people_view = PeopleView(db, cache_s=PEOPLE_CACHE_S)
        self.people = self.people_view.collection
        self.holidays = db["holidays"]
        self.alerts = db["alerts"]
        self.notifications = db["notifications"]
        self.attempts = db["attempts"]
        self.silences = db["silences"]
        self.queue = db["queue"]
        self.outbox = db["outbox"]
        self.reminders = db["reminders"]
        self.escalations = db["escalations"]
        self.groups = db["groups"]
        self.inhibitors = db["inhibitors"]
        self.inbox = db["inbox"]
        self.waiting = db["waiting"]
        self.preferences = db["preferences"]
        self.leases = Leases(db)

    async def prepare(self) -> None:
        await self.alerts.create_index([("recipients", ASCENDING), ("received_at", DESCENDING)])
        await self.alerts.create_index([("received_at", DESCENDING)])
        await self.notifications.create_index([("notice_ids", ASCENDING)])
        await self.notifications.create_index([("created_at", ASCENDING)])
        await self.attempts.create_index([("notification_id", ASCENDING)])
        await self.outbox.create_index([("next_attempt_at", ASCENDING)])
        await self.inbox.create_index([("seq", ASCENDING)])
        await self.inbox.create_index([("recipient", ASCENDING), ("seq", ASCENDING)])
        await self.silences.create_index([("ends_at", ASCENDING)])

    # --- reference view ----------------------------------------------------------------------

    async def apply_reference(
        self, employees: Iterable[Employee], removed: Iterable[str], holidays: Iterable[date]
    ) -> None:
        await self.people_view.apply(employees, removed)
        await insert_new(self.holidays, [{"_id": d.isoformat()} for d in set(holidays)])

    async def org_chart(self, nips: Iterable[str], depth: int = 8) -> dict[str, Person]:
        """The people named and their supervisor chains, found by ``_id``."""
        return await self.people_view.chart(nips, depth)

    async def opted_out(self, nips: Iterable[str]) -> dict[str, frozenset[Channel]]:
        """The channels each person turned off (``PUT /v1/me/preferences``); a small collection."""
        found: dict[str, frozenset[Channel]] = {}
        async for doc in self.preferences.find({"_id": {"$in": sorted(set(nips))}}):
            found[doc["_id"]] = frozenset(Channel(c) for c in doc.get("off", []))
        return found

    async def holiday_dates(self) -> frozenset[date]:
        return frozenset([date.fromisoformat(d["_id"]) async for d in self.holidays.find({})])

    # --- work ----------------------------------------------------------------------------------

    async def alerts_known(self, ids: Iterable[str]) -> set[str]:
        """Which of these alert ids the history holds (a republished alert is not planned
        again: its group may have notified long ago)."""
        wanted = sorted(set(ids))
        found = await find_by_ids(self.alerts, wanted, {"_id": 1})
        return {i for i, d in zip(wanted, found, strict=True) if d is not None}

    async def last_flushes(self, keys: list[str]) -> dict[str, datetime]:
        """When each of these groups last notified (absent: never)."""
        docs = await find_by_ids(self.groups, keys)
        return {k: d["last_flush_at"] for k, d in zip(keys, docs, strict=True) if d is not None}

    async def mark_flushed(self, keys: list[str], now: datetime) -> None:
        """Insert the groups notifying for the first time, update the others, by ``_id``."""
        known = await insert_new(self.groups, [{"_id": k, "last_flush_at": now} for k in keys])
        update = {"$set": {"last_flush_at": now}}
        await bulk_write_chunked(self.groups, [UpdateOne({"_id": k}, update) for k in known])

    async def due_outbox(self, now: datetime, limit: int) -> list[Doc]:
        """Outbox entries due by ``now``, oldest first (the outbox holds only what is still to
        send, so reading it whole stays cheap)."""
        cursor = self.outbox.find({"next_attempt_at": {"$lte": now}})
        return [d async for d in cursor.sort("next_attempt_at", ASCENDING).limit(limit)]

    async def log_outcomes(
        self,
        attempts: list[Doc],
        retries: list[tuple[str, datetime, str]],
        finished: list[str],
        ranks: dict[str, int],
    ) -> None:
        """Write a batch of delivery outcomes, in this order: the attempts (the log entry,
        inserted), the retries rescheduled, the finished entries out of the outbox, the
        alerts' status raised (never lowered)."""
        await insert_new(self.attempts, attempts)
        await bulk_write_chunked(
            self.outbox,
            [
                UpdateOne(
                    {"_id": i},
                    {"$set": {"next_attempt_at": at, "last_error": error}, "$inc": {"attempts": 1}},
                )
                for i, at, error in retries
            ],
        )
        await self.drop_outbox(finished)
        await bulk_write_chunked(
            self.alerts,
            [UpdateOne({"_id": i}, {"$max": {"rank": rank}}) for i, rank in ranks.items()],
        )

    async def add_to_inbox(self, entry: Doc) -> bool:
        """The live stream's entry; False if its id is there already (sent before a crash)."""
        return not await insert_new(self.inbox, [entry])

    async def inbox_since(
        self, seq: int, recipient: str | None = None, limit: int = 5000
    ) -> list[Doc]:
        query: Doc = {"seq": {"$gt": seq}}
        if recipient is not None:
            query["recipient"] = recipient
        return [e async for e in self.inbox.find(query).sort("seq", ASCENDING).limit(limit)]

    async def issue_ticket(
        self, ticket_id: str, sub: str, roles: Iterable[str], until: datetime
    ) -> None:
        await self.db["stream_tickets"].insert_one(
            {"_id": ticket_id, "sub": sub, "roles": sorted(roles), "until": until}
        )

    async def ticket(self, ticket_id: str) -> Doc | None:
        doc: Doc | None = await self.db["stream_tickets"].find_one({"_id": ticket_id})
        return doc

    async def forget_tickets(self, before: datetime) -> None:
        """Tickets past their minute (a small collection: a ticket per stream opened)."""
        await self.db["stream_tickets"].delete_many({"until": {"$lt": before}})

    async def alerts_page(self, query: Doc, offset: int, limit: int) -> list[Doc]:
        cursor = self.alerts.find(query).sort("received_at", DESCENDING)
        return [d async for d in cursor.skip(offset).limit(limit)]

    async def silences_list(self, query: Doc, limit: int = 1000) -> list[Doc]:
        cursor = self.silences.find(query).sort("starts_at", DESCENDING).limit(limit)
        return [d async for d in cursor]

    async def drop_outbox(self, ids: list[str]) -> None:
        await delete_by_ids(self.outbox, ids)

    async def drop_queued(self, ids: list[str]) -> None:
        await delete_by_ids(self.queue, ids)

    # --- history -------------------------------------------------------------------------------

    async def raise_status(self, alert_id: str, status: Status) -> None:
        """Raise an alert's status to ``status`` unless it already ranks higher."""
        await self.alerts.update_one({"_id": alert_id}, {"$max": {"rank": RANK[status]}})

    async def silence_docs(self, now: datetime) -> list[Doc]:
        return [d async for d in self.silences.find({"ends_at": {"$gt": now}})]

    async def purge_before(self, history_cutoff: datetime, stream_cutoff: datetime) -> int:
        removed = 0
        for collection, field, cutoff in (
            (self.alerts, "received_at", history_cutoff),
            (self.notifications, "created_at", history_cutoff),
            (self.attempts, "at", history_cutoff),
            (self.silences, "ends_at", history_cutoff),
            (self.inhibitors, "at", history_cutoff),
            (self.inbox, "created_at", stream_cutoff),
        ):
            result = await collection.delete_many({field: {"$lt": cutoff}})
            removed += result.deleted_count
        return removed

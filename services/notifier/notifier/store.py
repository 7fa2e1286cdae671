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
from dataclasses import dataclass
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
from notifier.notifications import final_id

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


@dataclass(frozen=True)
class AlertFilter:
    """Which alerts a page lists (``None``: any)."""

    recipient: str | None = None
    rank: int | None = None  # the status, as ranked
    type: str | None = None
    unit: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def query(self) -> Doc:
        query: Doc = {}
        for field, value in (
            ("recipients", self.recipient),
            ("rank", self.rank),
            ("type", self.type),
            ("unit_code", self.unit),
        ):
            if value is not None and value != "":
                query[field] = value
        if self.since or self.until:
            query["received_at"] = {
                **({"$gte": self.since} if self.since else {}),
                **({"$lt": self.until} if self.until else {}),
            }
        return query


class NotifierStore:
    """The only module of the notifier that speaks Mongo: the use cases (the consumer,
    grouping, delivery, follow-ups, the API) call it by what they mean, never a collection."""

    def __init__(self, db: Any) -> None:
        self._db = db
        self.people_view = PeopleView(db, cache_s=PEOPLE_CACHE_S)
        self._holidays = db["holidays"]
        self._alerts = db["alerts"]
        self._notifications = db["notifications"]
        self._attempts = db["attempts"]
        self._silences = db["silences"]
        self._queue = db["queue"]
        self._outbox = db["outbox"]
        self._reminders = db["reminders"]
        self._escalations = db["escalations"]
        self._groups = db["groups"]
        self._inhibitors = db["inhibitors"]
        self._inbox = db["inbox"]
        self._waiting = db["waiting"]
        self._preferences = db["preferences"]
        self.leases = Leases(db)

    async def prepare(self) -> None:
        await self._alerts.create_index([("recipients", ASCENDING), ("received_at", DESCENDING)])
        await self._alerts.create_index([("received_at", DESCENDING)])
        await self._notifications.create_index([("notice_ids", ASCENDING)])
        await self._notifications.create_index([("created_at", ASCENDING)])
        await self._attempts.create_index([("notification_id", ASCENDING)])
        await self._outbox.create_index([("next_attempt_at", ASCENDING)])
        await self._inbox.create_index([("seq", ASCENDING)])
        await self._inbox.create_index([("recipient", ASCENDING), ("seq", ASCENDING)])
        await self._silences.create_index([("ends_at", ASCENDING)])

    # --- reference view ----------------------------------------------------------------------

    async def apply_reference(
        self, employees: Iterable[Employee], removed: Iterable[str], holidays: Iterable[date]
    ) -> None:
        await self.people_view.apply(employees, removed)
        await insert_new(self._holidays, [{"_id": d.isoformat()} for d in set(holidays)])

    async def org_chart(self, nips: Iterable[str], depth: int = 8) -> dict[str, Person]:
        """The people named and their supervisor chains, found by ``_id``."""
        return await self.people_view.chart(nips, depth)

    async def opted_out(self, nips: Iterable[str]) -> dict[str, frozenset[Channel]]:
        """The channels each person turned off (``PUT /v1/me/preferences``); a small collection."""
        found: dict[str, frozenset[Channel]] = {}
        async for doc in self._preferences.find({"_id": {"$in": sorted(set(nips))}}):
            found[doc["_id"]] = frozenset(Channel(c) for c in doc.get("off", []))
        return found

    async def holiday_dates(self) -> frozenset[date]:
        return frozenset([date.fromisoformat(d["_id"]) async for d in self._holidays.find({})])

    # --- work ----------------------------------------------------------------------------------

    async def alerts_known(self, ids: Iterable[str]) -> set[str]:
        """Which of these alert ids the history holds (a republished alert is not planned
        again: its group may have notified long ago)."""
        wanted = sorted(set(ids))
        found = await find_by_ids(self._alerts, wanted, {"_id": 1})
        return {i for i, d in zip(wanted, found, strict=True) if d is not None}

    async def last_flushes(self, keys: list[str]) -> dict[str, datetime]:
        """When each of these groups last notified (absent: never)."""
        docs = await find_by_ids(self._groups, keys)
        return {k: d["last_flush_at"] for k, d in zip(keys, docs, strict=True) if d is not None}

    async def mark_flushed(self, keys: list[str], now: datetime) -> None:
        """Insert the groups notifying for the first time, update the others, by ``_id``."""
        known = await insert_new(self._groups, [{"_id": k, "last_flush_at": now} for k in keys])
        update = {"$set": {"last_flush_at": now}}
        await bulk_write_chunked(self._groups, [UpdateOne({"_id": k}, update) for k in known])

    async def due_outbox(self, now: datetime, limit: int) -> list[Doc]:
        """Outbox entries due by ``now``, oldest first (the outbox holds only what is still to
        send, so reading it whole stays cheap)."""
        cursor = self._outbox.find({"next_attempt_at": {"$lte": now}})
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
        await insert_new(self._attempts, attempts)
        await bulk_write_chunked(
            self._outbox,
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
            self._alerts,
            [UpdateOne({"_id": i}, {"$max": {"rank": rank}}) for i, rank in ranks.items()],
        )

    async def add_to_inbox(self, entry: Doc) -> bool:
        """The live stream's entry; False if its id is there already (sent before a crash)."""
        return not await insert_new(self._inbox, [entry])

    async def inbox_since(
        self, seq: int, recipient: str | None = None, limit: int = 5000
    ) -> list[Doc]:
        query: Doc = {"seq": {"$gt": seq}}
        if recipient is not None:
            query["recipient"] = recipient
        return [e async for e in self._inbox.find(query).sort("seq", ASCENDING).limit(limit)]

    async def issue_ticket(
        self, ticket_id: str, sub: str, roles: Iterable[str], until: datetime
    ) -> None:
        await self._db["stream_tickets"].insert_one(
            {"_id": ticket_id, "sub": sub, "roles": sorted(roles), "until": until}
        )

    async def ticket(self, ticket_id: str) -> Doc | None:
        doc: Doc | None = await self._db["stream_tickets"].find_one({"_id": ticket_id})
        return doc

    async def forget_tickets(self, before: datetime) -> None:
        """Tickets past their minute (a small collection: a ticket per stream opened)."""
        await self._db["stream_tickets"].delete_many({"until": {"$lt": before}})

    async def alerts_page(self, f: AlertFilter, offset: int, limit: int) -> list[Doc]:
        """A page of the history, newest first."""
        cursor = self._alerts.find(f.query()).sort("received_at", DESCENDING)
        return [d async for d in cursor.skip(offset).limit(limit)]

    async def silences_list(self, active_at: datetime | None, limit: int = 1000) -> list[Doc]:
        """Every silence (``None``), or those still active at ``active_at``; newest first."""
        query = {} if active_at is None else {"ends_at": {"$gt": active_at}}
        cursor = self._silences.find(query).sort("starts_at", DESCENDING).limit(limit)
        return [d async for d in cursor]

    async def drop_outbox(self, ids: list[str]) -> None:
        await delete_by_ids(self._outbox, ids)

    async def drop_queued(self, ids: list[str]) -> None:
        await delete_by_ids(self._queue, ids)

    # --- the consumer: notices in, their work planned ----------------------------------------

    async def record_notices(
        self,
        items: list[Doc],
        inhibitors: list[Doc],
        escalations: list[Doc],
        waiting: list[Doc],
        alerts: list[Doc],
    ) -> set[str]:
        """The notices' work first, their alerts last, so that a crash in between leaves an
        alert missing and its redelivered batch writes it (the rest are no-ops by ``_id``).
        Returns the alert ids the history held already."""
        await insert_new(self._queue, items)
        await insert_new(self._inhibitors, inhibitors)
        await insert_new(self._escalations, escalations)
        await insert_new(self._waiting, waiting)
        return await insert_new(self._alerts, alerts)

    async def waiting_alerts(self) -> list[Doc]:
        """The alerts of the notices waiting for the org chart to know their people (an entry
        whose alert is not written yet is left for the next reference batch)."""
        ids = [e["_id"] async for e in self._waiting.find({}, {"_id": 1})]
        return [d for d in await find_by_ids(self._alerts, ids) if d is not None]

    async def replanned(
        self, alert_id: str, items: list[Doc], escalation: Doc | None, alert_fields: Doc
    ) -> None:
        """A waiting notice planned at last: its items and first escalation, then its alert,
        then it leaves the waiting list (each step idempotent, in that order)."""
        await insert_new(self._queue, items)
        if escalation is not None:
            await insert_new(self._escalations, [escalation])
        await self._alerts.update_one({"_id": alert_id}, {"$set": alert_fields})
        await self._waiting.delete_one({"_id": alert_id})

    # --- grouping --------------------------------------------------------------------------

    async def queue_items(self, items: list[Doc]) -> None:
        await insert_new(self._queue, items)

    async def queued(self, limit: int) -> list[Doc]:
        """Delivery items waiting for their group (a small collection, read whole)."""
        return [d async for d in self._queue.find({}).limit(limit)]

    async def add_notifications(self, docs: list[Doc]) -> set[str]:
        """Write notifications to the history; returns the ids it held already."""
        return await insert_new(self._notifications, docs)

    async def notification(self, notification_id: str) -> Doc | None:
        doc: Doc | None = await self._notifications.find_one({"_id": notification_id})
        return doc

    async def finished(self, notification_id: str) -> bool:
        """Whether a notification's final outcome is logged (``<id>#final``)."""
        return await self._attempts.find_one({"_id": final_id(notification_id)}) is not None

    async def add_to_outbox(self, entries: list[Doc]) -> None:
        await insert_new(self._outbox, entries)

    async def record_muted(self, alert_id: str, muted: Doc) -> None:
        await self._alerts.update_one({"_id": alert_id}, {"$push": {"muted": muted}})

    async def inhibitor_source(self, key: str) -> str | None:
        """The notice that inhibits deliveries labelled ``key``, if any."""
        doc = await self._inhibitors.find_one({"_id": key})
        return str(doc["source"]) if doc else None

    async def plan_reminder(self, reminder: Doc) -> None:
        """A group's reminder, or its notices joined to the one it has."""
        if await insert_new(self._reminders, [reminder]):
            await self._reminders.update_one(
                {"_id": reminder["_id"]},
                {"$addToSet": {"notice_ids": {"$each": reminder["notice_ids"]}}},
            )

    # --- follow-ups --------------------------------------------------------------------------

    async def due_reminders(self, now: datetime) -> list[Doc]:
        return [r async for r in self._reminders.find({"repeat_at": {"$lte": now}})]

    async def drop_reminder(self, group_key: str) -> None:
        await self._reminders.delete_one({"_id": group_key})

    async def reminded(self, group_key: str, repeats_before: int, at: datetime) -> None:
        """One more reminder sent; the next one at ``at`` (only if nobody counted it already)."""
        await self._reminders.update_one(
            {"_id": group_key, "repeats": repeats_before},
            {"$set": {"repeats": repeats_before + 1, "repeat_at": at}},
        )

    async def due_escalations(self, now: datetime) -> list[Doc]:
        return [e async for e in self._escalations.find({"due_at": {"$lte": now}})]

    async def drop_escalation(self, alert_id: str) -> None:
        await self._escalations.delete_one({"_id": alert_id})

    async def escalation_next(self, alert_id: str, level: int, due_at: datetime) -> None:
        await self._escalations.update_one(
            {"_id": alert_id}, {"$set": {"level": level, "due_at": due_at}}
        )

    async def record_escalation(self, alert_id: str, escalation: Doc, to: str | None) -> None:
        """The escalation on the alert, and its new recipient among the alert's."""
        await self._alerts.update_one(
            {"_id": alert_id},
            {
                "$set": {"escalation": escalation},
                **({"$addToSet": {"recipients": to}} if to else {}),
            },
        )

    # --- the API -----------------------------------------------------------------------------

    async def alert(self, alert_id: str) -> Doc | None:
        doc: Doc | None = await self._alerts.find_one({"_id": alert_id})
        return doc

    async def notifications_of(self, alert_id: str) -> list[Doc]:
        """An alert's notifications, oldest first, each with its attempts (oldest first)."""
        found = []
        async for n in self._notifications.find({"notice_ids": alert_id}).sort("created_at", 1):
            cursor = self._attempts.find({"notification_id": n["_id"]}).sort("at", 1)
            found.append({**n, "attempts": [a async for a in cursor]})
        return found

    async def acknowledge(self, alert_id: str, ack: Doc) -> Doc | None:
        """Set the acknowledgement unless there is one; None if set now, else the one there."""
        result = await self._alerts.update_one(
            {"_id": alert_id, "ack": None},
            {"$set": {"ack": ack}, "$max": {"rank": RANK[Status.ACKNOWLEDGED]}},
        )
        if result.modified_count == 1:
            return None
        current = await self.alert(alert_id)
        return dict((current or {}).get("ack") or {})

    async def add_silence(self, doc: Doc) -> None:
        await self._silences.insert_one(doc)

    async def expire_silence(self, silence_id: str, now: datetime, by: str) -> bool:
        """End an active silence now; False if there is none by that id."""
        result = await self._silences.update_one(
            {"_id": silence_id, "ends_at": {"$gt": now}},
            {"$set": {"ends_at": now, "expired_by": by}},
        )
        return bool(result.matched_count)

    async def channels_off(self, nip: str) -> frozenset[str]:
        doc = await self._preferences.find_one({"_id": nip}) or {}
        return frozenset(doc.get("off", []))

    async def set_channels_off(self, nip: str, off: list[str], now: datetime) -> None:
        await put(self._preferences, nip, {"off": off, "updated_at": now})

    async def newest_inbox_seq(self) -> int:
        newest = await self._inbox.find_one({}, sort=[("seq", -1)])
        return int(newest["seq"]) if newest else 0

    # --- history -------------------------------------------------------------------------------

    async def raise_status(self, alert_id: str, status: Status) -> None:
        """Raise an alert's status to ``status`` unless it already ranks higher."""
        await self._alerts.update_one({"_id": alert_id}, {"$max": {"rank": RANK[status]}})

    async def silence_docs(self, now: datetime) -> list[Doc]:
        return [d async for d in self._silences.find({"ends_at": {"$gt": now}})]

    async def purge_before(self, history_cutoff: datetime, stream_cutoff: datetime) -> int:
        removed = 0
        for collection, field, cutoff in (
            (self._alerts, "received_at", history_cutoff),
            (self._notifications, "created_at", history_cutoff),
            (self._attempts, "at", history_cutoff),
            (self._silences, "ends_at", history_cutoff),
            (self._inhibitors, "at", history_cutoff),
            (self._inbox, "created_at", stream_cutoff),
        ):
            result = await collection.delete_many({field: {"$lt": cutoff}})
            removed += result.deleted_count
        return removed

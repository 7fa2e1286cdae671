"""Grouping (use case): queued delivery items become notifications when their group is due and
its channel may deliver, minus what a silence or an inhibition mutes.

Crash safety without transactions, by the order of writes: a due group becomes a notification
named by the group and its oldest item; it is written to the history, then to the outbox, then
its items leave the queue. After a crash anywhere in between, the next pass names the same
notification, finds it in the history and finishes exactly that one (its items leave the queue,
its outbox entry is written unless it was already sent); anything that joined the group since
waits for the next notification.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from kinerja_shared.clock import utc
from notifier.domain.model import Status
from notifier.domain.policy import Silence, inhibition_targets, silenced_by
from notifier.domain.routing import RoutingConfig, flush_due_at
from notifier.metrics import NotifierMetrics
from notifier.notifications import (
    notification_doc,
    notification_id,
    opens_at,
    outbox_entry,
    silence,
)
from notifier.store import NotifierStore

Item = dict[str, Any]


class Grouping:
    def __init__(
        self, store: NotifierStore, config: RoutingConfig, metrics: NotifierMetrics, limit: int
    ) -> None:
        self._store = store
        self._config = config
        self._metrics = metrics
        self._limit = limit

    async def flush(self, now: datetime, holidays: frozenset[date]) -> int:
        """Group queued items; turn the groups that are due and allowed now into notifications.
        Returns how many notifications it made."""
        store = self._store
        due = await self._due_groups(now, holidays)
        if not due:
            return 0
        silences = [silence(d) for d in await store.silence_docs(now)]
        inhibitors: dict[str, str | None] = {}
        done: list[str] = []
        docs: list[Item] = []
        for key, members in due.items():
            keep = []
            for m in members:
                why = await self._muted_by(m, silences, inhibitors, now)
                if why is None:
                    keep.append(m)
                else:
                    done.append(m["_id"])
                    await self._mute(m, *why, now)
            if keep:
                # The group's oldest item names the notification: redoing this step after a
                # crash names the same one, whatever joined the group since.
                keep.sort(key=lambda m: (m["created_at"], m["_id"]))
                docs.append(self._notification(notification_id(key, [keep[0]["_id"]]), keep, now))
        made = await self._written(docs, done)
        await store.add_to_outbox([outbox_entry(d) for d in made])
        await store.mark_flushed([d["group_key"] for d in made], now)
        for doc in made:
            await self._plan_reminder(doc, now)
        await store.drop_queued(done)
        return len(made)

    async def _due_groups(self, now: datetime, holidays: frozenset[date]) -> dict[str, list[Item]]:
        """The queued groups whose wait is over and whose channel may deliver now."""
        items = await self._store.queued(self._limit)
        groups: dict[str, list[Item]] = defaultdict(list)
        for item in items:
            groups[item["group_key"]].append(item)
        due: dict[str, list[Item]] = {}
        queued = 0
        oldest = {k: min(utc(m["created_at"]) for m in ms) for k, ms in groups.items()}
        # No group can be due before its oldest item has waited group_wait.
        waited = [
            k
            for k, ms in groups.items()
            if oldest[k] + timedelta(seconds=self._config.timers(ms[0]["route"]).group_wait) <= now
        ]
        flushed = await self._store.last_flushes(waited)
        for key in waited:
            members = groups[key]
            first = members[0]
            timers = self._config.timers(first["route"])
            last = utc(flushed[key]) if key in flushed else None
            if flush_due_at(oldest[key], last, timers) > now:
                continue
            if opens_at(self._config, first, now, holidays) > now:
                queued += len(members)  # quiet hours: it waits, it is not dropped
                continue
            due[key] = members
        self._metrics.pending.labels("queued_for_working_hours").set(queued)
        self._metrics.pending.labels("items").set(len(items))
        return due

    async def _written(self, docs: list[Item], done: list[str]) -> list[Item]:
        """The notifications written to the history now, and those a crash left there still to
        finish (their items join ``done``)."""
        store = self._store
        existing = await store.add_notifications(docs)
        made = []
        for doc in docs:
            if doc["_id"] in existing:
                # Written before a crash: finish that one, with exactly the items it holds.
                doc = await store.notification(doc["_id"]) or doc
                if await store.finished(doc["_id"]):
                    done.extend(doc["item_ids"])
                    continue
            made.append(doc)
            done.extend(doc["item_ids"])
        return made

    async def _mute(self, item: Item, reason: str, source: str, now: datetime) -> None:
        self._metrics.muted.labels(reason).inc()
        muted = {
            "recipient": item["recipient"]["id"],
            "channel": item["channel"],
            "reason": reason,
            "by": source,
            "at": now,
        }
        await self._store.record_muted(item["notice_id"], muted)
        await self._store.raise_status(item["notice_id"], Status(reason))

    async def _muted_by(
        self,
        item: Item,
        silences: list[Silence],
        inhibitors: dict[str, str | None],
        now: datetime,
    ) -> tuple[str, str] | None:
        labels = item["labels"]
        if silenced := silenced_by(labels, silences, now):
            return "silenced", silenced
        for key in inhibition_targets(labels, self._config.inhibit_rules):
            if key not in inhibitors:
                inhibitors[key] = await self._store.inhibitor_source(key)
            if source := inhibitors[key]:
                return "inhibited", source
        return None

    def _notification(self, doc_id: str, members: list[Item], now: datetime) -> Item:
        notices = {m["notice_id"]: m["notice"] for m in members}
        return notification_doc(
            doc_id,
            members[0],
            list(notices.values()),
            now,
            item_ids=sorted(m["_id"] for m in members),
            escalated=max(m["escalation_level"] for m in members) > 0,
            first_received_at=min(utc(m["created_at"]) for m in members),
        )

    async def _plan_reminder(self, doc: Item, now: datetime) -> None:
        key = doc["group_key"]
        timers = self._config.timers(doc["route"])
        if not (timers.repeat_interval and timers.max_repeats):
            return
        reminder = {
            "_id": key,
            "repeat_at": now + timedelta(seconds=timers.repeat_interval),
            "repeats": 0,
            "notice_ids": doc["notice_ids"],
            **{k: doc[k] for k in ("route", "receiver", "channel", "urgent", "recipient")},
        }
        await self._store.plan_reminder(reminder)

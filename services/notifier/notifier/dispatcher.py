"""The dispatcher: one pass (``tick``) turns pending delivery items into notifications and
delivers them, then sends reminders and escalations. The service runs it in a loop; tests call
it with a manual clock.

Crash safety without transactions, by the order of writes:
1. A notification is inserted with the ids of the items it carries (its ``_id`` is a hash of
   them, so redoing the step inserts nothing new), then the items are marked. After a crash in
   between, the next pass finds the items inside an existing notification and only marks them.
2. A notification is claimed with a lease, sent, then its outcome is written. A crash between the
   send and that write is the one window in which a notification can go out twice; every
   notification carries its id as the idempotency key (``Idempotency-Key`` header, e-mail
   Message-ID, the stream's event id) so receivers can drop the repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from faststream.kafka import KafkaBroker
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from kinerja_shared.dlq import H_DETAIL, H_REASON, H_SERVICE, DlqReason
from notifier.channels import EmailSender, Outcome, WebhookSender
from notifier.clock import Clock
from notifier.domain.model import Channel, Recipient, Status
from notifier.domain.planning import plan
from notifier.domain.policy import (
    Silence,
    add_working_days,
    backoff_s,
    inhibited_by,
    silenced_by,
)
from notifier.domain.recipients import escalation_target
from notifier.domain.routing import (
    Matcher,
    RoutingConfig,
    deliverable_from,
    flush_due_at,
)
from notifier.metrics import NotifierMetrics
from notifier.notices import item_docs, notice_from_doc
from notifier.store import NotifierStore

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Lower-precedence statuses each status may replace on an alert.
_BELOW = {
    Status.SENT: ["pending", "silenced", "inhibited", "failed"],
    Status.FAILED: ["pending", "silenced", "inhibited"],
    Status.SILENCED: ["pending"],
    Status.INHIBITED: ["pending"],
}


def notification_id(group_key: str, item_ids: list[str], suffix: str = "") -> str:
    digest = hashlib.sha256(f"{group_key}|{','.join(sorted(item_ids))}|{suffix}".encode())
    return digest.hexdigest()[:32]


@dataclass
class Senders:
    webhook: WebhookSender
    email: EmailSender | None
    webhook_secrets: dict[str, str]  # receiver name → signing secret


class Sequencer:
    """Sortable ids for the web inbox: wall-clock nanoseconds, strictly increasing here."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        self._last = max(self._last + 1, time.time_ns())
        return self._last


class Dispatcher:
    def __init__(
        self,
        store: NotifierStore,
        config: RoutingConfig,
        clock: Clock,
        senders: Senders,
        broker: KafkaBroker,
        dlq_topic: str,
        metrics: NotifierMetrics,
        *,
        batch_limit: int = 5000,
        concurrency: int = 32,
        lease_s: float = 60.0,
    ) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._senders = senders
        self._broker = broker
        self._dlq_topic = dlq_topic
        self._metrics = metrics
        self._limit = batch_limit
        self._concurrency = asyncio.Semaphore(concurrency)
        self._lease = timedelta(seconds=lease_s)
        self._owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._sequence = Sequencer()
        self._holidays: frozenset[date] = frozenset()
        self._holidays_at: datetime | None = None
        self._purged_at: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    # --- loop ----------------------------------------------------------------------------------

    def start(self, interval_s: float) -> None:
        if interval_s > 0:
            self._task = asyncio.create_task(self._run(interval_s), name="notifier-dispatcher")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self, interval_s: float) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # a store outage: log, wait, try again; nothing is lost
                log.exception("dispatch pass failed; retrying")
            await asyncio.sleep(interval_s)

    async def tick(self) -> None:
        started = time.perf_counter()
        now = self._clock.now()
        holidays = await self._holiday_dates(now)
        await self.escalate(now, holidays)
        await self.flush(now, holidays)
        await self.remind(now, holidays)
        await self.deliver(now)
        if self._purged_at is None or now - self._purged_at > timedelta(hours=1):
            cutoff = now - timedelta(days=self._config.retention_days)
            removed = await self._store.purge_before(cutoff)
            if removed:
                log.info("history past retention removed", extra={"documents": removed})
            self._purged_at = now
        self._metrics.tick_seconds.observe(time.perf_counter() - started)

    @property
    def holidays(self) -> frozenset[date]:
        """The holidays as of the last pass (escalation counts working days by them)."""
        return self._holidays

    async def load_holidays(self) -> None:
        self._holidays = await self._store.holiday_dates()
        self._holidays_at = self._clock.now()

    async def _holiday_dates(self, now: datetime) -> frozenset[date]:
        if self._holidays_at is None or now - self._holidays_at > timedelta(minutes=1):
            self._holidays = await self._store.holiday_dates()
            self._holidays_at = now
        return self._holidays

    # --- grouping ------------------------------------------------------------------------------

    async def flush(self, now: datetime, holidays: frozenset[date]) -> int:
        """Group pending items; send the groups that are due and allowed now. Returns how many
        notifications it created."""
        items = await self._store.pending_items(self._limit)
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in items:
            groups[item["group_key"]].append(item)
        states = await self._store.groups_of(groups) if groups else {}
        due: dict[str, list[dict[str, Any]]] = {}
        queued = 0
        for key, members in groups.items():
            first = members[0]
            timers = self._config.timers(first["route"])
            last = states.get(key, {}).get("last_flush_at")
            oldest = min(_aware(m["created_at"]) for m in members)
            if flush_due_at(oldest, _aware(last) if last else None, timers) > now:
                continue
            receiver = self._config.receiver(first["receiver"])
            channel = Channel(first["channel"])
            opens = deliverable_from(
                self._config, receiver, channel, now, holidays, urgent=first["urgent"]
            )
            if opens > now:
                queued += len(members)  # quiet hours: it waits, it is not dropped
                continue
            due[key] = members
        self._metrics.pending.labels("queued_for_working_hours").set(queued)
        self._metrics.pending.labels("items").set(len(items))
        if not due:
            return 0
        silences = [_silence(d) for d in await self._store.silence_docs(now)]
        firing: list[tuple[str, dict[str, str]]] = []
        if self._config.inhibit_rules:
            nips = {m["labels"]["nip"] for members in due.values() for m in members}
            firing = await self._store.firing_labels(nips)
        created = 0
        muted: dict[str, list[str]] = {"silenced": [], "inhibited": []}
        for key, members in due.items():
            keep = []
            for m in members:
                if silence := silenced_by(m["labels"], silences, now):
                    await self._store.set_items([m["_id"]], {"status": "silenced", "why": silence})
                    muted["silenced"].append(m["notice_id"])
                elif source := inhibited_by(m["labels"], firing, self._config.inhibit_rules):
                    await self._store.set_items([m["_id"]], {"status": "inhibited", "why": source})
                    muted["inhibited"].append(m["notice_id"])
                else:
                    keep.append(m)
            if keep:
                created += await self._notify(key, keep, now)
        for reason, ids in muted.items():
            self._metrics.muted.labels(reason).inc(len(ids))
            await self._store.raise_alert_status(ids, reason, _BELOW[Status(reason)])
        return created

    async def _notify(self, key: str, members: list[dict[str, Any]], now: datetime) -> int:
        ids = [m["_id"] for m in members]
        # Repair after a crash: items already inside a notification are only marked.
        for held in await self._store.notifications_holding(ids):
            inside = [i for i in ids if i in set(held["item_ids"])]
            await self._store.set_items(
                inside, {"status": "notified", "notification_id": held["_id"]}
            )
            members = [m for m in members if m["_id"] not in set(inside)]
        if not members:
            return 0
        first = members[0]
        ids = sorted(m["_id"] for m in members)
        notices = {m["notice_id"]: m["notice"] for m in members}
        doc_id = notification_id(key, ids)
        await self._store.insert_notification(
            {
                "_id": doc_id,
                "group_key": key,
                "route": first["route"],
                "receiver": first["receiver"],
                "channel": first["channel"],
                "urgent": first["urgent"],
                "recipient": first["recipient"],
                "item_ids": ids,
                "notice_ids": sorted(notices),
                "notices": list(notices.values()),
                "reminder": False,
                "escalated": max(m["escalation_level"] for m in members) > 0,
                "status": Status.PENDING.value,
                "created_at": now,
                "first_received_at": min(_aware(m["created_at"]) for m in members),
                "next_attempt_at": now,
                "lease_until": _EPOCH,
                "attempts": [],
            }
        )
        await self._store.set_items(ids, {"status": "notified", "notification_id": doc_id})
        timers = self._config.timers(first["route"])
        repeat_at = (
            now + timedelta(seconds=timers.repeat_interval)
            if timers.repeat_interval and timers.max_repeats
            else None
        )
        await self._store.groups.update_one(
            {"_id": key},
            {
                "$set": {
                    "last_flush_at": now,
                    "route": first["route"],
                    "receiver": first["receiver"],
                    "channel": first["channel"],
                    "urgent": first["urgent"],
                    "recipient": first["recipient"],
                },
                "$addToSet": {"notice_ids": {"$each": sorted(notices)}},
                "$setOnInsert": {"repeats": 0, "repeat_at": repeat_at},
            },
            upsert=True,
        )
        if repeat_at is not None:
            # A new notification restarts the reminder clock only if none is running.
            await self._store.groups.update_one(
                {"_id": key, "repeat_at": None}, {"$set": {"repeat_at": repeat_at}}
            )
        return 1

    # --- delivery ------------------------------------------------------------------------------

    async def deliver(self, now: datetime) -> int:
        """Send the notifications that are due (new, or retrying); returns how many went out."""
        store = self._store
        query = {
            "status": "pending",
            "next_attempt_at": {"$lte": now},
            "lease_until": {"$lte": now},
        }
        candidates = [
            d["_id"]
            async for d in store.notifications.find(query, {"_id": 1})
            .sort("next_attempt_at", ASCENDING)
            .limit(self._limit)
        ]
        self._metrics.pending.labels("notifications").set(len(candidates))
        if not candidates:
            return 0
        # Claim with a lease, so two notifier instances never send the same notification.
        token = f"{self._owner}-{uuid.uuid4().hex[:8]}"
        await store.notifications.update_many(
            {**query, "_id": {"$in": candidates}},
            {"$set": {"lease_until": now + self._lease, "lease_owner": token}},
        )
        claimed = [
            d
            async for d in store.notifications.find(
                {"_id": {"$in": candidates}, "lease_owner": token}
            )
        ]
        results = await asyncio.gather(*(self._attempt(doc, now) for doc in claimed))
        sent = [doc for doc, ok in zip(claimed, results, strict=True) if ok is True]
        failed = [doc for doc, ok in zip(claimed, results, strict=True) if ok is False]
        await store.raise_alert_status(
            (n for doc in sent for n in doc["notice_ids"]), Status.SENT, _BELOW[Status.SENT]
        )
        await store.raise_alert_status(
            (n for doc in failed for n in doc["notice_ids"]), Status.FAILED, _BELOW[Status.FAILED]
        )
        return len(sent)

    async def _attempt(self, doc: dict[str, Any], now: datetime) -> bool | None:
        """One attempt: True sent, False given up, None to be retried."""
        channel = doc["channel"]
        async with self._concurrency:
            started = time.perf_counter()
            try:
                outcome = await self._send(doc)
            except Exception as exc:  # a bug in a channel must not stop the others
                log.exception("delivery raised", extra={"notification": doc["_id"]})
                outcome = Outcome(False, True, f"{type(exc).__name__}: {exc}")
            took = time.perf_counter() - started
        attempt = {
            "at": now,
            "ok": outcome.ok,
            "status": outcome.status,
            "error": outcome.error or None,
            "duration_ms": round(took * 1000, 1),
        }
        n = len(doc.get("attempts", [])) + 1
        age = (now - _aware(doc["created_at"])).total_seconds()
        if outcome.ok:
            update = {"status": Status.SENT.value, "sent_at": now, "lease_until": _EPOCH}
            result: bool | None = True
            self._metrics.attempts.labels(channel, "ok").inc()
            self._metrics.notifications.labels(channel, "sent").inc()
            self._metrics.latency.labels(channel).observe(
                max(0.0, (self._clock.now() - _aware(doc["first_received_at"])).total_seconds())
            )
        elif outcome.retryable and age < self._config.retry_max_age_s:
            wait = backoff_s(
                n, self._config.retry_base_s, self._config.retry_cap_s, outcome.retry_after_s
            )
            update = {
                "next_attempt_at": now + timedelta(seconds=wait),
                "last_error": outcome.error,
                "lease_until": _EPOCH,
            }
            result = None
            self._metrics.attempts.labels(channel, "retry").inc()
            self._metrics.retries.labels(channel).inc()
        else:
            update = {
                "status": Status.FAILED.value,
                "last_error": outcome.error,
                "lease_until": _EPOCH,
            }
            result = False
            self._metrics.attempts.labels(channel, "give_up").inc()
            self._metrics.notifications.labels(channel, "failed").inc()
        await self._store.notifications.update_one(
            {"_id": doc["_id"]}, {"$set": update, "$push": {"attempts": attempt}}
        )
        if result is False:
            await self._dead_letter(doc, attempt, outcome.error)
        return result

    async def _send(self, doc: dict[str, Any]) -> Outcome:
        recipient = doc["recipient"]
        body = {
            "notification_id": doc["_id"],
            "recipient": recipient,
            "channel": doc["channel"],
            "reminder": doc["reminder"],
            "escalated": doc["escalated"],
            "notices": doc["notices"],
        }
        match doc["channel"]:
            case Channel.WEB:
                # A duplicate id means it was sent before a crash: the stream has it already.
                with contextlib.suppress(DuplicateKeyError):
                    await self._store.inbox.insert_one(
                        {
                            "_id": doc["_id"],
                            "seq": self._sequence.next(),
                            "recipient": recipient["id"],
                            "created_at": self._clock.now(),
                            "event": body,
                        }
                    )
                return Outcome(True)
            case Channel.EMAIL:
                if self._senders.email is None:
                    return Outcome(False, False, "e-mail is not configured")
                return await self._senders.email.send(recipient["email"], doc["_id"], body)
            case _:
                receiver = self._config.receiver(doc["receiver"])
                assert receiver.webhook is not None  # checked when the routing file loads
                return await self._senders.webhook.send(
                    receiver.webhook.url,
                    self._senders.webhook_secrets.get(receiver.name),
                    doc["_id"],
                    body,
                    receiver.webhook.timeout_s,
                )

    async def _dead_letter(self, doc: dict[str, Any], attempt: dict[str, Any], error: str) -> None:
        record = {k: v for k, v in doc.items() if k not in ("lease_until", "lease_owner")}
        record["attempts"] = [*doc.get("attempts", []), attempt]
        await self._broker.publish(
            json.dumps(record, default=str).encode(),
            self._dlq_topic,
            key=doc["recipient"]["id"].encode(),
            headers={
                H_REASON: DlqReason.DELIVERY_FAILED.value,
                H_DETAIL: error[:1000],
                H_SERVICE: "notifier",
            },
        )
        self._metrics.dlq.labels("notifier", DlqReason.DELIVERY_FAILED.value).inc()
        log.warning(
            "notification given up",
            extra={"notification": doc["_id"], "channel": doc["channel"], "error": error},
        )

    # --- reminders and escalation ------------------------------------------------------------

    async def remind(self, now: datetime, holidays: frozenset[date]) -> int:
        """Remind of notices still unacknowledged ``repeat_interval`` after the last one."""
        created = 0
        groups = self._store.groups.find({"repeat_at": {"$lte": now}}).limit(self._limit)
        async for group in groups:
            timers = self._config.timers(group["route"])
            open_docs = [
                d
                async for d in self._store.alerts.find(
                    {"_id": {"$in": group["notice_ids"]}, "status": Status.SENT.value}
                )
            ]
            if not open_docs or group["repeats"] >= timers.max_repeats:
                await self._store.groups.update_one(
                    {"_id": group["_id"]}, {"$set": {"repeat_at": None}}
                )
                continue
            receiver = self._config.receiver(group["receiver"])
            opens = deliverable_from(
                self._config,
                receiver,
                Channel(group["channel"]),
                now,
                holidays,
                urgent=group["urgent"],
            )
            if opens > now:
                continue
            repeat = group["repeats"] + 1
            notices = [_summary_of(d) for d in open_docs]
            doc_id = notification_id(group["_id"], [n["id"] for n in notices], f"repeat-{repeat}")
            await self._store.insert_notification(
                {
                    "_id": doc_id,
                    "group_key": group["_id"],
                    "route": group["route"],
                    "receiver": group["receiver"],
                    "channel": group["channel"],
                    "urgent": group["urgent"],
                    "recipient": group["recipient"],
                    "item_ids": [],
                    "notice_ids": sorted(n["id"] for n in notices),
                    "notices": notices,
                    "reminder": True,
                    "escalated": False,
                    "status": Status.PENDING.value,
                    "created_at": now,
                    "first_received_at": now,
                    "next_attempt_at": now,
                    "lease_until": _EPOCH,
                    "attempts": [],
                }
            )
            await self._store.groups.update_one(
                {"_id": group["_id"], "repeats": group["repeats"]},
                {
                    "$set": {
                        "repeats": repeat,
                        "repeat_at": now + timedelta(seconds=timers.repeat_interval),
                    }
                },
            )
            created += 1
        return created

    async def escalate(self, now: datetime, holidays: frozenset[date]) -> int:
        """Send unacknowledged notices one level up the chain once their working days pass."""
        escalation = self._config.escalation
        due = [
            d
            async for d in self._store.alerts.find(
                {"escalation.due_at": {"$lte": now}, "status": Status.SENT.value}
            ).limit(self._limit)
        ]
        for doc in due:
            notice = notice_from_doc(doc)
            level = doc["escalation"]["level"] + 1
            chart = await self._store.org_chart([notice.nip])
            target: Recipient | None = escalation_target(notice, level, chart.get)
            next_due = (
                add_working_days(now, escalation.after_working_days, holidays)
                if level < escalation.max_levels
                else None
            )
            if target is not None:
                deliveries, _ = plan(
                    notice,
                    self._config,
                    chart.get,
                    email_enabled=self._senders.email is not None,
                    recipients=[target],
                    escalation_level=level,
                )
                await self._store.insert_items(item_docs(notice, deliveries, now))
                self._metrics.escalations.inc()
            await self._store.alerts.update_one(
                {"_id": doc["_id"], "escalation.level": level - 1},
                {
                    "$set": {
                        "escalation": {
                            "level": level,
                            "due_at": next_due if target is not None else None,
                            "escalated_at": now,
                            "to": target.id if target else None,
                        }
                    },
                    **({"$addToSet": {"recipients": target.id}} if target else {}),
                },
            )
        return len(due)


def _aware(at: datetime) -> datetime:
    """MongoDB gives naive UTC datetimes back unless the client is tz-aware."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _silence(doc: dict[str, Any]) -> Silence:
    return Silence(
        doc["_id"],
        tuple(Matcher.model_validate(m) for m in doc["matchers"]),
        _aware(doc["starts_at"]),
        _aware(doc["ends_at"]),
    )


def _summary_of(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": doc["_id"],
        "type": doc["type"],
        "title": doc["title"],
        "nip": doc["nip"],
        "unit_code": doc.get("unit_code"),
        "period": doc["period"],
        "level": doc.get("level"),
        "reasons": doc.get("reasons", []),
    }

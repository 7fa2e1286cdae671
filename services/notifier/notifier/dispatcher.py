"""The dispatcher: one pass (``tick``) turns pending delivery items into notifications and
delivers them, then sends reminders and escalations. The service runs it in a loop; tests call
it with a manual clock.

Crash safety without transactions, by the order of writes:
1. Grouping: a due group becomes a notification named by the group and its oldest item; it is
   written to the history, then to the outbox, then its items leave the queue. After a crash
   anywhere in between, the next pass names the same notification, finds it in the history and
   finishes exactly that one (its items leave the queue, its outbox entry is written unless it
   was already sent); anything that joined the group since waits for the next notification.
2. Delivery: only the replica holding the dispatcher's lease sends, and it renews the lease
   before each send, so a slow pass never outlives it. An entry is sent, its outcome written to
   the history (the log entry) and the entry removed, all before its concurrency slot is
   released; an entry that may have been sent by an earlier holder (it is older than this
   holder's lease, or was tried before) is first looked up, and only removed if its history
   already holds an outcome. A crash between a send and its log
   entry is the one window in which a notification can go out twice, so at most
   ``concurrency`` of them; every
   notification carries its id as the idempotency key (``Idempotency-Key`` header, e-mail
   Message-ID, the stream's event id) so receivers can drop the repeat.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from faststream.kafka import KafkaBroker

from kinerja_shared.clock import Clock
from kinerja_shared.dlq import H_DETAIL, H_REASON, H_SERVICE, DlqReason
from kinerja_shared.mongo import insert_new
from kinerja_shared.periodic import Periodic
from notifier.channels import EmailSender, Outcome, WebhookSender
from notifier.domain.model import RANK, Channel, Recipient, Status
from notifier.domain.planning import plan
from notifier.domain.policy import (
    Silence,
    add_working_days,
    backoff_s,
    inhibition_targets,
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
from notifier.notices import item_docs, notice_from_doc, summary
from notifier.store import NotifierStore

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: The lease whose holder groups, reminds, escalates and delivers.
LEASE = "dispatcher"
#: Reminders and escalations are due in hours and working days: they are looked for this often,
#: not on every pass (their collections hold every open alert, so a look reads them all).
FOLLOW_UP_EVERY = timedelta(seconds=15)


def final_id(notification: str) -> str:
    """The id of a notification's final outcome in ``attempts``: found by ``_id``, cheaply."""
    return f"{notification}#final"


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


@dataclass(frozen=True)
class _Logged:
    doc: dict[str, Any]
    outcome: Outcome
    result: bool | None
    at: datetime
    took: float


class GroupCommit:
    """Writes delivery outcomes in batches from one task: concurrent sends would otherwise be
    concurrent small writes, which SQLite (FerretDB) serialises badly. ``record`` returns once
    its entry is written, so a caller holds its slot until then."""

    def __init__(self, write: Callable[[list[_Logged]], Awaitable[None]], limit: int = 500) -> None:
        self._write = write
        self._limit = limit
        self._queue: asyncio.Queue[tuple[_Logged, asyncio.Future[None]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def record(self, entry: _Logged) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="notifier-outcome-log")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((entry, done))
        await done

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < self._limit:
                batch.append(self._queue.get_nowait())
            try:
                await self._write([entry for entry, _ in batch])
            except Exception as exc:  # noqa: BLE001 - every waiter gets the store error
                for _, done in batch:
                    done.set_exception(exc)
            else:
                for _, done in batch:
                    done.set_result(None)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


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
        stream_retention: timedelta = timedelta(days=3),
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
        self._stream_retention = stream_retention
        self._owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._sequence = Sequencer()
        self._holidays: frozenset[date] = frozenset()
        self._holidays_at: datetime | None = None
        self._purged_at: datetime | None = None
        self._loops: list[Periodic] = []
        self._log = GroupCommit(self._write_outcomes)
        self._known_sent: OrderedDict[str, bool] = OrderedDict()
        self._held_since: datetime | None = None
        self._followed_up_at: datetime | None = None
        self._lease_until = _EPOCH
        self._renewing = asyncio.Lock()

    # --- loop ----------------------------------------------------------------------------------

    def start(self, interval_s: float) -> None:
        """Two loops: planning (group, remind, escalate) and delivery, so a slow send never
        holds back the grouping, and a busy grouping never holds back the sends."""
        if interval_s > 0:  # 0: the caller runs the passes (tests with a manual clock)
            self._loops = [
                Periodic("notifier-planning", self.plan, interval_s),
                Periodic("notifier-delivery", self.deliver_due, interval_s),
            ]
            for loop in self._loops:
                loop.start()

    async def stop(self) -> None:
        for loop in self._loops:
            await loop.stop()
        await self._log.stop()
        if self._held_since is not None:  # a restarted replica takes over at once
            await self._store.leases.release(LEASE, self._owner)

    async def tick(self) -> None:
        """One pass of both loops, one after the other (what tests drive)."""
        await self.plan()
        await self.deliver_due()

    async def plan(self) -> None:
        """Escalate what is due, group what is queued, remind; purge the history hourly."""
        started = time.perf_counter()
        now = self._clock.now()
        if not await self._hold(now):
            return  # another replica dispatches
        holidays = await self._holiday_dates(now)
        followups = self._followed_up_at is None or now - self._followed_up_at >= FOLLOW_UP_EVERY
        if followups:
            await self.escalate(now, holidays)
        await self.flush(now, holidays)
        if followups:
            await self.remind(now, holidays)
            self._followed_up_at = now
        if self._purged_at is None or now - self._purged_at > timedelta(hours=1):
            removed = await self._store.purge_before(
                now - timedelta(days=self._config.retention_days), now - self._stream_retention
            )
            if removed:
                log.info("history past retention removed", extra={"documents": removed})
            self._purged_at = now
        self._metrics.tick_seconds.observe(time.perf_counter() - started)

    async def deliver_due(self) -> int:
        """Send what the outbox holds, if this replica holds the lease."""
        now = self._clock.now()
        if self._held_since is None and not await self._hold(now):
            return 0
        return await self.deliver(now)

    @property
    def holidays(self) -> frozenset[date]:
        """The holidays as of the last pass (escalation counts working days by them)."""
        return self._holidays

    async def load_holidays(self) -> None:
        self._holidays = await self._store.holiday_dates()
        self._holidays_at = self._clock.now()

    async def _holiday_dates(self, now: datetime) -> frozenset[date]:
        if self._holidays_at is None or abs(now - self._holidays_at) > timedelta(minutes=1):
            await self.load_holidays()
        return self._holidays

    # --- grouping ------------------------------------------------------------------------------

    async def flush(self, now: datetime, holidays: frozenset[date]) -> int:
        """Group queued items; turn the groups that are due and allowed now into notifications.
        Returns how many notifications it made."""
        store = self._store
        items = [d async for d in store.queue.find({}).limit(self._limit)]
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in items:
            groups[item["group_key"]].append(item)
        due: dict[str, list[dict[str, Any]]] = {}
        queued = 0
        oldest = {k: min(_aware(m["created_at"]) for m in ms) for k, ms in groups.items()}
        # No group can be due before its oldest item has waited group_wait.
        waited = [
            k
            for k, ms in groups.items()
            if oldest[k] + timedelta(seconds=self._config.timers(ms[0]["route"]).group_wait) <= now
        ]
        flushed = await store.last_flushes(waited)
        for key in waited:
            members = groups[key]
            first = members[0]
            timers = self._config.timers(first["route"])
            last = _aware(flushed[key]) if key in flushed else None
            if flush_due_at(oldest[key], last, timers) > now:
                continue
            if self._opens_at(first, now, holidays) > now:
                queued += len(members)  # quiet hours: it waits, it is not dropped
                continue
            due[key] = members
        self._metrics.pending.labels("queued_for_working_hours").set(queued)
        self._metrics.pending.labels("items").set(len(items))
        if not due:
            return 0
        silences = [_silence(d) for d in await store.silence_docs(now)]
        inhibitors: dict[str, str | None] = {}
        done: list[str] = []
        docs: list[dict[str, Any]] = []
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
        existing = await insert_new(store.notifications, docs)
        made = []
        for doc in docs:
            if doc["_id"] in existing:
                # Written before a crash: finish that one, with exactly the items it holds.
                doc = await store.notifications.find_one({"_id": doc["_id"]}) or doc
                if await store.attempts.find_one({"_id": final_id(doc["_id"])}):
                    done.extend(doc["item_ids"])
                    continue
            made.append(doc)
            done.extend(doc["item_ids"])
        await insert_new(store.outbox, [_outbox_entry(d) for d in made])
        await store.mark_flushed([d["group_key"] for d in made], now)
        for doc in made:
            await self._plan_reminder(doc, now)
        await store.drop_queued(done)
        return len(made)

    async def _mute(self, item: dict[str, Any], reason: str, source: str, now: datetime) -> None:
        self._metrics.muted.labels(reason).inc()
        muted = {
            "recipient": item["recipient"]["id"],
            "channel": item["channel"],
            "reason": reason,
            "by": source,
            "at": now,
        }
        await self._store.alerts.update_one({"_id": item["notice_id"]}, {"$push": {"muted": muted}})
        await self._store.raise_status(item["notice_id"], Status(reason))

    def _opens_at(
        self, group: dict[str, Any], now: datetime, holidays: frozenset[date]
    ) -> datetime:
        """When this group's channel may deliver (quiet hours hold e-mail, not the web)."""
        return deliverable_from(
            self._config,
            self._config.receiver(group["receiver"]),
            Channel(group["channel"]),
            now,
            holidays,
            urgent=group["urgent"],
        )

    async def _muted_by(
        self,
        item: dict[str, Any],
        silences: list[Silence],
        inhibitors: dict[str, str | None],
        now: datetime,
    ) -> tuple[str, str] | None:
        labels = item["labels"]
        if silence := silenced_by(labels, silences, now):
            return "silenced", silence
        for key in inhibition_targets(labels, self._config.inhibit_rules):
            if key not in inhibitors:
                doc = await self._store.inhibitors.find_one({"_id": key})
                inhibitors[key] = doc["source"] if doc else None
            if source := inhibitors[key]:
                return "inhibited", source
        return None

    def _notification(
        self, doc_id: str, members: list[dict[str, Any]], now: datetime
    ) -> dict[str, Any]:
        notices = {m["notice_id"]: m["notice"] for m in members}
        return _notification_doc(
            doc_id,
            members[0],
            list(notices.values()),
            now,
            item_ids=sorted(m["_id"] for m in members),
            escalated=max(m["escalation_level"] for m in members) > 0,
            first_received_at=min(_aware(m["created_at"]) for m in members),
        )

    async def _plan_reminder(self, doc: dict[str, Any], now: datetime) -> None:
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
        if await insert_new(self._store.reminders, [reminder]):
            await self._store.reminders.update_one(
                {"_id": key}, {"$addToSet": {"notice_ids": {"$each": doc["notice_ids"]}}}
            )

    # --- delivery ------------------------------------------------------------------------------

    async def deliver(self, now: datetime) -> int:
        """Send the outbox entries that are due (new, or retrying); returns how many went out.
        The pass awaits every outcome's log entry, so the next pass never sees one in flight."""
        due = await self._store.due_outbox(now, self._limit)
        self._metrics.pending.labels("notifications").set(len(due))
        results = await asyncio.gather(*(self._attempt(doc, now) for doc in due))
        return sum(1 for ok in results if ok is True)

    async def _hold(self, now: datetime) -> bool:
        """Take or renew the dispatcher's lease; False while another replica holds it."""
        held = await self._store.leases.hold(LEASE, self._owner, self._lease, now)
        if not held:
            self._held_since = None
            return False
        self._held_since = self._held_since or now
        self._lease_until = now + self._lease
        return True

    async def _still_mine(self) -> bool:
        """Before a send: renew the lease once half of it is gone (one renewal at a time)."""
        async with self._renewing:
            now = self._clock.now()
            if self._held_since is None:
                return False
            if self._lease_until - now > self._lease / 2:
                return True
            return await self._hold(now)

    async def _attempt(self, doc: dict[str, Any], now: datetime) -> bool | None:
        """One attempt: True sent, False given up, None to be retried. Its outcome is logged
        before the concurrency slot is released, so at most ``concurrency`` notifications are
        ever sent and not yet logged (the documented window)."""
        async with self._concurrency:
            if not await self._still_mine():
                return None
            if self._maybe_sent_before(doc) and await self._logged_already(doc):
                return None
            started = time.perf_counter()
            try:
                outcome = await self._send(doc)
            except Exception as exc:  # a bug in a channel must not stop the others
                log.exception("delivery raised", extra={"notification": doc["_id"]})
                outcome = Outcome(False, True, f"{type(exc).__name__}: {exc}")
            took = time.perf_counter() - started
            result = self._judge(doc, outcome, now)
            await self._log.record(_Logged(doc, outcome, result, now, took))
        if result is False:
            await self._dead_letter(doc, outcome.error)
        return result

    def _maybe_sent_before(self, doc: dict[str, Any]) -> bool:
        """Tried before, or there before this replica held the lease (another may have sent
        it and died before its log entry)."""
        held_since = self._held_since or self._clock.now()
        return bool(doc.get("attempts")) or _aware(doc["created_at"]) < held_since

    async def _logged_already(self, doc: dict[str, Any]) -> bool:
        """Claimed before and still here: a retry, or a crash after its outcome was written."""
        if await self._store.attempts.find_one({"_id": final_id(doc["_id"])}):
            await self._store.outbox.delete_one({"_id": doc["_id"]})
            return True
        return False

    def _judge(self, doc: dict[str, Any], outcome: Outcome, now: datetime) -> bool | None:
        channel = doc["channel"]
        age = (now - _aware(doc["created_at"])).total_seconds()
        if outcome.ok:
            self._metrics.attempts.labels(channel, "ok").inc()
            self._metrics.notifications.labels(channel, "sent").inc()
            self._metrics.latency.labels(channel).observe(
                max(0.0, (self._clock.now() - _aware(doc["first_received_at"])).total_seconds())
            )
            return True
        if outcome.retryable and age < self._config.retry_max_age_s:
            self._metrics.attempts.labels(channel, "retry").inc()
            self._metrics.retries.labels(channel).inc()
            return None
        self._metrics.attempts.labels(channel, "give_up").inc()
        self._metrics.notifications.labels(channel, "failed").inc()
        return False

    async def _write_outcomes(self, batch: list[_Logged]) -> None:
        """Log a batch of attempts: the attempts and final outcomes are inserted (the log entry;
        inserts, because an update costs FerretDB a dozen milliseconds), then the outbox lets go
        or reschedules, then the alerts' status rises."""
        attempts: list[dict[str, Any]] = []
        retries: list[Any] = []
        finished: list[str] = []
        statuses: dict[str, Status] = {}
        for entry in batch:
            doc, outcome = entry.doc, entry.outcome
            number = doc["attempts"] + 1
            result = "retry" if entry.result is None else ("sent" if entry.result else "failed")
            attempts.append(
                {
                    "_id": f"{doc['_id']}#{number}",
                    "notification_id": doc["_id"],
                    "number": number,
                    "at": entry.at,
                    "ok": outcome.ok,
                    "result": result,
                    "status": outcome.status,
                    "error": outcome.error or None,
                    "duration_ms": round(entry.took * 1000, 1),
                }
            )
            if entry.result is None:
                wait = backoff_s(
                    number,
                    self._config.retry_base_s,
                    self._config.retry_cap_s,
                    outcome.retry_after_s,
                )
                retries.append((doc["_id"], entry.at + timedelta(seconds=wait), outcome.error))
                continue
            status = Status.SENT if entry.result else Status.FAILED
            attempts.append(
                {
                    "_id": final_id(doc["_id"]),
                    "notification_id": doc["_id"],
                    "result": result,
                    "at": entry.at,
                    "attempts": number,
                    "last_error": outcome.error or None,
                }
            )
            finished.append(doc["_id"])
            for notice_id in doc["notice_ids"]:
                if status is Status.FAILED or notice_id not in self._known_sent:
                    statuses[notice_id] = max(
                        status, statuses.get(notice_id, status), key=RANK.__getitem__
                    )
        await self._store.log_outcomes(
            attempts, retries, finished, {i: RANK[status] for i, status in statuses.items()}
        )
        for notice_id, status in statuses.items():
            if status is Status.SENT:  # a later "sent" for it changes nothing: skip the write
                self._known_sent[notice_id] = True
                if len(self._known_sent) > 100_000:
                    self._known_sent.popitem(last=False)

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
                await self._store.add_to_inbox(
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

    async def _dead_letter(self, doc: dict[str, Any], error: str) -> None:
        history = await self._store.notifications.find_one({"_id": doc["_id"]}) or doc
        record = {k: v for k, v in history.items() if k not in ("lease_until", "lease_owner")}
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
        store = self._store
        created = 0
        due = [r async for r in store.reminders.find({"repeat_at": {"$lte": now}})]
        for group in due:
            timers = self._config.timers(group["route"])
            open_docs = []
            for notice_id in group["notice_ids"]:
                alert = await store.alerts.find_one({"_id": notice_id})
                if alert and alert["rank"] == RANK[Status.SENT]:
                    open_docs.append(alert)
            if not open_docs or group["repeats"] >= timers.max_repeats:
                await store.reminders.delete_one({"_id": group["_id"]})
                continue
            if self._opens_at(group, now, holidays) > now:
                continue
            repeat = group["repeats"] + 1
            notices = [summary(notice_from_doc(d)) for d in open_docs]
            doc_id = notification_id(group["_id"], [n["id"] for n in notices], f"repeat-{repeat}")
            doc = _notification_doc(
                doc_id, {**group, "group_key": group["_id"]}, notices, now, reminder=True
            )
            await insert_new(store.notifications, [doc])
            await insert_new(store.outbox, [_outbox_entry(doc)])
            await store.reminders.update_one(
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
        store = self._store
        escalation = self._config.escalation
        due = [e async for e in store.escalations.find({"due_at": {"$lte": now}})]
        escalated = 0
        for entry in due:
            doc = await store.alerts.find_one({"_id": entry["_id"]})
            if doc is None or doc["rank"] != RANK[Status.SENT]:
                # Acknowledged (or never delivered, muted): nothing to escalate.
                await store.escalations.delete_one({"_id": entry["_id"]})
                continue
            notice = notice_from_doc(doc)
            level = entry["level"] + 1
            chart = await store.org_chart([notice.nip])
            target: Recipient | None = escalation_target(notice, level, chart.get)
            if target is not None:
                deliveries, _ = plan(
                    notice,
                    self._config,
                    chart.get,
                    email_enabled=self._senders.email is not None,
                    recipients=[target],
                    escalation_level=level,
                    opted_out=await store.opted_out([target.id]),
                )
                await insert_new(store.queue, item_docs(notice, deliveries, now))
                self._metrics.escalations.inc()
                escalated += 1
            await store.alerts.update_one(
                {"_id": doc["_id"]},
                {
                    "$set": {
                        "escalation": {
                            "level": level,
                            "escalated_at": now,
                            "to": target.id if target else None,
                        }
                    },
                    **({"$addToSet": {"recipients": target.id}} if target else {}),
                },
            )
            if target is not None and level < escalation.max_levels:
                next_due = add_working_days(now, escalation.after_working_days, holidays)
                await store.escalations.update_one(
                    {"_id": entry["_id"]}, {"$set": {"level": level, "due_at": next_due}}
                )
            else:
                await store.escalations.delete_one({"_id": entry["_id"]})
        return escalated


def _notification_doc(
    doc_id: str,
    group: dict[str, Any],
    notices: list[dict[str, Any]],
    now: datetime,
    *,
    item_ids: list[str] | None = None,
    reminder: bool = False,
    escalated: bool = False,
    first_received_at: datetime | None = None,
) -> dict[str, Any]:
    """A notification as the history keeps it: to whom, over what, about which notices."""
    return {
        "_id": doc_id,
        **{
            k: group[k]
            for k in ("group_key", "route", "receiver", "channel", "urgent", "recipient")
        },
        "item_ids": item_ids or [],
        "notice_ids": sorted(n["id"] for n in notices),
        "notices": notices,
        "reminder": reminder,
        "escalated": escalated,
        "created_at": now,
        "first_received_at": first_received_at or now,
    }


def _outbox_entry(doc: dict[str, Any]) -> dict[str, Any]:
    """What delivery needs, so a send reads nothing else."""
    return {
        **{k: v for k, v in doc.items() if k != "item_ids"},
        "next_attempt_at": doc["created_at"],
        "attempts": 0,
    }


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

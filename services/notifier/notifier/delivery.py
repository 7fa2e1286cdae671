"""Delivery (use case): the outbox's notifications sent over their channel (the web inbox,
e-mail, a webhook), each outcome logged, retried with backoff, or given up to the DLQ.

Crash safety without transactions, by the order of writes: only the replica holding the
dispatcher's lease sends, and it renews the lease before each send, so a slow pass never
outlives it. An entry is sent, its outcome written to the history (the log entry) and the entry
removed, all before its concurrency slot is released; an entry that may have been sent by an
earlier holder (it is older than this holder's lease, or was tried before) is first looked up,
and only removed if its history already holds an outcome. A crash between a send and its log
entry is the one window in which a notification can go out twice, so at most ``concurrency`` of
them; every notification carries its id as the idempotency key (``Idempotency-Key`` header,
e-mail Message-ID, the stream's event id) so receivers can drop the repeat.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from faststream.kafka import KafkaBroker

from kinerja_shared.clock import Clock, utc
from kinerja_shared.dlq import H_DETAIL, H_REASON, H_SERVICE, DlqReason
from notifier.channels import EmailSender, Outcome, WebhookSender
from notifier.domain.model import RANK, Channel, Status
from notifier.domain.policy import backoff_s
from notifier.domain.routing import RoutingConfig
from notifier.metrics import NotifierMetrics
from notifier.notifications import final_id
from notifier.store import NotifierStore

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: The lease whose holder groups, reminds, escalates and delivers.
LEASE = "dispatcher"


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


class DispatchLease:
    """One replica dispatches: it takes the lease on each pass and renews it before a send once
    half of it is gone (one renewal at a time)."""

    def __init__(self, store: NotifierStore, clock: Clock, lease: timedelta) -> None:
        self._store = store
        self._clock = clock
        self._lease = lease
        self._owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._lease_until = _EPOCH
        self._renewing = asyncio.Lock()
        self.held_since: datetime | None = None

    async def hold(self, now: datetime) -> bool:
        """Take or renew the dispatcher's lease; False while another replica holds it."""
        held = await self._store.leases.hold(LEASE, self._owner, self._lease, now)
        if not held:
            self.held_since = None
            return False
        self.held_since = self.held_since or now
        self._lease_until = now + self._lease
        return True

    async def still_mine(self) -> bool:
        """Before a send: renew the lease once half of it is gone (one renewal at a time)."""
        async with self._renewing:
            now = self._clock.now()
            if self.held_since is None:
                return False
            if self._lease_until - now > self._lease / 2:
                return True
            return await self.hold(now)

    async def release(self) -> None:
        if self.held_since is not None:  # a restarted replica takes over at once
            await self._store.leases.release(LEASE, self._owner)


class Delivery:
    def __init__(
        self,
        store: NotifierStore,
        config: RoutingConfig,
        clock: Clock,
        senders: Senders,
        broker: KafkaBroker,
        dlq_topic: str,
        metrics: NotifierMetrics,
        lease: DispatchLease,
        *,
        limit: int,
        concurrency: int,
    ) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._senders = senders
        self._broker = broker
        self._dlq_topic = dlq_topic
        self._metrics = metrics
        self._lease = lease
        self._limit = limit
        self._concurrency = asyncio.Semaphore(concurrency)
        self._sequence = Sequencer()
        self._log = GroupCommit(self._write_outcomes)
        self._known_sent: OrderedDict[str, bool] = OrderedDict()

    async def stop(self) -> None:
        await self._log.stop()

    async def deliver(self, now: datetime) -> int:
        """Send the outbox entries that are due (new, or retrying); returns how many went out.
        The pass awaits every outcome's log entry, so the next pass never sees one in flight."""
        due = await self._store.due_outbox(now, self._limit)
        self._metrics.pending.labels("notifications").set(len(due))
        results = await asyncio.gather(*(self._attempt(doc, now) for doc in due))
        return sum(1 for ok in results if ok is True)

    async def _attempt(self, doc: dict[str, Any], now: datetime) -> bool | None:
        """One attempt: True sent, False given up, None to be retried. Its outcome is logged
        before the concurrency slot is released, so at most ``concurrency`` notifications are
        ever sent and not yet logged (the documented window)."""
        async with self._concurrency:
            if not await self._lease.still_mine():
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
        held_since = self._lease.held_since or self._clock.now()
        return bool(doc.get("attempts")) or utc(doc["created_at"]) < held_since

    async def _logged_already(self, doc: dict[str, Any]) -> bool:
        """Claimed before and still here: a retry, or a crash after its outcome was written."""
        if await self._store.finished(doc["_id"]):
            await self._store.drop_outbox([doc["_id"]])
            return True
        return False

    def _judge(self, doc: dict[str, Any], outcome: Outcome, now: datetime) -> bool | None:
        channel = doc["channel"]
        age = (now - utc(doc["created_at"])).total_seconds()
        if outcome.ok:
            self._metrics.attempts.labels(channel, "ok").inc()
            self._metrics.notifications.labels(channel, "sent").inc()
            self._metrics.latency.labels(channel).observe(
                max(0.0, (self._clock.now() - utc(doc["first_received_at"])).total_seconds())
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
        history = await self._store.notification(doc["_id"]) or doc
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

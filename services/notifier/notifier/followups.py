"""Follow-ups (use case): a reminder of notices still unacknowledged ``repeat_interval`` after
the last one, and escalation one level up the supervisor chain once the working days pass."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from notifier.domain.model import RANK, Recipient, Status
from notifier.domain.planning import plan
from notifier.domain.policy import add_working_days
from notifier.domain.recipients import escalation_target
from notifier.domain.routing import RoutingConfig
from notifier.metrics import NotifierMetrics
from notifier.notices import item_docs, notice_from_doc, summary
from notifier.notifications import notification_doc, notification_id, opens_at, outbox_entry
from notifier.store import NotifierStore


class FollowUps:
    def __init__(
        self,
        store: NotifierStore,
        config: RoutingConfig,
        metrics: NotifierMetrics,
        *,
        email_enabled: bool,
    ) -> None:
        self._store = store
        self._config = config
        self._metrics = metrics
        self._email_enabled = email_enabled

    async def remind(self, now: datetime, holidays: frozenset[date]) -> int:
        """Remind of notices still unacknowledged ``repeat_interval`` after the last one."""
        store = self._store
        created = 0
        for group in await store.due_reminders(now):
            timers = self._config.timers(group["route"])
            open_docs = []
            for notice_id in group["notice_ids"]:
                alert = await store.alert(notice_id)
                if alert and alert["rank"] == RANK[Status.SENT]:
                    open_docs.append(alert)
            if not open_docs or group["repeats"] >= timers.max_repeats:
                await store.drop_reminder(group["_id"])
                continue
            if opens_at(self._config, group, now, holidays) > now:
                continue
            repeat = group["repeats"] + 1
            notices = [summary(notice_from_doc(d)) for d in open_docs]
            doc_id = notification_id(group["_id"], [n["id"] for n in notices], f"repeat-{repeat}")
            doc = notification_doc(
                doc_id, {**group, "group_key": group["_id"]}, notices, now, reminder=True
            )
            await store.add_notifications([doc])
            await store.add_to_outbox([outbox_entry(doc)])
            next_at = now + timedelta(seconds=timers.repeat_interval)
            await store.reminded(group["_id"], group["repeats"], next_at)
            created += 1
        return created

    async def escalate(self, now: datetime, holidays: frozenset[date]) -> int:
        """Send unacknowledged notices one level up the chain once their working days pass."""
        store = self._store
        escalation = self._config.escalation
        escalated = 0
        for entry in await store.due_escalations(now):
            doc = await store.alert(entry["_id"])
            if doc is None or doc["rank"] != RANK[Status.SENT]:
                # Acknowledged (or never delivered, muted): nothing to escalate.
                await store.drop_escalation(entry["_id"])
                continue
            level = entry["level"] + 1
            target = await self._escalate_one(doc, level, now)
            escalated += target is not None
            if target is not None and level < escalation.max_levels:
                next_due = add_working_days(now, escalation.after_working_days, holidays)
                await store.escalation_next(entry["_id"], level, next_due)
            else:
                await store.drop_escalation(entry["_id"])
        return escalated

    async def _escalate_one(
        self, doc: dict[str, Any], level: int, now: datetime
    ) -> Recipient | None:
        """The notice queued for the next one up the chain (None: nobody is above), and the
        escalation recorded on the alert."""
        store = self._store
        notice = notice_from_doc(doc)
        chart = await store.org_chart([notice.nip])
        target = escalation_target(notice, level, chart.get)
        if target is not None:
            deliveries, _ = plan(
                notice,
                self._config,
                chart.get,
                email_enabled=self._email_enabled,
                recipients=[target],
                escalation_level=level,
                opted_out=await store.opted_out([target.id]),
            )
            await store.queue_items(item_docs(notice, deliveries, now))
            self._metrics.escalations.inc()
        to = target.id if target else None
        escalation = {"level": level, "escalated_at": now, "to": to}
        await store.record_escalation(doc["_id"], escalation, to)
        return target

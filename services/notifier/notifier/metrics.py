"""The notifier's Prometheus metrics (bounded labels: channel, outcome, type; never a NIP)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from kinerja_shared.dlq import DlqReason
from kinerja_shared.metrics import LATENCY_BUCKETS


class NotifierMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.notices = Counter(
            "kinerja_notifier_notices_total",
            "Consumed alerts and dialogue steps by type and outcome (new, republished, invalid)",
            ["type", "outcome"],
            registry=registry,
        )
        self.notifications = Counter(
            "kinerja_notifier_notifications_total",
            "Notifications by channel and final outcome (sent, failed)",
            ["channel", "outcome"],
            registry=registry,
        )
        self.attempts = Counter(
            "kinerja_notifier_delivery_attempts_total",
            "Delivery attempts by channel and result (ok, retry, give_up)",
            ["channel", "result"],
            registry=registry,
        )
        self.retries = Counter(
            "kinerja_notifier_delivery_retries_total",
            "Delivery attempts that will be retried, by channel",
            ["channel"],
            registry=registry,
        )
        self.muted = Counter(
            "kinerja_notifier_items_muted_total",
            "Delivery items not sent, by reason (silenced, inhibited)",
            ["reason"],
            registry=registry,
        )
        self.latency = Histogram(
            "kinerja_notifier_delivery_latency_seconds",
            "From a notice's arrival to its notification being delivered, by channel",
            ["channel"],
            buckets=(*LATENCY_BUCKETS, 60.0, 300.0, 3600.0),
            registry=registry,
        )
        self.pending = Gauge(
            "kinerja_notifier_pending",
            "Work waiting: delivery items for their group or working hours, notifications to send",
            ["kind"],
            registry=registry,
        )
        self._work(registry)
        self._zeros()

    def _work(self, registry: CollectorRegistry) -> None:
        """What waits, what escalates, what goes to the DLQ, how long a pass takes."""
        self.escalations = Counter(
            "kinerja_notifier_escalations_total",
            "Unacknowledged notices escalated one level up the chain",
            registry=registry,
        )
        self.dlq = Counter(
            "kinerja_dlq_messages_total",
            "Records sent to the DLQ by reason",
            ["service", "reason"],
            registry=registry,
        )
        self.tick_seconds = Histogram(
            "kinerja_notifier_dispatch_duration_seconds",
            "Time one dispatcher pass takes (grouping, delivery, reminders, escalation)",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def _zeros(self) -> None:
        """Every known label value from the start: dashboards and rate() see a zero, not
        nothing."""
        for channel in ("web", "email", "webhook"):
            self.latency.labels(channel)
            self.retries.labels(channel)
            for outcome in ("sent", "failed"):
                self.notifications.labels(channel, outcome)
            for result in ("ok", "retry", "give_up"):
                self.attempts.labels(channel, result)
        for reason in ("silenced", "inhibited"):
            self.muted.labels(reason)
        for kind in ("items", "notifications", "queued_for_working_hours"):
            self.pending.labels(kind)
        for dlq_reason in DlqReason:
            self.dlq.labels("notifier", dlq_reason.value)

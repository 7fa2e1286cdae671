"""Intake's pure rules: how a submitted body becomes accepted and rejected items.

No I/O here: the HTTP adapter feeds decoded JSON in and publishes what comes out.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from kinerja_shared.events import EVENT_ADAPTER, Event


@dataclass(frozen=True, slots=True)
class FieldError:
    """One reason an item was refused: the field's dotted path and what is wrong with it."""

    field: str
    reason: str


@dataclass(slots=True)
class ItemResult:
    index: int
    status: str  # "accepted", "duplicate" or "rejected"
    event_id: str | None = None
    errors: list[FieldError] = field(default_factory=list)


@dataclass(slots=True)
class Triage:
    """The outcome of validating one submission, before anything is published."""

    results: list[ItemResult]
    accepted: list[Event]

    @property
    def rejected_count(self) -> int:
        return sum(1 for r in self.results if r.status == "rejected")


def _errors(exc: ValidationError) -> list[FieldError]:
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        # The discriminated union puts the type tag in the path; people expect the field alone.
        for tag in (
            "attendance.recorded.",
            "attendance.excused.",
            "service.rated.",
            "target.progressed.",
        ):
            if loc.startswith(tag):
                loc = loc[len(tag) :]
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = "type"
        out.append(FieldError(loc or "(item)", err["msg"]))
    return out


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """How far from its reception an event's time may lie."""

    max_future: timedelta = timedelta(minutes=10)  # clock drift of machines
    max_age: timedelta = timedelta(days=35)  # the scoring grace: older periods are closed

    def refusal(self, occurred_at: datetime, received_at: datetime) -> str | None:
        if occurred_at > received_at + self.max_future:
            return f"is more than {self.max_future} in the future; check the sender's clock"
        if occurred_at < received_at - self.max_age:
            return f"is older than the scoring grace of {self.max_age.days} days"
        return None


def triage(
    items: list[Any], received_at: datetime, trace_id: str, window: TimeWindow | None = None
) -> Triage:
    """Validate each item; stamp the valid ones with ``received_at`` and ``trace_id``.

    An ``event_id`` repeated within the same submission is reported as a duplicate and sent once.
    """
    window = window or TimeWindow()
    results: list[ItemResult] = []
    accepted: list[Event] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            results.append(
                ItemResult(
                    index, "rejected", errors=[FieldError("(item)", "must be a JSON object")]
                )
            )
            continue
        raw_id = item.get("event_id")
        event_id = raw_id if isinstance(raw_id, str) else None
        try:
            # Intake's stamps replace whatever the sender put there (cheaper than a model copy).
            event = EVENT_ADAPTER.validate_python(
                {**item, "received_at": received_at, "trace_id": trace_id}
            )
        except ValidationError as exc:
            results.append(ItemResult(index, "rejected", event_id, _errors(exc)))
            continue
        if (why := window.refusal(event.occurred_at, received_at)) is not None:
            results.append(
                ItemResult(
                    index,
                    "rejected",
                    event.event_id,
                    [FieldError("occurred_at", f"{event.occurred_at} {why}")],
                )
            )
            continue
        if event.event_id in seen:
            results.append(ItemResult(index, "duplicate", event.event_id))
            continue
        seen.add(event.event_id)
        accepted.append(event)
        results.append(ItemResult(index, "accepted", event.event_id))
    return Triage(results, accepted)


class SeenEvents:
    """The event_ids accepted within the horizon, to report resends as duplicates.

    Bounded in time and in count (memory): this report is a courtesy to senders; what guarantees
    that nothing counts twice is scoring's idempotency by event_id.
    """

    def __init__(self, horizon: timedelta, capacity: int) -> None:
        self._horizon = horizon
        self._capacity = capacity
        self._seen: OrderedDict[str, datetime] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def _expire(self, now: datetime) -> None:
        cutoff = now - self._horizon
        while self._seen:
            oldest_id, at = next(iter(self._seen.items()))
            if at >= cutoff and len(self._seen) <= self._capacity:
                break
            del self._seen[oldest_id]

    def seen(self, event_id: str, now: datetime) -> bool:
        self._expire(now)
        return event_id in self._seen

    def add(self, event_ids: list[str], now: datetime) -> None:
        for event_id in event_ids:
            self._seen[event_id] = now
            self._seen.move_to_end(event_id)
        self._expire(now)

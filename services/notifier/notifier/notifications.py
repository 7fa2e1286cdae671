"""Notifications as the history and the outbox keep them, named so that redoing a step after a
crash names the same one; shared by grouping, delivery and the follow-ups."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from kinerja_shared.clock import utc
from notifier.domain.model import Channel
from notifier.domain.policy import Silence
from notifier.domain.routing import Matcher, RoutingConfig, deliverable_from


def final_id(notification: str) -> str:
    """The id of a notification's final outcome in ``attempts``: found by ``_id``, cheaply."""
    return f"{notification}#final"


def notification_id(group_key: str, item_ids: list[str], suffix: str = "") -> str:
    digest = hashlib.sha256(f"{group_key}|{','.join(sorted(item_ids))}|{suffix}".encode())
    return digest.hexdigest()[:32]


def notification_doc(
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


def outbox_entry(doc: dict[str, Any]) -> dict[str, Any]:
    """What delivery needs, so a send reads nothing else."""
    return {
        **{k: v for k, v in doc.items() if k != "item_ids"},
        "next_attempt_at": doc["created_at"],
        "attempts": 0,
    }


def opens_at(
    config: RoutingConfig, group: dict[str, Any], now: datetime, holidays: frozenset[date]
) -> datetime:
    """When this group's channel may deliver (quiet hours hold e-mail, not the web)."""
    return deliverable_from(
        config,
        config.receiver(group["receiver"]),
        Channel(group["channel"]),
        now,
        holidays,
        urgent=group["urgent"],
    )


def silence(doc: dict[str, Any]) -> Silence:
    return Silence(
        doc["_id"],
        tuple(Matcher.model_validate(m) for m in doc["matchers"]),
        utc(doc["starts_at"]),
        utc(doc["ends_at"]),
    )

"""Conversions at the edge: contracts (scoring's alerts, the dialogue's events) and stored
documents to and from the domain's ``Notice``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kinerja_shared.alerts import AlertRaised
from kinerja_shared.events import (
    FeedbackAcknowledgedEvent,
    FeedbackPostedEvent,
    FeedbackRepliedEvent,
)
from notifier.domain.model import RANK, Delivery, Notice, Person, Status
from notifier.domain.planning import Undeliverable

DIALOGUE_TITLES = {
    "feedback.posted": "Umpan balik baru dari atasan",
    "feedback.replied": "Balasan baru dalam dialog kinerja",
    "feedback.acknowledged": "Umpan balik telah dibaca dan diterima pegawai",
    "feedback.objection_filed": "Keberatan atas hasil penilaian kinerja menunggu keputusan Anda",
    "feedback.objection_decided": "Keberatan Anda atas hasil penilaian kinerja telah diputus",
}

DialogueEvent = FeedbackPostedEvent | FeedbackRepliedEvent | FeedbackAcknowledgedEvent


def notice_id(event: AlertRaised | DialogueEvent) -> str:
    """The notice's id: scoring's alert id, or the dialogue event's (one notice per event)."""
    return event.alert_id if isinstance(event, AlertRaised) else f"dialog:{event.event_id}"


def notice_from_alert(alert: AlertRaised) -> Notice:
    return Notice(
        id=notice_id(alert),
        type=alert.type,
        nip=alert.nip,
        period=alert.period,
        title=alert.title,
        unit_code=alert.unit_code,
        supervisor_nip=alert.supervisor_nip,
        level=alert.level,
        reasons=tuple(alert.reasons),
    )


def notice_from_dialogue(event: DialogueEvent, employee: Person | None) -> Notice:
    p = event.payload
    return Notice(
        id=notice_id(event),
        type=event.type,
        nip=event.nip,
        period=p.period,
        title=DIALOGUE_TITLES[event.type],
        unit_code=employee.unit_code if employee else None,
        supervisor_nip=p.supervisor_nip,
        author_nip=p.author_nip,
        reasons=(f"{p.category}: {p.excerpt}",) if p.excerpt else (p.category,),
    )


def notice_from_doc(doc: dict[str, Any]) -> Notice:
    return Notice(
        id=doc["_id"],
        type=doc["type"],
        nip=doc["nip"],
        period=doc["period"],
        title=doc["title"],
        unit_code=doc.get("unit_code"),
        supervisor_nip=doc.get("supervisor_nip"),
        level=doc.get("level"),
        author_nip=doc.get("author_nip"),
        reasons=tuple(doc.get("reasons", ())),
    )


def summary(notice: Notice) -> dict[str, Any]:
    """What a notification says of a notice (kept on each item, so a flush needs no lookup)."""
    return {
        "id": notice.id,
        "type": notice.type,
        "title": notice.title,
        "nip": notice.nip,
        "unit_code": notice.unit_code,
        "period": notice.period,
        "level": notice.level,
        "reasons": list(notice.reasons),
    }


def alert_doc(
    notice: Notice,
    deliveries: list[Delivery],
    missing: list[Undeliverable],
    received_at: datetime,
    *,
    escalation_due: datetime | None,
    evidence: dict[str, Any] | None = None,
    raised_at: datetime | None = None,
    waiting: bool = False,
) -> dict[str, Any]:
    return {
        "_id": notice.id,
        "kind": "dialogue" if notice.is_dialogue else "alert",
        "type": notice.type,
        "nip": notice.nip,
        "unit_code": notice.unit_code,
        "supervisor_nip": notice.supervisor_nip,
        "author_nip": notice.author_nip,
        "period": notice.period,
        "level": notice.level,
        "title": notice.title,
        "reasons": list(notice.reasons),
        "evidence": evidence or {},
        "labels": notice.labels(),
        "recipients": sorted({d.recipient.id for d in deliveries}),
        "undeliverable": [vars(m) for m in missing],
        "rank": RANK[Status.PENDING if deliveries or waiting else Status.FAILED],
        "received_at": received_at,
        "raised_at": raised_at or received_at,
        "ack": None,
        "escalation": {"level": 0, "due_at": escalation_due} if escalation_due else None,
        "muted": [],
    }


def item_docs(notice: Notice, deliveries: list[Delivery], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "_id": f"{d.notice_id}|{d.recipient.id}|{d.channel}|{d.route}|{d.escalation_level}",
            "notice_id": d.notice_id,
            "notice": summary(notice),
            "recipient": {
                "id": d.recipient.id,
                "reason": d.recipient.reason,
                "email": d.recipient.email,
                "name": d.recipient.name,
            },
            "channel": d.channel.value,
            "receiver": d.receiver,
            "route": d.route,
            "group_key": d.group_key,
            "urgent": d.urgent,
            "escalation_level": d.escalation_level,
            "labels": d.labels,
            "status": "pending",
            "created_at": now,
        }
        for d in deliveries
    ]

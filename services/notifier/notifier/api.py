"""HTTP adapter: the alert history with acknowledgement, silences, and the live stream.

Bearer JWT: people see and acknowledge only the alerts addressed to them; ops and admin see all.
Silences are for ops and admin.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from kinerja_shared.auth import JwtVerifier, Principal, Role, TokenError, require_roles
from kinerja_shared.clock import Clock
from notifier.domain.model import RANK, STATUS_OF_RANK, Status
from notifier.domain.routing import Matcher
from notifier.responses import (
    AlertDetail,
    AlertOut,
    AlertPage,
    PreferencesOut,
    SilenceExpired,
    SilenceList,
    SilenceOut,
)
from notifier.store import NotifierStore, put
from notifier.stream import StreamHub

log = logging.getLogger(__name__)

_OVERSEERS = (Role.ADMIN, Role.OPS)
StatusName = Literal["pending", "sent", "failed", "silenced", "inhibited", "acknowledged"]


class AckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field("", max_length=2000, description="What was done or agreed")


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: bool = True
    web: bool = True


class SilenceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    matchers: list[Matcher] = Field(
        min_length=1, description='e.g. ["nip=\\"1990...\\"", "type=\\"coaching.needed\\""]'
    )
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime
    comment: str = Field(min_length=1, max_length=2000)


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    hidden = ("_id", "labels", "lease_owner", "lease_until", "rank")
    out = {k: v for k, v in doc.items() if k not in hidden}
    if "rank" in doc:
        out["status"] = STATUS_OF_RANK[doc["rank"]].value
    return {"id": doc["_id"], **out}


def notifier_router(
    store: NotifierStore, hub: StreamHub, verifier: JwtVerifier, clock: Clock, ping_s: float
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["notifier"])
    # Dependencies as default values: the annotations are strings here and name no local.
    anyone = Depends(require_roles(verifier))
    overseer = Depends(require_roles(verifier, *_OVERSEERS))

    def visible(principal: Principal, doc: dict[str, Any]) -> bool:
        return principal.has(*_OVERSEERS) or principal.sub in doc.get("recipients", [])

    @router.get(
        "/alerts",
        summary="Alerts and dialogue notices with their delivery status",
        response_model=AlertPage,
    )
    async def list_alerts(
        principal: Principal = anyone,
        recipient: str | None = None,
        status: StatusName | None = None,
        type: str | None = None,
        unit: str | None = None,
        since: AwareDatetime | None = None,
        until: AwareDatetime | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> dict[str, Any]:
        if not principal.has(*_OVERSEERS):
            if recipient not in (None, principal.sub):
                log.warning("forbidden", extra={"sub": principal.sub, "asked_for": recipient})
                raise HTTPException(403, "you can list only the alerts addressed to you")
            recipient = principal.sub
        query: dict[str, Any] = {}
        if recipient:
            query["recipients"] = recipient
        if status:
            query["rank"] = RANK[Status(status)]
        if type:
            query["type"] = type
        if unit:
            query["unit_code"] = unit
        if since or until:
            query["received_at"] = {
                **({"$gte": since} if since else {}),
                **({"$lt": until} if until else {}),
            }
        found = await store.alerts_page(query, offset, limit)
        return {"alerts": [_public(d) for d in found], "limit": limit, "offset": offset}

    @router.get(
        "/alerts/{alert_id}",
        summary="One alert with every notification and attempt",
        response_model=AlertDetail,
    )
    async def get_alert(alert_id: str, principal: Principal = anyone) -> dict[str, Any]:
        doc = await store.alerts.find_one({"_id": alert_id})
        if doc is None or not visible(principal, doc):
            raise HTTPException(404, f"no alert {alert_id!r} addressed to you")
        found = []
        overseer = principal.has(*_OVERSEERS)
        async for n in store.notifications.find({"notice_ids": alert_id}).sort("created_at", 1):
            if not overseer and n.get("recipient", {}).get("id") != principal.sub:
                continue  # another recipient's address and deliveries are theirs
            attempts = [
                a async for a in store.attempts.find({"notification_id": n["_id"]}).sort("at", 1)
            ]
            final = next((a for a in attempts if a["_id"].endswith("#final")), None)
            found.append(
                {
                    **_public(n),
                    "status": final["result"] if final else Status.PENDING.value,
                    "attempts": [_public(a) for a in attempts if a is not final],
                }
            )
        return {**_public(doc), "notifications": found}

    @router.post(
        "/alerts/{alert_id}/ack",
        summary="Acknowledge an alert with a comment",
        response_model=AlertOut,
    )
    async def acknowledge(
        alert_id: str, body: AckRequest, principal: Principal = anyone
    ) -> dict[str, Any]:
        doc = await store.alerts.find_one({"_id": alert_id})
        if doc is None or not visible(principal, doc):
            raise HTTPException(404, f"no alert {alert_id!r} addressed to you")
        if principal.sub not in doc["recipients"] and not principal.has(Role.ADMIN):
            log.warning("forbidden ack", extra={"sub": principal.sub, "alert": alert_id})
            raise HTTPException(403, "only a recipient or an admin acknowledges an alert")
        ack = {"by": principal.sub, "at": clock.now(), "comment": body.comment}
        result = await store.alerts.update_one(
            {"_id": alert_id, "ack": None},
            {"$set": {"ack": ack}, "$max": {"rank": RANK[Status.ACKNOWLEDGED]}},
        )
        if result.modified_count == 0:
            current = await store.alerts.find_one({"_id": alert_id})
            by = (current or {}).get("ack") or {}
            raise HTTPException(409, f"already acknowledged by {by.get('by')} at {by.get('at')}")
        log.info("alert acknowledged", extra={"alert": alert_id, "by": principal.sub})
        return _public({**doc, "ack": ack, "rank": RANK[Status.ACKNOWLEDGED]})

    @router.post(
        "/silences",
        status_code=201,
        summary="Mute matching alerts for a while",
        response_model=SilenceOut,
    )
    async def create_silence(
        body: SilenceRequest, principal: Principal = overseer
    ) -> dict[str, Any]:
        now = clock.now()
        starts = body.starts_at or now
        if body.ends_at <= starts:
            raise HTTPException(422, "ends_at must follow starts_at")
        if body.ends_at - starts > timedelta(days=366):
            raise HTTPException(422, "a silence lasts at most a year; make a new one after")
        doc = {
            "_id": str(uuid.uuid4()),
            "matchers": [m.model_dump() for m in body.matchers],
            "starts_at": starts,
            "ends_at": body.ends_at,
            "created_by": principal.sub,
            "created_at": now,
            "comment": body.comment,
        }
        await store.silences.insert_one(doc)
        log.info("silence created", extra={"silence": doc["_id"], "by": principal.sub})
        return _public(doc)

    @router.get(
        "/silences", summary="Silences, the active ones by default", response_model=SilenceList
    )
    async def list_silences(
        _: Principal = overseer, include_expired: bool = False
    ) -> dict[str, Any]:
        query = {} if include_expired else {"ends_at": {"$gt": clock.now()}}
        return {"silences": [_public(d) for d in await store.silences_list(query)]}

    @router.delete(
        "/silences/{silence_id}",
        summary="Expire a silence now (kept in history)",
        response_model=SilenceExpired,
    )
    async def expire_silence(silence_id: str, principal: Principal = overseer) -> dict[str, Any]:
        now = clock.now()
        result = await store.silences.update_one(
            {"_id": silence_id, "ends_at": {"$gt": now}},
            {"$set": {"ends_at": now, "expired_by": principal.sub}},
        )
        if result.matched_count == 0:
            raise HTTPException(404, f"no active silence {silence_id!r}")
        return {"id": silence_id, "ends_at": now}

    @router.get("/me/preferences", summary="Which channels reach me", response_model=PreferencesOut)
    async def my_preferences(principal: Principal = anyone) -> dict[str, Any]:
        doc = await store.preferences.find_one({"_id": principal.sub}) or {}
        off = set(doc.get("off", []))
        return {"nip": principal.sub, "email": "email" not in off, "web": "web" not in off}

    @router.put(
        "/me/preferences",
        summary="Turn e-mail or the web stream off or on for me",
        response_model=PreferencesOut,
    )
    async def set_preferences(body: Preferences, principal: Principal = anyone) -> dict[str, Any]:
        if not (body.email or body.web):
            raise HTTPException(422, "keep at least one channel on: alerts must reach you somehow")
        off = [c for c, on in (("email", body.email), ("web", body.web)) if not on]
        await put(store.preferences, principal.sub, {"off": off, "updated_at": clock.now()})
        return {"nip": principal.sub, "email": body.email, "web": body.web}

    bearer = Depends(HTTPBearer(auto_error=False))

    @router.post(
        "/stream/tickets",
        summary="A ticket to open your live stream with (EventSource cannot send headers)",
    )
    async def stream_ticket(principal: Principal = anyone) -> StreamTicket:
        """The stream's URL would otherwise carry the sign-in token itself, and URLs land in
        access logs; a ticket opens only the stream, only for a minute."""
        ticket = secrets.token_urlsafe(24)
        now = clock.now()
        await store.forget_tickets(now)
        await store.issue_ticket(_digest(ticket), principal.sub, principal.roles, now + TICKET_TTL)
        return StreamTicket(ticket=ticket, expires_in=int(TICKET_TTL.total_seconds()))

    async def stream_principal(
        credentials: HTTPAuthorizationCredentials | None = bearer,
        ticket: Annotated[
            str | None,
            Query(max_length=64, description="From POST /v1/stream/tickets, for EventSource"),
        ] = None,
    ) -> Principal:
        if credentials is not None:
            try:
                return verifier.verify(credentials.credentials)
            except TokenError as exc:
                raise HTTPException(401, f"invalid token: {exc}") from None
        if ticket:
            doc = await store.ticket(_digest(ticket))
            if doc is not None and doc["until"] >= clock.now():
                return Principal(doc["sub"], frozenset(doc["roles"]))
            raise HTTPException(401, "the stream ticket is unknown or past its minute: ask again")
        raise HTTPException(401, "sign in: send Authorization: Bearer <token>, or a ?ticket=")

    @router.get("/stream", summary="Your notifications as they arrive (server-sent events)")
    async def stream(
        request: Request,
        principal: Principal = Depends(stream_principal),  # noqa: B008
        last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    ) -> EventSourceResponse:
        resume = int(last_event_id) if last_event_id and last_event_id.isdigit() else None

        async def events() -> AsyncIterator[ServerSentEvent]:
            async with hub.subscribe(principal.sub) as queue:
                sent: set[str] = set()
                yield ServerSentEvent(event="ready", data=json.dumps({"sub": principal.sub}))
                if resume is not None:
                    for entry in await hub.backlog(principal.sub, resume):
                        sent.add(entry["_id"])
                        yield _event(entry)
                while not await request.is_disconnected():
                    entry = await queue.get()
                    if entry["_id"] not in sent:
                        sent.add(entry["_id"])
                        yield _event(entry)

        return EventSourceResponse(events(), ping=int(ping_s))

    return router


#: How long a stream ticket opens the stream (the console asks for a new one at each reconnect).
TICKET_TTL = timedelta(seconds=60)


class StreamTicket(BaseModel):
    ticket: str
    expires_in: int = Field(description="Seconds the ticket opens the stream for")


def _digest(ticket: str) -> str:
    """Tickets are kept by their hash: the store never holds one that opens a stream."""
    return hashlib.sha256(ticket.encode()).hexdigest()


def _event(entry: dict[str, Any]) -> ServerSentEvent:
    if entry.get("live"):  # no id: a live figure is not part of what a stream resumes from
        return ServerSentEvent(event="figures", data=json.dumps(entry["event"]))
    return ServerSentEvent(
        id=str(entry["seq"]),
        event="notification",
        data=json.dumps(entry["event"], ensure_ascii=False, default=_iso),
    )


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)

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

from kinerja_shared.auth import JwtVerifier, Principal, Role, TokenError, signed_in, signed_in_as
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
from notifier.store import AlertFilter, NotifierStore
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


#: How long a stream ticket opens the stream (the console asks for a new one at each reconnect).
TICKET_TTL = timedelta(seconds=60)


class StreamTicket(BaseModel):
    ticket: str
    expires_in: int = Field(description="Seconds the ticket opens the stream for")


def _store(request: Request) -> NotifierStore:
    store: NotifierStore = request.app.state.store
    return store


def _hub(request: Request) -> StreamHub:
    hub: StreamHub = request.app.state.hub
    return hub


def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock.now()


#: Who may call a route, and what it works with, declared in its signature.
Anyone = Annotated[Principal, Depends(signed_in)]
Overseer = Annotated[Principal, Depends(signed_in_as(*_OVERSEERS))]
Store = Annotated[NotifierStore, Depends(_store)]
Now = Annotated[datetime, Depends(_now)]
router = APIRouter(prefix="/v1", tags=["notifier"])


def _visible(principal: Principal, doc: dict[str, Any]) -> bool:
    return principal.has(*_OVERSEERS) or principal.sub in doc.get("recipients", [])


class AlertQuery(BaseModel):
    """Which alerts (query parameters): a person's own, unless an overseer asks."""

    recipient: str | None = None
    status: StatusName | None = None
    type: str | None = None
    unit: str | None = None
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=100_000)


@router.get(
    "/alerts",
    summary="Alerts and dialogue notices with their delivery status",
    response_model=AlertPage,
)
async def list_alerts(
    who: Anyone, store: Store, q: Annotated[AlertQuery, Query()]
) -> dict[str, Any]:
    recipient = q.recipient
    if not who.has(*_OVERSEERS):
        if recipient not in (None, who.sub):
            log.warning("forbidden", extra={"sub": who.sub, "asked_for": recipient})
            raise HTTPException(403, "you can list only the alerts addressed to you")
        recipient = who.sub
    rank = RANK[Status(q.status)] if q.status else None
    found = await store.alerts_page(
        AlertFilter(recipient, rank, q.type, q.unit, q.since, q.until), q.offset, q.limit
    )
    return {"alerts": [_public(d) for d in found], "limit": q.limit, "offset": q.offset}


@router.get(
    "/alerts/{alert_id}",
    summary="One alert with every notification and attempt",
    response_model=AlertDetail,
)
async def get_alert(alert_id: str, who: Anyone, store: Store) -> dict[str, Any]:
    doc = await store.alert(alert_id)
    if doc is None or not _visible(who, doc):
        raise HTTPException(404, f"no alert {alert_id!r} addressed to you")
    overseer = who.has(*_OVERSEERS)
    found = []
    for n in await store.notifications_of(alert_id):
        if not overseer and n.get("recipient", {}).get("id") != who.sub:
            continue  # another recipient's address and deliveries are theirs
        attempts = n.pop("attempts")
        final = next((a for a in attempts if a["_id"].endswith("#final")), None)
        status = final["result"] if final else Status.PENDING.value
        shown = [_public(a) for a in attempts if a is not final]
        found.append({**_public(n), "status": status, "attempts": shown})
    return {**_public(doc), "notifications": found}


@router.post(
    "/alerts/{alert_id}/ack",
    summary="Acknowledge an alert with a comment",
    response_model=AlertOut,
)
async def acknowledge(
    alert_id: str, body: AckRequest, who: Anyone, store: Store, now: Now
) -> dict[str, Any]:
    doc = await store.alert(alert_id)
    if doc is None or not _visible(who, doc):
        raise HTTPException(404, f"no alert {alert_id!r} addressed to you")
    if who.sub not in doc["recipients"] and not who.has(Role.ADMIN):
        log.warning("forbidden ack", extra={"sub": who.sub, "alert": alert_id})
        raise HTTPException(403, "only a recipient or an admin acknowledges an alert")
    ack = {"by": who.sub, "at": now, "comment": body.comment}
    by = await store.acknowledge(alert_id, ack)
    if by is not None:
        raise HTTPException(409, f"already acknowledged by {by.get('by')} at {by.get('at')}")
    log.info("alert acknowledged", extra={"alert": alert_id, "by": who.sub})
    return _public({**doc, "ack": ack, "rank": RANK[Status.ACKNOWLEDGED]})


@router.post(
    "/silences",
    status_code=201,
    summary="Mute matching alerts for a while",
    response_model=SilenceOut,
)
async def create_silence(
    body: SilenceRequest, who: Overseer, store: Store, now: Now
) -> dict[str, Any]:
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
        "created_by": who.sub,
        "created_at": now,
        "comment": body.comment,
    }
    await store.add_silence(doc)
    log.info("silence created", extra={"silence": doc["_id"], "by": who.sub})
    return _public(doc)


@router.get("/silences", summary="Silences, the active ones by default", response_model=SilenceList)
async def list_silences(
    _: Overseer, store: Store, now: Now, include_expired: bool = False
) -> dict[str, Any]:
    found = await store.silences_list(None if include_expired else now)
    return {"silences": [_public(d) for d in found]}


@router.delete(
    "/silences/{silence_id}",
    summary="Expire a silence now (kept in history)",
    response_model=SilenceExpired,
)
async def expire_silence(silence_id: str, who: Overseer, store: Store, now: Now) -> dict[str, Any]:
    if not await store.expire_silence(silence_id, now, who.sub):
        raise HTTPException(404, f"no active silence {silence_id!r}")
    return {"id": silence_id, "ends_at": now}


@router.get("/me/preferences", summary="Which channels reach me", response_model=PreferencesOut)
async def my_preferences(who: Anyone, store: Store) -> dict[str, Any]:
    off = await store.channels_off(who.sub)
    return {"nip": who.sub, "email": "email" not in off, "web": "web" not in off}


@router.put(
    "/me/preferences",
    summary="Turn e-mail or the web stream off or on for me",
    response_model=PreferencesOut,
)
async def set_preferences(body: Preferences, who: Anyone, store: Store, now: Now) -> dict[str, Any]:
    if not (body.email or body.web):
        raise HTTPException(422, "keep at least one channel on: alerts must reach you somehow")
    off = [c for c, on in (("email", body.email), ("web", body.web)) if not on]
    await store.set_channels_off(who.sub, off, now)
    return {"nip": who.sub, "email": body.email, "web": body.web}


@router.post(
    "/stream/tickets",
    summary="A ticket to open your live stream with (EventSource cannot send headers)",
)
async def stream_ticket(who: Anyone, store: Store, now: Now) -> StreamTicket:
    """The stream's URL would otherwise carry the sign-in token itself, and URLs land in
    access logs; a ticket opens only the stream, only for a minute."""
    ticket = secrets.token_urlsafe(24)
    await store.forget_tickets(now)
    await store.issue_ticket(_digest(ticket), who.sub, who.roles, now + TICKET_TTL)
    return StreamTicket(ticket=ticket, expires_in=int(TICKET_TTL.total_seconds()))


_bearer = HTTPBearer(auto_error=False)


async def _stream_principal(
    request: Request,
    store: Store,
    now: Now,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ticket: Annotated[
        str | None,
        Query(max_length=64, description="From POST /v1/stream/tickets, for EventSource"),
    ] = None,
) -> Principal:
    if credentials is not None:
        verifier: JwtVerifier = request.app.state.verifier
        try:
            return verifier.verify(credentials.credentials)
        except TokenError as exc:
            raise HTTPException(401, f"invalid token: {exc}") from None
    if ticket:
        doc = await store.ticket(_digest(ticket))
        if doc is not None and doc["until"] >= now:
            return Principal(doc["sub"], frozenset(doc["roles"]))
        raise HTTPException(401, "the stream ticket is unknown or past its minute: ask again")
    raise HTTPException(401, "sign in: send Authorization: Bearer <token>, or a ?ticket=")


@router.get(
    "/stream",
    summary="Your notifications as they arrive (server-sent events)",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "The events"}},
)
async def stream(
    request: Request,
    who: Annotated[Principal, Depends(_stream_principal)],
    hub: Annotated[StreamHub, Depends(_hub)],
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse:
    resume = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
    ping_s: float = request.app.state.stream_ping_s
    return EventSourceResponse(_events(request, hub, who.sub, resume), ping=int(ping_s))


async def _events(
    request: Request, hub: StreamHub, sub: str, resume: int | None
) -> AsyncIterator[ServerSentEvent]:
    """What the stream sends: ready, the backlog since ``resume``, then each entry once."""
    async with hub.subscribe(sub) as queue:
        sent: set[str] = set()
        yield ServerSentEvent(event="ready", data=json.dumps({"sub": sub}))
        if resume is not None:
            for entry in await hub.backlog(sub, resume):
                sent.add(entry["_id"])
                yield _event(entry)
        while not await request.is_disconnected():
            entry = await queue.get()
            if entry["_id"] not in sent:
                sent.add(entry["_id"])
                yield _event(entry)


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

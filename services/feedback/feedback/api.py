"""HTTP adapter: feedback threads, replies, versions and acknowledgement; the supervisor's
Perilaku Kerja rating; coaching sessions and the employee's Format B.1.8. Bearer JWT: a
supervisor acts within their chain, an employee on their own thread; anything else is 403 and
written to the audit log."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from feedback.domain import (
    B18_STATEMENTS,
    Kategori,
    NilaiBerakhlak,
    Relation,
    Visibility,
    b18_score,
    may_acknowledge,
    may_rate,
    may_read,
    may_reply,
    may_write_feedback,
    relation,
)
from feedback.publisher import Publisher
from feedback.store import FeedbackStore
from kinerja_shared.auth import JwtVerifier, Principal, Role, require_roles
from kinerja_shared.events import (
    BehaviourRated,
    BehaviourRatedEvent,
    DialogueNotice,
    FeedbackAcknowledgedEvent,
    FeedbackPostedEvent,
    FeedbackRepliedEvent,
    Nip,
    PerilakuRating,
    Source,
    SourceKind,
)
from kinerja_shared.mongo import insert_new
from kinerja_shared.orgchart import chain_above
from kinerja_shared.people import PeopleView

log = logging.getLogger(__name__)

Period = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]
Line = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]
SOURCE = Source(kind=SourceKind.SYSTEM, id="feedback")

#: ``Idempotency-Key``: a client's name for one request, so that sending it again (a timeout,
#: a double click) records nothing twice and answers with what the first one recorded.
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=8, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$"),
]
_IDEMPOTENCY = uuid.UUID("6f1d2c3e-9a4b-5c6d-8e7f-0a1b2c3d4e5f")


def request_id(principal: Principal, action: str, idempotency_key: str | None) -> str:
    """The id of what a request creates: derived from its Idempotency-Key (the same key from
    the same person names the same thing), else new."""
    if idempotency_key is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(_IDEMPOTENCY, f"{principal.sub}:{action}:{idempotency_key}"))


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Action(_Body):
    """An agreed action (rencana tindak lanjut), e.g. a training need."""

    what: Line
    owner_nip: Nip
    due: date


class Content(_Body):
    text: Text
    strengths: list[Line] = Field(default_factory=list, max_length=20)
    improvements: list[Line] = Field(default_factory=list, max_length=20)
    actions: list[Action] = Field(default_factory=list, max_length=20)


class FeedbackRequest(Content):
    period: Period
    category: Kategori
    values: list[NilaiBerakhlak] = Field(default_factory=list, max_length=7)
    visibility: Visibility = Visibility.BERSAMA


class RatingRequest(_Body):
    period: Period
    rating: PerilakuRating
    justification: Text


class CoachingRequest(_Body):
    date: date
    topics: list[Line] = Field(min_length=1, max_length=20)
    follow_up: Text


class B18Request(_Body):
    answers: list[bool] = Field(min_length=9, max_length=9, description="Format B.1.8, in order")
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""


def feedback_router(
    store: FeedbackStore, people: PeopleView, publisher: Publisher, verifier: JwtVerifier
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["feedback"])
    signed_in = Depends(require_roles(verifier))

    async def standing(principal: Principal, nip: str) -> Relation:
        chart = await people.chart([nip], depth=12)
        if nip not in chart:
            raise HTTPException(404, f"NIP {nip} is not in the reference data")
        return relation(principal, nip, [p.nip for p in chain_above(nip, chart.get, 12)])

    async def require(
        principal: Principal, nip: str, action: str, allowed: Callable[[Relation], bool], why: str
    ) -> Relation:
        """How ``principal`` stands to ``nip``, or a 403 written to the audit log."""
        rel = await standing(principal, nip)
        if not allowed(rel):
            raise await refuse(principal, action, nip, why)
        return rel

    async def audit(principal: Principal, action: str, target: str, allowed: bool) -> None:
        await store.audit.insert_one(
            {
                "at": datetime.now(UTC),
                "sub": principal.sub,
                "roles": sorted(principal.roles),
                "action": action,
                "target": target,
                "allowed": allowed,
            }
        )
        if not allowed:
            log.warning("refused", extra={"sub": principal.sub, "action": action, "target": target})

    async def refuse(principal: Principal, action: str, target: str, why: str) -> HTTPException:
        await audit(principal, action, target, allowed=False)
        return HTTPException(403, why)

    async def notice(
        kind: type[FeedbackPostedEvent | FeedbackRepliedEvent | FeedbackAcknowledgedEvent],
        thread: dict[str, Any],
        author: str,
        excerpt: str,
        event_id: str | None = None,
    ) -> bool:
        if thread["visibility"] != Visibility.BERSAMA:
            return True  # a supervisors' note tells nobody
        event = kind.model_validate(
            {
                "event_id": event_id or str(uuid.uuid4()),
                "type": _TYPE_OF[kind],
                "occurred_at": datetime.now(UTC),
                "nip": thread["nip"],
                "source": SOURCE,
                "payload": DialogueNotice(
                    thread_id=thread["_id"],
                    period=thread["period"],
                    category=thread["category"],
                    author_nip=author,
                    supervisor_nip=thread["supervisor_nip"],
                    excerpt=excerpt[:280],
                ),
            }
        )
        return await publisher.publish(event, datetime.now(UTC))

    async def add_version(
        thread_id: str, entry_id: str, version: int, kind: str, author: str, body: dict[str, Any]
    ) -> None:
        # By its id: a request sent again with its Idempotency-Key writes nothing twice.
        await insert_new(
            store.entries,
            [
                {
                    "_id": f"{thread_id}:{entry_id}:{version}",
                    "thread_id": thread_id,
                    "entry_id": entry_id,
                    "version": version,
                    "kind": kind,
                    "author": author,
                    "at": datetime.now(UTC),
                    "body": body,
                }
            ],
        )

    async def readable_thread(
        principal: Principal, thread_id: str, action: str
    ) -> tuple[dict[str, Any], Relation]:
        thread = await store.thread_with_entries(thread_id)
        if thread is None:
            raise HTTPException(404, f"no feedback thread {thread_id}")
        rel = await standing(principal, thread["nip"])
        if not may_read(rel, Visibility(thread["visibility"])):
            raise await refuse(principal, action, thread_id, "not your thread nor your team's")
        return thread, rel

    @router.post("/employees/{nip}/feedback", status_code=201, summary="Write feedback")
    async def post_feedback(
        nip: str,
        body: FeedbackRequest,
        principal: Principal = signed_in,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        await require(
            principal,
            nip,
            "feedback.post",
            may_write_feedback,
            "only a supervisor in the employee's chain writes feedback",
        )
        thread_id = request_id(principal, "feedback", idempotency_key)
        now = datetime.now(UTC)
        thread = {
            "_id": thread_id,
            "nip": nip,
            "supervisor_nip": principal.sub,
            "period": body.period,
            "category": body.category.value,
            "values": [v.value for v in body.values],
            "visibility": body.visibility.value,
            "created_at": now,
            "acknowledged": None,
        }
        await insert_new(store.threads, [thread])  # a retry finishes what the first began
        content = Content.model_validate(body.model_dump(include=set(Content.model_fields)))
        await add_version(
            thread_id, "e1", 1, "feedback", principal.sub, content.model_dump(mode="json")
        )
        await audit(principal, "feedback.post", thread_id, allowed=True)
        published = await notice(
            FeedbackPostedEvent,
            thread,
            principal.sub,
            body.text,
            str(uuid.uuid5(_IDEMPOTENCY, f"{thread_id}:posted")),
        )
        return {**await _public_thread(store, thread_id), "notice_published": published}

    @router.get("/employees/{nip}/feedback", summary="Feedback threads about an employee")
    async def list_feedback(nip: str, principal: Principal = signed_in) -> dict[str, Any]:
        rel = await require(
            principal, nip, "feedback.list", _any_relation, "not your thread nor your team's"
        )
        threads = []
        async for t in store.threads.find({"nip": nip}).sort("created_at", -1):
            if may_read(rel, Visibility(t["visibility"])):
                threads.append(await _public_thread(store, t["_id"]))
        return {"nip": nip, "threads": threads}

    @router.get("/feedback/{thread_id}", summary="One thread with every version")
    async def get_thread(thread_id: str, principal: Principal = signed_in) -> dict[str, Any]:
        await readable_thread(principal, thread_id, "feedback.read")
        return await _public_thread(store, thread_id)

    @router.post("/feedback/{thread_id}/replies", status_code=201, summary="Reply on a thread")
    async def reply(
        thread_id: str, body: Content, principal: Principal = signed_in
    ) -> dict[str, Any]:
        thread, rel = await readable_thread(principal, thread_id, "feedback.reply")
        if not may_reply(rel, Visibility(thread["visibility"])):
            raise await refuse(
                principal, "feedback.reply", thread_id, "you cannot reply on this thread"
            )
        entry_id = f"e{len(thread['entries']) + 1}-{uuid.uuid4().hex[:6]}"
        await add_version(
            thread_id, entry_id, 1, "reply", principal.sub, body.model_dump(mode="json")
        )
        await audit(principal, "feedback.reply", thread_id, allowed=True)
        published = await notice(FeedbackRepliedEvent, thread, principal.sub, body.text)
        return {**await _public_thread(store, thread_id), "notice_published": published}

    @router.put("/feedback/{thread_id}/entries/{entry_id}", summary="Edit: a new version")
    async def edit(
        thread_id: str, entry_id: str, body: Content, principal: Principal = signed_in
    ) -> dict[str, Any]:
        thread, _ = await readable_thread(principal, thread_id, "feedback.edit")
        entry = next((e for e in thread["entries"] if e["id"] == entry_id), None)
        if entry is None:
            raise HTTPException(404, f"no entry {entry_id} on thread {thread_id}")
        if entry["author"] != principal.sub:
            raise await refuse(
                principal,
                "feedback.edit",
                f"{thread_id}/{entry_id}",
                "only its author edits an entry",
            )
        await add_version(
            thread_id,
            entry_id,
            entry["version"] + 1,
            entry["kind"],
            principal.sub,
            body.model_dump(mode="json"),
        )
        await audit(principal, "feedback.edit", f"{thread_id}/{entry_id}", allowed=True)
        return await _public_thread(store, thread_id)

    @router.post("/feedback/{thread_id}/ack", summary="The employee acknowledges the feedback")
    async def acknowledge(thread_id: str, principal: Principal = signed_in) -> dict[str, Any]:
        thread, rel = await readable_thread(principal, thread_id, "feedback.ack")
        if not may_acknowledge(rel, Visibility(thread["visibility"])):
            raise await refuse(
                principal, "feedback.ack", thread_id, "only the employee acknowledges feedback"
            )
        result = await store.threads.update_one(
            {"_id": thread_id, "acknowledged": None},
            {"$set": {"acknowledged": {"at": datetime.now(UTC), "by": principal.sub}}},
        )
        if result.modified_count == 0:
            raise HTTPException(409, "already acknowledged")
        await audit(principal, "feedback.ack", thread_id, allowed=True)
        published = await notice(FeedbackAcknowledgedEvent, thread, principal.sub, "")
        return {**await _public_thread(store, thread_id), "notice_published": published}

    @router.post("/employees/{nip}/ratings", status_code=201, summary="Rate Perilaku Kerja")
    async def rate(
        nip: str,
        body: RatingRequest,
        principal: Principal = signed_in,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        await require(
            principal,
            nip,
            "rating.post",
            may_rate,
            "only a supervisor in the employee's chain rates",
        )
        event_id = request_id(principal, "rating", idempotency_key)
        if idempotency_key and (done := await store.ratings.find_one({"_id": event_id})):
            return {**_plain(done), "published": True, "repeated": True}
        now = datetime.now(UTC)
        event = BehaviourRatedEvent(
            event_id=event_id,
            type="behaviour.rated",
            occurred_at=now,
            nip=nip,
            source=SOURCE,
            payload=BehaviourRated(
                period=body.period,
                rating=body.rating,
                justification=body.justification,
                rated_by=principal.sub,
            ),
        )
        doc = {
            "_id": event.event_id,
            "nip": nip,
            "at": now,
            **event.payload.model_dump(mode="json"),
        }
        published = await publisher.publish(event, now, [("ratings", doc)])
        await audit(principal, "rating.post", nip, allowed=True)
        return {**_plain(doc), "published": published}

    @router.get("/employees/{nip}/ratings", summary="Every rating of an employee, newest first")
    async def ratings(nip: str, principal: Principal = signed_in) -> dict[str, Any]:
        await require(principal, nip, "rating.list", _any_relation, "not yours nor your team's")
        found = [_plain(d) async for d in store.ratings.find({"nip": nip}).sort("at", -1)]
        return {"nip": nip, "ratings": found}

    @router.post("/employees/{nip}/coaching", status_code=201, summary="Log a coaching session")
    async def coach(
        nip: str, body: CoachingRequest, principal: Principal = signed_in
    ) -> dict[str, Any]:
        await require(
            principal,
            nip,
            "coaching.post",
            may_write_feedback,
            "only a supervisor in the chain coaches",
        )
        doc = {
            "_id": str(uuid.uuid4()),
            "nip": nip,
            "supervisor_nip": principal.sub,
            "created_at": datetime.now(UTC),
            "employee_feedback": None,
            **body.model_dump(mode="json"),
        }
        await store.coaching.insert_one(doc)
        await audit(principal, "coaching.post", doc["_id"], allowed=True)
        return _plain(doc)

    @router.get("/employees/{nip}/coaching", summary="The coaching log of an employee")
    async def coaching_log(nip: str, principal: Principal = signed_in) -> dict[str, Any]:
        await require(principal, nip, "coaching.list", _any_relation, "not yours nor your team's")
        found = [_plain(d) async for d in store.coaching.find({"nip": nip}).sort("date", -1)]
        return {"nip": nip, "sessions": found, "b18_statements": list(B18_STATEMENTS)}

    @router.post(
        "/coaching/{session_id}/employee-feedback", summary="Format B.1.8, by the employee"
    )
    async def b18(
        session_id: str, body: B18Request, principal: Principal = signed_in
    ) -> dict[str, Any]:
        session = await store.coaching.find_one({"_id": session_id})
        if session is None:
            raise HTTPException(404, f"no coaching session {session_id}")
        if principal.sub != session["nip"]:
            raise await refuse(
                principal,
                "coaching.b18",
                session_id,
                "only the coached employee answers Format B.1.8",
            )
        answers = {
            "answers": dict(zip(B18_STATEMENTS, body.answers, strict=True)),
            "agreed": b18_score(body.answers),
            "comment": body.comment,
            "at": datetime.now(UTC),
        }
        result = await store.coaching.update_one(
            {"_id": session_id, "employee_feedback": None}, {"$set": {"employee_feedback": answers}}
        )
        if result.modified_count == 0:
            raise HTTPException(409, "Format B.1.8 was already answered for this session")
        await audit(principal, "coaching.b18", session_id, allowed=True)
        return _plain({**session, "employee_feedback": answers})

    @router.get("/audit", summary="Who did what, and what was refused (admin)")
    async def audit_log(
        _: Principal = Depends(require_roles(verifier, Role.ADMIN)),  # noqa: B008
        refused_only: bool = False,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> dict[str, Any]:
        query: dict[str, Any] = {"allowed": False} if refused_only else {}
        found = [_plain(d) async for d in store.audit.find(query).sort("at", -1).limit(limit)]
        return {"entries": found}

    return router


_TYPE_OF: dict[type, str] = {
    FeedbackPostedEvent: "feedback.posted",
    FeedbackRepliedEvent: "feedback.replied",
    FeedbackAcknowledgedEvent: "feedback.acknowledged",
}


def _any_relation(rel: Relation) -> bool:
    return rel is not Relation.NONE


def _plain(doc: dict[str, Any]) -> dict[str, Any]:
    return {("id" if k == "_id" else k): str(v) if k == "_id" else v for k, v in doc.items()}


async def _public_thread(store: FeedbackStore, thread_id: str) -> dict[str, Any]:
    thread = await store.thread_with_entries(thread_id)
    assert thread is not None
    return _plain(thread)

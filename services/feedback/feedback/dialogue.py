"""The performance dialogue (use cases): feedback threads, replies, versions and the employee's
acknowledgement; the supervisor's Perilaku Kerja rating; coaching sessions and the employee's
Format B.1.8. Each use case decides who may act (``feedback.domain``'s relations), writes what
it did or refused to the audit log, and publishes what others must hear of.

A supervisor acts within their chain, an employee on their own thread; anything else is
``Refused`` and audited. The ports are ``FeedbackStore``, ``PeopleView`` and ``Publisher``;
tests pass fakes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from feedback.domain import (
    B18_STATEMENTS,
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
from feedback.models import B18Request, CoachingRequest, Content, FeedbackRequest, RatingRequest
from kinerja_shared.clock import Clock
from kinerja_shared.events import (
    BehaviourRated,
    BehaviourRatedEvent,
    DialogueNotice,
    FeedbackAcknowledgedEvent,
    FeedbackPostedEvent,
    FeedbackRepliedEvent,
    Source,
    SourceKind,
)
from kinerja_shared.identity import Principal
from kinerja_shared.orgchart import Person, chain_above

log = logging.getLogger(__name__)
Doc = dict[str, Any]
SOURCE = Source(kind=SourceKind.SYSTEM, id="feedback")
_IDEMPOTENCY = uuid.UUID("6f1d2c3e-9a4b-5c6d-8e7f-0a1b2c3d4e5f")
Notice = type[FeedbackPostedEvent | FeedbackRepliedEvent | FeedbackAcknowledgedEvent]
_TYPE_OF: dict[type, str] = {
    FeedbackPostedEvent: "feedback.posted",
    FeedbackRepliedEvent: "feedback.replied",
    FeedbackAcknowledgedEvent: "feedback.acknowledged",
}


class Refused(Exception):
    """Not this person's to do (403); already in the audit log."""


class NotFound(Exception):
    """Nothing of that name (404)."""


class Conflict(Exception):
    """Done once already, and it is done once only (409)."""


def request_id(principal: Principal, action: str, idempotency_key: str | None) -> str:
    """The id of what a request creates: derived from its Idempotency-Key (the same key from
    the same person names the same thing), else new."""
    if idempotency_key is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(_IDEMPOTENCY, f"{principal.sub}:{action}:{idempotency_key}"))


class Store(Protocol):
    async def add_thread(self, thread: Doc) -> None: ...
    async def add_version(self, version: Doc) -> None: ...
    async def thread_with_entries(self, thread_id: str) -> Doc | None: ...
    async def threads_of(self, nip: str) -> list[Doc]: ...
    async def acknowledge(self, thread_id: str, at: datetime, by: str) -> bool: ...
    async def rating(self, rating_id: str) -> Doc | None: ...
    async def ratings_of(self, nip: str) -> list[Doc]: ...
    async def add_coaching(self, session: Doc) -> None: ...
    async def coaching_session(self, session_id: str) -> Doc | None: ...
    async def coaching_of(self, nip: str) -> list[Doc]: ...
    async def answer_b18(self, session_id: str, answers: Doc) -> bool: ...
    async def record(self, entry: Doc) -> None: ...
    async def audit_entries(self, refused_only: bool, limit: int) -> list[Doc]: ...


class AuditLog(Protocol):
    async def record(self, entry: Doc) -> None: ...


class People(Protocol):
    async def chart(self, nips: Sequence[str], depth: int = 8) -> dict[str, Person]: ...


class Publishes(Protocol):
    async def publish(
        self, event: Any, now: datetime, changes: Sequence[tuple[str, Doc]] = ()
    ) -> bool: ...


class Dialogue:
    def __init__(self, store: Store, people: People, publisher: Publishes, clock: Clock) -> None:
        self._store = store
        self._people = people
        self._publisher = publisher
        self._clock = clock

    # --- feedback threads -------------------------------------------------------------------

    async def post_feedback(
        self, who: Principal, nip: str, body: FeedbackRequest, idempotency_key: str | None
    ) -> tuple[Doc, bool]:
        """The new thread and whether its notice reached Kafka (else it waits in the outbox)."""
        why = "only a supervisor in the employee's chain writes feedback"
        await self._require(who, nip, "feedback.post", may_write_feedback, why)
        thread_id = request_id(who, "feedback", idempotency_key)
        thread = {
            "_id": thread_id,
            "nip": nip,
            "supervisor_nip": who.sub,
            "period": body.period,
            "category": body.category.value,
            "values": [v.value for v in body.values],
            "visibility": body.visibility.value,
            "created_at": self._clock.now(),
            "acknowledged": None,
        }
        await self._store.add_thread(thread)
        content = Content.model_validate(body.model_dump(include=set(Content.model_fields)))
        await self._version(thread_id, "e1", 1, "feedback", who.sub, content)
        await self._audit(who, "feedback.post", thread_id, allowed=True)
        notice_id = str(uuid.uuid5(_IDEMPOTENCY, f"{thread_id}:posted"))
        published = await self._notice(FeedbackPostedEvent, thread, who.sub, body.text, notice_id)
        return await self._thread(thread_id), published

    async def threads(self, who: Principal, nip: str) -> list[Doc]:
        """The threads about ``nip`` that ``who`` may read, newest first."""
        rel = await self._require(
            who, nip, "feedback.list", _any_relation, "not your thread nor your team's"
        )
        return [
            await self._thread(t["_id"])
            for t in await self._store.threads_of(nip)
            if may_read(rel, Visibility(t["visibility"]))
        ]

    async def thread(self, who: Principal, thread_id: str) -> Doc:
        await self._readable(who, thread_id, "feedback.read")
        return await self._thread(thread_id)

    async def reply(self, who: Principal, thread_id: str, body: Content) -> tuple[Doc, bool]:
        thread, rel = await self._readable(who, thread_id, "feedback.reply")
        if not may_reply(rel, Visibility(thread["visibility"])):
            raise await self._refuse(
                who, "feedback.reply", thread_id, "you cannot reply on this thread"
            )
        entry_id = f"e{len(thread['entries']) + 1}-{uuid.uuid4().hex[:6]}"
        await self._version(thread_id, entry_id, 1, "reply", who.sub, body)
        await self._audit(who, "feedback.reply", thread_id, allowed=True)
        published = await self._notice(FeedbackRepliedEvent, thread, who.sub, body.text)
        return await self._thread(thread_id), published

    async def edit(self, who: Principal, thread_id: str, entry_id: str, body: Content) -> Doc:
        """A new version of an entry, by its author only; every version stays."""
        thread, _ = await self._readable(who, thread_id, "feedback.edit")
        entry = next((e for e in thread["entries"] if e["id"] == entry_id), None)
        if entry is None:
            raise NotFound(f"no entry {entry_id} on thread {thread_id}")
        target = f"{thread_id}/{entry_id}"
        if entry["author"] != who.sub:
            raise await self._refuse(who, "feedback.edit", target, "only its author edits an entry")
        await self._version(thread_id, entry_id, entry["version"] + 1, entry["kind"], who.sub, body)
        await self._audit(who, "feedback.edit", target, allowed=True)
        return await self._thread(thread_id)

    async def acknowledge(self, who: Principal, thread_id: str) -> tuple[Doc, bool]:
        thread, rel = await self._readable(who, thread_id, "feedback.ack")
        if not may_acknowledge(rel, Visibility(thread["visibility"])):
            raise await self._refuse(
                who, "feedback.ack", thread_id, "only the employee acknowledges feedback"
            )
        if not await self._store.acknowledge(thread_id, self._clock.now(), who.sub):
            raise Conflict("already acknowledged")
        await self._audit(who, "feedback.ack", thread_id, allowed=True)
        published = await self._notice(FeedbackAcknowledgedEvent, thread, who.sub, "")
        return await self._thread(thread_id), published

    # --- ratings and coaching ---------------------------------------------------------------

    async def rate(
        self, who: Principal, nip: str, body: RatingRequest, idempotency_key: str | None
    ) -> tuple[Doc, bool, bool]:
        """The rating, whether it reached Kafka, and whether it was a repeat of its key."""
        why = "only a supervisor in the employee's chain rates"
        await self._require(who, nip, "rating.post", may_rate, why)
        event_id = request_id(who, "rating", idempotency_key)
        if idempotency_key and (done := await self._store.rating(event_id)):
            return done, True, True
        now = self._clock.now()
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
                rated_by=who.sub,
            ),
        )
        doc = {"_id": event_id, "nip": nip, "at": now, **event.payload.model_dump(mode="json")}
        published = await self._publisher.publish(event, now, [("ratings", doc)])
        await self._audit(who, "rating.post", nip, allowed=True)
        return doc, published, False

    async def ratings(self, who: Principal, nip: str) -> list[Doc]:
        await self._require(who, nip, "rating.list", _any_relation, "not yours nor your team's")
        return await self._store.ratings_of(nip)

    async def coach(self, who: Principal, nip: str, body: CoachingRequest) -> Doc:
        why = "only a supervisor in the chain coaches"
        await self._require(who, nip, "coaching.post", may_write_feedback, why)
        session = {
            "_id": str(uuid.uuid4()),
            "nip": nip,
            "supervisor_nip": who.sub,
            "created_at": self._clock.now(),
            "employee_feedback": None,
            **body.model_dump(mode="json"),
        }
        await self._store.add_coaching(session)
        await self._audit(who, "coaching.post", session["_id"], allowed=True)
        return session

    async def coaching_log(self, who: Principal, nip: str) -> list[Doc]:
        await self._require(who, nip, "coaching.list", _any_relation, "not yours nor your team's")
        return await self._store.coaching_of(nip)

    async def coaching_session(self, who: Principal, session_id: str) -> Doc:
        """One session, to the coached employee, their chain and BKPSDM."""
        session = await self._store.coaching_session(session_id)
        if session is None:
            raise NotFound(f"no coaching session {session_id}")
        why = "not yours nor your team's"
        await self._require(who, session["nip"], "coaching.read", _any_relation, why)
        return session

    async def answer_b18(self, who: Principal, session_id: str, body: B18Request) -> Doc:
        """The coached employee's own view of the session (Format B.1.8), once."""
        session = await self._store.coaching_session(session_id)
        if session is None:
            raise NotFound(f"no coaching session {session_id}")
        if who.sub != session["nip"]:
            why = "only the coached employee answers Format B.1.8"
            raise await self._refuse(who, "coaching.b18", session_id, why)
        answers = {
            "answers": dict(zip(B18_STATEMENTS, body.answers, strict=True)),
            "agreed": b18_score(body.answers),
            "comment": body.comment,
            "at": self._clock.now(),
        }
        if not await self._store.answer_b18(session_id, answers):
            raise Conflict("Format B.1.8 was already answered for this session")
        await self._audit(who, "coaching.b18", session_id, allowed=True)
        return {**session, "employee_feedback": answers}

    async def audit_log(self, refused_only: bool, limit: int) -> list[Doc]:
        return await self._store.audit_entries(refused_only, limit)

    # --- the steps the use cases share ------------------------------------------------------

    async def _standing(self, who: Principal, nip: str) -> Relation:
        chart = await self._people.chart([nip], depth=12)
        if nip not in chart:
            raise NotFound(f"NIP {nip} is not in the reference data")
        return relation(who, nip, [p.nip for p in chain_above(nip, chart.get, 12)])

    async def _require(
        self, who: Principal, nip: str, action: str, allowed: Callable[[Relation], bool], why: str
    ) -> Relation:
        """How ``who`` stands to ``nip``; refused (and audited) unless ``allowed``."""
        rel = await self._standing(who, nip)
        if not allowed(rel):
            raise await self._refuse(who, action, nip, why)
        return rel

    async def _readable(self, who: Principal, thread_id: str, action: str) -> tuple[Doc, Relation]:
        thread = await self._store.thread_with_entries(thread_id)
        if thread is None:
            raise NotFound(f"no feedback thread {thread_id}")
        rel = await self._standing(who, thread["nip"])
        if not may_read(rel, Visibility(thread["visibility"])):
            raise await self._refuse(who, action, thread_id, "not your thread nor your team's")
        return thread, rel

    async def _thread(self, thread_id: str) -> Doc:
        thread = await self._store.thread_with_entries(thread_id)
        if thread is None:
            raise NotFound(f"no feedback thread {thread_id}")
        return thread

    async def _version(
        self, thread_id: str, entry_id: str, version: int, kind: str, author: str, body: Content
    ) -> None:
        # By its id: a request sent again with its Idempotency-Key writes nothing twice.
        await self._store.add_version(
            {
                "_id": f"{thread_id}:{entry_id}:{version}",
                "thread_id": thread_id,
                "entry_id": entry_id,
                "version": version,
                "kind": kind,
                "author": author,
                "at": self._clock.now(),
                "body": body.model_dump(mode="json"),
            }
        )

    async def _audit(self, who: Principal, action: str, target: str, *, allowed: bool) -> None:
        await audit(self._store, self._clock, who, action, target, allowed=allowed)

    async def _refuse(self, who: Principal, action: str, target: str, why: str) -> Refused:
        return await refuse(self._store, self._clock, who, action, target, why)

    async def _notice(
        self, kind: Notice, thread: Doc, author: str, excerpt: str, event_id: str | None = None
    ) -> bool:
        if thread["visibility"] != Visibility.BERSAMA:
            return True  # a supervisors' note tells nobody
        now = self._clock.now()
        event = kind.model_validate(
            {
                "event_id": event_id or str(uuid.uuid4()),
                "type": _TYPE_OF[kind],
                "occurred_at": now,
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
        return await self._publisher.publish(event, now)


async def audit(
    store: AuditLog, clock: Clock, who: Principal, action: str, target: str, *, allowed: bool
) -> None:
    """Write who did (or was refused) what to the audit log."""
    await store.record(
        {
            "at": clock.now(),
            "sub": who.sub,
            "roles": sorted(who.roles),
            "action": action,
            "target": target,
            "allowed": allowed,
        }
    )
    if not allowed:
        log.warning("refused", extra={"sub": who.sub, "action": action, "target": target})


async def refuse(
    store: AuditLog, clock: Clock, who: Principal, action: str, target: str, why: str
) -> Refused:
    """Audit a refusal and return the exception to raise."""
    await audit(store, clock, who, action, target, allowed=False)
    return Refused(why)


def _any_relation(rel: Relation) -> bool:
    return rel is not Relation.NONE

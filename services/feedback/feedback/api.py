"""HTTP adapter of the performance dialogue: each handler reads the request, calls one use case
of ``feedback.dialogue`` and shapes its answer. Who may do what is decided there (and audited);
here a refusal becomes 403, a missing thing 404, a second time of a once-only act 409."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
)
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from feedback.coaching_record import CoachingRecords
from feedback.dialogue import Conflict, Dialogue, NotFound, Refused
from feedback.domain import B18_STATEMENTS
from feedback.gateway import ServiceGateway
from feedback.models import (
    B18Request,
    CoachingRequest,
    Content,
    DecisionRequest,
    FeedbackRequest,
    ObjectionRequest,
    RatingRequest,
)
from feedback.objections import Objections
from feedback.responses import (
    AuditLog,
    CoachingLog,
    CoachingOut,
    ObjectionList,
    ObjectionOut,
    RatingList,
    RatingOut,
    ThreadList,
    ThreadOut,
)
from kinerja_shared.auth import JwtVerifier, Principal, Role, require_roles
from kinerja_shared.documents import VerdictOut

#: ``Idempotency-Key``: a client's name for one request, so that sending it again (a timeout,
#: a double click) records nothing twice and answers with what the first one recorded.
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=8, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$"),
]
Doc = dict[str, Any]
PDF = "application/pdf"


def mount_dialogue(
    app: FastAPI,
    dialogue: Dialogue,
    objections: Objections,
    records: CoachingRecords,
    verifier: JwtVerifier,
) -> None:
    """The dialogue's routes (objections and coaching records too) and its errors."""
    app.state.dialogue = dialogue
    app.state.objections = objections
    app.state.records = records
    app.state.verifier = verifier
    router = APIRouter(prefix="/v1", tags=["feedback"])
    for path, method, handler, code, summary, answer in ROUTES:
        router.add_api_route(
            path,
            handler,
            methods=[method],
            status_code=code,
            summary=summary,
            response_model=answer,
        )
    router.add_api_route(
        "/coaching/{session_id}/document",
        coaching_document,
        summary="The coaching record (Format B.1.8) as PDF",
        response_class=Response,
        responses={200: {"content": {PDF: {}}, "description": "X-Verification-Code names it"}},
    )
    router.add_api_route(
        "/coaching-documents/{record_code}",
        verify_record,
        summary="Check a coaching record's verification code",
        response_model=VerdictOut,
    )
    app.include_router(router)
    app.add_exception_handler(Refused, _status(403))
    app.add_exception_handler(NotFound, _status(404))
    app.add_exception_handler(Conflict, _status(409))


def _status(code: int) -> Any:
    async def answer(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=code)

    return answer


def _dialogue(request: Request) -> Dialogue:
    dialogue: Dialogue = request.app.state.dialogue
    return dialogue


def _objections(request: Request) -> Objections:
    objections: Objections = request.app.state.objections
    return objections


_bearer = HTTPBearer(auto_error=False, description="A JWT with claims sub (NIP) and roles")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _signed_in(request: Request, credentials: Credentials) -> Principal:
    """Anyone signed in: the use case then decides by how they stand to the employee."""
    return require_roles(request.app.state.verifier)(credentials)


def _admin(request: Request, credentials: Credentials) -> Principal:
    return require_roles(request.app.state.verifier, Role.ADMIN)(credentials)


#: Who may call a route, declared in its signature.
SignedIn = Annotated[Principal, Depends(_signed_in)]
Admin = Annotated[Principal, Depends(_admin)]


async def post_feedback(
    request: Request,
    who: SignedIn,
    nip: str,
    body: FeedbackRequest,
    idempotency_key: IdempotencyKey = None,
) -> Doc:
    thread, published = await _dialogue(request).post_feedback(who, nip, body, idempotency_key)
    return {**_plain(thread), "notice_published": published}


async def list_feedback(request: Request, who: SignedIn, nip: str) -> Doc:
    threads = await _dialogue(request).threads(who, nip)
    return {"nip": nip, "threads": [_plain(t) for t in threads]}


async def get_thread(request: Request, who: SignedIn, thread_id: str) -> Doc:
    return _plain(await _dialogue(request).thread(who, thread_id))


async def reply(request: Request, who: SignedIn, thread_id: str, body: Content) -> Doc:
    thread, published = await _dialogue(request).reply(who, thread_id, body)
    return {**_plain(thread), "notice_published": published}


async def edit(
    request: Request, who: SignedIn, thread_id: str, entry_id: str, body: Content
) -> Doc:
    return _plain(await _dialogue(request).edit(who, thread_id, entry_id, body))


async def acknowledge(request: Request, who: SignedIn, thread_id: str) -> Doc:
    thread, published = await _dialogue(request).acknowledge(who, thread_id)
    return {**_plain(thread), "notice_published": published}


async def rate(
    request: Request,
    who: SignedIn,
    nip: str,
    body: RatingRequest,
    idempotency_key: IdempotencyKey = None,
) -> Doc:
    doc, published, repeated = await _dialogue(request).rate(who, nip, body, idempotency_key)
    return {**_plain(doc), "published": published, **({"repeated": True} if repeated else {})}


async def ratings(request: Request, who: SignedIn, nip: str) -> Doc:
    found = await _dialogue(request).ratings(who, nip)
    return {"nip": nip, "ratings": [_plain(d) for d in found]}


async def coach(request: Request, who: SignedIn, nip: str, body: CoachingRequest) -> Doc:
    return _plain(await _dialogue(request).coach(who, nip, body))


async def coaching_log(request: Request, who: SignedIn, nip: str) -> Doc:
    found = await _dialogue(request).coaching_log(who, nip)
    return {"nip": nip, "sessions": [_plain(d) for d in found], "b18_statements": B18_STATEMENTS}


async def b18(request: Request, who: SignedIn, session_id: str, body: B18Request) -> Doc:
    return _plain(await _dialogue(request).answer_b18(who, session_id, body))


async def coaching_document(request: Request, who: SignedIn, session_id: str) -> Response:
    records: CoachingRecords = request.app.state.records
    body, issued = await records.document(who, session_id, await _policy_version(request))
    disposition = f'attachment; filename="bimbingan-{session_id}.pdf"'
    headers = {"Content-Disposition": disposition, "X-Verification-Code": issued.code}
    return Response(body, media_type=PDF, headers=headers)


async def _policy_version(request: Request) -> str | None:
    """The performance policy in force, as scoring judges by it; None if scoring is away (the
    record is still printed, and says it could not name the version)."""
    scoring: ServiceGateway = request.app.state.scoring
    try:
        guide = await scoring.json(request, "/v1/policy/guide")
    except HTTPException:
        return None
    return str(guide["policy_version"]) if guide else None


async def verify_record(
    request: Request, who: SignedIn, record_code: Annotated[str, Path(max_length=40)]
) -> VerdictOut:
    records: CoachingRecords = request.app.state.records
    return VerdictOut.of(await records.verify(who, record_code))


async def audit_log(
    request: Request,
    _: Admin,
    refused_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Doc:
    found = await _dialogue(request).audit_log(refused_only, limit)
    return {"entries": [_plain(d) for d in found]}


async def object_to(
    request: Request,
    who: SignedIn,
    nip: str,
    body: ObjectionRequest,
    idempotency_key: IdempotencyKey = None,
) -> Doc:
    doc, published = await _objections(request).file(who, nip, body, idempotency_key)
    return {**_plain(doc), "notice_published": published}


async def objections_of(request: Request, who: SignedIn, nip: str) -> Doc:
    found = await _objections(request).of(who, nip)
    return {"nip": nip, "objections": [_plain(d) for d in found]}


async def decide(request: Request, who: SignedIn, objection_id: str, body: DecisionRequest) -> Doc:
    doc, published = await _objections(request).decide(who, objection_id, body)
    return {**_plain(doc), "published": published}


#: Path, method, handler, status, summary, answer (who may call each: its signature,
#: ``SignedIn`` or ``Admin``).
ROUTES: list[tuple[str, str, Callable[..., Awaitable[Doc]], int, str, type[BaseModel]]] = [
    ("/employees/{nip}/feedback", "POST", post_feedback, 201, "Write feedback", ThreadOut),
    (
        "/employees/{nip}/feedback",
        "GET",
        list_feedback,
        200,
        "Feedback threads about an employee",
        ThreadList,
    ),
    ("/feedback/{thread_id}", "GET", get_thread, 200, "One thread with every version", ThreadOut),
    ("/feedback/{thread_id}/replies", "POST", reply, 201, "Reply on a thread", ThreadOut),
    (
        "/feedback/{thread_id}/entries/{entry_id}",
        "PUT",
        edit,
        200,
        "Edit: a new version",
        ThreadOut,
    ),
    (
        "/feedback/{thread_id}/ack",
        "POST",
        acknowledge,
        200,
        "Acknowledged by the employee",
        ThreadOut,
    ),
    ("/employees/{nip}/ratings", "POST", rate, 201, "Rate Perilaku Kerja", RatingOut),
    (
        "/employees/{nip}/ratings",
        "GET",
        ratings,
        200,
        "Every rating of an employee, newest first",
        RatingList,
    ),
    ("/employees/{nip}/coaching", "POST", coach, 201, "Log a coaching session", CoachingOut),
    (
        "/employees/{nip}/coaching",
        "GET",
        coaching_log,
        200,
        "The coaching log of an employee",
        CoachingLog,
    ),
    (
        "/coaching/{session_id}/employee-feedback",
        "POST",
        b18,
        200,
        "Format B.1.8, by the employee",
        CoachingOut,
    ),
    (
        "/employees/{nip}/objections",
        "POST",
        object_to,
        201,
        "Object to a result (keberatan)",
        ObjectionOut,
    ),
    (
        "/employees/{nip}/objections",
        "GET",
        objections_of,
        200,
        "An employee's objections",
        ObjectionList,
    ),
    (
        "/objections/{objection_id}/decision",
        "POST",
        decide,
        200,
        "Decide an objection (final)",
        ObjectionOut,
    ),
    ("/audit", "GET", audit_log, 200, "Who did what, and what was refused (admin)", AuditLog),
]


def _plain(doc: Doc) -> Doc:
    return {("id" if k == "_id" else k): str(v) if k == "_id" else v for k, v in doc.items()}

"""The console's documents: the evaluation document (made by scoring) downloaded with the
reader's token; one check for any verification code, whichever service issued it (``EV-``
scoring's evaluations, ``BK-`` this service's coaching records); and the rules page (Cara
penilaian) scoring makes from its policy file."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response

from feedback.api import SignedIn
from feedback.coaching_record import PREFIX as RECORD_PREFIX
from feedback.coaching_record import UNKNOWN_CODE, CoachingRecords
from feedback.models import Period
from feedback.responses import ScoringAnswer
from feedback.scoring_gateway import ScoringGateway
from kinerja_shared.documents import VerdictOut
from kinerja_shared.events import Nip

router = APIRouter(prefix="/v1/console", tags=["console"])
PDF = "application/pdf"


def _gateway(request: Request) -> ScoringGateway:
    gateway: ScoringGateway = request.app.state.scoring
    return gateway


def _records(request: Request) -> CoachingRecords:
    records: CoachingRecords = request.app.state.records
    return records


Scoring = Annotated[ScoringGateway, Depends(_gateway)]
Records = Annotated[CoachingRecords, Depends(_records)]


@router.get(
    "/employees/{nip}/evaluation/document",
    summary="The evaluation document of a period as PDF, from scoring",
    response_class=Response,
    responses={200: {"content": {PDF: {}}, "description": "X-Verification-Code names it"}},
)
async def evaluation_document(
    nip: Nip, period: Period, request: Request, _: SignedIn, scoring: Scoring
) -> Response:
    r = await scoring.ask(request, f"/v1/employees/{nip}/evaluation/document", period=period)
    if r.status_code == 404:
        raise HTTPException(404, "belum ada evaluasi untuk periode ini")
    return scoring.file(r, "x-verification-code")


@router.get(
    "/documents/{code}",
    summary="Check any document's verification code",
    response_model=VerdictOut,
    responses={404: {"description": "Unknown code, or a document the reader may not see"}},
)
async def verify(
    code: Annotated[str, Path(max_length=40)],
    request: Request,
    who: SignedIn,
    scoring: Scoring,
    records: Records,
) -> VerdictOut:
    code = code.strip().upper()
    if code.startswith(f"{RECORD_PREFIX}-"):
        return VerdictOut.of(await records.verify(who, code))
    found = await scoring.json(request, f"/v1/documents/{code}")
    if found is None:
        raise HTTPException(404, UNKNOWN_CODE)
    return VerdictOut.model_validate(found)


@router.get(
    "/guide",
    summary="Cara penilaian, from scoring's policy file",
    response_model=ScoringAnswer,
)
async def guide(request: Request, _: SignedIn, scoring: Scoring) -> dict[str, Any]:
    found = await scoring.json(request, "/v1/policy/guide")
    if found is None:
        raise HTTPException(404, "scoring has no guide")
    return found

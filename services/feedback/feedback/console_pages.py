"""Console pages (with ``feedback.console``, which serves the page itself, the team, a person's
evaluation and the unit):

- needs attention: scoring's lines of the team's rolling 30 days with this service's dialogue
  (use case ``feedback.attention``);
- the evaluation document (made by scoring), downloaded with the reader's token;
- one check for any verification code, whichever service issued it (``EV-`` scoring's
  evaluations, ``BK-`` this service's coaching records);
- the rules page (Cara penilaian) scoring makes from its policy file;
- the city view (scoring's units and intake's silent machines) and the outcome lists."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field

from feedback.api import SignedIn
from feedback.attention import Flag, Overdue, needs_attention
from feedback.coaching_record import PREFIX as RECORD_PREFIX
from feedback.coaching_record import CoachingRecords
from feedback.gateway import ServiceGateway
from feedback.models import Period
from feedback.responses import ScoringAnswer
from feedback.store import FeedbackStore
from kinerja_shared.clock import Clock
from kinerja_shared.documents import UNKNOWN_CODE, VerdictOut
from kinerja_shared.events import Nip
from kinerja_shared.indonesian import WIB
from kinerja_shared.people import PeopleView

router = APIRouter(prefix="/v1/console", tags=["console"])
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _gateway(request: Request) -> ServiceGateway:
    gateway: ServiceGateway = request.app.state.scoring
    return gateway


def _people(request: Request) -> PeopleView:
    people: PeopleView = request.app.state.people
    return people


def _store(request: Request) -> FeedbackStore:
    store: FeedbackStore = request.app.state.store
    return store


def _today(request: Request) -> date:
    clock: Clock = request.app.state.clock
    return clock.now().astimezone(WIB).date()


def _intake(request: Request) -> ServiceGateway:
    gateway: ServiceGateway = request.app.state.intake
    return gateway


def _records(request: Request) -> CoachingRecords:
    records: CoachingRecords = request.app.state.records
    return records


Scoring = Annotated[ServiceGateway, Depends(_gateway)]
Records = Annotated[CoachingRecords, Depends(_records)]
Intake = Annotated[ServiceGateway, Depends(_intake)]
People = Annotated[PeopleView, Depends(_people)]
Store = Annotated[FeedbackStore, Depends(_store)]
Today = Annotated[date, Depends(_today)]
#: Scoring answers at most this many lines a page; the worst come first.
ATTENTION_LINES = 500


class AttentionOut(BaseModel):
    quarter_start: str
    crossed: list[Flag] = Field(description="Crossed a threshold (the rolling 30 days)")
    no_feedback: list[Flag] = Field(description="No feedback thread this quarter")
    overdue: list[Overdue] = Field(description="Agreed actions past their due date")
    more_crossed: bool = Field(description="More crossed than the worst shown")
    no_feedback_total: int = Field(description="All without feedback this quarter (some shown)")


@router.get(
    "/attention",
    summary="Who in my team needs attention this week, and why",
    response_model=AttentionOut,
)
async def attention(
    request: Request, who: SignedIn, scoring: Scoring, people: People, store: Store, today: Today
) -> AttentionOut:
    me = await people.find(who.sub)
    if me is None or not me.unit_code:
        raise HTTPException(404, "NIP Anda belum ada di data kepegawaian Kinerja.")
    found = await scoring.json(
        request,
        f"/v1/units/{me.unit_code}/members",
        period="30d",
        below=who.sub,
        attention="true",
        sort="discipline",
        descending="true",
        size=ATTENTION_LINES,
    )
    lines = (found or {}).get("members", [])
    view = await needs_attention(await people.below(who.sub, depth=12), lines, store, today)
    more = (found or {}).get("total", 0) > len(lines)
    return AttentionOut.model_validate({**asdict(view), "more_crossed": more})


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


class MachinesOut(BaseModel):
    total: int
    silent: list[dict[str, Any]] = Field(description="Active machines unheard of too long")
    unavailable: str | None = Field(None, description="Why the machines' state is missing")


class CityPicture(BaseModel):
    period: str
    units: list[ScoringAnswer]
    machines: MachinesOut


@router.get(
    "/city",
    summary="The city at a glance: every unit's picture and the machines gone silent",
    response_model=CityPicture,
)
async def city(
    request: Request, period: Period, _: SignedIn, scoring: Scoring, intake: Intake
) -> CityPicture:
    found = await scoring.json(request, "/v1/city", period=period)
    if found is None:
        raise HTTPException(404, "scoring has no city view")
    return CityPicture(
        period=found["period"], units=found["units"], machines=await _machines(request, intake)
    )


async def _machines(request: Request, intake: ServiceGateway) -> MachinesOut:
    """The units' figures stand without the machines' state: intake away leaves it out, said."""
    try:
        r = await intake.ask(request, "/v1/devices/status")
    except HTTPException as exc:
        return MachinesOut(total=0, silent=[], unavailable=str(exc.detail))
    devices: list[dict[str, Any]] = r.json() if r.status_code == 200 else []
    return MachinesOut(total=len(devices), silent=[d for d in devices if d["silent"]])


@router.get(
    "/outcomes",
    summary="The year's recognition candidates and coaching list, from scoring (BKPSDM)",
    response_model=ScoringAnswer,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
async def outcomes(
    request: Request,
    year: Annotated[int, Query(ge=2000, le=2100)],
    _: SignedIn,
    scoring: Scoring,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Any:
    r = await scoring.ask(request, "/v1/outcomes", year=year, format=format)
    if r.status_code == 404:
        raise HTTPException(404, "scoring has no outcome lists")
    return r.json() if format == "json" else scoring.file(r)

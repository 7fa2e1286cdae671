"""HTTP adapter: thin handlers over ``scoring.reads``. ``GET /v1/employees/{nip}/evaluation``
(a month, quarter or year, or the rolling 30 days), ``GET /v1/units/{unit}/summary``,
``GET /v1/units/{unit}/members`` (a team, paged), ``GET /v1/outcomes``, the TPP recap, and the
evaluation document with its verification (``GET /v1/documents/{code}``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field

from kinerja_shared.auth import Principal, signed_in
from kinerja_shared.documents import VerdictOut
from kinerja_shared.nip import parse_nip
from kinerja_shared.periods import MonthName, Period, resolve
from scoring.days import Days
from scoring.documents import Documents
from scoring.domain.guide import cara_penilaian
from scoring.domain.performance import OrgPredikat
from scoring.domain.team import MemberQuery, SortKey
from scoring.reads import NotFound, Reads, Refused, Unanswerable
from scoring.recap import outcomes_file, to_csv, to_xlsx
from scoring.responses import DayPunchesOut, EvaluationOut, UnitSummaryOut

Today = Callable[[], date]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Member(BaseModel):
    """One employee's line in a team list."""

    nip: str
    name: str | None = None
    position: str | None = None
    unit_code: str | None = None
    supervisor_nip: str | None = None
    predikat: str | None = None
    hasil_kerja: str | None = None
    perilaku_kerja: str | None = None
    perilaku_is_proposal: bool = True
    discipline_level: str | None = None
    discipline_reason: str | None = None
    hadir: int = 0
    tanpa_keterangan: int = 0
    tl_psw_days: int = 0
    working_days_judged: int = 0
    tpp_disiplin_deduction_percent: float | None = None
    ikm_category: str | None = None
    ikm_responses: int = 0
    others: dict[str, str | None] = Field(
        default_factory=dict, description="The predicate of each period asked in compare"
    )


class MembersOut(BaseModel):
    unit_code: str
    period: str
    total: int = Field(description="How many match the filters (all pages)")
    page: int
    size: int
    members: list[Member]


class Outcome(BaseModel):
    nip: str
    name: str | None = None
    unit_code: str | None = None
    predikat: str | None = None
    reasons: list[str]


class OutcomesOut(BaseModel):
    year: int
    recognition: list[Outcome]
    coaching: list[Outcome]
    policy_version: str


def _period(period: str | None, window: str | None, today: date) -> Period:
    try:
        return resolve(period, window, today)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


def _named_period(name: str, today: date) -> Period:
    """A period by name, the rolling window (``30d``) included."""
    return _period(None, name, today) if name == "30d" else _period(name, None, today)


async def _answer(call: Any) -> Any:
    try:
        return await call
    except Refused as exc:
        raise HTTPException(403, str(exc)) from None
    except Unanswerable as exc:
        raise HTTPException(422, str(exc)) from None
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None


def _reads(request: Request) -> Reads:
    reads: Reads = request.app.state.reads
    return reads


def _today(request: Request) -> date:
    today: Today = request.app.state.today
    return today()


Who = Annotated[Principal, Depends(signed_in)]
Uses = Annotated[Reads, Depends(_reads)]
Now = Annotated[date, Depends(_today)]
router = APIRouter(prefix="/v1", tags=["evaluations"])


@router.get(
    "/employees/{nip}/evaluation",
    summary="An employee's evaluation for a period, with its evidence",
    response_model=EvaluationOut,
    responses={
        401: {"description": "No valid bearer token"},
        403: {"description": "Neither your own nor in your chain"},
        404: {"description": "Neither events nor reference data for this NIP"},
        422: {"description": "Malformed NIP, period or window"},
    },
)
async def get_evaluation(
    nip: Annotated[str, Path(description="18-digit NIP")],
    who: Who,
    reads: Uses,
    today: Now,
    period: Annotated[str | None, Query(description="2026-11, 2026-Q4 or 2026")] = None,
    window: Annotated[str | None, Query(description="30d: the rolling 30 days")] = None,
) -> Any:
    try:
        parse_nip(nip, today)
    except ValueError as exc:
        raise HTTPException(422, f"nip: {exc}") from None
    out: dict[str, Any] = await _answer(reads.evaluation(who, nip, _period(period, window, today)))
    return out


@router.get(
    "/employees/{nip}/days/{day}",
    summary="One day's punches as kept, with the punches an administrator voided and why",
    response_model=DayPunchesOut,
    responses={403: {"description": "Neither your own nor in your chain"}},
)
async def get_day(
    nip: Annotated[str, Path(description="18-digit NIP")],
    day: date,
    who: Who,
    request: Request,
    today: Now,
) -> DayPunchesOut:
    try:
        parse_nip(nip, today)
    except ValueError as exc:
        raise HTTPException(422, f"nip: {exc}") from None
    days: Days = request.app.state.days
    kept = await _answer(days.day(who, nip, day))
    return DayPunchesOut.of(nip, kept)


@router.get(
    "/units/{unit_code}/summary",
    summary="A unit's picture for a period: predicates, IKM, discipline, distribution check",
    response_model=UnitSummaryOut,
    responses={403: {"description": "Only admin, ops, or a supervisor of this unit"}},
)
async def unit_summary(
    unit_code: Annotated[str, Path(max_length=64)],
    period: Annotated[str, Query(description="2026-11, 2026-Q4, 2026 or 30d")],
    who: Who,
    reads: Uses,
    today: Now,
    org_predicate: Annotated[
        OrgPredikat | None,
        Query(description="The unit's organisational predicate, for the distribution check"),
    ] = None,
) -> Any:
    p = _named_period(period, today)
    out: dict[str, Any] = await _answer(reads.unit_summary(who, unit_code, p, org_predicate))
    return out


@router.get(
    "/units/{unit_code}/members",
    summary="A page of a unit's employees with their figures (a supervisor sees their team)",
    response_model=MembersOut,
    responses={403: {"description": "Only supervisors (their own team), admin and ops"}},
)
async def unit_members(
    unit_code: Annotated[str, Path(max_length=64)],
    period: Annotated[str, Query(description="2026-11, 2026-Q4, 2026 or 30d")],
    who: Who,
    reads: Uses,
    today: Now,
    below: Annotated[str | None, Query(description="Only those under this NIP")] = None,
    predikat: Annotated[str | None, Query(max_length=40)] = None,
    discipline_level: Annotated[str | None, Query(max_length=10)] = None,
    attention: Annotated[bool, Query(description="Only those who need attention")] = False,
    q: Annotated[str | None, Query(max_length=64, description="Part of a name or NIP")] = None,
    sort: SortKey = SortKey.NAME,
    descending: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
    compare: Annotated[
        list[str] | None, Query(max_length=4, description="Other periods to show")
    ] = None,
) -> Any:
    query = MemberQuery(
        below, predikat, discipline_level, attention, q, sort, descending, page, size
    )
    others = [_named_period(c, today) for c in compare or []]
    p = _named_period(period, today)
    return asdict(await _answer(reads.members(who, unit_code, p, query, others)))


@router.get(
    "/outcomes",
    summary="The year's recognition candidates and coaching list",
    response_model=OutcomesOut,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}, "description": "JSON, CSV or XLSX"}},
)
async def outcomes(
    year: Annotated[int, Query(ge=2000, le=2100)],
    who: Who,
    reads: Uses,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="The file")] = "json",
) -> Any:
    found = await _answer(reads.outcomes(who, year))
    if format == "json":
        return found
    media = "text/csv; charset=utf-8" if format == "csv" else XLSX
    return _file(outcomes_file(found, format), media, f"hasil-kinerja-{year}.{format}")


class CityOut(BaseModel):
    period: str
    units: list[UnitSummaryOut]


@router.get(
    "/city",
    summary="Every unit's picture of a period side by side (BKPSDM and the IT team)",
    response_model=CityOut,
    responses={403: {"description": "Only admin and ops"}},
)
async def city(
    period: Annotated[str, Query(description="2026-11, 2026-Q4, 2026 or 30d")],
    who: Who,
    reads: Uses,
    today: Now,
) -> Any:
    p = _named_period(period, today)
    return {"period": p.name, "units": await _answer(reads.city(who, p))}


class HolidayOut(BaseModel):
    date: str
    name: str
    kind: str = Field(description="libur_nasional or cuti_bersama")


class CalendarOut(BaseModel):
    year: int
    loaded: bool = Field(description="The year's SKB calendar was loaded")
    source: str | None = Field(description="The decree it came from")
    holidays: list[HolidayOut]
    closed_days: list[str]


@router.get(
    "/calendar/{year}",
    summary="A year's working calendar: its decree, holidays and cuti bersama, closed days",
    response_model=CalendarOut,
    responses={403: {"description": "Only admin and ops"}},
)
async def calendar(
    year: Annotated[int, Path(ge=2000, le=2100)], who: Who, reads: Uses
) -> CalendarOut:
    c = await _answer(reads.calendar(who, year))
    return CalendarOut(
        year=c.year,
        loaded=c.loaded is not None,
        source=c.loaded[0] if c.loaded else None,
        holidays=[HolidayOut(date=d, name=n, kind=k) for d, n, k in c.holidays],
        closed_days=c.closed,
    )


class RecapOut(BaseModel):
    period: str
    policy_version: str
    rows: list[dict[str, Any]]


@router.get(
    "/tpp/recap",
    summary="The month's TPP deductions for discipline per OPD and employee (payroll's file)",
    response_model=RecapOut,
    responses={
        200: {"content": {"text/csv": {}, XLSX: {}}, "description": "JSON, CSV or XLSX"},
        403: {"description": "Only BKPSDM (admin)"},
    },
)
async def tpp_recap(
    period: Annotated[MonthName, Query(description="The month, 2026-11")],
    who: Who,
    reads: Uses,
    today: Now,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="The file")] = "json",
) -> Any:
    rows = await _answer(reads.tpp_recap(who, _period(period, None, today)))
    version = reads.policy_version
    name = f"rekap-tpp-{period}"
    if format == "csv":
        return _file(to_csv(rows), "text/csv; charset=utf-8", f"{name}.csv")
    if format == "xlsx":
        return _file(to_xlsx(rows, period, version), XLSX, f"{name}.xlsx")
    return RecapOut(period=period, policy_version=version, rows=[asdict(r) for r in rows])


def _file(body: bytes, media_type: str, filename: str) -> Response:
    disposition = f'attachment; filename="{filename}"'
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


def _documents(request: Request) -> Documents:
    documents: Documents = request.app.state.documents
    return documents


Docs = Annotated[Documents, Depends(_documents)]
PDF = "application/pdf"


@router.get(
    "/employees/{nip}/evaluation/document",
    summary="The evaluation document (Dokumen Evaluasi Kinerja Pegawai) of a period, as PDF",
    response_class=Response,
    responses={
        200: {"content": {PDF: {}}, "description": "The PDF; X-Verification-Code names it"},
        403: {"description": "Neither your own nor in your chain"},
        404: {"description": "Neither events nor reference data for this NIP"},
        422: {"description": "Malformed NIP or period, or the rolling 30 days"},
    },
)
async def evaluation_document(
    nip: Annotated[str, Path(description="18-digit NIP")],
    period: Annotated[str, Query(description="2026-11, 2026-Q4 or 2026")],
    who: Who,
    documents: Docs,
    today: Now,
) -> Response:
    try:
        parse_nip(nip, today)
    except ValueError as exc:
        raise HTTPException(422, f"nip: {exc}") from None
    body, issued = await _answer(documents.evaluation(who, nip, _period(period, None, today)))
    response = _file(body, PDF, f"evaluasi-{nip}-{period}.pdf")
    response.headers["X-Verification-Code"] = issued.code
    return response


@router.get(
    "/documents/{code}",
    summary="Check an evaluation document's verification code",
    response_model=VerdictOut,
    responses={404: {"description": "Unknown code, or a document the reader may not see"}},
)
async def verify_document(
    code: Annotated[str, Path(max_length=40)], who: Who, documents: Docs
) -> VerdictOut:
    return VerdictOut.of(await _answer(documents.verify(who, code)))


class BagianOut(BaseModel):
    judul: str
    kalimat: list[str]
    tabel: list[list[str]] = Field(description="Header row first; empty when none")


class GuideOut(BaseModel):
    government: str
    policy_version: str
    bagian: list[BagianOut]


@router.get(
    "/policy/guide",
    summary="Cara penilaian: every rule in Indonesian, with the policy's own figures",
    response_model=GuideOut,
)
async def policy_guide(_: Who, reads: Uses) -> GuideOut:
    policy = reads.policy
    return GuideOut(
        government=policy.government,
        policy_version=policy.version,
        bagian=[BagianOut(**asdict(b)) for b in cara_penilaian(policy)],
    )

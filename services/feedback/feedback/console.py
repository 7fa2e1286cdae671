"""The console's HTTP side: the static page (no build step) at ``/``, a development sign-in, and
the views it needs that combine this service's data with scoring's documented API (called with
the signed-in person's own token, so scoring applies its own access rules)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from importlib.resources import files
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from feedback.api import SignedIn
from feedback.console_pages import Intake, People, Scoring, Store
from feedback.domain import Visibility, readable_by
from feedback.models import Period
from feedback.responses import (
    ConsoleConfig,
    DevToken,
    ScoringAnswer,
    TeamPage,
    UnitPicture,
    VoidAccepted,
)
from feedback.store import FeedbackStore
from kinerja_shared.auth import Principal, Role, mint_dev_token
from kinerja_shared.clock import Clock
from kinerja_shared.events import Code, Nip
from kinerja_shared.orgchart import chain_above
from kinerja_shared.people import PeopleView
from kinerja_shared.periods import MONTH_PATTERN, MonthName

STATIC = FilePath(str(files("feedback") / "static"))
WIB = ZoneInfo("Asia/Jakarta")
#: A month, the only period the unit page moves by (its trend is the three months before).
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _team_row(
    m: dict[str, Any], me: str, previous: str | None, threads: dict[str, int]
) -> dict[str, Any]:
    others = m.get("others", {})
    return {
        "nip": m["nip"],
        "name": m.get("name") or m["nip"],
        "position": m.get("position"),
        "unit_code": m.get("unit_code"),
        "direct": m.get("supervisor_nip") == me,
        "predikat": m.get("predikat"),
        "predikat_30d": others.get("30d"),
        "discipline": m.get("discipline_level"),
        "ikm": m.get("ikm_category"),
        "hasil_kerja": m.get("hasil_kerja"),
        "hadir": m.get("hadir", 0),
        "tanpa_keterangan": m.get("tanpa_keterangan", 0),
        "tl_psw_days": m.get("tl_psw_days", 0),
        "feedback_threads": threads.get(m["nip"], 0),
        "change": _change(others.get(previous) if previous else None, m.get("predikat")),
    }


class DevSignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nip: Nip
    role: Role


def _this_month(request: Request) -> str:
    """The month it is in Tanjungbalai (WIB), by the service's clock."""
    clock: Clock = request.app.state.clock
    return clock.now().astimezone(WIB).strftime("%Y-%m")


router = APIRouter(prefix="/v1/console", tags=["console"])
#: Development only: mounted when the service runs in development mode, absent otherwise.
dev_router = APIRouter(prefix="/v1/console", tags=["console"])


def mount_console(app: FastAPI, *, notifier_url: str, dev_secret: str | None) -> None:
    """The page, its files and its routes; ``dev_secret`` (development mode only) adds the
    development sign-in."""
    app.state.console_config = {
        # "This month" is the month in WIB, not in UTC (at 06:00 WIB on the 1st it is still the
        # previous month in UTC).
        "notifier_url": notifier_url,
        "dev_sign_in": dev_secret is not None,
        "timezone": WIB.key,
    }
    app.state.dev_secret = dev_secret
    app.add_api_route("/", index, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router)
    if dev_secret is not None:  # outside development mode the route does not exist at all
        app.include_router(dev_router)


async def index() -> FileResponse:
    return FileResponse(STATIC / "index.html")


@router.get(
    "/config", summary="Where the console finds the live stream", response_model=ConsoleConfig
)
async def config(request: Request) -> dict[str, Any]:
    answer: dict[str, Any] = request.app.state.console_config
    return answer


@dev_router.post(
    "/dev-sign-in", summary="Development only: a token for a chosen NIP", response_model=DevToken
)
async def dev_sign_in(body: DevSignIn, request: Request, people: People) -> dict[str, str]:
    if await people.find(body.nip) is None:
        raise HTTPException(404, f"NIP {body.nip} is not in the reference data")
    return {"token": mint_dev_token(request.app.state.dev_secret, body.nip, [body.role.value])}


@router.get(
    "/tpp/recap",
    summary="Payroll's monthly TPP recap as a file, from scoring (BKPSDM)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
async def tpp_recap(
    request: Request,
    period: Annotated[MonthName, Query()],
    _: SignedIn,
    scoring: Scoring,
    format: Literal["csv", "xlsx"] = "xlsx",
) -> Response:
    r = await scoring.ask(request, "/v1/tpp/recap", period=period, format=format)
    if r.status_code == 404:
        raise HTTPException(404, "scoring has no recap")
    return scoring.file(r)


class TeamQuery(BaseModel):
    """A team page's choices (query parameters)."""

    period: Period | None = None
    page: int = Field(1, ge=1)
    size: int = Field(50, ge=1, le=200)
    sort: str = "name"
    descending: bool = False
    predikat: str | None = None
    discipline_level: str | None = None
    attention: bool = False
    q: str | None = None


@router.get(
    "/team", summary="A page of the people under me with their figures", response_model=TeamPage
)
async def team(
    request: Request,
    who: SignedIn,
    scoring: Scoring,
    people: People,
    store: Store,
    query: Annotated[TeamQuery, Query()],
) -> dict[str, Any]:
    """One call to scoring for the whole page, whatever the team's size: scoring keeps each
    unit's lines, and answers the page with the 30-day and last month's predicates."""
    month = query.period or _this_month(request)
    me = await people.find(who.sub)
    if me is None or not me.unit_code:
        raise HTTPException(404, "NIP Anda belum ada di data kepegawaian Kinerja.")
    # Only a month has "the month before" ("2026-Q4" is seven characters too).
    previous = _previous_month(month) if re.fullmatch(MONTH_PATTERN, month) else None
    found = await scoring.json(
        request,
        f"/v1/units/{me.unit_code}/members",
        period=month,
        below=who.sub,
        compare=["30d", *([previous] if previous else [])],
        **_members_params(query),
    )
    lines = (found or {}).get("members", [])
    threads = await store.thread_counts([m["nip"] for m in lines])
    return {
        "period": month,
        "me": {"nip": who.sub, "unit_code": me.unit_code},
        "total": (found or {}).get("total", 0),
        "page": query.page,
        "size": query.size,
        "members": [_team_row(m, who.sub, previous, threads) for m in lines],
    }


def _members_params(query: TeamQuery) -> dict[str, Any]:
    """Scoring's query for the page: the page, the order and the filters asked."""
    chosen = {"predikat": query.predikat, "discipline_level": query.discipline_level, "q": query.q}
    return {
        "page": query.page,
        "size": query.size,
        "sort": query.sort,
        "descending": str(query.descending).lower(),
        "attention": str(query.attention).lower(),
        **{k: v for k, v in chosen.items() if v},
    }


@router.get(
    "/employees/{nip}/evaluation",
    summary="Scoring's evaluation, as is",
    response_model=ScoringAnswer,
)
async def evaluation(
    nip: Nip, request: Request, _: SignedIn, scoring: Scoring, period: Period | None = None
) -> dict[str, Any]:
    found = await scoring.json(
        request, f"/v1/employees/{nip}/evaluation", period=period or _this_month(request)
    )
    if found is None:
        raise HTTPException(404, "no evaluation yet for this period")
    return found


@router.get(
    "/employees/{nip}/days/{day}",
    summary="A day's punches as scoring keeps them, with the voided ones and why",
    response_model=ScoringAnswer,
)
async def day_punches(
    nip: Nip, day: date, request: Request, _: SignedIn, scoring: Scoring
) -> dict[str, Any]:
    found = await scoring.json(request, f"/v1/employees/{nip}/days/{day.isoformat()}")
    if found is None:
        raise HTTPException(404, "tidak ada catatan hari itu")
    return found


class VoidPunch(BaseModel):
    """What the console sends to void a punch; intake checks it and answers in its words."""

    model_config = ConfigDict(extra="forbid")
    nip: Nip
    event_id: str = Field(max_length=36)
    punch_at: AwareDatetime
    reason: str = Field(min_length=10, max_length=1000)


@router.post(
    "/attendance/voids",
    status_code=202,
    summary="Void a punch (koreksi presensi) through intake, in the administrator's name",
    response_model=VoidAccepted,
)
async def void_punch(body: VoidPunch, request: Request, _: SignedIn, intake: Intake) -> Any:
    r = await intake.send(request, "/v1/admin/attendance/voids", body.model_dump(mode="json"))
    if r.status_code == 404:
        raise HTTPException(404, "layanan penerimaan data tidak mengenal koreksi presensi")
    return r.json()


@router.get(
    "/calendar/{year}",
    summary="A year's working calendar, for admin and ops",
    response_model=ScoringAnswer,
)
async def calendar(
    year: Annotated[int, Path(ge=2000, le=2100)], request: Request, _: SignedIn, scoring: Scoring
) -> dict[str, Any]:
    found = await scoring.json(request, f"/v1/calendar/{year}")
    if found is None:
        raise HTTPException(404, f"scoring has no calendar of {year}")
    return found


@router.get(
    "/units/{unit_code}", summary="A unit's picture for its head", response_model=UnitPicture
)
async def unit(
    unit_code: Code,
    request: Request,
    who: SignedIn,
    scoring: Scoring,
    people: People,
    store: Store,
    period: Annotated[MonthName | None, Query()] = None,
    org_predicate: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    period = period or _this_month(request)
    extra = {"org_predicate": org_predicate} if org_predicate else {}
    path = f"/v1/units/{unit_code}/summary"
    summary = await scoring.json(request, path, period=period, **extra)
    if summary is None:
        raise HTTPException(404, f"no unit {unit_code} in scoring")
    months = [_previous_month(_previous_month(period)), _previous_month(period), period]
    trend = {}
    for month in months:
        found = await scoring.json(request, path, period=month) or {}
        trend[month] = {
            "desks": {k: v["converted"] for k, v in (found.get("desks") or {}).items()},
            "discipline_levels": found.get("discipline_levels") or {},
        }
    improvements, open_actions = await _unit_dialogue(who, unit_code, people, store)
    return {
        **summary,
        "trend": trend,
        "improvement_areas": improvements.most_common(10),
        "open_actions": sorted(open_actions, key=lambda a: a["due"]),
    }


async def _unit_dialogue(
    who: Principal, unit_code: str, people: PeopleView, store: FeedbackStore
) -> tuple[Counter[str], list[dict[str, Any]]]:
    """The unit's improvement areas and open agreed actions, from the shared threads this
    reader may read in the threads themselves (the same rule, ``readable_by``)."""
    nips = [p.nip for p in await people.in_unit(unit_code)]
    chart = await people.chart(nips, depth=12)
    improvements: Counter[str] = Counter()
    open_actions: list[dict[str, Any]] = []
    for thread in await store.threads_in(nips):
        above = [p.nip for p in chain_above(thread["nip"], chart.get, 12)]
        if thread["visibility"] != Visibility.BERSAMA or not readable_by(
            who, thread["nip"], Visibility.BERSAMA, above
        ):
            continue  # what this reader may not read in the thread itself
        full = await store.thread_with_entries(thread["_id"])
        for entry in (full or {}).get("entries", []):
            improvements.update(entry["current"].get("improvements", []))
            open_actions += [
                {**action, "nip": thread["nip"], "thread": thread["_id"]}
                for action in entry["current"].get("actions", [])
                if not action.get("done")
            ]
    return improvements, open_actions


def _previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


#: The predicates from worst to best, to say whether a person went up or down.
_ORDER = ["Sangat Kurang", "Kurang/Misconduct", "Butuh Perbaikan", "Baik", "Sangat Baik"]


def _change(before: str | None, now: str | None) -> str:
    if before is None or now is None:
        return "baru" if now else "—"
    if before == now:
        return "tetap"
    up = _ORDER.index(now) > _ORDER.index(before) if before in _ORDER and now in _ORDER else None
    return f"naik dari {before}" if up else f"turun dari {before}"

"""The console's HTTP side: the static page (no build step) at ``/``, a development sign-in, and
the views it needs that combine this service's data with scoring's documented API (called with
the signed-in person's own token, so scoring applies its own access rules)."""

from __future__ import annotations

import re
from collections import Counter
from importlib.resources import files
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict

from feedback.domain import Visibility, readable_by
from feedback.gateway import ServiceGateway
from feedback.models import Period
from feedback.responses import ConsoleConfig, DevToken, ScoringAnswer, TeamPage, UnitPicture
from feedback.store import FeedbackStore
from kinerja_shared.auth import JwtVerifier, Principal, Role, mint_dev_token, require_roles
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


def mount_console(
    app: FastAPI,
    store: FeedbackStore,
    people: PeopleView,
    verifier: JwtVerifier,
    *,
    gateway: ServiceGateway,
    notifier_url: str,
    dev_secret: str | None,
) -> None:
    router = APIRouter(prefix="/v1", tags=["console"])
    signed_in = Depends(require_roles(verifier))
    ask_scoring, scoring = gateway.ask, gateway.json

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @router.get(
        "/console/config",
        summary="Where the console finds the live stream",
        response_model=ConsoleConfig,
    )
    async def config() -> dict[str, Any]:
        # The government's time zone: "this month" is the month in WIB, not in UTC (at 06:00 WIB
        # on the 1st it is still the previous month in UTC).
        return {
            "notifier_url": notifier_url,
            "dev_sign_in": dev_secret is not None,
            "timezone": WIB.key,
        }

    if dev_secret is not None:  # outside development mode the route does not exist at all

        @router.post(
            "/console/dev-sign-in",
            summary="Development only: a token for a chosen NIP",
            response_model=DevToken,
        )
        async def dev_sign_in(body: DevSignIn) -> dict[str, str]:
            if await people.find(body.nip) is None:
                raise HTTPException(404, f"NIP {body.nip} is not in the reference data")
            return {"token": mint_dev_token(dev_secret, body.nip, [body.role.value])}

    @router.get(
        "/console/tpp/recap",
        summary="Payroll's monthly TPP recap as a file, from scoring (BKPSDM)",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
    )
    async def tpp_recap(
        request: Request,
        period: Annotated[MonthName, Query()],
        format: Literal["csv", "xlsx"] = "xlsx",
        principal: Principal = signed_in,
    ) -> Response:
        r = await ask_scoring(request, "/v1/tpp/recap", period=period, format=format)
        if r.status_code == 404:
            raise HTTPException(404, "scoring has no recap")
        return gateway.file(r)

    @router.get(
        "/console/team",
        summary="A page of the people under me with their figures",
        response_model=TeamPage,
    )
    async def team(
        request: Request,
        principal: Principal = signed_in,
        period: Period | None = None,
        page: Annotated[int, Query(ge=1)] = 1,
        size: Annotated[int, Query(ge=1, le=200)] = 50,
        sort: str = "name",
        descending: bool = False,
        predikat: str | None = None,
        discipline_level: str | None = None,
        attention: bool = False,
        q: str | None = None,
    ) -> dict[str, Any]:
        """One call to scoring for the whole page, whatever the team's size: scoring keeps each
        unit's lines, and answers the page with the 30-day and last month's predicates."""
        month = period or _this_month(request)
        me = await people.find(principal.sub)
        if me is None or not me.unit_code:
            raise HTTPException(404, "NIP Anda belum ada di data kepegawaian Kinerja.")
        # Only a month has "the month before" ("2026-Q4" is seven characters too).
        previous = _previous_month(month) if re.fullmatch(MONTH_PATTERN, month) else None
        filters = {
            k: v
            for k, v in {"predikat": predikat, "discipline_level": discipline_level, "q": q}.items()
            if v
        }
        found = await scoring(
            request,
            f"/v1/units/{me.unit_code}/members",
            period=month,
            below=principal.sub,
            page=page,
            size=size,
            sort=sort,
            descending=str(descending).lower(),
            attention=str(attention).lower(),
            compare=["30d", *([previous] if previous else [])],
            **filters,
        )
        lines = (found or {}).get("members", [])
        threads = await store.thread_counts([m["nip"] for m in lines])
        return {
            "period": month,
            "me": {"nip": principal.sub, "unit_code": me.unit_code},
            "total": (found or {}).get("total", 0),
            "page": page,
            "size": size,
            "members": [_team_row(m, principal.sub, previous, threads) for m in lines],
        }

    @router.get(
        "/console/employees/{nip}/evaluation",
        summary="Scoring's evaluation, as is",
        response_model=ScoringAnswer,
    )
    async def evaluation(
        nip: Nip, request: Request, period: Period | None = None, principal: Principal = signed_in
    ) -> dict[str, Any]:
        found = await scoring(
            request,
            f"/v1/employees/{nip}/evaluation",
            period=period or _this_month(request),
        )
        if found is None:
            raise HTTPException(404, "no evaluation yet for this period")
        return found

    @router.get(
        "/console/calendar/{year}",
        summary="A year's working calendar, for admin and ops",
        response_model=ScoringAnswer,
    )
    async def calendar(
        year: Annotated[int, Path(ge=2000, le=2100)],
        request: Request,
        principal: Principal = signed_in,
    ) -> dict[str, Any]:
        found = await scoring(request, f"/v1/calendar/{year}")
        if found is None:
            raise HTTPException(404, f"scoring has no calendar of {year}")
        return found

    @router.get(
        "/console/units/{unit_code}",
        summary="A unit's picture for its head",
        response_model=UnitPicture,
    )
    async def unit(
        unit_code: Code,
        request: Request,
        period: Annotated[MonthName | None, Query()] = None,
        org_predicate: Annotated[str | None, Query(max_length=32)] = None,
        principal: Principal = signed_in,
    ) -> dict[str, Any]:
        period = period or _this_month(request)
        extra = {"org_predicate": org_predicate} if org_predicate else {}
        summary = await scoring(request, f"/v1/units/{unit_code}/summary", period=period, **extra)
        if summary is None:
            raise HTTPException(404, f"no unit {unit_code} in scoring")
        months = [_previous_month(_previous_month(period)), _previous_month(period), period]
        trend = {}
        for month in months:
            found = await scoring(request, f"/v1/units/{unit_code}/summary", period=month)
            trend[month] = {
                "desks": {k: v["converted"] for k, v in ((found or {}).get("desks") or {}).items()},
                "discipline_levels": (found or {}).get("discipline_levels") or {},
            }
        nips = [p.nip for p in await people.in_unit(unit_code)]
        chart = await people.chart(nips, depth=12)
        improvements: Counter[str] = Counter()
        open_actions: list[dict[str, Any]] = []
        async for thread in store.threads.find({"nip": {"$in": nips}}):
            above = [p.nip for p in chain_above(thread["nip"], chart.get, 12)]
            if thread["visibility"] != Visibility.BERSAMA or not readable_by(
                principal, thread["nip"], Visibility.BERSAMA, above
            ):
                continue  # what this reader may not read in the thread itself
            full = await store.thread_with_entries(thread["_id"])
            if full is None:
                continue
            for entry in full["entries"]:
                improvements.update(entry["current"].get("improvements", []))
                for action in entry["current"].get("actions", []):
                    if not action.get("done"):
                        open_actions.append(
                            {**action, "nip": thread["nip"], "thread": thread["_id"]}
                        )
        return {
            **summary,
            "trend": trend,
            "improvement_areas": improvements.most_common(10),
            "open_actions": sorted(open_actions, key=lambda a: a["due"]),
        }

    app.include_router(router)


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

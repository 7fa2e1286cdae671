"""HTTP adapter: ``GET /v1/employees/{nip}/evaluation?period=`` (month, quarter, year) or
``?window=30d``: the figures, ratings, predicate and the evidence behind each."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from kinerja_shared.auth import JwtVerifier, Principal, Role, require_roles
from kinerja_shared.nip import parse_nip
from scoring.domain import month_attendance
from scoring.domain.access import may_see
from scoring.domain.ikm import ikm_of
from scoring.domain.performance import OrgPredikat, Predikat, annual_outcome, distribution_check
from scoring.domain.periods import Period, resolve
from scoring.evaluations import Evaluator
from scoring.store import ReferenceStore

log = logging.getLogger(__name__)


def _first_path(
    nip: str, period: Period, docs: list[dict[str, Any]], tz: ZoneInfo
) -> dict[str, Any]:
    """The month figures of the first path (days with a check-in, first check-in per day)."""
    doc = next((d for d in docs if d["period"] == period.name), None)
    if doc is None:
        return {"days_with_check_in": 0, "events_counted": 0, "days": []}
    days = doc.get("days", {})
    month = month_attendance(
        nip,
        period.name,
        {dd: v["first_in"] for dd, v in days.items() if "first_in" in v},
        {dd: v["last_out"] for dd, v in days.items() if "last_out" in v},
        len(doc.get("event_ids", [])),
        tz,
    )
    return {
        "days_with_check_in": month.days_with_check_in,
        "events_counted": month.events_counted,
        "days": [
            {
                "date": d.date.isoformat(),
                "first_check_in": d.first_check_in.isoformat() if d.first_check_in else None,
                "last_check_out": d.last_check_out.isoformat() if d.last_check_out else None,
            }
            for d in month.days
        ],
    }


def evaluation_router(
    evaluator: Evaluator,
    reference: ReferenceStore,
    tz: ZoneInfo,
    verifier: JwtVerifier,
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["evaluations"])
    signed_in = Depends(require_roles(verifier))

    @router.get(
        "/employees/{nip}/evaluation",
        summary="An employee's evaluation for a period, with its evidence",
        responses={
            401: {"description": "No valid bearer token"},
            403: {"description": "Neither your own nor in your chain"},
            404: {"description": "Neither events nor reference data for this NIP"},
            422: {"description": "Malformed NIP, period or window"},
        },
    )
    async def get_evaluation(
        nip: Annotated[str, Path(description="18-digit NIP")],
        period: Annotated[str | None, Query(description="2026-11, 2026-Q4 or 2026")] = None,
        window: Annotated[str | None, Query(description="30d: the rolling 30 days")] = None,
        who: Principal = signed_in,
    ) -> dict[str, Any]:
        if not may_see(who, nip, await reference.chain_above(nip)):
            log.warning("refused an evaluation", extra={"sub": who.sub, "nip": nip})
            raise HTTPException(403, "this evaluation is neither yours nor in your chain")
        today = datetime.now(tz).date()
        try:
            parse_nip(nip, today)
        except ValueError as exc:
            raise HTTPException(422, f"nip: {exc}") from None
        try:
            p = resolve(period, window, today)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        view = await evaluator.evaluate(nip, p, today)
        if view is None:
            raise HTTPException(404, f"no events and no reference data for NIP {nip}")
        ev, docs, employee = view.evaluation, view.docs, view.employee
        schedule_name, closed, holidays = view.schedule_name, view.closed, view.holidays
        period_days, ikm_result = view.period_days, view.ikm
        indicators, elapsed = view.indicators, view.year_elapsed
        out: dict[str, Any] = {
            "nip": nip,
            "period": p.name,
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "employee": {
                "known": employee is not None,
                "unit_code": (employee or {}).get("unit_code"),
                "schedule": schedule_name,
            },
            "calendar": {
                "closed_days": sorted(d.isoformat() for d in closed if p.start <= d <= p.end),
                "holidays": sorted(d.isoformat() for d in holidays if p.start <= d <= p.end),
            },
            "attendance": {
                "working_days_judged": ev.working_days_judged,
                "hadir": ev.hadir,
                "izin": ev.izin,
                "tanpa_keterangan": ev.tanpa_keterangan,
                "tl_psw_days": ev.tl_psw_days,
                "late_minutes": ev.late_minutes,
                "early_minutes": ev.early_minutes,
                "categories": ev.categories,
            },
            "tpp_disiplin_deduction_percent": ev.tpp.percent if ev.tpp else None,
            "discipline": {
                "level": ev.discipline.level,
                "sanction": ev.discipline.sanction,
                "counted_days": ev.discipline.counted_days,
                "reason": ev.discipline.reason,
            },
            "ikm": None
            if ikm_result is None
            else {
                "responses": ikm_result.responses,
                "index": ikm_result.index,
                "converted": ikm_result.converted,
                "category": ikm_result.category,
                "label": ikm_result.label,
                "final": ikm_result.final,
            },
            "hasil_kerja": {
                "rating": ev.hasil_kerja.value if ev.hasil_kerja else None,
                "year_elapsed": round(elapsed, 4),
                "indicators": indicators,
            },
            "perilaku_kerja": {
                "rating": ev.perilaku_kerja.value,
                "proposal": ev.perilaku_is_proposal,
                **(
                    {k: view.supervisor_rating[k] for k in ("rated_by", "justification")}
                    if view.supervisor_rating
                    else {}
                ),
            },
            "predikat": ev.predikat.value if ev.predikat else None,
            "policy_version": ev.policy_version,
            "evidence": [{**asdict(e), "policy_version": ev.policy_version} for e in ev.evidence],
            "standings": [
                {
                    "date": s.date.isoformat(),
                    "status": s.status.value,
                    "late_minutes": s.late_minutes,
                    "tl": s.tl,
                    "early_minutes": s.early_minutes,
                    "psw": s.psw,
                }
                for s in period_days
            ]
            if p.monthly or p.name == "30d"
            else None,
        }
        if p.monthly:
            out.update(_first_path(nip, p, docs, tz))
        return out

    @router.get(
        "/units/{unit_code}/summary",
        summary="A unit's picture for a period: predicates, IKM, discipline, distribution check",
        responses={403: {"description": "Only admin, ops, or a supervisor of this unit"}},
    )
    async def unit_summary(
        unit_code: Annotated[str, Path(max_length=64)],
        period: Annotated[str, Query(description="2026-11, 2026-Q4 or 2026")],
        org_predicate: Annotated[
            OrgPredikat | None,
            Query(description="The unit's organisational predicate, for the distribution check"),
        ] = None,
        who: Principal = signed_in,
    ) -> dict[str, Any]:
        mine = await reference.employee(who.sub)
        if not who.has(Role.ADMIN, Role.OPS) and not (
            who.has(Role.SUPERVISOR) and mine and mine.get("unit_code") == unit_code
        ):
            raise HTTPException(403, "only admin, ops or a supervisor of this unit")
        today = datetime.now(tz).date()
        try:
            p = resolve(period, None, today)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        nips = await reference.nips(unit_code)
        if not nips:
            raise HTTPException(404, f"no employees registered in unit {unit_code}")
        predicates: Counter[str] = Counter()
        levels: Counter[str] = Counter()
        counts: Counter[Predikat] = Counter()
        for nip in nips:
            view = await evaluator.evaluate(nip, p, today)
            if view is None:
                continue
            ev = view.evaluation
            predicates[ev.predikat.value if ev.predikat else "belum ada (no targets yet)"] += 1
            levels[ev.discipline.level or "none"] += 1
            if ev.predikat:
                counts[ev.predikat] += 1
        unit_ikm = ikm_of(await evaluator.unit_ratings(unit_code, p), evaluator.policy)
        return {
            "unit_code": unit_code,
            "period": p.name,
            "employees": len(nips),
            "predicates": dict(predicates),
            "discipline_levels": dict(levels),
            "ikm": None
            if unit_ikm is None
            else {
                "responses": unit_ikm.responses,
                "converted": unit_ikm.converted,
                "category": unit_ikm.category,
                "final": unit_ikm.final,
            },
            "desks": {
                desk: {
                    "responses": r.responses,
                    "converted": r.converted,
                    "category": r.category,
                    "final": r.final,
                }
                for desk, answers in (await evaluator.desk_ratings(unit_code, p)).items()
                if (r := ikm_of(answers, evaluator.policy)) is not None
            },
            "distribution_check": None
            if org_predicate is None
            else {
                "org_predicate": org_predicate.value,
                "problems": distribution_check(org_predicate, counts),
            },
            "policy_version": evaluator.policy.version,
        }

    @router.get("/outcomes", summary="The year's recognition candidates and coaching list")
    async def outcomes(
        year: Annotated[int, Query(ge=2000, le=2100)],
        who: Principal = signed_in,
    ) -> dict[str, Any]:
        if not who.has(Role.ADMIN, Role.OPS):
            raise HTTPException(403, "the outcome lists are for admin and ops (BKD)")
        today = datetime.now(tz).date()
        p = resolve(str(year), None, today)
        recognition, coaching = [], []
        for nip in await reference.nips():
            view = await evaluator.evaluate(nip, p, today)
            if view is None:
                continue
            ev = view.evaluation
            out = annual_outcome(ev.predikat, ev.discipline.level, ev.discipline.reason)
            entry = {
                "nip": nip,
                "unit_code": (view.employee or {}).get("unit_code"),
                "predikat": ev.predikat.value if ev.predikat else None,
                "reasons": list(out.reasons),
            }
            if out.recognition:
                recognition.append(entry)
            if out.coaching:
                coaching.append(entry)
        return {
            "year": year,
            "recognition": recognition,
            "coaching": coaching,
            "policy_version": evaluator.policy.version,
        }

    return router

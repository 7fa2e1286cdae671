"""HTTP adapter: ``GET /v1/employees/{nip}/evaluation``."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel

from kinerja_shared.nip import parse_nip
from scoring.domain import month_attendance, parse_month
from scoring.store import ScoringStore


class DayOut(BaseModel):
    date: date
    first_check_in: str | None
    last_check_out: str | None


class EvaluationOut(BaseModel):
    nip: str
    period: str
    days_with_check_in: int
    events_counted: int
    days: list[DayOut]
    rule: str = "attendance.month_days.v1"


def evaluation_router(store: ScoringStore, tz: ZoneInfo) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["evaluations"])

    @router.get(
        "/employees/{nip}/evaluation",
        summary="An employee's evaluation for a period",
        responses={
            404: {"description": "No events for this NIP and period"},
            422: {"description": "Malformed NIP or period"},
        },
    )
    async def get_evaluation(
        nip: Annotated[str, Path(description="18-digit NIP")],
        period: Annotated[str, Query(description="Month, e.g. 2026-11")],
    ) -> EvaluationOut:
        try:
            parse_nip(nip, date.today())  # noqa: DTZ011
        except ValueError as exc:
            raise HTTPException(422, f"nip: {exc}") from None
        try:
            parse_month(period)
        except ValueError as exc:
            raise HTTPException(422, f"period: {exc}") from None
        doc = await store.month(nip, period)
        if doc is None:
            raise HTTPException(404, f"no attendance events for NIP {nip} in {period}")
        days = doc.get("days", {})
        month = month_attendance(
            nip,
            period,
            {dd: v["first_in"] for dd, v in days.items() if "first_in" in v},
            {dd: v["last_out"] for dd, v in days.items() if "last_out" in v},
            len(doc.get("event_ids", [])),
            tz,
        )
        return EvaluationOut(
            nip=nip,
            period=period,
            days_with_check_in=month.days_with_check_in,
            events_counted=month.events_counted,
            days=[
                DayOut(
                    date=d.date,
                    first_check_in=d.first_check_in.isoformat() if d.first_check_in else None,
                    last_check_out=d.last_check_out.isoformat() if d.last_check_out else None,
                )
                for d in month.days
            ],
        )

    return router

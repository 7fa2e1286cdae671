"""HTTP adapter: an administrator voids a punch (``intake.corrections``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from intake.corrections import Corrections, Refused
from intake.publisher import PublishFailed
from kinerja_shared.auth import signed_in_as
from kinerja_shared.events import AttendanceVoided, EventId, Nip
from kinerja_shared.identity import Principal, Role

Admin = Annotated[Principal, Depends(signed_in_as(Role.ADMIN))]


class VoidIn(BaseModel):
    """Which punch, and why: the employee reads the reason beside the day."""

    model_config = ConfigDict(extra="forbid")

    nip: Nip
    event_id: EventId = Field(description="The punch's event id, as the employee's day lists it")
    punch_at: AwareDatetime = Field(description="The punch's time, with its offset")
    reason: Annotated[str, StringConstraints(min_length=10, max_length=1000, strip_whitespace=True)]


class VoidOut(BaseModel):
    event_id: str = Field(description="The void's own event id (the same for the same punch)")
    voided_event_id: str
    nip: str
    day: str = Field(description="The local day scoring judges again without the punch")
    status: str


router = APIRouter(prefix="/v1/admin/attendance", tags=["corrections"])


@router.post(
    "/voids",
    status_code=202,
    summary="Void one punch (koreksi presensi): the day is judged again without it",
    response_model=VoidOut,
    responses={422: {"description": "Unknown NIP, a future punch, or a closed period"}},
)
async def void_punch(body: VoidIn, who: Admin, request: Request) -> VoidOut:
    corrections: Corrections = request.app.state.corrections
    voided = AttendanceVoided(
        voided_event_id=body.event_id, punch_at=body.punch_at, reason=body.reason, voided_by=who.sub
    )
    try:
        done = await corrections.void(who, voided, body.nip)
    except Refused as exc:
        raise HTTPException(422, str(exc)) from None
    except PublishFailed as exc:
        raise HTTPException(
            503,
            f"belum terkirim ({exc}); kirim ulang koreksi yang sama",
            headers={"Retry-After": "5"},
        ) from None
    return VoidOut(
        event_id=done.event_id,
        voided_event_id=done.voided_event_id,
        nip=done.nip,
        day=done.day.isoformat(),
        status="diterima: hari itu dinilai ulang tanpa presensi ini",
    )

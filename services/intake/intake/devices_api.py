"""HTTP adapter: the attendance machines' state for BKPSDM and the IT team: which machines went
silent (``intake.liveness``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from intake.liveness import Liveness
from kinerja_shared.auth import JwtVerifier, Role, require_roles


class DeviceStatusOut(BaseModel):
    serial: str
    unit_code: str
    active: bool
    last_seen: str | None = Field(description="When it last spoke to intake (UTC), if ever")
    silent: bool = Field(description="Active, and unheard of for longer than the setting")


def devices_router(verifier: JwtVerifier) -> APIRouter:
    allowed = Depends(require_roles(verifier, Role.ADMIN, Role.OPS))
    router = APIRouter(prefix="/v1/devices", tags=["attendance machines"], dependencies=[allowed])
    router.add_api_route(
        "/status",
        device_status,
        methods=["GET"],
        summary="Every registered machine, the silent ones first",
        response_model=list[DeviceStatusOut],
    )
    return router


async def device_status(request: Request) -> list[DeviceStatusOut]:
    liveness: Liveness = request.app.state.liveness
    return [
        DeviceStatusOut(
            serial=s.serial,
            unit_code=s.unit_code,
            active=s.active,
            last_seen=s.last_seen.isoformat() if s.last_seen else None,
            silent=s.silent,
        )
        for s in await liveness.status()
    ]

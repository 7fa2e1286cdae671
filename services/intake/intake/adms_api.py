"""HTTP adapter for the ZKTeco push protocol (ADMS): real attendance machines call these paths.
Answers are plain text exactly as the machines expect; what a machine may do and what its
upload becomes is ``intake.machines``'s. Every caller gets the same answers, admitted or not."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import PlainTextResponse

from intake.machines import Limited, Machines
from intake.publisher import PublishFailed
from kinerja_shared.reference import Device

TOO_MANY = "ERROR: too many requests, retry later"
UNAVAILABLE = "ERROR: storage unavailable, retry later"
Serial = Annotated[str, Query(alias="SN", max_length=64)]
Table = Annotated[str, Query(max_length=32)]


def mount_machines(app: FastAPI, machines: Machines) -> None:
    app.state.machines = machines
    router = APIRouter(
        prefix="/iclock",
        tags=["attendance machines (ZKTeco ADMS)"],
        default_response_class=PlainTextResponse,
    )
    router.add_api_route("/cdata", handshake, methods=["GET"], summary="Handshake")
    router.add_api_route("/cdata", upload, methods=["POST"], summary="Upload ATTLOG and others")
    router.add_api_route("/getrequest", poll, methods=["GET"], summary="Pending commands")
    router.add_api_route("/devicecmd", poll, methods=["POST"], summary="Command results")
    app.include_router(router)
    app.add_exception_handler(Limited, _too_many)


async def _too_many(_: Request, exc: Exception) -> PlainTextResponse:
    return PlainTextResponse(TOO_MANY, status_code=429)


async def _admitted(request: Request, serial: str) -> tuple[Machines, Device | None]:
    """The use case and the device it admits (None: answered as a registered one). Past the
    rates it raises ``Limited``, which ``_too_many`` answers."""
    machines: Machines = request.app.state.machines
    return machines, await machines.admit(serial, request.client.host if request.client else "")


async def handshake(request: Request, sn: Serial = "") -> PlainTextResponse:
    """``GET /iclock/cdata?options=all``: the options block a machine asks for first."""
    machines, device = await _admitted(request, sn)
    return PlainTextResponse(machines.handshake(device, sn))


async def upload(request: Request, sn: Serial = "", table: Table = "") -> PlainTextResponse:
    machines, device = await _admitted(request, sn)
    body = (await request.body()).decode("utf-8", errors="replace")
    try:
        if device is None:
            return PlainTextResponse(await machines.refused_upload(sn, table, body))
        return PlainTextResponse(await machines.upload(device, table, body))
    except PublishFailed:
        # The machine keeps its records and retries; the same lines give the same event ids.
        return PlainTextResponse(UNAVAILABLE, status_code=503)


async def poll(request: Request, sn: Serial = "") -> PlainTextResponse:
    """``getrequest`` (no commands are queued) and ``devicecmd`` (results acknowledged)."""
    await _admitted(request, sn)
    return PlainTextResponse("OK")

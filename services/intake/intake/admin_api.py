"""HTTP adapter: the administrators' API for reference data and API keys (bearer JWT, role admin).

Reference data is validated as a whole; if any row is bad, nothing is stored or published and the
answer lists every bad row. Otherwise it is stored (idempotent upserts) and then published to the
compacted reference topic; a 503 means "stored, not yet published: send the same file again".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints, TypeAdapter, ValidationError

from intake.day_closer import held_back, held_message
from intake.keyring import Keyring
from intake.keys import new_key
from intake.publisher import EventPublisher, PublishFailed
from intake.reference_import import (
    MAX_IMPORT_ROWS,
    RowError,
    read_calendar,
    read_employee_csv,
    validate_employees,
    with_schedule_history,
)
from intake.responses import DaysClosed, InvalidRows, IssuedKey, KeyOut, KeyRevoked, Stored
from intake.settings import IntakeSettings
from intake.store import IntakeStore, StoredReference
from kinerja_shared.auth import Principal, Role, signed_in_as
from kinerja_shared.clock import Clock
from kinerja_shared.events import EVENT_TYPES, Code
from kinerja_shared.reference import DayClosed, Device, Holiday, OrgPredicate, Unit

UnitOrAll = Annotated[str, StringConstraints(pattern=r"^(\*|[A-Za-z0-9][A-Za-z0-9._:/-]{0,63})$")]


#: What an upload of reference data answers: all stored and published, or nothing and why.
UPLOAD: dict[str, Any] = {
    "response_model": Stored,
    "responses": {422: {"model": InvalidRows, "description": "Nothing stored: every problem"}},
}


class CloseDays(BaseModel):
    dates: list[date] = Field(min_length=1, max_length=400)


class KeyRequest(BaseModel):
    kind: Literal["device", "desk", "system"]
    owner: Code = Field(description="Device serial, desk id or system name")
    event_types: list[Literal[EVENT_TYPES]] = Field(min_length=1)  # type: ignore[valid-type]
    # No default: a key for every unit ("*") must be asked for by name.
    units: list[UnitOrAll] = Field(min_length=1, description='Units it may send for; "*" all')
    rate_per_minute: int | None = Field(
        None, ge=1, le=10_000_000, description="Events a minute (a batch counts each event)"
    )


def _report(errors: Sequence[RowError]) -> JSONResponse:
    return JSONResponse(
        {
            "title": "Invalid reference data",
            "status": 422,
            "detail": f"{len(errors)} problem(s); nothing was stored",
            "errors": [{"line": e.line, "field": e.field, "reason": e.reason} for e in errors],
        },
        status_code=422,
        media_type="application/problem+json",
    )


def _json_rows(body: bytes) -> list[tuple[int, Any]]:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(422, f"malformed JSON: {exc}") from None
    if not isinstance(data, list):
        data = [data]
    if len(data) > MAX_IMPORT_ROWS:
        raise HTTPException(413, f"more than {MAX_IMPORT_ROWS:,} records: send them in parts")
    return list(enumerate(data, start=1))


def _validate_each(
    model: type[Any], rows: list[tuple[int, Any]]
) -> tuple[list[tuple[int, Any]], list[RowError]]:
    """Each row validated alone: (line, record) for the good ones, and every row's errors."""
    adapter: TypeAdapter[Any] = TypeAdapter(model)
    good, errors = [], []
    for line, row in rows:
        try:
            good.append((line, adapter.validate_python(row)))
        except ValidationError as exc:
            errors += [
                RowError(line, ".".join(str(p) for p in e["loc"]) or "(row)", e["msg"])
                for e in exc.errors(include_url=False)
            ]
    return good, errors


@dataclass(frozen=True)
class AdminWork:
    """What the administrators' routes work with (made by the composition root)."""

    settings: IntakeSettings
    store: IntakeStore
    publisher: EventPublisher
    keyring: Keyring
    clock: Clock

    def today(self) -> date:
        return self.clock.now().astimezone(ZoneInfo(self.settings.timezone)).date()


def _work(request: Request) -> AdminWork:
    work: AdminWork = request.app.state.admin_work
    return work


Admin = Annotated[Principal, Depends(signed_in_as(Role.ADMIN))]
Work = Annotated[AdminWork, Depends(_work)]
router = APIRouter(
    prefix="/v1/admin",
    tags=["reference data"],
    dependencies=[Depends(signed_in_as(Role.ADMIN))],
)


async def _store_and_publish(work: AdminWork, records: Sequence[StoredReference]) -> Any:
    await work.store.upsert_reference(records, work.clock.now())
    try:
        await work.publisher.publish_reference(records)
    except PublishFailed as exc:
        raise HTTPException(
            503,
            f"stored but not yet published ({exc}); send the same data again",
            headers={"Retry-After": "5"},
        ) from None
    return {"stored": len(records), "published": len(records)}


async def _upload(request: Request, work: AdminWork, model: type[Any]) -> Any:
    rows, errors = _validate_each(model, _json_rows(await request.body()))
    if model in (Device, OrgPredicate):
        units = await work.store.unit_codes()
        errors += [
            RowError(line, "unit_code", f"unknown unit {d.unit_code!r}")
            for line, d in rows
            if d.unit_code not in units
        ]
    if model is OrgPredicate:
        heads = await work.store.supervisor_chains({d.head_nip for _, d in rows if d.head_nip})
        errors += [
            RowError(line, "head_nip", f"{d.head_nip} is not a registered employee")
            for line, d in rows
            if d.head_nip and d.head_nip not in heads
        ]
    if errors:
        return _report(sorted(errors, key=lambda e: e.line))
    return await _store_and_publish(work, [record for _, record in rows])


@router.post("/units", summary="Register or update units (OPD), JSON", **UPLOAD)
async def post_units(request: Request, work: Work) -> Any:
    return await _upload(request, work, Unit)


@router.post(
    "/employees", summary="Register or update employees, CSV with a header or JSON", **UPLOAD
)
async def post_employees(request: Request, work: Work) -> Any:
    rows, errors = await _employee_rows(request)
    if errors:
        return _report(errors)
    referenced = {
        str(r.get("supervisor_nip"))
        for _, r in rows
        if isinstance(r, dict) and r.get("supervisor_nip")
    }
    chains = await work.store.supervisor_chains(referenced)
    employees, errors = validate_employees(
        rows, await work.store.unit_codes(), chains, work.settings.schedules
    )
    if errors:
        return _report(errors)
    stored = await work.store.employees([e.nip for e in employees])
    today = work.today()
    return await _store_and_publish(
        work, [with_schedule_history(e, stored.get(e.nip), today) for e in employees]
    )


async def _employee_rows(request: Request) -> tuple[list[tuple[int, Any]], list[RowError]]:
    """The rows of an employee file, CSV or JSON, as sent."""
    body = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype in ("text/csv", "application/csv"):
        try:
            return read_employee_csv(body.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise HTTPException(422, "the CSV must be UTF-8") from None
    if ctype == "application/json":
        return _json_rows(body), []
    raise HTTPException(415, "send text/csv or application/json")


@router.post("/holidays", summary="National holidays and cuti bersama, JSON", **UPLOAD)
async def post_holidays(request: Request, work: Work) -> Any:
    return await _upload(request, work, Holiday)


@router.post(
    "/org-predicates",
    summary="A unit's organisational predicate for a year, with its source and head, JSON",
    **UPLOAD,
)
async def post_org_predicates(request: Request, work: Work) -> Any:
    return await _upload(request, work, OrgPredicate)


@router.post(
    "/calendars",
    summary="A year's holidays and cuti bersama from its SKB, one JSON file; days close after",
    **UPLOAD,
)
async def post_calendar(request: Request, work: Work) -> Any:
    try:
        data = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(422, f"malformed JSON: {exc}") from None
    year, days, errors = read_calendar(data)
    if errors or year is None:
        return _report(errors)
    # The days first: the year counts as loaded only once its holidays are on the topic.
    return await _store_and_publish(work, [*days, year])


@router.get("/calendars", summary="The years whose calendar is loaded", response_model=list[int])
async def get_calendars(work: Work) -> list[int]:
    return sorted(await work.store.calendar_years())


@router.post("/devices", summary="Register attendance machines, JSON", **UPLOAD)
async def post_devices(request: Request, work: Work) -> Any:
    return await _upload(request, work, Device)


@router.post(
    "/days/close",
    summary="Close past days now (backfill, after an outage)",
    response_model=DaysClosed,
)
async def close_days(req: CloseDays, work: Work) -> dict[str, Any]:
    future = [d for d in req.dates if d > work.today()]
    if future:
        raise HTTPException(422, f"cannot close days that have not happened: {future}")
    _, held = held_back(sorted(set(req.dates)), await work.store.calendar_years())
    if held:
        raise HTTPException(409, held_message(held))
    try:
        await work.publisher.publish_reference([DayClosed(date=d) for d in sorted(set(req.dates))])
    except PublishFailed as exc:
        raise HTTPException(
            503, f"not published ({exc}); send again", headers={"Retry-After": "5"}
        ) from None
    return {"closed": sorted({d.isoformat() for d in req.dates})}


@router.post(
    "/keys", status_code=201, summary="Issue an API key (shown once)", response_model=IssuedKey
)
async def issue_key(req: KeyRequest, who: Admin, work: Work) -> dict[str, Any]:
    device_sn = None
    if req.kind == "device":
        device = await work.store.device(req.owner)
        if device is None:
            raise HTTPException(422, f"device {req.owner} is not registered")
        device_sn = device.serial
    key_id, plaintext, secret_hash = new_key()
    await work.store.insert_key(
        {
            "_id": key_id,
            "kind": req.kind,
            "owner": req.owner,
            "event_types": req.event_types,
            "units": req.units,
            "device_sn": device_sn,
            "secret_hash": secret_hash,
            "rate_per_minute": req.rate_per_minute or work.settings.default_rate_per_minute,
            "created_at": work.clock.now(),
            "created_by": who.sub,
            "revoked_at": None,
        }
    )
    return {"key_id": key_id, "api_key": plaintext, "note": "store it now: only its hash is kept"}


@router.get("/keys", summary="Issued keys (without secrets)", response_model=list[KeyOut])
async def list_keys(work: Work) -> list[dict[str, Any]]:
    return [{**k, "key_id": k.pop("_id")} for k in await work.store.keys()]


@router.delete("/keys/{key_id}", summary="Revoke a key", response_model=KeyRevoked)
async def revoke_key(key_id: str, work: Work) -> dict[str, Any]:
    if not await work.store.revoke_key(key_id, work.clock.now()):
        raise HTTPException(404, f"no active key {key_id}")
    work.keyring.forget(key_id)
    return {"key_id": key_id, "revoked": True}

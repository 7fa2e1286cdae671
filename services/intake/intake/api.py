"""HTTP adapter: ``POST /v1/events``."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client import Counter as Metric

from intake.domain import FieldError, ItemResult, SeenEvents, TimeWindow, Triage, triage
from intake.keyring import Keyring
from intake.keys import WILDCARD, KeyGrant
from intake.machines import Heard
from intake.publisher import EventPublisher, PublishFailed
from intake.responses import EventsAnswer
from intake.settings import IntakeSettings
from intake.store import IntakeStore
from kinerja_shared.clock import Clock
from kinerja_shared.events import EVENT_TYPES, Event


def _result_json(r: ItemResult) -> dict[str, Any]:
    out: dict[str, Any] = {"index": r.index, "status": r.status}
    if r.event_id is not None:
        out["event_id"] = r.event_id
    if r.errors:
        out["errors"] = [{"field": e.field, "reason": e.reason} for e in r.errors]
    return out


def _problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    headers = extra.pop("headers", None)
    return JSONResponse(
        {"title": title, "status": status, "detail": detail, **extra},
        status_code=status,
        headers=headers,
        media_type="application/problem+json",
    )


_EXAMPLE_EVENT: dict[str, Any] = {
    "event_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "type": "attendance.recorded",
    "schema_version": 1,
    "occurred_at": "2026-11-02T07:21:05+07:00",
    "nip": "198609262015051001",
    "source": {"kind": "device", "id": "CJDE204660045"},
    "payload": {"direction": "in", "method": "fingerprint", "device_sn": "CJDE204660045"},
}
_EXAMPLE_RATING: dict[str, Any] = {
    **_EXAMPLE_EVENT,
    "event_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "type": "service.rated",
    "occurred_at": "2026-11-02T09:40:00+07:00",
    "source": {"kind": "desk", "id": "DUKCAPIL-LOKET-2"},
    "payload": {
        "unit_code": "DUKCAPIL",
        "desk_id": "LOKET-2",
        "service": "KTP-el",
        "ratings": {"U1": 4, "U2": 3, "U3": 4, "U7": 4},
    },
}
_EVENTS_OPENAPI: dict[str, Any] = {
    "parameters": [
        {
            "name": "X-Api-Key",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "The device's or desk's key",
        }
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/Event"},
                        {
                            "type": "array",
                            "maxItems": 1000,
                            "items": {"$ref": "#/components/schemas/Event"},
                        },
                    ]
                },
                "examples": {
                    "one check-in": {"value": _EXAMPLE_EVENT},
                    "a batch": {"value": [_EXAMPLE_EVENT, _EXAMPLE_RATING]},
                },
            }
        },
    },
}


class _Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.items = Metric(
            "kinerja_intake_events_total",
            "Submitted events by type and outcome (accepted, duplicate, rejected)",
            ["type", "outcome"],
            registry=registry,
        )
        self.batch_size = Histogram(
            "kinerja_intake_batch_size_events",
            "Events per POST /v1/events",
            buckets=(1, 2, 5, 10, 50, 100, 250, 500, 1000),
            registry=registry,
        )
        self.rejections = Metric(
            "kinerja_intake_rejections_total",
            "Rejected items by event type and the field that was wrong",
            ["type", "field"],
            registry=registry,
        )
        self.kafka_errors = Metric(
            "kinerja_intake_kafka_errors_total",
            "Submissions Kafka did not acknowledge in time (answered 503)",
            registry=registry,
        )
        self.requests = Metric(
            "kinerja_intake_requests_total",
            "POST /v1/events by HTTP status",
            ["status"],
            registry=registry,
        )


class _Refused(Exception):
    """The submission as a whole is refused: the answer says why."""

    def __init__(self, answer: JSONResponse) -> None:
        self.answer = answer


class Submissions:
    """``POST /v1/events``: read the body within its limits, charge the key, triage, publish
    and say what became of every item. Made once by the composition root."""

    def __init__(
        self,
        settings: IntakeSettings,
        publisher: EventPublisher,
        registry: CollectorRegistry,
        keyring: Keyring,
        store: IntakeStore,
        clock: Clock,
        heard: Heard | None = None,
    ) -> None:
        self._settings = settings
        self._publisher = publisher
        self._keyring = keyring
        self._store = store
        self._clock = clock
        self._heard = heard
        self._seen = SeenEvents(
            timedelta(seconds=settings.dedup_horizon_s), settings.dedup_capacity
        )
        self._window = TimeWindow(
            timedelta(seconds=settings.max_future_s), timedelta(days=settings.scoring_grace_days)
        )
        self._metrics = _Metrics(registry)

    async def answer(self, request: Request) -> JSONResponse:
        try:
            response = await self._handle(request)
        except _Refused as refused:
            response = refused.answer
        self._metrics.requests.labels(str(response.status_code)).inc()
        return response

    async def _handle(self, request: Request) -> JSONResponse:
        grant = await self._grant(request)
        items = await self._items(request)
        if grant is not None and (refused := await self._keyring.charge(grant, len(items))):
            return _problem(429, "Too many events", str(refused.detail), headers=refused.headers)
        self._metrics.batch_size.observe(len(items))
        trace_id = request.headers.get("x-trace-id") or uuid.uuid4().hex
        now = self._clock.now()
        outcome = triage(items, now, trace_id, self._window)
        await self._apply_grant_and_history(outcome, grant, now)
        try:
            await self._publisher.publish(outcome.accepted)
        except PublishFailed as exc:
            self._metrics.kafka_errors.inc()
            return _problem(
                503,
                "Kafka unavailable",
                f"nothing was accepted ({exc}); resend the same batch: event_ids make it safe",
                headers={"Retry-After": str(self._settings.retry_after_s)},
            )
        self._seen.add([e.event_id for e in outcome.accepted], now)
        await self._heard_from(outcome.accepted)
        self._count(items, outcome)
        return _outcome_answer(items, outcome, trace_id)

    async def _grant(self, request: Request) -> KeyGrant | None:
        if not self._settings.require_api_key:
            return None
        try:
            return await self._keyring.authenticate(request.headers.get("x-api-key"))
        except HTTPException as exc:
            raise _Refused(
                _problem(exc.status_code, "Not allowed", str(exc.detail), headers=exc.headers)
            ) from None

    async def _items(self, request: Request) -> list[Any]:
        """The submitted items, or the refusal: wrong type, too large, not JSON, empty."""
        limit = self._settings.max_body_bytes
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            what = f"send application/json, not {ctype or 'nothing'}"
            raise _Refused(_problem(415, "Unsupported media type", what))
        declared = request.headers.get("content-length")
        too_large = _problem(413, "Body too large", f"at most {limit} bytes per request")
        if declared and declared.isdigit() and int(declared) > limit:
            raise _Refused(too_large)
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                raise _Refused(too_large)
        try:
            decoded = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise _Refused(_problem(422, "Malformed JSON", str(exc))) from None
        items = decoded if isinstance(decoded, list) else [decoded]
        if not items:
            raise _Refused(_problem(422, "Empty batch", "send at least one event"))
        most = self._settings.max_batch_events
        if len(items) > most:
            what = f"{len(items)} events; at most {most} per request"
            raise _Refused(_problem(413, "Batch too long", what))
        return items

    async def _heard_from(self, accepted: list[Event]) -> None:
        """A machine whose punches arrive (through a gateway) is alive."""
        if self._heard is not None:
            for serial in {e.source.id for e in accepted if e.source.kind == "device"}:
                await self._heard.seen(serial)

    def _count(self, items: list[Any], outcome: Triage) -> None:
        tally: Counter[tuple[str, str]] = Counter()
        for r in outcome.results:
            item = items[r.index]
            etype = item.get("type") if isinstance(item, dict) else None
            label = etype if etype in EVENT_TYPES else "unknown"
            tally[(label, r.status)] += 1
            for error in r.errors:
                # Field paths come from the contract (bounded); dict keys inside it are cut off.
                self._metrics.rejections.labels(label, error.field.split(".")[0][:32]).inc()
        for (etype, item_status), n in tally.items():
            self._metrics.items.labels(etype, item_status).inc(n)

    async def _apply_grant_and_history(
        self, outcome: Triage, grant: KeyGrant | None, now: datetime
    ) -> None:
        """Refuse what the key may not send; report what was accepted before as duplicate."""
        keep: list[Event] = []
        by_id = {r.event_id: r for r in outcome.results if r.status == "accepted"}
        for event in outcome.accepted:
            result = by_id[event.event_id]
            if grant is not None:
                unit = None
                if WILDCARD not in grant.units or event.type == "service.rated":
                    unit = await self._store.unit_of(event.nip)
                if (why := grant.refusal(event, unit)) is not None:
                    result.status = "rejected"
                    result.errors.append(FieldError("type", why))
                    continue
            if self._seen.seen(event.event_id, now):
                result.status = "duplicate"
                continue
            keep.append(event)
        outcome.accepted[:] = keep


def _outcome_answer(items: list[Any], outcome: Triage, trace_id: str) -> JSONResponse:
    """202 with every item's outcome; 403 or 422 when none was accepted."""
    forbidden = sum(
        1
        for r in outcome.results
        if r.status == "rejected" and any(e.reason.startswith("this key") for e in r.errors)
    )
    status = 202
    if outcome.rejected_count == len(items):
        status = 403 if forbidden == len(items) else 422
    return JSONResponse(
        {
            "trace_id": trace_id,
            "accepted": len(outcome.accepted),
            "duplicates": sum(1 for r in outcome.results if r.status == "duplicate"),
            "rejected": outcome.rejected_count,
            "results": [_result_json(r) for r in outcome.results],
        },
        status_code=status,
    )


router = APIRouter(prefix="/v1", tags=["events"])


@router.post(
    "/events",
    status_code=202,
    summary="Submit one event or a JSON array of up to 1,000",
    response_description="Every item's outcome; accepted items are in Kafka",
    response_model=EventsAnswer,
    responses={
        413: {"description": "Body or batch too large"},
        415: {"description": "Not application/json"},
        422: {"description": "No item is valid, or the body is not JSON"},
        401: {"description": "Missing, unknown or revoked X-Api-Key"},
        403: {"description": "Every item is outside what the key may send"},
        429: {"description": "The key's rate limit; see Retry-After"},
        503: {"description": "Kafka did not acknowledge; resend the same batch later"},
    },
    openapi_extra=_EVENTS_OPENAPI,
)
async def post_events(request: Request) -> JSONResponse:
    submissions: Submissions = request.app.state.submissions
    return await submissions.answer(request)

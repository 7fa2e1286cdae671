"""Intake's composition root: settings → broker, store → publisher, keyring → HTTP routes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from intake.admin_api import AdminWork
from intake.admin_api import router as admin_router
from intake.adms_api import mount_machines
from intake.api import Submissions
from intake.api import router as events_router
from intake.corrections import Corrections
from intake.corrections_api import router as corrections_router
from intake.day_closer import DayCloser
from intake.devices_api import devices_router
from intake.domain import TimeWindow
from intake.keyring import Keyring
from intake.liveness import Liveness
from intake.machines import Machines
from intake.publisher import EventPublisher
from intake.settings import IntakeSettings
from intake.store import IntakeStore
from kinerja_shared.auth import JwtVerifier
from kinerja_shared.clock import SystemClock
from kinerja_shared.events import EVENT_ADAPTER
from kinerja_shared.service import Runtime, create_service_app, new_runtime, retry_until_up

#: Routes whose bodies differ from ``max_body_bytes`` (4 MiB, a batch of events): a city's
#: employee file (about 50,000 rows) and a machine's upload (thousands of punches).
BODY_LIMITS = {"/v1/admin/employees": 8 << 20, "/iclock/": 1 << 20}


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    runtime = new_runtime(settings, with_mongo=True)
    store = IntakeStore(runtime.db)
    publisher = EventPublisher(
        settings.kafka, settings.topics, runtime.registry, settings.publish_timeout_s
    )
    keyring = Keyring(store, settings.key_cache_s)
    clock = SystemClock()
    closer = DayCloser(
        publisher,
        store,
        ZoneInfo(settings.timezone),
        settings.close_day_at,
        clock,
        registry=runtime.registry,
    )

    async def start(_: Runtime) -> None:
        await store.prepare()
        await retry_until_up(f"Kafka at {settings.kafka_bootstrap}", settings, publisher.start)
        if settings.close_days:
            closer.start()

    async def stop(_: Runtime) -> None:
        await closer.stop()
        await publisher.stop()

    runtime.on_start.append(start)
    runtime.on_stop.append(stop)
    app = create_service_app(
        runtime,
        title="Kinerja intake",
        description="Receives attendance, service-quality and target-progress events, validates "
        "them and publishes them to Kafka. 202 means Kafka has them.",
        body_limits=BODY_LIMITS,
    )
    liveness = Liveness(store, clock, timedelta(minutes=settings.device_silent_after_minutes))
    app.state.liveness, app.state.clock = liveness, clock
    app.state.submissions = Submissions(
        settings, publisher, runtime.registry, keyring, store, clock, liveness
    )
    app.include_router(events_router)
    _mount_machines(app, settings, store, publisher, runtime, liveness)
    app.state.verifier = JwtVerifier.from_settings(settings)
    app.state.admin_work = AdminWork(settings, store, publisher, keyring, clock)
    app.include_router(admin_router)
    app.state.corrections = Corrections(
        store,
        publisher,
        clock,
        timedelta(days=settings.scoring_grace_days),
        ZoneInfo(settings.timezone),
    )
    app.include_router(corrections_router)
    _document_event_schema(app)
    return app


def _mount_machines(
    app: FastAPI,
    settings: IntakeSettings,
    store: IntakeStore,
    publisher: EventPublisher,
    runtime: Runtime,
    liveness: Liveness,
) -> None:
    """The attendance machines' protocol (ADMS), and which of them went silent."""
    adms_window = TimeWindow(
        timedelta(seconds=settings.max_future_s), timedelta(days=settings.adms_max_age_days)
    )
    machines = Machines(
        store,
        publisher,
        settings.topics,
        runtime.registry,
        adms_window,
        settings.adms_requests_per_minute,
        heard=liveness,
        clock=app.state.clock,
    )
    mount_machines(app, machines)
    app.include_router(devices_router(JwtVerifier.from_settings(settings)))


def _document_event_schema(app: FastAPI) -> None:
    """POST /v1/events reads its body itself (per-item errors); publish the contract's schema."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            defs = EVENT_ADAPTER.json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(defs.pop("$defs", {}))
            components["Event"] = defs
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

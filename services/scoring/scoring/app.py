"""Scoring's composition root: settings → broker, store → consumer, HTTP routes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import FastAPI

from kinerja_shared.auth import JwtVerifier
from kinerja_shared.service import Runtime, create_service_app, new_runtime
from scoring.api import evaluation_router
from scoring.consumer import AttendanceConsumer, ReferenceConsumer
from scoring.policy_file import load_policy
from scoring.settings import ScoringSettings
from scoring.store import FiguresStore, ReferenceStore, ScoringStore


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    runtime = new_runtime(settings, with_mongo=True)
    policy = load_policy(settings.policy_file)  # a bad file stops the start, saying why
    store = ScoringStore(runtime.db, runtime.registry)
    reference = ReferenceStore(runtime.db)
    figures = FiguresStore(runtime.db)
    AttendanceConsumer(runtime.broker, store, figures, settings, runtime.registry).register()
    ReferenceConsumer(runtime.broker, reference, settings, runtime.registry).register()

    async def prepare_store(_: Runtime) -> None:
        await store.prepare()

    runtime.on_start.append(prepare_store)
    app = create_service_app(
        runtime,
        title="Kinerja scoring",
        description="Keeps explainable evaluations per employee from the event streams.",
    )
    app.include_router(
        evaluation_router(
            store,
            reference,
            figures,
            policy,
            ZoneInfo(settings.timezone),
            JwtVerifier.from_settings(settings),
        )
    )
    return app

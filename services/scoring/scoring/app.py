"""Scoring's composition root: settings → stores → consumers, projector, alerts, HTTP routes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import FastAPI

from kinerja_shared.auth import JwtVerifier
from kinerja_shared.clock import Clock, SystemClock
from kinerja_shared.kafka import LagProbe
from kinerja_shared.periodic import Periodic
from kinerja_shared.service import Runtime, create_service_app, export_consumer_lag, new_runtime
from scoring.alerting import AlertChecker, EvaluationUpdates
from scoring.api import evaluation_router
from scoring.consumer import EventConsumer, ReferenceConsumer
from scoring.policy_file import load_policy
from scoring.projector import Evaluations, Projector
from scoring.reads import Reads
from scoring.settings import ScoringSettings
from scoring.store import (
    AlertStore,
    FactsStore,
    Leases,
    ReadModelStore,
    ReferenceStore,
    StaleQueue,
)


def create_app(settings: ScoringSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    clock = clock or SystemClock()
    runtime = new_runtime(settings, with_mongo=True)
    policy = load_policy(settings.policy_file)  # a bad file stops the start, saying why
    tz = ZoneInfo(settings.timezone)
    db, registry = runtime.db, runtime.registry
    facts, reference, read_models = FactsStore(db, registry), ReferenceStore(db), ReadModelStore(db)
    stale = StaleQueue(db)
    evaluations = Evaluations(facts, reference, policy, tz, clock)
    checker = AlertChecker(
        AlertStore(db), runtime.broker, settings.topics, policy, clock, registry, evaluations.today
    )
    updates = EvaluationUpdates(runtime.broker, settings.topics, clock, registry)
    lag = LagProbe(settings.kafka_bootstrap, settings.consumer_group)
    topics = settings.topics
    watched = [topics.attendance, topics.service_quality, topics.target_progress, topics.reference]

    async def caught_up() -> bool:
        return sum((await lag.lag(watched)).values()) == 0

    projector = Projector(
        stale,
        evaluations,
        read_models,
        Leases(db),
        clock,
        registry,
        alert_check=checker.check if settings.publish_alerts else None,
        on_projected=updates.publish if settings.publish_updates else None,
        caught_up=caught_up if settings.publish_alerts else None,
        settle_s=settings.alert_settle_s,
        round_employees=settings.projection_round,
    )
    EventConsumer(runtime.broker, facts, stale, settings, clock, registry).register()
    ReferenceConsumer(
        runtime.broker, reference, read_models, stale, settings, clock, registry
    ).register()
    loop = Periodic("projector", projector.drain, settings.projection_interval_s)

    async def started(_: Runtime) -> None:
        if settings.publish_alerts:
            await lag.start()
        loop.start()

    async def stop(_: Runtime) -> None:
        await loop.stop()
        await projector.release()
        if settings.publish_alerts:
            await lag.stop()

    export_consumer_lag(runtime, settings.consumer_group, [*watched, topics.feedback])
    runtime.on_started.append(started)
    runtime.on_stop.insert(0, stop)
    app = create_service_app(
        runtime,
        title="Kinerja scoring",
        description="Keeps explainable evaluations per employee from the event streams.",
    )
    reads = Reads(read_models, reference, evaluations)
    app.include_router(
        evaluation_router(reads, evaluations.today, JwtVerifier.from_settings(settings))
    )
    return app

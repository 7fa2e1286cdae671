"""Scoring's composition root: settings → stores → consumers, projector, alerts, HTTP routes."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from kinerja_shared.auth import JwtVerifier
from kinerja_shared.clock import Clock, SystemClock
from kinerja_shared.kafka import LagProbe
from kinerja_shared.leases import Leases
from kinerja_shared.periodic import Periodic
from kinerja_shared.service import Runtime, create_service_app, export_consumer_lag, new_runtime
from scoring.alerting import AlertChecker, EvaluationUpdates
from scoring.api import router
from scoring.consumer import EventConsumer, ReferenceConsumer, consumed_topics
from scoring.days import Days
from scoring.documents import Documents
from scoring.policy_file import load_policy
from scoring.projector import Evaluations, Projector
from scoring.reads import Reads
from scoring.settings import ScoringSettings
from scoring.store import (
    AlertStore,
    DocumentStore,
    FactsStore,
    ReadModelStore,
    ReferenceStore,
    StaleQueue,
)


def _projector(
    runtime: Runtime,
    settings: ScoringSettings,
    evaluations: Evaluations,
    clock: Clock,
    lag: LagProbe,
) -> Projector:
    policy = evaluations.policy
    checker = AlertChecker(
        AlertStore(runtime.db),
        runtime.broker,
        settings.topics,
        policy,
        clock,
        runtime.registry,
        evaluations.today,
    )
    updates = EvaluationUpdates(runtime.broker, settings.topics, clock, runtime.registry)
    watched = consumed_topics(settings.topics)

    async def backlog() -> int:
        return sum((await lag.lag(watched)).values())

    return Projector(
        StaleQueue(runtime.db),
        evaluations,
        ReadModelStore(runtime.db),
        Leases(runtime.db),
        clock,
        runtime.registry,
        alert_check=checker.check if settings.publish_alerts else None,
        on_projected=updates.publish if settings.publish_updates else None,
        backlog=backlog,
        catchup_backlog=settings.projection_catchup_backlog,
        settle_s=settings.alert_settle_s,
        round_employees=settings.projection_round,
        catchup_window_s=settings.projection_catchup_window_s,
        lease=timedelta(seconds=settings.projector_lease_s),
    )


def create_app(settings: ScoringSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    clock = clock or SystemClock()
    runtime = new_runtime(settings, with_mongo=True)
    policy = load_policy(settings.policy_file)  # a bad file stops the start, saying why
    db, registry = runtime.db, runtime.registry
    facts, reference, read_models = FactsStore(db, registry), ReferenceStore(db), ReadModelStore(db)
    evaluations = Evaluations(facts, reference, policy, ZoneInfo(settings.timezone), clock)
    lag = LagProbe(settings.kafka, settings.consumer_group)
    projector = _projector(runtime, settings, evaluations, clock, lag)
    EventConsumer(runtime.broker, facts, StaleQueue(db), settings, clock, registry).register()
    ReferenceConsumer(
        runtime.broker, reference, read_models, StaleQueue(db), settings, clock, registry
    ).register()
    loop = Periodic("projector", projector.drain, settings.projection_interval_s)

    async def started(_: Runtime) -> None:
        await lag.start()
        loop.start()

    async def stop(_: Runtime) -> None:
        await loop.stop()
        await projector.release()
        await lag.stop()

    export_consumer_lag(runtime, settings.consumer_group, consumed_topics(settings.topics))
    runtime.on_started.append(started)
    runtime.on_stop.insert(0, stop)
    app = create_service_app(
        runtime,
        title="Kinerja scoring",
        description="Keeps explainable evaluations per employee from the event streams.",
        # Its API reads only the store: while Kafka is away the evaluations stay readable.
        ready_needs=("mongodb",),
    )
    app.state.reads = reads = Reads(read_models, reference, evaluations)
    issued = DocumentStore(db)
    app.state.documents = Documents(reads, reference, issued, clock, settings.document_place)
    app.state.days = Days(facts, reference)
    app.state.today = evaluations.today
    app.state.verifier = JwtVerifier.from_settings(settings)
    app.include_router(router)
    return app

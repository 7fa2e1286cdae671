"""Scoring's composition root: settings → broker, store → consumer, HTTP routes."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from kinerja_shared.auth import JwtVerifier
from kinerja_shared.kafka import LagProbe
from kinerja_shared.service import Runtime, create_service_app, export_consumer_lag, new_runtime
from scoring.alerting import AlertChecker, EvaluationUpdates, mark_dirty
from scoring.api import evaluation_router
from scoring.consumer import EventConsumer, ReferenceConsumer
from scoring.domain import month_of
from scoring.evaluations import Evaluator
from scoring.policy_file import load_policy
from scoring.settings import ScoringSettings
from scoring.store import BehaviourStore, FiguresStore, ReferenceStore, ScoringStore


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    runtime = new_runtime(settings, with_mongo=True)
    policy = load_policy(settings.policy_file)  # a bad file stops the start, saying why
    tz = ZoneInfo(settings.timezone)
    store = ScoringStore(runtime.db, runtime.registry)
    reference = ReferenceStore(runtime.db)
    figures = FiguresStore(runtime.db)
    behaviour = BehaviourStore(runtime.db)
    evaluator = Evaluator(store, reference, figures, behaviour, policy, tz)
    updates = EvaluationUpdates(runtime.broker, settings.topics, runtime.registry)

    async def on_changed(changed: dict[str, set[str]]) -> None:
        # Durable marks first (the alert check), then the coalesced notices: one per employee.
        if settings.publish_alerts:
            await mark_dirty(runtime.db, changed)
        if settings.publish_updates:
            await updates.publish(changed)

    async def on_days_closed(days: list[date]) -> None:
        # A closed day can make absent anyone without a record: check every known employee.
        if settings.publish_alerts:
            months = {month_of(d) for d in days}
            await mark_dirty(runtime.db, {nip: months for nip in await reference.nips()})

    EventConsumer(
        runtime.broker, store, figures, behaviour, settings, runtime.registry, on_changed
    ).register()
    ReferenceConsumer(
        runtime.broker, reference, settings, runtime.registry, on_days_closed
    ).register()
    lag = LagProbe(settings.kafka_bootstrap, settings.consumer_group)
    topics = settings.topics
    watched = [topics.attendance, topics.service_quality, topics.target_progress, topics.reference]

    async def caught_up() -> bool:
        return sum((await lag.lag(watched)).values()) == 0

    checker = AlertChecker(
        runtime.db,
        evaluator,
        runtime.broker,
        settings.topics,
        policy,
        runtime.registry,
        interval_s=settings.alert_check_interval_s,
        settle_s=settings.alert_settle_s,
        caught_up=caught_up,
    )

    async def start(_: Runtime) -> None:
        await store.prepare()

    async def started(_: Runtime) -> None:
        if settings.publish_alerts:
            await lag.start()
            checker.start(tz)

    async def stop(_: Runtime) -> None:
        await checker.stop()
        if settings.publish_alerts:
            await lag.stop()

    export_consumer_lag(runtime, settings.consumer_group, [*watched, topics.feedback])
    runtime.on_start.append(start)
    runtime.on_started.append(started)
    runtime.on_stop.insert(0, stop)
    app = create_service_app(
        runtime,
        title="Kinerja scoring",
        description="Keeps explainable evaluations per employee from the event streams.",
    )
    app.include_router(
        evaluation_router(evaluator, reference, tz, JwtVerifier.from_settings(settings))
    )
    return app

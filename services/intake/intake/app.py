"""Intake's composition root: settings → broker → publisher → HTTP routes."""

from __future__ import annotations

from fastapi import FastAPI

from intake.api import events_router
from intake.publisher import EventPublisher
from intake.settings import IntakeSettings
from kinerja_shared.service import create_service_app, new_runtime


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    runtime = new_runtime(settings, with_mongo=False)
    publisher = EventPublisher(
        runtime.broker, settings.topics, runtime.registry, settings.publish_timeout_s
    )
    app = create_service_app(
        runtime,
        title="Kinerja intake",
        description="Receives attendance, service-quality and target-progress events, validates "
        "them and publishes them to Kafka. 202 means Kafka has them.",
    )
    app.include_router(events_router(settings, publisher, runtime.registry))
    return app

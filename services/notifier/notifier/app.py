"""Notifier's composition root. Routing and channels arrive with their issue; today it runs,
connects to Kafka and MongoDB, and reports health, readiness and metrics."""

from __future__ import annotations

from fastapi import FastAPI

from kinerja_shared.service import create_service_app, new_runtime
from notifier.settings import NotifierSettings


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or NotifierSettings()
    runtime = new_runtime(settings, with_mongo=True)
    return create_service_app(
        runtime,
        title="Kinerja notifier",
        description="Coaching alerts and feedback notices to supervisors and employees.",
    )

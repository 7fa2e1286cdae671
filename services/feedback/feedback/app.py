"""Feedback's composition root. The performance dialogue and the console arrive with their issue;
today it runs, connects to Kafka and MongoDB, and reports health, readiness and metrics."""

from __future__ import annotations

from fastapi import FastAPI

from feedback.settings import FeedbackSettings
from kinerja_shared.service import create_service_app, new_runtime


def create_app(settings: FeedbackSettings | None = None) -> FastAPI:
    settings = settings or FeedbackSettings()
    runtime = new_runtime(settings, with_mongo=True)
    return create_service_app(
        runtime,
        title="Kinerja feedback",
        description="Supervisors' feedback, the performance dialogue and the supervisor console.",
    )

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kinerja_shared.settings import ConsumerSettings


class FeedbackSettings(ConsumerSettings):
    """Feedback's settings; environment variables start with ``KINERJA_FEEDBACK_``."""

    model_config = SettingsConfigDict(env_prefix="KINERJA_FEEDBACK_", extra="ignore", frozen=True)

    service_name: str = "feedback"
    http_port: int = 8003
    mongodb_database: str = "kinerja_feedback"
    consumer_group: str = "kinerja-feedback"
    outbox_retry_s: float = 10.0
    document_place: str = Field(
        "Tanjungbalai", description="The place printed above a document's signatures"
    )
    scoring_url: str = Field("http://127.0.0.1:8002", description="Scoring's API, server to server")
    intake_url: str = Field(
        "http://127.0.0.1:8001", description="Intake's API, server to server (machines' state)"
    )
    notifier_public_url: str = Field(
        "http://127.0.0.1:8004", description="The notifier as browsers reach it (live stream)"
    )

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from kinerja_shared.settings import ServiceSettings


class FeedbackSettings(ServiceSettings):
    """Feedback's settings; environment variables start with ``KINERJA_FEEDBACK_``."""

    model_config = SettingsConfigDict(env_prefix="KINERJA_FEEDBACK_", extra="ignore", frozen=True)

    service_name: str = "feedback"
    http_port: int = 8003
    mongodb_database: str = "kinerja_feedback"
    consumer_group: str = "kinerja-feedback"
    outbox_retry_s: float = 10.0

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kinerja_shared.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    """Scoring's settings; environment variables start with ``KINERJA_SCORING_``."""

    model_config = SettingsConfigDict(env_prefix="KINERJA_SCORING_", extra="ignore", frozen=True)

    service_name: str = "scoring"
    http_port: int = 8002
    mongodb_database: str = "kinerja_scoring"
    consumer_group: str = Field("kinerja-scoring", description="Kafka consumer group id")
    batch_max_records: int = Field(500, ge=1, le=10_000)
    batch_timeout_ms: int = Field(200, ge=1, le=60_000)
    timezone: str = Field("Asia/Jakarta", description="Default local time of employees (WIB)")
    grace_days: int = Field(
        35, ge=1, description="Events received later than this after they occurred: DLQ"
    )
    policy_file: Path | None = Field(None, description="Policy TOML (default: Tanjungbalai's)")

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kinerja_shared.settings import ConsumerSettings


class ScoringSettings(ConsumerSettings):
    """Scoring's settings; environment variables start with ``KINERJA_SCORING_``."""

    model_config = SettingsConfigDict(env_prefix="KINERJA_SCORING_", extra="ignore", frozen=True)

    service_name: str = "scoring"
    http_port: int = 8002
    mongodb_database: str = "kinerja_scoring"
    consumer_group: str = Field("kinerja-scoring", description="Kafka consumer group id")
    # Large batches are how a catch-up coalesces: an employee's many events become one write.
    # Live, a batch is whatever arrived within batch_timeout_ms, so small.
    batch_max_records: int = Field(10_000, ge=1, le=100_000)
    batch_partition_fetch_bytes: int = Field(4 << 20, ge=1 << 16, le=64 << 20)
    document_place: str = Field(
        "Tanjungbalai", description="The place printed above a document's signatures"
    )
    timezone: str = Field("Asia/Jakarta", description="Default local time of employees (WIB)")
    grace_days: int = Field(
        35, ge=1, description="Events received later than this after they occurred: DLQ"
    )
    publish_alerts: bool = Field(True, description="Raise alerts (off for a replay)")
    publish_updates: bool = Field(True, description="Publish evaluation.updated (off: replay)")
    alert_settle_s: float = Field(
        30.0, ge=0, description="Changes rest this long before alerts are checked"
    )
    alert_check_interval_s: float = Field(
        2.0, gt=0, description="Unused since the projector checks alerts (kept for old configs)"
    )
    # Each round renews the lease before each of its steps, so a step must take less.
    projector_lease_s: float = Field(
        20.0, ge=5, le=600, description="A replica that dies holds the projection this long"
    )
    projection_interval_s: float = Field(
        0.2, gt=0, description="How often the projector looks for changed employees"
    )
    # A round holds its employees' year of facts and their evaluation documents: late in the
    # year about 250 KB each, so 1,000 of them took scoring past 500 MB; 250 keep it near 250.
    projection_round: int = Field(
        250, ge=1, le=50_000, description="Employees evaluated together (bounds memory)"
    )
    # A catch-up's batches touch nearly every employee each: rounds every 10 s evaluated each
    # employee of make run's month 9.7 times (280 s). One round a minute lets the consumers
    # write the facts first; what remains is then evaluated about once.
    projection_catchup_window_s: float = Field(
        60.0, ge=0, description="During a catch-up, one projection round per window"
    )
    projection_catchup_backlog: int = Field(
        5000, ge=0, description="Records behind from which the consumers are catching up"
    )
    policy_file: Path | None = Field(None, description="Policy TOML (default: Tanjungbalai's)")

from __future__ import annotations

from datetime import time

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kinerja_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Intake's settings; environment variables start with ``KINERJA_INTAKE_``."""

    model_config = SettingsConfigDict(env_prefix="KINERJA_INTAKE_", extra="ignore", frozen=True)

    service_name: str = "intake"
    http_port: int = 8001
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024, description="Larger bodies get 413")
    max_batch_events: int = Field(1000, ge=1, le=10_000, description="Longer arrays get 413")
    publish_timeout_s: float = Field(10.0, gt=0, description="Kafka ack wait before answering 503")
    retry_after_s: int = Field(5, ge=1, description="Retry-After sent with a 503")
    mongodb_database: str = "kinerja_intake"
    require_api_key: bool = Field(True, description="POST /v1/events needs X-Api-Key")
    dedup_horizon_s: int = Field(24 * 3600, ge=0, description="Resends within it are duplicates")
    dedup_capacity: int = Field(300_000, ge=0, description="Most event_ids remembered (~60 MB)")
    max_future_s: int = Field(600, ge=0, description="Event times further ahead are refused")
    scoring_grace_days: int = Field(35, ge=1, description="Older event times are refused")
    # A machine keeps its punches and pushes them within minutes of coming back; a punch days
    # old from a machine is more likely forged than late. Older lines go to the DLQ.
    adms_max_age_days: int = Field(3, ge=1, description="Older ADMS punches go to the DLQ")
    device_silent_after_minutes: int = Field(
        60, ge=5, description="A registered machine unheard of this long is listed as silent"
    )
    adms_requests_per_minute: int = Field(
        120, ge=1, description="Per serial, and ten times that per source address"
    )
    key_cache_s: float = Field(30.0, ge=0, description="API keys are re-read after this")
    close_days: bool = Field(True, description="Publish day_closed for each day on a schedule")
    close_day_at: time = Field(time(23, 30), description="Local time (timezone) a day closes")
    timezone: str = Field("Asia/Jakarta", description="The city's time zone (WIB)")
    # The working schedules the city's scoring policy defines (its [schedules.*] tables): an
    # employee on any other is refused at upload rather than judged by another's hours.
    schedules: tuple[str, ...] = Field(
        ("standar", "ramadan", "shift_pagi", "shift_malam"),
        description="Schedule names the scoring policy defines",
    )
    default_rate_per_minute: int = Field(1200, ge=1, description="Events per key per minute")

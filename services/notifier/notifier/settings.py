from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from kinerja_shared.settings import ConsumerSettings


class NotifierSettings(ConsumerSettings):
    """Notifier's settings; environment variables start with ``KINERJA_NOTIFIER_``."""

    model_config = SettingsConfigDict(env_prefix="KINERJA_NOTIFIER_", extra="ignore", frozen=True)

    service_name: str = "notifier"
    http_port: int = 8004
    mongodb_database: str = "kinerja_notifier"
    consumer_group: str = "kinerja-notifier"
    routing_file: Path | None = Field(
        None, description="Routing file (TOML); Tanjungbalai's bundled one when unset"
    )
    dispatch_interval_s: float = Field(
        0.5, ge=0, le=60, description="Pause between dispatcher passes; 0 runs none (tests)"
    )
    delivery_concurrency: int = Field(32, ge=1, le=1000)
    # After a crash, the next replica takes over when the dead one's lease runs out: shorter
    # is a faster takeover, longer tolerates slower store round trips when renewing.
    dispatcher_lease_s: float = Field(
        60.0, ge=5, le=600, description="How long the dispatching replica's lease lasts"
    )
    stream_poll_s: float = Field(0.5, gt=0, le=30, description="How often the live stream looks")
    stream_ping_s: float = Field(15.0, gt=0, le=300)
    console_url: str = Field("http://127.0.0.1:8003/", description="Link in e-mails")
    cors_origins: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:8003", "http://localhost:8003"],
        description="Origins of the console, whose browsers open the live stream",
    )

    smtp_host: str | None = Field(None, description="SMTP server; e-mail is off when unset")
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "Kinerja <kinerja@tanjungbalaikota.go.id>"
    smtp_timeout_s: float = Field(30.0, gt=0, le=300)

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from kinerja_shared.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    """Notifier's settings; environment variables start with ``KINERJA_NOTIFIER_``."""

    model_config = SettingsConfigDict(env_prefix="KINERJA_NOTIFIER_", extra="ignore", frozen=True)

    service_name: str = "notifier"
    http_port: int = 8004
    mongodb_database: str = "kinerja_notifier"

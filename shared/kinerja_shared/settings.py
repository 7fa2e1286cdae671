"""The settings every service shares; each service subclasses it with its own env prefix.

Example: ``KINERJA_SCORING_KAFKA_BOOTSTRAP=kafka:9092`` sets the scoring service's broker.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from kinerja_shared.topics import Topics

#: The development signing secret; a service started with it logs a warning.
DEV_JWT_SECRET = "kinerja-dev-only-secret-change-me-0123456789"  # noqa: S105


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINERJA_", extra="ignore", frozen=True)

    service_name: str = "kinerja"
    kafka_bootstrap: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, host:port,..."
    )
    mongodb_url: str = Field("mongodb://127.0.0.1:27017/", description="MongoDB connection string")
    mongodb_database: str = Field("kinerja", description="Database this service owns")
    topic_prefix: str = Field("", description="Prefix for every topic name (tests, shared brokers)")
    create_topics: bool = Field(True, description="Create missing topics at start (dev, tests)")
    topic_partitions: int = Field(6, ge=1, le=10_000)
    topic_replication: int = Field(1, ge=1, le=7)
    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    readiness_timeout_s: float = Field(2.0, gt=0, le=30)
    lag_metrics_interval_s: float = Field(
        15.0, gt=0, le=600, description="How often consumers export their lag per partition"
    )
    startup_timeout_s: float = Field(
        120.0, gt=0, description="How long to wait for Kafka and MongoDB at start before giving up"
    )

    # People sign in with a bearer JWT. Development signs with a shared secret (HS256); production
    # verifies the city identity provider's keys from its JWKS URL (RS256/ES256), configured here.
    jwt_secret: SecretStr | None = Field(
        SecretStr(DEV_JWT_SECRET), description="HS256 secret (development); empty to disable"
    )
    jwt_jwks_url: str | None = Field(None, description="Identity provider's JWKS URL (production)")
    jwt_issuer: str | None = None
    jwt_audience: str | None = None

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)


class ConsumerSettings(ServiceSettings):
    """A service that consumes Kafka in batches (each sets its own ``consumer_group``)."""

    consumer_group: str = Field("kinerja", description="Kafka consumer group id")
    batch_max_records: int = Field(500, ge=1, le=100_000)
    batch_timeout_ms: int = Field(200, ge=1, le=60_000)
    batch_partition_fetch_bytes: int = Field(
        1 << 20,
        ge=1 << 16,
        le=64 << 20,
        description="Bytes fetched per partition at once: large batches need large fetches",
    )

    def batch_subscription(self, title: str, registry: Any) -> dict[str, Any]:
        """The keyword arguments of ``kinerja_shared.kafka.subscribe_batches``."""
        return {
            "registry": registry,
            "group_id": self.consumer_group,
            "title": title,
            "dlq_topic": self.topics.dlq,
            "service": self.service_name,
            "max_records": self.batch_max_records,
            "timeout_ms": self.batch_timeout_ms,
            "partition_fetch_bytes": self.batch_partition_fetch_bytes,
        }

"""The settings every service shares; each service subclasses it with its own env prefix.

Example: ``KINERJA_SCORING_KAFKA_BOOTSTRAP=kafka:9092`` sets the scoring service's broker.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from kinerja_shared.topics import Topics


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
    startup_timeout_s: float = Field(
        120.0, gt=0, description="How long to wait for Kafka and MongoDB at start before giving up"
    )

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)

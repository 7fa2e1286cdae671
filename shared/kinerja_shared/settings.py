"""The settings every service shares; each service subclasses it with its own env prefix.

Example: ``KINERJA_SCORING_KAFKA_BOOTSTRAP=kafka:9092`` sets the scoring service's broker.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from kinerja_shared.kafka_access import KafkaAccess, Mechanism, Protocol
from kinerja_shared.topics import Topics

#: The development signing secret: accepted only with dev_mode on, on loopback.
DEV_JWT_SECRET = "kinerja-dev-only-secret-change-me-0123456789"  # noqa: S105
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINERJA_", extra="ignore", frozen=True)

    service_name: str = "kinerja"
    kafka_bootstrap: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, host:port,..."
    )
    kafka_security_protocol: Protocol = Field(
        "PLAINTEXT", description="PLAINTEXT (loopback development), SSL or SASL_SSL (production)"
    )
    kafka_sasl_mechanism: Mechanism = "SCRAM-SHA-512"
    kafka_username: str | None = Field(None, description="This service's SCRAM user (SASL_SSL)")
    kafka_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = Field(None, description="CA of the brokers' certificates")
    kafka_ssl_certfile: str | None = Field(None, description="Client certificate (mutual TLS)")
    kafka_ssl_keyfile: str | None = None
    mongodb_url: str = Field("mongodb://127.0.0.1:27017/", description="MongoDB connection string")
    mongodb_database: str = Field("kinerja", description="Database this service owns")
    # Credentials and TLS apart from the URL, so that the URL may sit in a ConfigMap and the
    # password in a Secret (a password in the URL works too; it is redacted from every log).
    mongodb_username: str | None = Field(None, description="This service's MongoDB user")
    mongodb_password: SecretStr | None = None
    mongodb_auth_source: str | None = Field(None, description="The user's database (admin)")
    mongodb_tls: bool = Field(False, description="TLS to MongoDB (on with either file below)")
    mongodb_tls_ca_file: str | None = Field(None, description="CA of the servers' certificates")
    mongodb_tls_certificate_key_file: str | None = Field(
        None, description="Client certificate and key in one PEM (X.509 sign-in)"
    )
    topic_prefix: str = Field("", description="Prefix for every topic name (tests, shared brokers)")
    create_topics: bool = Field(True, description="Create missing topics at start (dev, tests)")
    topic_partitions: int = Field(6, ge=1, le=10_000)
    topic_replication: int = Field(1, ge=1, le=7)
    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=1, le=65535)
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Serve /metrics on this port alone, never on the API's (production); "
        "none: on the API port, refused to requests that came through a proxy",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    readiness_timeout_s: float = Field(2.0, gt=0, le=30)
    lag_metrics_interval_s: float = Field(
        15.0, gt=0, le=600, description="How often consumers export their lag per partition"
    )
    startup_timeout_s: float = Field(
        120.0, gt=0, description="How long to wait for Kafka and MongoDB at start before giving up"
    )
    max_body_bytes: int = Field(
        1 << 20, ge=1024, le=256 << 20, description="Longer request bodies get 413, unread"
    )

    # People sign in with a bearer JWT. Production verifies the city identity provider's keys
    # from its JWKS URL (RS256/ES256), with issuer and audience. Development (dev_mode, on
    # loopback only) signs with a shared secret (HS256), the development one by default.
    dev_mode: bool = Field(
        False,
        description="Development: the development JWT secret and the console's dev sign-in "
        "(refused unless the service listens on loopback)",
    )
    jwt_secret: SecretStr | None = Field(
        None, description="A private HS256 secret (no JWKS); dev_mode uses the development one"
    )
    jwt_jwks_url: str | None = Field(None, description="Identity provider's JWKS URL (production)")
    jwt_issuer: str | None = None
    jwt_audience: str | None = None

    @property
    def hs256_secret(self) -> str | None:
        """The shared secret tokens are checked with, if no JWKS URL is set."""
        if self.jwt_jwks_url:
            return None
        if self.jwt_secret is not None and self.jwt_secret.get_secret_value():
            return self.jwt_secret.get_secret_value()
        return DEV_JWT_SECRET if self.dev_mode else None

    def auth_problems(self) -> list[str]:
        """Why this configuration must not serve requests (empty: it may)."""
        prefix = self.model_config.get("env_prefix", "KINERJA_")
        problems: list[str] = []
        loopback = self.http_host in LOOPBACK
        if self.jwt_jwks_url and not (self.jwt_issuer and self.jwt_audience):
            problems.append(f"with {prefix}JWT_JWKS_URL set {prefix}JWT_ISSUER and _AUDIENCE")
        if not self.jwt_jwks_url and self.hs256_secret is None:
            problems.append(
                f"no way to check sign-ins: set {prefix}JWT_JWKS_URL, _ISSUER and _AUDIENCE "
                f"(production) or {prefix}DEV_MODE=true on loopback (development)"
            )
        if self.dev_mode and not loopback:
            problems.append(f"{prefix}DEV_MODE listens on loopback only, not {self.http_host}")
        if self.hs256_secret == DEV_JWT_SECRET and not self.dev_mode:
            problems.append(f"the development JWT secret needs {prefix}DEV_MODE=true (loopback)")
        if self.hs256_secret is not None and len(self.hs256_secret) < 32:
            problems.append(f"{prefix}JWT_SECRET is shorter than 32 characters")
        return problems

    @property
    def mongodb_options(self) -> dict[str, Any]:
        """PyMongo's keyword arguments for the user and TLS settings (none: the URL's own)."""
        options: dict[str, Any] = {}
        if self.mongodb_username:
            options["username"] = self.mongodb_username
            if self.mongodb_password is not None:
                options["password"] = self.mongodb_password.get_secret_value()
            options["authSource"] = self.mongodb_auth_source or "admin"
        files = {
            "tlsCAFile": self.mongodb_tls_ca_file,
            "tlsCertificateKeyFile": self.mongodb_tls_certificate_key_file,
        }
        if self.mongodb_tls or any(files.values()):
            options["tls"] = True
            options.update({k: v for k, v in files.items() if v})
        return options

    @property
    def kafka(self) -> KafkaAccess:
        """Where Kafka is and how this service signs in to it."""
        password = self.kafka_password.get_secret_value() if self.kafka_password else None
        return KafkaAccess(
            self.kafka_bootstrap,
            protocol=self.kafka_security_protocol,
            mechanism=self.kafka_sasl_mechanism,
            username=self.kafka_username,
            password=password,
            cafile=self.kafka_ssl_cafile,
            certfile=self.kafka_ssl_certfile,
            keyfile=self.kafka_ssl_keyfile,
        )

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
    # Shorter moves a crashed replica's partitions sooner; longer rides out long pauses.
    session_timeout_ms: int = Field(
        10_000,
        ge=6_000,  # the broker's group.min.session.timeout.ms
        le=300_000,
        description="How long a silent group member keeps its partitions",
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
            "session_timeout_ms": self.session_timeout_ms,
        }

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from kinerja_shared.settings import ServiceSettings
from tests.infra import Infra, provide_infra

S = TypeVar("S", bound=ServiceSettings)

# The services under test run as the local stack does: development mode, on loopback, checking
# sign-ins with the development secret the tests mint tokens with.
for _service in ("INTAKE", "SCORING", "FEEDBACK", "NOTIFIER"):
    os.environ.setdefault(f"KINERJA_{_service}_DEV_MODE", "true")

_used: list[Infra] = []


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with provide_infra() as found:
        _used.append(found)
        yield found


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for found in _used:
        terminalreporter.write_line(
            f"integration tests used {found.kind}: {found.detail} "
            f"(Kafka {found.kafka_bootstrap}, MongoDB {found.mongodb_url})"
        )


@dataclass(frozen=True)
class Namespace:
    """Names no other test uses: a topic prefix and a database prefix."""

    topic_prefix: str
    database_prefix: str

    def database(self, service: str) -> str:
        return f"{self.database_prefix}{service}"

    def settings(self, cls: type[S], infra: Infra, **overrides: Any) -> S:
        """A service's settings wired to the test infrastructure under this namespace."""
        service = cls.model_fields["service_name"].default
        values: dict[str, Any] = {
            "kafka_bootstrap": infra.kafka_bootstrap,
            "mongodb_url": infra.mongodb_url,
            "mongodb_database": self.database(service),
            "topic_prefix": self.topic_prefix,
            "topic_partitions": 2,
            "log_format": "text",
            **overrides,
        }
        return cls(**values)


@pytest.fixture
def ns() -> Namespace:
    tag = uuid.uuid4().hex[:10]
    return Namespace(f"t{tag}.", f"t{tag}_")


def pytest_report_header(config: pytest.Config) -> str:
    return "kinerja integration tests: infrastructure is chosen by tests/infra.py"

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.infra import Infra, provide_infra


@pytest.fixture(scope="session")
def infra(pytestconfig: pytest.Config) -> Iterator[Infra]:
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    with provide_infra() as found:
        line = (
            f"[infra] integration tests use {found.kind}: {found.detail}; "
            f"Kafka {found.kafka_bootstrap}, MongoDB {found.mongodb_url}"
        )
        if reporter is not None:
            reporter.write_line("")
            reporter.write_line(line)
        print(line)
        yield found


@dataclass(frozen=True)
class Namespace:
    """Names no other test uses: a topic prefix and a database prefix."""

    topic_prefix: str
    database_prefix: str

    def database(self, service: str) -> str:
        return f"{self.database_prefix}{service}"


@pytest.fixture
def ns() -> Namespace:
    tag = uuid.uuid4().hex[:10]
    return Namespace(f"t{tag}.", f"t{tag}_")


def pytest_report_header(config: pytest.Config) -> str:
    return "kinerja integration tests: infrastructure is chosen by tests/infra.py"

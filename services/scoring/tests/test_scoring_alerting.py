"""The alert check with fake ports: one employee whose check fails on its own is recorded and
skipped, the others' alerts go out; a broker outage is raised, so the marks wait and retry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError
from prometheus_client import CollectorRegistry

from kinerja_shared.clock import ManualClock
from kinerja_shared.topics import Topics
from scoring.alerting import AlertChecker
from scoring.domain.alerts import AlertDraft, Conditions
from scoring.domain.projection import AlertInput
from scoring.policy_file import load_policy

GOOD, BAD = "198609262015051001", "199001012015011001"


class FakeAlertStore:
    def __init__(self) -> None:
        self.recorded: list[str] = []
        self.conditions: dict[str, set[str]] = {}

    async def active_conditions_of(self, nips: list[str]) -> dict[str, set[str]]:
        return {n: self.conditions.get(n, set()) for n in nips}

    async def published(self, ids: Iterable[str]) -> set[str]:
        return set(ids) & set(self.recorded)

    async def set_conditions_of(self, changed: Mapping[str, set[str]]) -> None:
        self.conditions.update(changed)

    async def record(self, alerts: list[tuple[str, str, str]], at: datetime) -> None:
        self.recorded += [alert_id for alert_id, _, _ in alerts]


class FakeBroker:
    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.sent: list[bytes] = []

    async def publish(self, body: bytes, topic: str, **_: Any) -> None:
        if self.down:
            raise KafkaConnectionError("no broker")
        self.sent.append(body)


def checker(store: FakeAlertStore, broker: FakeBroker) -> tuple[AlertChecker, CollectorRegistry]:
    registry = CollectorRegistry()
    clock = ManualClock(datetime(2026, 11, 23, 9, tzinfo=UTC))
    check = AlertChecker(
        store,  # type: ignore[arg-type]
        broker,  # type: ignore[arg-type]
        Topics(),
        load_policy(None),
        clock,
        registry,
        lambda: date(2026, 11, 23),
    )
    return check, registry


def inputs() -> dict[str, AlertInput]:
    draft = AlertDraft(
        "discipline:2026:ringan:" + GOOD,
        "discipline.threshold_crossed",
        "2026",
        "Ambang disiplin",
        ["6 hari tanpa keterangan"],
        level="ringan",
    )
    # A bug upstream: no conditions.
    broken = AlertInput([], None)  # type: ignore[arg-type]
    return {GOOD: AlertInput([draft], Conditions(None, [])), BAD: broken}


async def test_one_failing_employee_is_skipped_and_counted() -> None:
    store, broker = FakeAlertStore(), FakeBroker()
    check, registry = checker(store, broker)
    assert await check.check(inputs()) == 1
    assert store.recorded == ["discipline:2026:ringan:" + GOOD]
    assert len(broker.sent) == 1
    assert registry.get_sample_value("kinerja_scoring_alert_check_failures_total") == 1
    assert BAD not in store.conditions


async def test_a_broker_outage_is_raised_for_the_retry() -> None:
    store, broker = FakeAlertStore(), FakeBroker(down=True)
    check, registry = checker(store, broker)
    with pytest.raises(KafkaConnectionError):
        await check.check({GOOD: inputs()[GOOD]})
    assert store.recorded == []
    assert registry.get_sample_value("kinerja_scoring_alert_check_failures_total") == 0

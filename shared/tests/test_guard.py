"""The batch guard: transient failures are retried, a record failing on its own is isolated
and dead-lettered, the rest of its batch is handled."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pymongo.errors import AutoReconnect, OperationFailure

from kinerja_shared.guard import BatchGuard, GuardMetrics, Records, transient


class Handler:
    def __init__(self, bad: set[int] | None = None, outages: int = 0) -> None:
        self.bad = bad or set()
        self.outages = outages
        self.handled: list[int] = []
        self.calls = 0

    async def __call__(self, records: Records) -> None:
        self.calls += 1
        if self.outages:
            self.outages -= 1
            raise AutoReconnect("store unreachable")
        if self.bad & set(records):
            raise TypeError("unhashable type: 'list'")
        self.handled.extend(records)


def guard(handler: Handler, dead: list[tuple[Any, str]]) -> tuple[BatchGuard, GuardMetrics]:
    async def poison(record: Any, exc: BaseException) -> None:
        dead.append((record, type(exc).__name__))

    metrics = GuardMetrics(CollectorRegistry())
    return BatchGuard("t", handler, poison, metrics, retry_for_s=5, max_wait_s=0.01), metrics


async def test_a_bad_record_goes_to_the_dlq_and_the_rest_is_handled() -> None:
    handler, dead = Handler(bad={13, 40}), []  # type: ignore[var-annotated]
    g, metrics = guard(handler, dead)
    await g(list(range(64)))
    assert dead == [(13, "TypeError"), (40, "TypeError")]
    assert sorted(set(handler.handled)) == [i for i in range(64) if i not in (13, 40)]
    assert handler.calls < 64  # halves, not one call per record
    assert metrics.poison.labels("t")._value.get() == 2


async def test_a_store_outage_is_retried_and_nothing_is_dead_lettered() -> None:
    handler, dead = Handler(outages=3), []  # type: ignore[var-annotated]
    g, metrics = guard(handler, dead)
    await g([1, 2, 3])
    assert handler.handled == [1, 2, 3]
    assert dead == []
    assert metrics.retries.labels("t")._value.get() == 3


async def test_an_outage_longer_than_the_retry_window_goes_up_uncommitted() -> None:
    handler, dead = Handler(outages=10**6), []  # type: ignore[var-annotated]
    g, _ = guard(handler, dead)
    g._retry_for_s = 0.05
    with pytest.raises(AutoReconnect):
        await g([1])
    assert dead == []
    assert handler.handled == []


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (AutoReconnect("x"), True),
        (OperationFailure("database is locked (5) (SQLITE_BUSY)"), True),
        (TimeoutError(), True),
        (OperationFailure("unknown operator: $foo", code=2), False),
        (TypeError("x"), False),
        (KeyError("nip"), False),
    ],
)
def test_what_counts_as_transient(exc: BaseException, expected: bool) -> None:
    assert transient(exc) is expected

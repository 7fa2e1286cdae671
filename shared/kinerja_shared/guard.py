"""What a consumer does when its batch handler raises, so that nothing stalls a partition and
nothing is lost.

- **Transient** failures (the store or Kafka unreachable, SQLite's "database is locked", a
  timeout) are retried with capped, jittered backoff, and counted. The batch is not committed
  meanwhile; after ``retry_for_s`` the error goes up and FastStream rewinds the batch, so the
  consumer keeps polling (and keeps its place in the group) through a long outage.
- **Anything else** is a property of some record (a bug it triggers, a value no contract
  check caught). The batch is split in halves until the records that fail alone are found;
  each goes to ``poison`` (the DLQ, with the error as its reason) and the rest is handled.
  Handlers are idempotent, so the halves that already succeeded may be handled again.

A failure that every record triggers (a bug in the handler itself) would send the whole batch
to the DLQ; it is logged with its traceback, and ``kinerja-ops dlq`` re-drives the records once
the fix is deployed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry, Counter
from pymongo.errors import ConnectionFailure, OperationFailure
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_delay,
    wait_exponential_jitter,
)

log = logging.getLogger(__name__)

Records = Sequence[Any]  # aiokafka ConsumerRecords
RecordsHandler = Callable[[Records], Awaitable[None]]
PoisonHandler = Callable[[Any, BaseException], Awaitable[None]]


def transient(exc: BaseException) -> bool:
    """Worth trying again as it is: the infrastructure, not the record, failed."""
    if isinstance(exc, ConnectionFailure | KafkaError | TimeoutError | ConnectionError):
        return True
    if isinstance(exc, OperationFailure):
        text = str(exc)
        return "database is locked" in text or "SQLITE_BUSY" in text or exc.code in (91, 189)
    return False


class GuardMetrics:
    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.retries = Counter(
            "kinerja_consumer_retries_total",
            "Batches tried again after a transient failure (store or Kafka unreachable)",
            ["subscriber"],
            registry=registry,
        )
        self.poison = Counter(
            "kinerja_consumer_poison_records_total",
            "Records whose handling failed on their own, sent to the DLQ",
            ["subscriber"],
            registry=registry,
        )


class BatchGuard:
    def __init__(
        self,
        name: str,
        handler: RecordsHandler,
        poison: PoisonHandler,
        metrics: GuardMetrics,
        *,
        retry_for_s: float = 60.0,
        max_wait_s: float = 10.0,
    ) -> None:
        self._name = name
        self._handler = handler
        self._poison = poison
        self._metrics = metrics
        self._retry_for_s = retry_for_s
        self._max_wait_s = max_wait_s

    async def __call__(self, records: Records) -> None:
        retrying = AsyncRetrying(
            retry=retry_if_exception(transient),
            wait=wait_exponential_jitter(multiplier=0.2, max=self._max_wait_s),
            stop=stop_after_delay(self._retry_for_s),
            before_sleep=self._retried,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                await self._isolate(list(records))

    def _retried(self, state: RetryCallState) -> None:
        self._metrics.retries.labels(self._name).inc()
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "transient failure; the batch is tried again",
            extra={"subscriber": self._name, "attempt": state.attempt_number, "error": repr(error)},
        )

    async def _isolate(self, records: list[Any]) -> None:
        try:
            await self._handler(records)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if transient(exc):
                raise
            if len(records) == 1:
                await self._dead(records[0], exc)
                return
            half = len(records) // 2
            await self._isolate(records[:half])
            await self._isolate(records[half:])

    async def _dead(self, record: Any, exc: Exception) -> None:
        log.error(
            "a record fails on its own: sent to the DLQ",
            exc_info=exc,
            extra={
                "subscriber": self._name,
                "topic": getattr(record, "topic", None),
                "partition": getattr(record, "partition", None),
                "offset": getattr(record, "offset", None),
            },
        )
        await self._poison(record, exc)
        self._metrics.poison.labels(self._name).inc()

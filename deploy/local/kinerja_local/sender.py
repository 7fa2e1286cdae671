"""Sends simulated events to intake's ``POST /v1/events`` in batches, paced to real or
accelerated time, retrying what Kafka or the network did not take."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

from kinerja_local.year import Record


class Retryable(Exception):
    """Intake answered 503/429 or was unreachable: the same batch is safe to resend."""


@dataclass
class SendReport:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)


def batched(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


@retry(
    retry=retry_if_exception_type(Retryable),
    wait=wait_exponential(multiplier=0.5, max=10),
    stop=stop_after_delay(300),
    reraise=True,
)
def _post(client: httpx.Client, url: str, batch: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        response = client.post(url, json=batch)
    except httpx.TransportError as exc:
        raise Retryable(str(exc)) from exc
    if response.status_code in (429, 503):
        raise Retryable(f"HTTP {response.status_code}")
    if response.status_code not in (202, 422):
        raise RuntimeError(f"intake answered {response.status_code}: {response.text[:500]}")
    body: dict[str, Any] = response.json()
    return body


def send_events(
    events: Iterable[dict[str, Any]],
    intake_url: str,
    *,
    batch_size: int = 500,
    speed: float | None = None,
    on_batch: Callable[[int], None] | None = None,
    headers: dict[str, str] | None = None,
) -> SendReport:
    """Post ``events`` (in time order). ``speed``: None = as fast as intake takes them; 1 = real
    time; 3600 = an hour of the city per second."""
    report = SendReport()
    url = intake_url.rstrip("/") + "/v1/events"
    wall0: float | None = None
    sim0: datetime | None = None
    with httpx.Client(timeout=60, headers=headers) as client:
        for batch in batched(events, batch_size):
            if speed is not None:
                first = datetime.fromisoformat(batch[0]["occurred_at"])
                if sim0 is None or wall0 is None:
                    sim0, wall0 = first, time.monotonic()
                due = wall0 + (first - sim0).total_seconds() / speed
                if (delay := due - time.monotonic()) > 0:
                    time.sleep(delay)
            body = _post(client, url, batch)
            report.sent += len(batch)
            report.batches += 1
            report.accepted += int(body.get("accepted", 0))
            report.duplicates += int(body.get("duplicates", 0))
            report.rejected += int(body.get("rejected", 0))
            if body.get("rejected"):
                bad = [r for r in body.get("results", []) if r.get("status") == "rejected"]
                report.errors.extend(str(r) for r in bad[:3])
            if on_batch:
                on_batch(len(batch))
    return report


async def publish_records(
    bootstrap: str,
    records: Iterable[Record],
    prefix: str = "",
    on_batch: Callable[[int], None] | None = None,
    batch: int = 5000,
) -> int:
    """Put ``records`` straight onto the topics (for a past year, which intake's 35-day window
    refuses), acknowledged by every in-sync replica; returns how many."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=256 * 1024
    )
    await producer.start()
    sent = 0
    try:
        for chunk in batched_records(records, batch):
            futures = [
                await producer.send(
                    prefix + r.topic, json.dumps(r.value).encode(), key=r.key.encode()
                )
                for r in chunk
            ]
            await asyncio.gather(*futures)
            sent += len(chunk)
            if on_batch:
                on_batch(len(chunk))
    finally:
        await producer.stop()
    return sent


def batched_records(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk

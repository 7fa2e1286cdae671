"""The notifier's alert-to-delivery latency at a sustained alert rate, to a local webhook receiver.

    uv run python -m bench.notifier_latency [--rate 200] [--seconds 60] [--group-wait 1]

Starts its own Kafka and FerretDB, loads the simulated city's org chart (4,500 employees) onto
the reference topic, starts the notifier as a separate process with a routing file that sends
every coaching alert to a webhook (one notification per alert: the worst case for grouping),
then publishes alerts at ``--rate`` per second for ``--seconds`` and times each from its publish
to its arrival at the receiver. Target: p99 under 2 s beyond ``group_wait``; under 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import time
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from bench.common import Stack, console, local_stack, peak_rss_mb, percentile, service, write_result
from bench.receivers import Receiver, alert_record, routing_file, serving
from kinerja_local.city import City, generate_city
from kinerja_shared.kafka import ensure_topics
from kinerja_shared.topics import Topics


async def run(stack: Stack, rate: int, seconds: int, group_wait: float) -> None:
    bootstrap = stack.ports.kafka_bootstrap
    await ensure_topics(bootstrap, Topics(), None, partitions=6)
    city = generate_city(seed=3, employees=4500)
    receiver = Receiver()
    async with serving(receiver) as url:
        await _measure(stack, city, receiver, url, rate, seconds, group_wait)


async def _measure(
    stack: Stack,
    city: City,
    receiver: Receiver,
    url: str,
    rate: int,
    seconds: int,
    group_wait: float,
) -> None:
    bootstrap = stack.ports.kafka_bootstrap
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    for e in city.employees:
        record = {
            "kind": "employee",
            "nip": e.nip,
            "name": e.name,
            "unit_code": e.unit_code,
            "position": e.position,
            "supervisor_nip": e.supervisor_nip,
            "email": e.email,
        }
        await producer.send(
            "kinerja.reference.v1", json.dumps(record).encode(), key=f"employee:{e.nip}".encode()
        )
    await producer.flush()
    staff = [e for e in city.employees if e.supervisor_nip]
    rng = random.Random(5)
    env = {
        "KINERJA_NOTIFIER_ROUTING_FILE": str(
            routing_file(stack.state / "bench-routing.toml", url, group_wait=group_wait)
        ),
        "KINERJA_NOTIFIER_DISPATCH_INTERVAL_S": "0.2",
    }
    published: dict[str, float] = {}
    total = rate * seconds
    with service(stack, "notifier", env) as (_, proc):
        pid = proc.pid()
        assert pid is not None
        # The org chart is there long before alerts come, as in a running city.
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.ports.mongodb_url)
        for _ in range(1200):  # up to 10 minutes
            if await mongo["kinerja_notifier"]["people"].count_documents({}) >= len(city.employees):
                break
            await asyncio.sleep(0.5)
        await mongo.close()
        console.print(f"notifier up (pid {pid}); publishing {total} alerts at {rate}/s")
        started = time.time()
        for i in range(total):
            due = started + i / rate
            if (lag := due - time.time()) > 0:
                await producer.flush()
                await asyncio.sleep(lag)
            e = rng.choice(staff)
            alert_id = f"bench:{i}"
            published[alert_id] = time.time()
            await producer.send("kinerja.alert.v1", *alert_record(alert_id, e, f"2026-B{i}"))
        await producer.flush()
        sent_for = time.time() - started
        receiver.expect(total)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(receiver.all_arrived.wait(), timeout=120)
        finished = time.time()
        rss = peak_rss_mb(pid)
    await producer.stop()
    latencies = [receiver.arrived[k] - t for k, t in published.items() if k in receiver.arrived]
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    delivered = len(latencies)
    result = {
        "rate_per_s": rate,
        "seconds": seconds,
        "group_wait_s": group_wait,
        "alerts": total,
        "delivered": delivered,
        "publish_seconds": round(sent_for, 1),
        "delivery_rate_per_s": round(delivered / (finished - started), 1),
        "latency_p50_s": round(p50, 3),
        "latency_p99_s": round(p99, 3),
        "latency_p99_beyond_group_wait_s": round(p99 - group_wait, 3),
        "peak_rss_mib": round(rss, 1),
    }
    write_result(
        f"notifier_latency_{rate}_per_s",
        result,
        [
            ("alerts delivered", f"{delivered}/{total}", "all"),
            ("offered rate", f"{rate}/s for {seconds} s", "200/s sustained"),
            ("delivered rate", f"{result['delivery_rate_per_s']}/s", ""),
            ("latency p50", f"{p50:.2f} s", ""),
            ("latency p99", f"{p99:.2f} s", f"< {group_wait + 2:.0f} s (group_wait + 2)"),
            ("notifier peak RSS", f"{rss:.0f} MiB", "< 200 MB"),
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--group-wait", type=float, default=1.0)
    args = parser.parse_args()
    with local_stack() as stack:
        asyncio.run(run(stack, args.rate, args.seconds, args.group_wait))


if __name__ == "__main__":
    main()

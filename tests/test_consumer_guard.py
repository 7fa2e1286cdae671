"""A record whose handling fails on its own, over a real broker: it goes to the DLQ with the
error as its reason, the rest of its batch and the other topic flow on, and the group commits
past it (lag zero), so the partition never stalls."""

from __future__ import annotations

from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry

from kinerja_shared.dlq import H_DETAIL, H_REASON
from kinerja_shared.kafka import LagProbe, ensure_topics, make_broker, subscribe_batches
from kinerja_shared.topics import Topics
from tests.conftest import Namespace
from tests.infra import Infra
from tests.notifier_support import publish, wait_for
from tests.support import read_topic

pytestmark = pytest.mark.integration


async def test_a_poison_record_is_isolated_and_nothing_stalls(infra: Infra, ns: Namespace) -> None:
    topics = Topics(ns.topic_prefix)
    await ensure_topics(infra.kafka_bootstrap, topics, partitions=1)
    handled: list[bytes] = []

    async def handle(records: Any) -> None:
        if any(r.value == b"boom" for r in records):
            raise TypeError("unhashable type: 'list'")  # a bug one record triggers
        handled.extend(r.value for r in records)

    broker: KafkaBroker = make_broker(infra.kafka_bootstrap, client_id="guard-test")
    group = f"{ns.topic_prefix}guard"
    subscribe_batches(
        broker,
        handle,
        topics.attendance,
        topics.service_quality,
        registry=CollectorRegistry(),
        group_id=group,
        title="guard-test",
        dlq_topic=topics.dlq,
        service="test",
        max_records=100,
        timeout_ms=100,
    )
    good = [(b"k", f"a{i}".encode()) for i in range(20)]
    await publish(infra.kafka_bootstrap, topics.attendance, [*good[:7], (b"k", b"boom"), *good[7:]])
    await publish(infra.kafka_bootstrap, topics.service_quality, [(b"k", b"s1"), (b"k", b"s2")])
    await broker.start()
    probe = LagProbe(infra.kafka_bootstrap, group)
    await probe.start()
    try:

        async def drained() -> bool:
            lag = await probe.lag([topics.attendance, topics.service_quality])
            return bool(lag) and sum(lag.values()) == 0

        await wait_for(drained, "the group past every record")
    finally:
        await probe.stop()
        await broker.stop()
    assert sorted(set(handled)) == sorted([v for _, v in good] + [b"s1", b"s2"])
    dead = await read_topic(infra.kafka_bootstrap, topics.dlq)
    assert [d.value for d in dead] == [b"boom"]
    headers = dict(dead[0].headers)
    assert headers[H_REASON] == b"processing_failed"
    assert headers[H_DETAIL].startswith(b"TypeError: unhashable")

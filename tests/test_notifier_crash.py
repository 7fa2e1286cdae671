"""Killing a notifier (SIGKILL) in the middle of its work, beside another in the same consumer
group, sends nothing twice, except inside the documented window between a send and its log
entry: at most the notifications in flight at the kill (the delivery concurrency)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient

from bench.receivers import smtp_server
from kinerja_local.stack import free_port
from kinerja_shared.kafka import ensure_topics
from kinerja_shared.topics import Topics
from notifier.channels import IDEMPOTENCY_HEADER
from tests.conftest import Namespace
from tests.infra import Infra
from tests.notifier_support import (
    STAFF2,
    Hook,
    alert,
    employee_records,
    publish,
    wait_for,
    webhook_server,
)

pytestmark = pytest.mark.integration
NOTICES = 300
CONCURRENCY = 8


def routing(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "routing.toml"
    path.write_text(
        "\n".join(
            [
                'version = "crash-test"',
                "[[receivers]]",
                'name = "gerbang"',
                'channels = ["webhook", "email"]',
                f'webhook = {{ url = "{url}", secret_env = "KINERJA_TEST_HOOK_SECRET" }}',
                "[[routes]]",
                'receiver = "gerbang"',
                'timers = { group_by = ["type", "nip", "period"], group_wait = 0, '
                "group_interval = 0 }",
            ]
        )
        + "\n"
    )
    return path


@contextmanager
def notifier_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "notifier"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_two_notifiers_one_killed_send_nothing_twice_outside_the_window(
    infra: Infra, ns: Namespace, tmp_path: Path
) -> None:
    """Two notifiers in their consumer group; the one holding the dispatch lease is killed
    mid-batch. The other takes its partitions and, once the lease runs out, its deliveries:
    every notification reaches the webhook and the mailbox, and none twice beyond those in
    flight at the kill (counted by idempotency key and by Message-ID at the receivers)."""
    hook = Hook(delay_s=0.02)  # a receiver that takes its time, so the kill lands mid-batch
    database = ns.database("notifier")
    async with webhook_server(hook) as url, smtp_server() as (box, smtp_port):
        env = {
            **os.environ,
            "KINERJA_TEST_HOOK_SECRET": "rahasia-uji",
            "KINERJA_NOTIFIER_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
            "KINERJA_NOTIFIER_MONGODB_URL": infra.mongodb_url,
            "KINERJA_NOTIFIER_MONGODB_DATABASE": database,
            "KINERJA_NOTIFIER_TOPIC_PREFIX": ns.topic_prefix,
            "KINERJA_NOTIFIER_TOPIC_PARTITIONS": "2",
            "KINERJA_NOTIFIER_ROUTING_FILE": str(routing(tmp_path, url)),
            "KINERJA_NOTIFIER_SMTP_HOST": "127.0.0.1",
            "KINERJA_NOTIFIER_SMTP_PORT": str(smtp_port),
            "KINERJA_NOTIFIER_SMTP_TLS": "none",
            "KINERJA_NOTIFIER_DISPATCH_INTERVAL_S": "0.05",
            "KINERJA_NOTIFIER_DELIVERY_CONCURRENCY": str(CONCURRENCY),
            # The survivor takes over once the killed one's lease runs out.
            "KINERJA_NOTIFIER_DISPATCHER_LEASE_S": "8",
            "KINERJA_NOTIFIER_LOG_FORMAT": "text",
        }
        topic = f"{ns.topic_prefix}kinerja.alert.v1"
        logs = [tmp_path / "notifier-a.log", tmp_path / "notifier-b.log"]
        await ensure_topics(infra.kafka_bootstrap, Topics(ns.topic_prefix), None, partitions=2)
        with (
            notifier_process({**env, "KINERJA_NOTIFIER_HTTP_PORT": str(free_port())}, logs[0]) as a,
            notifier_process({**env, "KINERJA_NOTIFIER_HTTP_PORT": str(free_port())}, logs[1]) as b,
        ):
            await publish(
                infra.kafka_bootstrap, f"{ns.topic_prefix}kinerja.reference.v1", employee_records()
            )
            await publish(
                infra.kafka_bootstrap,
                topic,
                [alert("coaching.needed", STAFF2, f"2026-X{i:03d}") for i in range(NOTICES)],
            )

            async def some_delivered() -> bool:
                return len(hook.requests) >= NOTICES // 3

            try:
                await wait_for(some_delivered, "a third of the notifications", timeout_s=120)
            except AssertionError as exc:
                tails = "\n".join(log.read_text()[-1500:] for log in logs)
                raise AssertionError(f"{exc}; notifier logs:\n{tails}") from None
            holder = await lease_holder(infra.mongodb_url, database)
            killed, survivor = (a, b) if holder == a.pid else (b, a)
            assert holder in (a.pid, b.pid), holder
            killed.send_signal(signal.SIGKILL)
            killed.wait()
            at_kill = len(hook.requests)
            assert at_kill < NOTICES, "the kill came too late to test anything"

            async def all_delivered() -> bool:
                keys = {h[IDEMPOTENCY_HEADER.lower()] for _, h, _ in hook.requests}
                ids = {m["Message-ID"] for _, m in box.messages}
                return len(keys) >= NOTICES and len(ids) >= NOTICES

            await wait_for(all_delivered, "every notification from the survivor", timeout_s=180)
            await asyncio.sleep(1.0)  # anything still coming would be a duplicate: let it show
            assert survivor.poll() is None, "the survivor must still be running"
        keys = Counter(h[IDEMPOTENCY_HEADER.lower()] for _, h, _ in hook.requests)
        mails = Counter(m["Message-ID"] for _, m in box.messages)
        twice = [k for k, n in (keys + mails).items() if n > 1]
        assert (len(keys), len(mails)) == (NOTICES, NOTICES)
        assert len(twice) <= CONCURRENCY, f"{len(twice)} sent twice: more than was in flight"
        mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infra.mongodb_url)
        try:
            db = mongo[database]
            finals = {"result": "sent", "attempts": {"$exists": True}}  # one per notification
            assert await db["attempts"].count_documents(finals) == 2 * NOTICES
            assert await db["outbox"].count_documents({}) == 0
            assert await db["alerts"].count_documents({}) == NOTICES
        finally:
            await mongo.close()


async def lease_holder(url: str, database: str) -> int | None:
    """The pid of the notifier that holds the dispatch lease (its owner is ``<pid>-<hex>``)."""
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
    try:
        for _ in range(40):
            doc = await mongo[database]["leases"].find_one({"_id": "dispatcher"})
            if doc is not None:
                return int(str(doc["owner"]).split("-", 1)[0])
            await asyncio.sleep(0.25)
        return None
    finally:
        await mongo.close()

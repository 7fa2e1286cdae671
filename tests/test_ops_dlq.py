"""kinerja-ops over real Kafka: scoring dead-letters two records; the CLI lists them by reason,
shows one, redrives one to its original topic, and a second redrive publishes nothing."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from scoring.app import create_app
from scoring.settings import ScoringSettings
from tests.conftest import Namespace
from tests.infra import Infra
from tests.notifier_support import publish, wait_for
from tests.support import read_topic, serving

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "kinerja_ops.cli"]


def ops(*args: str, infra: Infra, ns: Namespace) -> str:
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "kinerja-ops"),
            *args,
            "--bootstrap",
            infra.kafka_bootstrap,
            "--prefix",
            ns.topic_prefix,
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "TERM": "dumb"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def event(schema_version: int) -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "type": "attendance.recorded",
            "schema_version": schema_version,
            "occurred_at": "2026-11-23T07:10:00+07:00",
            "nip": "199001152015032002",
            "source": {"kind": "device", "id": "TBL1"},
            "payload": {"direction": "in", "method": "card", "device_sn": "TBL1"},
        }
    ).encode()


async def test_list_show_and_redrive_idempotently(infra: Infra, ns: Namespace) -> None:
    settings = ns.settings(ScoringSettings, infra, batch_timeout_ms=50, publish_alerts=False)
    topics = settings.topics
    async with serving(create_app(settings)):
        await publish(
            infra.kafka_bootstrap,
            topics.attendance,
            [(b"199001152015032002", b"{not json"), (b"199001152015032002", event(2))],
        )

        async def dead_lettered() -> bool:
            return len(await read_topic(infra.kafka_bootstrap, topics.dlq, idle_s=0.5)) == 2

        await wait_for(dead_lettered, "two records in the DLQ")
    listing = await asyncio.to_thread(ops, "dlq", "list", "--details", infra=infra, ns=ns)
    assert "DLQ: 2 message(s)" in listing
    assert "undecodable" in listing
    assert "unsupported_schema_version" in listing
    dead = await read_topic(infra.kafka_bootstrap, topics.dlq)
    v2 = next(
        d for d in dead if dict(d.headers)["kinerja-dlq-reason"] == b"unsupported_schema_version"
    )
    shown = await asyncio.to_thread(
        ops, "dlq", "show", f"{v2.partition}:{v2.offset}", infra=infra, ns=ns
    )
    assert '"schema_version": 2' in shown
    before = len(await read_topic(infra.kafka_bootstrap, topics.attendance))
    args = ("dlq", "redrive", "--reason", "unsupported_schema_version", "--yes")
    first = await asyncio.to_thread(ops, *args, infra=infra, ns=ns)
    second = await asyncio.to_thread(ops, *args, infra=infra, ns=ns)
    assert " 1 " in first.splitlines()[-2]  # one redriven
    after = await read_topic(infra.kafka_bootstrap, topics.attendance)
    assert len(after) == before + 1  # the second run published nothing
    assert (
        dict(after[-1].headers)["kinerja-redriven-from"]
        == f"dlq:{v2.partition}:{v2.offset}".encode()
    )
    assert after[-1].value == v2.value
    assert "redriven" in second

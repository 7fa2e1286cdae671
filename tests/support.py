"""Helpers for integration tests: run a service app in-process on a real socket, read topics."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI

from kinerja_local.stack import free_port


@asynccontextmanager
async def serving(app: FastAPI, port: int | None = None) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port (lifespan included); yields its URL."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_config=None, lifespan="on", access_log=False
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the app stopped during startup (see the log above)")
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def read_topic(
    bootstrap: str, topic: str, *, idle_s: float = 2.0, max_s: float = 30.0
) -> list[Any]:
    """Every record of ``topic`` from the start, until none arrives for ``idle_s``."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    records: list[Any] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_s
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=int(idle_s * 1000))
            if not batch:
                break
            for recs in batch.values():
                records.extend(recs)
    finally:
        await consumer.stop()
    return records


def values(records: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in records]


def admin_headers(secret: str | None = None) -> dict[str, str]:
    """A development admin token, signed with the services' default development secret."""
    from kinerja_shared.auth import mint_dev_token
    from kinerja_shared.settings import DEV_JWT_SECRET

    token = mint_dev_token(secret or DEV_JWT_SECRET, "199001012015011001", ["admin"])
    return {"Authorization": f"Bearer {token}"}


async def issue_key(
    client: Any,
    kind: str = "system",
    owner: str = "test-gateway",
    event_types: list[str] | None = None,
    units: list[str] | None = None,
    rate_per_minute: int = 1_000_000,
    base_url: str = "",
) -> str:
    """Issue an API key through the admin API; returns the plaintext key. Its rate counts
    events, and tests send months of them at once: a million a minute unless a test asks."""
    body: dict[str, Any] = {
        "kind": kind,
        "owner": owner,
        "event_types": event_types
        or ["attendance.recorded", "attendance.excused", "service.rated", "target.progressed"],
        "units": units or ["*"],
        "rate_per_minute": rate_per_minute,
    }
    r = await client.post(f"{base_url}/v1/admin/keys", json=body, headers=admin_headers())
    assert r.status_code == 201, r.text
    key: str = r.json()["api_key"]
    return key

"""Hostile bodies: every route of every service that takes a body answers a 50 MB one with 413
before reading it, whoever sends it (no credentials: the limit comes before authentication)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from importlib import import_module
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI

HOSTILE = 50 << 20
CHUNK = 64 << 10
#: Scoring's API only reads: it has no route that takes a body (checked below).
SERVICES = ["intake", "feedback", "notifier"]


def app_of(service: str) -> FastAPI:
    create: Callable[[], FastAPI] = import_module(f"{service}.app").create_app
    return create()


def body_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, route) that takes a body, from the service's OpenAPI, path parameters
    filled in."""
    out = []
    for path, methods in app.openapi()["paths"].items():
        for method in {"post", "put", "patch"} & set(methods):
            out.append((method.upper(), re.sub(r"\{[^}]+\}", "x", path)))
    return sorted(out)


class Stream:
    """A body sent in chunks, counting how much of it the service pulled."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.total:
            self.pulled += CHUNK
            yield b"[" * CHUNK


@pytest.mark.parametrize("service", SERVICES)
async def test_a_declared_50_mb_body_gets_413_unread(service: str) -> None:
    app = app_of(service)
    routes = body_routes(app)
    assert routes, f"{service} has routes that take a body"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        for method, path in routes:
            stream = Stream(HOSTILE)
            r = await client.request(
                method,
                path,
                content=stream,
                headers={"content-length": str(HOSTILE), "content-type": "application/json"},
            )
            assert r.status_code == 413, (service, path, r.status_code, r.text[:200])
            assert "terlalu besar" in r.json()["detail"]
            assert stream.pulled <= CHUNK, (service, path, stream.pulled)


@pytest.mark.parametrize("service", SERVICES)
async def test_a_streamed_body_is_cut_off_at_the_limit(service: str) -> None:
    app = app_of(service)
    limit = app_limit(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        for method, path in body_routes(app):
            stream = Stream(HOSTILE)  # no length declared: counted as it arrives
            r = await client.request(method, path, content=stream)
            # Refused: 413 once read past the limit, or the route's own refusal (no token, no
            # store) before it read that far; never more than the limit read.
            assert r.status_code in (401, 403, 413, 503), (service, path, r.status_code, r.text)
            assert stream.pulled <= limit(path) + 2 * CHUNK, (service, path, stream.pulled)


def app_limit(app: FastAPI) -> Callable[[str], int]:
    from kinerja_shared.bodylimit import BodyLimit

    middleware: Any = next(m for m in app.user_middleware if m.cls is cast(Any, BodyLimit))
    limiter = BodyLimit(app, **middleware.kwargs)
    return limiter.limit_of


def test_scoring_takes_no_body() -> None:
    assert body_routes(app_of("scoring")) == []


async def test_a_body_within_the_limit_reaches_the_route() -> None:
    """The limit only refuses what is too large: a small bad body still gets the route's own
    answer (401 without a token), not 413."""
    transport = httpx.ASGITransport(app=app_of("intake"))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        r = await client.post("/v1/events", json=[])
    assert r.status_code == 401

"""Every route of every service, read from its OpenAPI (a new route cannot escape this), called
with each kind of bad credential: none, expired, the wrong audience, the wrong issuer, and a token
signed with the development secret against a service that has its own. Every route that is not
on the public list beside this test answers 401, before it reads a body or touches a store.

This is the authentication half of the authorization matrix; who may do what once signed in is
tested per use case (the scoring, feedback and notifier domain tables)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kinerja_shared.auth import mint_dev_token
from kinerja_shared.settings import DEV_JWT_SECRET

SECRET = "a-city-secret-of-its-own-that-is-long-enough-0123456789"
ISSUER, AUDIENCE = "https://sso.example.go.id/realms/asn", "kinerja"
NIP = "198609262015051001"

#: The routes anyone may call, and why (the documented policy of the unauthenticated surface).
PUBLIC = {
    ("GET", "/healthz"),  # liveness probe
    ("GET", "/readyz"),  # readiness probe
    ("GET", "/metrics"),  # Prometheus, pod to pod (404 through a proxy)
    ("GET", "/v1/console/config"),  # where the console finds the notifier, no data
    ("GET", "/iclock/cdata"),  # attendance machines: admitted by serial and address
    ("POST", "/iclock/cdata"),
    ("GET", "/iclock/getrequest"),
    ("POST", "/iclock/devicecmd"),
    # The live stream checks its own credential (a bearer token or a stream ticket): it is in
    # the matrix below all the same, as a route that must refuse every bad credential.
}


def bad_credentials() -> dict[str, dict[str, str]]:
    now = datetime.now(UTC)

    def bearer(secret: str, **kw: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_dev_token(secret, NIP, ['admin'], **kw)}"}

    return {
        "none": {},
        "expired": bearer(SECRET, issuer=ISSUER, audience=AUDIENCE, now=now - timedelta(hours=9)),
        "wrong audience": bearer(SECRET, issuer=ISSUER, audience="another-app"),
        "wrong issuer": bearer(SECRET, issuer="https://evil.example", audience=AUDIENCE),
        "development secret": bearer(DEV_JWT_SECRET, issuer=ISSUER, audience=AUDIENCE),
        "not a token": {"Authorization": "Bearer not.a.token"},
    }


def production_app(service: str, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    prefix = f"KINERJA_{service.upper()}_"
    monkeypatch.setenv(f"{prefix}DEV_MODE", "false")
    monkeypatch.setenv(f"{prefix}JWT_SECRET", SECRET)
    monkeypatch.setenv(f"{prefix}JWT_ISSUER", ISSUER)
    monkeypatch.setenv(f"{prefix}JWT_AUDIENCE", AUDIENCE)
    create: Callable[[], FastAPI] = import_module(f"{service}.app").create_app
    return create()


def routes(app: FastAPI) -> list[tuple[str, str]]:
    out = []
    for path, methods in app.openapi()["paths"].items():
        for method in methods:
            out.append((method.upper(), path))
    return sorted(out)


@pytest.mark.parametrize("service", ["intake", "scoring", "feedback", "notifier"])
async def test_every_private_route_refuses_every_bad_credential(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = production_app(service, monkeypatch)
    private = [r for r in routes(app) if r not in PUBLIC]
    assert private, f"{service} has private routes"
    checked = 0
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        for method, path in private:
            url = re.sub(r"\{[^}]+\}", "x", path)
            for kind, headers in bad_credentials().items():
                body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
                r = await client.request(method, url, headers=headers, json=body)
                assert r.status_code == 401, (service, method, path, kind, r.status_code, r.text)
                checked += 1
    assert checked == len(private) * len(bad_credentials())


def test_the_public_list_names_only_routes_that_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    every = {
        r
        for service in ("intake", "scoring", "feedback", "notifier")
        for r in routes(production_app(service, monkeypatch))
    }
    assert every >= PUBLIC

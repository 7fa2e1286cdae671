"""The HTTP surface every service shares: /healthz, /readyz and /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
    start_http_server,
)
from pydantic import BaseModel, Field

ReadinessCheck = Callable[[], Awaitable[bool]]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, Literal["ok", "unavailable"]] = Field(
        description="Every dependency, needed by the API or not"
    )


def health_router(
    checks: Mapping[str, ReadinessCheck], timeout_s: float, needs: Collection[str] | None = None
) -> APIRouter:
    """``/healthz`` answers while the process runs; ``/readyz`` while every dependency in
    ``needs`` answers (default: all). Every check is reported, needed or not."""
    needed = set(checks if needs is None else needs)
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process is running")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: the dependencies the API needs answer",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "A needed dependency is away"}},
    )
    async def readyz() -> JSONResponse:
        async def run(check: ReadinessCheck) -> bool:
            try:
                return await asyncio.wait_for(check(), timeout_s)
            except Exception:  # noqa: BLE001 - a failing check is "not ready", never a 500
                return False

        names = list(checks)
        results = await asyncio.gather(*(run(checks[n]) for n in names))
        status = dict(zip(names, ("ok" if r else "unavailable" for r in results), strict=True))
        ready = all(r for n, r in zip(names, results, strict=True) if n in needed)
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": status},
            status_code=200 if ready else 503,
        )

    return router


def mount_operations(
    app: FastAPI,
    registry: CollectorRegistry,
    checks: Mapping[str, ReadinessCheck],
    timeout_s: float,
    needs: Collection[str] | None = None,
    *,
    with_metrics: bool = True,
) -> None:
    """``with_metrics``: serve /metrics here too (false when it has a port of its own)."""
    app.include_router(health_router(checks, timeout_s, needs))
    if not with_metrics:
        return

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics (not through a proxy)",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
    )
    async def metrics(request: Request) -> Response:
        # Prometheus scrapes each pod directly; a request that came through the ingress (or
        # any proxy, which adds these headers) is the outside world, which the metrics' unit
        # codes, device serials and volumes are not for.
        if any(h in request.headers for h in PROXY_HEADERS):
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


#: Headers a reverse proxy (ingress-nginx, Traefik, a load balancer) adds to what it forwards.
PROXY_HEADERS = ("x-forwarded-for", "x-real-ip", "forwarded")


def document_errors(app: FastAPI) -> None:
    """Say in the OpenAPI what a 422 really holds: FastAPI's list of invalid fields, or a
    sentence from a use case ("cannot close days that have not happened"). Clients and the
    schema fuzzer then check the answers against the truth, not against half of it."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            error = schema.get("components", {}).get("schemas", {}).get("HTTPValidationError")
            if error is not None:
                error["properties"]["detail"] = {
                    "title": "Detail",
                    "description": "The invalid fields, or why the request was refused",
                    "anyOf": [
                        {"type": "string"},
                        {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/ValidationError"},
                        },
                    ],
                }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def metrics_apart(host: str, port: int, registry: CollectorRegistry) -> tuple[Hook, Hook]:
    """Start and stop hooks that serve /metrics on a port of its own (prometheus-client's
    server, in a thread): the ingress routes only the API port, so the metrics' unit codes,
    device serials and volumes never leave the cluster, whatever a proxy does with headers."""
    servers: list[Any] = []

    async def start(_: Any) -> None:
        server, _thread = start_http_server(port, addr=host, registry=registry)
        servers.append(server)

    async def stop(_: Any) -> None:
        for server in servers:
            server.shutdown()
            server.server_close()
        servers.clear()

    return start, stop


Hook = Callable[[Any], Awaitable[None]]

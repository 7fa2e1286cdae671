"""The skeleton every service's composition root fills in: one FastAPI app that owns a FastStream
Kafka broker and (optionally) a MongoDB client, with /healthz, /readyz and /metrics.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError
from tenacity import AsyncRetrying, before_sleep_log, stop_after_delay, wait_exponential

from kinerja_shared.auth import InsecureSettings
from kinerja_shared.bodylimit import BodyLimit
from kinerja_shared.guard import transient
from kinerja_shared.http import (
    ReadinessCheck,
    document_errors,
    metrics_apart,
    mount_operations,
)
from kinerja_shared.kafka import ensure_topics, make_broker
from kinerja_shared.kafka_access import KafkaAccess
from kinerja_shared.logs import redact
from kinerja_shared.metrics import new_registry
from kinerja_shared.mongo import make_client, ping
from kinerja_shared.settings import ServiceSettings

#: What a client is told while the store is away (Indonesian first: people read it).
STORE_UNAVAILABLE = (
    "Penyimpanan data sedang tidak tersedia; kirim ulang permintaan yang sama sebentar lagi. "
    "(The store is unavailable; send the same request again shortly.)"
)
STORE_RETRY_AFTER_S = 5

log = logging.getLogger(__name__)

Hook = Callable[["Runtime"], Awaitable[None]]


@dataclass
class Runtime:
    """What a running service holds: its settings, metrics registry, broker and store client."""

    settings: ServiceSettings
    registry: CollectorRegistry
    broker: KafkaBroker
    mongo: AsyncMongoClient[dict[str, Any]] | None = None
    on_start: list[Hook] = field(default_factory=list)  # before the broker starts consuming
    on_started: list[Hook] = field(default_factory=list)  # once it does
    on_stop: list[Hook] = field(default_factory=list)

    @property
    def db(self) -> Any:
        if self.mongo is None:
            raise RuntimeError(f"{self.settings.service_name} has no MongoDB client")
        return self.mongo[self.settings.mongodb_database]


def new_runtime(settings: ServiceSettings, *, with_mongo: bool) -> Runtime:
    registry = new_registry(settings.service_name)
    broker = make_broker(
        kafka_access(settings), client_id=f"kinerja-{settings.service_name}", registry=registry
    )
    mongo = (
        make_client(
            settings.mongodb_url,
            app_name=f"kinerja-{settings.service_name}",
            **settings.mongodb_options,
        )
        if with_mongo
        else None
    )
    return Runtime(settings, registry, broker, mongo)


def kafka_access(settings: ServiceSettings) -> KafkaAccess:
    """The service's Kafka access; refuses one that cannot sign in, warns of one without TLS."""
    access = settings.kafka
    if problems := access.problems():
        raise InsecureSettings("refusing to start: " + "; ".join(problems))
    if access.protocol == "PLAINTEXT" and not settings.dev_mode:
        log.warning(
            "Kafka without TLS or sign-in: anything that reaches the broker can read and forge "
            "events; set KAFKA_SECURITY_PROTOCOL=SASL_SSL with this service's SCRAM user"
        )
    return access


async def retry_until_up(
    what: str, settings: ServiceSettings, action: Callable[[], Awaitable[Any]]
) -> None:
    """Retry ``action`` with backoff until it works or the startup timeout passes."""
    async for attempt in AsyncRetrying(
        stop=stop_after_delay(settings.startup_timeout_s),
        wait=wait_exponential(multiplier=0.5, max=5),
        before_sleep=before_sleep_log(log, logging.WARNING),
        reraise=True,
    ):
        with attempt:
            try:
                await action()
            except Exception as exc:
                raise RuntimeError(
                    f"{what} is not reachable ({type(exc).__name__}: {redact(str(exc))}); "
                    "is it running? "
                    "Locally: `make up`; otherwise check the service's settings"
                ) from exc


def create_service_app(
    runtime: Runtime,
    *,
    title: str,
    description: str,
    topics_to_ensure: Sequence[str] | None = None,
    ready_needs: Sequence[str] = ("kafka", "mongodb"),
    body_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """``ready_needs``: what the service's API cannot answer without (readiness); a service
    whose API only reads its store stays ready while Kafka is away. ``body_limits``: routes
    (path prefixes) whose bodies may differ from ``max_body_bytes``."""
    settings = runtime.settings
    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=_lifespan(runtime, topics_to_ensure),
    )
    app.state.runtime = runtime
    mount_operations(
        app,
        runtime.registry,
        _readiness_checks(runtime),
        settings.readiness_timeout_s,
        ready_needs,
        with_metrics=settings.metrics_port is None,
    )
    if settings.metrics_port is not None:
        start, stop = metrics_apart(settings.http_host, settings.metrics_port, runtime.registry)
        runtime.on_start.insert(0, start)
        runtime.on_stop.append(stop)
    app.add_exception_handler(PyMongoError, _store_failed)
    document_errors(app)
    app.add_middleware(BodyLimit, default=settings.max_body_bytes, routes=body_limits)
    return app


def _lifespan(
    runtime: Runtime, topics_to_ensure: Sequence[str] | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start: topics, the store, the service's hooks, the broker; stop in reverse."""
    settings = runtime.settings

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.create_topics:
            await retry_until_up(
                f"Kafka at {settings.kafka_bootstrap}",
                settings,
                lambda: ensure_topics(
                    settings.kafka,
                    settings.topics,
                    topics_to_ensure,
                    partitions=settings.topic_partitions,
                    replication=settings.topic_replication,
                ),
            )
        if runtime.mongo is not None:
            mongo = runtime.mongo

            async def mongo_ping() -> None:
                await mongo.admin.command("ping")

            await retry_until_up(f"MongoDB at {redact(settings.mongodb_url)}", settings, mongo_ping)
        for hook in runtime.on_start:
            await hook(runtime)
        await retry_until_up(f"Kafka at {settings.kafka_bootstrap}", settings, runtime.broker.start)
        for hook in runtime.on_started:
            await hook(runtime)
        # Everything built so far (modules, schemas, the app) lives as long as the process: keep
        # it out of the collector's full passes, which otherwise show up as tail latency.
        gc.freeze()
        log.info("started", extra={"port": settings.http_port})
        try:
            yield
        finally:
            await runtime.broker.stop()
            for hook in runtime.on_stop:
                await hook(runtime)
            if runtime.mongo is not None:
                await runtime.mongo.close()
            log.info("stopped")

    return lifespan


def _readiness_checks(runtime: Runtime) -> dict[str, ReadinessCheck]:
    async def kafka_ready() -> bool:
        return bool(await runtime.broker.ping(runtime.settings.readiness_timeout_s))

    checks: dict[str, ReadinessCheck] = {"kafka": kafka_ready}
    if runtime.mongo is not None:

        async def mongo_ready() -> bool:
            return runtime.mongo is not None and await ping(runtime.mongo)

        checks["mongodb"] = mongo_ready
    return checks


async def _store_failed(request: Request, exc: Exception) -> JSONResponse:
    """The store unreachable (or SQLite busy): 503 with Retry-After, nothing half-done, since
    every write is idempotent and the client sends the same request again. Any other store
    error is a bug: 500, logged."""
    if transient(exc):
        log.warning("store unavailable", extra={"path": request.url.path, "error": repr(exc)})
        return JSONResponse(
            {"detail": STORE_UNAVAILABLE},
            status_code=503,
            headers={"Retry-After": str(STORE_RETRY_AFTER_S)},
        )
    log.error("store error", exc_info=exc, extra={"path": request.url.path})
    return JSONResponse({"detail": "Kesalahan internal (internal error)"}, status_code=500)


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run ``app`` under uvicorn with our logging (uvicorn's own config would replace it)."""
    import uvicorn

    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )


def export_consumer_lag(runtime: Runtime, group_id: str, topics: Sequence[str]) -> None:
    """Export ``kinerja_consumer_lag_messages`` per topic and partition for ``group_id``: the
    broker's end offset minus the group's committed position, refreshed every
    ``lag_metrics_interval_s``.
    Ops alert on it growing; a probe failure is logged and the last values stay."""
    from prometheus_client import Gauge

    from kinerja_shared.kafka import LagProbe
    from kinerja_shared.periodic import Periodic

    gauge = Gauge(
        "kinerja_consumer_lag_messages",
        "Messages in Kafka not yet committed by the consumer group, per partition",
        ["group", "topic", "partition"],
        registry=runtime.registry,
    )
    probe = LagProbe(runtime.settings.kafka, group_id)

    async def refresh() -> None:
        for (topic, partition), lag in (await probe.lag(topics)).items():
            gauge.labels(group_id, topic, str(partition)).set(lag)

    # A failing probe is logged and the last values stay; it never stops the service.
    loop = Periodic("consumer-lag", refresh, runtime.settings.lag_metrics_interval_s)

    async def start(_: Runtime) -> None:
        await probe.start()
        loop.start()

    async def stop(_: Runtime) -> None:
        await loop.stop()
        await probe.stop()

    runtime.on_started.append(start)
    runtime.on_stop.insert(0, stop)

"""Notifier's composition root: settings → routing file, store, channels → consumer, dispatcher,
live stream, HTTP routes."""

from __future__ import annotations

import os

import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from kinerja_shared.auth import JwtVerifier
from kinerja_shared.clock import Clock, SystemClock
from kinerja_shared.service import Runtime, create_service_app, export_consumer_lag, new_runtime
from notifier import api
from notifier.channels import EmailSender, WebhookSender
from notifier.consumer import NoticeConsumer
from notifier.delivery import Senders
from notifier.dispatcher import Dispatcher
from notifier.domain.routing import RoutingConfig
from notifier.live import LiveFigures
from notifier.metrics import NotifierMetrics
from notifier.routing_file import RoutingFileError, load_routing
from notifier.settings import NotifierSettings
from notifier.store import NotifierStore
from notifier.stream import StreamHub


def create_app(settings: NotifierSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or NotifierSettings()
    clock = clock or SystemClock()
    config = load_routing(settings.routing_file)  # a bad file stops the start, saying why
    secrets = _webhook_secrets(config)
    runtime = new_runtime(settings, with_mongo=True)
    metrics = NotifierMetrics(runtime.registry)
    store = NotifierStore(runtime.db)
    http = httpx.AsyncClient(follow_redirects=False)
    email = _email(settings)
    dispatcher = Dispatcher(
        store,
        config,
        clock,
        Senders(WebhookSender(http, clock), email, secrets),
        runtime.broker,
        settings.topics.dlq,
        metrics,
        concurrency=settings.delivery_concurrency,
        lease_s=settings.dispatcher_lease_s,
    )
    NoticeConsumer(
        runtime.broker,
        store,
        config,
        settings,
        clock,
        metrics,
        email_enabled=email is not None,
        holidays=lambda: dispatcher.holidays,
    ).register()
    hub = StreamHub(store, settings.stream_poll_s)
    LiveFigures(hub, store.people_view, runtime.registry).register(
        runtime.broker, settings.topics.evaluation
    )

    async def start(_: Runtime) -> None:
        await store.prepare()
        await dispatcher.load_holidays()

    async def started(_: Runtime) -> None:
        await hub.start()
        dispatcher.start(settings.dispatch_interval_s)

    async def stop(_: Runtime) -> None:
        await dispatcher.stop()
        await hub.stop()
        await http.aclose()

    consumed = [settings.topics.alert, settings.topics.feedback, settings.topics.reference]
    export_consumer_lag(runtime, settings.consumer_group, consumed)
    runtime.on_start.append(start)
    runtime.on_started.append(started)
    runtime.on_stop.insert(0, stop)
    app = _http(runtime, settings)
    app.state.dispatcher, app.state.routing = dispatcher, config
    app.state.store, app.state.hub, app.state.clock = store, hub, clock
    return app


def _webhook_secrets(config: RoutingConfig) -> dict[str, str]:
    """Each signed receiver's secret, from the environment variable the routing file names."""
    secrets: dict[str, str] = {}
    for receiver in config.receivers:
        if receiver.webhook and receiver.webhook.secret_env:
            secret = os.environ.get(receiver.webhook.secret_env)
            if not secret:
                raise RoutingFileError(
                    f"receiver {receiver.name!r}: set the signing secret in "
                    f"${receiver.webhook.secret_env}"
                )
            secrets[receiver.name] = secret
    return secrets


def _email(settings: NotifierSettings) -> EmailSender | None:
    if not settings.smtp_host:
        return None
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return EmailSender(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        tls=settings.smtp_tls,
        username=settings.smtp_username,
        password=password,
        timeout_s=settings.smtp_timeout_s,
        console_url=settings.console_url,
    )


def _http(runtime: Runtime, settings: NotifierSettings) -> FastAPI:
    app = create_service_app(
        runtime,
        title="Kinerja notifier",
        description="Coaching alerts and feedback notices to supervisors and employees.",
        # Its API reads only the store: alerts stay readable while Kafka is away.
        ready_needs=("mongodb",),
    )
    app.include_router(api.router)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
    )
    app.state.verifier = JwtVerifier.from_settings(settings)
    app.state.stream_ping_s = settings.stream_ping_s
    return app

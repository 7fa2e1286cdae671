"""Every service answers /healthz, /readyz and /metrics on a real socket, ready only when its
Kafka (and MongoDB) answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from feedback.app import create_app as feedback_app
from feedback.settings import FeedbackSettings
from intake.app import create_app as intake_app
from intake.settings import IntakeSettings
from kinerja_local.stack import free_port
from kinerja_shared.settings import DEV_JWT_SECRET as DEV_SECRET
from notifier.app import create_app as notifier_app
from notifier.settings import NotifierSettings
from scoring.app import create_app as scoring_app
from scoring.settings import ScoringSettings
from tests.conftest import Namespace
from tests.infra import Infra
from tests.support import serving

pytestmark = pytest.mark.integration

SERVICES: list[tuple[str, Callable[..., Any], type[Any], bool]] = [
    ("intake", intake_app, IntakeSettings, True),
    ("scoring", scoring_app, ScoringSettings, True),
    ("feedback", feedback_app, FeedbackSettings, True),
    ("notifier", notifier_app, NotifierSettings, True),
]


@pytest.mark.parametrize(
    ("name", "factory", "settings_cls", "uses_mongo"), SERVICES, ids=[s[0] for s in SERVICES]
)
async def test_health_readiness_and_metrics(
    infra: Infra,
    ns: Namespace,
    name: str,
    factory: Callable[..., Any],
    settings_cls: type[Any],
    uses_mongo: bool,
) -> None:
    settings = settings_cls(
        kafka_bootstrap=infra.kafka_bootstrap,
        mongodb_url=infra.mongodb_url,
        mongodb_database=ns.database(name),
        topic_prefix=ns.topic_prefix,
        topic_partitions=1,
        log_format="text",
    )
    async with serving(factory(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        checks = ready.json()["checks"]
        assert checks["kafka"] == "ok"
        assert ("mongodb" in checks) is uses_mongo
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert f'kinerja_build_info{{service="{name}",version="0.1.0"}} 1.0' in metrics.text
        # Through the ingress (which adds X-Forwarded-For), the metrics are not there.
        proxied = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status_code == 404
        assert (await client.get("/openapi.json")).json()["info"]["title"] == f"Kinerja {name}"


async def test_not_ready_when_mongodb_is_unreachable(infra: Infra, ns: Namespace) -> None:
    from kinerja_local.stack import free_port

    settings = FeedbackSettings(
        kafka_bootstrap=infra.kafka_bootstrap,
        topic_prefix=ns.topic_prefix,
        topic_partitions=1,
        mongodb_url=infra.mongodb_url,
        log_format="text",
        readiness_timeout_s=1,
    )
    app = feedback_app(settings)
    async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        # Point the running app's client at a closed port: what a MongoDB outage looks like.
        from kinerja_shared.mongo import make_client

        runtime = app.state.runtime
        original = runtime.mongo
        runtime.mongo = make_client(
            f"mongodb://127.0.0.1:{free_port()}/", app_name="t", timeout_ms=500
        )
        try:
            r = await client.get("/readyz")
        finally:
            await runtime.mongo.close()
            runtime.mongo = original
    assert r.status_code == 503
    assert r.json()["checks"] == {"kafka": "ok", "mongodb": "unavailable"}


async def test_production_sign_in_has_no_development_door(infra: Infra, ns: Namespace) -> None:
    settings = ns.settings(
        FeedbackSettings,
        infra,
        dev_mode=False,
        jwt_jwks_url="https://sso.example.go.id/realms/asn/protocol/openid-connect/certs",
        jwt_issuer="https://sso.example.go.id/realms/asn",
        jwt_audience="kinerja",
    )
    transport = httpx.ASGITransport(app=feedback_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
        assert (await client.get("/v1/console/config")).json()["dev_sign_in"] is False
        r = await client.post(
            "/v1/console/dev-sign-in", json={"nip": "198609262015051001", "role": "admin"}
        )
        assert r.status_code == 404
    with pytest.raises(ValueError, match="development JWT secret needs"):
        feedback_app(ns.settings(FeedbackSettings, infra, dev_mode=False, jwt_secret=DEV_SECRET))


async def test_metrics_on_a_port_of_their_own(infra: Infra, ns: Namespace) -> None:
    """With a metrics port, the API port has no /metrics at all (what the ingress routes), and
    the metrics port serves them; it closes with the service."""
    port = free_port()
    settings = ns.settings(FeedbackSettings, infra, metrics_port=port)
    async with serving(feedback_app(settings)) as url, httpx.AsyncClient() as client:
        assert (await client.get(f"{url}/metrics")).status_code == 404
        assert "/metrics" not in (await client.get(f"{url}/openapi.json")).json()["paths"]
        apart = await client.get(f"http://127.0.0.1:{port}/metrics")
        assert apart.status_code == 200
        assert "kinerja_build_info{" in apart.text  # the service's own registry
        assert 'service="feedback"' in apart.text
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{port}/metrics")

"""Sign-in settings fail closed: a service refuses to start with a configuration under which
anyone could sign in, and says what to set."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_settings import SettingsConfigDict

from kinerja_shared.auth import InsecureSettings, JwtVerifier
from kinerja_shared.settings import DEV_JWT_SECRET, ServiceSettings

JWKS = "https://sso.example.go.id/realms/asn/protocol/openid-connect/certs"


class Settings(ServiceSettings):
    """Built from arguments only (no environment), as a fresh deployment would start."""

    model_config = SettingsConfigDict(env_prefix="KINERJA_TEST_AUTH_", extra="ignore", frozen=True)


@pytest.mark.parametrize(
    ("values", "why"),
    [
        ({}, "no way to check sign-ins"),
        ({"jwt_secret": DEV_JWT_SECRET}, "needs KINERJA_TEST_AUTH_DEV_MODE"),
        ({"dev_mode": True, "http_host": "0.0.0.0"}, "loopback only"),
        ({"jwt_jwks_url": JWKS}, "JWT_ISSUER and _AUDIENCE"),
        ({"jwt_jwks_url": JWKS, "jwt_issuer": "https://sso.example.go.id/realms/asn"}, "_AUDIENCE"),
        ({"jwt_secret": "short"}, "shorter than 32"),
    ],
)
def test_an_unsafe_configuration_refuses_to_start(values: dict[str, Any], why: str) -> None:
    with pytest.raises(InsecureSettings, match=why):
        JwtVerifier.from_settings(Settings(**values))


@pytest.mark.parametrize(
    "values",
    [
        {"dev_mode": True},  # the local stack
        {"dev_mode": True, "http_host": "localhost"},
        {
            "jwt_jwks_url": JWKS,
            "jwt_issuer": "https://sso.example.go.id/realms/asn",
            "jwt_audience": "kinerja",
            "http_host": "0.0.0.0",
        },
        {"jwt_secret": "a-private-secret-of-at-least-32-characters", "http_host": "0.0.0.0"},
    ],
)
def test_safe_configurations_start(values: dict[str, Any]) -> None:
    settings = Settings(**values)
    assert settings.auth_problems() == []
    JwtVerifier.from_settings(settings)
    assert settings.hs256_secret == (
        DEV_JWT_SECRET if settings.dev_mode else values.get("jwt_secret")
    )

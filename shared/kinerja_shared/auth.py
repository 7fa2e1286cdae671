"""Who is calling: bearer JWTs for people (claims ``sub`` = NIP, ``roles``), for every service.

Development tokens are HS256 with a shared secret (``kinerja-local token`` mints them); production
verifies the city identity provider's signatures with keys fetched from its JWKS URL. Which one is
configuration (``*_JWT_SECRET`` or ``*_JWT_JWKS_URL``), not code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kinerja_shared.identity import Principal, Role
from kinerja_shared.settings import ServiceSettings

__all__ = ["JwtVerifier", "Principal", "Role", "TokenError", "mint_dev_token", "require_roles"]

log = logging.getLogger(__name__)


class TokenError(Exception):
    """The token is missing, malformed, expired or not signed by a trusted key."""


class InsecureSettings(ValueError):
    """A configuration under which anyone could sign in."""


class JwtVerifier:
    def __init__(
        self,
        *,
        secret: str | None = None,
        jwks_url: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        leeway_s: int = 30,
    ) -> None:
        if not secret and not jwks_url:
            raise ValueError("configure a JWT secret (development) or a JWKS URL (production)")
        self._secret = secret
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600) if jwks_url else None
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_s

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> JwtVerifier:
        """The verifier a service checks sign-ins with; refuses to exist (so the service refuses
        to start) with a configuration that would let anyone in."""
        if problems := settings.auth_problems():
            raise InsecureSettings("refusing to start: " + "; ".join(problems))
        if settings.dev_mode:
            log.warning("development mode: sign-ins checked with the development secret")
        return cls(
            secret=settings.hs256_secret,
            jwks_url=settings.jwt_jwks_url,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )

    def verify(self, token: str) -> Principal:
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = ["RS256", "ES256", "PS256"]
            else:
                key, algorithms = self._secret, ["HS256"]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={"require": ["sub", "exp"], "verify_aud": self._audience is not None},
            )
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from exc
        roles = claims.get("roles", [])
        if isinstance(roles, str):
            roles = roles.split()
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise TokenError("claim 'roles' must be a list of strings")
        return Principal(str(claims["sub"]), frozenset(roles), claims)


def mint_dev_token(
    secret: str,
    sub: str,
    roles: list[str],
    ttl: timedelta = timedelta(hours=8),
    *,
    issuer: str | None = None,
    audience: str | None = None,
    now: datetime | None = None,
) -> str:
    """A development token; production tokens come from the city's identity provider."""
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {"sub": sub, "roles": roles, "iat": issued, "exp": issued + ttl}
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")


_bearer = HTTPBearer(auto_error=False, description="A JWT with claims sub (NIP) and roles")


def require_roles(verifier: JwtVerifier, *roles: str) -> Callable[..., Principal]:
    """A FastAPI dependency: 401 without a valid token, 403 without one of ``roles``."""

    def dependency(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None:
            raise HTTPException(
                401,
                "sign in: send Authorization: Bearer <token>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            principal = verifier.verify(credentials.credentials)
        except TokenError as exc:
            raise HTTPException(
                401, f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}
            ) from None
        if roles and not principal.has(*roles):
            log.warning("forbidden", extra={"sub": principal.sub, "needs": list(roles)})
            raise HTTPException(403, f"needs role {' or '.join(roles)}")
        return principal

    return dependency


def signed_in(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """A FastAPI dependency for handlers defined at module level: the verifier is the app's
    (``app.state.verifier``, set by the composition root)."""
    verifier: JwtVerifier = request.app.state.verifier
    return require_roles(verifier)(credentials)


def signed_in_as(*roles: str) -> Callable[..., Principal]:
    """``signed_in`` with one of ``roles`` (403 without): the permission a module-level
    handler declares."""

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        verifier: JwtVerifier = request.app.state.verifier
        return require_roles(verifier, *roles)(credentials)

    return dependency

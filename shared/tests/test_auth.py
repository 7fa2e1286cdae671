from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from kinerja_shared.auth import JwtVerifier, TokenError, mint_dev_token

SECRET = "a-test-secret-that-is-long-enough-for-hs256!"
NOW = datetime.now(UTC)


def test_dev_tokens_round_trip() -> None:
    token = mint_dev_token(SECRET, "198609262015051001", ["supervisor", "employee"])
    p = JwtVerifier(secret=SECRET).verify(token)
    assert p.sub == "198609262015051001"
    assert p.has("supervisor")
    assert not p.has("admin")


@pytest.mark.parametrize(
    ("token", "why"),
    [
        (
            mint_dev_token("another-secret-that-is-long-enough-for-hs256", "1", ["admin"]),
            "Signature",
        ),
        (mint_dev_token(SECRET, "1", ["admin"], timedelta(seconds=-120)), "expired"),
        ("not.a.token", "Invalid|Not enough segments|decode"),
        (
            jwt.encode({"sub": "1", "exp": NOW + timedelta(hours=1), "roles": "admin ops"}, SECRET),
            None,
        ),
        (jwt.encode({"sub": "1", "exp": NOW + timedelta(hours=1), "roles": [1]}, SECRET), "roles"),
        (jwt.encode({"sub": "1", "roles": ["admin"]}, SECRET), "exp"),
    ],
)
def test_bad_tokens_are_refused(token: str, why: str | None) -> None:
    verifier = JwtVerifier(secret=SECRET)
    if why is None:  # a space-separated roles claim (some identity providers) is accepted
        assert verifier.verify(token).roles == {"admin", "ops"}
        return
    with pytest.raises(TokenError, match=why):
        verifier.verify(token)


def test_issuer_and_audience_are_checked_when_configured() -> None:
    verifier = JwtVerifier(secret=SECRET, issuer="https://sso.example", audience="kinerja")
    good = mint_dev_token(SECRET, "1", [], issuer="https://sso.example", audience="kinerja")
    assert verifier.verify(good).sub == "1"
    with pytest.raises(TokenError):
        verifier.verify(mint_dev_token(SECRET, "1", [], issuer="https://evil", audience="kinerja"))


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    """A stand-in identity provider serving its public keys, as the city's would."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "k1", "use": "sig", "alg": "RS256"})
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/jwks.json", key
    finally:
        server.shutdown()


def test_production_tokens_are_verified_with_the_providers_jwks(
    jwks_server: tuple[str, rsa.RSAPrivateKey],
) -> None:
    url, key = jwks_server
    verifier = JwtVerifier(jwks_url=url, audience="kinerja")
    claims = {
        "sub": "198609262015051001",
        "roles": ["supervisor"],
        "aud": "kinerja",
        "exp": NOW + timedelta(hours=1),
    }
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    assert verifier.verify(token).has("supervisor")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other, algorithm="RS256", headers={"kid": "k1"})
    with pytest.raises(TokenError):
        verifier.verify(forged)
    # An HS256 token signed with "the public key" must not pass (algorithm confusion).
    with pytest.raises(TokenError):
        verifier.verify(jwt.encode(claims, "x" * 40, algorithm="HS256", headers={"kid": "k1"}))

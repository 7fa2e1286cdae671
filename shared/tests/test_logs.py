"""Passwords never reach the logs, whatever carries them."""

from __future__ import annotations

import io
import json
import logging

import pytest

from kinerja_shared.logs import configure_logging, redact

URL = "mongodb://scoring:s3cr3t-P%40ss@mongo-0.mongodb:27017,mongo-1.mongodb/?replicaSet=rs0"


def test_redact_keeps_the_user_and_the_hosts() -> None:
    assert redact(f"MongoDB at {URL} is down") == (
        "MongoDB at mongodb://scoring:***@mongo-0.mongodb:27017,mongo-1.mongodb/?replicaSet=rs0"
        " is down"
    )
    assert redact("smtp://a:b@mail and http://example.go.id/x") == (
        "smtp://a:***@mail and http://example.go.id/x"
    )


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_no_password_in_messages_fields_or_tracebacks(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    configure_logging("test", "INFO", fmt)
    log = logging.getLogger("kinerja.test")
    log.warning("MongoDB at %s is not reachable", URL, extra={"url": URL})
    try:
        raise ConnectionError(f"cannot reach {URL}")
    except ConnectionError:
        log.exception("startup failed")
    text = out.getvalue()
    assert "s3cr3t" not in text
    assert text.count("scoring:***@") >= (3 if fmt == "json" else 2)  # text shows no extras
    if fmt == "json":
        assert all(json.loads(line)["service"] == "test" for line in text.splitlines() if line)

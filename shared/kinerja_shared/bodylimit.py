"""Request bodies are bounded before anything reads them (pure ASGI middleware).

FastAPI reads and parses a JSON body before a route's auth dependency runs, so without this an
anonymous caller could make any service hold an unlimited body in memory. A declared
``Content-Length`` over the limit is answered 413 at once; a streamed (chunked) body is counted
as it arrives and answered 413 as soon as it passes the limit, the rest never read.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _TooLarge(Exception):
    pass


class BodyLimit:
    """``routes`` maps path prefixes to their own limits; the longest matching prefix wins."""

    def __init__(self, app: ASGIApp, default: int, routes: Mapping[str, int] | None = None) -> None:
        self._app = app
        self._default = default
        self._routes = sorted((routes or {}).items(), key=lambda r: -len(r[0]))

    def limit_of(self, path: str) -> int:
        return next((n for prefix, n in self._routes if path.startswith(prefix)), self._default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limit = self.limit_of(scope["path"])
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        received = 0
        over = False  # the body passed the limit: whatever the app answers, it is 413
        answered = False

        async def counted() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise _TooLarge  # the app may catch it (FastAPI's body parsing does)
            return message

        async def watched(message: Message) -> None:
            nonlocal answered
            if not over:
                answered = answered or message["type"] == "http.response.start"
                await send(message)
            elif not answered:
                answered = True
                await _refuse(send, limit)

        with contextlib.suppress(_TooLarge):
            await self._app(scope, counted, watched)
        if over and not answered:
            await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(
        {  # a problem document (RFC 9457), as intake's other refusals
            "title": "Body too large",
            "status": 413,
            "detail": f"Isi permintaan terlalu besar (request body too large): paling banyak "
            f"{limit:,} byte. Kirim dalam beberapa bagian (send it in parts).",
        }
    ).encode()
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    start: dict[str, Any] = {"type": "http.response.start", "status": 413, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})

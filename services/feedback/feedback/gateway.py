"""Another service's API as the console calls it (adapter): scoring's evaluations, intake's
machines. With the reader's own token, so that service applies its own access rules; its
failures turned into what the console can say in Indonesian: slow, down, failed, or the
service's own refusal."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import HTTPException, Request, Response

DOWN = (
    "Layanan {label} tidak dapat dihubungi. Coba lagi beberapa saat lagi; jika tetap gagal, "
    "hubungi tim TI."
)
SLOW = "Layanan {label} terlalu lama menjawab. Coba lagi beberapa saat lagi."
FAILED = (
    "Layanan {label} mengalami gangguan. Coba lagi beberapa saat lagi; jika tetap gagal, "
    "hubungi tim TI."
)


def _detail(r: httpx.Response) -> str:
    try:
        return str(r.json().get("detail", r.text))
    except ValueError:
        return r.text


class ServiceGateway:
    def __init__(self, base_url: str, label: str, timeout_s: float = 15) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout_s)
        self.label = label  # as people name it: "penilaian (scoring)"

    async def close(self) -> None:
        await self.http.aclose()

    async def ask(self, request: Request, path: str, **params: Any) -> httpx.Response:
        """The service's answer (a 404 passes through for the caller to word)."""
        return await self._call(request, "GET", path, params=params)

    async def send(self, request: Request, path: str, body: Any) -> httpx.Response:
        """A POST in the reader's name; the service's refusal (its words) passes through."""
        return await self._call(request, "POST", path, json=body)

    async def _call(self, request: Request, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": request.headers.get("authorization", "")}
        try:
            r = await self.http.request(method, path, headers=headers, **kw)
        except httpx.TimeoutException:
            raise HTTPException(504, SLOW.format(label=self.label)) from None
        except (httpx.HTTPError, httpx.InvalidURL):
            raise HTTPException(503, DOWN.format(label=self.label)) from None
        if r.status_code == 503 and method == "POST":
            # Nothing was done (intake's corrections say so, and when to send again).
            retry = {"Retry-After": r.headers.get("retry-after", "5")}
            raise HTTPException(503, _detail(r), headers=retry)
        if r.status_code >= 500:
            raise HTTPException(502, FAILED.format(label=self.label))
        if r.status_code >= 400 and r.status_code != 404:
            raise HTTPException(r.status_code, _detail(r))
        return r

    async def json(self, request: Request, path: str, **params: Any) -> dict[str, Any] | None:
        """The service's JSON answer, None for a 404."""
        r = await self.ask(request, path, **params)
        if r.status_code == 404:
            return None
        body: dict[str, Any] = r.json()
        return body

    @staticmethod
    def file(r: httpx.Response, *headers: str) -> Response:
        """A file the service made, passed on with its name and the ``headers`` named."""
        kept = {h: r.headers[h] for h in ("content-disposition", *headers) if h in r.headers}
        return Response(r.content, media_type=r.headers.get("content-type"), headers=kept)

"""Adapter: resolves ``X-Api-Key`` headers to grants, with a short cache and per-key rate limits.

Revocation takes effect within ``key_cache_s``; rate limits are per intake instance.
"""

from __future__ import annotations

import time

from fastapi import HTTPException
from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from intake.keys import KeyGrant, split_key
from intake.store import IntakeStore


class Keyring:
    def __init__(self, store: IntakeStore, cache_s: float) -> None:
        self._store = store
        self._cache_s = cache_s
        self._cache: dict[str, tuple[float, KeyGrant | None]] = {}
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def forget(self, key_id: str) -> None:
        self._cache.pop(key_id, None)

    async def _grant(self, key_id: str) -> KeyGrant | None:
        hit = self._cache.get(key_id)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self._cache_s:
            return hit[1]
        doc = await self._store.key(key_id)
        grant = KeyGrant.from_doc(doc) if doc else None
        self._cache[key_id] = (now, grant)
        return grant

    async def authenticate(self, header: str | None) -> KeyGrant:
        """The grant of a valid, active key within its rate; else 401 or 429."""
        if not header:
            raise HTTPException(401, "send the device's or desk's key in X-Api-Key")
        parts = split_key(header)
        grant = await self._grant(parts[0]) if parts else None
        if grant is None or parts is None or not grant.matches(parts[1]):
            raise HTTPException(401, "unknown API key")
        if not grant.active:
            raise HTTPException(401, "this API key was revoked; ask an administrator for a new one")
        if (refused := await self._over(grant, 1, hit=False)) is not None:
            raise refused
        return grant

    async def charge(self, grant: KeyGrant, events: int) -> HTTPException | None:
        """Counts a batch's events against the key's rate (the rate is of events, not of
        requests: a batch of 1,000 counts 1,000); the 429 to answer if it does not fit."""
        return await self._over(grant, events, hit=True)

    async def _over(self, grant: KeyGrant, cost: int, *, hit: bool) -> HTTPException | None:
        limit = RateLimitItemPerMinute(grant.rate_per_minute)
        check = self._limiter.hit if hit else self._limiter.test
        if await check(limit, grant.key_id, cost=cost):
            return None
        stats = await self._limiter.get_window_stats(limit, grant.key_id)
        retry = max(1, int(stats.reset_time - time.time()))
        return HTTPException(
            429,
            f"more than {grant.rate_per_minute} events a minute for this key",
            headers={"Retry-After": str(retry)},
        )

"""A named lease in a service's own database: the one replica that holds it does a piece of
work that must not run twice at once (scoring's projector, the notifier's dispatcher).

The holder renews it while it works; a replica that stops cleanly releases it, and one that dies
loses it when ``until`` passes. Both writes are by ``_id`` (the store's cheap path), and the
renewal is a compare-and-set on what was read, so two replicas racing cannot both win.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from kinerja_shared.mongo import retry_locked

LEASES = "leases"


class Leases:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._collection = db[LEASES]

    async def hold(self, name: str, owner: str, ttl: timedelta, now: datetime) -> bool:
        """Take or renew ``name`` for ``owner`` until ``now + ttl``; False if another holds it."""
        return await retry_locked(partial(self._hold, name, owner, ttl, now))

    async def _hold(self, name: str, owner: str, ttl: timedelta, now: datetime) -> bool:
        doc = await self._collection.find_one({"_id": name})
        if doc and doc.get("owner") != owner and _aware(doc.get("until"), now) > now:
            return False
        if doc is None:
            try:
                await self._collection.insert_one({"_id": name, "owner": owner, "until": now + ttl})
            except DuplicateKeyError:  # another replica inserted it first
                return False
            return True
        result = await self._collection.update_one(
            {"_id": name, "owner": doc.get("owner"), "until": doc.get("until")},
            {"$set": {"owner": owner, "until": now + ttl}},
        )
        return result.modified_count == 1

    async def release(self, name: str, owner: str) -> None:
        """Give the lease up at a clean stop, so a restarted replica takes over at once."""
        doc = await self._collection.find_one({"_id": name})
        if doc and doc.get("owner") == owner:
            await self._collection.delete_one({"_id": name})


def _aware(until: Any, now: datetime) -> datetime:
    """The stored time, comparable with ``now`` (a client without tz_aware reads naive UTC)."""
    if not isinstance(until, datetime):
        return now
    return until if until.tzinfo or now.tzinfo is None else until.replace(tzinfo=UTC)

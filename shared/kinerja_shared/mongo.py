"""MongoDB helpers on PyMongo's native asyncio client.

Code in Kinerja must run on real MongoDB and on FerretDB 1.24 alike: no transactions, no change
streams, no TTL indexes, only ``$sum``/``$count`` accumulators. Idempotent updates
(``$min``, ``$max``, ``$addToSet``, upserts by natural keys) stand in for transactions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import AsyncMongoClient, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

_WriteOp = UpdateOne | UpdateMany | InsertOne[dict[str, Any]] | ReplaceOne[Any] | DeleteOne


def make_client(
    url: str, *, app_name: str, timeout_ms: int = 5000
) -> AsyncMongoClient[dict[str, Any]]:
    """A client that fails fast (so readiness and errors surface) and retries writes once."""
    return AsyncMongoClient(
        url,
        appname=app_name,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        tz_aware=True,
        retryWrites=False,  # FerretDB has no sessions; idempotent writes make retries safe anyway
    )


async def ping(client: AsyncMongoClient[dict[str, Any]]) -> bool:
    try:
        await client.admin.command("ping")
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False
    return True


#: Statements per bulk command. FerretDB 1.24 keeps every statement's cursor of an ``update``
#: command open until the command ends, so a command with ~100 updates exhausts its SQLite
#: connections and hangs for good (seen here, see deploy/README.md). 50 is safe and costs
#: MongoDB little.
BULK_CHUNK = 50


async def bulk_write_chunked(
    collection: AsyncCollection[dict[str, Any]],
    operations: Sequence[_WriteOp],
    chunk: int = BULK_CHUNK,
) -> None:
    """``bulk_write(ordered=False)`` in commands of at most ``chunk`` statements.

    Callers must use idempotent operations: if a later chunk fails, the earlier ones stay
    written and the whole batch is retried.
    """
    for start in range(0, len(operations), chunk):
        await collection.bulk_write(list(operations[start : start + chunk]), ordered=False)


_DUPLICATE_KEY = 11000


async def insert_new(
    collection: AsyncCollection[dict[str, Any]], docs: Sequence[dict[str, Any]]
) -> set[Any]:
    """Insert ``docs`` in commands of ``BULK_CHUNK``, ignoring those whose ``_id`` exists;
    returns the ids that existed. An insert is the cheap write on FerretDB, and inserting by a
    deterministic ``_id`` is how redoing a step stays idempotent."""
    existing: set[Any] = set()
    for start in range(0, len(docs), BULK_CHUNK):
        try:
            await collection.insert_many(docs[start : start + BULK_CHUNK], ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != _DUPLICATE_KEY for e in errors):
                raise
            existing |= {e["op"]["_id"] for e in errors}
    return existing

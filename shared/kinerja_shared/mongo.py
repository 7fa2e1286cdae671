"""MongoDB helpers on PyMongo's native asyncio client.

Code in Kinerja must run on real MongoDB and on FerretDB 1.24 alike: no transactions, no change
streams, no TTL indexes, only ``$sum``/``$count`` accumulators. Idempotent updates
(``$min``, ``$max``, ``$addToSet``, upserts by natural keys) stand in for transactions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from pymongo import AsyncMongoClient, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, OperationFailure
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

T = TypeVar("T")

_WriteOp = UpdateOne | UpdateMany | InsertOne[dict[str, Any]] | ReplaceOne[Any] | DeleteOne


def make_client(
    url: str, *, app_name: str, timeout_ms: int = 5000, **options: Any
) -> AsyncMongoClient[dict[str, Any]]:
    """A client that fails fast (so readiness and errors surface) and retries writes once.
    ``options``: the user and TLS (``ServiceSettings.mongodb_options``)."""
    return AsyncMongoClient(
        url,
        **options,
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
#: connections and hangs for good (seen here, see deploy/README.md). 30 is safe with two
#: commands in flight (below) and costs MongoDB little.
BULK_CHUNK = 30


async def bulk_write_chunked(
    collection: AsyncCollection[dict[str, Any]],
    operations: Sequence[_WriteOp],
    chunk: int = BULK_CHUNK,
) -> None:
    """``bulk_write(ordered=False)`` in commands of at most ``chunk`` statements.

    Callers must use idempotent operations: if a later chunk fails, the earlier ones stay
    written and the whole batch is retried.
    """
    gate = _bulk_gate()
    for start in range(0, len(operations), chunk):
        part = list(operations[start : start + chunk])
        async with gate:
            await retry_locked(partial(collection.bulk_write, part, ordered=False))


#: Statements per command and commands in flight when a bulk write is split. FerretDB 1.24 holds
#: a SQLite connection for every statement of a command until the command ends, out of a pool
#: per database; past that it hangs for good. So every process keeps its statements in flight
#: under 70: at most ``BULK_INFLIGHT`` commands of ``BULK_PARALLEL_CHUNK`` (60), plus the
#: lookups (``QUERIES_IN_FLIGHT`` ``$in`` commands, each one statement). The budget is the
#: database's, shared by every process that writes it: FerretDB's own pool of 100 hung with two
#: scoring replicas (the fault suite's ``replica_killed``), so the local build opens up to 400
#: (deploy/local/ferretdb/patches/sqlite-pool-size.patch), room for five. Two commands in
#: flight instead of one nearly doubled the upsert rate here.
BULK_PARALLEL_CHUNK = BULK_CHUNK
BULK_INFLIGHT = 2
_inflight: dict[int, asyncio.Semaphore] = {}


def _bulk_gate() -> asyncio.Semaphore:
    """One gate per event loop (a semaphore belongs to the loop it was first used in)."""
    loop = id(asyncio.get_running_loop())
    if loop not in _inflight:
        _inflight.clear()  # an old loop's gate is of no use any more
        _inflight[loop] = asyncio.Semaphore(BULK_INFLIGHT)
    return _inflight[loop]


async def bulk_write_concurrent(
    collection: AsyncCollection[dict[str, Any]],
    operations: Sequence[_WriteOp],
    chunk: int = BULK_PARALLEL_CHUNK,
) -> None:
    """Like ``bulk_write_chunked``, with up to ``BULK_INFLIGHT`` commands in flight across the
    whole process (the operations must touch distinct documents, or be order-independent)."""
    gate = _bulk_gate()

    async def one(part: list[_WriteOp]) -> None:
        async with gate:
            await retry_locked(partial(collection.bulk_write, part, ordered=False))

    await asyncio.gather(
        *(one(list(operations[i : i + chunk])) for i in range(0, len(operations), chunk))
    )


async def gather_limited(calls: Sequence[Callable[[], Awaitable[T]]], limit: int = 16) -> list[T]:
    """Run ``calls`` with at most ``limit`` in flight; results in order (for ``_id`` lookups)."""
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()

    return list(await asyncio.gather(*(one(c) for c in calls)))


#: Ids per ``{_id: {$in: [...]}}`` command, and such commands in flight at once.
IDS_PER_QUERY = 500
QUERIES_IN_FLIGHT = 4


async def find_by_ids(
    collection: AsyncCollection[dict[str, Any]],
    ids: Sequence[Any],
    projection: dict[str, Any] | None = None,
) -> list[dict[str, Any] | None]:
    """The documents of ``ids`` (strings), in order, ``None`` where missing: ``_id`` ``$in``
    commands of ``IDS_PER_QUERY``. MongoDB answers them from the ``_id`` index; so does the
    local FerretDB, whose build pushes an ``_id`` ``$in`` down to its index
    (deploy/local/ferretdb/patches/sqlite-id-pushdown.patch; upstream 1.24 reads the whole
    collection for it, and one lookup per id costs a round trip each)."""
    chunks = [list(ids[i : i + IDS_PER_QUERY]) for i in range(0, len(ids), IDS_PER_QUERY)]

    async def one(chunk: list[Any]) -> list[dict[str, Any]]:
        cursor = collection.find({"_id": {"$in": chunk}}, projection)
        return [d async for d in cursor]

    found: dict[Any, dict[str, Any]] = {}
    for docs in await gather_limited([partial(one, c) for c in chunks], QUERIES_IN_FLIGHT):
        found.update((d["_id"], d) for d in docs)
    return [found.get(i) for i in ids]


async def delete_by_ids(collection: AsyncCollection[dict[str, Any]], ids: Sequence[Any]) -> None:
    """Delete ``ids`` by ``_id`` ``$in`` commands (an index lookup, see ``find_by_ids``)."""
    for i in range(0, len(ids), IDS_PER_QUERY):
        chunk = list(ids[i : i + IDS_PER_QUERY])
        await retry_locked(partial(collection.delete_many, {"_id": {"$in": chunk}}))


def _locked(exc: BaseException) -> bool:
    """SQLite's "database is locked" through FerretDB: another connection held the write lock
    past FerretDB's busy timeout (a WAL checkpoint, an index build). Nothing was written, so
    the same idempotent write may simply be sent again. Real MongoDB never says this."""
    return isinstance(exc, OperationFailure | BulkWriteError) and (
        "database is locked" in str(exc) or "SQLITE_BUSY" in str(exc)
    )


async def retry_locked(call: Callable[[], Awaitable[T]], attempts: int = 5) -> T:
    """``call`` again, with capped backoff, while the store reports a transient lock."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception(_locked),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential_jitter(multiplier=0.05, max=2.0),
        reraise=True,
    ):
        with attempt:
            return await call()
    raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover


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


async def insert_once(
    collection: AsyncCollection[dict[str, Any]], doc: dict[str, Any]
) -> dict[str, Any]:
    """The document stored under ``doc["_id"]``: ``doc`` if there was none, else the first."""
    fields = {k: v for k, v in doc.items() if k != "_id"}
    await collection.update_one({"_id": doc["_id"]}, {"$setOnInsert": fields}, upsert=True)
    return await collection.find_one({"_id": doc["_id"]}) or doc

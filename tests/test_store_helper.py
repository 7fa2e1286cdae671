"""The one store helper over the real MongoDB-wire server: lookups and deletes of many ids in
one command, and a compare-and-set whose filter holds more than the ``_id`` (the local
FerretDB pushes the ``_id`` down and must still apply the rest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import certifi
import pytest

from kinerja_shared.mongo import IDS_PER_QUERY, delete_by_ids, find_by_ids, make_client, ping
from kinerja_shared.settings import ServiceSettings
from tests.conftest import Namespace
from tests.infra import Infra

pytestmark = pytest.mark.integration


async def test_many_ids_found_in_order_and_deleted(infra: Infra, ns: Namespace) -> None:
    client = make_client(infra.mongodb_url, app_name="test-store-helper")
    col = client[ns.database("helper")]["docs"]
    try:
        n = IDS_PER_QUERY * 2 + 7  # three commands, the last one short
        await col.insert_many([{"_id": f"k{i:05d}", "n": i} for i in range(n)])
        wanted = ["missing", *(f"k{i:05d}" for i in range(n - 1, -1, -3)), "k00000"]
        found = await find_by_ids(col, wanted, {"n": 1})
        assert found[0] is None
        assert [d["n"] for d in found[1:] if d] == [*range(n - 1, -1, -3), 0]
        assert len(found) == len(wanted)

        await delete_by_ids(col, [f"k{i:05d}" for i in range(0, n, 2)])
        left = sorted([d["n"] async for d in col.find({})])
        assert left == list(range(1, n, 2))
    finally:
        await client.drop_database(ns.database("helper"))
        await client.close()


async def test_a_filter_with_more_than_the_id_is_applied_whole(infra: Infra, ns: Namespace) -> None:
    client = make_client(infra.mongodb_url, app_name="test-store-helper")
    col = client[ns.database("helper")]["leases"]
    now = datetime.now(UTC)
    try:
        await col.insert_one({"_id": "a", "until": now + timedelta(seconds=30), "owner": "x"})
        taken = await col.update_one({"_id": "a", "until": {"$lte": now}}, {"$set": {"owner": "y"}})
        assert taken.matched_count == 0
        assert await col.find_one({"_id": {"$in": ["a"]}, "owner": "y"}) is None
        assert (await col.find_one({"_id": "a", "owner": "x"}) or {}).get("owner") == "x"
        later = now + timedelta(minutes=1)
        taken = await col.update_one(
            {"_id": "a", "until": {"$lte": later}}, {"$set": {"owner": "y"}}
        )
        assert taken.modified_count == 1
    finally:
        await client.drop_database(ns.database("helper"))
        await client.close()


async def test_the_tls_settings_reach_the_wire(infra: Infra) -> None:
    """The settings' TLS options are applied, not merely accepted: a client told to use TLS
    does not reach the plain local server, and the same settings without TLS do."""
    plain = ServiceSettings(mongodb_url=infra.mongodb_url)
    tls = ServiceSettings(mongodb_url=infra.mongodb_url, mongodb_tls_ca_file=certifi.where())
    assert tls.mongodb_options == {"tls": True, "tlsCAFile": certifi.where()}
    answers = []
    for settings in (plain, tls):
        client = make_client(
            settings.mongodb_url, app_name="test-tls", timeout_ms=1500, **settings.mongodb_options
        )
        answers.append(await ping(client))
        await client.close()
    assert answers == [True, False]

"""A replay of the topics into an empty database gives identical documents."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from datetime import date

import pytest

from kinerja_local.city import generate_city
from kinerja_local.simulator import attendance_events
from kinerja_shared.kafka import LagProbe, ensure_topics
from kinerja_shared.mongo import make_client
from scoring.app import create_app
from scoring.settings import ScoringSettings
from scoring.store import StaleQueue
from scoring.tools import STATE, _differences, _replay
from tests.conftest import Namespace
from tests.infra import Infra
from tests.support import serving
from tests.test_scoring_stream import produce

pytestmark = pytest.mark.integration


async def stale_marks(url: str, database: str) -> int:
    client = make_client(url, app_name="test-replay")
    try:
        return await StaleQueue(client[database]).size()
    finally:
        await client.close()


async def test_replay_into_an_empty_database_gives_identical_documents(
    infra: Infra, ns: Namespace
) -> None:
    live = ns.settings(ScoringSettings, infra, batch_timeout_ms=50, publish_alerts=False)
    await ensure_topics(infra.kafka_bootstrap, live.topics, partitions=2)
    city = generate_city(seed=9, employees=40, units=1)
    events = list(attendance_events(city, date(2026, 11, 2), date(2026, 11, 6)))
    rng = random.Random(1)
    events += rng.sample(events, 20)  # some duplicates
    rng.shuffle(events)
    rated = [
        {
            "event_id": str(uuid.uuid4()),
            "type": "service.rated",
            "occurred_at": "2026-11-03T10:00:00+07:00",
            "nip": e.nip,
            "source": {"kind": "desk", "id": "L1"},
            "payload": {
                "unit_code": e.unit_code,
                "desk_id": "L1",
                "service": "x",
                "ratings": {"U1": 3, "U2": 4},
            },
        }
        for e in city.employees[:10]
    ]
    reference = [
        {
            "kind": "employee",
            "nip": e.nip,
            "name": e.name,
            "unit_code": e.unit_code,
            "position": e.position,
            "supervisor_nip": e.supervisor_nip,
        }
        for e in city.employees
    ]
    reference += [{"kind": "day_closed", "date": f"2026-11-0{d}"} for d in range(2, 7)]
    await produce(
        infra.kafka_bootstrap, live.topics.attendance, [json.dumps(e).encode() for e in events]
    )
    await produce(
        infra.kafka_bootstrap, live.topics.service_quality, [json.dumps(e).encode() for e in rated]
    )
    await produce(
        infra.kafka_bootstrap, live.topics.reference, [json.dumps(r).encode() for r in reference]
    )

    # The live service consumes in its own rhythm...
    probe = LagProbe(infra.kafka_bootstrap, live.consumer_group)
    await probe.start()
    async with serving(create_app(live)):
        for _ in range(120):
            if (
                sum(
                    (
                        await probe.lag(
                            [
                                live.topics.attendance,
                                live.topics.service_quality,
                                live.topics.reference,
                            ]
                        )
                    ).values()
                )
                == 0
            ) and await stale_marks(infra.mongodb_url, live.mongodb_database) == 0:
                break  # consumed, and the read models written
            await asyncio.sleep(0.5)
    await probe.stop()
    # ...and the replay rebuilds from the earliest offsets into a fresh database.
    copy = live.model_copy(
        update={
            "mongodb_database": ns.database("replay"),
            "consumer_group": "replay-test",
            "publish_updates": False,
        }
    )
    replayed = await _replay(copy, timeout_s=120)
    assert replayed == len(events) + len(rated) + len(reference)
    diffs = await _differences(infra.mongodb_url, live.mongodb_database, copy.mongodb_database)
    assert set(diffs) == set(STATE)
    assert diffs == {name: [] for name in STATE}

"""Property-based fuzz of intake's HTTP surface on a running app: whatever arrives at
POST /v1/events or the ZKTeco paths, the answer is a clear 4xx or success, never a 500."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.app import create_app
from intake.settings import IntakeSettings
from tests.conftest import Namespace
from tests.infra import Infra
from tests.support import admin_headers, issue_key, serving

pytestmark = pytest.mark.integration

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=25,
)
event_like = st.fixed_dictionaries(
    {
        "event_id": st.uuids().map(str) | st.text(max_size=40),
        "type": st.sampled_from(
            ["attendance.recorded", "attendance.excused", "service.rated", "target.progressed", "x"]
        ),
        "occurred_at": st.sampled_from(["2026-11-02T07:00:00+07:00", "2026-11-02", "", "nan"]),
        "nip": st.sampled_from(["198609262015051001", "1", "x" * 18]),
        "source": json_values,
        "payload": json_values,
    },
    optional={"schema_version": json_values},
)
bodies = (
    st.binary(max_size=300)
    | json_values.map(lambda v: json.dumps(v, allow_nan=True).encode())
    | st.lists(event_like, max_size=5).map(lambda v: json.dumps(v, allow_nan=True).encode())
)
attlog = st.lists(st.text(alphabet="0123456789\t -:abc\r", max_size=40), max_size=6).map(
    lambda lines: "\n".join(lines).encode()
)


async def test_no_input_gives_a_500(infra: Infra, ns: Namespace) -> None:
    # Far past ADMS's per-serial rate (120 a minute): the fuzz sends 150 uploads in seconds.
    intake_settings = ns.settings(
        IntakeSettings, infra, scoring_grace_days=36500, adms_requests_per_minute=100_000
    )
    app = create_app(intake_settings)
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        key = await issue_key(client)
        await client.post(
            "/v1/admin/units",
            headers=admin_headers(),
            json=[{"code": "DUKCAPIL", "name": "Dukcapil"}],
        )
        await client.post(
            "/v1/admin/devices",
            headers=admin_headers(),
            json=[{"serial": "SN1", "unit_code": "DUKCAPIL"}],
        )
        seen: list[int] = []

        @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(
            body=bodies,
            ctype=st.sampled_from(["application/json", "text/plain", ""]),
            upload=attlog,
            table=st.sampled_from(["ATTLOG", "OPERLOG", "", "x"]),
        )
        def fuzz(body: bytes, ctype: str, upload: bytes, table: str) -> None:
            with httpx.Client(base_url=url, timeout=30) as sync:
                headers: dict[str, Any] = {"X-Api-Key": key}
                if ctype:
                    headers["content-type"] = ctype
                r = sync.post("/v1/events", content=body, headers=headers)
                assert r.status_code < 500, (r.status_code, r.text, body)
                seen.append(r.status_code)
                r = sync.post(f"/iclock/cdata?SN=SN1&table={table}", content=upload)
                assert r.status_code < 500, (r.status_code, r.text, upload)
                assert r.text.startswith("OK: ")

        await asyncio.to_thread(fuzz)
    assert len(seen) >= 150
    assert {415, 422} <= set(seen)  # the fuzz reached the content-type and validation paths

"""A unit's organisational predicate (PermenPANRB 6/2022), set by an admin through intake with
its source and head, reaches scoring over the reference topic: the head's annual Hasil Kerja
follows it, and the unit's distribution check uses it without being told."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from intake.app import create_app as create_intake
from intake.settings import IntakeSettings
from scoring.app import create_app as create_scoring
from scoring.settings import ScoringSettings
from tests.conftest import Namespace
from tests.infra import Infra
from tests.support import admin_headers, read_topic, serving, values

pytestmark = pytest.mark.integration

HEAD = "197501012000031001"
STAFF = "198609262015051001"
YEAR = datetime.now(UTC).year


async def test_an_org_predicate_sets_the_heads_hasil_kerja_and_the_units_check(
    infra: Infra, ns: Namespace
) -> None:
    intake_settings = ns.settings(IntakeSettings, infra, close_days=False)
    scoring_settings = ns.settings(ScoringSettings, infra, batch_timeout_ms=50)
    admin = admin_headers()
    async with (
        serving(create_intake(intake_settings)) as intake_url,
        serving(create_scoring(scoring_settings)) as scoring_url,
        httpx.AsyncClient(timeout=30) as client,
    ):
        r = await client.post(
            f"{intake_url}/v1/admin/units",
            headers=admin,
            json=[{"code": "DUKCAPIL", "name": "Dinas Dukcapil"}],
        )
        assert r.status_code == 200, r.text
        r = await client.post(
            f"{intake_url}/v1/admin/employees",
            headers=admin,
            json=[
                {"nip": HEAD, "name": "Mariani", "unit_code": "DUKCAPIL", "position": "Kepala"},
                {
                    "nip": STAFF,
                    "name": "Budi",
                    "unit_code": "DUKCAPIL",
                    "position": "Pelaksana",
                    "supervisor_nip": HEAD,
                },
            ],
        )
        assert r.status_code == 200, r.text
        row = {
            "unit_code": "DUKCAPIL",
            "year": YEAR,
            "predicate": "Istimewa",
            "source": f"Keputusan Wali Kota No. 800/12/{YEAR}",
            "head_nip": HEAD,
        }
        # Every bad row is named, and nothing is stored or published.
        bad = await client.post(
            f"{intake_url}/v1/admin/org-predicates",
            headers=admin,
            json=[
                {**row, "unit_code": "NOWHERE"},
                {**row, "head_nip": "199912312020121001"},
                {**row, "predicate": "Luar Biasa"},
            ],
        )
        assert bad.status_code == 422, bad.text
        fields = {(e["line"], e["field"]) for e in bad.json()["errors"]}
        assert {(1, "unit_code"), (2, "head_nip"), (3, "predicate")} <= fields
        r = await client.post(f"{intake_url}/v1/admin/org-predicates", headers=admin, json=[row])
        assert r.status_code == 200, r.text
        records = await read_topic(infra.kafka_bootstrap, intake_settings.topics.reference)
        assert f"org_predicate:DUKCAPIL:{YEAR}" in {rec.key.decode() for rec in records}
        assert [v for v in values(records) if v.get("kind") == "org_predicate"] == [
            {"kind": "org_predicate", **row}
        ]

        async def head_year() -> dict[str, Any]:
            for _ in range(120):
                got = await client.get(
                    f"{scoring_url}/v1/employees/{HEAD}/evaluation",
                    params={"period": str(YEAR)},
                    headers=admin,
                )
                if got.status_code == 200 and "unit_head" in got.json()["hasil_kerja"]:
                    return dict(got.json())
                await asyncio.sleep(0.25)
            raise AssertionError(f"the head's year never followed the unit: {got.text}")

        year = await head_year()
        assert year["hasil_kerja"]["rating"] == "Di Atas Ekspektasi"
        assert year["hasil_kerja"]["unit_head"]["source"] == row["source"]
        summary = await client.get(
            f"{scoring_url}/v1/units/DUKCAPIL/summary", params={"period": str(YEAR)}, headers=admin
        )
        assert summary.status_code == 200, summary.text
        check = summary.json()["distribution_check"]
        assert (check["org_predicate"], check["stored"], check["applies"]) == (
            "Istimewa",
            True,
            True,
        )

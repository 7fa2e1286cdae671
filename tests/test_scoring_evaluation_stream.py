"""A simulated month of a small unit, through intake and Kafka into scoring, gives the same
evaluations as the pure domain computed directly from the same events — with the events shuffled,
10 % of them sent twice and scoring restarted midway."""

from __future__ import annotations

import asyncio
import io
import random
import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from intake.app import create_app as create_intake
from intake.settings import IntakeSettings
from kinerja_local.city import generate_city
from kinerja_local.provision import city_rows
from kinerja_local.simulator import attendance_events
from kinerja_shared.auth import mint_dev_token
from kinerja_shared.settings import DEV_JWT_SECRET
from scoring.app import create_app as create_scoring
from scoring.domain.evaluation import DayFacts, evaluate, standings
from scoring.policy_file import load_policy
from scoring.settings import ScoringSettings
from tests.conftest import Namespace
from tests.infra import Infra
from tests.support import admin_headers, issue_key, serving

pytestmark = pytest.mark.integration
WIB = ZoneInfo("Asia/Jakarta")
POLICY = load_policy()
START, END = date(2026, 11, 1), date(2026, 11, 30)
CLOSED = [date(2026, 11, d) for d in range(1, 14)]  # closed through Friday 13 November
HOLIDAY = date(2026, 11, 10)


def expected(
    events: list[dict[str, Any]],
    nip: str,
    excused: set[date],
    late_until: dict[date, datetime] | None = None,
) -> Any:
    first_in: dict[date, datetime] = {}
    last_out: dict[date, datetime] = {}
    for e in events:
        if e["nip"] != nip:
            continue
        at = datetime.fromisoformat(e["occurred_at"]).astimezone(WIB)
        d = at.date()
        if e["payload"]["direction"] == "in" and (d not in first_in or at < first_in[d]):
            first_in[d] = at
        if e["payload"]["direction"] == "out" and (d not in last_out or at > last_out[d]):
            last_out[d] = at
    days = set(first_in) | set(last_out) | excused
    permits = late_until or {}
    facts = {
        d: DayFacts(first_in.get(d), last_out.get(d), d in excused, permits.get(d)) for d in days
    }
    schedule = POLICY.schedules["standar"]
    judged = standings(
        START, END, facts, frozenset(CLOSED), schedule, frozenset({HOLIDAY}), WIB, POLICY
    )
    return evaluate(
        "2026-11", START, END, judged, judged, None, None, None, schedule, POLICY, monthly=True
    )


async def test_a_month_of_a_unit_matches_the_pure_domain(infra: Infra, ns: Namespace) -> None:
    city = generate_city(seed=21, employees=120, units=2)
    events = list(attendance_events(city, date(2026, 11, 2), date(2026, 11, 13)))
    sick = city.employees[5].nip
    excuse = {
        "event_id": str(uuid.uuid4()),
        "type": "attendance.excused",
        "occurred_at": "2026-11-03T08:00:00+07:00",
        "nip": sick,
        "source": {"kind": "system", "id": "simpeg"},
        "payload": {
            "date_from": "2026-11-04",
            "date_to": "2026-11-05",
            "reason": "sakit",
            "reference": "SKD/44/2026",
        },
    }
    # A permission to arrive late (izin datang terlambat) for someone who came late one day.
    late = next(
        e
        for e in events
        if e["nip"] != sick
        and e["payload"]["direction"] == "in"
        and datetime.fromisoformat(e["occurred_at"]).astimezone(WIB).time() > time(7, 45)
        and datetime.fromisoformat(e["occurred_at"]).date() != HOLIDAY
    )
    late_at = datetime.fromisoformat(late["occurred_at"]).astimezone(WIB)
    until = (late_at + timedelta(minutes=1)).replace(second=0, microsecond=0)
    permit = {
        **excuse,
        "event_id": str(uuid.uuid4()),
        "nip": late["nip"],
        "payload": {
            "date_from": late_at.date().isoformat(),
            "date_to": late_at.date().isoformat(),
            "reason": "izin",
            "reference": "IZIN/7/2026",
            "part": "datang_terlambat",
            "time": until.strftime("%H:%M"),
        },
    }
    intake_settings = ns.settings(IntakeSettings, infra, scoring_grace_days=36500, close_days=False)
    scoring_settings = ns.settings(ScoringSettings, infra, batch_timeout_ms=50)
    rng = random.Random(5)
    shuffled = events + rng.sample(events, len(events) // 10)
    rng.shuffle(shuffled)
    half = len(shuffled) // 2
    async with (
        serving(create_intake(intake_settings)) as intake_url,
        httpx.AsyncClient(timeout=60) as client,
    ):
        admin = admin_headers()
        r = await client.post(
            f"{intake_url}/v1/admin/units",
            headers=admin,
            json=[{"code": u.code, "name": u.name} for u in city.units],
        )
        assert r.status_code == 200, r.text
        r = await client.post(
            f"{intake_url}/v1/admin/employees", headers=admin, json=city_rows(city)
        )
        assert r.status_code == 200, r.text
        r = await client.post(
            f"{intake_url}/v1/admin/calendars",
            headers=admin,
            json={
                "year": 2026,
                "source": "Kalender uji",
                "days": [{"date": HOLIDAY.isoformat(), "name": "Libur uji"}],
            },
        )
        assert r.status_code == 200, r.text
        key = await issue_key(client, base_url=intake_url)

        async def send(batch: list[dict[str, Any]]) -> None:
            for i in range(0, len(batch), 500):
                r = await client.post(
                    f"{intake_url}/v1/events", json=batch[i : i + 500], headers={"X-Api-Key": key}
                )
                assert r.status_code == 202

        async with serving(create_scoring(scoring_settings)):
            await send(shuffled[:half])
            await asyncio.sleep(2)  # it consumes and commits part of it, then stops midway
        await send(shuffled[half:])
        r = await client.post(
            f"{intake_url}/v1/events", json=[excuse, permit], headers={"X-Api-Key": key}
        )
        assert r.status_code == 202, r.text
        r = await client.post(
            f"{intake_url}/v1/admin/days/close",
            headers=admin,
            json={"dates": [d.isoformat() for d in CLOSED]},
        )
        assert r.status_code == 200

        scoring = serving(create_scoring(scoring_settings))
        scoring_url = await scoring.__aenter__()
        ids_by_nip: dict[str, int] = defaultdict(int)
        for e in events:
            ids_by_nip[e["nip"]] += 1
        ids_by_nip[sick] += 1
        ids_by_nip[late["nip"]] += 1
        got: dict[str, Any] = {}
        deadline = asyncio.get_running_loop().time() + 120
        while asyncio.get_running_loop().time() < deadline:
            pending = [
                e.nip
                for e in city.employees
                if got.get(e.nip, {}).get("events_counted") != ids_by_nip[e.nip]
                or not got[e.nip]["employee"]["known"]
                # the whole calendar must have reached scoring, not just the events
                or len(got[e.nip]["calendar"]["closed_days"]) < len(CLOSED)
                or got[e.nip]["calendar"]["holidays"] != [HOLIDAY.isoformat()]
            ]
            if not pending:
                break
            for nip in pending:
                r = await client.get(
                    f"{scoring_url}/v1/employees/{nip}/evaluation",
                    params={"period": "2026-11"},
                    headers=admin,
                )
                if r.status_code == 200:
                    got[nip] = r.json()
            await asyncio.sleep(0.5)
        # Who may read: the employee, their supervisor up the chain; not a colleague, not anonymous.
        staff = next(e for e in city.employees if e.position == "Pelaksana")
        colleague = next(
            e
            for e in city.employees
            if e.position == "Pelaksana" and e.unit_code == staff.unit_code and e.nip != staff.nip
        )
        url = f"{scoring_url}/v1/employees/{staff.nip}/evaluation"

        def bearer(sub: str, *roles: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {mint_dev_token(DEV_JWT_SECRET, sub, list(roles))}"}

        access = {
            "anonymous": (await client.get(url, params={"period": "2026-11"})).status_code,
            "self": (
                await client.get(
                    url, params={"period": "2026-11"}, headers=bearer(staff.nip, "employee")
                )
            ).status_code,
            "colleague": (
                await client.get(
                    url, params={"period": "2026-11"}, headers=bearer(colleague.nip, "employee")
                )
            ).status_code,
            "supervisor": (
                await client.get(
                    url,
                    params={"period": "2026-11"},
                    headers=bearer(str(staff.supervisor_nip), "supervisor"),
                )
            ).status_code,
        }
        unit = city.units[0].code
        summary = (
            await client.get(
                f"{scoring_url}/v1/units/{unit}/summary",
                params={"period": "2026-11", "org_predicate": "Baik"},
                headers=admin,
            )
        ).json()
        outcomes = await client.get(
            f"{scoring_url}/v1/outcomes", params={"year": 2026}, headers=admin
        )
        not_admin = await client.get(
            f"{scoring_url}/v1/outcomes",
            params={"year": 2026},
            headers=bearer(staff.nip, "employee"),
        )
        recap = f"{scoring_url}/v1/tpp/recap"
        recap_csv = await client.get(
            recap, params={"period": "2026-11", "format": "csv"}, headers=admin
        )
        recap_xlsx = await client.get(
            recap, params={"period": "2026-11", "format": "xlsx"}, headers=admin
        )
        # The employee's document, and its code checked by the supervisor (FerretDB keeps it).
        document = await client.get(
            f"{scoring_url}/v1/employees/{staff.nip}/evaluation/document",
            params={"period": "2026-11"},
            headers=bearer(staff.nip, "employee"),
        )
        code = document.headers.get("X-Verification-Code", "")
        verdict = await client.get(
            f"{scoring_url}/v1/documents/{code}",
            headers=bearer(str(staff.supervisor_nip), "supervisor"),
        )
        await scoring.__aexit__(None, None, None)
        assert document.headers["content-type"] == "application/pdf"
        said = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(document.content)).pages)
        assert f"Kode verifikasi: {code}" in said
        assert staff.nip in said
        assert verdict.json()["matches"] is True, verdict.text
        assert verdict.json()["about"] == "2026-11"
        in_unit = [e for e in city.employees if e.unit_code == unit]
        assert summary["employees"] == len(in_unit)
        assert summary["predicates"] == {"belum ada": len(in_unit)}
        assert sum(summary["discipline_levels"].values()) == len(in_unit)
        assert summary["distribution_check"]["org_predicate"] == "Baik"
        assert outcomes.status_code == 200
        assert not outcomes.json()["recognition"]  # no targets yet, so no Sangat Baik
        assert not_admin.status_code == 403
        assert access == {"anonymous": 401, "self": 200, "colleague": 403, "supervisor": 200}

    absent_somewhere = 0
    deductions: dict[str, float] = {}
    for emp in city.employees:
        want = expected(
            events,
            emp.nip,
            {date(2026, 11, 4), date(2026, 11, 5)} if emp.nip == sick else set(),
            {late_at.date(): until} if emp.nip == late["nip"] else None,
        )
        doc = got[emp.nip]
        assert doc["attendance"] == {
            "working_days_judged": want.working_days_judged,
            "hadir": want.hadir,
            "izin": want.izin,
            "tanpa_keterangan": want.tanpa_keterangan,
            "tl_psw_days": want.tl_psw_days,
            "late_minutes": want.late_minutes,
            "early_minutes": want.early_minutes,
            "categories": want.categories,
        }, emp.nip
        assert doc["tpp_disiplin_deduction_percent"] == want.tpp.percent
        assert doc["discipline"]["level"] == want.discipline.level
        assert doc["perilaku_kerja"] == {"rating": want.perilaku_kerja.value, "proposal": True}
        absent_somewhere += want.tanpa_keterangan > 0
        deductions[emp.nip] = want.tpp.percent
    # Payroll's recap holds the same deduction for every employee, in the file it opens.
    sheet = load_workbook(io.BytesIO(recap_xlsx.content)).active
    assert sheet is not None
    rows = {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True) if r and r[1]}
    assert {nip: row[8] for nip, row in rows.items()} == deductions
    lines = recap_csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Kode OPD,NIP,Nama")
    assert len(lines) == len(city.employees) + 1
    assert got[sick]["attendance"]["izin"] == 2
    # The permission excused that day's lateness, and only that day's.
    unexcused = expected(events, late["nip"], set())
    assert got[late["nip"]]["attendance"]["late_minutes"] < unexcused.late_minutes
    assert absent_somewhere > 0  # the simulated month has absences, judged on closed days
    assert all(d["working_days_judged"] == 9 for d in (g["attendance"] for g in got.values()))

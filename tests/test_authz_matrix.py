"""The authorization matrix: every private route of every service, read from its OpenAPI (a new
route cannot escape it), called as each kind of caller over real sockets, with the four
services on a real Kafka and MongoDB-wire server and one small city loaded through intake.

The table ``MATRIX`` below is the documented policy: who may do what. Bad credentials (none,
expired, the wrong audience or issuer, the development secret) are the other half, in
``test_authn_matrix.py``.

Legend, one letter per caller in the order of ``CALLERS``:
    ``o``  allowed (2xx; or 409, when the state refuses after the caller was allowed)
    ``d``  denied (403)
    ``h``  hidden (404: the thing is not shown to this caller, nor its existence)
    ``u``  not a sign-in this route takes (401: a device key on a person's route, a person on
           the devices' route)
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.city_support import (
    COACHING,
    DECISION,
    FEEDBACK,
    KEPALA,
    OBJECTION,
    OPS,
    RATING,
    SAMPLES,
    SERIAL,
    STAFF,
    STAFF4,
    UNITS,
    City,
    bearer,
    desk_rating,
    employees_csv,
    must,
    new_key,
    punch,
    running_city,
)
from tests.conftest import Namespace
from tests.infra import Infra
from tests.test_authn_matrix import PUBLIC

pytestmark = pytest.mark.integration

#: Who calls, in the order of the letters of ``MATRIX``.
CALLERS = (
    "admin",  # BKPSDM's administrator
    "ops",  # the IT team on duty
    "head",  # the head of STAFF's unit (KEPALA)
    "supervisor",  # STAFF's direct supervisor (KABID)
    "outsider",  # a supervisor in another unit (KABID2)
    "self",  # STAFF themself
    "other",  # another employee of the same unit (STAFF2)
    "device",  # the attendance machine of STAFF's unit (an API key)
    "desk",  # a service desk of another unit (an API key bound to DINKES)
)

#: The policy. Paths name STAFF, their unit DISDIK and the things made for them in ``city``.
#: The letters, in order: admin ops head supervisor outsider self other device desk.
MATRIX: dict[tuple[str, str], str] = {
    # intake: events come from keys only, and a desk's rating only for its own unit's people;
    # reference data, calendars, devices and keys are BKPSDM's (admin)
    ("POST", "/v1/events"): "uuuuuuuod",
    ("POST", "/v1/admin/units"): "odddddduu",
    ("POST", "/v1/admin/employees"): "odddddduu",
    ("POST", "/v1/admin/holidays"): "odddddduu",
    ("POST", "/v1/admin/org-predicates"): "odddddduu",
    ("GET", "/v1/admin/calendars"): "odddddduu",
    ("POST", "/v1/admin/calendars"): "odddddduu",
    ("POST", "/v1/admin/devices"): "odddddduu",
    ("POST", "/v1/admin/days/close"): "odddddduu",
    ("GET", "/v1/admin/keys"): "odddddduu",
    ("POST", "/v1/admin/keys"): "odddddduu",
    ("DELETE", "/v1/admin/keys/{key_id}"): "odddddduu",
    ("GET", "/v1/devices/status"): "ooddddduu",  # which machines went silent
    ("POST", "/v1/admin/attendance/voids"): "odddddduu",  # voiding a punch: BKPSDM's
    # scoring: a person's figures to themself, their chain and BKPSDM (never ops); a unit's
    # summary to its head, admin and ops; its members to the supervisors in it; the city's
    # outcome lists to BKPSDM; the working calendar to admin and ops
    ("GET", "/v1/employees/{nip}/evaluation"): "odoododuu",
    ("GET", "/v1/employees/{nip}/days/{day}"): "odoododuu",  # a day's punches, as above
    ("GET", "/v1/units/{unit_code}/summary"): "ooodddduu",
    ("GET", "/v1/units/{unit_code}/members"): "odooodduu",
    ("GET", "/v1/outcomes"): "odddddduu",
    ("GET", "/v1/city"): "ooddddduu",  # every unit's aggregates: BKPSDM and the IT team
    ("GET", "/v1/calendar/{year}"): "ooddddduu",
    ("GET", "/v1/tpp/recap"): "odddddduu",  # payroll's file: BKPSDM's
    # a document as its evaluation; a code checks only for those who may read the document,
    # and answers the rest as an unknown code
    ("GET", "/v1/employees/{nip}/evaluation/document"): "odoododuu",
    ("GET", "/v1/documents/{code}"): "ohoohohuu",
    ("GET", "/v1/policy/guide"): "ooooooouu",  # the rules are everyone's to read
    # feedback: the chain writes the dialogue, ratings and coaching; the employee replies,
    # acknowledges, answers B.1.8 and objects; the appraiser's superior decides an objection;
    # BKPSDM reads (oversight) but writes nothing; only the author edits an entry
    ("POST", "/v1/employees/{nip}/feedback"): "ddooddduu",
    ("GET", "/v1/employees/{nip}/feedback"): "odoododuu",
    ("GET", "/v1/feedback/{thread_id}"): "odoododuu",
    ("POST", "/v1/feedback/{thread_id}/replies"): "ddoododuu",
    ("PUT", "/v1/feedback/{thread_id}/entries/{entry_id}"): "dddoddduu",
    ("POST", "/v1/feedback/{thread_id}/ack"): "dddddoduu",
    ("POST", "/v1/employees/{nip}/ratings"): "ddooddduu",
    ("GET", "/v1/employees/{nip}/ratings"): "odoododuu",
    ("POST", "/v1/employees/{nip}/coaching"): "ddooddduu",
    ("GET", "/v1/employees/{nip}/coaching"): "odoododuu",
    ("POST", "/v1/coaching/{session_id}/employee-feedback"): "dddddoduu",
    ("GET", "/v1/coaching/{session_id}/document"): "odoododuu",
    ("GET", "/v1/coaching-documents/{record_code}"): "ohoohohuu",
    ("POST", "/v1/employees/{nip}/objections"): "dddddoduu",
    ("GET", "/v1/employees/{nip}/objections"): "odoododuu",
    ("POST", "/v1/objections/{objection_id}/decision"): "ddodddduu",
    ("GET", "/v1/audit"): "odddddduu",
    # development only (absent unless DEV_MODE on loopback, see test_authn_matrix.py)
    ("POST", "/v1/console/dev-sign-in"): "ooooooooo",
    # the console: a team to whoever supervises one (the admin here is outside the chart);
    # the rest as scoring's rules above
    ("GET", "/v1/console/team"): "hdooodduu",
    ("GET", "/v1/console/attention"): "hdooodduu",
    ("GET", "/v1/console/employees/{nip}/evaluation"): "odoododuu",
    ("GET", "/v1/console/employees/{nip}/days/{day}"): "odoododuu",
    ("POST", "/v1/console/attendance/voids"): "odddddduu",  # passed to intake, which decides
    ("GET", "/v1/console/calendar/{year}"): "ooddddduu",
    ("GET", "/v1/console/units/{unit_code}"): "ooodddduu",
    ("GET", "/v1/console/tpp/recap"): "odddddduu",
    ("GET", "/v1/console/employees/{nip}/evaluation/document"): "odoododuu",
    ("GET", "/v1/console/documents/{code}"): "ohoohohuu",
    ("GET", "/v1/console/guide"): "ooooooouu",
    ("GET", "/v1/console/city"): "ooddddduu",
    ("GET", "/v1/console/outcomes"): "odddddduu",
    # notifier: each person's own alerts (the list is filtered); an alert to its recipients
    # (STAFF's supervisor), admin and ops, hidden from everyone else; acknowledged by its
    # recipients and admin; silences are operations' (admin, ops)
    ("GET", "/v1/alerts"): "ooooooouu",
    ("GET", "/v1/alerts/{alert_id}"): "oohohhhuu",
    ("POST", "/v1/alerts/{alert_id}/ack"): "odhohhhuu",
    ("POST", "/v1/silences"): "ooddddduu",
    ("GET", "/v1/silences"): "ooddddduu",
    ("DELETE", "/v1/silences/{silence_id}"): "ooddddduu",
    ("GET", "/v1/me/preferences"): "ooooooouu",
    ("PUT", "/v1/me/preferences"): "ooooooouu",
    ("POST", "/v1/stream/tickets"): "ooooooouu",
    ("GET", "/v1/stream"): "ooooooouu",
}


def bodies(city: City) -> dict[tuple[str, str], Callable[[str], dict[str, Any]]]:
    """What each body-taking route is sent (valid, so a refusal is the caller's, not the body's);
    a function of the caller, since a device and a desk send different events."""

    def same(**kw: Any) -> Callable[[str], dict[str, Any]]:
        return lambda _caller: kw

    calendar = json.loads((SAMPLES / "calendar-2026.json").read_text())
    key = {
        "kind": "system",
        "owner": "matrix",
        "event_types": ["target.progressed"],
        "units": ["DISDIK"],
    }
    return {
        ("POST", "/v1/events"): lambda caller: {
            "json": [desk_rating(STAFF) if caller == "desk" else punch(STAFF)]
        },
        ("POST", "/v1/admin/units"): same(json=UNITS),
        ("POST", "/v1/admin/employees"): same(
            content=employees_csv(), headers={"content-type": "text/csv"}
        ),
        ("POST", "/v1/admin/holidays"): same(
            json=[{"date": "2026-12-25", "name": "Natal", "holiday_kind": "libur_nasional"}]
        ),
        ("POST", "/v1/admin/org-predicates"): same(
            json=[
                {
                    "unit_code": "DISDIK",
                    "year": 2026,
                    "predicate": "Baik",
                    "source": "Keputusan Wali Kota No. 800/12/2026",
                    "head_nip": KEPALA,
                }
            ]
        ),
        ("POST", "/v1/admin/calendars"): same(json=calendar),
        ("POST", "/v1/admin/devices"): same(json=[{"serial": SERIAL, "unit_code": "DISDIK"}]),
        ("POST", "/v1/admin/days/close"): same(json={"dates": ["2026-11-23"]}),
        ("POST", "/v1/admin/attendance/voids"): same(
            json={
                "nip": STAFF,
                "event_id": str(uuid.uuid4()),
                "punch_at": "2026-11-23T07:21:05+07:00",
                "reason": "Uji matriks: presensi dengan PIN pegawai lain",
            }
        ),
        ("POST", "/v1/console/attendance/voids"): same(
            json={
                "nip": STAFF,
                "event_id": str(uuid.uuid4()),
                "punch_at": "2026-11-23T07:21:05+07:00",
                "reason": "Uji matriks lewat konsol: presensi dengan PIN pegawai lain",
            }
        ),
        ("POST", "/v1/admin/keys"): same(json=key),
        ("POST", "/v1/employees/{nip}/feedback"): same(json=FEEDBACK),
        ("POST", "/v1/feedback/{thread_id}/replies"): same(json={"text": "Baik, terima kasih."}),
        ("PUT", "/v1/feedback/{thread_id}/entries/{entry_id}"): same(
            json={"text": "Antrean loket masih panjang pada Senin dan Selasa pagi."}
        ),
        ("POST", "/v1/feedback/{thread_id}/ack"): same(),
        ("POST", "/v1/employees/{nip}/ratings"): same(json=RATING),
        ("POST", "/v1/employees/{nip}/coaching"): same(json=COACHING),
        ("POST", "/v1/coaching/{session_id}/employee-feedback"): same(
            json={"answers": [True] * 9, "comment": "Bermanfaat"}
        ),
        ("POST", "/v1/employees/{nip}/objections"): same(json=OBJECTION),
        ("POST", "/v1/objections/{objection_id}/decision"): same(json=DECISION),
        ("POST", "/v1/console/dev-sign-in"): same(json={"nip": STAFF, "role": "employee"}),
        ("POST", "/v1/alerts/{alert_id}/ack"): same(json={"comment": "Sudah dibina."}),
        ("POST", "/v1/silences"): same(
            json={
                "matchers": [f'nip="{STAFF4}"'],
                "ends_at": "2027-01-31T00:00:00+07:00",
                "comment": "tugas belajar",
            }
        ),
        ("PUT", "/v1/me/preferences"): same(json={"email": True, "web": True}),
    }


async def fresh_ids(c: httpx.AsyncClient, city: City, path: str) -> dict[str, str]:
    """Things a call removes are made anew for each caller, so no caller finds them gone."""
    if "{key_id}" in path:
        key = await new_key(c, city.urls["intake"], "system", f"k{uuid.uuid4().hex[:8]}")
        return {"key_id": key["key_id"]}
    if "{silence_id}" in path:
        body = bodies(city)[("POST", "/v1/silences")]("ops")["json"]
        made = await must(
            c.post(f"{city.urls['notifier']}/v1/silences", json=body, headers=bearer(OPS, "ops"))
        )
        return {"silence_id": made["id"]}
    return {}


@pytest.fixture
async def city(infra: Infra, ns: Namespace, tmp_path: Path) -> AsyncIterator[City]:
    async with running_city(infra, ns, tmp_path) as running:
        yield running


SERVICES = ("intake", "scoring", "feedback", "notifier")


async def private_routes(c: httpx.AsyncClient, city: City) -> list[tuple[str, str, str]]:
    """(service, method, path) of every route no public list names, from each OpenAPI."""
    out = []
    for service in SERVICES:
        spec = (await c.get(f"{city.urls[service]}/openapi.json")).json()
        for path, methods in spec["paths"].items():
            out += [(service, m.upper(), path) for m in methods if (m.upper(), path) not in PUBLIC]
    return out


LETTER = {401: "u", 403: "d", 404: "h", 409: "o"}
#: The query a route needs besides its path (the period asked about).
QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/v1/employees/{nip}/evaluation"): {"period": "2026-11"},
    ("GET", "/v1/units/{unit_code}/summary"): {"period": "2026-11"},
    ("GET", "/v1/units/{unit_code}/members"): {"period": "2026-11"},
    ("GET", "/v1/outcomes"): {"year": "2026"},
    ("GET", "/v1/tpp/recap"): {"period": "2026-11"},
    ("GET", "/v1/console/tpp/recap"): {"period": "2026-11"},
    ("GET", "/v1/employees/{nip}/evaluation/document"): {"period": "2026-11"},
    ("GET", "/v1/city"): {"period": "2026-11"},
    ("GET", "/v1/console/city"): {"period": "2026-11"},
    ("GET", "/v1/console/outcomes"): {"year": "2026"},
    ("GET", "/v1/console/employees/{nip}/evaluation/document"): {"period": "2026-11"},
}


async def call(
    c: httpx.AsyncClient, city: City, service: str, method: str, path: str, caller: str
) -> str:
    ids = {**city.ids, **await fresh_ids(c, city, path)}
    url = city.urls[service] + re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
    make = bodies(city).get((method, path))
    extra = make(caller) if make else {}
    headers = {**city.tokens[caller], **extra.pop("headers", {})}
    params = QUERIES.get((method, path), {})
    async with c.stream(
        method, url, headers=headers, params=params, **extra
    ) as r:  # the live stream stays open
        status = r.status_code
        if status >= 500 or status in (400, 422):
            await r.aread()
            raise AssertionError(f"{caller} {method} {path}: {status} {r.text}")
    return "o" if status < 300 else LETTER.get(status, str(status))


async def test_every_route_answers_each_caller_as_the_policy_says(city: City) -> None:
    async with httpx.AsyncClient(timeout=30) as c:
        routes = await private_routes(c, city)
        seen: dict[tuple[str, str], str] = {}
        for service, method, path in routes:
            letters = [await call(c, city, service, method, path, who) for who in CALLERS]
            seen[(method, path)] = "".join(letters)
    if os.environ.get("KINERJA_MATRIX_PRINT"):
        for (method, path), row in seen.items():
            print(f'    ("{method}", "{path}"): "{row}",')
    assert set(seen) == set(MATRIX), "a route without a policy line, or a line without a route"
    wrong = {route: (MATRIX[route], got) for route, got in seen.items() if MATRIX[route] != got}
    assert not wrong, f"expected vs got, callers {CALLERS}: {wrong}"
    assert len(routes) * len(CALLERS) == sum(len(v) for v in seen.values())

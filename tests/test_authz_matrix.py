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
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from feedback.app import create_app as create_feedback
from feedback.settings import FeedbackSettings
from intake.app import create_app as create_intake
from intake.settings import IntakeSettings
from kinerja_shared.auth import mint_dev_token
from kinerja_shared.settings import DEV_JWT_SECRET
from notifier.app import create_app as create_notifier
from notifier.settings import NotifierSettings
from scoring.app import create_app as create_scoring
from scoring.settings import ScoringSettings
from tests.conftest import Namespace
from tests.infra import Infra
from tests.notifier_support import alert, publish, wait_for, web_only_routing
from tests.support import serving
from tests.test_authn_matrix import PUBLIC

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).resolve().parents[1] / "deploy" / "local" / "samples" / "tanjungbalai"

# The city: DISDIK (head KEPALA, section head KABID, staff STAFF and STAFF2) and DINKES (head
# KADINKES, section head KABID2, staff STAFF4), both under the regional secretary SEKDA.
SEKDA, KEPALA, KABID = "197001012000011004", "197803032005011003", "198505052010012002"
STAFF, STAFF2 = "199001012015011001", "199202022016012005"
KADINKES, KABID2, STAFF4 = "197505052003011007", "198606062011012008", "199404042018011009"
OPS = "198001012006011010"
ADMIN = "196812312000011011"  # BKPSDM, outside the chart
PEOPLE = [  # nip, unit, supervisor
    (SEKDA, "SETDA", ""),
    (KEPALA, "DISDIK", SEKDA),
    (KABID, "DISDIK", KEPALA),
    (STAFF, "DISDIK", KABID),
    (STAFF2, "DISDIK", KABID),
    (KADINKES, "DINKES", SEKDA),
    (KABID2, "DINKES", KADINKES),
    (STAFF4, "DINKES", KABID2),
    (OPS, "SETDA", SEKDA),
]
SERIAL = "TBL00000001"

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
    # scoring: a person's figures to themself, their chain and BKPSDM (never ops); a unit's
    # summary to its head, admin and ops; its members to the supervisors in it; the city's
    # outcome lists to BKPSDM; the working calendar to admin and ops
    ("GET", "/v1/employees/{nip}/evaluation"): "odoododuu",
    ("GET", "/v1/units/{unit_code}/summary"): "ooodddduu",
    ("GET", "/v1/units/{unit_code}/members"): "odooodduu",
    ("GET", "/v1/outcomes"): "odddddduu",
    ("GET", "/v1/calendar/{year}"): "ooddddduu",
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
    ("POST", "/v1/employees/{nip}/objections"): "dddddoduu",
    ("GET", "/v1/employees/{nip}/objections"): "odoododuu",
    ("POST", "/v1/objections/{objection_id}/decision"): "ddodddduu",
    ("GET", "/v1/audit"): "odddddduu",
    # development only (absent unless DEV_MODE on loopback, see test_authn_matrix.py)
    ("POST", "/v1/console/dev-sign-in"): "ooooooooo",
    # the console: a team to whoever supervises one (the admin here is outside the chart);
    # the rest as scoring's rules above
    ("GET", "/v1/console/team"): "hdooodduu",
    ("GET", "/v1/console/employees/{nip}/evaluation"): "odoododuu",
    ("GET", "/v1/console/calendar/{year}"): "ooddddduu",
    ("GET", "/v1/console/units/{unit_code}"): "ooodddduu",
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


@dataclass
class City:
    """The running services and the things made for the matrix's paths."""

    urls: dict[str, str]
    tokens: dict[str, dict[str, str]]
    ids: dict[str, str] = field(default_factory=dict)


def bearer(nip: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_dev_token(DEV_JWT_SECRET, nip, list(roles))}"}


def employees_csv() -> bytes:
    rows = ["nip,name,unit_code,position,supervisor_nip,schedule,email,device_pins"]
    for nip, unit, sup in PEOPLE:
        rows.append(f"{nip},Pegawai {nip[-3:]},{unit},Staf,{sup},,{nip}@example.go.id,{nip[-4:]}")
    return ("\n".join(rows) + "\n").encode()


UNITS = [
    {"code": "SETDA", "name": "Sekretariat Daerah"},
    {"code": "DISDIK", "name": "Dinas Pendidikan"},
    {"code": "DINKES", "name": "Dinas Kesehatan"},
]


def punch(nip: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "attendance.recorded",
        "schema_version": 1,
        "occurred_at": "2026-11-23T07:21:05+07:00",
        "nip": nip,
        "source": {"kind": "device", "id": SERIAL},
        "payload": {"direction": "in", "method": "fingerprint", "device_sn": SERIAL},
    }


def desk_rating(nip: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "service.rated",
        "schema_version": 1,
        "occurred_at": "2026-11-23T09:00:00+07:00",
        "nip": nip,
        "source": {"kind": "desk", "id": "LOKET-DINKES"},
        "payload": {
            "unit_code": "DISDIK",
            "desk_id": "LOKET-DINKES",
            "service": "Legalisir ijazah",
            "ratings": {"U1": 1, "U9": 1},
        },
    }


FEEDBACK = {
    "period": "2026-11",
    "category": "pelayanan",
    "values": ["berorientasi_pelayanan"],
    "text": "Antrean loket masih panjang pada Senin pagi.",
    "improvements": ["Kecepatan pelayanan"],
    "actions": [{"what": "Pelatihan aplikasi", "owner_nip": STAFF, "due": "2026-12-15"}],
}
RATING = {"period": "2026-11", "rating": "Sesuai Ekspektasi", "justification": "Tepat waktu."}
COACHING = {"date": "2026-11-24", "topics": ["Antrean loket"], "follow_up": "Pelatihan"}
OBJECTION = {"period": "2026-11", "reasons": "Saya bertugas di luar kantor sepekan."}
DECISION = {"outcome": "ditolak", "reasons": "Penilaian sudah sesuai bukti."}


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


def callers(device_key: str, desk_key: str) -> dict[str, dict[str, str]]:
    return {
        "admin": bearer(ADMIN, "admin"),
        "ops": bearer(OPS, "ops"),
        "head": bearer(KEPALA, "supervisor"),
        "supervisor": bearer(KABID, "supervisor"),
        "outsider": bearer(KABID2, "supervisor"),
        "self": bearer(STAFF, "employee"),
        "other": bearer(STAFF2, "employee"),
        "device": {"X-Api-Key": device_key},
        "desk": {"X-Api-Key": desk_key},
    }


async def must(response: Any, status: int = 200) -> dict[str, Any]:
    got = await response
    assert got.status_code in (status, 201), got.text
    body: dict[str, Any] = got.json()
    return body


async def new_key(
    c: httpx.AsyncClient, url: str, kind: str, owner: str, **kw: Any
) -> dict[str, Any]:
    body = {
        "kind": kind,
        "owner": owner,
        "event_types": ["attendance.recorded"],
        "units": ["DISDIK"],
    }
    return await must(
        c.post(f"{url}/v1/admin/keys", json={**body, **kw}, headers=bearer(ADMIN, "admin"))
    )


async def load_city(
    c: httpx.AsyncClient, urls: dict[str, str], ns: Namespace, infra: Infra
) -> City:
    admin = bearer(ADMIN, "admin")
    intake, scoring, feedback, notifier = (
        urls[s] for s in ("intake", "scoring", "feedback", "notifier")
    )
    await must(c.post(f"{intake}/v1/admin/units", json=UNITS, headers=admin))
    csv = {**admin, "content-type": "text/csv"}
    await must(c.post(f"{intake}/v1/admin/employees", content=employees_csv(), headers=csv))
    await must(
        c.post(
            f"{intake}/v1/admin/devices",
            json=[{"serial": SERIAL, "unit_code": "DISDIK"}],
            headers=admin,
        )
    )
    device = await new_key(c, intake, "device", SERIAL)
    desk = await new_key(
        c, intake, "desk", "LOKET-DINKES", event_types=["service.rated"], units=["DINKES"]
    )

    last: dict[str, str] = {}

    async def known(url: str) -> bool:
        r = await c.get(url, headers=admin)
        last[url] = f"{r.status_code} {r.text[:300]}"
        return r.status_code == 200

    try:
        await wait_for(
            lambda: known(f"{scoring}/v1/employees/{STAFF}/evaluation?period=2026-11"),
            "scoring's org chart",
            timeout_s=20,
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last answers: {last}") from None
    kabid = bearer(KABID, "supervisor")

    async def feedback_knows() -> bool:
        r = await c.get(f"{feedback}/v1/employees/{STAFF}/feedback", headers=kabid)
        return r.status_code == 200

    await wait_for(feedback_knows, "feedback's org chart")
    city = City(urls, callers(device["api_key"], desk["api_key"]))
    thread = await must(
        c.post(f"{feedback}/v1/employees/{STAFF}/feedback", json=FEEDBACK, headers=kabid)
    )
    session = await must(
        c.post(f"{feedback}/v1/employees/{STAFF}/coaching", json=COACHING, headers=kabid)
    )
    await must(c.post(f"{feedback}/v1/employees/{STAFF}/ratings", json=RATING, headers=kabid))
    staff = bearer(STAFF, "employee")
    objection = await must(
        c.post(f"{feedback}/v1/employees/{STAFF}/objections", json=OBJECTION, headers=staff)
    )
    alert_id = f"coaching.needed:{STAFF}:2026-W48:"
    topic = NotifierSettings(topic_prefix=ns.topic_prefix).topics.alert
    await publish(
        infra.kafka_bootstrap,
        topic,
        [alert("coaching.needed", STAFF, "2026-W48", alert_id=alert_id)],
    )
    await wait_for(lambda: known(f"{notifier}/v1/alerts/{alert_id}"), "the notifier's alert")
    city.ids = {
        "nip": STAFF,
        "unit_code": "DISDIK",
        "year": "2026",
        "thread_id": thread["id"],
        "entry_id": thread["entries"][0]["id"],
        "session_id": session["id"],
        "objection_id": objection["id"],
        "alert_id": alert_id,
    }
    return city


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
    routing = web_only_routing(tmp_path)
    apps: dict[str, FastAPI] = {
        "intake": create_intake(
            ns.settings(IntakeSettings, infra, scoring_grace_days=36500, close_days=False)
        ),
        "scoring": create_scoring(
            ns.settings(ScoringSettings, infra, batch_timeout_ms=50, publish_alerts=False)
        ),
        "notifier": create_notifier(
            ns.settings(NotifierSettings, infra, dispatch_interval_s=0.2, routing_file=routing)
        ),
    }
    async with AsyncExitStack() as stack:
        urls = {name: await stack.enter_async_context(serving(app)) for name, app in apps.items()}
        feedback = ns.settings(
            FeedbackSettings,
            infra,
            scoring_url=urls["scoring"],
            notifier_public_url=urls["notifier"],
        )
        urls["feedback"] = await stack.enter_async_context(serving(create_feedback(feedback)))
        async with httpx.AsyncClient(timeout=30) as c:
            yield await load_city(c, urls, ns, infra)


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

"""A small city on the four running services, for the tests that call every route (the
authorization matrix, the schema fuzzer): two units under the regional secretary, their people
loaded through intake's admin API, an attendance machine and a desk key, and one of each thing
the routes name (a dialogue thread, a coaching session, an objection, an alert)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
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


def envelope(type_: str, nip: str, at: str, source: dict[str, str], payload: Any) -> dict[str, Any]:
    """An event as intake takes it, with a new id."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": type_,
        "schema_version": 1,
        "occurred_at": at,
        "nip": nip,
        "source": source,
        "payload": payload,
    }


def punch(nip: str) -> dict[str, Any]:
    """A check-in from the unit's attendance machine."""
    source = {"kind": "device", "id": SERIAL}
    payload = {"direction": "in", "method": "fingerprint", "device_sn": SERIAL}
    return envelope("attendance.recorded", nip, "2026-11-23T07:21:05+07:00", source, payload)


def desk_rating(nip: str) -> dict[str, Any]:
    """A citizen's rating from another unit's desk (DINKES), naming DISDIK's employee."""
    payload = {
        "unit_code": "DISDIK",
        "desk_id": "LOKET-DINKES",
        "service": "Legalisir ijazah",
        "ratings": {"U1": 1, "U9": 1},
    }
    source = {"kind": "desk", "id": "LOKET-DINKES"}
    return envelope("service.rated", nip, "2026-11-23T09:00:00+07:00", source, payload)


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
    # A document of each kind, so their verification codes are there to check.
    document = await c.get(
        f"{scoring}/v1/employees/{STAFF}/evaluation/document",
        params={"period": "2026-11"},
        headers=admin,
    )
    record = await c.get(f"{feedback}/v1/coaching/{session['id']}/document", headers=kabid)
    assert document.status_code == record.status_code == 200, (document.text, record.text)
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
        "day": "2026-11-23",
        "thread_id": thread["id"],
        "entry_id": thread["entries"][0]["id"],
        "session_id": session["id"],
        "objection_id": objection["id"],
        "alert_id": alert_id,
        "code": document.headers["x-verification-code"],
        "record_code": record.headers["x-verification-code"],
    }
    return city


@asynccontextmanager
async def running_city(infra: Infra, ns: Namespace, tmp_path: Path) -> AsyncIterator[City]:
    """The four services serving on loopback with the city loaded."""
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
            intake_url=urls["intake"],
            notifier_public_url=urls["notifier"],
        )
        urls["feedback"] = await stack.enter_async_context(serving(create_feedback(feedback)))
        async with httpx.AsyncClient(timeout=30) as c:
            yield await load_city(c, urls, ns, infra)

"""Intake's admin API, API keys and the ZKTeco push protocol over real Kafka and MongoDB-wire."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from intake.app import create_app
from intake.settings import IntakeSettings
from kinerja_shared.dlq import H_REASON
from kinerja_shared.settings import DEV_JWT_SECRET
from tests.conftest import Namespace
from tests.infra import Infra
from tests.support import admin_headers, issue_key, read_topic, serving, values

pytestmark = pytest.mark.integration

HEAD = "197501012000031001"
STAFF = "198609262015051001"
STAFF2 = "199001152015032002"


@pytest.fixture
async def intake(infra: Infra, ns: Namespace) -> Any:
    settings = ns.settings(IntakeSettings, infra, scoring_grace_days=36500, adms_max_age_days=36500)
    async with serving(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        r = await client.post(
            "/v1/admin/units",
            headers=admin_headers(),
            json=[{"code": "DUKCAPIL", "name": "Dinas Dukcapil"}],
        )
        assert r.status_code == 200, r.text
        yield client, settings


CSV_OK = (
    "nip,name,unit_code,position,supervisor_nip,email,device_pins\n"
    f"{HEAD},Mariani Siregar,DUKCAPIL,Kepala Dinas,,mariani@example.go.id,1000\n"
    f"{STAFF},Budi Lubis,DUKCAPIL,Pelaksana,{HEAD},budi@example.go.id,1001;1002\n"
)


async def test_employee_csv_is_stored_and_published_keyed_by_kind_and_id(
    intake: Any, infra: Infra
) -> None:
    client, settings = intake
    r = await client.post(
        "/v1/admin/employees",
        content=CSV_OK.encode(),
        headers={**admin_headers(), "content-type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"stored": 2, "published": 2}
    records = await read_topic(infra.kafka_bootstrap, settings.topics.reference)
    keys = {rec.key.decode() for rec in records}
    assert {f"employee:{HEAD}", f"employee:{STAFF}", "unit:DUKCAPIL"} <= keys
    staff = next(v for v in values(records) if v.get("nip") == STAFF)
    assert staff["device_pins"] == ["1001", "1002"]
    assert staff["supervisor_nip"] == HEAD


async def test_bad_csv_rows_are_all_reported_with_line_numbers_and_nothing_is_stored(
    intake: Any, infra: Infra
) -> None:
    client, settings = intake
    csv = (
        "nip,name,unit_code,position,supervisor_nip\n"
        f"{HEAD},Kepala,DUKCAPIL,Kepala Dinas,{STAFF2}\n"  # line 2: part of a loop
        f"{STAFF2},Staf,DUKCAPIL,Pelaksana,{HEAD}\n"  # line 3: part of the same loop
        "12345,Bad Nip,DUKCAPIL,Pelaksana,\n"  # line 4
        f"{STAFF},Nowhere,DINAS-X,Pelaksana,\n"  # line 5: unknown unit
        f"{STAFF},Twice,DUKCAPIL,Pelaksana,\n"  # line 6: duplicate NIP
        "199512312020121003,No Supervisor,DUKCAPIL,Pelaksana,197001012000011009\n"  # line 7
    )
    r = await client.post(
        "/v1/admin/employees",
        content=csv.encode(),
        headers={**admin_headers(), "content-type": "text/csv"},
    )
    assert r.status_code == 422
    errors = [(e["line"], e["field"]) for e in r.json()["errors"]]
    assert errors == [
        (2, "supervisor_nip"),
        (3, "supervisor_nip"),
        (4, "nip"),
        (5, "unit_code"),
        (6, "nip"),
        (7, "supervisor_nip"),
    ]
    reasons = {e["line"]: e["reason"] for e in r.json()["errors"]}
    assert "loops back" in reasons[2]
    assert "unknown unit" in reasons[5]
    assert "duplicate of line 5" in reasons[6]
    assert "unknown supervisor" in reasons[7]
    records = await read_topic(infra.kafka_bootstrap, settings.topics.reference, idle_s=1)
    assert not any(rec.key.startswith(b"employee:") for rec in records)


async def test_missing_csv_columns_are_reported_on_line_one(intake: Any) -> None:
    client, _ = intake
    r = await client.post(
        "/v1/admin/employees",
        content=b"nip,name,colour\n1,a,b\n",
        headers={**admin_headers(), "content-type": "text/csv"},
    )
    assert r.status_code == 422
    assert {(e["line"], e["field"]) for e in r.json()["errors"]} == {
        (1, "unit_code"),
        (1, "position"),
        (1, "colour"),
    }


async def test_admin_api_refuses_missing_bad_and_unprivileged_tokens(intake: Any) -> None:
    client, _ = intake
    from kinerja_shared.auth import mint_dev_token

    assert (await client.post("/v1/admin/units", json=[])).status_code == 401
    forged = mint_dev_token("not-the-secret-" + "x" * 30, STAFF, ["admin"])
    r = await client.post("/v1/admin/units", json=[], headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    employee = mint_dev_token(DEV_JWT_SECRET, STAFF, ["employee"])
    r = await client.post(
        "/v1/admin/units", json=[], headers={"Authorization": f"Bearer {employee}"}
    )
    assert r.status_code == 403


def punch(nip: str = STAFF, etype: str = "attendance.recorded") -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": etype,
        "occurred_at": "2026-11-02T07:21:05+07:00",
        "nip": nip,
        "source": {"kind": "device", "id": "TBL1"},
        "payload": {"direction": "in", "method": "pin", "device_sn": "TBL1"},
    }


async def test_api_keys_are_required_scoped_and_revocable(intake: Any) -> None:
    client, _ = intake
    assert (await client.post("/v1/events", json=punch())).status_code == 401
    r = await client.post("/v1/events", json=punch(), headers={"X-Api-Key": "kj_nope_nope"})
    assert r.status_code == 401
    desk_key = await issue_key(
        client, kind="desk", owner="LOKET-1", event_types=["service.rated"], units=["DUKCAPIL"]
    )
    r = await client.post("/v1/events", json=punch(), headers={"X-Api-Key": desk_key})
    assert r.status_code == 403
    assert "may not send attendance.recorded" in r.json()["results"][0]["errors"][0]["reason"]

    key = await issue_key(client, rate_per_minute=3)
    key_id = key.split("_")[1]
    assert (
        await client.post("/v1/events", json=punch(), headers={"X-Api-Key": key})
    ).status_code == 202
    assert (
        await client.post("/v1/events", json=punch(), headers={"X-Api-Key": key})
    ).status_code == 202
    assert (
        await client.post("/v1/events", json=punch(), headers={"X-Api-Key": key})
    ).status_code == 202
    limited = await client.post("/v1/events", json=punch(), headers={"X-Api-Key": key})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    # The rate is of events: one request of four events is over a rate of three.
    batch_key = await issue_key(client, rate_per_minute=3)
    r = await client.post(
        "/v1/events", json=[punch() for _ in range(4)], headers={"X-Api-Key": batch_key}
    )
    assert r.status_code == 429
    assert "3 events a minute" in r.json()["detail"]

    r = await client.delete(f"/v1/admin/keys/{key_id}", headers=admin_headers())
    assert r.status_code == 200
    listed = await client.get("/v1/admin/keys", headers=admin_headers())
    assert all("secret_hash" not in k for k in listed.json())
    r = await client.post("/v1/events", json=punch(), headers={"X-Api-Key": key})
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]


async def test_resent_events_are_reported_as_duplicates(intake: Any, infra: Infra) -> None:
    client, settings = intake
    client.headers["X-Api-Key"] = await issue_key(client)
    batch = [punch(), punch()]
    first = await client.post("/v1/events", json=batch)
    again = await client.post("/v1/events", json=[*batch, punch()])
    assert first.json()["accepted"] == 2
    assert [x["status"] for x in again.json()["results"]] == ["duplicate", "duplicate", "accepted"]
    records = await read_topic(infra.kafka_bootstrap, settings.topics.attendance)
    assert len(records) == 3


async def test_event_times_far_in_the_future_or_past_the_grace_are_refused(
    infra: Infra, ns: Namespace
) -> None:
    settings = ns.settings(IntakeSettings, infra, topic_partitions=1, scoring_grace_days=35)
    async with serving(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        client.headers["X-Api-Key"] = await issue_key(client)
        future = {**punch(), "occurred_at": "2999-01-01T07:00:00+07:00"}
        old = {**punch(), "occurred_at": "2001-01-01T07:00:00+07:00"}
        r = await client.post("/v1/events", json=[future, old])
    assert r.status_code == 422
    reasons = [x["errors"][0]["reason"] for x in r.json()["results"]]
    assert "in the future" in reasons[0]
    assert "older than the scoring grace of 35 days" in reasons[1]


# --- the ZKTeco push protocol, as the machines send it -----------------------------------------

DEVICE_HEADERS = {
    "User-Agent": "iClock Proxy/1.09",
    "Accept": "*/*",
    "Connection": "close",
    "Accept-Encoding": "identity",
}


async def test_adms_device_session_handshake_upload_and_poll(intake: Any, infra: Infra) -> None:
    client, settings = intake
    await client.post(
        "/v1/admin/employees",
        content=CSV_OK.encode(),
        headers={**admin_headers(), "content-type": "text/csv"},
    )
    r = await client.post(
        "/v1/admin/devices",
        headers=admin_headers(),
        json=[{"serial": "CJDE204660045", "unit_code": "DUKCAPIL"}],
    )
    assert r.status_code == 200, r.text

    hs = await client.get(
        "/iclock/cdata?SN=CJDE204660045&options=all&pushver=2.4.1&language=69",
        headers=DEVICE_HEADERS,
    )
    assert hs.status_code == 200
    assert hs.headers["content-type"].startswith("text/plain")
    lines = hs.text.split("\n")
    assert lines[0] == "GET OPTION FROM: CJDE204660045"
    assert "TimeZone=7" in lines
    assert "Realtime=1" in lines

    body = (
        b"1001\t2026-11-02 07:21:05\t0\t1\t0\t0\t0\n"
        b"1002\t2026-11-02 16:05:44\t1\t15\t0\t0\t0\n"
        b"4242\t2026-11-02 07:30:00\t0\t1\t0\t0\t0\n"
        b"garbage line\n"
    )
    up = await client.post(
        "/iclock/cdata?SN=CJDE204660045&table=ATTLOG&Stamp=9999",
        content=body,
        headers={**DEVICE_HEADERS, "Content-Type": "application/push;charset=UTF-8"},
    )
    assert up.status_code == 200
    assert up.text == "OK: 4"
    again = await client.post(
        "/iclock/cdata?SN=CJDE204660045&table=ATTLOG&Stamp=9999",
        content=body.split(b"\n")[0] + b"\n",
        headers=DEVICE_HEADERS,
    )  # a re-sent line
    assert again.text == "OK: 1"
    oper = await client.post(
        "/iclock/cdata?SN=CJDE204660045&table=OPERLOG&Stamp=1",
        content=b"OPLOG 4\t0\t2026-11-02 07:00:00\t0\t0\t0\t0\n",
        headers=DEVICE_HEADERS,
    )
    assert oper.text == "OK: 1"
    poll = await client.get("/iclock/getrequest?SN=CJDE204660045", headers=DEVICE_HEADERS)
    assert poll.text == "OK"
    cmd = await client.post(
        "/iclock/devicecmd?SN=CJDE204660045",
        content=b"ID=1&Return=0&CMD=INFO",
        headers=DEVICE_HEADERS,
    )
    assert cmd.text == "OK"

    events = values(await read_topic(infra.kafka_bootstrap, settings.topics.attendance))
    by_time = {e["occurred_at"]: e for e in events}
    assert set(by_time) == {"2026-11-02T07:21:05+07:00", "2026-11-02T16:05:44+07:00"}
    assert len(events) == 3  # the re-sent line is published again with the same event_id...
    assert len({e["event_id"] for e in events}) == 2  # ...so scoring counts it once
    assert by_time["2026-11-02T07:21:05+07:00"]["nip"] == STAFF
    assert by_time["2026-11-02T16:05:44+07:00"]["payload"] == {
        "direction": "out",
        "method": "face",
        "device_sn": "CJDE204660045",
    }
    dead = await read_topic(infra.kafka_bootstrap, settings.topics.dlq)
    assert sorted((dict(d.headers)[H_REASON], d.value) for d in dead) == [
        (b"invalid", b"garbage line"),
        (b"unmapped", b"4242\t2026-11-02 07:30:00\t0\t1\t0\t0\t0"),
    ]
    # The machine spoke, so it is not silent; one registered and never heard of is.
    quiet = {"serial": "CJDE000000001", "unit_code": "DUKCAPIL"}
    await client.post("/v1/admin/devices", headers=admin_headers(), json=[quiet])
    status = await client.get("/v1/devices/status", headers=admin_headers())
    assert status.status_code == 200, status.text
    found = {d["serial"]: d for d in status.json()}
    assert found["CJDE204660045"]["silent"] is False
    assert found["CJDE204660045"]["last_seen"] is not None
    assert found["CJDE000000001"] == {**quiet, "active": True, "last_seen": None, "silent": True}
    assert status.json()[0]["serial"] == "CJDE000000001"  # the silent first
    # Its punches arriving through a gateway (the JSON API) show it alive too.
    gateway = {"X-Api-Key": await issue_key(client)}
    relayed = {**punch(), "source": {"kind": "device", "id": "CJDE000000001"}}
    assert (await client.post("/v1/events", json=relayed, headers=gateway)).status_code == 202
    status = await client.get("/v1/devices/status", headers=admin_headers())
    assert not any(d["silent"] for d in status.json())


async def test_a_serial_not_admitted_is_answered_as_a_registered_one_and_its_upload_kept(
    intake: Any, infra: Infra
) -> None:
    """Serials cannot be found by asking: unknown, inactive and wrong-address callers get what a
    registered machine gets; their uploads wait in the DLQ, never on the attendance topic."""
    client, settings = intake
    await client.post(
        "/v1/admin/employees",
        content=CSV_OK.encode(),
        headers={**admin_headers(), "content-type": "text/csv"},
    )
    r = await client.post(
        "/v1/admin/devices",
        headers=admin_headers(),
        json=[
            {"serial": "VLAN1", "unit_code": "DUKCAPIL", "allowed_sources": ["10.9.0.0/16"]},
            {"serial": "HERE1", "unit_code": "DUKCAPIL", "allowed_sources": ["127.0.0.1"]},
        ],
    )
    assert r.status_code == 200, r.text
    line = b"1001\t2026-11-02 07:00:00\t0\t1\n"
    answers = {}
    for serial in ("STRANGER1", "VLAN1", "HERE1"):  # unknown, from elsewhere, admitted
        hs = await client.get(f"/iclock/cdata?SN={serial}&options=all", headers=DEVICE_HEADERS)
        up = await client.post(
            f"/iclock/cdata?SN={serial}&table=ATTLOG", content=line, headers=DEVICE_HEADERS
        )
        poll = await client.get(f"/iclock/getrequest?SN={serial}", headers=DEVICE_HEADERS)
        answers[serial] = (
            hs.status_code,
            hs.text.replace(serial, "SN"),
            up.status_code,
            up.text,
            poll.text,
        )
    assert answers["STRANGER1"] == answers["VLAN1"] == answers["HERE1"]
    assert answers["HERE1"][2:] == (200, "OK: 1", "OK")
    events = values(await read_topic(infra.kafka_bootstrap, settings.topics.attendance))
    assert [e["payload"]["device_sn"] for e in events] == ["HERE1"]
    dead = await read_topic(infra.kafka_bootstrap, settings.topics.dlq)
    assert sorted(d.key for d in dead) == [b"STRANGER1", b"VLAN1"]
    assert {dict(d.headers)[H_REASON] for d in dead} == {b"unmapped"}
    metrics = (await client.get("/metrics")).text
    assert 'kinerja_intake_unknown_device_requests_total{why="unknown"} 3.0' in metrics
    assert 'kinerja_intake_unknown_device_requests_total{why="address"} 3.0' in metrics


async def test_adms_rates_and_backdating_window(infra: Infra, ns: Namespace) -> None:
    settings = ns.settings(IntakeSettings, infra, adms_requests_per_minute=3)
    async with serving(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        await client.post(
            "/v1/admin/units",
            headers=admin_headers(),
            json=[{"code": "DUKCAPIL", "name": "Dinas Dukcapil"}],
        )
        await client.post(
            "/v1/admin/employees",
            content=CSV_OK.encode(),
            headers={**admin_headers(), "content-type": "text/csv"},
        )
        await client.post(
            "/v1/admin/devices",
            headers=admin_headers(),
            json=[{"serial": "RATE1", "unit_code": "DUKCAPIL"}],
        )
        today = (datetime.now(UTC) + timedelta(hours=7)).date()
        body = (
            f"1001\t{today - timedelta(days=1)} 07:00:00\t0\t1\n"
            f"1001\t{today - timedelta(days=5)} 07:00:00\t0\t1\n"  # past the 3 days
        ).encode()
        up = await client.post("/iclock/cdata?SN=RATE1&table=ATTLOG", content=body)
        assert up.text == "OK: 2"
        events = values(await read_topic(infra.kafka_bootstrap, settings.topics.attendance))
        assert [e["occurred_at"][:10] for e in events] == [str(today - timedelta(days=1))]
        dead = await read_topic(infra.kafka_bootstrap, settings.topics.dlq)
        assert [d.value[5:15] for d in dead] == [str(today - timedelta(days=5)).encode()]
        # Three requests a minute per serial, for a registered serial and an unknown alike.
        for serial in ("RATE1", "NOBODY"):
            codes = [
                (await client.get(f"/iclock/getrequest?SN={serial}")).status_code
                for _ in range(3 if serial == "NOBODY" else 2)
            ]
            assert codes == [200] * len(codes)
            limited = await client.get(f"/iclock/getrequest?SN={serial}")
            assert limited.status_code == 429
            assert limited.text.startswith("ERROR: too many")


SAMPLES = Path(__file__).resolve().parents[1] / "deploy" / "local" / "samples" / "tanjungbalai"


async def test_a_years_calendar_is_loaded_whole_and_its_days_may_then_close(
    intake: Any, infra: Infra
) -> None:
    """Issue 15 item 5: a year's holidays and cuti bersama come in one file from its SKB; days
    of a year without it are held (the admin's close answers 409 and says what to load)."""
    client, settings = intake
    held = await client.post(
        "/v1/admin/days/close", headers=admin_headers(), json={"dates": ["2026-03-02"]}
    )
    assert held.status_code == 409, held.text
    assert "Kalender libur tahun 2026 belum dimuat" in held.json()["detail"]
    bad = await client.post(
        "/v1/admin/calendars",
        headers=admin_headers(),
        json={
            "year": 2026,
            "source": "SKB uji",
            "days": [
                {"date": "2026-03-21", "name": "Idul Fitri 1447 H"},
                {"date": "2027-01-01", "name": "Tahun Baru"},
                {"date": "2026-03-21", "name": "Idul Fitri 1447 H"},
                {"date": "2026-03-20", "name": "Cuti bersama", "holiday_kind": "cuti"},
            ],
        },
    )
    assert bad.status_code == 422, bad.text
    assert [(e["line"], e["field"]) for e in bad.json()["errors"]] == [
        (3, "date"),
        (4, "date"),
        (5, "holiday_kind"),
    ]
    assert (await client.get("/v1/admin/calendars", headers=admin_headers())).json() == []
    r = await client.post(
        "/v1/admin/calendars",
        content=(SAMPLES / "calendar-2026.json").read_bytes(),
        headers={**admin_headers(), "content-type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 26  # 17 national holidays, 8 cuti bersama, the year itself
    assert (await client.get("/v1/admin/calendars", headers=admin_headers())).json() == [2026]
    records = await read_topic(infra.kafka_bootstrap, settings.topics.reference)
    year = next(v for v in values(records) if v.get("kind") == "calendar_year")
    assert (year["year"], year["days"]) == (2026, 25)
    assert year["source"].startswith("SKB Menteri Agama")
    closed = await client.post(
        "/v1/admin/days/close", headers=admin_headers(), json={"dates": ["2026-03-02"]}
    )
    assert closed.status_code == 200, closed.text


async def test_a_schedule_change_is_published_with_the_schedules_before_it(
    intake: Any, infra: Infra
) -> None:
    """Issue 15 item 4: the compacted topic keeps only an employee's latest record, so the
    record carries the schedules before; an unknown schedule is refused at upload."""
    client, settings = intake
    row = {"nip": STAFF, "name": "Budi", "unit_code": "DUKCAPIL", "position": "Pelaksana"}
    for body in (row, {**row, "schedule": "shift_malam", "schedule_since": "2026-11-02"}):
        r = await client.post("/v1/admin/employees", headers=admin_headers(), json=[body])
        assert r.status_code == 200, r.text
    refused = await client.post(
        "/v1/admin/employees", headers=admin_headers(), json=[{**row, "schedule": "malam"}]
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "schedule"
    records = await read_topic(infra.kafka_bootstrap, settings.topics.reference)
    latest = [v for v in values(records) if v.get("nip") == STAFF][-1]
    assert (latest["schedule"], latest["schedule_since"]) == ("shift_malam", "2026-11-02")
    assert latest["schedule_history"] == [{"since": None, "schedule": "standar"}]


async def test_the_tanjungbalai_sample_files_load_cleanly(intake: Any) -> None:
    client, _ = intake
    for name, path in (
        ("units", "units.json"),
        ("devices", "devices.json"),
        ("calendars", "calendar-2026.json"),
    ):
        r = await client.post(
            f"/v1/admin/{name}",
            content=(SAMPLES / path).read_bytes(),
            headers={**admin_headers(), "content-type": "application/json"},
        )
        assert r.status_code == 200, (name, r.text)
    # The heads and heads of division come first; 300 rows keep the test quick on FerretDB.
    lines = (SAMPLES / "employees.csv").read_text().splitlines()
    assert len(lines) > 4000
    r = await client.post(
        "/v1/admin/employees",
        content="\n".join(lines[:301]).encode(),
        headers={**admin_headers(), "content-type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 300

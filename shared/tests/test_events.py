from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from kinerja_shared.events import (
    DIALOGUE_EVENT_ADAPTER,
    DIALOGUE_EVENT_TYPES,
    TOPIC_OF_TYPE,
    AttendanceExcusedEvent,
    AttendanceRecordedEvent,
    ServiceRatedEvent,
    TargetProgressedEvent,
    encode_event,
    parse_event,
)
from kinerja_shared.topics import ATTENDANCE, SERVICE_QUALITY, TARGET_PROGRESS, Topics

BASE: dict[str, Any] = {
    "event_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "schema_version": 1,
    "occurred_at": "2026-11-02T07:21:05+07:00",
    "nip": "198609262015051001",
    "source": {"kind": "device", "id": "TBL00000001"},
}

PAYLOADS: dict[str, dict[str, Any]] = {
    "attendance.recorded": {"direction": "in", "method": "fingerprint", "device_sn": "TBL1"},
    "attendance.excused": {
        "date_from": "2026-11-03",
        "date_to": "2026-11-05",
        "reason": "sakit",
        "reference": "800/12/BKD/2026",
    },
    "service.rated": {
        "unit_code": "DUKCAPIL",
        "desk_id": "LOKET-2",
        "service": "KTP-el",
        "ratings": {"U1": 4, "U2": 3, "U9": 4},
    },
    "target.progressed": {
        "skp_id": "SKP-2026-001",
        "indicator_id": "IKI-1",
        "indicator": "Dokumen kependudukan terbit tepat waktu",
        "period": 2026,
        "target": 1200,
        "realized": 640.5,
        "unit": "dokumen",
    },
}


def ev(type_: str, **over: Any) -> dict[str, Any]:
    return {**BASE, "type": type_, "payload": PAYLOADS[type_], **over}


@pytest.mark.parametrize(
    ("type_", "cls", "topic"),
    [
        ("attendance.recorded", AttendanceRecordedEvent, ATTENDANCE),
        ("attendance.excused", AttendanceExcusedEvent, ATTENDANCE),
        ("service.rated", ServiceRatedEvent, SERVICE_QUALITY),
        ("target.progressed", TargetProgressedEvent, TARGET_PROGRESS),
    ],
)
def test_every_type_parses_round_trips_and_has_a_topic(type_: str, cls: type, topic: str) -> None:
    event = parse_event(ev(type_))
    assert isinstance(event, cls)
    assert TOPIC_OF_TYPE[type_] == topic
    again = parse_event(encode_event(event))
    assert again == event
    assert json.loads(encode_event(event))["occurred_at"] == "2026-11-02T07:21:05+07:00"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"event_id": "not-an-id"}, "event_id"),
        ({"occurred_at": "2026-11-02T07:21:05"}, "occurred_at"),  # no offset
        ({"nip": "198609262015051000"}, "nip"),
        ({"schema_version": 2}, "schema_version"),
        ({"source": {"kind": "satellite", "id": "x"}}, "source.kind"),
        ({"source": {"kind": "device", "id": "has space"}}, "source.id"),
        ({"surprise": 1}, "surprise"),  # unknown fields are refused
        ({"payload": {**PAYLOADS["attendance.recorded"], "direction": "up"}}, "payload.direction"),
        (
            {"payload": {**PAYLOADS["attendance.recorded"], "device_sn": "x" * 65}},
            "payload.device_sn",
        ),
    ],
)
def test_invalid_envelopes_name_the_field(over: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_event(ev("attendance.recorded", **over))
    locs = {".".join(str(p) for p in e["loc"][1:]) for e in info.value.errors()}
    assert field in locs


@pytest.mark.parametrize(
    "ratings",
    [{"U1": 5}, {"U1": 0}, {}, {"U10": 3}, {"overall": 4, "U1": 4}],
)
def test_skm_ratings_are_bounded(ratings: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        parse_event(ev("service.rated", payload={**PAYLOADS["service.rated"], "ratings": ratings}))


def test_one_button_kiosk_rating_is_accepted() -> None:
    event = parse_event(
        ev("service.rated", payload={**PAYLOADS["service.rated"], "ratings": {"overall": 3}})
    )
    assert isinstance(event, ServiceRatedEvent)


def test_excuse_range_must_run_forward() -> None:
    with pytest.raises(ValidationError, match="date_to is before date_from"):
        parse_event(
            ev(
                "attendance.excused",
                payload={**PAYLOADS["attendance.excused"], "date_to": "2026-11-01"},
            )
        )


@pytest.mark.parametrize(
    ("over", "error"),
    [
        ({"part": "datang_terlambat", "time": "10:00"}, None),
        ({"part": "pulang_cepat"}, None),
        (
            {"part": "datang_terlambat", "date_to": "2026-11-04"},
            "a partial-day permission covers one day",
        ),
        ({"time": "10:00"}, "time belongs to a partial-day permission"),
        ({"part": "setengah_hari"}, "part"),
    ],
)
def test_partial_day_permissions_cover_one_day(over: dict[str, Any], error: str | None) -> None:
    payload = {**PAYLOADS["attendance.excused"], "date_to": "2026-11-03", **over}
    if error is None:
        event = parse_event(ev("attendance.excused", payload=payload))
        assert isinstance(event, AttendanceExcusedEvent)
        assert event.payload.part.value == over["part"]
    else:
        with pytest.raises(ValidationError, match=error):
            parse_event(ev("attendance.excused", payload=payload))


def test_ulids_are_accepted_and_normalised() -> None:
    event = parse_event(ev("attendance.recorded", event_id="01hv9m3x4q2k8n7p6r5s4t3v2w"))
    assert event.event_id == "01HV9M3X4Q2K8N7P6R5S4T3V2W"


def test_topic_prefix_isolates_environments() -> None:
    assert Topics("t1.").attendance == "t1.kinerja.attendance.v1"
    assert len(Topics().all()) == 8


def _dialogue(**payload: object) -> dict[str, object]:
    return {
        "event_id": "0b9f8f9e-3c55-4b8e-9a55-000000000001",
        "type": "feedback.replied",
        "occurred_at": "2026-11-23T09:00:00+07:00",
        "nip": "199001012015011001",
        "source": {"kind": "system", "id": "feedback"},
        "payload": {
            "thread_id": "thr-1",
            "period": "2026-11",
            "category": "pelayanan",
            "author_nip": "199001012015011001",
            "supervisor_nip": "198505052010012002",
            **payload,
        },
    }


def test_dialogue_events_parse_and_refuse_what_they_should() -> None:
    event = DIALOGUE_EVENT_ADAPTER.validate_python(_dialogue(excerpt="Terima kasih"))
    assert event.type in DIALOGUE_EVENT_TYPES
    assert event.payload.supervisor_nip == "198505052010012002"
    for bad in ({"period": "2026-13"}, {"excerpt": "x" * 281}, {"author_nip": "123"}):
        with pytest.raises(ValidationError):
            DIALOGUE_EVENT_ADAPTER.validate_python(_dialogue(**bad))

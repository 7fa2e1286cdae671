from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from intake.domain import triage

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def item(event_id: str, **over: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "attendance.recorded",
        "occurred_at": "2026-11-02T07:21:05+07:00",
        "nip": "198609262015051001",
        "source": {"kind": "device", "id": "TBL1"},
        "payload": {"direction": "in", "method": "pin", "device_sn": "TBL1"},
        **over,
    }


ID1 = "0f8fad5b-d9cb-469f-a165-70867728950e"
ID2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def test_valid_items_are_stamped_and_invalid_ones_explained() -> None:
    out = triage([item(ID1), item(ID2, nip="42"), [1], item(ID1)], NOW, "trace-1")
    assert [r.status for r in out.results] == ["accepted", "rejected", "rejected", "duplicate"]
    assert out.rejected_count == 2
    (accepted,) = out.accepted
    assert accepted.received_at == NOW
    assert accepted.trace_id == "trace-1"
    assert out.results[1].event_id == ID2
    assert [(e.field, e.reason[:24]) for e in out.results[1].errors] == [
        ("nip", "Value error, NIP must be")
    ]
    assert out.results[2].errors[0].field == "(item)"


def test_client_supplied_reception_stamp_is_replaced() -> None:
    out = triage([item(ID1, received_at="2020-01-01T00:00:00Z", trace_id="forged")], NOW, "t2")
    assert out.accepted[0].received_at == NOW
    assert out.accepted[0].trace_id == "t2"


def test_unknown_type_is_rejected_on_the_type_field() -> None:
    out = triage([item(ID1, type="attendance.teleported")], NOW, "t")
    assert out.results[0].errors[0].field == "type"
    assert "attendance.teleported" in out.results[0].errors[0].reason


def test_missing_type_is_reported_on_the_type_field() -> None:
    bad = item(ID1)
    del bad["type"]
    out = triage([bad], NOW, "t")
    assert [e.field for e in out.results[0].errors] == ["type"]

"""An administrator voids a punch (``attendance.voided``): the day is read without it, whatever
the order of the punch, its void and their redeliveries; the correction stays in the facts.

The fake store applies the very update ``scoring.store`` sends, operator by operator, as MongoDB
does; the real store runs the same path in tests/test_e2e_attendance.py."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kinerja_shared.dlq import DlqReason
from kinerja_shared.events import AttendanceRecordedEvent, AttendanceVoidedEvent, parse_event
from kinerja_shared.identity import Principal, Role
from scoring.consumer import classify
from scoring.days import Days
from scoring.domain import punch_of
from scoring.domain.explain import penjelasan
from scoring.domain.facts import DayPunches, Deltas, day_punches, year_facts
from scoring.domain.projection import CalendarView, EmployeeRef, periods_to_project, project
from scoring.policy_file import load_policy
from scoring.reads import Refused
from scoring.store import facts_update

WIB = ZoneInfo("Asia/Jakarta")
NIP = "198609262015051001"
ADMIN = "197001011990031001"
DAY = date(2026, 11, 2)
NOW = datetime(2026, 11, 29, tzinfo=UTC)
POLICY = load_policy(None)


def punch(n: int, at: str, direction: str = "in") -> AttendanceRecordedEvent:
    e = parse_event(
        {
            "event_id": f"00000000-0000-4000-8000-{n:012d}",
            "type": "attendance.recorded",
            "occurred_at": at,
            "nip": NIP,
            "source": {"kind": "device", "id": "TBL1"},
            "payload": {"direction": direction, "method": "face", "device_sn": "TBL1"},
        }
    )
    assert isinstance(e, AttendanceRecordedEvent)
    return e


def void(of: AttendanceRecordedEvent, n: int = 900) -> AttendanceVoidedEvent:
    return AttendanceVoidedEvent.model_validate(
        {
            "event_id": f"00000000-0000-4000-9000-{n:012d}",
            "type": "attendance.voided",
            "occurred_at": "2026-11-05T10:00:00+07:00",
            "nip": NIP,
            "source": {"kind": "system", "id": "kinerja-admin"},
            "payload": {
                "voided_event_id": of.event_id,
                "punch_at": of.occurred_at.isoformat(),
                "reason": "Presensi dengan PIN pegawai lain (laporan atasan 4 Nov)",
                "voided_by": ADMIN,
            },
        }
    )


def mongo_apply(doc: dict[str, Any], update: Mapping[str, Any]) -> None:
    """$min, $max, $set and $addToSet on dotted paths, as MongoDB applies them."""
    for op, fields in update.items():
        for path, value in fields.items():
            *parents, leaf = path.split(".")
            node = doc
            for part in parents:
                node = node.setdefault(part, {})
            if op == "$set":
                node[leaf] = value
            elif op == "$min":
                node[leaf] = min(node.get(leaf, value), value)
            elif op == "$max":
                node[leaf] = max(node.get(leaf, value), value)
            elif op == "$addToSet":
                node[leaf] = sorted({*node.get(leaf, ()), *value["$each"]})
            elif op == "$setOnInsert" and not doc.get("_inserted"):
                node[leaf] = value
        doc["_inserted"] = True


def stored(batches: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """The month's document after each batch was folded and written."""
    doc: dict[str, Any] = {}
    for batch in batches:
        deltas = Deltas(WIB)
        for e in batch:
            if isinstance(e, AttendanceVoidedEvent):
                deltas.void(e)
            else:
                deltas.punch(punch_of(e, WIB))
        for d in deltas.result():
            mongo_apply(doc, facts_update(d, NOW))
    return doc


EARLY = punch(1, "2026-11-02T06:10:00+07:00")  # somebody else's finger, before dawn
ON_TIME = punch(2, "2026-11-02T07:25:00+07:00")
LEAVING = punch(3, "2026-11-02T16:05:00+07:00", "out")
EITHER = punch(4, "2026-11-02T16:40:00+07:00", "unknown")


def test_a_voided_check_in_gives_way_to_the_next() -> None:
    day = year_facts(stored([[EARLY, ON_TIME, LEAVING], [void(EARLY)]]), NIP, 2026).days[DAY]
    assert day.first_in == datetime(2026, 11, 2, 7, 25, tzinfo=WIB)
    assert day.last_out == datetime(2026, 11, 2, 16, 5, tzinfo=WIB)
    assert day.voided == (EARLY.event_id,)
    assert EARLY.event_id in day.event_ids  # still evidence: the page says it was voided


def test_the_order_of_punches_voids_and_redeliveries_changes_nothing() -> None:
    events: list[Any] = [EARLY, ON_TIME, LEAVING, EITHER, void(EARLY), void(EITHER, 901)]
    expected = year_facts(stored([events]), NIP, 2026).days[DAY]
    assert expected.first_in == datetime(2026, 11, 2, 7, 25, tzinfo=WIB)
    assert expected.last_out == datetime(2026, 11, 2, 16, 5, tzinfo=WIB)
    for order in itertools.islice(itertools.permutations(events), 0, None, 37):
        one_by_one = stored([[e] for e in (*order, order[0], order[-1])])
        assert year_facts(one_by_one, NIP, 2026).days[DAY] == expected


def test_voiding_every_punch_leaves_no_record_of_the_day() -> None:
    day = year_facts(stored([[EARLY], [void(EARLY)]]), NIP, 2026).days[DAY]
    assert (day.first_in, day.last_out, day.last_in, day.first_out) == (None, None, None, None)


def test_a_punch_recorded_before_days_kept_punches_cannot_be_voided_and_stays() -> None:
    legacy_in = datetime(2026, 11, 2, 6, 55, tzinfo=WIB)
    doc = stored([[ON_TIME, LEAVING], [void(ON_TIME)]])
    doc["days"]["1102"]["i"] = legacy_in  # as an older version stored it, with no id kept
    day = year_facts(doc, NIP, 2026).days[DAY]
    assert day.first_in == legacy_in


def test_the_correction_is_kept_with_who_and_why() -> None:
    facts = year_facts(stored([[EARLY], [void(EARLY)], [void(EARLY)]]), NIP, 2026)
    (correction,) = facts.voids  # the same void redelivered is one correction
    assert correction["voided_event_id"] == EARLY.event_id
    assert correction["voided_by"] == ADMIN
    assert correction["day"] == "2026-11-02"
    assert "PIN pegawai lain" in correction["reason"]
    assert facts.events_in(["2026-11"]) == 1


def test_scoring_decodes_a_void_and_intakes_event_union_refuses_it() -> None:
    wire = void(EARLY).model_dump_json().encode()
    event, reason, _ = classify(wire)
    assert reason is None
    assert isinstance(event, AttendanceVoidedEvent)
    with pytest.raises(ValueError, match=r"'attendance\.voided'"):
        parse_event(wire)


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("reason", "salah", "at least 10 characters"),
        ("voided_event_id", "not-an-id", "UUID or a ULID"),
        ("punch_at", "2026-11-02T06:10:00", "timezone"),
    ],
)
def test_a_void_without_its_facts_goes_to_the_dlq(field: str, value: str, problem: str) -> None:
    raw = void(EARLY).model_dump(mode="json")
    raw["payload"][field] = value
    event, reason, detail = classify(json.dumps(raw).encode())
    assert event is None
    assert reason is DlqReason.INVALID
    assert problem in detail


def test_the_evaluation_judges_the_day_without_the_void_and_says_so() -> None:
    """An early punch under the employee's PIN made 2 November look on time; voided, the day
    is late (07.40 after 07.30) and the evaluation says which punch left and why."""
    late = punch(5, "2026-11-02T07:40:00+07:00")
    leaving = punch(6, "2026-11-02T16:30:00+07:00", "out")
    facts = year_facts(stored([[EARLY, late, leaving], [void(EARLY)]]), NIP, 2026)
    today = date(2026, 11, 20)
    employee = EmployeeRef(NIP, True, "Siti", "Pelaksana", "DUKCAPIL", ADMIN)
    calendar = CalendarView(frozenset(), frozenset({DAY}))
    periods = periods_to_project(["2026-11"], today)
    month = project({2026: facts}, employee, calendar, periods, POLICY, WIB, today)
    doc = month.evaluations["2026-11"]
    assert doc["attendance"]["tl_psw_days"] == 1
    assert doc["attendance"]["late_minutes"] == 10
    (correction,) = doc["corrections"]
    assert correction["punch_at"] == EARLY.occurred_at.isoformat()
    sentence = penjelasan(doc, POLICY)["koreksi"]
    assert "2 November 2026 pukul 06.10 WIB dibatalkan" in sentence
    assert "PIN pegawai lain" in sentence
    assert month.evaluations["2026"]["corrections"] == [correction]  # the year shows it too


def test_the_day_lists_every_punch_in_time_order_and_which_was_voided() -> None:
    kept = day_punches(stored([[LEAVING, EARLY, ON_TIME, EITHER], [void(EARLY)]]), DAY)
    assert [(p.event_id, p.direction, p.voided) for p in kept.punches] == [
        (EARLY.event_id, "in", True),
        (ON_TIME.event_id, "in", False),
        (LEAVING.event_id, "out", False),
        (EITHER.event_id, "unknown", False),
    ]
    (correction,) = kept.corrections
    assert correction["voided_event_id"] == EARLY.event_id
    assert day_punches(None, DAY).punches == ()


class Kept:
    async def day(self, nip: str, day: date) -> DayPunches:
        return day_punches(stored([[EARLY]]), day)


class Chart:
    async def chain_above(self, nip: str) -> list[str]:
        return [ADMIN]  # the employee's supervisor, for this test


@pytest.mark.parametrize(
    ("reader", "roles", "allowed"),
    [
        (NIP, {Role.EMPLOYEE}, True),
        (ADMIN, {Role.SUPERVISOR}, True),
        ("199202022016012005", {Role.EMPLOYEE}, False),
        ("199202022016012005", {Role.ADMIN}, True),
    ],
)
def test_a_day_is_read_by_whoever_reads_the_evaluation(
    reader: str, roles: set[str], allowed: bool
) -> None:
    days = Days(Kept(), Chart())
    who = Principal(sub=reader, roles=frozenset(roles))
    if allowed:
        assert asyncio.run(days.day(who, NIP, DAY)).punches[0].event_id == EARLY.event_id
    else:
        with pytest.raises(Refused):
            asyncio.run(days.day(who, NIP, DAY))

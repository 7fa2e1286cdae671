from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.adms import handshake, parse_attlog
from intake.domain import SeenEvents, TimeWindow, triage
from intake.keys import KeyGrant, new_key, split_key
from intake.reference_import import read_employee_csv, validate_employees, with_schedule_history
from kinerja_shared.events import AttendanceMethod, Direction, parse_event
from kinerja_shared.reference import Employee, ScheduleSince

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "direction", "method", "local"),
    [
        (
            "1001\t2026-11-02 07:21:05\t0\t1\t0\t0\t0",
            Direction.IN,
            AttendanceMethod.FINGERPRINT,
            "07:21:05",
        ),
        ("1001\t2026-11-02 16:05:44\t1\t15", Direction.OUT, AttendanceMethod.FACE, "16:05:44"),
        ("7\t2026-11-02 12:00:00\t2\t2", Direction.OUT, AttendanceMethod.CARD, "12:00:00"),
        ("7\t2026-11-02 13:00:00\t3\t0", Direction.IN, AttendanceMethod.PIN, "13:00:00"),
        (
            "7\t2026-11-02 18:00:00\t255\t99",
            Direction.UNKNOWN,
            AttendanceMethod.FINGERPRINT,
            "18:00:00",
        ),
        ("7\t2026-11-02 18:00:00", Direction.UNKNOWN, AttendanceMethod.FINGERPRINT, "18:00:00"),
    ],
)
def test_attlog_lines(
    line: str, direction: Direction, method: AttendanceMethod, local: str
) -> None:
    (good,), bad = parse_attlog(line + "\r\n", WIB)
    assert bad == []
    assert good.direction is direction
    assert good.method is method
    assert good.at.strftime("%H:%M:%S") == local
    assert good.at.utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("garbage", "tab-separated"),
        ("12a\t2026-11-02 07:00:00", "PIN"),
        ("1\t2026-13-02 07:00:00", "YYYY-MM-DD"),
        ("1234567890\t2026-11-02 07:00:00", "PIN"),
    ],
)
def test_bad_attlog_lines_say_why(line: str, reason: str) -> None:
    good, (bad,) = parse_attlog(f"1\t2026-11-02 07:00:00\n{line}\n", WIB)
    assert len(good) == 1
    assert bad.line == 2
    assert bad.raw == line
    assert reason in bad.reason


def test_device_time_zone_and_stable_event_ids() -> None:
    (wita,), _ = parse_attlog("1\t2026-11-02 08:00:00\t0\t1", WITA)
    (wib,), _ = parse_attlog("1\t2026-11-02 08:00:00\t0\t1", WIB)
    assert (wib.at - wita.at) == timedelta(hours=1)
    assert wib.event_id("SN1") == parse_attlog("1\t2026-11-02 08:00:00\t0\t1", WIB)[0][0].event_id(
        "SN1"
    )
    assert wib.event_id("SN1") != wib.event_id("SN2")


def test_handshake_block() -> None:
    text = handshake("SN9", 7)
    assert text.startswith("GET OPTION FROM: SN9\n")
    assert "TimeZone=7\n" in text


def test_seen_events_expire_by_time_and_capacity() -> None:
    seen = SeenEvents(timedelta(hours=1), capacity=3)
    seen.add(["a", "b"], NOW)
    assert seen.seen("a", NOW + timedelta(minutes=59))
    assert not seen.seen("a", NOW + timedelta(minutes=61))
    seen.add(["c", "d", "e", "f"], NOW)
    assert len(seen) == 3
    assert not seen.seen("c", NOW)
    assert seen.seen("f", NOW)


@pytest.mark.parametrize(
    ("offset", "refused"),
    [
        (timedelta(minutes=9), None),
        (timedelta(minutes=11), "future"),
        (-timedelta(days=34), None),
        (-timedelta(days=36), "grace"),
    ],
)
def test_time_window(offset: timedelta, refused: str | None) -> None:
    why = TimeWindow().refusal(NOW + offset, NOW)
    assert (why is None) if refused is None else (refused in (why or ""))


def test_keys_are_hashed_and_scoped() -> None:
    key_id, plaintext, secret_hash = new_key()
    parts = split_key(plaintext)
    assert parts is not None
    assert parts[0] == key_id
    assert secret_hash not in plaintext
    grant = KeyGrant(
        key_id,
        "desk",
        "LOKET-1",
        frozenset({"service.rated"}),
        frozenset({"DUKCAPIL"}),
        None,
        secret_hash,
        True,
        60,
    )
    assert grant.matches(parts[1])
    assert not grant.matches(parts[1] + "x")
    rated = parse_event(
        {
            "event_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
            "type": "service.rated",
            "occurred_at": "2026-11-02T09:00:00+07:00",
            "nip": "198609262015051001",
            "source": {"kind": "desk", "id": "LOKET-1"},
            "payload": {
                "unit_code": "DISDIK",
                "desk_id": "L1",
                "service": "x",
                "ratings": {"overall": 4},
            },
        }
    )
    assert grant.refusal(rated, None) == "this key may not send for unit DISDIK"
    assert split_key("kj_only") is None


DESK_KEY = KeyGrant(
    "k1", "desk", "DUKCAPIL-LOKET-1", frozenset({"service.rated"}), frozenset({"DUKCAPIL"}),
    None, "h", True, 60,
)  # fmt: skip


def rating(desk: str, unit: str) -> Any:
    return parse_event(
        {
            "event_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
            "type": "service.rated",
            "occurred_at": "2026-11-02T09:00:00+07:00",
            "nip": "198609262015051001",
            "source": {"kind": "desk", "id": desk},
            "payload": {
                "unit_code": unit,
                "desk_id": "L1",
                "service": "x",
                "ratings": {"overall": 4},
            },
        }
    )


@pytest.mark.parametrize(
    ("desk", "payload_unit", "nip_unit", "refused"),
    [
        ("DUKCAPIL-LOKET-1", "DUKCAPIL", "DUKCAPIL", None),  # its own desk, its own unit's staff
        ("DUKCAPIL-LOKET-2", "DUKCAPIL", "DUKCAPIL", "belongs to desk DUKCAPIL-LOKET-1"),
        # Another agency's employee, the payload naming the desk's unit: refused by the NIP's.
        ("DUKCAPIL-LOKET-1", "DUKCAPIL", "DISDIK", "works in unit DISDIK, not DUKCAPIL"),
        ("DUKCAPIL-LOKET-1", "DISDIK", "DISDIK", "may not send for unit DISDIK"),
        ("DUKCAPIL-LOKET-1", "DUKCAPIL", None, None),  # not registered (yet): the payload's unit
    ],
)
def test_a_desk_key_rates_only_its_own_units_staff_from_its_own_desk(
    desk: str, payload_unit: str, nip_unit: str | None, refused: str | None
) -> None:
    why = DESK_KEY.refusal(rating(desk, payload_unit), nip_unit)
    assert (why is None) if refused is None else (refused in (why or ""))


HEAD, STAFF, OTHER = "197501012000031001", "198609262015051001", "199001152015032002"


@pytest.mark.parametrize(
    ("rows", "existing", "expected"),
    [
        (
            [
                {
                    "nip": STAFF,
                    "name": "a",
                    "unit_code": "U",
                    "position": "p",
                    "supervisor_nip": HEAD,
                }
            ],
            {HEAD: None},
            [],
        ),
        (
            [
                {
                    "nip": STAFF,
                    "name": "a",
                    "unit_code": "U",
                    "position": "p",
                    "supervisor_nip": STAFF,
                }
            ],
            {},
            [(1, "supervisor_nip")],
        ),
        (
            [
                {
                    "nip": STAFF,
                    "name": "a",
                    "unit_code": "U",
                    "position": "p",
                    "supervisor_nip": OTHER,
                }
            ],
            {OTHER: STAFF},
            [(1, "supervisor_nip")],
        ),  # loop via store
        (
            [
                {
                    "nip": STAFF,
                    "name": "a",
                    "unit_code": "U",
                    "position": "p",
                    "device_pins": ["1"],
                },
                {
                    "nip": OTHER,
                    "name": "b",
                    "unit_code": "U",
                    "position": "p",
                    "device_pins": ["1"],
                },
            ],
            {},
            [(2, "device_pins")],
        ),
        ([{"nip": STAFF, "name": "a", "unit_code": "V", "position": "p"}], {}, [(1, "unit_code")]),
        (
            [{"nip": STAFF, "name": "a", "unit_code": "U", "position": "p", "email": "x"}],
            {},
            [(1, "email")],
        ),
    ],
)
def test_employee_validation(
    rows: list[dict[str, Any]], existing: dict[str, str | None], expected: list[tuple[int, str]]
) -> None:
    _, errors = validate_employees(enumerate(rows, start=1), {"U"}, existing)
    assert [(e.line, e.field) for e in errors] == expected


def test_an_unknown_schedule_is_refused_with_the_known_ones() -> None:
    row = {"nip": STAFF, "name": "a", "unit_code": "U", "position": "p", "schedule": "shift"}
    _, errors = validate_employees([(1, row)], {"U"}, {}, ("standar", "shift_malam"))
    assert [(e.line, e.field, e.reason) for e in errors] == [
        (1, "schedule", "unknown schedule 'shift'; known: standar, shift_malam")
    ]


def _emp(schedule: str, since: date | None = None, **over: Any) -> Employee:
    return Employee(
        nip=STAFF,
        name="a",
        unit_code="U",
        position="p",
        schedule=schedule,
        schedule_since=since,
        **over,
    )


TODAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("new", "stored", "since", "history"),
    [
        (_emp("standar"), None, None, []),  # new: its schedule holds for every day
        (_emp("standar"), _emp("standar", date(2026, 1, 5)), date(2026, 1, 5), []),  # unchanged
        # Changed: the new one starts today, the old one joins the history with its dates.
        (
            _emp("shift_malam"),
            _emp("standar", date(2026, 1, 5)),
            TODAY,
            [(date(2026, 1, 5), "standar")],
        ),
        # The upload may say when it started.
        (
            _emp("shift_malam", date(2026, 11, 2)),
            _emp("standar"),
            date(2026, 11, 2),
            [(None, "standar")],
        ),
        # Back again: the history grows, oldest first.
        (
            _emp("standar"),
            _emp(
                "shift_malam",
                date(2026, 11, 2),
                schedule_history=(ScheduleSince(since=None, schedule="standar"),),
            ),
            TODAY,
            [(None, "standar"), (date(2026, 11, 2), "shift_malam")],
        ),
    ],
)
def test_a_schedule_change_keeps_the_past_schedules(
    new: Employee,
    stored: Employee | None,
    since: date | None,
    history: list[tuple[date | None, str]],
) -> None:
    merged = with_schedule_history(new, stored, TODAY)
    assert merged.schedule_since == since
    assert [(h.since, h.schedule) for h in merged.schedule_history] == history


def test_csv_cells_and_pins() -> None:
    rows, errors = read_employee_csv(
        "\ufeffnip,name,unit_code,position,device_pins\n"[1:] + f"{STAFF},A,U,P,1; 2 3\n"
    )
    assert errors == []
    assert rows == [
        (
            2,
            {
                "nip": STAFF,
                "name": "A",
                "unit_code": "U",
                "position": "P",
                "device_pins": ["1", "2", "3"],
            },
        )
    ]
    _, errors = read_employee_csv(f"nip,name,unit_code,position\n{STAFF},A,U,P,extra\n")
    assert [(e.line, e.field) for e in errors] == [(2, "(row)")]


# --- fuzz: whatever arrives, the parsers answer with results, never an exception --------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=6)
    ),
    max_leaves=20,
)
event_like = st.fixed_dictionaries(
    {
        "event_id": st.text(max_size=40) | st.uuids().map(str),
        "type": st.sampled_from(["attendance.recorded", "service.rated", "x"]),
        "occurred_at": st.text(max_size=30)
        | st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
        "nip": st.text(alphabet="0123456789", min_size=17, max_size=19),
        "source": json_values,
        "payload": json_values,
    },
    optional={"schema_version": json_values, "extra": json_values},
)


@settings(max_examples=300, deadline=None)
@given(st.lists(event_like | json_values, max_size=5))
def test_triage_never_raises(items: list[Any]) -> None:
    outcome = triage(items, NOW, "t")
    assert len(outcome.results) == len(items)
    assert all(r.status in ("accepted", "rejected", "duplicate") for r in outcome.results)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_attlog_parser_never_raises(body: str) -> None:
    good, bad = parse_attlog(body, WIB)
    assert len(good) + len(bad) <= body.count("\n") + body.count("\r") + 1

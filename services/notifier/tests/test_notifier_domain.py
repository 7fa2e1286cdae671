"""The notifier's rules, table-driven, without I/O."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from notifier.domain.model import Channel, Notice, Person, Recipient
from notifier.domain.planning import plan
from notifier.domain.policy import (
    Silence,
    add_working_days,
    backoff_s,
    inhibition_sources,
    inhibition_targets,
    retry_after_s,
    silenced_by,
)
from notifier.domain.recipients import chain_above, escalation_target, recipients_for, unit_head
from notifier.domain.routing import (
    InhibitRule,
    Matcher,
    RoutingConfig,
    Timers,
    deliverable_from,
    flush_due_at,
    matching_routes,
)
from notifier.routing_file import RoutingFileError, load_routing

WIB = ZoneInfo("Asia/Jakarta")
STAFF, KABID, KEPALA, SEKDA = (
    "199001012015011001",
    "198505052010012002",
    "197803032005011003",
    "197001012000011004",
)
PEOPLE = {
    STAFF: Person(STAFF, "Staf", "DISDIK", KABID, "staf@example.go.id"),
    KABID: Person(KABID, "Kabid", "DISDIK", KEPALA, "kabid@example.go.id"),
    KEPALA: Person(KEPALA, "Kepala Dinas", "DISDIK", SEKDA, None),
    SEKDA: Person(SEKDA, "Sekda", "SETDA", None, "sekda@example.go.id"),
}
BKD = {"bkd": [Recipient("role:bkd", "BKD", "bkd@example.go.id")]}
CONFIG = load_routing()


def notice(type_: str, **kw: str) -> Notice:
    base = {"id": f"{type_}:1", "type": type_, "nip": STAFF, "period": "2026-11", "title": "t"}
    return Notice(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ('type="coaching.needed"', {"type": "coaching.needed"}, True),
        ('type="coaching.needed"', {"type": "recognition.earned"}, False),
        ('type!="coaching.needed"', {"type": "recognition.earned"}, True),
        ('level=~"sedang|berat"', {"level": "berat"}, True),
        ('level=~"sedang|berat"', {"level": "ringan"}, False),
        ('level=~"sedang|berat"', {"level": "beratx"}, False),  # full match, as Alertmanager
        ('unit!~"DIS.*"', {"unit": "DISDIK"}, False),
        ('unit="DISDIK"', {}, False),
    ],
)
def test_matchers(text: str, labels: dict[str, str], expected: bool) -> None:
    assert Matcher.model_validate(text).matches(labels) is expected


@pytest.mark.parametrize(
    ("labels", "routes"),
    [
        ({"type": "discipline.threshold_crossed", "level": "berat"}, [0]),
        ({"type": "discipline.threshold_crossed", "level": "ringan"}, [1]),
        ({"type": "coaching.needed"}, [2]),
        ({"type": "recognition.earned"}, [3]),
        ({"type": "feedback.objection_filed"}, [4]),  # reminded until the reviewer decides
        ({"type": "feedback.objection_decided"}, [5]),
        ({"type": "feedback.replied"}, [5]),
        ({"type": "something.else"}, []),
    ],
)
def test_first_matching_route_decides(labels: dict[str, str], routes: list[int]) -> None:
    assert matching_routes(CONFIG, labels) == routes


def test_continue_adds_later_routes() -> None:
    config = RoutingConfig.model_validate(
        {
            "version": "t",
            "receivers": [{"name": "a"}, {"name": "b"}],
            "routes": [
                {"match": ['type="x"'], "receiver": "a", "continue": True},
                {"match": [], "receiver": "b"},
            ],
        }
    )
    assert matching_routes(config, {"type": "x"}) == [0, 1]
    assert matching_routes(config, {"type": "y"}) == [1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version = 1\n", "receivers"),
        (
            'version = "x"\nreceivers = [{name="a"}]\nroutes = [{receiver="b"}]',
            "no receiver named 'b'",
        ),
        (
            'version = "x"\nreceivers = [{name="a", channels=["webhook"]}]\n'
            'routes = [{receiver="a"}]',
            "no webhook",
        ),
        (
            'version = "x"\nreceivers = [{name="a", active_time_intervals={email=["malam"]}}]\n'
            'routes = [{receiver="a"}]',
            "no time interval named 'malam'",
        ),
        (
            'version = "x"\nreceivers = [{name="a"}]\nroutes = [{receiver="a", match=["type=x"]}]',
            'label="value"',
        ),
        (
            'version = "x"\nreceivers = [{name="a"}]\n'
            'routes = [{receiver="a", match=[\'level=~"("\']}]',
            "bad regex",
        ),
        (
            'version = "x"\ntimezone = "Mars/Olympus"\n'
            'receivers = [{name="a"}]\nroutes = [{receiver="a"}]',
            "Mars",
        ),
        (
            'version = "x"\nreceivers = [{name="a"}]\nroutes = [{receiver="a"}]\n'
            '[defaults]\ngroup_by = ["colour"]',
            "colour",
        ),
        ("not toml at all [", "not valid TOML"),
    ],
)
def test_a_bad_routing_file_says_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "routing.toml"
    path.write_text(text)
    with pytest.raises(RoutingFileError, match=message.replace("(", r"\(")):
        load_routing(path)


def test_a_missing_routing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(RoutingFileError, match="cannot read"):
        load_routing(tmp_path / "absent.toml")


HOLIDAYS = frozenset({date(2026, 12, 25)})


@pytest.mark.parametrize(
    ("local", "open_", "next_open"),
    [
        (datetime(2026, 11, 23, 9, 0), True, datetime(2026, 11, 23, 9, 0)),  # Monday morning
        (datetime(2026, 11, 23, 6, 0), False, datetime(2026, 11, 23, 7, 30)),  # before work
        (datetime(2026, 11, 23, 16, 0), False, datetime(2026, 11, 24, 7, 30)),  # end is exclusive
        (datetime(2026, 11, 27, 16, 15), True, datetime(2026, 11, 27, 16, 15)),  # Friday till 16:30
        (datetime(2026, 11, 27, 17, 0), False, datetime(2026, 11, 30, 7, 30)),  # Friday evening
        (datetime(2026, 11, 28, 10, 0), False, datetime(2026, 11, 30, 7, 30)),  # Saturday
        (datetime(2026, 12, 24, 20, 0), False, datetime(2026, 12, 28, 7, 30)),  # Christmas skipped
    ],
)
def test_working_hours_in_wib(local: datetime, open_: bool, next_open: datetime) -> None:
    at = local.replace(tzinfo=WIB)
    receiver = CONFIG.receiver("pegawai")
    opens = deliverable_from(CONFIG, receiver, Channel.EMAIL, at, HOLIDAYS, urgent=False)
    assert (opens == at) is open_
    assert opens == next_open.replace(tzinfo=WIB)
    # The web channel and urgent routes are never held back.
    assert deliverable_from(CONFIG, receiver, Channel.WEB, at, HOLIDAYS, urgent=False) == at
    assert deliverable_from(CONFIG, receiver, Channel.EMAIL, at, HOLIDAYS, urgent=True) == at


T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TIMERS = Timers(group_wait=30, group_interval=300)


@pytest.mark.parametrize(
    ("first", "last", "due"),
    [
        (T0, None, T0 + timedelta(seconds=30)),  # a new group gathers for group_wait
        (T0, T0 - timedelta(seconds=100), T0 + timedelta(seconds=200)),  # then group_interval
        (T0, T0 - timedelta(seconds=1000), T0),  # long since the last: at once
    ],
)
def test_group_timing(first: datetime, last: datetime | None, due: datetime) -> None:
    assert flush_due_at(first, last, TIMERS) == due


def test_silences_mute_only_while_active_and_matching() -> None:
    s = Silence("s1", (Matcher.model_validate(f'nip="{STAFF}"'),), T0, T0 + timedelta(hours=1))
    labels = notice("coaching.needed").labels()
    assert silenced_by(labels, [s], T0) == "s1"
    assert silenced_by(labels, [s], T0 + timedelta(hours=1)) is None  # ended
    assert silenced_by(labels, [s], T0 - timedelta(seconds=1)) is None  # not yet
    assert silenced_by(notice("coaching.needed", nip=KABID).labels(), [s], T0) is None


def test_discipline_inhibits_coaching_of_the_same_employee_and_year() -> None:
    rules = CONFIG.inhibit_rules
    discipline = notice("discipline.threshold_crossed", id="d1", period="2026").labels()
    held = set(inhibition_sources(discipline, rules))
    assert held == {f"rule0|nip={STAFF}|year=2026"}

    def muted(labels: dict[str, str]) -> bool:
        return bool(held & set(inhibition_targets(labels, rules)))

    assert muted(notice("coaching.needed", period="2026-W47").labels())
    assert not muted(notice("coaching.needed", period="2027-W02").labels())  # another year
    assert not muted(notice("coaching.needed", nip=KABID).labels())  # another person
    assert not muted(discipline)  # discipline is no target
    assert inhibition_sources(notice("coaching.needed").labels(), rules) == []
    # A notice that is both a rule's source and its target never mutes itself.
    rule = InhibitRule.model_validate({"source": ['type=~".*"'], "target": ['type=~".*"']})
    assert inhibition_targets(notice("coaching.needed").labels(), [rule]) == []


@pytest.mark.parametrize(
    ("attempt", "retry_after", "low", "high"),
    [
        (1, None, 1.0, 2.0),
        (2, None, 2.0, 4.0),
        (5, None, 16.0, 32.0),
        (20, None, 300.0, 600.0),
        (1, 30.0, 30.0, 30.0),
        (1, 10_000.0, 600.0, 600.0),
    ],
)
def test_backoff_is_exponential_jittered_capped_and_honours_retry_after(
    attempt: int, retry_after: float | None, low: float, high: float
) -> None:
    rng = random.Random(7)
    for _ in range(50):
        assert low <= backoff_s(attempt, 2.0, 600.0, retry_after, rng) <= high


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), ("Mon, 23 Nov 2026 02:01:00 GMT", 60.0), ("soon", None), (None, None)],
)
def test_retry_after_header(header: str | None, seconds: float | None) -> None:
    assert retry_after_s(header, T0) == seconds


@pytest.mark.parametrize(
    ("start", "days", "end"),
    [
        (datetime(2026, 11, 23, 9), 3, datetime(2026, 11, 26, 9)),  # Mon → Thu
        (datetime(2026, 11, 26, 9), 3, datetime(2026, 12, 1, 9)),  # Thu → Tue over the weekend
        (datetime(2026, 12, 23, 9), 3, datetime(2026, 12, 29, 9)),  # Christmas is no working day
    ],
)
def test_escalation_counts_working_days(start: datetime, days: int, end: datetime) -> None:
    assert add_working_days(start.replace(tzinfo=WIB), days, HOLIDAYS) == end.replace(tzinfo=WIB)


@pytest.mark.parametrize(
    ("type_", "extra", "expected"),
    [
        ("coaching.needed", {}, [KABID]),
        ("discipline.threshold_crossed", {}, [KABID, KEPALA, "role:bkd"]),
        ("recognition.earned", {}, [STAFF, KABID]),
        ("feedback.posted", {"author_nip": KABID, "supervisor_nip": KABID}, [STAFF]),
        ("feedback.replied", {"author_nip": STAFF, "supervisor_nip": KABID}, [KABID]),
        ("feedback.acknowledged", {"author_nip": STAFF, "supervisor_nip": KABID}, [KABID]),
        ("coaching.needed", {"nip": SEKDA}, []),  # the top of the chain has no supervisor
    ],
)
def test_recipients_from_the_org_chart(
    type_: str, extra: dict[str, str], expected: list[str]
) -> None:
    found = recipients_for(notice(type_, **extra), PEOPLE.get, BKD)
    assert [r.id for r in found] == expected


def test_the_head_of_a_unit_is_the_top_of_the_chain_within_it() -> None:
    assert unit_head(STAFF, PEOPLE.get) == PEOPLE[KEPALA]
    assert unit_head(SEKDA, PEOPLE.get) == PEOPLE[SEKDA]
    assert [p.nip for p in chain_above(STAFF, PEOPLE.get, 2)] == [KABID, KEPALA]
    loop = {STAFF: Person(STAFF, "a", "X", KABID), KABID: Person(KABID, "b", "X", STAFF)}
    assert [p.nip for p in chain_above(STAFF, loop.get, 10)] == [KABID]  # cycle-safe


def test_escalation_goes_one_level_up_per_level() -> None:
    n = notice("coaching.needed")
    one = escalation_target(n, 1, PEOPLE.get)
    assert one is not None
    assert one.id == KEPALA
    two = escalation_target(n, 2, PEOPLE.get)
    assert two is not None
    assert two.id == SEKDA
    assert escalation_target(n, 3, PEOPLE.get) is None


def test_plan_names_what_cannot_be_delivered() -> None:
    deliveries, missing = plan(
        notice("discipline.threshold_crossed", level="sedang"), CONFIG, PEOPLE.get
    )
    pairs = {(d.recipient.id, d.channel.value) for d in deliveries}
    # The head of the unit has no e-mail: web only, and the plan says so.
    assert (KEPALA, "web") in pairs
    assert (KEPALA, "email") not in pairs
    assert [(m.recipient, m.channel) for m in missing] == [(KEPALA, "email")]
    # The BKD mailbox from the routing file gets e-mail, not the web stream.
    assert ("role:bkd", "email") in pairs
    assert ("role:bkd", "web") not in pairs
    _, none = plan(notice("coaching.needed", nip="199912312025011099"), CONFIG, PEOPLE.get)
    assert none[0].why.startswith("no recipient")
    _, off = plan(notice("coaching.needed"), CONFIG, PEOPLE.get, email_enabled=False)
    assert [m.why for m in off] == ["e-mail is not configured"]


def test_groups_separate_recipients_channels_and_group_by_labels() -> None:
    a, _ = plan(notice("coaching.needed", id="a"), CONFIG, PEOPLE.get)
    b, _ = plan(notice("coaching.needed", id="b", period="2026-W48"), CONFIG, PEOPLE.get)
    assert {d.group_key for d in a} == {d.group_key for d in b}  # group_by: type only
    assert len({d.group_key for d in a}) == 2  # web and e-mail


def test_a_recipient_who_turned_email_off_gets_the_web_only_and_the_plan_says_so() -> None:
    opted = {KABID: frozenset({Channel.EMAIL})}
    deliveries, missing = plan(notice("coaching.needed"), CONFIG, PEOPLE.get, opted_out=opted)
    assert {(d.recipient.id, d.channel.value) for d in deliveries} == {(KABID, "web")}
    assert [(m.recipient, m.channel, m.why) for m in missing] == [
        (KABID, "email", "turned off by the recipient")
    ]


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("sedang|berat", True),
        ("DISDIK.*", True),
        ("(a+)+", False),  # exponential backtracking
        (r"(\d+)*x", False),
        ("(a|b+){2,}", False),
        ("x" * 201, False),  # bounded length
    ],
)
def test_silence_regexes_are_bounded(value: str, accepted: bool) -> None:
    if accepted:
        Matcher(label="level", op="=~", value=value)
    else:
        with pytest.raises(ValueError, match=r"exponential|at most 200"):
            Matcher(label="level", op="=~", value=value)

"""The read models and the use cases around them, with fake stores (no Kafka, no MongoDB):
facts fold the same whatever the order and repetition, a projection gives the same figures as
evaluating on read did, a team read costs the same number of store calls for 10 people as for
2,000, and the projector coalesces many marks of one employee into one evaluation."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import CollectorRegistry

from kinerja_shared.clock import ManualClock
from kinerja_shared.events import AttendanceRecordedEvent, parse_event
from kinerja_shared.identity import Principal
from kinerja_shared.periods import Period, resolve
from scoring.domain import PartialExcuse, punch_of
from scoring.domain.alerts import Conditions
from scoring.domain.evaluation import DayFacts, evaluate, standings
from scoring.domain.facts import (
    DayRecord,
    Deltas,
    FactsDelta,
    YearFacts,
    punch_entry,
    year_facts,
)
from scoring.domain.performance import OrgPredikat
from scoring.domain.policy import Policy
from scoring.domain.projection import (
    AlertInput,
    CalendarView,
    EmployeeRef,
    Projection,
    UnitLead,
    periods_to_project,
    project,
)
from scoring.domain.team import MemberQuery, SortKey, below, select
from scoring.policy_file import load_policy
from scoring.projector import Projector
from scoring.reads import Reads, Refused
from scoring.store import ReadModelStore, StaleMark, UnitSummary, YearCalendar

WIB = ZoneInfo("Asia/Jakarta")
POLICY = load_policy(None)
NIP = "199001152015032002"
HEAD = "197501012000031001"
TODAY = date(2026, 11, 20)


def punch(day: int, hh: int, mm: int, direction: str = "in") -> AttendanceRecordedEvent:
    event = parse_event(
        {
            "event_id": str(uuid.uuid4()),
            "type": "attendance.recorded",
            "schema_version": 1,
            "occurred_at": f"2026-11-{day:02d}T{hh:02d}:{mm:02d}:00+07:00",
            "nip": NIP,
            "source": {"kind": "device", "id": "TBL1"},
            "payload": {"direction": direction, "method": "card", "device_sn": "TBL1"},
        }
    )
    assert isinstance(event, AttendanceRecordedEvent)
    return event


def fold(events: Sequence[AttendanceRecordedEvent]) -> list[FactsDelta]:
    deltas = Deltas(WIB)
    for e in events:
        deltas.punch(punch_of(e, WIB))
    return deltas.result()


def apply(doc: dict[str, Any], delta: FactsDelta) -> dict[str, Any]:
    """What MongoDB's $min/$max/$addToSet/$set do to the stored days (for the fake store)."""
    days = doc.setdefault("days", {})
    for k, at in delta.first_in.items():
        day = days.setdefault(k, {})
        day["i"] = min(day.get("i", at), at)
    for k, at in delta.last_out.items():
        day = days.setdefault(k, {})
        day["o"] = max(day.get("o", at), at)
    for k, ids in delta.event_ids.items():
        day = days.setdefault(k, {})
        day["ev"] = sorted(set(day.get("ev", [])) | ids)
    for k, punches in delta.punches.items():
        day = days.setdefault(k, {})
        kept = {punch_entry(i, kind, at) for i, (kind, at) in punches.items()}
        day["ev"] = sorted(set(day.get("ev", [])) | kept)
    for k in delta.excused:
        days.setdefault(k, {})["x"] = True
    return doc


def test_facts_fold_the_same_whatever_the_order_and_repetition() -> None:
    events = [punch(2, 7, 40), punch(2, 7, 10), punch(2, 16, 5, "out"), punch(3, 8, 0)]
    once: dict[str, Any] = {}
    for d in fold(events):
        apply(once, d)
    again: dict[str, Any] = {}
    for d in fold(list(reversed(events)) + events[:2]):  # redelivered, another order
        apply(again, d)
    for d in fold(events[1:2]):
        apply(again, d)
    assert once == again
    facts = year_facts(once, NIP, 2026)
    assert facts.days[date(2026, 11, 2)].first_in == datetime(2026, 11, 2, 7, 10, tzinfo=WIB)
    assert facts.events_in(["2026-11"]) == 4


def test_the_projection_gives_the_figures_of_evaluating_on_read() -> None:
    calendar = CalendarView(frozenset(), frozenset(date(2026, 11, d) for d in range(2, 7)))
    doc: dict[str, Any] = {}
    for d in fold([punch(2, 7, 50), punch(2, 16, 10, "out"), punch(3, 8, 5), punch(5, 7, 45)]):
        apply(doc, d)
    facts = year_facts(doc, NIP, 2026)
    employee = EmployeeRef(NIP, True, "Siti", "Pelaksana", "DUKCAPIL", HEAD)
    out = project(
        {2026: facts},
        employee,
        calendar,
        periods_to_project(["2026-11"], TODAY),
        POLICY,
        WIB,
        TODAY,
    )
    assert sorted(out.evaluations) == ["2026", "2026-11", "2026-Q4", "30d"]
    month = resolve("2026-11", None, TODAY)
    schedule = POLICY.schedules["standar"]
    days = {d: DayFacts(r.first_in, r.last_out, r.excused) for d, r in facts.days.items()}
    judged = standings(
        month.start, month.end, days, calendar.closed, schedule, frozenset(), WIB, POLICY
    )
    want = evaluate(
        "2026-11", month.start, month.end, judged, judged, None, None, None, schedule, POLICY, True
    )
    got = out.evaluations["2026-11"]
    assert got["attendance"]["tanpa_keterangan"] == want.tanpa_keterangan == 2
    assert got["attendance"]["tl_psw_days"] == want.tl_psw_days
    assert got["tpp_disiplin_deduction_percent"] == want.tpp.percent if want.tpp else None
    assert got["events_counted"] == 4
    assert got["days_with_check_in"] == 3
    line = out.members["2026-11"]
    assert (line["name"], line["unit_code"], line["tanpa_keterangan"]) == ("Siti", "DUKCAPIL", 2)
    assert out.alerts is not None  # the current year was projected: the alert check's input


def test_a_change_in_march_moves_every_later_month_and_the_rolling_window() -> None:
    names = [p.name for p in periods_to_project(["2026-03"], TODAY)]
    assert names[:9] == [f"2026-{m:02d}" for m in range(3, 12)]
    assert {"2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2026", "30d"} <= set(names)


def test_partial_day_permissions_fold_to_the_most_they_excuse_in_any_order() -> None:
    """Two letters for one day (until 09:00, then until 10:00) excuse arriving until 10:00
    whatever their order; a whole-day excuse is untouched, the day is no excused absence."""
    day = date(2026, 11, 2)
    letters = [
        PartialExcuse(NIP, day, "e1", late_until=datetime(2026, 11, 2, 9, 0, tzinfo=WIB)),
        PartialExcuse(NIP, day, "e2", late_until=datetime(2026, 11, 2, 10, 0, tzinfo=WIB)),
        PartialExcuse(NIP, day, "e3", early_from=datetime(2026, 11, 2, 15, 0, tzinfo=WIB)),
    ]
    for order in (letters, list(reversed(letters))):
        deltas = Deltas(WIB)
        for letter in order:
            deltas.partial(letter)
        (delta,) = deltas.result()
        assert delta.late_until["1102"] == datetime(2026, 11, 2, 10, 0, tzinfo=WIB)
        assert delta.early_from["1102"] == datetime(2026, 11, 2, 15, 0, tzinfo=WIB)
        assert not delta.excused


def test_a_change_in_december_moves_january_when_the_new_year_has_begun() -> None:
    names = [p.name for p in periods_to_project(["2026-12"], date(2027, 1, 6))]
    assert {"2026-12", "2026", "2027-01", "2027-Q1", "2027", "30d"} <= set(names)
    assert "2027-01" not in [p.name for p in periods_to_project(["2026-12"], TODAY)]


def test_a_run_of_absences_across_new_year_reaches_the_year_and_the_rolling_window() -> None:
    """21 Dec 2026 .. 5 Jan 2027: ten closed working days without a record (25 Dec and 1 Jan
    are holidays). The evaluation of 2027 and the rolling 30 days on 6 Jan both see the run."""
    today = date(2027, 1, 6)
    closed = frozenset(date(2026, 12, 1) + timedelta(days=i) for i in range(36))  # 1 Dec .. 5 Jan
    present = {
        d: DayRecord(datetime(d.year, d.month, d.day, 7, 20, tzinfo=WIB))
        for d in (date(2026, 12, 1) + timedelta(days=i) for i in range(20))  # to 20 Dec
    }
    facts = {2027: YearFacts(NIP, 2027, december_before=present)}
    holidays = frozenset({date(2026, 12, 25), date(2027, 1, 1)})
    periods = [resolve("2027", None, today), resolve(None, "30d", today)]
    out = project(
        facts,
        EmployeeRef(NIP, known=True),
        CalendarView(holidays, closed),
        periods,
        POLICY,
        WIB,
        today,
    )
    for name in ("2027", "30d"):
        disc = out.evaluations[name]["discipline"]
        assert (disc["longest_run"], disc["level"]) == (10, "berat"), name
    assert out.evaluations["2027"]["discipline"]["unexcused_days"] == 2


def lines(n: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {
        HEAD: {"nip": HEAD, "name": "Kepala", "supervisor_nip": None, "predikat": "Baik"}
    }
    for i in range(n):
        nip = f"19900115201503{i:04d}"
        boss = HEAD if i < 10 else f"19900115201503{i % 10:04d}"
        out[nip] = {
            "nip": nip,
            "name": f"Pegawai {i:04d}",
            "supervisor_nip": boss,
            "predikat": ["Baik", "Butuh Perbaikan", None][i % 3],
            "discipline_level": "ringan" if i % 7 == 0 else None,
            "tanpa_keterangan": i % 4,
        }
    return out


class CountingReadModels:
    def __init__(self, members: dict[str, dict[str, Any]]) -> None:
        self.members = members
        self.calls = 0

    async def outcomes(self, year: int, units: Sequence[str]) -> list[dict[str, Any]]:
        self.calls += 1
        return []

    async def unit(self, unit_code: str, period: str) -> UnitSummary:
        self.calls += 1
        return UnitSummary(unit_code, period, self.members, {})

    async def evaluation(self, nip: str, period: str) -> dict[str, Any] | None:
        self.calls += 1
        return {"nip": nip, "period": period, "as_of": TODAY.isoformat()}


class CountingReference:
    def __init__(self, org: OrgPredikat | None = None) -> None:
        self.calls = 0
        self.org = org

    async def org_predicate(self, unit_code: str, year: int) -> OrgPredikat | None:
        self.calls += 1
        return self.org if year == TODAY.year else None

    async def year_calendar(self, year: int) -> YearCalendar:
        self.calls += 1
        return YearCalendar(year, None, [], [])

    async def units(self) -> list[str]:
        self.calls += 1
        return ["DISDIK"]

    async def chain_above(self, nip: str) -> list[str]:
        self.calls += 1
        return [HEAD]

    async def employee(self, nip: str) -> EmployeeRef:
        self.calls += 1
        return EmployeeRef(nip, True, unit_code="DISDIK")


class FixedEvaluations:
    @property
    def policy(self) -> Policy:
        return POLICY

    def today(self) -> date:
        return TODAY

    async def one(self, nip: str, period: Period) -> Projection | None:
        raise AssertionError("every document is there: nothing is computed on read")


def reads_over(n: int) -> tuple[Reads, CountingReadModels, CountingReference]:
    models, reference = CountingReadModels(lines(n)), CountingReference()
    return Reads(models, reference, FixedEvaluations()), models, reference


def test_the_distribution_check_judges_the_year_on_rated_predicates_only() -> None:
    """Issue 15 item 8: the pattern is the year's, and a predicate built on Kinerja's proposal
    of the behaviour rating (not yet rated by the supervisor) is not counted."""
    members = {
        f"n{i}": {"nip": f"n{i}", "predikat": "Baik", "perilaku_is_proposal": i >= 6}
        for i in range(10)
    }
    members.update({f"p{i}": {"nip": f"p{i}", "predikat": "Butuh Perbaikan"} for i in range(3)})
    reads = Reads(CountingReadModels(members), CountingReference(), FixedEvaluations())
    admin = Principal("admin", frozenset({"admin"}))
    year = asyncio.run(
        reads.unit_summary(admin, "DISDIK", resolve("2026", None, TODAY), OrgPredikat("Baik"))
    )
    check = year["distribution_check"]
    # Six rated Baik of nine rated predicates (67%): a majority, at most 70%; four proposals apart.
    assert (check["applies"], check["problems"]) == (True, [])
    assert (check["counted"], check["proposals_not_counted"]) == (9, 4)
    month = asyncio.run(
        reads.unit_summary(admin, "DISDIK", resolve("2026-11", None, TODAY), OrgPredikat("Cukup"))
    )
    assert month["distribution_check"]["applies"] is False
    assert month["distribution_check"]["org_predicate"] == "Butuh Perbaikan"
    # The predicate an admin stored for the unit's year is the one checked by default.
    stored = Reads(
        CountingReadModels(members), CountingReference(OrgPredikat.ISTIMEWA), FixedEvaluations()
    )
    summary = asyncio.run(stored.unit_summary(admin, "DISDIK", resolve("2026", None, TODAY), None))
    assert summary["distribution_check"]["org_predicate"] == "Istimewa"
    assert summary["distribution_check"]["stored"] is True
    assert summary["distribution_check"]["problems"] == [
        "sebagian besar (lebih dari separuh) harus Sangat Baik"
    ]


@pytest.mark.parametrize(
    ("org", "rating"),
    [
        (OrgPredikat.ISTIMEWA, "Di Atas Ekspektasi"),
        (OrgPredikat.BAIK, "Sesuai Ekspektasi"),
        (OrgPredikat.BUTUH_PERBAIKAN, "Di Bawah Ekspektasi"),
        (OrgPredikat.KURANG, "Di Bawah Ekspektasi"),
        (OrgPredikat.SANGAT_KURANG, "Di Bawah Ekspektasi"),
    ],
)
def test_a_unit_heads_hasil_kerja_follows_the_units_predicate(
    org: OrgPredikat, rating: str
) -> None:
    """PermenPANRB 6/2022 (domain rules §1.5): when the assessed person leads the unit, the
    unit's achievement is their Hasil Kerja, in the annual evaluation; months keep the SKP."""
    lead = UnitLead("DISDIK", 2026, org, "Keputusan Wali Kota No. 800/12/2026")
    head = EmployeeRef(HEAD, True, unit_code="DISDIK", leads=(lead,))
    periods = [resolve("2026", None, TODAY), resolve("2026-11", None, TODAY)]
    out = project({}, head, CalendarView(), periods, POLICY, WIB, TODAY)
    year = out.evaluations["2026"]["hasil_kerja"]
    assert year["rating"] == rating
    assert year["unit_head"]["source"] == "Keputusan Wali Kota No. 800/12/2026"
    assert out.evaluations["2026-11"]["hasil_kerja"]["rating"] is None  # no SKP indicators


def test_the_calendar_view_is_for_admin_and_ops_only() -> None:
    reads, _, _ = reads_over(1)
    with pytest.raises(Refused, match="admin and ops"):
        asyncio.run(reads.calendar(Principal(HEAD, frozenset({"supervisor"})), 2026))


def test_a_team_page_costs_the_same_store_calls_for_10_people_as_for_2000() -> None:
    head = Principal(HEAD, frozenset({"supervisor"}))
    calls = []
    for n in (10, 2000):
        reads, models, reference = reads_over(n)
        month, rolling = resolve("2026-11", None, TODAY), resolve(None, "30d", TODAY)
        page = asyncio.run(reads.members(head, "DISDIK", month, MemberQuery(size=50), [rolling]))
        assert page.total == n
        assert len(page.members) == min(n, 50)
        asyncio.run(reads.evaluation(head, f"19900115201503{0:04d}", month))
        calls.append(models.calls + reference.calls)
    assert calls[0] == calls[1] == 4  # two unit documents, one chain walk, one evaluation


def test_a_team_is_everyone_below_and_pages_in_a_stable_order() -> None:
    members = list(lines(30).values())
    assert len(below(HEAD, members)) == 30
    assert below("19900115201503" + "0001", members) == {f"19900115201503{i:04d}" for i in (11, 21)}
    q = MemberQuery(sort=SortKey.PREDIKAT, size=7)
    seen = []
    for page in range(1, 6):
        total, rows = select(members, MemberQuery(**{**q.__dict__, "page": page}))
        seen += [r["nip"] for r in rows]
    assert total == 31
    assert len(seen) == len(set(seen)) == 31
    ranks = [r["predikat"] for r in select(members, MemberQuery(sort=SortKey.PREDIKAT, size=50))[1]]
    assert ranks == sorted(ranks, key=lambda p: {"Baik": 0, "Butuh Perbaikan": 1, None: 2}[p])
    total, _ = select(members, MemberQuery(predikat="none"))
    assert total == 10
    total, _ = select(members, MemberQuery(attention=True))
    assert total == sum(
        1
        for m in members
        if m.get("discipline_level")
        or m.get("tanpa_keterangan")
        or m.get("predikat") == "Butuh Perbaikan"
    )


class FakeQueue:
    def __init__(self, marks: list[StaleMark]) -> None:
        self.marks = {m.id: m for m in marks}

    async def pending(self, limit: int = 200) -> list[StaleMark]:
        return sorted(self.marks.values(), key=lambda m: m.id)[:limit]

    async def projected(self, ids: Sequence[str]) -> None:
        for i in ids:
            m = self.marks[i]
            self.marks[i] = StaleMark(m.id, m.months, m.at, True)

    async def done(self, ids: Sequence[str]) -> None:
        for i in ids:
            self.marks.pop(i, None)


class FakeEvaluations:
    def __init__(self) -> None:
        self.rounds: list[dict[str, set[str]]] = []

    def today(self) -> date:
        return TODAY

    async def compute(self, months: Mapping[str, Iterable[str]]) -> dict[str, Projection]:
        self.rounds.append({n: set(m) for n, m in months.items()})
        return {n: Projection() for n in months}


class FakeReadModels:
    def __init__(self) -> None:
        self.written: list[str] = []

    async def put(self, projections: Mapping[str, Projection], now: datetime) -> None:
        self.written += list(projections)

    def forget(self) -> None:
        return None

    async def flush(self) -> None:
        return None


class FreeLease:
    async def hold(self, name: str, owner: str, ttl: timedelta, now: datetime) -> bool:
        return True

    async def release(self, name: str, owner: str) -> None:
        return None


def test_the_projector_evaluates_an_employee_once_for_many_marks_and_then_clears_them() -> None:
    clock = ManualClock(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    marks = [
        StaleMark(
            f"{i:03d}", {NIP: ["2026-11"], HEAD: ["2026-10"] if i == 3 else []}, clock.now(), False
        )
        for i in range(10)
    ]
    queue, evaluations, models = FakeQueue(marks), FakeEvaluations(), FakeReadModels()
    projector = Projector(
        queue,
        evaluations,
        models,
        FreeLease(),
        clock,
        CollectorRegistry(),
    )
    asyncio.run(projector.drain())
    assert evaluations.rounds == [{NIP: {"2026-11"}, HEAD: {"2026-10"}}]
    assert sorted(models.written) == sorted([NIP, HEAD])
    assert queue.marks == {}  # no alert check configured: cleared once projected


def test_alerts_wait_for_the_changes_to_settle() -> None:
    clock = ManualClock(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    queue = FakeQueue([StaleMark("001", {NIP: ["2026-11"]}, clock.now(), False)])
    checked: list[list[str]] = []

    async def check(inputs: Mapping[str, AlertInput]) -> None:
        checked.append(sorted(inputs))

    class WithAlerts(FakeEvaluations):
        async def compute(self, months: Mapping[str, Iterable[str]]) -> dict[str, Projection]:
            await super().compute(months)
            return {n: Projection(alerts=AlertInput([], Conditions(None, []))) for n in months}

    projector = Projector(
        queue,
        WithAlerts(),
        FakeReadModels(),
        FreeLease(),
        clock,
        CollectorRegistry(),
        alert_check=check,
        settle_s=30,
    )
    asyncio.run(projector.drain())
    assert checked == []
    assert list(queue.marks) == ["001"]
    clock.advance(seconds=31)
    asyncio.run(projector.drain())
    assert checked == [[NIP]]
    assert queue.marks == {}


def test_year_facts_of_nothing_is_empty() -> None:
    assert not year_facts(None, NIP, 2026).recorded
    assert YearFacts(NIP, 2026).events_in(["2026-11"]) == 0


class SlowFlush(FakeReadModels):
    """Unit lines whose flush waits until let go, or fails once."""

    def __init__(self, fail_first: bool = False) -> None:
        super().__init__()
        self.go = asyncio.Event()
        self.flushes = 0
        self.fail_first = fail_first

    async def flush(self) -> None:
        await self.go.wait()
        self.flushes += 1
        if self.fail_first and self.flushes == 1:
            raise ConnectionError("store away")


def test_a_round_does_not_wait_for_the_unit_lines_and_marks_count_only_once_flushed() -> None:
    clock = ManualClock(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    queue = FakeQueue([StaleMark("001", {NIP: ["2026-11"]}, clock.now(), False)])
    evaluations, models = FakeEvaluations(), SlowFlush()
    projector = Projector(queue, evaluations, models, FreeLease(), clock, CollectorRegistry())

    async def scenario() -> None:
        assert await projector.run_once() == 1  # the flush of its lines starts and hangs
        queue.marks["002"] = StaleMark("002", {HEAD: ["2026-11"]}, clock.now(), False)
        assert await projector.run_once() == 1  # the next round goes on meanwhile
        assert evaluations.rounds == [{NIP: {"2026-11"}}, {HEAD: {"2026-11"}}]
        assert await projector.run_once() == 0  # nothing taken twice while it waits
        assert not any(m.projected for m in queue.marks.values())
        models.go.set()
        await projector.drain()

    asyncio.run(scenario())
    assert models.flushes == 2  # the second round's lines went in the flush after
    assert queue.marks == {}


def test_a_failed_flush_keeps_its_marks_in_line_for_the_next() -> None:
    clock = ManualClock(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    queue = FakeQueue([StaleMark("001", {NIP: ["2026-11"]}, clock.now(), False)])
    models = SlowFlush(fail_first=True)
    models.go.set()
    projector = Projector(queue, FakeEvaluations(), models, FreeLease(), clock, CollectorRegistry())

    async def scenario() -> None:
        with pytest.raises(ConnectionError):
            await projector.drain()
        assert list(queue.marks) == ["001"]
        assert not queue.marks["001"].projected
        await projector.drain()

    asyncio.run(scenario())
    assert models.flushes == 2
    assert queue.marks == {}


def test_a_catch_ups_marks_each_touching_nearly_everyone_evaluate_each_employee_once() -> None:
    clock = ManualClock(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    staff = [f"1990010120200110{i:02d}" for i in range(40)]
    marks = [  # thirty batches, each of a different 30 of the 40
        StaleMark(
            f"{b:03d}",
            {n: ["2026-11"] for n in staff if (staff.index(n) + b) % 4},
            clock.now(),
            False,
        )
        for b in range(30)
    ]
    queue, evaluations = FakeQueue(marks), FakeEvaluations()
    projector = Projector(
        queue,
        evaluations,
        FakeReadModels(),
        FreeLease(),
        clock,
        CollectorRegistry(),
        round_employees=3,
    )
    asyncio.run(projector.drain())
    evaluated = [n for step in evaluations.rounds for n in step]
    assert sorted(evaluated) == sorted(set(evaluated))  # nobody twice
    assert set(evaluated) == {n for m in marks for n in m.months}
    assert queue.marks == {}


class LeaseLostAfter(FreeLease):
    def __init__(self, holds: int) -> None:
        self.left = holds

    async def hold(self, name: str, owner: str, ttl: timedelta, now: datetime) -> bool:
        self.left -= 1
        return self.left >= 0


def test_a_round_that_loses_its_lease_stops_and_leaves_the_marks_for_the_new_holder() -> None:
    clock = ManualClock(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    queue = FakeQueue(
        [
            StaleMark(
                "001",
                {f"1990010120200110{i:02d}": ["2026-11"] for i in range(9)},
                clock.now(),
                False,
            )
        ]
    )
    evaluations = FakeEvaluations()
    projector = Projector(
        queue,
        evaluations,
        FakeReadModels(),
        LeaseLostAfter(1),
        clock,
        CollectorRegistry(),
        round_employees=3,
    )
    assert asyncio.run(projector.run_once()) == 3  # one step, then the renewal was refused
    assert len(evaluations.rounds) == 1
    assert not queue.marks["001"].projected


class LeaseTerms(FreeLease):
    def __init__(self) -> None:
        self.ttls: list[timedelta] = []

    async def hold(self, name: str, owner: str, ttl: timedelta, now: datetime) -> bool:
        self.ttls.append(ttl)
        return True


def test_the_projector_holds_its_lease_for_the_configured_time_at_each_step() -> None:
    """``projector_lease_s``: how long a replica that dies holds the projection."""
    clock = ManualClock(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    staff = {f"1990010120200110{i:02d}": ["2026-11"] for i in range(6)}
    queue, lease = FakeQueue([StaleMark("001", staff, clock.now(), False)]), LeaseTerms()
    projector = Projector(
        queue,
        FakeEvaluations(),
        FakeReadModels(),
        lease,
        clock,
        CollectorRegistry(),
        round_employees=2,
        lease=timedelta(seconds=5),
    )
    assert asyncio.run(projector.run_once()) == 6
    assert lease.ttls == [timedelta(seconds=5)] * 3  # the round's hold, then two renewals


def test_a_long_round_writes_its_lines_every_ten_steps() -> None:
    clock = ManualClock(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    staff = {f"1990010120200110{i:02d}": ["2026-11"] for i in range(25)}
    queue, models = FakeQueue([StaleMark("001", staff, clock.now(), False)]), SlowFlush()
    models.go.set()
    projector = Projector(
        queue, FakeEvaluations(), models, FreeLease(), clock, CollectorRegistry(), round_employees=1
    )
    assert asyncio.run(projector.run_once()) == 25
    assert models.flushes >= 2  # after steps 10 and 20, inside the round


class SlowCollection:
    """A collection whose writes wait for ``go``, keeping what they wrote by document."""

    def __init__(self) -> None:
        self.go = asyncio.Event()
        self.docs: dict[str, dict[str, Any]] = {}

    async def bulk_write(self, ops: list[Any], ordered: bool = False) -> None:
        await self.go.wait()
        for op in ops:
            doc = self.docs.setdefault(op._filter["_id"], {})
            doc.update(op._doc.get("$set", {}))


class SlowDatabase:
    def __init__(self) -> None:
        self.collections: dict[str, SlowCollection] = {}

    def __getitem__(self, name: str) -> SlowCollection:
        return self.collections.setdefault(name, SlowCollection())


def _line_projection(discipline_reason: str) -> Projection:
    line = {"nip": NIP, "unit_code": "DISDIK", "discipline_reason": discipline_reason}
    return Projection(members={"2026-11": line})


def test_a_line_back_to_its_written_value_during_a_flush_is_written_again() -> None:
    """Found by the fault suite (broker killed, then live ≠ replay): a line written as A, then
    computed as B and flushed, then back to A while B's flush was under way, was skipped as
    "unchanged since A was written", so the store kept B."""

    async def scenario() -> dict[str, Any]:
        db = SlowDatabase()
        store = ReadModelStore(db)  # type: ignore[arg-type]
        for c in ("unit_summaries", "outcomes"):
            db[c].go.set()
        store._stage(NIP, _line_projection("A"))
        await store.flush()  # A is written
        db["unit_summaries"].go.clear()
        store._stage(NIP, _line_projection("B"))
        flushing = asyncio.create_task(store.flush())  # B is being written
        await asyncio.sleep(0)
        store._stage(NIP, _line_projection("A"))  # and the line goes back to A meanwhile
        db["unit_summaries"].go.set()
        await flushing
        await store.flush()
        line: dict[str, Any] = db["unit_summaries"].docs["DISDIK:2026-11"][f"members.{NIP}"]
        return line

    assert asyncio.run(scenario())["discipline_reason"] == "A"


def test_the_city_view_is_every_units_summary_for_admin_and_ops_only() -> None:
    reads, _, _ = reads_over(12)
    month = resolve("2026-11", None, TODAY)
    for role in ("admin", "ops"):
        units = asyncio.run(reads.city(Principal("x", frozenset({role})), month))
        assert [u["unit_code"] for u in units] == ["DISDIK"]
        assert units[0]["employees"] == 13
    with pytest.raises(Refused):
        asyncio.run(reads.city(Principal(HEAD, frozenset({"supervisor"})), month))

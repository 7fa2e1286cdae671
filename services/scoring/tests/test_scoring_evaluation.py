from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from scoring.domain.evaluation import DayFacts, evaluate, standings
from scoring.domain.ikm import ikm_of
from scoring.domain.performance import Predikat, Rating
from scoring.policy_file import load_policy

POLICY = load_policy()
WIB = ZoneInfo("Asia/Jakarta")
STANDAR = POLICY.schedules["standar"]
NOV = (date(2026, 11, 1), date(2026, 11, 30))


def t(day: int, hh: int, mm: int) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=WIB)


CLOSED = frozenset(date(2026, 11, d) for d in range(1, 7))  # closed through Friday 6 November
FACTS = {
    date(2026, 11, 2): DayFacts(t(2, 7, 20), t(2, 16, 10)),  # on time
    date(2026, 11, 3): DayFacts(t(3, 8, 5), t(3, 16, 0)),  # 35 min late: TL2
    date(2026, 11, 4): DayFacts(excused=True),  # sakit
    # 5 November: nothing recorded
    date(2026, 11, 6): DayFacts(t(6, 7, 29), None),  # Friday, no check-out: PSW4
    date(2026, 11, 7): DayFacts(t(7, 8, 0), t(7, 12, 0)),  # Saturday: counts for nothing
    date(2026, 11, 9): DayFacts(t(9, 7, 0), t(9, 16, 0)),  # Monday, after the last closed day
}


def test_only_closed_days_without_records_count_as_absence() -> None:
    open_only = standings(*NOV, FACTS, frozenset(), STANDAR, frozenset(), WIB, POLICY)
    assert [s.date.day for s in open_only] == [2, 3, 4, 6, 9]
    closed = standings(*NOV, FACTS, CLOSED, STANDAR, frozenset(), WIB, POLICY)
    assert [(s.date.day, s.status.value) for s in closed] == [
        (2, "hadir"),
        (3, "hadir"),
        (4, "izin"),
        (5, "tanpa_keterangan"),
        (6, "hadir"),
        (9, "hadir"),
    ]
    holiday = standings(*NOV, FACTS, CLOSED, STANDAR, frozenset({date(2026, 11, 5)}), WIB, POLICY)
    assert [s.date.day for s in holiday] == [2, 3, 4, 6, 9]


def test_month_evaluation_with_evidence_and_a_proposed_behaviour_rating() -> None:
    days = standings(*NOV, FACTS, CLOSED, STANDAR, frozenset(), WIB, POLICY)
    ev = evaluate(
        "2026-11", *NOV, days, days, None, Rating.SESUAI, None, STANDAR, POLICY, monthly=True
    )
    assert (ev.hadir, ev.izin, ev.tanpa_keterangan) == (4, 1, 1)
    assert ev.categories == {"TL2": 1, "PSW4": 1}
    assert ev.late_minutes == 35
    assert ev.tpp is not None
    assert ev.tpp.percent == 1.0 + 1.5 + 3.0
    assert ev.discipline.level is None  # one day is not yet a sanction
    assert ev.perilaku_kerja is Rating.SESUAI
    assert ev.perilaku_is_proposal
    assert ev.predikat is Predikat.BAIK
    rules = [e.rule for e in ev.evidence]
    assert rules == [
        "calendar.day_standing",
        "discipline.pp94_2021",
        "tpp.disiplin_deduction",
        "perilaku_kerja.proposal",
        "predikat.permenpanrb_6_2022",
    ]
    assert ev.policy_version == "2026.2"
    # Issue 15 items 10 and 12: the evidence names the employee's schedule and each deduction
    # figure's source, "aturan lokal" where no regulation fixes it.
    day_rule, _, tpp_rule = ev.evidence[:3]
    assert day_rule.inputs["schedule"] == "standar"
    assert day_rule.inputs["schedule_breaks"]["4"] == ["11:30:00", "13:00:00"]
    assert tpp_rule.inputs["sources"]["unexcused_absence"].startswith("aturan lokal")
    assert set(tpp_rule.inputs["sources"]) >= {"unexcused_absence", "cap"}


def test_supervisor_rating_wins_and_no_targets_means_no_predicate_yet() -> None:
    days = standings(*NOV, FACTS, frozenset(), STANDAR, frozenset(), WIB, POLICY)
    ikm = ikm_of([{"overall": 4}] * 30, POLICY)
    ev = evaluate(
        "2026-11", *NOV, days, days, ikm, None, Rating.DI_ATAS, STANDAR, POLICY, monthly=False
    )
    assert ev.perilaku_kerja is Rating.DI_ATAS
    assert not ev.perilaku_is_proposal
    assert ev.predikat is None
    assert ev.tpp is None
    assert ev.evidence[-1].result == "no SKP indicators for this period yet"
    assert "ikm.permenpanrb_14_2017" in [e.rule for e in ev.evidence]

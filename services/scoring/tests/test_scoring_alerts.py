from __future__ import annotations

from datetime import date

import pytest

from scoring.domain.alerts import discipline_alerts, tl_psw_week_alerts
from scoring.domain.calendar import DayStanding, DayStatus
from scoring.domain.discipline import discipline
from scoring.policy_file import load_policy

POLICY = load_policy()
NIP = "198609262015051001"


def absent(*days: int) -> list[DayStanding]:
    return [DayStanding(date(2026, 11, d), DayStatus.TANPA_KETERANGAN) for d in days]


@pytest.mark.parametrize(
    ("days", "ids"),
    [
        ((2,), []),
        ((2, 4, 6), [f"discipline:{NIP}:2026:1"]),
        ((2, 4, 6, 10), [f"discipline:{NIP}:2026:2"]),  # a new level: a new id
    ],
)
def test_discipline_alert_ids_name_the_level(days: tuple[int, ...], ids: list[str]) -> None:
    alerts = discipline_alerts(NIP, 2026, discipline(absent(*days), POLICY))
    assert [a.alert_id for a in alerts] == ids
    assert all(a.type == "discipline.threshold_crossed" for a in alerts)


def test_three_late_days_in_one_week_raise_one_coaching_alert_for_that_week() -> None:
    week = [
        DayStanding(date(2026, 11, d), DayStatus.HADIR, late_minutes=10, tl="TL1")
        for d in (2, 3, 5)
    ]
    split = [
        DayStanding(date(2026, 11, d), DayStatus.HADIR, early_minutes=5, psw="PSW1")
        for d in (6, 9, 10)
    ]  # Friday, then Monday and Tuesday of the next week
    alerts = tl_psw_week_alerts(NIP, week + split, POLICY.early_warning.tl_psw_days_in_a_week)
    assert [a.alert_id for a in alerts] == [f"coaching:tl_psw:{NIP}:2026-W45"]
    assert alerts[0].type == "coaching.needed"
    assert len(alerts[0].evidence["days"]) == 4  # Friday 6 November is in week 45 too


def test_early_warnings_fire_when_a_condition_starts_and_again_only_after_it_ended() -> None:
    from scoring.domain.alerts import Conditions, early_warnings

    d1, d2, d3 = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)
    low = Conditions(ikm_low="D", slow_targets=["IKI-1"])
    fresh, active = early_warnings(NIP, d1, low, set())
    assert [a.alert_id for a in fresh] == [
        f"coaching:ikm:{NIP}:2026-11-02",
        f"coaching:targets:{NIP}:2026-11-02",
    ]
    again, active = early_warnings(NIP, d2, low, active)
    assert again == []  # still true: no new alert
    _, active = early_warnings(NIP, d2, Conditions(None, ["IKI-1"]), active)
    back, active = early_warnings(NIP, d3, low, active)
    assert [a.alert_id for a in back] == [f"coaching:ikm:{NIP}:2026-11-04"]
    assert active == {"ikm", "targets"}

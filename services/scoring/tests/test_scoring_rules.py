"""The scoring rules, table-driven, with the regulations' own figures where they give them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scoring.domain.calendar import (
    DayStanding,
    DayStatus,
    Permit,
    WorkSchedule,
    band_of,
    day_standing,
    working_days,
)
from scoring.domain.discipline import discipline, longest_unexcused_run, tpp_deduction
from scoring.domain.evaluation import DayFacts, standings
from scoring.domain.ikm import ELEMENTS, IkmTally, category_of, ikm, ikm_of
from scoring.domain.performance import (
    IndicatorStatus,
    OrgPredikat,
    Predikat,
    Rating,
    achievement_percent,
    annual_outcome,
    display_percent,
    distribution_check,
    hasil_kerja,
    indicator_status,
    perilaku_proposal,
    predikat,
)
from scoring.domain.policy import PolicyError, Schedule, parse_policy
from scoring.policy_file import DEFAULT_POLICY, load_policy

POLICY = load_policy()
WIB = ZoneInfo("Asia/Jakarta")
STANDAR = POLICY.schedules["standar"]
NO_HOLIDAYS: frozenset[date] = frozenset()
MONDAY = date(2026, 11, 2)
FRIDAY = date(2026, 11, 6)


# --- the policy file ---------------------------------------------------------------------------


def test_default_policy_is_tanjungbalais_and_versioned() -> None:
    assert POLICY.government == "Pemerintah Kota Tanjungbalai"
    assert POLICY.version == "2026.2"
    assert STANDAR.hours[0] == (time(7, 30), time(16, 0))
    assert STANDAR.hours[4] == (time(7, 30), time(16, 30))
    assert 5 not in STANDAR.hours


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace('version = "2026.2"', ""), "version: Field required"),
        (lambda t: t + "\n[oops\n", "not valid TOML"),
        (
            lambda t: t.replace('[[1, "TL1"], [31, "TL2"]', '[[31, "TL2"], [1, "TL1"]'),
            "attendance.tl_bands",
        ),
        (lambda t: t.replace("TL3 = 1.25, ", ""), "tpp.deduction_percent lacks ['TL3']"),
        (
            lambda t: t.replace('friday = ["07:30", "16:30"]', 'friday = ["16:30", "07:30"]'),
            "friday: the end 07:30:00 is not after the start 16:30:00",
        ),
        (
            lambda t: t.replace("minutes_per_day = 450", "minutes_per_day = 5"),
            "discipline.minutes_per_day",
        ),
        (
            lambda t: t.replace("meets_percent = 90.0", "meets_percent = 120.0"),
            "meets_percent must be below above_percent",
        ),
        # Issue 15 item 10: PP 94/2021's ladder is national law, not a local choice.
        (
            lambda t: t.replace("{ from_days = 28,", "{ from_days = 30,"),
            "levels must follow PP 94/2021's ladder",
        ),
        (
            lambda t: t.replace(
                'selama 6 bulan", level = "sedang"', 'selama 6 bulan", level = "ringan"'
            ),
            "levels must follow PP 94/2021's ladder",
        ),
        (
            lambda t: t.replace(
                "Pemberhentian dengan hormat tidak atas permintaan sendiri", "Teguran"
            ),
            "the last level must be the dismissal",
        ),
        (
            lambda t: t.replace(
                "consecutive_days_dismissal = 10", "consecutive_days_dismissal = 12"
            ),
            "consecutive_days_dismissal",
        ),
        # Every deduction figure names its source (a regulation, or "aturan lokal").
        (
            lambda t: t.replace('\nTL3 = "aturan lokal', '\nXX = "aturan lokal'),
            "sources lacks ['TL3']",
        ),
        (
            lambda t: t.replace('\ncap = "aturan lokal', '\nxcap = "aturan lokal'),
            "sources lacks ['cap']",
        ),
    ],
)
def test_bad_policy_files_say_where_and_why(change: object, message: str) -> None:
    text = DEFAULT_POLICY.read_text()
    with pytest.raises(PolicyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_policy(change(text), "policy.toml")  # type: ignore[operator]


def test_a_missing_policy_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "none.toml")


# --- working calendar and day standings --------------------------------------------------------


def test_working_days_skip_weekends_holidays_and_cuti_bersama() -> None:
    holidays = frozenset({date(2026, 11, 4)})
    days = list(working_days(date(2026, 11, 1), date(2026, 11, 8), STANDAR, holidays))
    assert days == [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 5), date(2026, 11, 6)]


def at(day: date, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=WIB)


@pytest.mark.parametrize(
    ("first_in", "last_out", "late", "tl", "early", "psw"),
    [
        ((7, 10), (16, 5), 0, None, 0, None),
        ((7, 30), (16, 0), 0, None, 0, None),
        ((7, 30, 1), (16, 0), 1, "TL1", 0, None),  # a started minute counts
        ((8, 0), (16, 0), 30, "TL1", 0, None),
        ((8, 1), (16, 0), 31, "TL2", 0, None),
        ((8, 30), (16, 0), 60, "TL2", 0, None),
        ((8, 31), (16, 0), 61, "TL3", 0, None),
        ((9, 0), (16, 0), 90, "TL3", 0, None),
        ((9, 1), (16, 0), 91, "TL4", 0, None),
        ((7, 25), (15, 59), 0, None, 1, "PSW1"),
        ((7, 25), (15, 30), 0, None, 30, "PSW1"),
        ((7, 25), (15, 29), 0, None, 31, "PSW2"),
        ((7, 25), (14, 29), 0, None, 91, "PSW4"),
        ((7, 25), None, 0, None, 225, "PSW4"),  # no check-out: half the day's 450 minutes
        (None, (16, 10), 225, "TL4", 0, None),  # no check-in: likewise
        ((12, 30), (16, 0), 270, "TL4", 0, None),  # 07:30–12:00 only: the break is not work
        ((13, 0), (16, 0), 270, "TL4", 0, None),
        ((13, 30), (16, 0), 300, "TL4", 0, None),
        ((7, 30), (12, 15), 0, None, 180, "PSW4"),  # 13:00–16:00
        ((10, 0), None, 150, "TL4", 225, "PSW4"),
        ((15, 0), (15, 30), 390, "TL4", 30, "PSW1"),
        ((14, 0), None, 330, "TL4", 120, "PSW4"),  # capped: never more than the day's 450
    ],
)
def test_monday_standings(
    first_in: tuple[int, ...] | None,
    last_out: tuple[int, ...] | None,
    late: int,
    tl: str | None,
    early: int,
    psw: str | None,
) -> None:
    s = day_standing(
        MONDAY,
        POLICY,
        STANDAR,
        NO_HOLIDAYS,
        WIB,
        at(MONDAY, *first_in) if first_in else None,
        at(MONDAY, *last_out) if last_out else None,
        excused=False,
    )
    assert (s.status, s.late_minutes, s.tl, s.early_minutes, s.psw) == (
        DayStatus.HADIR,
        late,
        tl,
        early,
        psw,
    )


def test_friday_ends_at_1630_and_single_punch_is_a_check_in() -> None:
    s = day_standing(
        FRIDAY,
        POLICY,
        STANDAR,
        NO_HOLIDAYS,
        WIB,
        at(FRIDAY, 7, 20),
        at(FRIDAY, 16, 10),
        excused=False,
    )
    assert (s.early_minutes, s.psw) == (20, "PSW1")
    one = day_standing(
        FRIDAY,
        POLICY,
        STANDAR,
        NO_HOLIDAYS,
        WIB,
        at(FRIDAY, 7, 20),
        at(FRIDAY, 7, 20),
        excused=False,
    )
    assert one.psw == "PSW4"


@pytest.mark.parametrize(
    ("day", "punch", "standing"),
    [
        # Before the working day's middle one punch is the check-in, from it on the check-out;
        # either way it is judged once and the missing half counts half the day (225 of 450).
        (FRIDAY, (7, 20), (0, None, 225, "PSW4", "one punch, judged once")),
        (FRIDAY, (16, 30), (225, "TL4", 0, None, "one punch, judged once")),
        (FRIDAY, (16, 45), (225, "TL4", 0, None, "one punch, judged once")),
        (MONDAY, (16, 0), (225, "TL4", 0, None, "one punch, judged once")),
        # Monday's middle is 11:45: 195 working minutes to 16:00 without the break; before it,
        # 254 minutes late and the missing check-out capped at the 196 left of the day.
        (MONDAY, (11, 45), (225, "TL4", 195, "PSW4", "one punch, judged once")),
        (MONDAY, (11, 44), (254, "TL4", 196, "PSW4", "one punch, judged once")),
    ],
)
def test_a_single_punch_is_judged_once_and_never_exceeds_an_absent_day(
    day: date, punch: tuple[int, int], standing: tuple[object, ...]
) -> None:
    """Issue 15 items 2 and 3. PP 94/2021 counts unexcused days; minutes late and early add
    whole days at 450 working minutes (7.5 h, Perpres 21/2023's 37.5 h a week over five days).
    A day therefore never adds more than one day's 450 minutes, and a punch at 16:30 is not
    both 540 minutes late and a missing check-out."""
    s = day_standing(
        day, POLICY, STANDAR, NO_HOLIDAYS, WIB, at(day, *punch), at(day, *punch), False
    )
    assert (s.late_minutes, s.tl, s.early_minutes, s.psw, s.note) == standing
    assert s.late_minutes + s.early_minutes <= STANDAR.working_minutes(day.weekday()) == 450


def test_the_missing_half_day_can_be_turned_off_as_before_policy_2026_2() -> None:
    text = DEFAULT_POLICY.read_text().replace(
        'missing_punch_minutes = "half_day"', 'missing_punch_minutes = "none"'
    )
    policy = parse_policy(text, "policy.toml")
    s = day_standing(MONDAY, policy, STANDAR, NO_HOLIDAYS, WIB, at(MONDAY, 7, 25), None, False)
    assert (s.early_minutes, s.psw) == (0, "PSW4")


def test_breaks_must_lie_inside_the_day() -> None:
    text = DEFAULT_POLICY.read_text().replace(
        'friday = ["11:30", "13:00"]', 'friday = ["16:00", "17:00"]'
    )
    with pytest.raises(PolicyError, match=r"breaks\.friday: 16:00:00–17:00:00 is not inside"):
        parse_policy(text, "policy.toml")


@pytest.mark.parametrize(
    ("day", "holidays", "punch", "excused", "status"),
    [
        (MONDAY, NO_HOLIDAYS, False, False, DayStatus.TANPA_KETERANGAN),
        (MONDAY, NO_HOLIDAYS, False, True, DayStatus.IZIN),
        (MONDAY, NO_HOLIDAYS, True, True, DayStatus.IZIN),
        (MONDAY, frozenset({MONDAY}), False, False, DayStatus.LIBUR),
        (date(2026, 11, 7), NO_HOLIDAYS, True, False, DayStatus.LIBUR),  # Saturday check-in
    ],
)
def test_absence_excuse_and_days_off(
    day: date, holidays: frozenset[date], punch: bool, excused: bool, status: DayStatus
) -> None:
    first = at(day, 7, 0) if punch else None
    assert day_standing(day, POLICY, STANDAR, holidays, WIB, first, None, excused).status is status


@pytest.mark.parametrize(("minutes", "band"), [(0, None), (1, "TL1"), (91, "TL4"), (500, "TL4")])
def test_band_edges(minutes: int, band: str | None) -> None:
    assert band_of(minutes, POLICY.attendance.tl_bands) == band


# --- PP 94/2021 ------------------------------------------------------------------------------


def absent(n: int, start: date = date(2026, 1, 5), gap_every: int = 2) -> list[DayStanding]:
    """n unexcused days, never two in a row (so the consecutive rule stays out of the way)."""
    days: list[date] = []
    d = start
    while len(days) < n * gap_every:
        if d.weekday() < 5:
            days.append(d)
        d += timedelta(days=1)
    out = []
    for i, day in enumerate(days):
        status = DayStatus.TANPA_KETERANGAN if i % gap_every == 0 else DayStatus.HADIR
        out.append(DayStanding(day, status))
    return out


@pytest.mark.parametrize(
    ("days", "level", "sanction"),
    [
        (2, None, None),
        (3, "ringan", "Teguran lisan"),
        (4, "ringan", "Teguran tertulis"),
        (6, "ringan", "Teguran tertulis"),
        (7, "ringan", "Pernyataan tidak puas secara tertulis"),
        (10, "ringan", "Pernyataan tidak puas secara tertulis"),
        (11, "sedang", "Pemotongan tunjangan kinerja 25% selama 6 bulan"),
        (13, "sedang", "Pemotongan tunjangan kinerja 25% selama 6 bulan"),
        (14, "sedang", "Pemotongan tunjangan kinerja 25% selama 9 bulan"),
        (16, "sedang", "Pemotongan tunjangan kinerja 25% selama 9 bulan"),
        (17, "sedang", "Pemotongan tunjangan kinerja 25% selama 12 bulan"),
        (20, "sedang", "Pemotongan tunjangan kinerja 25% selama 12 bulan"),
        (21, "berat", "Penurunan jabatan setingkat lebih rendah selama 12 bulan"),
        (24, "berat", "Penurunan jabatan setingkat lebih rendah selama 12 bulan"),
        (25, "berat", "Pembebasan dari jabatan menjadi jabatan pelaksana selama 12 bulan"),
        (27, "berat", "Pembebasan dari jabatan menjadi jabatan pelaksana selama 12 bulan"),
        (28, "berat", "Pemberhentian dengan hormat tidak atas permintaan sendiri"),
        (40, "berat", "Pemberhentian dengan hormat tidak atas permintaan sendiri"),
    ],
)
def test_pp94_cumulative_days(days: int, level: str | None, sanction: str | None) -> None:
    out = discipline(absent(days), POLICY)
    assert out.unexcused_days == days
    assert (out.level, out.sanction) == (level, sanction)


def test_ten_consecutive_working_days_lead_to_dismissal_at_once() -> None:
    # Mon 5 Jan .. Fri 16 Jan 2026: ten working days; the weekend between does not break the run.
    run = absent(10, gap_every=1)[:10]
    assert longest_unexcused_run(run) == 10
    out = discipline(run, POLICY)
    assert out.sanction == "Pemberhentian dengan hormat tidak atas permintaan sendiri"
    assert "10 consecutive" in out.reason
    nine = discipline(run[:9], POLICY)
    assert nine.sanction == "Pernyataan tidak puas secara tertulis"


# 21 Dec 2026 (Mon) .. 5 Jan 2027 (Tue): 25 Dec and 1 Jan are holidays, so ten working days.
CHRISTMAS_RUN = [date(2026, 12, d) for d in (21, 22, 23, 24, 28, 29, 30, 31)] + [
    date(2027, 1, 4),
    date(2027, 1, 5),
]


def unexcused(days: list[date]) -> list[DayStanding]:
    return [DayStanding(d, DayStatus.TANPA_KETERANGAN) for d in days]


@pytest.mark.parametrize(
    ("december", "january", "run", "sanction"),
    [
        # Issue 15 item 1: PP 94/2021 bounds the cumulative count by the calendar year, not the
        # ten consecutive days (Pasal 11 ayat (2) huruf d: PDH-TAPS).
        (CHRISTMAS_RUN[:8], CHRISTMAS_RUN[8:], 10, "Pemberhentian dengan hormat"),
        (CHRISTMAS_RUN[1:8], CHRISTMAS_RUN[8:], 9, None),  # nine: no dismissal; 2 days: none
        # A present day on 31 December breaks the run.
        (CHRISTMAS_RUN[:7], CHRISTMAS_RUN[8:], 2, None),
        # A run that reached ten before New Year was judged in its year and is not carried.
        (
            [date(2026, 12, d) for d in (14, 15, 16, 17, 18)] + CHRISTMAS_RUN[:8],
            CHRISTMAS_RUN[8:],
            2,
            None,
        ),
    ],
)
def test_ten_consecutive_days_across_new_year(
    december: list[date], january: list[date], run: int, sanction: str | None
) -> None:
    before = unexcused(december)
    if date(2026, 12, 31) not in december:
        before.append(DayStanding(date(2026, 12, 31), DayStatus.HADIR))
    out = discipline(unexcused(january), POLICY, before)
    assert out.longest_run == run
    assert out.unexcused_days == 2  # the cumulative count stays within 2027
    if sanction is None:
        assert out.level_index <= 1
    else:
        assert str(out.sanction).startswith(sanction)
        assert "8 of them in the December before" in out.reason


@pytest.mark.parametrize(("minutes", "converted"), [(449, 0), (450, 1), (899, 1), (1350, 3)])
def test_minutes_late_or_early_convert_to_days(minutes: int, converted: int) -> None:
    days = [DayStanding(MONDAY, DayStatus.HADIR, late_minutes=minutes)]
    out = discipline(days, POLICY)
    assert out.converted_days == converted
    off = POLICY.model_copy(
        update={
            "discipline": POLICY.discipline.model_copy(update={"convert_minutes_to_days": False})
        }
    )
    assert discipline(days, off).converted_days == 0


def test_tpp_deduction_sums_the_month_and_is_capped() -> None:
    month = [
        DayStanding(MONDAY, DayStatus.HADIR, late_minutes=10, tl="TL1"),
        DayStanding(
            MONDAY, DayStatus.HADIR, late_minutes=95, tl="TL4", early_minutes=40, psw="PSW2"
        ),
        DayStanding(MONDAY, DayStatus.TANPA_KETERANGAN),
        DayStanding(MONDAY, DayStatus.IZIN),
    ]
    d = tpp_deduction(month, POLICY)
    assert d.percent == pytest.approx(0.5 + 1.5 + 1.0 + 3.0)
    assert d.by_category == {"TL1": 1, "TL4": 1, "PSW2": 1}
    assert not d.capped
    many = [DayStanding(MONDAY, DayStatus.TANPA_KETERANGAN)] * 40
    assert tpp_deduction(many, POLICY).percent == 100.0
    assert tpp_deduction(many, POLICY).capped


# --- IKM (PermenPANRB 14/2017) ---------------------------------------------------------------


def test_skm_formula_worked_example() -> None:
    # Four respondents; NRR per element = mean; IKM = Σ NRR × 0,111; konversi = IKM × 25.
    responses = [
        {"U1": 4, "U2": 3, "U3": 3, "U4": 4, "U5": 3, "U6": 4, "U7": 4, "U8": 3, "U9": 3},
        {"U1": 3, "U2": 3, "U3": 2, "U4": 4, "U5": 3, "U6": 3, "U7": 4, "U8": 3, "U9": 3},
        {"U1": 4, "U2": 4, "U3": 3, "U4": 4, "U5": 4, "U6": 4, "U7": 4, "U8": 2, "U9": 3},
        {"U1": 3, "U2": 3, "U3": 3, "U4": 4, "U5": 3, "U6": 3, "U7": 3, "U8": 3, "U9": 2},
    ]
    result = ikm_of(responses, POLICY)
    assert result is not None
    assert result.nrr["U1"] == 3.5
    assert result.nrr["U3"] == 2.75
    # Σ NRR = 3.5+3.25+2.75+4+3.25+3.5+3.75+2.75+2.75 = 29.5; × 0,111 = 3.2745; ×25 = 81.86
    assert result.index == pytest.approx(3.2745, abs=1e-4)
    assert result.converted == 81.86
    assert (result.category, result.label) == ("B", "Baik")
    assert not result.final  # fewer than 30 responses: provisional


@pytest.mark.parametrize(
    ("value", "category"),
    [
        (25.0, "D"),
        (64.99, "D"),
        (64.994, "D"),
        (64.995, "C"),
        (65.0, "C"),
        (76.6, "C"),
        (76.61, "B"),
        (88.3, "B"),
        (88.31, "A"),
        (100.0, "A"),
    ],
)
def test_ikm_band_edges(value: float, category: str) -> None:
    assert category_of(value, POLICY)[0] == category


def test_one_button_kiosk_counts_for_every_element_and_30_make_it_final() -> None:
    tally = IkmTally()
    for _ in range(30):
        tally.add({"overall": 4})
    result = ikm(tally, POLICY)
    assert result is not None
    assert set(result.nrr) == {f"U{i}" for i in range(1, 10)}
    # The regulation's 0,111 gives 3,996 for all fours: 99,9 converted.
    assert (result.converted, result.category, result.final) == (99.9, "A", True)
    assert ikm(IkmTally(), POLICY) is None


@pytest.mark.parametrize(
    ("weight", "converted", "category"),
    [
        # Every element's NRR 3,5324, the lower bound of A on the 1–4 scale (domain rules §3):
        # with the regulation's 0,111 it is 3,5289 → 88,22, B; with the exact ninth 88,31, A.
        (0.111, 88.22, "B"),
        (1 / 9, 88.31, "A"),
    ],
)
def test_the_element_weight_is_the_policys_and_decides_at_a_band_edge(
    weight: float, converted: float, category: str
) -> None:
    policy = POLICY.model_copy(
        update={"ikm": POLICY.ikm.model_copy(update={"element_weight": weight})}
    )
    tally = IkmTally(2500, {e: 8831 for e in ELEMENTS}, {e: 2500 for e in ELEMENTS})
    result = ikm(tally, policy)
    assert result is not None
    assert (result.converted, result.category) == (converted, category)


def test_an_element_nobody_rated_leaves_the_index_provisional() -> None:
    answers = {f"U{i}": 4 for i in range(1, 9)}  # U9 never asked
    result = ikm_of([answers] * 40, POLICY)
    assert result is not None
    assert result.converted == 99.9  # the eight share the ninth's weight
    assert not result.final  # the regulation's questionnaire rates all nine


# --- PermenPANRB 6/2022 ----------------------------------------------------------------------

# §1.4 of the domain rules, written out cell by cell: rows Hasil Kerja, columns Perilaku Kerja.
MATRIX_AS_PUBLISHED = {
    "Di Atas": {"Di Bawah": "Kurang/Misconduct", "Sesuai": "Baik", "Di Atas": "Sangat Baik"},
    "Sesuai": {"Di Bawah": "Kurang/Misconduct", "Sesuai": "Baik", "Di Atas": "Baik"},
    "Di Bawah": {
        "Di Bawah": "Sangat Kurang",
        "Sesuai": "Butuh Perbaikan",
        "Di Atas": "Butuh Perbaikan",
    },
}
CELLS = [(h, p, want) for h, row in MATRIX_AS_PUBLISHED.items() for p, want in row.items()]


@pytest.mark.parametrize(("hasil", "perilaku", "expected"), CELLS)
def test_every_cell_of_the_predicate_matrix(hasil: str, perilaku: str, expected: str) -> None:
    assert predikat(Rating(f"{hasil} Ekspektasi"), Rating(f"{perilaku} Ekspektasi")).value == (
        expected
    )


@pytest.mark.parametrize(
    ("target", "realized", "higher", "elapsed", "status"),
    [
        (100, 110, True, 1.0, IndicatorStatus.ABOVE),
        (100, 109.9, True, 1.0, IndicatorStatus.MEETS),
        (100, 90, True, 1.0, IndicatorStatus.MEETS),
        (100, 89.9, True, 1.0, IndicatorStatus.BELOW),
        (100, 45, True, 0.5, IndicatorStatus.MEETS),  # mid-year: 90% × 0.5 = 45%
        (100, 44, True, 0.5, IndicatorStatus.BELOW),
        (100, 55, True, 0.5, IndicatorStatus.ABOVE),
        (10, 9, False, 0.5, IndicatorStatus.ABOVE),  # lower is better: 10/9 = 111%
        (10, 11, False, 1.0, IndicatorStatus.MEETS),  # 90.9%
        (10, 0, False, 1.0, IndicatorStatus.ABOVE),  # nothing happened: best
        (0, 5, True, 1.0, IndicatorStatus.MEETS),  # no target: met
    ],
)
def test_indicator_status(
    target: float, realized: float, higher: bool, elapsed: float, status: IndicatorStatus
) -> None:
    achievement = achievement_percent(target, realized, higher)
    assert indicator_status(achievement, elapsed, higher, POLICY) is status


def test_display_is_capped_at_120() -> None:
    assert display_percent(achievement_percent(10, 0, False), POLICY) == 120.0
    assert display_percent(achievement_percent(100, 150, True), POLICY) == 120.0


A, M, B = IndicatorStatus.ABOVE, IndicatorStatus.MEETS, IndicatorStatus.BELOW


@pytest.mark.parametrize(
    ("statuses", "rating"),
    [
        ([(A, True), (A, False), (M, False)], Rating.DI_ATAS),
        # One main result of three below: "a small part", so Sesuai, never Di Atas.
        ([(A, True), (A, True), (A, False), (B, True)], Rating.SESUAI),
        ([(A, True), (M, False)], Rating.SESUAI),  # half above is not most
        ([(B, True), (B, False), (A, False)], Rating.DI_BAWAH),
        ([(M, True), (B, False)], Rating.SESUAI),
        # Issue 15 item 9: both main results below and three others fine is Di Bawah: half or
        # more of the main results below is not "a small part" (domain rules §1.3).
        ([(B, True), (B, True), (M, False), (M, False), (A, False)], Rating.DI_BAWAH),
        ([(B, True), (M, True), (A, False), (A, False)], Rating.DI_BAWAH),  # one of two
        ([(A, False), (A, False), (B, True)], Rating.DI_BAWAH),  # the only main one below
        ([], None),
    ],
)
def test_hasil_kerja(statuses: list[tuple[IndicatorStatus, bool]], rating: Rating | None) -> None:
    assert hasil_kerja(statuses) == rating


@pytest.mark.parametrize(
    ("level", "ikm_cat", "unexcused", "tl_psw", "rating"),
    [
        (None, "A", 0, 2, Rating.DI_ATAS),
        (None, "A", 0, 3, Rating.SESUAI),
        (None, "A", 1, 0, Rating.SESUAI),
        (None, "B", 0, 0, Rating.SESUAI),
        (None, None, 0, 0, Rating.SESUAI),
        ("ringan", "A", 0, 0, Rating.DI_ATAS),
        ("sedang", "A", 0, 0, Rating.DI_BAWAH),
        ("berat", None, 0, 0, Rating.DI_BAWAH),
        (None, "D", 0, 0, Rating.DI_BAWAH),
    ],
)
def test_perilaku_proposal(
    level: str | None, ikm_cat: str | None, unexcused: int, tl_psw: int, rating: Rating
) -> None:
    assert perilaku_proposal(level, ikm_cat, unexcused, tl_psw, POLICY) is rating


@pytest.mark.parametrize(
    ("annual", "level", "recognition", "coaching"),
    [
        (Predikat.SANGAT_BAIK, None, True, False),
        (Predikat.SANGAT_BAIK, "ringan", False, True),
        (Predikat.BAIK, None, False, False),
        (Predikat.BUTUH_PERBAIKAN, None, False, True),
        (Predikat.KURANG, None, False, True),
        (Predikat.SANGAT_KURANG, "berat", False, True),
    ],
)
def test_annual_outcomes(
    annual: Predikat, level: str | None, recognition: bool, coaching: bool
) -> None:
    out = annual_outcome(annual, level, "3 day(s) without a valid reason")
    assert (out.recognition, out.coaching) == (recognition, coaching)
    assert bool(out.reasons) == coaching


SB, BK, BP, KM, SK = (
    Predikat.SANGAT_BAIK,
    Predikat.BAIK,
    Predikat.BUTUH_PERBAIKAN,
    Predikat.KURANG,
    Predikat.SANGAT_KURANG,
)


@pytest.mark.parametrize(
    ("org", "counts", "problems"),
    [
        (OrgPredikat.ISTIMEWA, {SB: 7, BK: 3}, []),
        (OrgPredikat.ISTIMEWA, {SB: 8, BK: 2}, ["Sangat Baik paling banyak 70%"]),
        # Issue 15 item 8: "sebagian besar" is a majority, not the largest group: 40% Sangat
        # Baik beside 30% Baik and 30% Butuh Perbaikan does not fit Istimewa.
        (
            OrgPredikat.ISTIMEWA,
            {SB: 4, BK: 3, BP: 3},
            ["sebagian besar (lebih dari separuh) harus Sangat Baik"],
        ),
        (
            OrgPredikat.ISTIMEWA,
            {SB: 5, BK: 5},
            ["sebagian besar (lebih dari separuh) harus Sangat Baik"],
        ),
        (OrgPredikat.BAIK, {BK: 7, BP: 2, SB: 1}, []),
        (
            OrgPredikat.BAIK,
            {BK: 4, BP: 3, SB: 3},
            ["sebagian besar (lebih dari separuh) harus Baik"],
        ),
        (
            OrgPredikat.BAIK,
            {BK: 7, SB: 3},
            ["harus ada yang Butuh Perbaikan atau Kurang/Misconduct"],
        ),
        (OrgPredikat.BUTUH_PERBAIKAN, {BP: 6, BK: 3, SB: 1}, []),
        (
            OrgPredikat.BUTUH_PERBAIKAN,
            {BP: 5, BK: 3, SB: 2},
            ["Butuh Perbaikan paling sedikit 60%", "Sangat Baik paling banyak 10%"],
        ),
        (OrgPredikat.KURANG, {KM: 6, BP: 1, BK: 3}, []),
        (OrgPredikat.KURANG, {KM: 6, BK: 4}, ["Butuh Perbaikan paling sedikit 10%"]),
        (OrgPredikat.SANGAT_KURANG, {SK: 6, KM: 1, BK: 3}, []),
        (OrgPredikat.SANGAT_KURANG, {SK: 6, KM: 3, SB: 1}, ["tidak boleh ada Sangat Baik"]),
        (OrgPredikat.BAIK, {}, []),
    ],
)
def test_distribution_check(
    org: OrgPredikat, counts: dict[Predikat, int], problems: list[str]
) -> None:
    assert distribution_check(org, counts) == problems


@pytest.mark.parametrize("name", ["Cukup", "cukup", "Butuh Perbaikan/Cukup", "Butuh Perbaikan"])
def test_cukup_is_the_middle_organisational_predicate(name: str) -> None:
    assert OrgPredikat(name) is OrgPredikat.BUTUH_PERBAIKAN


def test_an_unknown_schedule_name_is_judged_by_standar_and_says_so() -> None:
    assert POLICY.schedule_for("standar") == ("standar", STANDAR)
    name, schedule = POLICY.schedule_for("shift_rsud")
    assert schedule is STANDAR
    assert name == "standar (jadwal 'shift_rsud' tidak ada di kebijakan)"


@pytest.mark.parametrize(
    ("punches", "permit", "standing"),
    [
        # Issue 15 item 6: izin datang terlambat until 10:00 (a letter from the supervisor, as
        # many Pemda rules allow): arriving at 09:50 costs nothing, at 10:20 twenty minutes.
        (((9, 50), (16, 0)), ((10, 0), None), (0, None, 0, None)),
        (((10, 20), (16, 0)), ((10, 0), None), (20, "TL1", 0, None)),
        # Without a time the whole day's lateness is excused.
        (((11, 0), (16, 0)), ((23, 59), None), (0, None, 0, None)),
        # izin pulang cepat from 14:00: leaving at 14:00 costs nothing, at 13:30 thirty minutes.
        (((7, 30), (14, 0)), (None, (14, 0)), (0, None, 0, None)),
        (((7, 30), (13, 30)), (None, (14, 0)), (0, None, 30, "PSW1")),
        # The permission excuses minutes, not the day's missing punch.
        (((7, 30), None), (None, (14, 0)), (0, None, 225, "PSW4")),
    ],
)
def test_a_partial_day_permission_excuses_minutes_not_the_day(
    punches: tuple[tuple[int, int], tuple[int, int] | None],
    permit: tuple[tuple[int, int] | None, tuple[int, int] | None],
    standing: tuple[object, ...],
) -> None:
    first, last = punches
    late_until, early_from = (at(MONDAY, *t) if t else None for t in permit)
    s = day_standing(
        MONDAY,
        POLICY,
        STANDAR,
        NO_HOLIDAYS,
        WIB,
        at(MONDAY, *first),
        at(MONDAY, *last) if last else None,
        False,
        permit=Permit(late_until, early_from),
    )
    assert s.status is DayStatus.HADIR  # the day still counts as a working day present
    assert (s.late_minutes, s.tl, s.early_minutes, s.psw) == standing


# --- Issue 15 item 4: schedules with dates, Ramadan, history, night shifts --------------------


def judged(
    work: WorkSchedule | Schedule, facts: dict[date, DayFacts], *days: date
) -> list[DayStanding]:
    return standings(min(days), max(days), facts, frozenset(days), work, NO_HOLIDAYS, WIB, POLICY)


@pytest.mark.parametrize(
    ("day", "arrive", "late"),
    [
        (date(2026, 3, 2), (8, 0), 0),  # Ramadan 1447 H: hours from 08:00 (Perpres 21/2023)
        (date(2026, 3, 2), (8, 20), 20),
        (date(2026, 3, 23), (8, 0), 30),  # after Ramadan: 07:30 again
        (date(2026, 2, 16), (8, 0), 30),  # before it
    ],
)
def test_ramadan_hours_hold_on_the_periods_dates(
    day: date, arrive: tuple[int, int], late: int
) -> None:
    work = WorkSchedule(POLICY)
    facts = {day: DayFacts(at(day, *arrive), at(day, 16, 30))}
    (s,) = judged(work, facts, day)
    assert s.late_minutes == late
    assert POLICY.hours_on("standar", date(2026, 3, 2))[0] == "ramadan"
    assert POLICY.schedules["ramadan"].working_minutes(0) == 390  # 32.5 h over five days


def test_past_days_keep_the_hours_they_had() -> None:
    """Moved from the office's hours to the morning shift on 2 November: October's days are
    judged by 07:30, November's by 07:00."""
    work = WorkSchedule(POLICY, ((None, "standar"), (date(2026, 11, 2), "shift_pagi")))
    october, november = date(2026, 10, 26), date(2026, 11, 2)
    facts = {d: DayFacts(at(d, 7, 20), at(d, 16, 0)) for d in (october, november)}
    before, after = judged(work, facts, october, november)
    assert (before.late_minutes, before.early_minutes) == (0, 0)
    assert (after.late_minutes, after.tl) == (20, "TL1")
    assert work.names() == ["standar", "shift_pagi (sejak 2026-11-02)"]


@pytest.mark.parametrize(
    ("evening", "morning", "standing"),
    [
        # A night shift 21:00–07:00 (600 minutes) starts Monday and ends Tuesday morning.
        ((20, 55), (7, 5), (0, None, 0, None)),
        ((21, 30), (7, 5), (30, "TL1", 0, None)),
        ((20, 55), (6, 0), (0, None, 60, "PSW2")),
        ((20, 55), None, (0, None, 300, "PSW4")),  # no check-out: half the shift
        (None, (7, 5), (300, "TL4", 0, None)),
    ],
)
def test_a_night_shift_is_judged_from_the_evening_to_the_next_morning(
    evening: tuple[int, int] | None,
    morning: tuple[int, int] | None,
    standing: tuple[object, ...],
) -> None:
    monday, tuesday = date(2026, 11, 2), date(2026, 11, 3)
    # The previous night's check-out (Monday 07:02) is no check-in for Monday's shift.
    mon = DayFacts(at(monday, 7, 2), None, last_in=at(monday, *evening) if evening else None)
    tue = DayFacts(first_out=at(tuesday, *morning) if morning else None)
    night = POLICY.schedules["shift_malam"]
    s = standings(
        monday,
        monday,
        {monday: mon, tuesday: tue},
        frozenset({monday}),
        night,
        NO_HOLIDAYS,
        WIB,
        POLICY,
    )
    assert (s[0].late_minutes, s[0].tl, s[0].early_minutes, s[0].psw) == standing


def test_night_shifts_must_say_so_and_periods_name_known_schedules() -> None:
    text = DEFAULT_POLICY.read_text()
    with pytest.raises(PolicyError, match="monday: the end 07:00:00 is not after the start"):
        parse_policy(text.replace("overnight = true\n", ""), "policy.toml")
    with pytest.raises(PolicyError, match=r"schedule_periods names unknown schedules \['puasa'\]"):
        parse_policy(text.replace('use = "ramadan"', 'use = "puasa"'), "policy.toml")

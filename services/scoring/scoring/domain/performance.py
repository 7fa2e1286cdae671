"""Hasil Kerja (work results), Perilaku Kerja (work behaviour) and the Predikat Kinerja
(performance predicate) of PermenPANRB 6/2022; annual outcomes and the distribution check (pure).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from scoring.domain.policy import Policy


class Rating(StrEnum):
    DI_ATAS = "Di Atas Ekspektasi"  # above expectations
    SESUAI = "Sesuai Ekspektasi"  # as expected
    DI_BAWAH = "Di Bawah Ekspektasi"  # below expectations


class Predikat(StrEnum):
    SANGAT_BAIK = "Sangat Baik"
    BAIK = "Baik"
    BUTUH_PERBAIKAN = "Butuh Perbaikan"
    KURANG = "Kurang/Misconduct"
    SANGAT_KURANG = "Sangat Kurang"


#: PermenPANRB 6/2022, the matrix of (rating hasil kerja, rating perilaku kerja) → predikat.
PREDICATE_MATRIX: dict[tuple[Rating, Rating], Predikat] = {
    (Rating.DI_ATAS, Rating.DI_BAWAH): Predikat.KURANG,
    (Rating.DI_ATAS, Rating.SESUAI): Predikat.BAIK,
    (Rating.DI_ATAS, Rating.DI_ATAS): Predikat.SANGAT_BAIK,
    (Rating.SESUAI, Rating.DI_BAWAH): Predikat.KURANG,
    (Rating.SESUAI, Rating.SESUAI): Predikat.BAIK,
    (Rating.SESUAI, Rating.DI_ATAS): Predikat.BAIK,
    (Rating.DI_BAWAH, Rating.DI_BAWAH): Predikat.SANGAT_KURANG,
    (Rating.DI_BAWAH, Rating.SESUAI): Predikat.BUTUH_PERBAIKAN,
    (Rating.DI_BAWAH, Rating.DI_ATAS): Predikat.BUTUH_PERBAIKAN,
}


def predikat(hasil_kerja: Rating, perilaku_kerja: Rating) -> Predikat:
    return PREDICATE_MATRIX[(hasil_kerja, perilaku_kerja)]


class IndicatorStatus(StrEnum):
    ABOVE = "above"
    MEETS = "meets"
    BELOW = "below"


def achievement_percent(target: float, realized: float, higher_is_better: bool) -> float:
    """Capacity-free achievement: realized ÷ target, or target ÷ realized when lower is better.

    Guards: a zero target is met by anything (100 %); a zero realisation of a lower-is-better
    indicator is the best possible (reported at the display cap by the caller)."""
    if higher_is_better:
        return 100.0 if target == 0 else realized / target * 100
    if realized == 0:
        return float("inf")
    return target / realized * 100


def indicator_status(
    achievement: float, year_elapsed: float, higher_is_better: bool, policy: Policy
) -> IndicatorStatus:
    """Against the thresholds pro-rated to the share of the year elapsed (cumulative indicators;
    a lower-is-better figure is a rate and is not pro-rated)."""
    share = min(1.0, max(year_elapsed, 1e-9)) if higher_is_better else 1.0
    if achievement >= policy.targets.above_percent * share:
        return IndicatorStatus.ABOVE
    if achievement >= policy.targets.meets_percent * share:
        return IndicatorStatus.MEETS
    return IndicatorStatus.BELOW


def display_percent(achievement: float, policy: Policy) -> float:
    return round(min(achievement, policy.targets.display_cap_percent), 2)


def hasil_kerja(statuses: Sequence[tuple[IndicatorStatus, bool]]) -> Rating | None:
    """(status, is_main) per indicator → the rating (PermenPANRB 6/2022 as BKN's e-Kinerja
    guidance words it, domain rules §1.3):

    - Di Atas: most results above expectation and no main (utama) result below;
    - Sesuai: most results as expected, with at most *a small part* of the main results below;
    - Di Bawah: most results below, or at least half of the main results below: main results
      below by half or more are not "a small part", so the other results cannot carry them
      (both main results below and three others fine is Di Bawah, not Sesuai).

    None without indicators."""
    if not statuses:
        return None
    n = len(statuses)
    above = sum(1 for s, _ in statuses if s is IndicatorStatus.ABOVE)
    below = sum(1 for s, _ in statuses if s is IndicatorStatus.BELOW)
    mains = [s for s, main in statuses if main]
    main_below = sum(1 for s in mains if s is IndicatorStatus.BELOW)
    if above * 2 > n and not main_below:
        return Rating.DI_ATAS
    if below * 2 > n or (mains and main_below * 2 >= len(mains)):
        return Rating.DI_BAWAH
    return Rating.SESUAI


def perilaku_proposal(
    discipline_level: str | None,
    ikm_category: str | None,
    unexcused_days: int,
    tl_psw_days: int,
    policy: Policy,
) -> Rating:
    """Kinerja's proposal until the supervisor rates the period (marked as a proposal)."""
    if discipline_level in ("sedang", "berat") or ikm_category == "D":
        return Rating.DI_BAWAH
    if (
        unexcused_days == 0
        and tl_psw_days <= policy.behaviour.max_tl_psw_days_for_above
        and ikm_category == "A"
    ):
        return Rating.DI_ATAS
    return Rating.SESUAI


@dataclass(frozen=True, slots=True)
class Outcome:
    recognition: bool  # penghargaan candidate
    coaching: bool  # pembinaan list
    reasons: tuple[str, ...]


def annual_outcome(
    annual: Predikat | None, discipline_level: str | None, discipline_reason: str = ""
) -> Outcome:
    reasons = []
    if annual in (Predikat.BUTUH_PERBAIKAN, Predikat.KURANG, Predikat.SANGAT_KURANG):
        reasons.append(f"annual predicate {annual.value}")
    if discipline_level is not None:
        reasons.append(f"discipline level {discipline_level}: {discipline_reason}".rstrip(": "))
    return Outcome(annual is Predikat.SANGAT_BAIK and not reasons, bool(reasons), tuple(reasons))


# --- §1.5: the distribution pattern of the unit's organisational predicate --------------------


class OrgPredikat(StrEnum):
    ISTIMEWA = "Istimewa"
    BAIK = "Baik"
    BUTUH_PERBAIKAN = "Butuh Perbaikan"
    KURANG = "Kurang"
    SANGAT_KURANG = "Sangat Kurang"

    @classmethod
    def _missing_(cls, value: object) -> OrgPredikat | None:
        # "Butuh Perbaikan/Cukup": sources name the middle predicate either way (§1.5).
        if isinstance(value, str) and value.strip().lower() in ("cukup", "butuh perbaikan/cukup"):
            return cls.BUTUH_PERBAIKAN
        return None


#: The rating hasil kerja of a unit's head follows the unit's organisational predicate
#: (PermenPANRB 6/2022: the assessed person leads the unit, so the unit's achievement is their
#: result; domain rules §1.5).
HEAD_RATING: dict[OrgPredikat, Rating] = {
    OrgPredikat.ISTIMEWA: Rating.DI_ATAS,
    OrgPredikat.BAIK: Rating.SESUAI,
    OrgPredikat.BUTUH_PERBAIKAN: Rating.DI_BAWAH,
    OrgPredikat.KURANG: Rating.DI_BAWAH,
    OrgPredikat.SANGAT_KURANG: Rating.DI_BAWAH,
}


def distribution_check(org: OrgPredikat, counts: Mapping[Predikat, int]) -> list[str]:
    """Where the employees' predicates do not fit the pattern of the unit's predicate (empty:
    they fit), in Indonesian for the console. Shares are of all employees with a predicate;
    "sebagian besar" (most) is a majority, more than half."""
    total = sum(counts.values())
    if total == 0:
        return []

    def share(*ps: Predikat) -> float:
        return sum(counts.get(p, 0) for p in ps) / total

    sb, b, bp = Predikat.SANGAT_BAIK, Predikat.BAIK, Predikat.BUTUH_PERBAIKAN
    k, sk = Predikat.KURANG, Predikat.SANGAT_KURANG
    problems: list[str] = []

    def need(ok: bool, text: str) -> None:
        if not ok:
            problems.append(text)

    if org is OrgPredikat.ISTIMEWA:
        need(share(sb) <= 0.70, "Sangat Baik paling banyak 70%")
        need(share(sb) > 0.50, "sebagian besar (lebih dari separuh) harus Sangat Baik")
    elif org is OrgPredikat.BAIK:
        need(share(b) <= 0.70, "Baik paling banyak 70%")
        need(share(b) > 0.50, "sebagian besar (lebih dari separuh) harus Baik")
        need(share(bp, k) > 0, "harus ada yang Butuh Perbaikan atau Kurang/Misconduct")
    elif org is OrgPredikat.BUTUH_PERBAIKAN:
        need(share(bp) >= 0.60, "Butuh Perbaikan paling sedikit 60%")
        need(share(sb) <= 0.10, "Sangat Baik paling banyak 10%")
    elif org is OrgPredikat.KURANG:
        need(share(k) >= 0.60, "Kurang/Misconduct paling sedikit 60%")
        need(share(bp) >= 0.10, "Butuh Perbaikan paling sedikit 10%")
        need(share(sb) <= 0.10, "Sangat Baik paling banyak 10%")
    else:
        need(share(sk) >= 0.60, "Sangat Kurang paling sedikit 60%")
        need(share(k, bp) >= 0.10, "Kurang/Misconduct atau Butuh Perbaikan paling sedikit 10%")
        need(share(sb) == 0, "tidak boleh ada Sangat Baik")
    return problems

"""The performance dialogue's rules as plain data and pure functions (PermenPANRB 6/2022):
categories and the BerAKHLAK values, who may do what on a thread, and the employee's feedback
on a coaching session (Format B.1.8)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from enum import StrEnum

from kinerja_shared.identity import Principal, Role
from kinerja_shared.periods import named


class Kategori(StrEnum):
    """What the feedback is about (kategori umpan balik)."""

    DISIPLIN = "disiplin"  # working hours and discipline
    PELAYANAN = "pelayanan"  # service to citizens
    TARGET = "target"  # individual targets (SKP)
    PERILAKU = "perilaku"  # work behaviour, by the BerAKHLAK values


class NilaiBerakhlak(StrEnum):
    """The seven core values of ASN (BerAKHLAK) that behaviour is judged against."""

    BERORIENTASI_PELAYANAN = "berorientasi_pelayanan"  # service-oriented
    AKUNTABEL = "akuntabel"  # accountable
    KOMPETEN = "kompeten"  # competent
    HARMONIS = "harmonis"  # harmonious
    LOYAL = "loyal"
    ADAPTIF = "adaptif"  # adaptive
    KOLABORATIF = "kolaboratif"  # collaborative


class Visibility(StrEnum):
    BERSAMA = "bersama"  # the employee and their supervisors (the dialogue itself)
    ATASAN = "atasan"  # the supervisors' chain only: a note the employee does not see


class Relation(StrEnum):
    """How the signed-in person stands to the employee a thread is about."""

    SELF = "self"
    SUPERVISOR = "supervisor"  # the direct supervisor or anyone above in the chain
    ADMIN = "admin"
    NONE = "none"


def relation(principal: Principal, nip: str, chain_above: Sequence[str]) -> Relation:
    """``chain_above``: the NIPs above ``nip``, nearest first."""
    if principal.sub == nip:
        return Relation.SELF
    if principal.has(Role.SUPERVISOR) and principal.sub in chain_above:
        return Relation.SUPERVISOR
    if principal.has(Role.ADMIN):
        return Relation.ADMIN
    return Relation.NONE


def may_write_feedback(rel: Relation) -> bool:
    return rel is Relation.SUPERVISOR


def may_read(rel: Relation, visibility: Visibility) -> bool:
    if rel is Relation.SELF:
        return visibility is Visibility.BERSAMA
    return rel in (Relation.SUPERVISOR, Relation.ADMIN)


def readable_by(
    principal: Principal, nip: str, visibility: Visibility, chain_above: Sequence[str]
) -> bool:
    """Whether ``principal`` may read a thread about ``nip``: the same rule everywhere the
    dialogue shows, the unit's aggregates included (a supervisor outside the chain, or ops,
    sees nothing of it)."""
    return may_read(relation(principal, nip, chain_above), visibility)


def may_reply(rel: Relation, visibility: Visibility) -> bool:
    if rel is Relation.SELF:
        return visibility is Visibility.BERSAMA
    return rel is Relation.SUPERVISOR


def may_acknowledge(rel: Relation, visibility: Visibility) -> bool:
    return rel is Relation.SELF and visibility is Visibility.BERSAMA


def may_rate(rel: Relation) -> bool:
    """The Perilaku Kerja rating is the supervisor's (their chain may correct it)."""
    return rel is Relation.SUPERVISOR


#: Format B.1.8, Umpan Balik Pelaksanaan Bimbingan Kinerja: the employee answers after coaching.
B18_STATEMENTS = (
    "Saya merasa didengarkan",
    "Tindakan saya dihargai",
    "Saya bebas menyampaikan pendapat",
    "Pandangan atasan didasarkan pada data yang akurat",
    "Bimbingan disampaikan secara positif",
    "Atasan lebih banyak bertanya daripada menggurui",
    "Atasan membantu saya menemukan solusi dan tindakan",
    "Saya tahu apa yang harus saya lakukan selanjutnya",
    "Saya memahami tujuan bimbingan ini",
)


def b18_score(answers: Sequence[bool]) -> str:
    """How many of the nine statements the employee agreed with, e.g. ``7/9``."""
    if len(answers) != len(B18_STATEMENTS):
        raise ValueError(f"Format B.1.8 has {len(B18_STATEMENTS)} statements")
    return f"{sum(answers)}/{len(answers)}"


# --- Objections (keberatan), PP 30/2019 Pasal 59 ----------------------------------------------

#: PP 30/2019 Pasal 59: an objection reaches the appraiser's superior within 14 days of the
#: result being received.
OBJECTION_FILING_DAYS = 14
#: The regulation sets the reviewer no limit; Kinerja asks for a decision within 14 days (a local
#: rule) and the notifier reminds the reviewer until then.
OBJECTION_DECISION_DAYS = 14


def filing_window(period: str, rated_on: date | None, today: date) -> tuple[bool, date]:
    """(may the employee object today, the last day they may). The result is received at the
    later of the period's end and the supervisor's latest rating of it; there is a result to
    object to once the period is over or the supervisor has rated it."""
    end = named(period).end
    received = max(end, rated_on) if rated_on is not None else end
    last = received + timedelta(days=OBJECTION_FILING_DAYS)
    has_result = rated_on is not None or today > end
    return has_result and today <= last, last

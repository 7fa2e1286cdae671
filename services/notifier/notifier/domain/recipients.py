"""Who hears of a notice, from the org chart (pure)."""

from __future__ import annotations

from collections.abc import Mapping

from kinerja_shared.orgchart import Lookup, Person, chain_above, unit_head
from notifier.domain.model import Notice, Recipient

__all__ = ["Lookup", "chain_above", "escalation_target", "recipients_for", "unit_head"]


def _of(person: Person | None, reason: str) -> Recipient | None:
    if person is None:
        return None
    return Recipient(person.nip, reason, person.email, person.name)


def recipients_for(
    notice: Notice, lookup: Lookup, roles: Mapping[str, list[Recipient]]
) -> list[Recipient]:
    """By the org chart: coaching → the direct supervisor; discipline → the supervisor, the head
    of the unit and the BKD role; recognition → the employee and the supervisor; dialogue → the
    other party. One entry per recipient, the first reason kept; never the author of a step."""
    employee = lookup(notice.nip)
    supervisor_nip = notice.supervisor_nip or (employee.supervisor_nip if employee else None)
    supervisor = lookup(supervisor_nip) if supervisor_nip else None
    found: list[Recipient | None] = []
    match notice.type:
        case "coaching.needed":
            found.append(_of(supervisor, "atasan langsung"))
        case "discipline.threshold_crossed":
            found.append(_of(supervisor, "atasan langsung"))
            found.append(_of(unit_head(notice.nip, lookup), "kepala unit kerja"))
            found.extend(roles.get("bkd", []))
        case "recognition.earned":
            found.append(_of(employee, "pegawai yang bersangkutan"))
            found.append(_of(supervisor, "atasan langsung"))
        case _ if notice.is_dialogue:
            if notice.author_nip == notice.nip:
                found.append(_of(supervisor, "atasan dalam dialog kinerja"))
            else:
                found.append(_of(employee, "pegawai dalam dialog kinerja"))
    unique: dict[str, Recipient] = {}
    for r in found:
        if r is not None and r.id not in unique and r.id != notice.author_nip:
            # The employee concerned hears of discipline only through their supervisor.
            if notice.type == "discipline.threshold_crossed" and r.id == notice.nip:
                continue
            unique[r.id] = r
    return list(unique.values())


def escalation_target(notice: Notice, level: int, lookup: Lookup) -> Recipient | None:
    """Level 1 is the supervisor's supervisor, and so on up the chain; None past its top."""
    chain = chain_above(notice.nip, lookup, level + 1)
    if len(chain) <= level:
        return None
    return _of(chain[level], f"eskalasi tingkat {level}: belum ditanggapi atasan langsung")

"""Who may see what (pure), as the design grants it: an individual evaluation to admin, the
employee, and the supervisors above them (directly or through the chain); ops run the system
and see aggregates, never a person's figures. A unit's summary to admin, ops and the unit's
head (the supervisor of the unit whose own supervisor is outside it), not to every supervisor
in the unit."""

from __future__ import annotations

from collections.abc import Sequence

from kinerja_shared.identity import Principal, Role


def may_see(principal: Principal, nip: str, chain_above: Sequence[str]) -> bool:
    """``chain_above``: the NIPs above ``nip``, nearest supervisor first."""
    if principal.has(Role.ADMIN) or principal.sub == nip:
        return True
    return principal.has(Role.SUPERVISOR) and principal.sub in chain_above


def may_see_unit(
    principal: Principal, unit_code: str, own_unit: str | None, supervisor_unit: str | None
) -> bool:
    """``own_unit``: the reader's unit; ``supervisor_unit``: their supervisor's (None: none)."""
    if principal.has(Role.ADMIN, Role.OPS):
        return True
    is_head = own_unit == unit_code and supervisor_unit != unit_code
    return principal.has(Role.SUPERVISOR) and is_head

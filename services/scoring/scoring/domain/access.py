"""Who may see whose evaluation (pure): admin and ops everyone; an employee their own; a
supervisor the people under them, directly or through the chain."""

from __future__ import annotations

from collections.abc import Sequence

from kinerja_shared.identity import Principal, Role


def may_see(principal: Principal, nip: str, chain_above: Sequence[str]) -> bool:
    """``chain_above``: the NIPs above ``nip``, nearest supervisor first."""
    if principal.has(Role.ADMIN, Role.OPS) or principal.sub == nip:
        return True
    return principal.has(Role.SUPERVISOR) and principal.sub in chain_above

from __future__ import annotations

import pytest

from kinerja_shared.identity import Principal
from scoring.domain.access import may_see, may_see_unit

STAFF, KABID, KEPALA, PEER = (
    "198609262015051001",
    "197501012000031001",
    "196805121990031002",
    "199001152015032002",
)
CHAIN = [KABID, KEPALA]  # above STAFF, nearest first


@pytest.mark.parametrize(
    ("sub", "roles", "allowed"),
    [
        (STAFF, {"employee"}, True),  # their own
        (PEER, {"employee"}, False),
        (PEER, {"supervisor"}, False),  # a supervisor, but of others
        (KABID, {"supervisor"}, True),  # direct supervisor
        (KEPALA, {"supervisor"}, True),  # through the chain
        (KEPALA, {"employee"}, False),  # in the chain, but not signed in as a supervisor
        (PEER, {"admin"}, True),
        (PEER, {"ops"}, False),  # ops see aggregates, never a person's figures
    ],
)
def test_who_may_see_an_evaluation(sub: str, roles: set[str], allowed: bool) -> None:
    assert may_see(Principal(sub, frozenset(roles)), STAFF, CHAIN) is allowed


@pytest.mark.parametrize(
    ("roles", "own_unit", "supervisor_unit", "allowed"),
    [
        ({"supervisor"}, "DISDIK", None, True),  # the head of the unit
        ({"supervisor"}, "DISDIK", "SETDA", True),  # its head, under someone elsewhere
        ({"supervisor"}, "DISDIK", "DISDIK", False),  # a Kabid: a supervisor, not the head
        ({"supervisor"}, "DINKES", None, False),  # the head of another unit
        ({"employee"}, "DISDIK", None, False),
        ({"ops"}, None, None, True),
        ({"admin"}, None, None, True),
    ],
)
def test_who_may_see_a_units_summary(
    roles: set[str], own_unit: str | None, supervisor_unit: str | None, allowed: bool
) -> None:
    who = Principal(KEPALA, frozenset(roles))
    assert may_see_unit(who, "DISDIK", own_unit, supervisor_unit) is allowed

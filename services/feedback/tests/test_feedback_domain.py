"""Who may do what in the performance dialogue (pure, table-driven)."""

from __future__ import annotations

import pytest

from feedback.domain import (
    B18_STATEMENTS,
    Relation,
    Visibility,
    b18_score,
    may_acknowledge,
    may_rate,
    may_read,
    may_reply,
    may_write_feedback,
    readable_by,
    relation,
)
from kinerja_shared.identity import Principal

STAFF, KABID, KEPALA, OTHER = "1" * 18, "2" * 18, "3" * 18, "4" * 18
CHAIN = [KABID, KEPALA]


def who(sub: str, *roles: str) -> Principal:
    return Principal(sub, frozenset(roles))


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        (who(STAFF, "employee"), Relation.SELF),
        (who(KABID, "supervisor"), Relation.SUPERVISOR),
        (who(KEPALA, "supervisor"), Relation.SUPERVISOR),  # through the chain
        (who(KABID, "employee"), Relation.NONE),  # in the chain, but not signed in as supervisor
        (who(OTHER, "supervisor"), Relation.NONE),  # another team's supervisor
        (who(OTHER, "admin"), Relation.ADMIN),
        (who(OTHER, "ops"), Relation.NONE),  # ops run the system; the dialogue is not theirs
    ],
)
def test_relation(principal: Principal, expected: Relation) -> None:
    assert relation(principal, STAFF, CHAIN) is expected


B, A = Visibility.BERSAMA, Visibility.ATASAN


@pytest.mark.parametrize(
    ("rel", "vis", "write", "read", "reply", "ack", "rate"),
    [
        (Relation.SUPERVISOR, B, True, True, True, False, True),
        (Relation.SUPERVISOR, A, True, True, True, False, True),
        (Relation.SELF, B, False, True, True, True, False),
        (Relation.SELF, A, False, False, False, False, False),  # a supervisors' note
        (Relation.ADMIN, B, False, True, False, False, False),  # admins read, never speak
        (Relation.NONE, B, False, False, False, False, False),
    ],
)
def test_permissions(
    rel: Relation, vis: Visibility, write: bool, read: bool, reply: bool, ack: bool, rate: bool
) -> None:
    assert may_write_feedback(rel) is write
    assert may_read(rel, vis) is read
    assert may_reply(rel, vis) is reply
    assert may_acknowledge(rel, vis) is ack
    assert may_rate(rel) is rate


def test_format_b18_has_nine_statements() -> None:
    assert len(B18_STATEMENTS) == 9
    assert b18_score([True] * 7 + [False] * 2) == "7/9"
    with pytest.raises(ValueError, match="9 statements"):
        b18_score([True] * 8)


@pytest.mark.parametrize(
    ("reader", "sees"),
    [
        (who(KABID, "supervisor"), True),  # in the chain
        (who(KEPALA, "supervisor"), True),
        (who(OTHER, "supervisor"), False),  # a supervisor of the same unit, outside the chain
        (who(OTHER, "ops"), False),  # operations keep the system running, not the dialogue
        (who(OTHER, "admin"), True),
        (who(STAFF, "employee"), True),  # their own, shared thread
        (who(OTHER, "employee"), False),
    ],
)
def test_the_units_aggregates_follow_the_threads_rule(reader: Principal, sees: bool) -> None:
    assert readable_by(reader, STAFF, Visibility.BERSAMA, CHAIN) is sees

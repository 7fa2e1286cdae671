"""Who a person is to Kinerja: their NIP and roles (plain data, no I/O; see ``auth`` for how a
bearer token becomes one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"  # atasan langsung and heads of units
    EMPLOYEE = "employee"
    OPS = "ops"


@dataclass(frozen=True)
class Principal:
    sub: str
    roles: frozenset[str]
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

"""API keys for devices, service desks and systems (pure: generation, hashing, permission).

A key reads ``kj_<key_id>_<secret>``. Only a SHA-256 of the secret is stored: the secret has 256
bits of randomness, so a slow password hash would add cost and no safety.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from kinerja_shared.events import Event, ServiceRatedEvent

WILDCARD = "*"


def new_key() -> tuple[str, str, str]:
    """(key_id, plaintext key to hand out once, hash to store)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return key_id, f"kj_{key_id}_{secret}", hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "kj" or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


@dataclass(frozen=True, slots=True)
class KeyGrant:
    """What one key may send."""

    key_id: str
    kind: str  # device, desk or system
    owner: str
    event_types: frozenset[str]
    units: frozenset[str]
    device_sn: str | None
    secret_hash: str
    active: bool
    rate_per_minute: int

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> KeyGrant:
        return cls(
            doc["_id"],
            doc["kind"],
            doc["owner"],
            frozenset(doc["event_types"]),
            frozenset(doc["units"]),
            doc.get("device_sn"),
            doc["secret_hash"],
            doc.get("revoked_at") is None,
            int(doc["rate_per_minute"]),
        )

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))

    def refusal(self, event: Event, unit_of_nip: str | None) -> str | None:
        """Why this key may not send ``event`` (None: it may)."""
        if event.type not in self.event_types:
            return f"this key may not send {event.type}"
        if self.device_sn is not None and event.type == "attendance.recorded":
            sn = event.payload.device_sn
            if sn != self.device_sn:
                return f"this key belongs to device {self.device_sn}, not {sn}"
        if self.kind == "desk" and event.source.id != self.owner:
            return f"this key belongs to desk {self.owner}, not {event.source.id}"
        unit = unit_of_nip
        if isinstance(event, ServiceRatedEvent):
            # A rating counts in the rated employee's IKM: it must come from their own unit's
            # desk, whatever unit the payload names (else one agency's desk sinks another's).
            if unit_of_nip is not None and unit_of_nip != event.payload.unit_code:
                return f"NIP {event.nip} works in unit {unit_of_nip}, not {event.payload.unit_code}"
            unit = event.payload.unit_code
        if WILDCARD in self.units:
            return None
        if unit is not None and unit not in self.units:
            return f"this key may not send for unit {unit}"
        return None

"""Plain data the rules work on."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from kinerja_shared.orgchart import Person

__all__ = [
    "RANK",
    "STATUS_OF_RANK",
    "Channel",
    "Delivery",
    "Notice",
    "Person",
    "Recipient",
    "Status",
]


class Channel(StrEnum):
    WEB = "web"  # the console's live stream (server-sent events)
    EMAIL = "email"
    WEBHOOK = "webhook"  # a system endpoint, e.g. the city's messaging gateway


class Status(StrEnum):
    """Where an alert, one recipient's item of it, or a notification stands."""

    PENDING = "pending"  # waiting for its group (or for working hours)
    SENT = "sent"
    FAILED = "failed"  # every retry failed; the notification is in the DLQ
    SILENCED = "silenced"
    INHIBITED = "inhibited"
    ACKNOWLEDGED = "acknowledged"


#: An alert's status as a rank, so "the highest wins" is one ``$max`` by ``_id`` (no read, no
#: filter: cheap on any store): an acknowledgement outranks a delivery, a delivery a failure.
RANK = {
    Status.PENDING: 0,
    Status.INHIBITED: 1,
    Status.SILENCED: 2,
    Status.FAILED: 3,
    Status.SENT: 4,
    Status.ACKNOWLEDGED: 5,
}
STATUS_OF_RANK = {rank: status for status, rank in RANK.items()}


@dataclass(frozen=True)
class Notice:
    """What the notifier is asked to tell: a scoring alert or a step of the dialogue."""

    id: str
    type: str
    nip: str  # the employee it is about
    period: str
    title: str
    unit_code: str | None = None
    supervisor_nip: str | None = None
    level: str | None = None
    author_nip: str | None = None  # dialogue steps: who wrote
    reasons: tuple[str, ...] = ()

    @property
    def is_dialogue(self) -> bool:
        return self.type.startswith("feedback.")

    def labels(self) -> dict[str, str]:
        """What matchers (routes, silences, inhibition) see. ``year`` lets a yearly discipline
        alert and a weekly coaching alert be "the same period"."""
        found = {
            "type": self.type,
            "nip": self.nip,
            "period": self.period,
            "year": self.period[:4],
            "unit": self.unit_code or "",
            "level": self.level or "",
        }
        return found


@dataclass(frozen=True)
class Recipient:
    """Who receives an item: a person by NIP, or a role's mailbox (``role:<name>``)."""

    id: str
    reason: str  # why they receive it, in the recipient's terms
    email: str | None = None
    name: str = ""

    @property
    def nip(self) -> str | None:
        return None if self.id.startswith("role:") else self.id


@dataclass(frozen=True)
class Delivery:
    """One (notice, recipient, channel) the routing decided on."""

    notice_id: str
    recipient: Recipient
    channel: Channel
    receiver: str
    route: int
    group_key: str
    urgent: bool = False
    escalation_level: int = 0
    labels: dict[str, str] = field(default_factory=dict)

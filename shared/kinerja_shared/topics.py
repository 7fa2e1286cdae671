"""Kafka topic names of the design. Every topic is keyed by the employee's NIP.

A prefix lets tests and parallel environments have their own topics on one broker.
"""

from __future__ import annotations

from dataclasses import dataclass

ATTENDANCE = "kinerja.attendance.v1"
SERVICE_QUALITY = "kinerja.service-quality.v1"
TARGET_PROGRESS = "kinerja.target-progress.v1"
REFERENCE = "kinerja.reference.v1"
EVALUATION = "kinerja.evaluation.v1"
ALERT = "kinerja.alert.v1"
FEEDBACK = "kinerja.feedback.v1"
DLQ = "kinerja.dlq.v1"

ALL_TOPICS = (
    ATTENDANCE,
    SERVICE_QUALITY,
    TARGET_PROGRESS,
    REFERENCE,
    EVALUATION,
    ALERT,
    FEEDBACK,
    DLQ,
)

#: Topics Kafka must keep the latest record per key of, forever (the reference data).
COMPACTED_TOPICS = frozenset({REFERENCE})


@dataclass(frozen=True, slots=True)
class Topics:
    """Resolved topic names for one environment."""

    prefix: str = ""

    def name(self, base: str) -> str:
        return f"{self.prefix}{base}"

    @property
    def attendance(self) -> str:
        return self.name(ATTENDANCE)

    @property
    def service_quality(self) -> str:
        return self.name(SERVICE_QUALITY)

    @property
    def target_progress(self) -> str:
        return self.name(TARGET_PROGRESS)

    @property
    def reference(self) -> str:
        return self.name(REFERENCE)

    @property
    def evaluation(self) -> str:
        return self.name(EVALUATION)

    @property
    def alert(self) -> str:
        return self.name(ALERT)

    @property
    def feedback(self) -> str:
        return self.name(FEEDBACK)

    @property
    def dlq(self) -> str:
        return self.name(DLQ)

    def all(self) -> list[str]:
        return [self.name(t) for t in ALL_TOPICS]


#: Which service writes each topic, and which reads it: the Kafka ACLs of each service's
#: principal (a SCRAM user named after the service). A service holds no other right, so a
#: leaked intake credential cannot forge ``behaviour.rated``, nor read evaluations.
WRITES: dict[str, tuple[str, ...]] = {
    "intake": (ATTENDANCE, SERVICE_QUALITY, TARGET_PROGRESS, REFERENCE, DLQ),
    "scoring": (EVALUATION, ALERT, DLQ),
    "feedback": (FEEDBACK, DLQ),
    "notifier": (DLQ,),
}
READS: dict[str, tuple[str, ...]] = {
    "intake": (),
    "scoring": (ATTENDANCE, SERVICE_QUALITY, TARGET_PROGRESS, FEEDBACK, REFERENCE),
    "feedback": (REFERENCE,),
    "notifier": (ALERT, FEEDBACK, REFERENCE, EVALUATION),  # evaluation: live figures only
}


@dataclass(frozen=True, slots=True)
class Acl:
    """One allow rule: ``principal`` may do ``operation`` on a topic or a consumer group."""

    principal: str
    operation: str  # Write, Read or Describe
    resource: str  # topic or group
    name: str
    prefixed: bool = False


def service_acls(topics: Topics) -> list[Acl]:
    """Every service's rights, least first: write and describe its own topics; read and
    describe what it consumes, in its consumer groups (``kinerja-<service>...``)."""
    acls: list[Acl] = []
    for service, written in WRITES.items():
        user = f"User:{service}"
        for base in written:
            acls += [Acl(user, op, "topic", topics.name(base)) for op in ("Write", "Describe")]
        for base in READS[service]:
            acls += [Acl(user, op, "topic", topics.name(base)) for op in ("Read", "Describe")]
        if READS[service]:
            acls.append(Acl(user, "Read", "group", f"kinerja-{service}", prefixed=True))
    return acls

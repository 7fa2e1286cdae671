"""The DLQ selection and summary (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kinerja_ops.dlq import DeadLetter, select, summarise

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def letter(
    offset: int, reason: str, service: str = "scoring", topic: str | None = "a"
) -> DeadLetter:
    headers = {"kinerja-dlq-reason": reason, "kinerja-dlq-service": service}
    if topic:
        headers |= {
            "kinerja-dlq-original-topic": topic,
            "kinerja-dlq-original-partition": "1",
            "kinerja-dlq-original-offset": str(offset * 10),
        }
    return DeadLetter(0, offset, T0 + timedelta(minutes=offset), b"k", b"{}", headers)


LETTERS = [
    letter(0, "invalid"),
    letter(1, "invalid"),
    letter(2, "period_closed"),
    letter(3, "delivery_failed", "notifier", None),
]


def test_selection_by_reason_service_and_id() -> None:
    assert [d.id for d in select(LETTERS, reason="invalid")] == ["0:0", "0:1"]
    assert [d.id for d in select(LETTERS, service="notifier")] == ["0:3"]
    assert [d.id for d in select(LETTERS, ids={"0:2", "9:9"})] == ["0:2"]
    assert select(LETTERS, reason="invalid", service="notifier") == []


def test_summary_groups_and_counts_biggest_first() -> None:
    assert summarise(LETTERS) == [
        ("scoring", "invalid", "a", 2, "2026-11-23T02:01:00+00:00"),
        ("scoring", "period_closed", "a", 1, "2026-11-23T02:02:00+00:00"),
        ("notifier", "delivery_failed", "-", 1, "2026-11-23T02:03:00+00:00"),
    ]
    assert LETTERS[0].origin == "a[1]@0"
    assert LETTERS[3].origin == "-"

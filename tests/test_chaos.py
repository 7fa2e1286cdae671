"""The fault suite's short forms (``bench/chaos.py``; ``make chaos`` runs them full size): each
kills something under load on a Kafka and a FerretDB of its own and checks the books: nothing
acknowledged is lost, nothing counts twice, and scoring's store equals its replay; where the
notifiers run, every alert reaches a real webhook and mailbox, none twice beyond the window."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict

import pytest

from bench.chaos import SCENARIOS, SHORT, run_one, suite_stack
from bench.common import Stack
from kinerja_local.stack import LocalFerretDB, LocalKafka

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[Stack, LocalKafka, LocalFerretDB]]:
    with suite_stack() as parts:
        yield parts


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_books_balance_after_the_fault(
    stack: tuple[Stack, LocalKafka, LocalFerretDB], scenario: str
) -> None:
    books = run_one(stack, scenario, SHORT)
    assert books.passed, asdict(books)
    assert books.acknowledged == books.sent  # every event got its 202 in the end
    assert books.applied == books.acknowledged
    if scenario in ("replica_killed", "soak"):  # the notifiers' books: alerts reached people
        notices = books.notes["notifier"]
        assert notices["alerts"] > 0, notices
        assert notices["lost"] == 0, notices
        assert notices["webhook_notifications"] + notices["no_recipient"] > 0, notices

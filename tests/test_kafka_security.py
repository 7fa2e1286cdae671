"""Kafka as production runs it, started from its jars: a SASL_SSL listener, a SCRAM user per
service, and the ACLs of ``kinerja_shared.topics`` (who writes and who reads each topic).

A client without credentials, with the wrong password, or without TLS is refused; a service
writing a topic it does not own (intake forging ``behaviour.rated``) or reading one it does not
consume is refused; and the services' own clients, built from their settings, work."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from feedback.settings import FeedbackSettings
from intake.settings import IntakeSettings
from kinerja_local.kafka_security import ADMIN, AclRule, BrokerSecurity
from kinerja_local.stack import LocalKafka, free_port
from kinerja_shared.kafka import LagProbe, ensure_topics, make_broker, make_producer
from kinerja_shared.kafka_access import KafkaAccess
from kinerja_shared.topics import WRITES, Topics, service_acls

pytestmark = pytest.mark.integration

TOPICS = Topics("secure.")


@pytest.fixture(scope="module")
def secured() -> Iterator[tuple[str, BrokerSecurity]]:
    state = Path(tempfile.mkdtemp(prefix="kinerja-kafka-sasl-"))
    security = BrokerSecurity.create(state / "tls", WRITES)
    kafka = LocalKafka(state, free_port(), free_port(), heap_mb=384, security=security)
    try:
        kafka.start()
        bootstrap = f"127.0.0.1:{kafka.port}"
        rules = [
            AclRule(a.principal, a.operation, a.resource, a.name, a.prefixed)
            for a in service_acls(TOPICS)
        ]
        kafka.add_acls(rules)
        yield bootstrap, security
    finally:
        kafka.stop()
        shutil.rmtree(state, ignore_errors=True)


def access(bootstrap: str, security: BrokerSecurity, user: str) -> KafkaAccess:
    return KafkaAccess(
        bootstrap,
        protocol="SASL_SSL",
        username=user,
        password=security.users[user],
        cafile=str(security.cafile),
    )


@pytest.fixture(scope="module")
async def topics(secured: tuple[str, BrokerSecurity]) -> None:
    bootstrap, security = secured
    await ensure_topics(access(bootstrap, security, ADMIN), TOPICS, partitions=1)


async def send(target: KafkaAccess, topic: str) -> None:
    producer = make_producer(target, client_id="secure-test")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{}", key=b"198609262015051001")
    finally:
        await producer.stop()


def signed_in(bootstrap: str, security: BrokerSecurity, user: str) -> dict[str, Any]:
    """A service's Kafka settings as production sets them (KINERJA_<SERVICE>_KAFKA_...)."""
    return {
        "kafka_bootstrap": bootstrap,
        "kafka_security_protocol": "SASL_SSL",
        "kafka_username": user,
        "kafka_password": security.users[user],
        "kafka_ssl_cafile": str(security.cafile),
    }


async def first_batch(consumer: AIOKafkaConsumer) -> None:
    await consumer.start()
    await consumer.getmany(timeout_ms=10_000)


async def test_a_client_without_valid_credentials_is_refused(
    secured: tuple[str, BrokerSecurity], topics: None
) -> None:
    bootstrap, security = secured
    intake = access(bootstrap, security, "intake")
    kinds = {
        "no TLS, no sign-in": KafkaAccess(bootstrap),
        "TLS without sign-in": replace(intake, protocol="SSL"),
        "the wrong password": replace(intake, password="guessed-password"),
    }
    refused = []
    for who, target in kinds.items():
        producer = AIOKafkaProducer(**target.client_options(), request_timeout_ms=5_000)
        try:
            await producer.start()
            await producer.send_and_wait(TOPICS.attendance, b"{}")
        except KafkaError:
            refused.append(who)
        finally:
            await producer.stop()
    assert refused == list(kinds)


async def test_each_service_writes_only_its_own_topics(
    secured: tuple[str, BrokerSecurity], topics: None
) -> None:
    bootstrap, security = secured
    # Intake's own producer, built from its settings as the service builds it.
    settings = IntakeSettings(**signed_in(bootstrap, security, "intake"))
    await send(settings.kafka, TOPICS.attendance)
    with pytest.raises(KafkaError, match="TopicAuthorizationFailed"):
        await send(settings.kafka, TOPICS.feedback)  # forging behaviour.rated
    with pytest.raises(KafkaError, match="TopicAuthorizationFailed"):
        await send(access(bootstrap, security, "notifier"), TOPICS.evaluation)
    # Feedback's FastStream broker publishes behaviour.rated where it may.
    feedback = FeedbackSettings(**signed_in(bootstrap, security, "feedback"))
    broker = make_broker(feedback.kafka, client_id="kinerja-feedback")
    await broker.start()
    try:
        await broker.publish(b"{}", TOPICS.feedback, key=b"198609262015051001")
    finally:
        await broker.stop()


async def test_each_service_reads_only_what_it_consumes(
    secured: tuple[str, BrokerSecurity], topics: None
) -> None:
    bootstrap, security = secured
    await send(access(bootstrap, security, "intake"), TOPICS.attendance)
    scoring = access(bootstrap, security, "scoring")
    consumer = AIOKafkaConsumer(
        TOPICS.attendance,
        **scoring.client_options(),
        group_id="kinerja-scoring",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=10_000)
        assert sum(len(records) for records in batch.values()) >= 1
        await consumer.commit()
    finally:
        await consumer.stop()
    probe = LagProbe(scoring, "kinerja-scoring")  # scoring's lag metric, signed in the same way
    await probe.start()
    try:
        lag = await probe.lag([TOPICS.attendance])
        assert set(lag) == {(TOPICS.attendance, 0)}
    finally:
        await probe.stop()
    # The notifier does not consume attendance: neither its topic nor another's group.
    notifier = access(bootstrap, security, "notifier")
    for topic, group, error in [
        (TOPICS.attendance, "kinerja-notifier", "TopicAuthorizationFailed"),
        (TOPICS.alert, "kinerja-scoring", "GroupAuthorizationFailed"),
    ]:
        refused = AIOKafkaConsumer(
            topic, **notifier.client_options(), group_id=group, auto_offset_reset="earliest"
        )
        try:
            with pytest.raises(KafkaError, match=error):
                await first_batch(refused)
        finally:
            await refused.stop()

"""How services reach Kafka and MongoDB: the settings' mapping to the clients' options, what
is refused before start, and the per-service rights (the full proof runs against a SASL_SSL
broker in tests/test_kafka_security.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kinerja_shared.auth import InsecureSettings
from kinerja_shared.kafka_access import KafkaAccess
from kinerja_shared.service import kafka_access
from kinerja_shared.settings import ConsumerSettings, ServiceSettings
from kinerja_shared.topics import ALERT, ATTENDANCE, FEEDBACK, WRITES, Acl, Topics, service_acls


def test_a_bare_address_is_the_plain_development_broker() -> None:
    access = KafkaAccess.of("127.0.0.1:9092")
    assert access.client_options() == {"bootstrap_servers": ["127.0.0.1:9092"]}
    assert access.security() is None


def test_a_cluster_is_bootstrapped_from_each_of_its_brokers() -> None:
    """aiokafka reads "a:9092,b:9092" as one host name: the services hand it a list."""
    access = KafkaAccess.of("kafka-0:9092, kafka-1:9092,kafka-2:9092")
    assert access.client_options()["bootstrap_servers"] == [
        "kafka-0:9092",
        "kafka-1:9092",
        "kafka-2:9092",
    ]


def test_sasl_ssl_signs_in_with_scram_over_tls_and_never_prints_the_password() -> None:
    settings = ServiceSettings(
        kafka_bootstrap="kafka-0:9094",
        kafka_security_protocol="SASL_SSL",
        kafka_username="scoring",
        kafka_password="s3cret-password-of-scoring",
    )
    options = settings.kafka.client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "scoring"
    assert options["ssl_context"] is not None
    assert "s3cret" not in repr(settings.kafka)
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"kafka_security_protocol": "SASL_SSL"}, "user name and a password"),
        ({"kafka_security_protocol": "SSL", "kafka_ssl_certfile": "c.pem"}, "needs its key"),
    ],
)
def test_an_access_that_cannot_sign_in_stops_the_start(change: dict[str, str], why: str) -> None:
    settings = ServiceSettings(dev_mode=True, **change)  # type: ignore[arg-type]
    with pytest.raises(InsecureSettings, match=why):
        kafka_access(settings)


def test_no_service_may_write_a_topic_another_service_owns() -> None:
    acls = service_acls(Topics())
    writers = {(a.principal, a.name) for a in acls if a.operation == "Write"}
    assert ("User:intake", ATTENDANCE) in writers
    assert ("User:intake", FEEDBACK) not in writers  # behaviour.rated is feedback's alone
    assert {p for p, t in writers if t == ALERT} == {"User:scoring"}
    assert {p for p, t in writers if t == FEEDBACK} == {"User:feedback"}
    assert Acl("User:scoring", "Read", "group", "kinerja-scoring", prefixed=True) in acls
    assert not any(a.principal == "User:intake" and a.operation == "Read" for a in acls)
    assert set(WRITES) == {"intake", "scoring", "feedback", "notifier"}


def test_the_mongodb_user_and_tls_come_from_settings_not_only_the_url() -> None:
    settings = ServiceSettings(
        mongodb_url="mongodb://mongo-0.mongodb/?replicaSet=rs0",
        mongodb_username="scoring",
        mongodb_password="a-password-from-the-secret",
        mongodb_tls_ca_file="/etc/kinerja/mongodb-ca/ca.crt",
    )
    assert settings.mongodb_options == {
        "username": "scoring",
        "password": "a-password-from-the-secret",
        "authSource": "admin",
        "tls": True,
        "tlsCAFile": "/etc/kinerja/mongodb-ca/ca.crt",
    }
    assert "a-password" not in repr(settings)
    assert ServiceSettings().mongodb_options == {}  # the URL's own (development)


def test_a_consumers_session_timeout_reaches_its_subscription_within_the_brokers_bounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """How long a dead replica keeps its partitions: from the environment to each subscriber;
    below the broker's least (6 s) the start stops, saying why."""
    assert ConsumerSettings().batch_subscription("t", None)["session_timeout_ms"] == 10_000
    monkeypatch.setenv("KINERJA_SESSION_TIMEOUT_MS", "6000")
    assert ConsumerSettings().batch_subscription("t", None)["session_timeout_ms"] == 6_000
    with pytest.raises(ValidationError, match="session_timeout_ms"):
        ConsumerSettings(session_timeout_ms=5_000)

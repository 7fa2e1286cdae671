"""Where the integration tests find Kafka and a MongoDB-wire server, in this order:

1. ``KINERJA_KAFKA_BOOTSTRAP`` and ``KINERJA_MONGODB_URL`` from the environment;
2. testcontainers, if a Docker engine answers (the official Kafka image at the version of the
   local path, and MongoDB);
3. the project's own local processes (Kafka from its jars, FerretDB), on free loopback ports.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kinerja_local.stack import LocalFerretDB, LocalKafka, free_port, kafka_version


@dataclass(frozen=True)
class Infra:
    kind: str  # "environment", "docker" or "local"
    kafka_bootstrap: str
    mongodb_url: str
    detail: str


def _docker_answers() -> bool:
    try:
        from testcontainers.core.docker_client import DockerClient

        DockerClient().client.ping()
    except Exception:  # noqa: BLE001 - no engine, whatever the error
        return False
    return True


@contextmanager
def _from_docker() -> Iterator[Infra]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.mongodb import MongoDbContainer

    image = f"apache/kafka:{kafka_version()}"
    port = 9092
    kafka = (
        DockerContainer(image)
        .with_exposed_ports(port)
        .with_env("KAFKA_NODE_ID", "1")
        .with_env("KAFKA_PROCESS_ROLES", "broker,controller")
        .with_env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
        .with_env("KAFKA_LISTENERS", "PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093")
        .with_env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .with_env(
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
        )
        .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
    )
    # The advertised address must be the mapped host port, known only once the container runs;
    # a fixed host port keeps it simple.
    host_port = free_port()
    kafka = kafka.with_bind_ports(port, host_port).with_env(
        "KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://localhost:{host_port}"
    )
    with kafka, MongoDbContainer("mongo:7.0") as mongo:
        wait_for_logs(kafka, "Kafka Server started", timeout=120)
        yield Infra(
            "docker", f"localhost:{host_port}", mongo.get_connection_url(), f"{image}, mongo:7.0"
        )


@contextmanager
def _local() -> Iterator[Infra]:
    state = Path(tempfile.mkdtemp(prefix="kinerja-test-stack-"))
    kafka = LocalKafka(state, free_port(), free_port())
    ferret = LocalFerretDB(state, free_port())
    try:
        kafka.start(log=lambda m: print(f"[infra] {m}"))
        ferret.start(log=lambda m: print(f"[infra] {m}"))
        yield Infra(
            "local",
            f"127.0.0.1:{kafka.port}",
            f"mongodb://127.0.0.1:{ferret.port}/",
            f"Apache Kafka {kafka_version()} from jars, FerretDB 1.24 (SQLite) in {state}",
        )
    finally:
        ferret.stop()
        kafka.stop()
        shutil.rmtree(state, ignore_errors=True)


@contextmanager
def provide_infra() -> Iterator[Infra]:
    kafka = os.environ.get("KINERJA_KAFKA_BOOTSTRAP")
    mongo = os.environ.get("KINERJA_MONGODB_URL")
    if kafka and mongo:
        yield Infra("environment", kafka, mongo, "KINERJA_KAFKA_BOOTSTRAP, KINERJA_MONGODB_URL")
    elif _docker_answers():
        with _from_docker() as infra:
            yield infra
    else:
        with _local() as infra:
            yield infra

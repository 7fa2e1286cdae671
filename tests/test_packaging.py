"""One Kafka version everywhere: the local jars, docker compose and the Docker test path."""

from __future__ import annotations

from pathlib import Path

import yaml

from kinerja_local.stack import kafka_version

ROOT = Path(__file__).resolve().parents[1]


def test_compose_runs_the_same_kafka_version_as_the_local_path() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{kafka_version()}"
    for name, port in (("intake", 8001), ("scoring", 8002), ("feedback", 8003), ("notifier", 8004)):
        service = compose["services"][name]
        assert service["build"]["args"]["SERVICE"] == name
        assert service["ports"] == [f"{port}:{port}"]


def test_readme_names_the_pinned_kafka_version() -> None:
    assert f"Apache Kafka {kafka_version()}" in (ROOT / "README.md").read_text()

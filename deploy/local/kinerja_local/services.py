"""Start and stop Kinerja's four services as local processes wired to the local stack."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from kinerja_local.stack import Ports, Process, StackError, port_open


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port: int

    @property
    def env_prefix(self) -> str:
        return f"KINERJA_{self.name.upper()}_"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def default_services(base_port: int = 8001) -> list[ServiceSpec]:
    return [
        ServiceSpec("intake", "intake", base_port),
        ServiceSpec("scoring", "scoring", base_port + 1),
        ServiceSpec("feedback", "feedback", base_port + 2),
        ServiceSpec("notifier", "notifier", base_port + 3),
    ]


def service_env(
    spec: ServiceSpec, ports: Ports, topic_prefix: str = "", database_prefix: str = "kinerja_"
) -> dict[str, str]:
    p = spec.env_prefix
    return {
        f"{p}KAFKA_BOOTSTRAP": ports.kafka_bootstrap,
        f"{p}MONGODB_URL": ports.mongodb_url,
        f"{p}MONGODB_DATABASE": f"{database_prefix}{spec.name}",
        f"{p}TOPIC_PREFIX": topic_prefix,
        f"{p}HTTP_PORT": str(spec.port),
        f"{p}HTTP_HOST": "127.0.0.1",
        # The local stack: sign-ins with the development secret, on loopback only.
        f"{p}DEV_MODE": "true",
    }


def start_services(
    specs: list[ServiceSpec],
    ports: Ports,
    state: Path,
    log: Callable[[str], None] = print,
    timeout_s: float = 120.0,
    topic_prefix: str = "",
    database_prefix: str = "kinerja_",
) -> None:
    for spec in specs:
        proc = Process(spec.name, state)
        if proc.running():
            continue
        if port_open(spec.port):
            raise StackError(
                f"port {spec.port} for {spec.name} is already in use; stop what "
                "holds it or set KINERJA_LOCAL_BASE_PORT"
            )
        proc.start(
            [sys.executable, "-m", spec.module],
            env=service_env(spec, ports, topic_prefix, database_prefix),
        )
        log(f"started {spec.name} on {spec.url}")
    for spec in specs:
        wait_ready(spec, Process(spec.name, state), timeout_s)


def wait_ready(spec: ServiceSpec, proc: Process, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{spec.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if not proc.running():
            raise StackError(
                f"{spec.name} exited during start; its log ({proc.log_file}):\n{proc.tail()}"
            )
        time.sleep(0.3)
    raise StackError(
        f"{spec.name} was not ready in {timeout_s:.0f}s; log {proc.log_file}:\n{proc.tail()}"
    )


def stop_services(specs: list[ServiceSpec], state: Path) -> list[str]:
    return [s.name for s in reversed(specs) if Process(s.name, state).stop()]


def scoring_backlog(scoring_url: str) -> float | None:
    """Records scoring has still to store plus batches its projector has still to evaluate,
    read from its own metrics; None while it does not answer."""
    try:
        text = httpx.get(f"{scoring_url}/metrics", timeout=5).text
    except httpx.HTTPError:
        return None
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if family.name == "kinerja_consumer_lag_messages"
        or (family.name == "kinerja_scoring_stale_marks" and s.labels.get("stage") == "evaluate")
    )

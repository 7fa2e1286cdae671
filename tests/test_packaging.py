"""The Docker path, checked without an engine: one Kafka version everywhere, a Dockerfile per
service that is multi-stage, non-root and health-checked, and a compose file that
`docker-compose config` accepts, with every file it mounts present."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from feedback.settings import FeedbackSettings
from intake.settings import IntakeSettings
from kinerja_local.stack import kafka_version
from kinerja_shared.settings import ServiceSettings
from notifier.settings import NotifierSettings
from scoring.settings import ScoringSettings

ROOT = Path(__file__).resolve().parents[1]
SERVICES: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings,
    "scoring": ScoringSettings,
    "feedback": FeedbackSettings,
    "notifier": NotifierSettings,
}


def compose() -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_compose_runs_the_same_kafka_version_as_the_local_path() -> None:
    services = compose()["services"]
    assert isinstance(services, dict)
    assert services["kafka"]["image"] == f"apache/kafka:{kafka_version()}"
    for name, settings in SERVICES.items():
        port = settings.model_fields["http_port"].default
        service = services[name]
        assert service["build"] == {"context": ".", "dockerfile": f"services/{name}/Dockerfile"}
        assert service["ports"] == [f"{port}:{port}"]
        assert f"KINERJA_{name.upper()}_KAFKA_BOOTSTRAP" in service["environment"]
        assert f"KINERJA_{name.upper()}_MONGODB_URL" in service["environment"]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_has_a_small_non_root_health_checked_image(name: str) -> None:
    text = (ROOT / "services" / name / "Dockerfile").read_text()
    port = SERVICES[name].model_fields["http_port"].default
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) == 2  # build stage, slim runtime
    assert "-slim" in text
    assert re.search(r"^USER 10001$", text, re.MULTILINE)
    assert f"http://127.0.0.1:{port}/healthz" in text
    assert f"EXPOSE {port}" in text
    assert f'CMD ["python", "-m", "{name}"]' in text
    assert f"--package kinerja-{name}" in text
    assert "--no-dev" in text


def compose_config(**env: str) -> subprocess.CompletedProcess[str]:
    """``docker-compose config`` of the file, with only ``env`` (and a PATH) set."""
    tool = shutil.which("docker-compose")
    if tool is None:
        raise RuntimeError("docker-compose is missing: `make test-tools` installs it (Debian)")
    return subprocess.run(
        [tool, "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
    )


def test_docker_compose_config_accepts_the_file_and_its_mounts_exist() -> None:
    run = compose_config(GRAFANA_ADMIN_PASSWORD="a-password-of-its-own")
    assert run.returncode == 0, run.stderr
    resolved = yaml.safe_load(run.stdout)
    assert set(resolved["services"]) == {
        "kafka",
        "mongodb",
        "intake",
        "scoring",
        "feedback",
        "notifier",
        "prometheus",
        "grafana",
    }
    mounted = []
    for service in resolved["services"].values():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            if source.startswith("/"):
                assert Path(source).exists(), f"compose mounts {source}, which is missing"
                mounted.append(Path(source).name)
    assert sorted(mounted) == ["dashboards", "prometheus-compose.yml", "provisioning", "rules"]


def test_readme_names_the_pinned_kafka_version() -> None:
    assert f"Apache Kafka {kafka_version()}" in (ROOT / "README.md").read_text()


def test_compose_has_no_default_grafana_password() -> None:
    """Without a password of the city's own, compose refuses to start and says which to set."""
    run = compose_config()
    assert run.returncode != 0
    assert "GRAFANA_ADMIN_PASSWORD" in run.stderr


def test_intake_knows_the_schedules_the_bundled_policy_defines() -> None:
    """Intake refuses an employee on a schedule the policy does not define; its default list
    must be the bundled policy's, or a valid upload would be refused (or an invalid one pass)."""
    from intake.settings import IntakeSettings
    from scoring.policy_file import load_policy

    assert set(IntakeSettings.model_fields["schedules"].default) == set(load_policy().schedules)

"""The Kubernetes manifests, offline: kustomize (built from the Go module proxy, cached) renders
the base and the production overlay, every object validates against the Kubernetes schemas
(kubernetes-validate, strict), and each service has what ops rely on."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from scoring.settings import ScoringSettings

ROOT = Path(__file__).resolve().parents[1]
KUBERNETES = ROOT / "deploy" / "kubernetes"
KUSTOMIZE_VERSION = "v5.4.3"
K8S_VERSION = "1.31.0"
SERVICES = {"intake": 8001, "scoring": 8002, "feedback": 8003, "notifier": 8004}


@cache
def kustomize() -> str:
    """kustomize from the Go module proxy, built once into ~/.cache/kinerja."""
    found = shutil.which("kustomize")
    if found:
        return found
    cache_dir = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kinerja"
    binary = cache_dir / f"kustomize-{KUSTOMIZE_VERSION}" / "kustomize"
    if not binary.exists():
        go = shutil.which("go")
        if go is None:
            raise RuntimeError("Go is needed to build kustomize for the manifest checks")
        subprocess.run(
            [go, "install", f"sigs.k8s.io/kustomize/kustomize/v5@{KUSTOMIZE_VERSION}"],
            check=True,
            env={**os.environ, "GOBIN": str(binary.parent)},
        )
    return str(binary)


def render(target: str) -> list[dict[str, Any]]:
    out = subprocess.run(
        [kustomize(), "build", str(KUBERNETES / target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


@pytest.mark.parametrize("target", ["base", "overlays/production"])
def test_every_object_validates_against_the_kubernetes_schemas(target: str) -> None:
    objects = render(target)
    assert len(objects) >= 20
    for obj in objects:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


@pytest.mark.parametrize("target", ["base", "overlays/production"])
def test_each_service_is_probed_bounded_budgeted_and_scaled(target: str) -> None:
    objects = render(target)
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], {})[obj["metadata"]["name"]] = obj
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") == "kinerja", obj["metadata"]
    for name, port in SERVICES.items():
        pod = by_kind["Deployment"][name]["spec"]["template"]
        [container] = pod["spec"]["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["ports"] == [
            {"name": "http", "containerPort": port},
            {"name": "metrics", "containerPort": 9100},
        ]
        assert {"cpu", "memory"} <= container["resources"]["requests"].keys()
        assert {"cpu", "memory"} <= container["resources"]["limits"].keys()
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        assert pod["metadata"]["annotations"]["prometheus.io/port"] == "9100"
        sources = {next(iter(s.values()))["name"] for s in container["envFrom"]}
        assert sources == {"kinerja-config", "kinerja-secrets"}
        assert name in by_kind["PodDisruptionBudget"]
        assert by_kind["Service"][name]["spec"]["ports"][0]["port"] == port
        hpa = by_kind["HorizontalPodAutoscaler"][name]["spec"]
        assert hpa["scaleTargetRef"]["name"] == name
        assert hpa["minReplicas"] <= hpa["maxReplicas"]
    # Consumers never scale past the partitions they share.
    partitions = ScoringSettings.model_fields["topic_partitions"].default
    if target == "base":
        assert by_kind["HorizontalPodAutoscaler"]["scoring"]["spec"]["maxReplicas"] <= partitions
    else:
        assert by_kind["Deployment"]["scoring"]["spec"]["replicas"] == 3
        image = by_kind["Deployment"]["scoring"]["spec"]["template"]["spec"]["containers"][0][
            "image"
        ]
        assert image.endswith("/kinerja/scoring:0.1.0")
    policies = by_kind["NetworkPolicy"]
    assert policies["default-deny"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    config = by_kind["ConfigMap"]["kinerja-config"]["data"]
    egress = policies["dns-kafka-mongodb-egress"]["spec"]["egress"]
    kafka_ports = {p["port"] for rule in egress for p in rule["ports"]}
    for name in SERVICES:
        assert config[f"KINERJA_{name.upper()}_CREATE_TOPICS"] == "false"
        assert config[f"KINERJA_{name.upper()}_METRICS_PORT"] == "9100"  # not the API port
        bootstrap = config[f"KINERJA_{name.upper()}_KAFKA_BOOTSTRAP"]
        # The pods may reach the port the configuration names (base and production alike).
        assert int(bootstrap.rsplit(":", 1)[1]) in kafka_ports
        if target.endswith("production"):  # each service signs in as itself, over TLS
            assert config[f"KINERJA_{name.upper()}_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
            assert config[f"KINERJA_{name.upper()}_KAFKA_USERNAME"] == name
            cafile = Path(config[f"KINERJA_{name.upper()}_KAFKA_SSL_CAFILE"])
            pod = by_kind["Deployment"][name]["spec"]["template"]["spec"]
            mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
            assert str(cafile.parent) in mounts
    idp = policies["identity-provider-egress"]["spec"]
    assert idp["podSelector"] == {"matchLabels": {"app.kubernetes.io/part-of": "kinerja"}}
    assert {"protocol": "TCP", "port": 443} in idp["egress"][0]["ports"]
    assert "Secret" not in by_kind  # created by ops, never committed

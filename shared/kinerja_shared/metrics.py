"""Prometheus helpers: one registry per app (so tests can run several apps in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge

#: Buckets for latencies measured in seconds, from 1 ms to 30 s.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def new_registry(service: str, version: str = "0.1.0") -> CollectorRegistry:
    """A fresh registry with the ``kinerja_build_info`` gauge every service exports."""
    registry = CollectorRegistry(auto_describe=True)
    info = Gauge(
        "kinerja_build_info",
        "Always 1; labels name the service and its version",
        ["service", "version"],
        registry=registry,
    )
    info.labels(service=service, version=version).set(1)
    return registry

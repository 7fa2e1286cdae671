"""`kinerja-local up` / `down` as `make up` / `make down` run them: everything answers ready, and
nothing is left running afterwards."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from kinerja_local import stack
from kinerja_local.stack import Process, StackError, free_port


@pytest.mark.integration
def test_up_serves_four_ready_services_and_down_leaves_no_process(tmp_path: Path) -> None:
    # Four consecutive ports below the kernel's ephemeral range, so no client socket takes one
    # between this check and the services' start.
    rng = random.Random()
    base = rng.randrange(20000, 30000)
    while any(stack.port_open(base + i) for i in range(4)):
        base = rng.randrange(20000, 30000)
    env = {
        **os.environ,
        "KINERJA_LOCAL_STATE_DIR": str(tmp_path / "state"),
        "KINERJA_LOCAL_KAFKA_PORT": str(free_port()),
        "KINERJA_LOCAL_KAFKA_CONTROLLER_PORT": str(free_port()),
        "KINERJA_LOCAL_MONGODB_PORT": str(free_port()),
        "KINERJA_LOCAL_BASE_PORT": str(base),
    }
    cli = [sys.executable, "-m", "kinerja_local.cli"]
    names = ["intake", "scoring", "feedback", "notifier", "kafka", "ferretdb"]
    try:
        up = subprocess.run([*cli, "up"], env=env, capture_output=True, text=True, timeout=300)
        assert up.returncode == 0, up.stdout + up.stderr
        for i in range(4):
            r = httpx.get(f"http://127.0.0.1:{base + i}/readyz", timeout=5)
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "ready"
        pids = [Process(n, tmp_path / "state").pid() for n in names]
        assert all(pids), pids
    finally:
        down = subprocess.run([*cli, "down"], env=env, capture_output=True, text=True, timeout=120)
    assert down.returncode == 0, down.stdout + down.stderr
    assert "kafka" in down.stdout
    for pid in pids:
        assert pid is not None
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"pid {pid} still runs"
    assert not any(Process(n, tmp_path / "state").running() for n in names)
    for i in range(4):
        assert not stack.port_open(base + i)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True


def test_missing_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda _tool: None)
    with pytest.raises(StackError, match="Java 17"):
        stack.check_java()


def test_old_java_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack, "_java_major", lambda: 11)
    with pytest.raises(StackError, match="Java 11 found; Kafka 4 needs Java 17"):
        stack.check_java()


def test_missing_go_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KINERJA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("shutil.which", lambda _tool: None)
    with pytest.raises(StackError, match="install Go"):
        stack.install_ferretdb(log=lambda _m: None)

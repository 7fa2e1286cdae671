"""`make run` in a terminal: everything answers ready, the printed request works, and Ctrl-C
leaves nothing running (``run`` stops through the same ``down`` that `make down` calls)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from kinerja_local import stack
from kinerja_local.stack import Process, StackError, free_port


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_make_run_in_a_terminal_serves_prints_a_working_curl_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    """``make run`` as a person runs it: in a terminal (a pseudo-terminal here, the CLI its
    session leader), a small city fed, the printed ``curl`` pasted as is, then Ctrl-C typed:
    the terminal sends SIGINT to the foreground group, and nothing is left running."""
    env = _isolated(tmp_path)
    base = int(env["KINERJA_LOCAL_BASE_PORT"])
    names = ["intake", "scoring", "feedback", "notifier", "kafka", "ferretdb"]
    cli = [sys.executable, "-m", "kinerja_local.cli", "run", "--employees", "12", "--seed", "5"]
    with Terminal(cli, env) as term:
        try:
            term.wait_for("press Ctrl-C", timeout_s=420)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}; the terminal showed:\n{term.text()[-3000:]}") from None
        for i in range(4):
            r = httpx.get(f"http://127.0.0.1:{base + i}/readyz", timeout=5)
            assert r.status_code == 200, r.text
        assert f"Console: http://127.0.0.1:{base + 2}/" in term.text()
        answer = _paste(next(line for line in term.lines() if line.startswith("curl ")))
        assert answer["nip"], answer
        # Every NIP printed to sign in with signs in to the console in its role.
        printed = re.findall(r"│[^│]*│ (\d{18}) │ (supervisor|employee|admin) ", term.text())
        assert {role for _, role in printed} == {"supervisor", "employee", "admin"}, printed
        for nip, role in printed:
            r = httpx.post(
                f"http://127.0.0.1:{base + 2}/v1/console/dev-sign-in",
                json={"nip": nip, "role": role},
                timeout=10,
            )
            assert r.status_code == 200, (nip, role, r.text)
        pids = [Process(n, tmp_path / "state").pid() for n in names]
        assert all(pids), pids
        term.type(b"\x03")  # Ctrl-C, typed
        assert term.exit_code(timeout_s=180) == 0, term.text()[-3000:]
    assert "stopping" in term.text()
    for pid in pids:
        assert pid is not None
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"pid {pid} still runs"
    assert not any(Process(n, tmp_path / "state").running() for n in names)
    for i in range(4):
        assert not stack.port_open(base + i)


def _isolated(tmp_path: Path) -> dict[str, str]:
    """Its own state folder and ports. The four service ports are consecutive and below the
    kernel's ephemeral range, so no client socket takes one between this check and the start."""
    rng = random.Random()
    base = rng.randrange(20000, 30000)
    while any(stack.port_open(base + i) for i in range(4)):
        base = rng.randrange(20000, 30000)
    return {
        **os.environ,
        "KINERJA_LOCAL_STATE_DIR": str(tmp_path / "state"),
        "KINERJA_LOCAL_KAFKA_PORT": str(free_port()),
        "KINERJA_LOCAL_KAFKA_CONTROLLER_PORT": str(free_port()),
        "KINERJA_LOCAL_MONGODB_PORT": str(free_port()),
        "KINERJA_LOCAL_BASE_PORT": str(base),
        "COLUMNS": "160",
        "TERM": "xterm",
    }


def _paste(line: str) -> dict[str, Any]:
    """The printed command run as a shell runs a pasted line (curl, or its words if curl is
    not installed here)."""
    if shutil.which("curl"):
        done = subprocess.run(line, shell=True, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        answer: dict[str, Any] = json.loads(done.stdout)
        return answer
    words = shlex.split(line)
    name, value = words[words.index("-H") + 1].split(": ", 1)
    return dict(httpx.get(words[-1], headers={name: value}, timeout=30).json())


class Terminal:
    """A command in a pseudo-terminal that is its controlling terminal, as in a person's
    terminal window; what it shows is read as it comes (a full terminal would block it)."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self._argv, self._env = argv, env
        self._shown = bytearray()
        self._lock = threading.Lock()

    def __enter__(self) -> Terminal:
        master, slave = pty.openpty()
        self._master = master
        self._process = subprocess.Popen(
            self._argv,
            env=self._env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,  # a session of its own, whose terminal this is
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.poll() is None:  # a failed test: stop it as a person would, then kill
            self.type(b"\x03")
            try:
                self._process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
        self._reader.join(timeout=5)
        os.close(self._master)

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:
                return  # the terminal closed: everyone in it is gone
            if not chunk:
                return
            with self._lock:
                self._shown += chunk

    def text(self) -> str:
        with self._lock:
            raw = bytes(self._shown).decode("utf-8", errors="replace")
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw).replace("\r", "")

    def lines(self) -> list[str]:
        return [line.strip() for line in self.text().split("\n")]

    def wait_for(self, words: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while words not in self.text():
            if self._process.poll() is not None:
                raise TimeoutError(f"the command ended ({self._process.returncode}) first")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{words!r} not shown within {timeout_s:.0f} s")
            time.sleep(0.5)

    def type(self, keys: bytes) -> None:
        os.write(self._master, keys)

    def exit_code(self, timeout_s: float) -> int:
        return self._process.wait(timeout=timeout_s)


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

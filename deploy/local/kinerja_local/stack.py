"""Install, start and stop the local infrastructure on loopback: Apache Kafka (KRaft, single node,
jars from Maven Central) and FerretDB (SQLite backend, embedded in a small Go program).

Installs are cached under ``KINERJA_CACHE_DIR`` (default ``~/.cache/kinerja``) and idempotent;
data, logs and pid files live in a state folder (default ``.local/`` in the repository, ignored
by git). Processes run in their own process group so a stop takes their children with them.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from kinerja_local.kafka_security import AclRule, BrokerSecurity

REPO_ROOT = Path(__file__).resolve().parents[3]
LOCAL_DIR = Path(__file__).resolve().parents[1]
KAFKA_POM = LOCAL_DIR / "kafka" / "pom.xml"
FERRETDB_SRC = LOCAL_DIR / "ferretdb"
FERRETDB_MODULE = "github.com/FerretDB/FerretDB"
#: Small patches applied to FerretDB's source before it is built (see ferretdb/main.go).
PATCHES = sorted((FERRETDB_SRC / "patches").glob("*.patch"))


class StackError(RuntimeError):
    """A step failed; the message says what to do about it."""


def cache_dir() -> Path:
    return Path(os.environ.get("KINERJA_CACHE_DIR", Path.home() / ".cache" / "kinerja"))


def kafka_version() -> str:
    m = re.search(r"<kafka.version>([^<]+)</kafka.version>", KAFKA_POM.read_text())
    if not m:
        raise StackError(f"{KAFKA_POM} names no <kafka.version>")
    return m.group(1)


# --- prerequisites ------------------------------------------------------------------------


def _java_major() -> int:
    java = shutil.which("java")
    if java is None:
        raise StackError(
            "Java is not installed. Kafka needs Java 17 or newer: "
            "`apt-get install openjdk-17-jre-headless` (and `maven` to fetch the jars)."
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not m:
        raise StackError(f"could not read the Java version from: {out.strip()[:200]}")
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major


def check_java() -> None:
    major = _java_major()
    if major < 17:
        raise StackError(
            f"Java {major} found; Kafka 4 needs Java 17 or newer. "
            "Install openjdk-17 and put it first on PATH (or set JAVA_HOME)."
        )


def _need(tool: str, hint: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise StackError(f"`{tool}` is not installed. {hint}")
    return path


# --- install ------------------------------------------------------------------------------


def kafka_libs_dir(tools: bool = False) -> Path:
    return cache_dir() / f"kafka-{kafka_version()}" / ("tools-libs" if tools else "libs")


def install_kafka(log: Callable[[str], None] = print, tools: bool = False) -> Path:
    """Copy the broker's runtime jars (with ``tools``: also Kafka's performance tools) from Maven
    Central into the cache (once)."""
    check_java()
    libs = kafka_libs_dir(tools)
    marker = libs / ".complete"
    if marker.exists():
        return libs
    mvn = _need("mvn", "Maven fetches Kafka's jars from Maven Central: `apt-get install maven`.")
    what = "jars and performance tools" if tools else "jars"
    log(f"installing Apache Kafka {kafka_version()} {what} into {libs} (Maven, once)")
    tmp = libs.with_name(libs.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    result = subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(KAFKA_POM),
            *(["-P", "tools"] if tools else []),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={tmp}",
            "-DincludeScope=runtime",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise StackError(
            "Maven could not fetch Kafka's jars (is Maven Central reachable?):\n"
            + (result.stdout + result.stderr)[-2000:]
        )
    shutil.rmtree(libs, ignore_errors=True)
    tmp.rename(libs)
    marker.write_text(kafka_version())
    return libs


def _ferretdb_source_hash() -> str:
    h = hashlib.sha256()
    for path in sorted([*FERRETDB_SRC.glob("go.*"), *FERRETDB_SRC.glob("*.go"), *PATCHES]):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:12]


def ferretdb_binary() -> Path:
    return cache_dir() / f"ferretdb-{_ferretdb_source_hash()}" / "ferretdb-local"


def install_ferretdb(log: Callable[[str], None] = print) -> Path:
    """Build the small Go program that embeds FerretDB 1.24 (once per source change)."""
    binary = ferretdb_binary()
    if binary.exists():
        return binary
    go = _need("go", "FerretDB is built from the Go module proxy: install Go 1.24 or newer.")
    log(f"building FerretDB (Go, once) into {binary}")
    binary.parent.mkdir(parents=True, exist_ok=True)
    work = binary.parent / "build"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(FERRETDB_SRC, work / "main", ignore=shutil.ignore_patterns("patches"))
    env = {**os.environ, "CGO_ENABLED": "0"}
    _go(go, ["mod", "download"], work / "main", env)
    module = json.loads(_go(go, ["mod", "download", "-json", FERRETDB_MODULE], work / "main", env))
    # The module cache is read-only: patch a writable copy and build against it.
    shutil.copytree(module["Dir"], work / "ferretdb", copy_function=shutil.copyfile)
    # git apply inside a repository would resolve paths against that repository's root: stop
    # git from looking above the copy.
    git_env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(work)}
    for patch in PATCHES:
        cmd = ["git", "apply", "--verbose", str(patch)]
        _run_checked(cmd, work / "ferretdb", "patch " + patch.name, git_env)
    _go(go, ["mod", "edit", f"-replace={FERRETDB_MODULE}=../ferretdb"], work / "main", env)
    tmp = binary.with_suffix(".partial")
    _go(go, ["build", "-trimpath", "-o", str(tmp), "."], work / "main", env)
    tmp.rename(binary)
    shutil.rmtree(work, ignore_errors=True)
    return binary


def _go(go: str, args: list[str], cwd: Path, env: dict[str, str]) -> str:
    return _run_checked([go, *args], cwd, "Go (is the Go module proxy reachable?)", env)


def _run_checked(cmd: list[str], cwd: Path, what: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise StackError(
            f"building FerretDB failed at {what}:\n" + (result.stdout + result.stderr)[-2000:]
        )
    return result.stdout


# --- processes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ports:
    kafka: int = 9092
    kafka_controller: int = 9093
    mongodb: int = 27017

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka}"

    @property
    def mongodb_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongodb}/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


class Process:
    """A background process with a pid file and a log file in the state folder."""

    def __init__(self, name: str, state: Path) -> None:
        self.name = name
        self.pid_file = state / "run" / f"{name}.pid"
        self.log_file = state / "logs" / f"{name}.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if not _alive(pid):  # gone, or a zombie nobody reaped: it will not serve again
            self.pid_file.unlink(missing_ok=True)
            return None
        return pid

    def running(self) -> bool:
        return self.pid() is not None

    def start(
        self, argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> int:
        if (pid := self.pid()) is not None:
            return pid
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as out:
            proc = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
                cwd=cwd,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        return proc.pid

    def stop(self, timeout_s: float = 20.0) -> bool:
        """SIGTERM the process group, wait, then SIGKILL; True if something was stopped."""
        pid = self.pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not _alive(pid):
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        _reap(pid)
        self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self) -> bool:
        """SIGKILL the process group at once (a crash, for the fault suite); True if it ran."""
        pid = self.pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)
        return True

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log yet)"


def _alive(pid: int) -> bool:
    _reap(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); /proc tells the truth on Linux.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def wait_until(check: Callable[[], bool], timeout_s: float, what: str, proc: Process) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        if not proc.running():
            raise StackError(
                f"{what} exited during start; its log ({proc.log_file}):\n{proc.tail()}"
            )
        time.sleep(0.2)
    raise StackError(
        f"{what} did not become ready in {timeout_s:.0f}s; log {proc.log_file}:\n{proc.tail()}"
    )


# --- Kafka ----------------------------------------------------------------------------------

_KAFKA_PROPERTIES = """\
# Written by kinerja-local: a KRaft broker+controller on loopback (one node, or one of a cluster).
process.roles=broker,controller
node.id={node_id}
controller.quorum.voters={voters}
controller.listener.names=CONTROLLER
log.dirs={data}
num.partitions=6
default.replication.factor={replication}
min.insync.replicas={min_isr}
offsets.topic.replication.factor={replication}
offsets.topic.num.partitions=1
transaction.state.log.replication.factor={replication}
transaction.state.log.min.isr={min_isr}
share.coordinator.state.topic.replication.factor={replication}
share.coordinator.state.topic.min.isr={min_isr}
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=-1
"""


@dataclass(frozen=True)
class ClusterNode:
    """One node of a KRaft cluster: its id, the voters of the whole quorum, the cluster's id and
    the replication its internal topics and new topics get (``min.insync.replicas`` is one less,
    at least one)."""

    node_id: int
    voters: str  # 1@127.0.0.1:9093,2@127.0.0.1:9095,...
    cluster_id: str
    replication: int


_PLAINTEXT_LISTENERS = """\
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
"""

_LOG4J2 = """\
Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.request.logger
        level: WARN
      - name: org.apache.kafka.controller
        level: WARN
"""


def new_cluster_id() -> str:
    """16 random bytes, base64url without padding (what Kafka's random-uuid prints)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


def kafka_cluster(state: Path, nodes: int = 3, heap_mb: int = 384) -> list[LocalKafka]:
    """``nodes`` KRaft nodes on free ports, each broker and controller, one cluster id: topics
    replicated to all of them, ``min.insync.replicas`` one less (start each with ``wait=False``,
    then ``wait_ready``)."""
    ports = [(free_port(), free_port()) for _ in range(nodes)]
    voters = ",".join(f"{i}@127.0.0.1:{c}" for i, (_, c) in enumerate(ports, 1))
    cluster_id = new_cluster_id()
    return [
        LocalKafka(state, p, c, heap_mb, node=ClusterNode(i, voters, cluster_id, nodes))
        for i, (p, c) in enumerate(ports, 1)
    ]


class LocalKafka:
    def __init__(
        self,
        state: Path,
        port: int,
        controller_port: int,
        heap_mb: int = 512,
        security: BrokerSecurity | None = None,
        node: ClusterNode | None = None,
    ) -> None:
        """``security``: SASL_SSL, SCRAM users and ACLs, as production runs (default: plain).
        ``node``: one node of a cluster (``kafka_cluster``); default a single node."""
        name = f"kafka-{node.node_id}" if node else "kafka"
        self.state = state / name
        self.port = port
        self.controller_port = controller_port
        self.heap_mb = heap_mb
        self.security = security
        self.node = node
        self.proc = Process(name, state)

    def _broker_ready(self) -> bool:
        # The broker logs this once it serves clients; the port alone opens earlier.
        return port_open(self.port) and "Kafka Server started" in self.proc.tail(400)

    def start(
        self, log: Callable[[str], None] = print, timeout_s: float = 90.0, wait: bool = True
    ) -> None:
        """``wait``: until it serves clients (a cluster's nodes start together, then wait: none
        serves before a quorum of controllers is up)."""
        libs = install_kafka(log)
        if self.proc.running():
            return
        for p in (self.port, self.controller_port):
            if port_open(p):
                raise StackError(
                    f"port {p} is already in use; stop what holds it or choose "
                    "other ports (KINERJA_LOCAL_KAFKA_PORT, ..._CONTROLLER_PORT)"
                )
        data = self.state / "data"
        data.mkdir(parents=True, exist_ok=True)
        props = self.state / "server.properties"
        ports = {"port": self.port, "controller": self.controller_port}
        listeners = (
            self.security.properties(**ports)
            if self.security
            else _PLAINTEXT_LISTENERS.format(**ports)
        )
        node = self.node
        cluster = {
            "node_id": node.node_id if node else 1,
            "voters": node.voters if node else f"1@127.0.0.1:{self.controller_port}",
            "replication": node.replication if node else 1,
            "min_isr": max(1, node.replication - 1) if node else 1,
        }
        props.write_text(_KAFKA_PROPERTIES.format(data=data, **cluster) + listeners)
        log4j = self.state / "log4j2.yaml"
        log4j.write_text(_LOG4J2)
        java = _need("java", "Install Java 17 (openjdk-17-jre-headless).")
        classpath = f"{libs}/*"
        if not (data / "meta.properties").exists():
            cluster_id = node.cluster_id if node else new_cluster_id()
            fmt = subprocess.run(
                [
                    java,
                    "-cp",
                    classpath,
                    "kafka.tools.StorageTool",
                    "format",
                    # One argument with "=": a base64url id may start with "-" (1 in 64).
                    f"--cluster-id={cluster_id}",
                    "-c",
                    str(props),
                    *(self.security.format_arguments() if self.security else []),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if fmt.returncode != 0:
                raise StackError(f"formatting Kafka storage failed:\n{fmt.stdout}{fmt.stderr}")
        self.proc.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.proc.log_file.write_text("")  # readiness is read from this run's log
        self.proc.start(
            [
                java,
                f"-Xms{self.heap_mb // 2}m",
                f"-Xmx{self.heap_mb}m",
                "-XX:+UseG1GC",
                "-XX:TieredStopAtLevel=1",
                "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={log4j}",
                "-cp",
                classpath,
                "kafka.Kafka",
                str(props),
            ]
        )
        if wait:
            self.wait_ready(timeout_s)

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        wait_until(self._broker_ready, timeout_s, f"Kafka on port {self.port}", self.proc)

    def add_acls(self, rules: Sequence[AclRule]) -> None:
        """Apply ACLs with Kafka's own AclCommand, signed in as the secured broker's admin."""
        if self.security is None:
            raise StackError("ACLs need the secured broker (LocalKafka(..., security=...))")
        java = _need("java", "Install Java 17 (openjdk-17-jre-headless).")
        tools = install_kafka(tools=True)  # AclCommand is one of Kafka's tools
        self.security.add_acls(java, tools, f"127.0.0.1:{self.port}", rules)

    def stop(self) -> bool:
        return self.proc.stop(timeout_s=30)


# --- FerretDB -------------------------------------------------------------------------------


class LocalFerretDB:
    def __init__(self, state: Path, port: int) -> None:
        self.state = state / "ferretdb"
        self.port = port
        self.proc = Process("ferretdb", state)

    def start(self, log: Callable[[str], None] = print, timeout_s: float = 30.0) -> None:
        binary = install_ferretdb(log)
        if self.proc.running():
            return
        if port_open(self.port):
            raise StackError(
                f"port {self.port} is already in use; stop what holds it or choose "
                "another (KINERJA_LOCAL_MONGODB_PORT)"
            )
        self.proc.start(
            [
                str(binary),
                "--listen",
                f"127.0.0.1:{self.port}",
                "--data-dir",
                str(self.state / "data"),
                "--log-level",
                "warn",
            ]
        )
        wait_until(
            lambda: port_open(self.port), timeout_s, f"FerretDB on port {self.port}", self.proc
        )

    def stop(self) -> bool:
        return self.proc.stop()

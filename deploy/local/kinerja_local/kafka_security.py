"""Kafka as production runs it, from the same jars: clients reach a SASL_SSL listener and sign in
as SCRAM-SHA-512 users, the standard authorizer refuses what no ACL allows, and the controller
listener has a password of its own.

The certificates are made here (a throwaway CA and the broker's certificate for 127.0.0.1), as
PEM files, which Kafka reads without a Java keystore.
"""

from __future__ import annotations

import secrets
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SCRAM = "SCRAM-SHA-512"
ADMIN = "admin"


@dataclass(frozen=True)
class AclRule:
    """What ``AclCommand --add`` takes for one rule (kept free of the services' packages)."""

    principal: str
    operation: str
    resource: str  # topic or group
    name: str
    prefixed: bool = False


@dataclass(frozen=True)
class BrokerSecurity:
    """The secured broker's files and users; ``users`` maps a SCRAM user to its password."""

    directory: Path
    users: Mapping[str, str]
    controller_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @classmethod
    def create(cls, directory: Path, services: Iterable[str]) -> BrokerSecurity:
        """New certificates and a random password for the admin and each service."""
        directory.mkdir(parents=True, exist_ok=True)
        users = {name: secrets.token_urlsafe(24) for name in (ADMIN, *services)}
        security = cls(directory, users)
        _write_certificates(directory)
        return security

    @property
    def cafile(self) -> Path:
        return self.directory / "ca.pem"

    def properties(self, port: int, controller: int) -> str:
        admin = self.users[ADMIN]
        pem = self.directory / "broker.pem"
        return f"""\
listeners=SASL_SSL://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=SASL_SSL://127.0.0.1:{port}
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms={SCRAM}
sasl.mechanism.inter.broker.protocol={SCRAM}
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=\
org.apache.kafka.common.security.scram.ScramLoginModule required \
username="{ADMIN}" password="{admin}";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=\
org.apache.kafka.common.security.plain.PlainLoginModule required \
username="controller" password="{self.controller_password}" \
user_controller="{self.controller_password}";
ssl.keystore.type=PEM
ssl.keystore.location={pem}
ssl.truststore.type=PEM
ssl.truststore.location={self.cafile}
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:{ADMIN};User:controller
allow.everyone.if.no.acl.found=false
"""

    def format_arguments(self) -> list[str]:
        """The SCRAM users, written into the metadata log when the storage is formatted."""
        return [
            f"--add-scram={SCRAM}=[name={name},password={password}]"
            for name, password in self.users.items()
        ]

    def client_properties(self, user: str) -> Path:
        """A properties file for Kafka's own tools, signed in as ``user``."""
        path = self.directory / f"{user}.properties"
        path.write_text(
            "security.protocol=SASL_SSL\n"
            f"sasl.mechanism={SCRAM}\n"
            "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{user}" password="{self.users[user]}";\n'
            "ssl.truststore.type=PEM\n"
            f"ssl.truststore.location={self.cafile}\n"
        )
        path.chmod(0o600)
        return path

    def add_acls(self, java: str, tools: Path, bootstrap: str, rules: Sequence[AclRule]) -> None:
        """Apply ``rules`` with Kafka's AclCommand: one run for each principal's resources
        that take the same operations (AclCommand applies every operation to every resource)."""
        ops_of: dict[tuple[str, str, bool, str], set[str]] = defaultdict(set)
        for rule in rules:
            ops_of[(rule.principal, rule.resource, rule.prefixed, rule.name)].add(rule.operation)
        runs: dict[tuple[str, str, bool, frozenset[str]], list[str]] = defaultdict(list)
        for (principal, resource, prefixed, name), wanted in ops_of.items():
            runs[(principal, resource, prefixed, frozenset(wanted))].append(name)
        config = self.client_properties(ADMIN)
        for (principal, resource, prefixed, ops), names in runs.items():
            command = [java, "-cp", f"{tools}/*", "org.apache.kafka.tools.AclCommand"]
            command += ["--bootstrap-server", bootstrap, "--command-config", str(config)]
            command += ["--add", "--allow-principal", principal]
            command += [a for op in sorted(ops) for a in ("--operation", op)]
            command += [a for name in sorted(names) for a in (f"--{resource}", name)]
            if prefixed:
                command += ["--resource-pattern-type", "prefixed"]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"AclCommand failed: {done.stdout}{done.stderr}")


def _write_certificates(directory: Path) -> None:
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kinerja local CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    # Kafka's PEM keystore: the PKCS#8 key, then the certificate chain, in one file.
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    broker = directory / "broker.pem"
    broker.write_bytes(key_pem + cert.public_bytes(pem) + ca.public_bytes(pem))
    broker.chmod(0o600)

"""How a service reaches Kafka and proves who it is: plain on a developer's loopback, SASL_SSL
with a SCRAM user in production, so that no pod that merely reaches the broker can forge
``behaviour.rated`` or read evaluations.

The mapping to aiokafka's keyword arguments is FastStream's own (``parse_security``), so the
FastStream broker and the plain aiokafka clients (intake's producer, the lag probe, topic
creation) authenticate the same way.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any, Literal

from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLScram256, SASLScram512

Protocol = Literal["PLAINTEXT", "SSL", "SASL_SSL"]
Mechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256"]


@dataclass(frozen=True)
class KafkaAccess:
    """The bootstrap servers and this service's credentials (the password is never printed)."""

    bootstrap: str
    protocol: Protocol = "PLAINTEXT"
    mechanism: Mechanism = "SCRAM-SHA-512"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    #: The CA the broker's certificate is checked against (None: the system's CAs).
    cafile: str | None = None
    #: A client certificate and key, where the brokers also ask for one (mutual TLS).
    certfile: str | None = None
    keyfile: str | None = None

    @classmethod
    def of(cls, target: KafkaTarget) -> KafkaAccess:
        """A bare ``host:port,...`` string means the plain loopback broker of development."""
        return target if isinstance(target, KafkaAccess) else cls(target)

    def problems(self) -> list[str]:
        """Why this access cannot work (empty: it may)."""
        if self.protocol == "SASL_SSL" and not (self.username and self.password):
            return ["Kafka SASL_SSL needs a user name and a password (KAFKA_USERNAME, _PASSWORD)"]
        if bool(self.certfile) != bool(self.keyfile):
            return ["a Kafka client certificate needs its key, and a key its certificate"]
        return []

    def ssl_context(self) -> ssl.SSLContext | None:
        if self.protocol == "PLAINTEXT":
            return None
        context = ssl.create_default_context(cafile=self.cafile)
        if self.certfile and self.keyfile:
            context.load_cert_chain(self.certfile, self.keyfile)
        return context

    def security(self) -> BaseSecurity | None:
        """FastStream's description of it, for ``KafkaBroker(security=...)``."""
        if self.protocol == "PLAINTEXT":
            return None
        context = self.ssl_context()
        if self.protocol == "SSL":
            return BaseSecurity(ssl_context=context, use_ssl=True)
        scram = SASLScram512 if self.mechanism == "SCRAM-SHA-512" else SASLScram256
        return scram(
            username=self.username or "",
            password=self.password or "",
            ssl_context=context,
            use_ssl=True,
        )

    @property
    def servers(self) -> list[str]:
        """The bootstrap brokers, one ``host:port`` each: aiokafka takes a list, and reads a
        comma-separated string as one host name."""
        return [s.strip() for s in self.bootstrap.split(",") if s.strip()]

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments of aiokafka's producer, consumer and admin client."""
        return {"bootstrap_servers": self.servers, **parse_security(self.security())}


KafkaTarget = str | KafkaAccess

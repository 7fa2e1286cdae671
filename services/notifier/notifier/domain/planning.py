"""From a notice to the deliveries it needs: routes × recipients × channels (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from notifier.domain.model import Channel, Delivery, Notice, Recipient
from notifier.domain.recipients import Lookup, recipients_for
from notifier.domain.routing import RoutingConfig, group_key, matching_routes


@dataclass(frozen=True)
class Undeliverable:
    recipient: str
    channel: str
    why: str


def role_recipients(config: RoutingConfig, lookup: Lookup) -> dict[str, list[Recipient]]:
    """Each role's staff (by NIP) and its shared mailbox."""
    found: dict[str, list[Recipient]] = {}
    for name, role in config.roles.items():
        members = []
        for nip in role.nips:
            person = lookup(nip)
            members.append(
                Recipient(
                    nip,
                    name.upper(),
                    person.email if person else None,
                    person.name if person else "",
                )
            )
        if role.email:
            members.append(Recipient(f"role:{name}", name.upper(), role.email, name.upper()))
        found[name] = members
    return found


def plan(
    notice: Notice,
    config: RoutingConfig,
    lookup: Lookup,
    *,
    email_enabled: bool = True,
    recipients: list[Recipient] | None = None,
    escalation_level: int = 0,
    opted_out: Mapping[str, frozenset[Channel]] | None = None,
) -> tuple[list[Delivery], list[Undeliverable]]:
    """The deliveries for ``notice`` (to ``recipients``, or to those the org chart names), and
    what cannot be delivered with the reason, so nothing is dropped silently."""
    labels = notice.labels()
    people = (
        recipients
        if recipients is not None
        else recipients_for(notice, lookup, role_recipients(config, lookup))
    )
    deliveries: list[Delivery] = []
    missing: list[Undeliverable] = []
    if not people:
        missing.append(Undeliverable("-", "-", "no recipient: the org chart names nobody yet"))
    for route_index in matching_routes(config, labels):
        route = config.routes[route_index]
        receiver = config.receiver(route.receiver)
        timers = config.timers(route_index)
        for person in people:
            for channel in receiver.channels:
                if channel is Channel.WEB and person.nip is None:
                    continue  # a role mailbox has no console to sign in to
                if channel in (opted_out or {}).get(person.id, frozenset()):
                    missing.append(Undeliverable(person.id, channel, "turned off by the recipient"))
                    continue
                if channel is Channel.EMAIL and not person.email:
                    missing.append(Undeliverable(person.id, channel, "no e-mail address on file"))
                    continue
                if channel is Channel.EMAIL and not email_enabled:
                    missing.append(Undeliverable(person.id, channel, "e-mail is not configured"))
                    continue
                key = group_key(
                    f"{route_index}:{receiver.name}", person.id, channel, timers.group_by, labels
                )
                deliveries.append(
                    Delivery(
                        notice_id=notice.id,
                        recipient=person,
                        channel=channel,
                        receiver=receiver.name,
                        route=route_index,
                        group_key=key,
                        urgent=route.urgent,
                        escalation_level=escalation_level,
                        labels=labels,
                    )
                )
    if people and not deliveries and not missing:
        missing.append(Undeliverable("-", "-", "no route matches"))
    return deliveries, missing

"""Reading the firewall exports a command is given, with the context that gives their rules
meaning (Service Tags, the VirtualNetwork tag's address space).

The CLI reads firewalls through here, so that it depends on the analyses, not on the policy
languages behind them.
"""

from __future__ import annotations

from collections.abc import Sequence

from netfence.model.firewall import FirewallKind, FirewallLayer
from netfence.policy.firewall_registry import (
    read_firewalls,
    recognized_kind,
    recognized_text_kind,
)
from netfence.policy.interface import FirewallContext
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.service_tags import read_service_tags


def read_firewall_layers(
    paths: Sequence[str],
    *,
    service_tags: str | None = None,
    virtual_network: IPRangeSet | None = None,
    kind: FirewallKind | None = None,
) -> list[FirewallLayer]:
    """Every layer of every export in ``paths``, in the order given (the order a flow from
    the cluster crosses them); the language is recognized unless ``kind`` is given."""
    context = FirewallContext(
        service_tags=read_service_tags(service_tags) if service_tags else None,
        virtual_network=virtual_network,
    )
    return read_firewalls(paths, context, kind)


def firewall_kind_of(path: str) -> FirewallKind | None:
    """The firewall language of ``path`` when it is an export netfence recognizes."""
    return recognized_kind(path)


def firewall_text_kind(text: str, name: str) -> FirewallKind | None:
    """:func:`firewall_kind_of` of a file's text already read (from a git tree)."""
    return recognized_text_kind(text, name)

"""A cluster with the policies of some manifests applied over it, as ``kubectl apply`` would.

``netfence diff --live PATH`` compares the running cluster with what it would be once the
policies in PATH are applied: an object of a policy kind (every family, with Calico's tiers
and network sets) replaces the object of the same kind, namespace and name, or joins; a
Namespace object replaces that namespace's labels. Pods and workloads stay as they run: the
manifests' own workloads have no addresses, and a rollout is not a policy change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from netfence.model.cluster import Cluster

_T = TypeVar("_T")


def apply_policies(base: Cluster, change: Cluster) -> Cluster:
    """``base`` with every policy-family object and Namespace of ``change`` applied."""
    namespaces = dict(base.namespaces)
    for name, namespace in change.namespaces.items():
        if namespace.location is not None or name not in namespaces:  # given, not referenced
            namespaces[name] = namespace
    return dataclasses.replace(
        base,
        namespaces=namespaces,
        policies=_applied(base.policies, change.policies, lambda p: (p.namespace, p.name)),
        calico_policies=_applied(
            base.calico_policies, change.calico_policies, lambda p: (p.kind, p.namespace, p.name)
        ),
        calico_tiers=_applied(base.calico_tiers, change.calico_tiers, lambda t: t.name),
        network_sets=_applied(
            base.network_sets, change.network_sets, lambda s: (s.namespace, s.name)
        ),
        admin_policies=_applied(
            base.admin_policies, change.admin_policies, lambda p: (p.kind, p.name)
        ),
    )


def _applied(
    base: Sequence[_T], change: Sequence[_T], key: Callable[[_T], Hashable]
) -> tuple[_T, ...]:
    """``base`` with each object of ``change`` in place of the one of its key, the new ones
    after, in the change's order."""
    replacing = {key(item): item for item in change}
    kept = [replacing.pop(key(item), item) for item in base]
    return (*kept, *replacing.values())

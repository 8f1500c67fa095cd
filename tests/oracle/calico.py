"""Calico projectcalico.org/v3 NetworkPolicy and GlobalNetworkPolicy, from Calico's resource
reference (NetworkPolicy, GlobalNetworkPolicy, NetworkSet, GlobalNetworkSet, Rule,
EntityRule, Selectors, Ports) and docs/semantics.md.

What a selector sees:

- a workload endpoint (a pod that is not host-networked) carries the pod's labels plus
  ``projectcalico.org/namespace`` (its namespace), ``projectcalico.org/orchestrator``
  (``k8s``) and ``projectcalico.org/serviceaccount`` (its service account);
- a NetworkSet carries its labels plus ``projectcalico.org/namespace``; a GlobalNetworkSet its
  labels only (it is the one not namespaced, which is what ``global()`` picks);
- a namespace, for a ``namespaceSelector``, carries its labels plus ``projectcalico.org/name``;
  a service account, for a service-account selector, its labels plus ``projectcalico.org/name``.

A rule selector stands for the addresses of what it selects: the endpoints, and every CIDR of
the network sets (Calico's NetworkSet reference: when Calico computes the IPs that match a
selector it includes the CIDRs of the matching network sets). So a pod matches when it is a
selected endpoint, or when one of its IPs lies in a selected network set.

Scope of a rule's selectors (EntityRule reference, and how Calico joins them): with a
``namespaceSelector``, what lives in the matching namespaces (``global()``: what is not
namespaced); without one, in a NetworkPolicy, what lives in the policy's namespace, and in a
GlobalNetworkPolicy, everything. The scope applies as soon as ``selector``,
``namespaceSelector``, ``serviceAccounts`` or ``notSelector`` is used; ``notSelector`` itself
is matched against everything, unscoped (Calico passes it on as written).
"""

from __future__ import annotations

from dataclasses import dataclass

from netfence.model.calico import CalicoPolicy, CalicoPorts, CalicoRule, EntityRule
from netfence.model.calico_selector import All, Global, Selector
from netfence.model.cluster import Cluster, Pod
from netfence.model.layers import Action
from netfence.model.networkpolicy import Direction
from netfence.sets.ports import OTHER, PortSet

from .endpoints import End, in_cidrs, namespace_labels

NAMESPACE_LABEL = "projectcalico.org/namespace"
ORCHESTRATOR_LABEL = "projectcalico.org/orchestrator"
SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount"
NAME_LABEL = "projectcalico.org/name"

IANA = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6", 132: "SCTP", 136: "UDPLite"}
"""Protocol numbers of the protocols Calico names."""
WITH_PORTS = ("TCP", "UDP", "SCTP", "UDPLite")
"""Protocols whose packets have ports."""


@dataclass(frozen=True)
class SelectorTarget:
    """Something Calico's rule selectors select: a workload endpoint or a network set."""

    namespace: str | None
    labels: dict[str, str]
    pod: Pod | None
    """The pod, for a workload endpoint."""
    nets: tuple[str, ...]
    """The CIDRs, for a network set."""

    def stands_for(self, end: End) -> bool:
        """Whether traffic of ``end`` is traffic of this: the endpoint itself, or an address
        inside the network set."""
        if self.pod is not None:
            return end.pod is not None and end.pod == self.pod
        return in_cidrs(end, self.nets)


def endpoint_labels(pod: Pod) -> dict[str, str]:
    """The labels of a pod's workload endpoint."""
    return {
        **pod.labels,
        NAMESPACE_LABEL: pod.namespace,
        ORCHESTRATOR_LABEL: "k8s",
        SERVICE_ACCOUNT_LABEL: pod.service_account,
    }


def calico_namespace_labels(cluster: Cluster, name: str) -> dict[str, str]:
    """A namespace's labels as a Calico namespaceSelector sees them."""
    return {**namespace_labels(cluster, name), NAME_LABEL: name}


def service_account_labels(cluster: Cluster, pod: Pod) -> dict[str, str]:
    """The pod's service account's labels as a Calico service-account selector sees them."""
    given = cluster.service_accounts.get((pod.namespace, pod.service_account), {})
    return {**given, NAME_LABEL: pod.service_account}


def selector_targets(cluster: Cluster) -> list[SelectorTarget]:
    """Every workload endpoint and network set of the cluster."""
    out = [
        SelectorTarget(pod.namespace, endpoint_labels(pod), pod, ())
        for pod in cluster.pods
        if not pod.host_network  # host-networked pods have no workload endpoint
    ]
    for network_set in cluster.network_sets:
        labels = dict(network_set.labels)
        if network_set.namespace is not None:
            labels[NAMESPACE_LABEL] = network_set.namespace
        out.append(SelectorTarget(network_set.namespace, labels, None, network_set.nets))
    return out


def _in_scope(
    cluster: Cluster, target: SelectorTarget, scope: Selector | None, policy: CalicoPolicy
) -> bool:
    if scope is None:
        return policy.namespace is None or target.namespace == policy.namespace
    if isinstance(scope, Global):
        return target.namespace is None
    return target.namespace is not None and scope.matches(
        calico_namespace_labels(cluster, target.namespace)
    )


def _service_account_ok(cluster: Cluster, entity: EntityRule, target: SelectorTarget) -> bool:
    names, selector = entity.service_account_names, entity.service_account_selector
    if names is None and selector is None:
        return True
    if target.pod is None:
        return False  # service accounts are the endpoints' only
    if names is not None and target.pod.service_account not in names:
        return False
    return selector is None or selector.matches(service_account_labels(cluster, target.pod))


def _selects(target: SelectorTarget, selector: Selector) -> bool:
    return selector.matches(target.labels, namespaced=target.namespace is not None)


def entity_matches(cluster: Cluster, entity: EntityRule, policy: CalicoPolicy, end: End) -> bool:
    """Whether the source or destination ``end`` meets every criterion of ``entity``."""
    if entity.services:
        return False  # Service matches are not modeled: the rule matches nothing
    if entity.nets is not None and not in_cidrs(end, entity.nets):
        return False
    if entity.not_nets and (not end.addresses or in_cidrs(end, entity.not_nets)):
        return False  # an address criterion holds only for a known address
    accounts = (
        entity.service_account_names is not None or entity.service_account_selector is not None
    )
    scoped = entity.namespace_selector is not None or policy.namespace is not None
    positive = (
        entity.selector is not None
        or accounts
        or (scoped and (entity.namespace_selector is not None or entity.not_selector is not None))
    )
    targets = selector_targets(cluster)
    if positive:
        selector = entity.selector if entity.selector is not None else All()
        if not any(
            _in_scope(cluster, t, entity.namespace_selector, policy)
            and _selects(t, selector)
            and _service_account_ok(cluster, entity, t)
            and t.stands_for(end)
            for t in targets
        ):
            return False
    if entity.not_selector is not None:
        not_selector = entity.not_selector
        if any(_selects(t, not_selector) and t.stands_for(end) for t in targets):
            return False
    return True


def selects(cluster: Cluster, policy: CalicoPolicy, direction: Direction, subject: End) -> bool:
    """Whether the policy applies to ``subject`` in ``direction``."""
    pod = subject.pod
    if pod is None or pod.host_network or direction not in policy.types:
        return False
    if policy.namespace is not None and pod.namespace != policy.namespace:
        return False
    if policy.namespace_selector is not None and not policy.namespace_selector.matches(
        calico_namespace_labels(cluster, pod.namespace)
    ):
        return False
    if policy.service_account_selector is not None and not (
        policy.service_account_selector.matches(service_account_labels(cluster, pod))
    ):
        return False
    return policy.selector.matches(endpoint_labels(pod))


def has_family(end: End, version: int) -> bool:
    """Whether ``end`` has an address of IP ``version`` (a pod with none known: either)."""
    return not end.addresses or any(a.version == version for a in end.addresses)


def rule_matches(
    cluster: Cluster,
    policy: CalicoPolicy,
    rule: CalicoRule,
    direction: Direction,
    subject: End,
    other: End,
) -> bool:
    """Whether the rule's source, destination and IP version match the flow."""
    source, destination = (other, subject) if direction is Direction.INGRESS else (subject, other)
    if rule.ip_version is not None and not has_family(other, rule.ip_version):
        return False  # the packet's family is the peer's
    return entity_matches(cluster, rule.source, policy, source) and entity_matches(
        cluster, rule.destination, policy, destination
    )


def http_decides_nothing(rule: CalicoRule) -> bool:
    """Whether the rule is a Deny or Pass with HTTP criteria: it refuses or passes only some
    requests of a connection, so for the connection as a whole it decides nothing and is
    left out (docs/semantics.md); an Allow with them lets the connection through."""
    return rule.http and rule.action is not Action.ALLOW


def governs_source_ports(rule: CalicoRule) -> bool:
    """Whether the rule constrains source ports (such rules are left out of the map)."""
    return rule.source.ports is not None or rule.source.not_ports is not None


# Values ------------------------------------------------------------------------------------


def protocol_values(protocol: str | None) -> PortSet:
    """Every packet of ``protocol`` (a name, or an IANA number as text); None: every packet."""
    if protocol is None:
        return PortSet.all()
    if protocol.isdigit():
        number = int(protocol)
        if number in IANA:
            return PortSet.of(IANA[number])
        return PortSet.of(OTHER, number)
    return PortSet.of(protocol)


def icmp_values(kind: int, code: int | None) -> PortSet:
    """ICMP and ICMPv6 packets of a type (and code), valued ``type * 256 + code``."""
    first = kind * 256 + (code if code is not None else 0)
    last = kind * 256 + (code if code is not None else 255)
    return PortSet.of("ICMP", first, last) | PortSet.of("ICMPv6", first, last)


def _named(target: End, name: str, protocol: str) -> PortSet:
    if target.pod is None:
        return PortSet.none()  # named ports belong to endpoints
    out = PortSet.none()
    for container_port in target.pod.ports:
        if container_port.name == name and container_port.protocol == protocol:
            out = out | PortSet.of(protocol, container_port.number)
    return out


def _ports_values(ports: CalicoPorts, protocols: PortSet, target: End) -> PortSet:
    out = PortSet.none()
    for protocol in WITH_PORTS:
        if not protocols.ports(protocol):
            continue
        for lo, hi in ports.spans:
            if hi >= 1:  # port 0 is not a port a connection uses
                out = out | PortSet.of(protocol, max(lo, 1), hi)
        for name in ports.names:
            out = out | _named(target, name, protocol)
    return out


def rule_values(rule: CalicoRule, target: End) -> PortSet:
    """What the rule's protocol, ICMP and destination port criteria let through to
    ``target`` (named ports resolved on it)."""
    protocols = protocol_values(rule.protocol)
    if rule.icmp is not None:
        protocols = protocols & icmp_values(*rule.icmp)
    ports = rule.destination.ports
    matched = protocols if ports is None else _ports_values(ports, protocols, target) & protocols
    excluded = PortSet.none()
    if rule.not_protocol is not None:
        excluded = excluded | protocol_values(rule.not_protocol)
    if rule.not_icmp is not None:
        excluded = excluded | icmp_values(*rule.not_icmp)
    if rule.destination.not_ports is not None:
        excluded = excluded | _ports_values(rule.destination.not_ports, protocols, target)
    return matched - excluded

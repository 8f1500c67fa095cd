"""Hypothesis strategies for random clusters mixing Kubernetes, Calico and AdminNetworkPolicy."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import strategies as st

from tests.engine.random_clusters import KEYS, NAMESPACES, VALUES, labels, pods, policies

CALICO_SELECTORS = [
    "all()",
    "app == 'a'",
    "has(tier)",
    "env != 'b'",
    "app in {'a', 'b'}",
    "!has(app)",
    "projectcalico.org/namespace == 'ns1'",
    "role == 'ext'",
    "app == 'a' || tier == 'b'",
    "role == 'pods'",
]
NAMESPACE_SELECTORS = ["all()", "global()", "env == 'a'", "projectcalico.org/name == 'ns2'"]
NETS = ["10.0.0.0/24", "0.0.0.0/0", "192.168.0.0/16", "10.0.0.0/28", "8.8.8.0/24"]


SET_SELECTORS = ["role == 'pods'", "app == 'a'", "has(role)", "role == 'ext'"]
"""Selectors that match network sets of the clusters (SET_LABELS)."""


@st.composite
def entities(draw: st.DrawFn, with_ports: bool) -> dict[str, Any]:
    entity: dict[str, Any] = {}
    if draw(st.integers(0, 2)) == 0:
        # Selectors alone, as rules that select network sets are written.
        key = draw(st.sampled_from(["selector", "notSelector"]))
        entity[key] = draw(st.sampled_from(SET_SELECTORS))
        if draw(st.booleans()):
            entity["namespaceSelector"] = draw(st.sampled_from(NAMESPACE_SELECTORS))
        return entity
    if draw(st.booleans()):
        entity["nets"] = draw(st.lists(st.sampled_from(NETS), min_size=1, max_size=2, unique=True))
    if draw(st.integers(0, 3)) == 0:
        entity["notNets"] = [draw(st.sampled_from(NETS))]
    if draw(st.booleans()):
        entity["selector"] = draw(st.sampled_from(CALICO_SELECTORS))
    if draw(st.integers(0, 3)) == 0:
        entity["notSelector"] = draw(st.sampled_from(CALICO_SELECTORS))
    if draw(st.integers(0, 3)) == 0:
        entity["namespaceSelector"] = draw(st.sampled_from(NAMESPACE_SELECTORS))
    if with_ports and draw(st.booleans()):
        entity["ports"] = draw(
            st.lists(st.sampled_from([80, "1000:2000", "http", 53]), min_size=1, max_size=2)
        )
    if with_ports and draw(st.integers(0, 3)) == 0:
        entity["notPorts"] = [draw(st.sampled_from([80, "1500:1600", "dns"]))]
    return entity


@st.composite
def calico_rules(draw: st.DrawFn) -> dict[str, Any]:
    rule: dict[str, Any] = {"action": draw(st.sampled_from(["Allow", "Deny", "Pass", "Log"]))}
    protocol = draw(st.sampled_from([None, "TCP", "UDP", "ICMP"]))
    if protocol:
        rule["protocol"] = protocol
    if draw(st.integers(0, 4)) == 0:
        rule["notProtocol"] = draw(st.sampled_from(["TCP", "UDP"]))
    ports_ok = protocol in ("TCP", "UDP")
    if draw(st.booleans()):
        rule["source"] = draw(entities(with_ports=False))
    if draw(st.booleans()):
        rule["destination"] = draw(entities(with_ports=ports_ok))
    return rule


@st.composite
def calico_policies(draw: st.DrawFn, index: int) -> dict[str, Any]:
    global_policy = draw(st.booleans())
    spec: dict[str, Any] = {}
    tier = draw(st.sampled_from(["default", "security", "late"]))
    if tier != "default":
        spec["tier"] = tier
    order = draw(st.sampled_from([None, 50, 1000, 2000]))
    if order is not None:
        spec["order"] = order
    if draw(st.booleans()):
        spec["selector"] = draw(st.sampled_from(CALICO_SELECTORS))
    if draw(st.booleans()):
        spec["ingress"] = draw(st.lists(calico_rules(), max_size=3))
    if draw(st.booleans()):
        spec["egress"] = draw(st.lists(calico_rules(), max_size=3))
    types = draw(st.sampled_from([None, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]))
    if types:
        spec["types"] = types
    name = f"c{index}" if tier == "default" else f"{tier}.c{index}"
    metadata: dict[str, Any] = {"name": name}
    if not global_policy:
        metadata["namespace"] = draw(st.sampled_from(NAMESPACES))
    return {
        "apiVersion": "projectcalico.org/v3",
        "kind": "GlobalNetworkPolicy" if global_policy else "NetworkPolicy",
        "metadata": metadata,
        "spec": spec,
    }


label_selectors = st.fixed_dictionaries(
    {},
    optional={
        "matchLabels": st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1)
    },
)


@st.composite
def admin_peers(draw: st.DrawFn, egress: bool) -> dict[str, Any]:
    kinds = ["namespaces", "pods"] + (["networks"] if egress else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "namespaces":
        return {"namespaces": draw(label_selectors)}
    if kind == "pods":
        return {
            "pods": {
                "namespaceSelector": draw(label_selectors),
                "podSelector": draw(label_selectors),
            }
        }
    return {"networks": draw(st.lists(st.sampled_from(NETS), min_size=1, max_size=2, unique=True))}


@st.composite
def admin_rules(draw: st.DrawFn, egress: bool, baseline: bool) -> dict[str, Any]:
    actions = ["Allow", "Deny"] if baseline else ["Allow", "Deny", "Pass"]
    rule: dict[str, Any] = {
        "action": draw(st.sampled_from(actions)),
        ("to" if egress else "from"): draw(st.lists(admin_peers(egress), min_size=1, max_size=2)),
    }
    if draw(st.booleans()):
        port = draw(
            st.sampled_from(
                [
                    {"portNumber": {"protocol": "TCP", "port": 80}},
                    {"portRange": {"protocol": "UDP", "start": 50, "end": 60}},
                    {"namedPort": "http"},
                ]
            )
        )
        networks = any("networks" in p for p in rule.get("to", []))
        if "namedPort" in port and networks:
            port = {"portNumber": {"protocol": "TCP", "port": 443}}
        rule["ports"] = [port]
    return rule


@st.composite
def admin_policies(draw: st.DrawFn, index: int, baseline: bool) -> dict[str, Any]:
    subject = draw(st.sampled_from(["namespaces", "pods"]))
    spec: dict[str, Any] = {
        "subject": (
            {"namespaces": draw(label_selectors)}
            if subject == "namespaces"
            else {
                "pods": {
                    "namespaceSelector": draw(label_selectors),
                    "podSelector": draw(label_selectors),
                }
            }
        )
    }
    if not baseline:
        spec["priority"] = draw(st.sampled_from([1, 5, 10]))
    if draw(st.booleans()):
        spec["ingress"] = draw(st.lists(admin_rules(False, baseline), min_size=1, max_size=2))
    if draw(st.booleans()):
        spec["egress"] = draw(st.lists(admin_rules(True, baseline), min_size=1, max_size=2))
    return {
        "apiVersion": "policy.networking.k8s.io/v1alpha1",
        "kind": "BaselineAdminNetworkPolicy" if baseline else "AdminNetworkPolicy",
        "metadata": {"name": "default" if baseline else f"anp{index}"},
        "spec": spec,
    }


FIXED = [
    {
        "apiVersion": "projectcalico.org/v3",
        "kind": "Tier",
        "metadata": {"name": "security"},
        "spec": {"order": 100},
    },
    {
        "apiVersion": "projectcalico.org/v3",
        "kind": "Tier",
        "metadata": {"name": "late"},
        "spec": {"order": 5000, "defaultAction": "Pass"},
    },
    {
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkSet",
        "metadata": {"name": "partners", "namespace": "ns1", "labels": {"role": "ext"}},
        "spec": {"nets": ["192.168.3.0/24"]},
    },
    {
        "apiVersion": "projectcalico.org/v3",
        "kind": "GlobalNetworkSet",
        "metadata": {"name": "dns", "labels": {"role": "ext"}},
        "spec": {"nets": ["8.8.8.0/24"]},
    },
]


SET_NETS = ["10.0.0.1/32", "10.0.0.2/31", "10.0.0.0/29", "10.0.0.0/24", "192.168.9.0/24"]
"""Network-set CIDRs: most cover some of the pods' IPs (10.0.0.1-5), one an external range."""
SET_LABELS = [{"role": "pods"}, {"role": "ext"}, {"app": "a"}, {}]


@st.composite
def network_sets(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """A NetworkSet or GlobalNetworkSet, often covering pod IPs: Calico matches a selector
    against the addresses of the matching endpoints and network sets alike."""
    metadata: dict[str, Any] = {"name": f"set{index}", "labels": draw(st.sampled_from(SET_LABELS))}
    namespaced = draw(st.booleans())
    if namespaced:
        metadata["namespace"] = draw(st.sampled_from(NAMESPACES))
    nets = draw(st.lists(st.sampled_from(SET_NETS), min_size=1, max_size=2, unique=True))
    return {
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkSet" if namespaced else "GlobalNetworkSet",
        "metadata": metadata,
        "spec": {"nets": nets},
    }


@st.composite
def layered_clusters(draw: st.DrawFn) -> str:
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": draw(labels)}}
        for n in NAMESPACES
    ]
    docs += FIXED
    docs += [draw(network_sets(i)) for i in range(draw(st.integers(1, 3)))]
    docs += [draw(pods(i)) for i in range(draw(st.integers(1, 5)))]
    docs += [draw(policies(i)) for i in range(draw(st.integers(0, 2)))]
    docs += [draw(calico_policies(i)) for i in range(draw(st.integers(0, 3)))]
    docs += [draw(admin_policies(i, False)) for i in range(draw(st.integers(0, 2)))]
    if draw(st.booleans()):
        docs.append(draw(admin_policies(0, True)))
    return yaml.safe_dump_all(docs, sort_keys=False)


@st.composite
def set_entities(draw: st.DrawFn) -> dict[str, Any]:
    """An EntityRule of selectors that network sets (and pods) answer to."""
    entity: dict[str, Any] = {}
    choices = SET_SELECTORS + ["all()", "app == 'b'"]
    if draw(st.booleans()):
        entity["selector"] = draw(st.sampled_from(choices))
    if draw(st.integers(0, 2)) == 0:
        entity["notSelector"] = draw(st.sampled_from(choices))
    if draw(st.integers(0, 2)) == 0:
        entity["namespaceSelector"] = draw(st.sampled_from(NAMESPACE_SELECTORS))
    if draw(st.integers(0, 5)) == 0:
        entity["serviceAccounts"] = {"names": ["default"]}
    return entity


@st.composite
def set_policies(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """A Calico policy whose rules select through network sets."""
    rules = []
    for _ in range(draw(st.integers(1, 2))):
        rule: dict[str, Any] = {"action": draw(st.sampled_from(["Allow", "Deny", "Pass"]))}
        if draw(st.booleans()):
            rule["protocol"] = "TCP"
        rule[draw(st.sampled_from(["source", "destination"]))] = draw(set_entities())
        rules.append(rule)
    direction = draw(st.sampled_from(["ingress", "egress"]))
    spec: dict[str, Any] = {direction: rules}
    if draw(st.booleans()):
        spec["selector"] = draw(st.sampled_from(CALICO_SELECTORS))
    metadata: dict[str, Any] = {"name": f"s{index}"}
    if draw(st.booleans()):
        metadata["namespace"] = draw(st.sampled_from(NAMESPACES))
    return {
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkPolicy" if "namespace" in metadata else "GlobalNetworkPolicy",
        "metadata": metadata,
        "spec": spec,
    }


@st.composite
def network_set_clusters(draw: st.DrawFn) -> str:
    """Pods with IPs, network sets covering some of them, and Calico rules selecting the sets:
    where Calico matches pods through the sets that cover their addresses."""
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": draw(labels)}}
        for n in NAMESPACES
    ]
    for i in range(draw(st.integers(2, 4))):
        pod = draw(pods(i))
        pod["status"] = {"podIP": f"10.0.0.{i + 1}"}
        docs.append(pod)
    docs += [draw(network_sets(i)) for i in range(draw(st.integers(1, 3)))]
    docs += [draw(set_policies(i)) for i in range(draw(st.integers(1, 2)))]
    return yaml.safe_dump_all(docs, sort_keys=False)


FEATURE_PROTOCOLS: list[Any] = [None, "TCP", "UDP", "SCTP", "UDPLite", "ICMP", "ICMPv6", 1, 6, 47]


@st.composite
def feature_rules(draw: st.DrawFn) -> dict[str, Any]:
    """A Calico rule drawing on the less common criteria: protocol numbers, ICMP type and
    code, notICMP, ipVersion, service accounts, source ports, http and services."""
    rule = draw(calico_rules())
    protocol = draw(st.sampled_from(FEATURE_PROTOCOLS))
    rule.pop("protocol", None)
    destination = rule.get("destination", {})
    if protocol not in ("TCP", "UDP", "SCTP", "UDPLite"):
        destination.pop("ports", None)
        destination.pop("notPorts", None)
        rule.get("source", {}).pop("ports", None)
    if protocol is not None:
        rule["protocol"] = protocol
    if protocol in ("ICMP", "ICMPv6") and draw(st.booleans()):
        icmp: dict[str, Any] = {"type": draw(st.sampled_from([0, 8]))}
        if draw(st.booleans()):
            icmp["code"] = draw(st.sampled_from([0, 1]))
        rule[draw(st.sampled_from(["icmp", "notICMP"]))] = icmp
    if draw(st.integers(0, 3)) == 0:
        rule["ipVersion"] = draw(st.sampled_from([4, 6]))
    side = draw(st.sampled_from(["source", "destination"]))
    extra = draw(st.integers(0, 9))
    if extra == 0:
        rule.setdefault(side, {})["serviceAccounts"] = {"names": ["sa1"]}
    elif extra == 1:
        rule.setdefault(side, {})["serviceAccounts"] = {"selector": "team == 'a'"}
    elif extra == 2 and protocol in ("TCP", "UDP"):
        rule.setdefault("source", {})["ports"] = [1234]
    elif extra == 3:
        rule["http"] = {"methods": ["GET"]}
    elif extra == 4 and protocol in ("TCP", "UDP"):
        rule["destination"] = {**destination, "services": {"name": "svc", "namespace": "ns1"}}
    return rule


@st.composite
def feature_policies(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """A Calico policy with feature rules, service-account and namespace selectors, the
    built-in tiers, and now and then a host-endpoint-only (doNotTrack, preDNAT) policy."""
    policy = draw(calico_policies(index))
    spec = policy["spec"]
    for direction in ("ingress", "egress"):
        if direction in spec:
            spec[direction] = draw(st.lists(feature_rules(), max_size=3))
    tier = draw(st.sampled_from([None, "kube-admin", "kube-baseline", "adminnetworkpolicy"]))
    if tier is not None:
        spec["tier"] = tier
        policy["metadata"]["name"] = f"{tier}.c{index}"
    if draw(st.integers(0, 4)) == 0:
        spec["serviceAccountSelector"] = draw(st.sampled_from(["team == 'a'", "!has(team)"]))
    if policy["kind"] == "GlobalNetworkPolicy" and draw(st.integers(0, 3)) == 0:
        spec["namespaceSelector"] = draw(st.sampled_from(NAMESPACE_SELECTORS))
    if policy["kind"] == "GlobalNetworkPolicy" and draw(st.integers(0, 6)) == 0:
        spec[draw(st.sampled_from(["doNotTrack", "preDNAT"]))] = True
        spec["applyOnForward"] = True
    return policy


@st.composite
def feature_pods(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """A pod that may be host-networked, dual-stack or IPv6-only, with a service account."""
    pod = draw(pods(index))
    family = draw(st.sampled_from(["v4", "dual", "v6", "none"]))
    if family == "none":
        pod.pop("status", None)
    elif family == "v4":
        pod["status"] = {"podIP": f"10.0.0.{index + 1}"}
    elif family == "v6":
        pod["status"] = {"podIP": f"fd00::{index + 1}"}
    else:
        pod["status"] = {
            "podIP": f"10.0.0.{index + 1}",
            "podIPs": [{"ip": f"10.0.0.{index + 1}"}, {"ip": f"fd00::{index + 1}"}],
        }
    spec = pod["spec"]
    spec["serviceAccountName"] = draw(st.sampled_from(["default", "sa1"]))
    if draw(st.integers(0, 5)) == 0:
        spec["hostNetwork"] = True
        pod["status"] = {"podIP": "10.0.5.1"}
    return pod


@st.composite
def admin_v1alpha2(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """A ClusterNetworkPolicy (v1alpha2), with nodes peers and protocols."""
    tier = draw(st.sampled_from(["Admin", "Baseline"]))
    egress = []
    for _ in range(draw(st.integers(1, 2))):
        peer = draw(
            st.sampled_from(
                [
                    {"nodes": {"matchLabels": {"zone": "a"}}},
                    {"networks": ["10.0.0.0/30"]},
                    {"pods": {"namespaceSelector": {}, "podSelector": draw(label_selectors)}},
                    {"namespaces": draw(label_selectors)},
                ]
            )
        )
        rule: dict[str, Any] = {
            "action": draw(st.sampled_from(["Accept", "Deny", "Pass"])),
            "to": [peer],
        }
        if draw(st.booleans()):
            rule["protocols"] = [
                draw(
                    st.sampled_from(
                        [
                            {"tcp": {"destinationPort": {"number": 80}}},
                            {"udp": {"destinationPort": {"range": {"start": 50, "end": 60}}}},
                        ]
                    )
                )
            ]
        egress.append(rule)
    return {
        "apiVersion": "policy.networking.k8s.io/v1alpha2",
        "kind": "ClusterNetworkPolicy",
        "metadata": {"name": f"cnp{index}"},
        "spec": {
            "tier": tier,
            "priority": draw(st.sampled_from([1, 5])),
            "subject": {"namespaces": draw(label_selectors)},
            "egress": egress,
        },
    }


FEATURE_FIXED = [
    {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "sa1", "namespace": "ns1", "labels": {"team": "a"}},
    },
    {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "node1", "labels": {"zone": "a"}},
        "status": {"addresses": [{"type": "InternalIP", "address": "10.0.5.1"}]},
    },
]


@st.composite
def feature_clusters(draw: st.DrawFn) -> str:
    """Clusters drawing on every family's less common features."""
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": draw(labels)}}
        for n in NAMESPACES
    ]
    docs += FIXED + FEATURE_FIXED
    docs += [draw(network_sets(i)) for i in range(draw(st.integers(0, 2)))]
    docs += [draw(feature_pods(i)) for i in range(draw(st.integers(1, 4)))]
    docs += [draw(policies(i)) for i in range(draw(st.integers(0, 1)))]
    docs += [draw(feature_policies(i)) for i in range(draw(st.integers(1, 3)))]
    docs += [draw(admin_policies(i, False)) for i in range(draw(st.integers(0, 1)))]
    docs += [draw(admin_v1alpha2(i)) for i in range(draw(st.integers(0, 1)))]
    return yaml.safe_dump_all(docs, sort_keys=False)

"""Hypothesis strategies that build small random clusters as manifest text."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import strategies as st

KEYS = ["app", "tier", "env"]
VALUES = ["a", "b", "c"]
NAMESPACES = ["ns1", "ns2", "ns3"]
PORT_NAMES = ["http", "dns", "api"]
PROBE_ADDRESSES = ["10.0.0.200", "10.0.1.5", "192.168.3.4", "8.8.8.8", "169.254.169.254", "fd00::1"]
CIDRS = ["10.0.0.0/24", "10.0.0.0/28", "10.0.0.0/8", "192.168.0.0/16", "0.0.0.0/0", "fd00::/8"]

labels = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=3)


@st.composite
def selectors(draw: st.DrawFn) -> dict[str, Any]:
    sel: dict[str, Any] = {}
    match_labels = draw(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2))
    if match_labels:
        sel["matchLabels"] = match_labels
    exprs = []
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]))
        expr: dict[str, Any] = {"key": draw(st.sampled_from(KEYS)), "operator": op}
        if op in ("In", "NotIn"):
            expr["values"] = draw(st.lists(st.sampled_from(VALUES), min_size=1, max_size=2))
        exprs.append(expr)
    if exprs:
        sel["matchExpressions"] = exprs
    return sel


@st.composite
def peers(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["pod", "ns", "both", "ip"]))
    if kind == "ip":
        cidr = draw(st.sampled_from(CIDRS))
        block: dict[str, Any] = {"cidr": cidr}
        if cidr == "10.0.0.0/8" and draw(st.booleans()):
            block["except"] = ["10.0.0.0/28"]
        if cidr == "0.0.0.0/0" and draw(st.booleans()):
            block["except"] = ["169.254.169.254/32", "10.0.0.0/24"]
        return {"ipBlock": block}
    peer: dict[str, Any] = {}
    if kind in ("pod", "both"):
        peer["podSelector"] = draw(selectors())
    if kind in ("ns", "both"):
        peer["namespaceSelector"] = draw(selectors())
    return peer


@st.composite
def port_entries(draw: st.DrawFn) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    proto = draw(st.sampled_from([None, "TCP", "UDP", "SCTP"]))
    if proto:
        entry["protocol"] = proto
    shape = draw(st.sampled_from(["number", "range", "named", "none"]))
    if shape == "number":
        entry["port"] = draw(st.sampled_from([53, 80, 443, 8080]))
    elif shape == "range":
        entry["port"] = draw(st.sampled_from([80, 1000]))
        entry["endPort"] = entry["port"] + draw(st.sampled_from([0, 100, 8000]))
    elif shape == "named":
        entry["port"] = draw(st.sampled_from(PORT_NAMES))
    return entry


@st.composite
def rules(draw: st.DrawFn, peers_key: str) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    if draw(st.booleans()):
        rule[peers_key] = draw(st.lists(peers(), min_size=1, max_size=2))
    if draw(st.booleans()):
        rule["ports"] = draw(st.lists(port_entries(), min_size=1, max_size=2))
    return rule


@st.composite
def policies(draw: st.DrawFn, index: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": draw(selectors())}
    if draw(st.booleans()):
        spec["ingress"] = draw(st.lists(rules("from"), max_size=2))
    if draw(st.booleans()):
        spec["egress"] = draw(st.lists(rules("to"), max_size=2))
    types = draw(st.sampled_from([None, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]))
    if types is not None:
        spec["policyTypes"] = types
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"p{index}", "namespace": draw(st.sampled_from(NAMESPACES))},
        "spec": spec,
    }


@st.composite
def pods(draw: st.DrawFn, index: int) -> dict[str, Any]:
    ports = []
    for name in draw(st.lists(st.sampled_from(PORT_NAMES), unique=True, max_size=2)):
        proto = draw(st.sampled_from(["TCP", "UDP"]))
        ports.append(
            {
                "name": name,
                "containerPort": draw(st.sampled_from([53, 80, 8080, 9000])),
                "protocol": proto,
            }
        )
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"pod{index}",
            "namespace": draw(st.sampled_from(NAMESPACES)),
            "labels": draw(labels),
        },
        "spec": {"containers": [{"name": "c", "ports": ports}]},
    }
    if draw(st.booleans()):
        pod["status"] = {"podIP": f"10.0.0.{index + 1}"}
    return pod


@st.composite
def clusters(draw: st.DrawFn) -> str:
    docs: list[dict[str, Any]] = []
    for name in NAMESPACES[: draw(st.integers(1, 3))]:
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": name, "labels": draw(labels)},
            }
        )
    docs += [draw(pods(i)) for i in range(draw(st.integers(1, 6)))]
    docs += [draw(policies(i)) for i in range(draw(st.integers(0, 4)))]
    return yaml.safe_dump_all(docs, sort_keys=False)

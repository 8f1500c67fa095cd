"""Helpers for the NetworkPolicy conformance suite.

The suite drives the real CLI in-process (``netfence connectivity FILE -o json --flat``) and turns its
JSON answer into a plain map ``(src name, dst name) -> {protocol: [(lo, hi), ...]}`` with sorted,
merged, inclusive port ranges, so that tests can compare exact allowed sets.

Manifest builders (``ns``, ``pod``, ``workload``, ``policy``) emit one YAML document each; join
them with ``docs``.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import tempfile
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

Ranges = list[tuple[int, int]]
Allowed = dict[str, Ranges]
Conn = dict[tuple[str, str], Allowed]

PROTOCOLS = ("TCP", "UDP", "SCTP")
MIN_PORT = 1
MAX_PORT = 65535
FULL: Ranges = [(MIN_PORT, MAX_PORT)]
# All traffic, as the JSON contract writes it (docs/json-connectivity.md): every port of the
# port protocols, every ICMP/ICMPv6 type and code, every other IP protocol number.
OTHER_PROTOCOLS: Ranges = [(0, 0), (2, 5), (7, 16), (18, 57), (59, 131), (133, 135), (137, 255)]
ALL: Allowed = {
    "TCP": [(1, 65535)],
    "UDP": [(1, 65535)],
    "SCTP": [(1, 65535)],
    "UDPLite": [(1, 65535)],
    "ICMP": [(0, 65535)],
    "ICMPv6": [(0, 65535)],
    "OTHER": OTHER_PROTOCOLS,
}


# --------------------------------------------------------------------------------------------
# Running the CLI and reading its JSON
# --------------------------------------------------------------------------------------------


def connectivity(
    manifests: str,
    *,
    granularity: str = "pod",
    extra_args: list[str] | None = None,
) -> Conn:
    """Run ``netfence connectivity`` on ``manifests`` and return the expanded allowed map."""
    from netfence.cli.main import main

    with tempfile.TemporaryDirectory(prefix="netfence-conformance-") as tmp:
        path = Path(tmp) / "manifests.yaml"
        path.write_text(manifests, encoding="utf-8")
        argv = ["connectivity", str(path), "-o", "json", "--flat", "--granularity", granularity]
        argv.extend(extra_args or [])
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(argv)
    text = out.getvalue()
    assert code == 0, f"netfence exited with {code}; stdout was:\n{text}"
    return expand(json.loads(text))


def expand(data: Mapping[str, Any]) -> Conn:
    """Expand the JSON contract's pairs form into ``(src, dst) -> {protocol: merged ranges}``.

    Each entry names one source and one destination; a pair's allowed set is the union over
    every entry naming it. Self pairs, empty protocols and empty pairs are dropped.
    """
    assert data.get("schema_version") == "3", f"unexpected schema_version: {data!r:.200}"
    assert data.get("form") == "pairs", f"unexpected form: {data!r:.200}"
    raw: dict[tuple[str, str], dict[str, Ranges]] = {}
    for entry in data["pairs"]:
        srcs = _names(entry["src"])
        dsts = _names(entry["dst"])
        allowed = entry["allowed"]
        for proto, ranges in allowed.items():
            assert proto in ALL, f"unknown protocol {proto!r}"
            low, high = ALL[proto][0][0], ALL[proto][-1][1]
            for lo, hi in ranges:
                assert low <= lo <= hi <= high, f"bad range {[lo, hi]} in {entry!r}"
        for src in srcs:
            for dst in dsts:
                if src == dst:
                    continue
                acc = raw.setdefault((src, dst), {})
                for proto, ranges in allowed.items():
                    acc.setdefault(proto, []).extend((int(lo), int(hi)) for lo, hi in ranges)
    conn: Conn = {}
    for pair, acc in raw.items():
        merged = {proto: merge(ranges) for proto, ranges in acc.items() if ranges}
        if merged:
            conn[pair] = merged
    return conn


def _names(value: str | Sequence[str]) -> list[str]:
    if isinstance(value, str):
        return [value]
    return list(value)


def merge(ranges: Iterable[tuple[int, int]]) -> Ranges:
    """Sort and merge overlapping or adjacent inclusive ranges."""
    out: Ranges = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def endpoints(conn: Conn) -> set[str]:
    """Every endpoint name that appears on either side of an allowed pair."""
    return {name for pair in conn for name in pair}


# --------------------------------------------------------------------------------------------
# External endpoints (address ranges)
# --------------------------------------------------------------------------------------------

IpSpan = tuple[int, int, int]  # (ip version, first address, last address)


def address_spans(name: str) -> list[IpSpan] | None:
    """Parse an external endpoint name into address spans, or None when it is not one.

    A name is normally one ipBlock-shaped term (``10.0.0.0/8``, or ``0.0.0.0/0 except
    10.0.0.0/8, 172.16.0.0/12``: the CIDR less the excepted ones); several CIDRs separated by
    commas or spaces, or a ``first-last`` range, are accepted too.
    """
    if " except " in name:
        return _term_spans(*name.split(" except ", 1))
    parts = [p for p in name.replace(",", " ").replace(";", " ").split() if p]
    if not parts:
        return None
    spans: list[IpSpan] = []
    for part in parts:
        try:
            if "/" in part:
                net = ipaddress.ip_network(part, strict=False)
                spans.append((net.version, int(net.network_address), int(net.broadcast_address)))
            elif "-" in part:
                first_s, last_s = part.split("-", 1)
                first = ipaddress.ip_address(first_s)
                last = ipaddress.ip_address(last_s)
                if first.version != last.version:
                    return None
                spans.append((first.version, int(first), int(last)))
            else:
                addr = ipaddress.ip_address(part)
                spans.append((addr.version, int(addr), int(addr)))
        except ValueError:
            return None
    return spans


def _term_spans(cidr: str, excepts: str) -> list[IpSpan] | None:
    """The spans of ``cidr`` less each CIDR of the comma-separated ``excepts``."""
    try:
        nets = [ipaddress.ip_network(cidr)]
        for carved in (ipaddress.ip_network(e.strip()) for e in excepts.split(",")):
            nets = [
                piece
                for net in nets
                for piece in (
                    net.address_exclude(carved)
                    if net.version == carved.version and carved.subnet_of(net)
                    else [net]
                )
            ]
    except ValueError:
        return None
    return [(n.version, int(n.network_address), int(n.broadcast_address)) for n in nets]


def external_names(conn: Conn) -> set[str]:
    """Names of the external (address range) endpoints that appear in ``conn``."""
    return {name for name in endpoints(conn) if address_spans(name) is not None}


def external_containing(conn: Conn, ip: str) -> list[str]:
    """External endpoint names in ``conn`` whose range contains ``ip``.

    More than one name is returned when names overlap (for instance ``0.0.0.0/0`` for a pod
    that reaches every address, next to ``10.0.0.0/16`` for a pod that reaches only that).
    """
    addr = ipaddress.ip_address(ip)
    found = []
    for name in external_names(conn):
        spans = address_spans(name) or []
        if any(v == addr.version and lo <= int(addr) <= hi for v, lo, hi in spans):
            found.append(name)
    return sorted(found)


def to_ip(conn: Conn, src: str, ip: str) -> Allowed:
    """What ``src`` may send to the single external address ``ip`` (empty when denied).

    An entry naming a range allows at least its ports to every address in the range, so the
    answer is the union over every external name containing ``ip``, whether names overlap or
    partition the address space.
    """
    result: Allowed = {}
    for name in external_containing(conn, ip):
        for proto, ranges in conn.get((src, name), {}).items():
            result[proto] = merge([*result.get(proto, []), *ranges])
    return result


def from_ip(conn: Conn, ip: str, dst: str) -> Allowed:
    """What the single external address ``ip`` may send to ``dst`` (empty when denied)."""
    result: Allowed = {}
    for name in external_containing(conn, ip):
        for proto, ranges in conn.get((name, dst), {}).items():
            result[proto] = merge([*result.get(proto, []), *ranges])
    return result


# --------------------------------------------------------------------------------------------
# Manifest builders
# --------------------------------------------------------------------------------------------

PortSpec = tuple[str | None, int, str]  # (name or None, containerPort, protocol)


def docs(*documents: str) -> str:
    """Join YAML documents into one multi-document string."""
    return "".join(f"---\n{d.rstrip()}\n" for d in documents)


def _dump(obj: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(obj), sort_keys=False, default_flow_style=False)


def ns(name: str, labels: Mapping[str, str] | None = None) -> str:
    """A Namespace document."""
    meta: dict[str, Any] = {"name": name}
    if labels is not None:
        meta["labels"] = dict(labels)
    return _dump({"apiVersion": "v1", "kind": "Namespace", "metadata": meta})


def _uid(kind: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"netfence-conformance/{kind}/{name}"))


def containers(ports: Sequence[PortSpec] = ()) -> list[dict[str, Any]]:
    """One container declaring ``ports`` (name may be None for an unnamed port)."""
    container: dict[str, Any] = {"name": "main", "image": "registry.example.com/app:1.0"}
    if ports:
        declared = []
        for port_name, number, protocol in ports:
            entry: dict[str, Any] = {}
            if port_name is not None:
                entry["name"] = port_name
            entry["containerPort"] = number
            entry["protocol"] = protocol
            declared.append(entry)
        container["ports"] = declared
    return [container]


def pod(
    name: str,
    ns: str = "default",
    labels: Mapping[str, str] | None = None,
    ports: Sequence[PortSpec] = (),
    ip: str | Sequence[str] | None = None,
    owner: tuple[str, str] | None = None,
) -> str:
    """A Pod document.

    ``ip`` is one address (status.podIP) or several (status.podIP is the first, status.podIPs
    lists them all). ``owner`` is ``(kind, name)`` for an ownerReferences entry.
    """
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = dict(labels)
    if owner is not None:
        kind, owner_name = owner
        meta["ownerReferences"] = [
            {
                "apiVersion": "v1" if kind == "ReplicationController" else "apps/v1",
                "kind": kind,
                "name": owner_name,
                "uid": _uid(kind, owner_name),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": containers(ports)},
    }
    if ip is not None:
        ips = [ip] if isinstance(ip, str) else list(ip)
        status: dict[str, Any] = {"phase": "Running", "podIP": ips[0]}
        if len(ips) > 1:
            status["podIPs"] = [{"ip": a} for a in ips]
        body["status"] = status
    return _dump(body)


_WORKLOAD_API = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "ReplicaSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "ReplicationController": "v1",
}


def workload(
    kind: str,
    name: str,
    ns: str = "default",
    labels: Mapping[str, str] | None = None,
    ports: Sequence[PortSpec] = (),
    owner: tuple[str, str] | None = None,
) -> str:
    """A workload document whose pod template carries ``labels`` and declares ``ports``."""
    tmpl_labels = dict(labels or {"app": name})
    template: dict[str, Any] = {
        "metadata": {"labels": tmpl_labels},
        "spec": {"containers": containers(ports)},
    }
    if kind in ("Job", "CronJob"):
        template["spec"]["restartPolicy"] = "OnFailure"
    spec: dict[str, Any]
    if kind == "CronJob":
        spec = {"schedule": "0 2 * * *", "jobTemplate": {"spec": {"template": template}}}
    elif kind == "Job":
        spec = {"template": template}
    elif kind == "ReplicationController":
        spec = {"replicas": 1, "selector": dict(tmpl_labels), "template": template}
    else:
        spec = {"selector": {"matchLabels": dict(tmpl_labels)}, "template": template}
        if kind == "StatefulSet":
            spec["serviceName"] = name
        if kind != "DaemonSet":
            spec = {"replicas": 1, **spec}
    meta: dict[str, Any] = {"name": name, "namespace": ns, "labels": dict(tmpl_labels)}
    if owner is not None:
        kind_o, owner_name = owner
        meta["ownerReferences"] = [
            {
                "apiVersion": _WORKLOAD_API.get(kind_o, "apps/v1"),
                "kind": kind_o,
                "name": owner_name,
                "uid": _uid(kind_o, owner_name),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    return _dump({"apiVersion": _WORKLOAD_API[kind], "kind": kind, "metadata": meta, "spec": spec})


_OMIT: Any = object()


def policy(
    name: str,
    ns: str = "default",
    select: Mapping[str, Any] | None = None,
    *,
    ingress: list[Any] | None = _OMIT,
    egress: list[Any] | None = _OMIT,
    types: list[str] | None = None,
) -> str:
    """A NetworkPolicy document.

    ``select`` is a full LabelSelector (``{"matchLabels": ...}``); None means ``{}`` (all pods).
    ``ingress``/``egress`` left out are omitted from the spec; ``types`` sets policyTypes
    (omitted when None).
    """
    spec: dict[str, Any] = {"podSelector": dict(select) if select is not None else {}}
    if types is not None:
        spec["policyTypes"] = list(types)
    if ingress is not _OMIT:
        spec["ingress"] = ingress
    if egress is not _OMIT:
        spec["egress"] = egress
    return _dump(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns},
            "spec": spec,
        }
    )


def labels(**kv: str) -> dict[str, Any]:
    """A matchLabels-only LabelSelector: ``labels(app="web")``."""
    return {"matchLabels": dict(kv)}


def expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    """One matchExpressions requirement."""
    req: dict[str, Any] = {"key": key, "operator": operator}
    if operator in ("In", "NotIn"):
        req["values"] = list(values)
    return req


def tcp(*ports: int | tuple[int, int]) -> Allowed:
    """``{"TCP": [...]}`` from single ports and (lo, hi) ranges."""
    return {"TCP": merge((p, p) if isinstance(p, int) else p for p in ports)}


def udp(*ports: int | tuple[int, int]) -> Allowed:
    """``{"UDP": [...]}`` from single ports and (lo, hi) ranges."""
    return {"UDP": merge((p, p) if isinstance(p, int) else p for p in ports)}

"""Terse manifest builders and audit helpers for the check tests.

Each builder returns one Kubernetes object as a dict; ``cluster(*objects)`` dumps them as one
multi-document YAML string and loads it with ``load_cluster_from_text``, as a user's file would
be read. ``audit(objects, "NF0xx")`` runs that single check and returns its findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from netfence.analyses.audit import run_audit
from netfence.model.cluster import Cluster
from netfence.model.findings import Finding
from netfence.sources.manifests import load_cluster_from_text

Obj = dict[str, Any]

TCP = "TCP"
UDP = "UDP"


def namespace(name: str, **labels: str) -> Obj:
    """A Namespace with labels."""
    meta: Obj = {"name": name}
    if labels:
        meta["labels"] = dict(labels)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def container_port(
    number: int, name: str | None = None, protocol: str = TCP, host_port: int | None = None
) -> Obj:
    """A containerPort entry."""
    entry: Obj = {"containerPort": number, "protocol": protocol}
    if name is not None:
        entry["name"] = name
    if host_port is not None:
        entry["hostPort"] = host_port
    return entry


def _pod_spec(
    ports: Iterable[Obj], host_network: bool, image: str = "registry.example/app:1"
) -> Obj:
    spec: Obj = {"containers": [{"name": "main", "image": image, "ports": list(ports)}]}
    if host_network:
        spec["hostNetwork"] = True
    return spec


def pod(
    ns: str,
    name: str,
    labels: Mapping[str, str] | None = None,
    *,
    ports: Iterable[Obj] = (),
    ip: str | None = None,
    host_network: bool = False,
) -> Obj:
    """A bare Pod (reported as ``Pod/<ns>/<name>``)."""
    obj: Obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": dict(labels or {"app": name})},
        "spec": _pod_spec(ports, host_network),
    }
    if ip is not None:
        obj["status"] = {"podIP": ip}
    return obj


def workload(
    kind: str,
    ns: str,
    name: str,
    labels: Mapping[str, str] | None = None,
    *,
    ports: Iterable[Obj] = (),
    host_network: bool = False,
    image: str = "registry.example/app:1",
) -> Obj:
    """A Deployment, DaemonSet, StatefulSet, ... given by its pod template only."""
    template_labels = dict(labels or {"app": name})
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "selector": {"matchLabels": template_labels},
            "template": {
                "metadata": {"labels": template_labels},
                "spec": _pod_spec(ports, host_network, image),
            },
        },
    }


def deployment(ns: str, name: str, labels: Mapping[str, str] | None = None, **kw: Any) -> Obj:
    """A Deployment (reported as ``Deployment/<ns>/<name>``)."""
    return workload("Deployment", ns, name, labels, **kw)


def daemonset(ns: str, name: str, image: str, labels: Mapping[str, str] | None = None) -> Obj:
    """A DaemonSet running ``image``."""
    return workload("DaemonSet", ns, name, labels, image=image)


def policy(
    ns: str,
    name: str,
    selector: Obj | None = None,
    *,
    ingress: list[Obj] | None = None,
    egress: list[Obj] | None = None,
    types: list[str] | None = None,
) -> Obj:
    """A NetworkPolicy; ``selector`` None means ``podSelector: {}``; omitted lists stay absent."""
    spec: Obj = {"podSelector": selector if selector is not None else {}}
    if types is not None:
        spec["policyTypes"] = types
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def match(**labels: str) -> Obj:
    """``{matchLabels: {...}}``."""
    return {"matchLabels": dict(labels)}


def expr(key: str, operator: str, *values: str) -> Obj:
    """``{matchExpressions: [{key, operator, values}]}`` with one requirement."""
    requirement: Obj = {"key": key, "operator": operator}
    if values:
        requirement["values"] = list(values)
    return {"matchExpressions": [requirement]}


def ip_block(cidr: str, *excepted: str) -> Obj:
    """An ipBlock peer."""
    block: Obj = {"cidr": cidr}
    if excepted:
        block["except"] = list(excepted)
    return {"ipBlock": block}


def port(
    number: int | str | None = None, protocol: str | None = None, end: int | None = None
) -> Obj:
    """A NetworkPolicyPort entry."""
    entry: Obj = {}
    if protocol is not None:
        entry["protocol"] = protocol
    if number is not None:
        entry["port"] = number
    if end is not None:
        entry["endPort"] = end
    return entry


def dns_pods() -> list[Obj]:
    """The cluster DNS as NF012 recognises it: kube-system pods labelled k8s-app=kube-dns."""
    return [
        pod(
            "kube-system",
            "coredns-1",
            {"k8s-app": "kube-dns"},
            ports=[container_port(53, "dns", UDP), container_port(53, "dns-tcp", TCP)],
            ip="10.244.0.10",
        )
    ]


def api_server_objects(cluster_ip: str = "10.96.0.1", endpoint: str = "10.240.0.4") -> list[Obj]:
    """The ``default/kubernetes`` Service (port 443) and its Endpoints (port 6443)."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default"},
            "spec": {
                "clusterIP": cluster_ip,
                "ports": [{"name": "https", "port": 443, "protocol": TCP, "targetPort": 6443}],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": "kubernetes", "namespace": "default"},
            "subsets": [
                {
                    "addresses": [{"ip": endpoint}],
                    "ports": [{"name": "https", "port": 6443, "protocol": TCP}],
                }
            ],
        },
    ]


def manifests(*objects: Obj | list[Obj]) -> str:
    """Objects (or lists of them) as one multi-document YAML string."""
    flat: list[Obj] = []
    for item in objects:
        flat.extend(item if isinstance(item, list) else [item])
    return yaml.safe_dump_all(flat, sort_keys=False)


def cluster(*objects: Obj | list[Obj]) -> Cluster:
    """Load the objects the way a manifest file is loaded."""
    return load_cluster_from_text(manifests(*objects))


def audit(objects: Iterable[Obj | list[Obj]], check_id: str, **kw: Any) -> list[Finding]:
    """The findings of one check (``run_audit(select=[check_id])``) over the objects."""
    report = run_audit(cluster(*objects), select=[check_id], **kw)
    assert {info.check_id for info in report.checks} == {check_id}
    assert all(f.check.check_id == check_id for f in report.findings)
    return list(report.findings)


def concerned(finding: Finding) -> list[str]:
    """The keys a finding is about: the workloads a grouped finding affects, else its primary."""
    if finding.affected:
        return [r.key for r in finding.affected]
    return [finding.primary.key] if finding.primary is not None else []


def keys(findings: Iterable[Finding]) -> list[str]:
    """The keys the findings are about (see ``concerned``), in report order."""
    return [k for f in findings for k in concerned(f)]


def only(findings: list[Finding], key: str) -> Finding:
    """The single finding about ``key`` (its primary resource, or a workload it affects)."""
    hits = [f for f in findings if key in concerned(f)]
    assert len(hits) == 1, f"expected one finding for {key}, got {keys(findings)}"
    return hits[0]


def by_detail(findings: list[Finding], key: str) -> dict[str, Finding]:
    """Findings on resource ``key`` (or, grouped by cause, affecting it), by detail key (rule
    or peer path)."""
    return {
        f.detail_key: f for f in findings if key in {r.key for r in f.affected or f.resources[:1]}
    }


def service(
    ns: str,
    name: str,
    selector: Mapping[str, str],
    ports: Iterable[Obj],
    kind: str = "ClusterIP",
) -> Obj:
    """A Service of ``kind`` (ClusterIP, NodePort, LoadBalancer) over ``ports``."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"type": kind, "selector": dict(selector), "ports": list(ports)},
    }


def service_port(port: int, target: int | str | None = None, name: str | None = None) -> Obj:
    """A Service port entry (TCP)."""
    entry: Obj = {"port": port}
    if target is not None:
        entry["targetPort"] = target
    if name is not None:
        entry["name"] = name
    return entry


def ingress(ns: str, name: str, service_name: str, service_port: int | str) -> Obj:
    """An Ingress whose one path goes to ``service_name`` on ``service_port``."""
    port_ref = {"number": service_port} if isinstance(service_port, int) else {"name": service_port}
    backend = {"service": {"name": service_name, "port": port_ref}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
            ],
        },
    }

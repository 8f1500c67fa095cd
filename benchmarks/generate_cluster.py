"""Deterministic generator of realistic Kubernetes clusters for benchmarking.

Writes two files into the output directory:

* ``topology.yaml`` -- a ``kind: List`` holding Namespaces and Pods as ``kubectl get ... -o yaml``
  shows them (labels, ownerReferences to a ReplicaSet ``<deployment>-<pod-template-hash>``, named
  container ports, ``status.podIP``/``status.podIPs`` from the pod CIDR 10.244.0.0/16).
* ``policies.yaml`` -- a ``kind: List`` of ``networking.k8s.io/v1`` NetworkPolicies.

The cluster has the system namespaces ``kube-system`` (coredns), ``monitoring`` (prometheus,
grafana) and ``ingress-nginx`` (controller) plus labelled application namespaces with frontend,
backend, database, cache, queue, worker and telemetry workloads of 1-4 replicas each. The policy mix
covers default-deny ingress/egress, DNS egress to coredns, same- and cross-namespace allows on named
and numeric ports, port ranges (``endPort``), ``matchExpressions`` (In, NotIn, Exists,
DoesNotExist), ipBlocks with ``except`` (some of which contain pod IPs), UDP and SCTP, monitoring
scraping and a few policies that select no pod.

With ``--calico F`` and ``--admin F`` that share of the policies is written as Calico policies
(``projectcalico.org/v3`` NetworkPolicy and GlobalNetworkPolicy, with the Tiers ``security`` and
``platform``; a NetworkSet and a GlobalNetworkSet go into ``topology.yaml``) or as admin policies
(AdminNetworkPolicy, the BaselineAdminNetworkPolicy ``default``, and v1alpha2
ClusterNetworkPolicies). ``--calico-default-tier-only`` leaves out the Tiers (nca 2.1.0 cannot
read them). ``--ip-prefixes N`` adds partner allow-list rules with N ipBlock prefixes in all.

The same arguments always produce byte-identical files; without ``--calico``/``--admin`` the
output is what it was before those options existed.

Usage::

    python benchmarks/generate_cluster.py --pods 1000 --policies 400 --seed 1 --out DIR
    python benchmarks/generate_cluster.py --pods 1000 --policies 400 --calico 0.2 --admin 0.1 \
        --out DIR
    python benchmarks/generate_cluster.py --pods 1000 --policies 400 --ip-prefixes 50000 --out DIR
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import itertools
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

POD_CIDR = ipaddress.IPv4Network("10.244.0.0/16")
NODE_CIDR = ipaddress.IPv4Network("10.240.0.0/16")
PODS_PER_NODE = 110
# Kubernetes' rand.SafeEncodeString alphabet (used for pod-template-hash and pod name suffixes).
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
CREATION_TIMESTAMP = "2024-05-01T08:00:00Z"
PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]

Obj = dict[str, Any]


@dataclass(frozen=True)
class PortSpec:
    """A named container port."""

    name: str
    port: int
    protocol: str = "TCP"


@dataclass
class Workload:
    """A Deployment (materialised as a ReplicaSet and its pods)."""

    namespace: str
    name: str
    tier: str
    replicas: int
    labels: dict[str, str]
    ports: list[PortSpec]
    image: str
    template_hash: str = ""
    pods: list[str] = field(default_factory=list)


@dataclass
class Namespace:
    """A namespace with its labels and (for application namespaces) team and environment."""

    name: str
    labels: dict[str, str]
    team: str = ""
    env: str = ""
    system: bool = False
    ingress_denied: bool = False
    egress_denied: bool = False
    workloads: list[Workload] = field(default_factory=list)


TEAMS = [
    "payments",
    "retail",
    "search",
    "identity",
    "data",
    "media",
    "logistics",
    "analytics",
    "messaging",
    "billing",
    "catalog",
    "support",
]
ENVS = ["prod", "staging", "dev"]

# tier -> (candidate names, weight)
TIER_NAMES: dict[str, list[str]] = {
    "frontend": ["web", "storefront", "portal", "ui", "admin-ui", "mobile-bff"],
    "backend": [
        "api",
        "orders",
        "payments",
        "catalog",
        "users",
        "auth",
        "search",
        "inventory",
        "billing",
        "notifications",
        "checkout",
        "cart",
        "shipping",
        "recommendations",
        "reviews",
        "pricing",
    ],
    "db": ["postgres", "mysql", "mongodb"],
    "cache": ["redis", "memcached"],
    "queue": ["kafka", "rabbitmq"],
    "worker": ["worker", "scheduler", "indexer", "mailer", "exporter", "reconciler"],
    "telemetry": ["statsd", "sctp-gateway", "syslog-relay"],
}
TIER_WEIGHTS = {
    "frontend": 12,
    "backend": 45,
    "db": 8,
    "cache": 8,
    "queue": 5,
    "worker": 17,
    "telemetry": 5,
}
DB_PORTS = {
    "postgres": PortSpec("postgres", 5432),
    "mysql": PortSpec("mysql", 3306),
    "mongodb": PortSpec("mongodb", 27017),
}
CACHE_PORTS = {"redis": PortSpec("redis", 6379), "memcached": PortSpec("memcache", 11211)}
QUEUE_PORTS = {
    "kafka": [PortSpec("kafka", 9092), PortSpec("kafka-ssl", 9093)],
    "rabbitmq": [PortSpec("amqp", 5672), PortSpec("management", 15672)],
}
TELEMETRY_PORTS = {
    "statsd": [PortSpec("statsd", 8125, "UDP"), PortSpec("metrics", 9102)],
    "sctp-gateway": [PortSpec("ngap", 38412, "SCTP"), PortSpec("metrics", 9090)],
    "syslog-relay": [PortSpec("syslog", 514, "UDP"), PortSpec("syslog-tcp", 601)],
}
IMAGES = {
    "frontend": "registry.example.com/{ns}/{name}:1.{v}.0",
    "backend": "registry.example.com/{ns}/{name}:2.{v}.3",
    "db": "docker.io/library/{name}:16.{v}",
    "cache": "docker.io/library/{name}:7.{v}",
    "queue": "docker.io/bitnami/{name}:3.{v}",
    "worker": "registry.example.com/{ns}/{name}:0.{v}.1",
    "telemetry": "registry.example.com/platform/{name}:1.{v}",
}


def safe_string(rng: random.Random, length: int) -> str:
    """Return a random string over Kubernetes' safe alphabet."""
    return "".join(rng.choice(SAFE_ALPHABET) for _ in range(length))


def fake_uid(*parts: str) -> str:
    """Return a deterministic UUID-shaped identifier for the given parts."""
    digest = hashlib.sha1("/".join(parts).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def ns_sel(name: str) -> Obj:
    """namespaceSelector matching one namespace by its automatic name label."""
    return {"matchLabels": {"kubernetes.io/metadata.name": name}}


def port(p: int | str, protocol: str = "TCP", end: int | None = None) -> Obj:
    """A NetworkPolicyPort."""
    out: Obj = {"protocol": protocol, "port": p}
    if end is not None:
        out["endPort"] = end
    return out


class ClusterGenerator:
    """Builds namespaces, pods and policies from one seeded random generator."""

    def __init__(
        self,
        pods: int,
        policies: int,
        seed: int,
        calico: float = 0.0,
        admin: float = 0.0,
        calico_tiers: bool = True,
    ) -> None:
        if pods < 12:
            raise ValueError("--pods must be at least 12 (the system workloads need 9)")
        if policies < 1:
            raise ValueError("--policies must be at least 1")
        if not (0.0 <= calico <= 1.0 and 0.0 <= admin <= 1.0 and calico + admin < 1.0):
            raise ValueError("--calico and --admin are fractions whose sum is below 1")
        self.seed = seed
        self.n_calico = round(policies * calico)
        self.n_admin = round(policies * admin)
        self.calico_tiers = calico_tiers
        self.quarantined: set[tuple[str, str]] = set()
        self.n_pods = pods
        self.n_policies = policies
        self.rng = random.Random(seed)
        self.namespaces: list[Namespace] = []
        self.pods_left = pods
        self.policy_names: dict[str, set[str]] = {}

    # ------------------------------------------------------------------ topology

    def _add_workload(
        self,
        ns: Namespace,
        name: str,
        tier: str,
        replicas: int,
        labels: dict[str, str],
        ports: list[PortSpec],
        image: str,
    ) -> Workload:
        replicas = max(1, min(replicas, self.pods_left))
        self.pods_left -= replicas
        wl = Workload(ns.name, name, tier, replicas, labels, ports, image)
        ns.workloads.append(wl)
        return wl

    def _system_namespaces(self) -> None:
        kube_system = Namespace(
            "kube-system", {"kubernetes.io/metadata.name": "kube-system"}, system=True
        )
        monitoring = Namespace(
            "monitoring",
            {
                "kubernetes.io/metadata.name": "monitoring",
                "team": "platform",
                "purpose": "monitoring",
            },
            system=True,
        )
        ingress = Namespace(
            "ingress-nginx",
            {
                "kubernetes.io/metadata.name": "ingress-nginx",
                "app.kubernetes.io/name": "ingress-nginx",
                "team": "platform",
            },
            system=True,
        )
        self.namespaces += [kube_system, monitoring, ingress]
        self._add_workload(
            kube_system,
            "coredns",
            "dns",
            2,
            {"k8s-app": "kube-dns"},
            [PortSpec("dns", 53, "UDP"), PortSpec("dns-tcp", 53), PortSpec("metrics", 9153)],
            "registry.k8s.io/coredns/coredns:v1.11.1",
        )
        self._add_workload(
            kube_system,
            "metrics-server",
            "system",
            1,
            {"k8s-app": "metrics-server"},
            [PortSpec("https", 10250)],
            "registry.k8s.io/metrics-server/metrics-server:v0.7.1",
        )
        self._add_workload(
            monitoring,
            "prometheus",
            "monitoring",
            2,
            {"app.kubernetes.io/name": "prometheus", "app": "prometheus"},
            [PortSpec("web", 9090)],
            "quay.io/prometheus/prometheus:v2.52.0",
        )
        self._add_workload(
            monitoring,
            "grafana",
            "monitoring",
            1,
            {"app.kubernetes.io/name": "grafana", "app": "grafana"},
            [PortSpec("http", 3000)],
            "docker.io/grafana/grafana:10.4.2",
        )
        self._add_workload(
            ingress,
            "ingress-nginx-controller",
            "edge",
            2,
            {
                "app.kubernetes.io/name": "ingress-nginx",
                "app.kubernetes.io/component": "controller",
                "app.kubernetes.io/instance": "ingress-nginx",
            },
            [PortSpec("http", 80), PortSpec("https", 443), PortSpec("metrics", 10254)],
            "registry.k8s.io/ingress-nginx/controller:v1.10.1",
        )

    def _app_namespaces(self) -> list[Namespace]:
        count = max(2, round(self.pods_left / 25))
        apps: list[Namespace] = []
        for i in range(count):
            team = TEAMS[i % len(TEAMS)]
            env = ENVS[(i // len(TEAMS)) % len(ENVS)]
            rnd = i // (len(TEAMS) * len(ENVS))
            name = f"{team}-{env}" if rnd == 0 else f"{team}-{env}-{rnd + 1}"
            labels = {"kubernetes.io/metadata.name": name, "team": team, "env": env}
            if self.rng.random() < 0.3:
                labels["istio-injection"] = "enabled"
            if self.rng.random() < 0.15:
                labels["restricted"] = "true"
            if self.rng.random() < 0.5:
                labels["cost-center"] = f"cc-{self.rng.randint(100, 999)}"
            apps.append(Namespace(name, labels, team=team, env=env))
        self.namespaces += apps
        return apps

    def _app_workload(self, ns: Namespace, tier: str) -> None:
        used = {w.name for w in ns.workloads}
        base = self.rng.choice(TIER_NAMES[tier])
        name, k = base, 2
        while name in used:
            name, k = f"{base}-{k}", k + 1
        replicas = self.rng.randint(1, 4)
        if tier in ("db", "queue"):
            replicas = self.rng.choice([1, 1, 3])
        labels = {"app": name, "tier": tier}
        if self.rng.random() < 0.6:
            labels["version"] = self.rng.choice(["v1", "v1", "v2"])
        if self.rng.random() < 0.3:
            labels["app.kubernetes.io/part-of"] = ns.team
        if tier == "worker" and self.rng.random() < 0.3:
            labels["restricted"] = "true"
        ports: list[PortSpec]
        if tier == "frontend":
            ports = [
                PortSpec("http", self.rng.choice([8080, 8080, 3000])),
                PortSpec("metrics", 9090),
            ]
        elif tier == "backend":
            ports = [PortSpec("http", 8080), PortSpec("metrics", 9090)]
            if self.rng.random() < 0.5:
                ports.insert(1, PortSpec("grpc", 50051))
        elif tier == "db":
            ports = [DB_PORTS[base], PortSpec("metrics", 9187)]
        elif tier == "cache":
            ports = [CACHE_PORTS[base]]
        elif tier == "queue":
            ports = list(QUEUE_PORTS[base])
        elif tier == "worker":
            ports = [PortSpec("metrics", 9090)]
        else:
            ports = list(TELEMETRY_PORTS[base])
        image = IMAGES[tier].format(ns=ns.name, name=base, v=self.rng.randint(0, 9))
        self._add_workload(ns, name, tier, replicas, labels, ports, image)

    def build_topology(self) -> None:
        """Create all namespaces and workloads until exactly ``n_pods`` pods exist."""
        self._system_namespaces()
        apps = self._app_namespaces()
        # every application namespace gets a frontend and a backend first
        for tier in ("frontend", "backend"):
            for ns in apps:
                if self.pods_left > 0:
                    self._app_workload(ns, tier)
        # at least one telemetry workload (UDP/SCTP) in the cluster
        if self.pods_left > 0:
            self._app_workload(apps[0], "telemetry")
        tiers = list(TIER_WEIGHTS)
        weights = [TIER_WEIGHTS[t] for t in tiers]
        while self.pods_left > 0:
            ns = self.rng.choice(apps)
            self._app_workload(ns, self.rng.choices(tiers, weights)[0])
        self._assign_pods()

    def _assign_pods(self) -> None:
        n_nodes = max(3, -(-self.n_pods // PODS_PER_NODE) + 1)
        self.nodes = [
            f"aks-nodepool1-{31415926 + i // 100}-vmss{i % 100:06d}" for i in range(n_nodes)
        ]
        node_hosts = list(NODE_CIDR.hosts())
        self.node_ip = {n: str(node_hosts[3 + i]) for i, n in enumerate(self.nodes)}
        # each node owns one /24 of the pod CIDR, addresses .2-.254 handed out randomly
        self.node_free: dict[str, list[str]] = {}
        subnets = POD_CIDR.subnets(new_prefix=24)
        for node in self.nodes:
            hosts = [str(h) for h in list(next(subnets).hosts())[1:]]
            self.rng.shuffle(hosts)
            self.node_free[node] = hosts
        self.pod_rows: list[tuple[Workload, str, str, str]] = []
        for ns in self.namespaces:
            for wl in ns.workloads:
                wl.template_hash = safe_string(self.rng, self.rng.choice([9, 10]))
                for _ in range(wl.replicas):
                    pod_name = f"{wl.name}-{wl.template_hash}-{safe_string(self.rng, 5)}"
                    candidates = [n for n in self.nodes if len(self.node_free[n]) > 0]
                    node = self.rng.choice(candidates)
                    ip = self.node_free[node].pop()
                    wl.pods.append(pod_name)
                    self.pod_rows.append((wl, pod_name, node, ip))

    def topology_objects(self) -> list[Obj]:
        """Return the Namespace and Pod objects."""
        items: list[Obj] = [
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": ns.name,
                    "uid": fake_uid("ns", ns.name),
                    "creationTimestamp": CREATION_TIMESTAMP,
                    "labels": dict(ns.labels),
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }
            for ns in self.namespaces
        ]
        for wl, pod_name, node, ip in self.pod_rows:
            rs_name = f"{wl.name}-{wl.template_hash}"
            labels = dict(wl.labels)
            labels["pod-template-hash"] = wl.template_hash
            if (wl.namespace, wl.name) in self.quarantined:
                labels["quarantine"] = "true"
            container: Obj = {
                "name": wl.name if wl.tier not in ("dns", "edge") else wl.name.split("-")[-1],
                "image": wl.image,
                "imagePullPolicy": "IfNotPresent",
                "ports": [
                    {"name": p.name, "containerPort": p.port, "protocol": p.protocol}
                    for p in wl.ports
                ],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
            }
            items.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": pod_name,
                        "namespace": wl.namespace,
                        "uid": fake_uid("pod", wl.namespace, pod_name),
                        "creationTimestamp": CREATION_TIMESTAMP,
                        "generateName": f"{rs_name}-",
                        "labels": labels,
                        "ownerReferences": [
                            {
                                "apiVersion": "apps/v1",
                                "kind": "ReplicaSet",
                                "name": rs_name,
                                "uid": fake_uid("rs", wl.namespace, rs_name),
                                "controller": True,
                                "blockOwnerDeletion": True,
                            }
                        ],
                    },
                    "spec": {
                        "containers": [container],
                        "nodeName": node,
                        "restartPolicy": "Always",
                        "serviceAccountName": "default",
                    },
                    "status": {
                        "phase": "Running",
                        "hostIP": self.node_ip[node],
                        "podIP": ip,
                        "podIPs": [{"ip": ip}],
                        "startTime": CREATION_TIMESTAMP,
                    },
                }
            )
        return items

    # ------------------------------------------------------------------ policies

    def _policy(
        self,
        ns: str,
        name: str,
        pod_selector: Obj,
        ingress: list[Obj] | None = None,
        egress: list[Obj] | None = None,
        types: list[str] | None = None,
    ) -> Obj:
        used = self.policy_names.setdefault(ns, set())
        unique, k = name, 2
        while unique in used:
            unique, k = f"{name}-{k}", k + 1
        used.add(unique)
        if types is None:
            types = []
            if ingress is not None:
                types.append("Ingress")
            if egress is not None:
                types.append("Egress")
        spec: Obj = {"podSelector": pod_selector}
        if ingress is not None:
            spec["ingress"] = ingress
        if egress is not None:
            spec["egress"] = egress
        spec["policyTypes"] = types
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": unique, "namespace": ns},
            "spec": spec,
        }

    def _apps(self) -> list[Namespace]:
        return [n for n in self.namespaces if not n.system]

    def _workloads(self, tier: str | None = None) -> list[Workload]:
        return [w for n in self._apps() for w in n.workloads if tier is None or w.tier == tier]

    def _system_policies(self) -> list[Obj]:
        sel_nginx = {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}}
        return [
            self._policy(
                "kube-system",
                "allow-dns-from-cluster",
                {"matchLabels": {"k8s-app": "kube-dns"}},
                ingress=[
                    {
                        "from": [{"namespaceSelector": {}}],
                        "ports": [port(53, "UDP"), port(53, "TCP")],
                    },
                    {
                        "from": [{"namespaceSelector": ns_sel("monitoring")}],
                        "ports": [port("metrics")],
                    },
                ],
            ),
            self._policy(
                "ingress-nginx",
                "allow-external-http",
                {"matchLabels": {"app.kubernetes.io/component": "controller"}},
                ingress=[
                    {
                        "from": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}],
                        "ports": [port(80), port(443)],
                    },
                    {
                        "from": [
                            {
                                "namespaceSelector": ns_sel("monitoring"),
                                "podSelector": {
                                    "matchLabels": {"app.kubernetes.io/name": "prometheus"}
                                },
                            }
                        ],
                        "ports": [port("metrics")],
                    },
                ],
            ),
            self._policy(
                "ingress-nginx",
                "controller-egress",
                sel_nginx,
                egress=[
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {"key": "team", "operator": "Exists"},
                                        {
                                            "key": "restricted",
                                            "operator": "DoesNotExist",
                                        },
                                    ]
                                },
                                "podSelector": {"matchLabels": {"tier": "frontend"}},
                            }
                        ],
                        "ports": [port("http"), port(8000, "TCP", 8999)],
                    },
                    {
                        "to": [
                            {
                                "namespaceSelector": ns_sel("kube-system"),
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [port(53, "UDP"), port(53, "TCP")],
                    },
                ],
            ),
            self._policy(
                "monitoring",
                "prometheus-ingress",
                {},
                ingress=[
                    {
                        "from": [
                            {"podSelector": {}},
                            {"namespaceSelector": ns_sel("ingress-nginx")},
                        ],
                        "ports": [port(9090), port(3000)],
                    }
                ],
            ),
            self._policy(
                "monitoring",
                "default-deny-egress-grafana",
                {"matchLabels": {"app": "grafana"}},
                egress=[],
            ),
            self._policy("kube-system", "default-deny-ingress", {}, ingress=[]),
        ]

    def _namespace_policies(self) -> Iterator[Obj]:
        for ns in self._apps():
            r = self.rng.random()
            if r < 0.5:
                ns.ingress_denied = True
                yield self._policy(ns.name, "default-deny-ingress", {}, ingress=[])
            elif r < 0.8:
                ns.ingress_denied = ns.egress_denied = True
                yield self._policy(ns.name, "default-deny-all", {}, types=["Ingress", "Egress"])
            elif r < 0.9:
                ns.egress_denied = True
                yield self._policy(ns.name, "default-deny-egress", {}, egress=[])
            if ns.egress_denied or self.rng.random() < 0.2:
                dns_to = {
                    "namespaceSelector": ns_sel("kube-system"),
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                }
                named = self.rng.random() < 0.4
                ports = (
                    [port("dns", "UDP"), port("dns-tcp", "TCP")]
                    if named
                    else [port(53, "UDP"), port(53, "TCP")]
                )
                yield self._policy(
                    ns.name, "allow-dns-egress", {}, egress=[{"to": [dns_to], "ports": ports}]
                )
            if ns.egress_denied and self.rng.random() < 0.6:
                yield self._policy(
                    ns.name,
                    "allow-egress-same-namespace",
                    {},
                    egress=[{"to": [{"podSelector": {}}]}],
                )
            if ns.ingress_denied and self.rng.random() < 0.75:
                if self.rng.random() < 0.6:
                    peer: Obj = {
                        "namespaceSelector": ns_sel("monitoring"),
                        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
                    }
                else:
                    peer = {"namespaceSelector": {"matchLabels": {"purpose": "monitoring"}}}
                scrape_ports = (
                    [port("metrics")]
                    if self.rng.random() < 0.5
                    else [port(9090), port(9100, "TCP", 9200)]
                )
                yield self._policy(
                    ns.name,
                    "allow-prometheus-scrape",
                    {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
                    ingress=[{"from": [peer], "ports": scrape_ports}],
                )

    def _special_policies(self) -> list[Obj]:
        """Rare but important shapes that every size must contain."""
        out: list[Obj] = []
        apps = self._apps()
        # policies selecting no pod
        for i in range(max(1, self.n_policies // 60)):
            ns = apps[(i * 7) % len(apps)]
            if i % 2 == 0:
                sel: Obj = {"matchLabels": {"app": f"decommissioned-{i}"}}
            else:
                sel = {
                    "matchExpressions": [{"key": "tier", "operator": "In", "values": ["legacy"]}]
                }
            out.append(
                self._policy(
                    ns.name,
                    "legacy-allow-all",
                    sel,
                    ingress=[{}],
                    egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}],
                )
            )
        # ipBlocks that contain pod IPs (node-local health checks, corporate /8)
        backends = self._workloads("backend")
        wl = backends[len(backends) // 2]
        out.append(
            self._policy(
                wl.namespace,
                f"allow-{wl.name}-from-pod-cidr",
                {"matchLabels": {"app": wl.name}},
                ingress=[
                    {
                        "from": [
                            {"ipBlock": {"cidr": "10.244.0.0/16", "except": ["10.244.0.0/24"]}}
                        ],
                        "ports": [port("http")],
                    }
                ],
            )
        )
        workers = self._workloads("worker") or backends
        wl = workers[0]
        out.append(
            self._policy(
                wl.namespace,
                f"allow-{wl.name}-corp-egress",
                {"matchLabels": {"app": wl.name}},
                egress=[
                    {
                        "to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.96.0.0/12"]}}],
                        "ports": [port(443), port(8443)],
                    }
                ],
            )
        )
        # UDP / SCTP telemetry
        for wl in self._workloads("telemetry"):
            if wl.name.startswith("sctp"):
                ingress = [
                    {
                        "from": [{"namespaceSelector": {"matchLabels": {"env": "prod"}}}],
                        "ports": [port(38412, "SCTP")],
                    },
                    {"from": [{"podSelector": {}}], "ports": [port("metrics")]},
                ]
            elif wl.name.startswith("statsd"):
                ingress = [
                    {
                        "from": [{"namespaceSelector": {}, "podSelector": {}}],
                        "ports": [port("statsd", "UDP")],
                    }
                ]
            else:
                ingress = [
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {"key": "env", "operator": "NotIn", "values": ["dev"]}
                                    ]
                                }
                            }
                        ],
                        "ports": [port(514, "UDP"), port(601, "TCP")],
                    }
                ]
            out.append(
                self._policy(
                    wl.namespace, f"allow-{wl.name}", {"matchLabels": {"app": wl.name}}, ingress
                )
            )
        return out

    def _workload_policy_makers(self) -> list[Callable[[], Obj]]:
        """One or more policy factories per workload, in random order."""
        teams = sorted({n.team for n in self._apps()})
        makers = [
            self._maker(ns, wl, kind, teams)
            for ns in self._apps()
            for wl in ns.workloads
            for kind in self._kinds_for(wl)
        ]
        self.rng.shuffle(makers)
        return makers

    @staticmethod
    def _kinds_for(wl: Workload) -> list[str]:
        return {
            "frontend": ["ingress-from-controller", "egress-to-backends"],
            "backend": ["from-frontend", "cross-namespace", "egress-to-data"],
            "db": ["db-ingress"],
            "cache": ["cache-ingress"],
            "queue": ["queue-ingress"],
            "worker": ["egress-external", "egress-to-data"],
            "telemetry": [],
        }[wl.tier]

    def _maker(self, ns: Namespace, wl: Workload, kind: str, teams: list[str]) -> Callable[[], Obj]:
        def make() -> Obj:
            rng = self.rng
            sel = {"matchLabels": {"app": wl.name}}
            if kind == "ingress-from-controller":
                return self._policy(
                    ns.name,
                    f"allow-ingress-to-{wl.name}",
                    sel,
                    ingress=[
                        {
                            "from": [
                                {
                                    "namespaceSelector": ns_sel("ingress-nginx"),
                                    "podSelector": {
                                        "matchLabels": {"app.kubernetes.io/component": "controller"}
                                    },
                                }
                            ],
                            "ports": [port("http")],
                        }
                    ],
                )
            if kind == "egress-to-backends":
                return self._policy(
                    ns.name,
                    f"{wl.name}-egress-to-backends",
                    sel,
                    egress=[
                        {
                            "to": [{"podSelector": {"matchLabels": {"tier": "backend"}}}],
                            "ports": [port(8080), port(50051)],
                        }
                    ],
                )
            if kind == "from-frontend":
                frontends = [w for w in ns.workloads if w.tier == "frontend"]
                if frontends and rng.random() < 0.5:
                    peer: Obj = {
                        "podSelector": {"matchLabels": {"app": rng.choice(frontends).name}}
                    }
                else:
                    peer = {"podSelector": {"matchLabels": {"tier": "frontend"}}}
                ports = (
                    [port("http"), port("grpc")]
                    if rng.random() < 0.5
                    else [port(8080), port(50051)]
                )
                return self._policy(
                    ns.name,
                    f"allow-frontend-to-{wl.name}",
                    sel,
                    ingress=[{"from": [peer], "ports": ports}],
                )
            if kind == "cross-namespace":
                r = rng.random()
                if r < 0.4:
                    other = rng.choice(teams)
                    peer = {
                        "namespaceSelector": {"matchLabels": {"team": other}},
                        "podSelector": {"matchLabels": {"tier": "backend"}},
                    }
                elif r < 0.7:
                    peer = {
                        "namespaceSelector": {
                            "matchExpressions": [
                                {"key": "env", "operator": "In", "values": [ns.env, "staging"]}
                            ]
                        },
                        "podSelector": {
                            "matchExpressions": [
                                {
                                    "key": "tier",
                                    "operator": "In",
                                    "values": ["backend", "worker"],
                                },
                                {"key": "restricted", "operator": "DoesNotExist"},
                            ]
                        },
                    }
                else:
                    peer = {
                        "namespaceSelector": {
                            "matchExpressions": [
                                {"key": "team", "operator": "In", "values": rng.sample(teams, 2)},
                                {"key": "env", "operator": "NotIn", "values": ["dev"]},
                            ]
                        }
                    }
                ports = (
                    [port(8000, "TCP", 8100)]
                    if rng.random() < 0.5
                    else [port("http"), port(9000, "TCP", 9010)]
                )
                return self._policy(
                    ns.name,
                    f"allow-cross-ns-to-{wl.name}",
                    sel,
                    ingress=[{"from": [peer], "ports": ports}],
                )
            if kind == "egress-to-data":
                return self._policy(
                    ns.name,
                    f"{wl.name}-egress-to-data",
                    sel,
                    egress=[
                        {
                            "to": [
                                {
                                    "podSelector": {
                                        "matchExpressions": [
                                            {
                                                "key": "tier",
                                                "operator": "In",
                                                "values": ["db", "cache", "queue"],
                                            }
                                        ]
                                    }
                                }
                            ],
                            "ports": [
                                port(5432),
                                port(3306),
                                port(27017),
                                port(6379),
                                port(11211),
                                port(9092, "TCP", 9093),
                                port(5672),
                            ],
                        },
                        {
                            "to": [
                                {
                                    "namespaceSelector": {"matchLabels": {"team": ns.team}},
                                    "podSelector": {"matchLabels": {"tier": "backend"}},
                                }
                            ],
                            "ports": [port("http"), port("grpc")],
                        },
                    ],
                )
            if kind == "db-ingress":
                db_port = wl.ports[0]
                return self._policy(
                    ns.name,
                    f"allow-to-{wl.name}",
                    sel,
                    ingress=[
                        {
                            "from": [
                                {
                                    "podSelector": {
                                        "matchExpressions": [
                                            {
                                                "key": "tier",
                                                "operator": "In",
                                                "values": ["backend", "worker"],
                                            }
                                        ]
                                    }
                                }
                            ],
                            "ports": [port(db_port.port if rng.random() < 0.5 else db_port.name)],
                        }
                    ],
                )
            if kind == "cache-ingress":
                return self._policy(
                    ns.name,
                    f"allow-to-{wl.name}",
                    sel,
                    ingress=[
                        {
                            "from": [
                                {
                                    "podSelector": {
                                        "matchExpressions": [
                                            {
                                                "key": "app",
                                                "operator": "NotIn",
                                                "values": ["web", "ui"],
                                            }
                                        ]
                                    }
                                }
                            ],
                            "ports": [port(wl.ports[0].name)],
                        }
                    ],
                )
            if kind == "queue-ingress":
                return self._policy(
                    ns.name,
                    f"allow-to-{wl.name}",
                    sel,
                    ingress=[
                        {
                            "from": [
                                {
                                    "podSelector": {
                                        "matchExpressions": [{"key": "tier", "operator": "Exists"}]
                                    }
                                },
                                {
                                    "namespaceSelector": {
                                        "matchExpressions": [
                                            {"key": "team", "operator": "Exists"},
                                            {"key": "env", "operator": "In", "values": [ns.env]},
                                        ]
                                    },
                                    "podSelector": {"matchLabels": {"tier": "worker"}},
                                },
                            ],
                            "ports": [port(wl.ports[0].port, "TCP", wl.ports[0].port + 2)],
                        }
                    ],
                )
            # egress-external
            allowed_ext = rng.choice(
                [["0.0.0.0/0"], ["52.0.0.0/8", "20.33.0.0/16"], ["0.0.0.0/0", "140.82.112.0/20"]]
            )
            to = []
            for cidr in allowed_ext:
                block: Obj = {"cidr": cidr}
                if cidr == "0.0.0.0/0":
                    block["except"] = list(PRIVATE_RANGES)
                elif cidr == "52.0.0.0/8":
                    block["except"] = ["52.94.0.0/16"]
                to.append({"ipBlock": block})
            return self._policy(
                ns.name,
                f"{wl.name}-egress-external",
                sel,
                egress=[{"to": to, "ports": [port(443), port(80)]}],
            )

        return make

    def _filler(self, index: int) -> Obj:
        """Extra variants once every workload has its policies (only for very high ratios)."""
        wls = self._workloads()
        wl = wls[index % len(wls)]
        ns = next(n for n in self.namespaces if n.name == wl.namespace)
        lo = 10000 + (index % 50) * 10
        return self._policy(
            ns.name,
            f"allow-{wl.name}-extra",
            {"matchLabels": {"app": wl.name}},
            ingress=[
                {
                    "from": [
                        {
                            "podSelector": {
                                "matchLabels": {
                                    "tier": self.rng.choice(["frontend", "backend", "worker"])
                                }
                            }
                        }
                    ],
                    "ports": [port(lo, "TCP", lo + 5), port(lo, "UDP")],
                }
            ],
        )

    def build_all(self) -> tuple[list[Obj], list[Obj]]:
        """Policy objects (exactly ``n_policies`` policies, plus Calico Tiers) and extra
        topology objects (Calico NetworkSets)."""
        if not self.n_calico and not self.n_admin:
            return self.build_policies(), []
        requested = self.n_policies
        self.n_policies = max(1, requested - self.n_calico - self.n_admin)
        k8s = self.build_policies()
        self.n_policies = requested
        mixed = MixedPolicies(self, self.seed, self.calico_tiers)
        extra: list[Obj] = []
        objs: list[Obj] = []
        if self.n_calico:
            for i, wl in enumerate(self._workloads()):
                if i % QUARANTINE_EVERY == QUARANTINE_EVERY - 1:
                    self.quarantined.add((wl.namespace, wl.name))
            objs += mixed.tier_objects()
            extra = mixed.network_sets()
        admin = mixed.admin_policies(self.n_admin)
        calico = mixed.calico_policies(requested - len(k8s) - len(admin))
        return objs + calico + admin + k8s, extra

    def build_policies(self) -> list[Obj]:
        """Return exactly ``n_policies`` NetworkPolicies."""
        mandatory = self._system_policies() + self._special_policies()
        budget = self.n_policies - len(mandatory)
        if budget <= 0:
            return mandatory[: self.n_policies]
        # namespace-level policies take at most 40% of the remaining budget
        base = list(itertools.islice(self._namespace_policies(), max(1, (budget * 4) // 10)))
        policies = mandatory + base
        makers = self._workload_policy_makers()
        for make in makers:
            if len(policies) >= self.n_policies:
                break
            policies.append(make())
        i = 0
        while len(policies) < self.n_policies:
            policies.append(self._filler(i))
            i += 1
        return policies


# --------------------------------------------------------------------------- Calico and admin

CALICO_API = "projectcalico.org/v3"
ANP_API = "policy.networking.k8s.io/v1alpha1"
CNP_API = "policy.networking.k8s.io/v1alpha2"
METADATA_CIDR = "169.254.169.254/32"
QUARANTINE_EVERY = 23
"""With ``--calico``, the pods of every 23rd application workload carry ``quarantine: "true"``."""


def crule(action: str, protocol: str | None = None, **sides: Obj) -> Obj:
    """A Calico rule; ``sides`` holds ``source`` and/or ``destination``."""
    out: Obj = {"action": action}
    if protocol is not None:
        out["protocol"] = protocol
    for key in ("source", "destination"):
        if sides.get(key):
            out[key] = sides[key]
    return out


class MixedPolicies:
    """Calico and AdminNetworkPolicy objects for ``--calico`` and ``--admin``.

    Uses its own random generator, so the Kubernetes part stays what it would be for the
    remaining policy count.
    """

    def __init__(self, gen: ClusterGenerator, seed: int, tiers: bool) -> None:
        self.g = gen
        self.rng = random.Random(f"mixed-{seed}")
        self.tiers = tiers
        self.names: set[tuple[str, str, str]] = set()

    def _name(self, kind: str, ns: str, name: str) -> str:
        unique, k = name, 2
        while (kind, ns, unique) in self.names:
            unique, k = f"{name}-{k}", k + 1
        self.names.add((kind, ns, unique))
        return unique

    # ------------------------------------------------------------------ Calico

    def _calico(
        self,
        kind: str,
        name: str,
        spec: Obj,
        ns: str | None = None,
        tier: str | None = None,
    ) -> Obj:
        if tier is not None and self.tiers:
            name = f"{tier}.{name}"
            spec = {"tier": tier, **spec}
        meta: Obj = {"name": self._name(kind, ns or "", name)}
        if ns is not None:
            meta["namespace"] = ns
        return {"apiVersion": CALICO_API, "kind": kind, "metadata": meta, "spec": spec}

    def tier_objects(self) -> list[Obj]:
        """The Tier objects (none without tiers)."""
        if not self.tiers:
            return []
        return [
            {
                "apiVersion": CALICO_API,
                "kind": "Tier",
                "metadata": {"name": "security"},
                "spec": {"order": 100},
            },
            {
                "apiVersion": CALICO_API,
                "kind": "Tier",
                "metadata": {"name": "platform"},
                "spec": {"order": 200, "defaultAction": "Pass"},
            },
        ]

    def network_sets(self) -> list[Obj]:
        """One GlobalNetworkSet and one NetworkSet."""
        ns = self.g._apps()[0].name
        return [
            {
                "apiVersion": CALICO_API,
                "kind": "GlobalNetworkSet",
                "metadata": {"name": "partner-apis", "labels": {"role": "partner-api"}},
                "spec": {"nets": ["52.94.0.0/16", "140.82.112.0/20"]},
            },
            {
                "apiVersion": CALICO_API,
                "kind": "NetworkSet",
                "metadata": {"name": "corp-vpn", "namespace": ns, "labels": {"role": "corp-vpn"}},
                "spec": {"nets": ["10.8.0.0/16", "192.168.100.0/24"]},
            },
        ]

    def guardrails(self) -> list[Obj]:
        """GlobalNetworkPolicies of the security and platform tiers.

        The security tier ends with one catch-all Pass policy (order 1000): a Pass rule skips the
        rest of its tier, so a Pass inside an earlier guardrail would shadow the later ones.
        Without tiers there is no Pass policy (a Pass in the default tier would allow).
        """
        quarantined = "quarantine == 'true'"
        dns = {
            "namespaceSelector": "projectcalico.org/name == 'kube-system'",
            "selector": "k8s-app == 'kube-dns'",
        }
        pass_rest = (
            [
                self._calico(
                    "GlobalNetworkPolicy",
                    "pass-to-next-tier",
                    {
                        "order": 1000,
                        "selector": "all()",
                        "types": ["Ingress", "Egress"],
                        "ingress": [crule("Pass")],
                        "egress": [crule("Pass")],
                    },
                    tier="security",
                )
            ]
            if self.tiers
            else []
        )
        return pass_rest + [
            self._calico(
                "GlobalNetworkPolicy",
                "deny-cloud-metadata",
                {
                    "order": 10,
                    "selector": "all()",
                    "types": ["Egress"],
                    "egress": [crule("Deny", destination={"nets": [METADATA_CIDR]})],
                },
                tier="security",
            ),
            self._calico(
                "GlobalNetworkPolicy",
                "quarantine",
                {
                    "order": 20,
                    "selector": "all()",
                    "types": ["Ingress", "Egress"],
                    "ingress": [crule("Deny", source={"selector": quarantined})],
                    "egress": [crule("Deny", destination={"selector": quarantined})],
                },
                tier="security",
            ),
            self._calico(
                "GlobalNetworkPolicy",
                "block-dev-to-prod",
                {
                    "order": 30,
                    "namespaceSelector": "env == 'prod'",
                    "selector": "has(tier) && !has(quarantine)",
                    "types": ["Ingress"],
                    "ingress": [crule("Deny", source={"namespaceSelector": "env == 'dev'"})],
                },
                tier="security",
            ),
            self._calico(
                "GlobalNetworkPolicy",
                "allow-dns",
                {
                    "order": 100,
                    "selector": "has(app) || has(k8s-app)",
                    "types": ["Egress"],
                    "egress": [
                        crule("Allow", "UDP", destination={**dns, "ports": [53]}),
                        crule("Allow", "TCP", destination={**dns, "ports": ["dns-tcp"]}),
                    ],
                },
                tier="platform",
            ),
            self._calico(
                "GlobalNetworkPolicy",
                "allow-prometheus-scrape",
                {
                    "order": 200,
                    "selector": "has(tier)",
                    "types": ["Ingress"],
                    "ingress": [
                        crule(
                            "Allow",
                            "TCP",
                            source={
                                "namespaceSelector": "purpose == 'monitoring'",
                                "selector": "app == 'prometheus'",
                            },
                            destination={"ports": ["metrics", 9090, "9100:9200"]},
                        )
                    ],
                },
                tier="platform",
            ),
        ]

    def _workload_policy(self, ns: Namespace, wl: Workload, variant: int) -> Obj:
        rng = self.rng
        order = rng.choice([None, 500, 900, 1000, 1000, 1100])
        spec: Obj = {"selector": f"app == '{wl.name}'"}
        if order is not None:
            spec["order"] = order
        name = f"calico-{wl.name}"
        if wl.tier == "worker":
            name += "-egress"
            spec["types"] = ["Egress"]
            spec["egress"] = [
                crule(
                    "Allow",
                    "TCP",
                    destination={
                        "selector": "tier in {'db', 'cache', 'queue'} && !has(restricted)",
                        "ports": [5432, 6379, "9092:9093", "amqp"],
                    },
                ),
                crule(
                    "Allow",
                    "TCP",
                    destination={
                        "nets": ["0.0.0.0/0"],
                        "notNets": list(PRIVATE_RANGES),
                        "ports": [443, 80],
                    },
                ),
                crule(
                    "Allow",
                    "TCP",
                    destination={"selector": "role == 'partner-api'", "ports": [443]},
                ),
                crule(
                    "Allow",
                    "UDP",
                    destination={
                        "namespaceSelector": "projectcalico.org/name == 'kube-system'",
                        "selector": "k8s-app == 'kube-dns'",
                        "ports": [53],
                    },
                ),
            ]
        elif wl.tier in ("db", "cache", "queue"):
            spec["types"] = ["Ingress"]
            name += "-ingress"
            first = wl.ports[0]
            spec["ingress"] = [
                crule(
                    "Deny", "TCP", source={"namespaceSelector": "env == 'dev' && !has(restricted)"}
                ),
                crule(
                    "Allow",
                    "TCP",
                    source={"selector": "tier in {'backend', 'worker'} || app == 'api'"},
                    destination={"ports": [first.name if variant % 2 else first.port]},
                ),
                crule(
                    "Allow",
                    "TCP",
                    source={"selector": "has(tier)", "notSelector": "tier == 'frontend'"},
                    destination={"notPorts": ["1:1024", first.port]},
                ),
            ]
        elif wl.tier == "frontend":
            spec["types"] = ["Ingress"]
            name += "-ingress"
            spec["ingress"] = [
                crule(
                    "Allow",
                    "TCP",
                    source={
                        "namespaceSelector": "projectcalico.org/name == 'ingress-nginx'",
                        "selector": "app.kubernetes.io/component == 'controller'",
                    },
                    destination={"ports": ["http"]},
                ),
                crule(
                    "Allow",
                    "TCP",
                    source={"selector": "role == 'corp-vpn'"},
                    destination={"ports": ["http", "8000:8100"]},
                ),
            ]
            if variant % 3 == 0:
                # Pass in the default (last) tier: on to the profile, which allows
                spec["ingress"].insert(
                    0, crule("Pass", source={"namespaceSelector": "purpose == 'monitoring'"})
                )
        elif wl.tier == "telemetry":
            spec["types"] = ["Ingress"]
            name += "-ingress"
            spec["ingress"] = [
                crule(
                    "Allow",
                    "UDP",
                    source={"namespaceSelector": "env != 'dev'"},
                    destination={
                        "ports": [p.name for p in wl.ports if p.protocol == "UDP"] or [514]
                    },
                ),
                crule("Allow", "TCP", destination={"ports": ["metrics", "syslog-tcp", 601]}),
            ]
        else:  # backend
            spec["types"] = ["Ingress", "Egress"] if variant % 4 == 1 else ["Ingress"]
            name += "-ingress"
            spec["ingress"] = [
                crule(
                    "Allow",
                    "TCP",
                    source={
                        "selector": "tier == 'frontend' || (tier in {'backend', 'worker'}"
                        " && !has(restricted))"
                    },
                    destination={"ports": ["http", "8000:8100"]},
                ),
                crule(
                    "Allow",
                    "TCP",
                    source={
                        "namespaceSelector": "env in {'prod', 'staging'} && has(team)",
                        "selector": "tier == 'backend'",
                    },
                    destination={"ports": ["grpc", "9000:9010"]},
                ),
            ]
            if variant % 5 == 2:
                spec["ingress"].insert(
                    0,
                    crule(
                        "Deny",
                        "TCP",
                        source={"selector": "version == 'v1'"},
                        destination={"ports": ["grpc"]},
                    ),
                )
            if "Egress" in spec["types"]:
                spec["egress"] = [
                    crule(
                        "Allow",
                        "TCP",
                        destination={"selector": "tier in {'db', 'cache', 'queue', 'backend'}"},
                    ),
                    crule("Allow", "UDP", destination={"ports": [53, "statsd", 514]}),
                    crule("Deny", "TCP", destination={"nets": ["10.0.0.0/8"], "notPorts": [443]}),
                    crule("Allow", "TCP", destination={"notNets": ["10.0.0.0/8"]}),
                ]
        global_policy = variant % 7 == 3
        if global_policy:
            spec["namespaceSelector"] = f"projectcalico.org/name == '{ns.name}'"
            return self._calico("GlobalNetworkPolicy", f"{ns.name}-{name}", spec)
        return self._calico("NetworkPolicy", name, spec, ns=ns.name)

    def calico_policies(self, count: int) -> list[Obj]:
        """Exactly ``count`` Calico policies (guardrails first)."""
        out = self.guardrails()[:count]
        pairs = [(ns, wl) for ns in self.g._apps() for wl in ns.workloads]
        self.rng.shuffle(pairs)
        i = 0
        while len(out) < count:
            ns, wl = pairs[i % len(pairs)]
            out.append(self._workload_policy(ns, wl, i))
            i += 1
        return out

    # ------------------------------------------------------------------ admin

    def _admin(self, api: str, kind: str, name: str, spec: Obj) -> Obj:
        return {
            "apiVersion": api,
            "kind": kind,
            "metadata": {"name": self._name(kind, "", name)},
            "spec": spec,
        }

    def admin_policies(self, count: int) -> list[Obj]:
        """Exactly ``count`` admin policies: one BANP, then ANPs and ClusterNetworkPolicies."""
        if count <= 0:
            return []
        teams = sorted({n.team for n in self.g._apps()})
        dns_peer = {
            "pods": {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                },
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        }
        out = [
            self._admin(
                ANP_API,
                "BaselineAdminNetworkPolicy",
                "default",
                {
                    "subject": {"namespaces": {"matchLabels": {"env": "prod"}}},
                    "ingress": [
                        {
                            "name": "deny-from-dev",
                            "action": "Deny",
                            "from": [{"namespaces": {"matchLabels": {"env": "dev"}}}],
                        }
                    ],
                    "egress": [
                        {
                            "name": "allow-dns",
                            "action": "Allow",
                            "to": [dns_peer],
                            "ports": [{"portNumber": {"protocol": "UDP", "port": 53}}],
                        },
                        {
                            "name": "deny-metadata",
                            "action": "Deny",
                            "to": [{"networks": [METADATA_CIDR]}],
                        },
                    ],
                },
            )
        ]
        i = 0
        while len(out) < count:
            team = teams[i % len(teams)]
            team_ns = {"matchLabels": {"team": team}}
            if i % 4 == 3:
                tier = "Admin" if i % 8 == 3 else "Baseline"
                ingress: list[Obj] = [
                    {
                        "name": "accept-backends",
                        "action": "Accept",
                        "from": [
                            {
                                "pods": {
                                    "namespaceSelector": team_ns,
                                    "podSelector": {"matchLabels": {"tier": "backend"}},
                                }
                            }
                        ],
                        "protocols": [
                            {"tcp": {"destinationPort": {"number": 5432}}},
                            {"destinationNamedPort": "mysql"},
                            {"tcp": {"destinationPort": {"range": {"start": 6379, "end": 6380}}}},
                        ],
                    },
                    {"name": "deny-others", "action": "Deny", "from": [{"namespaces": {}}]},
                ]
                out.append(
                    self._admin(
                        CNP_API,
                        "ClusterNetworkPolicy",
                        f"{tier.lower()}-protect-{team}-data",
                        {
                            "tier": tier,
                            "priority": i % 1000,
                            "subject": {
                                "pods": {
                                    "namespaceSelector": team_ns,
                                    "podSelector": {
                                        "matchExpressions": [
                                            {
                                                "key": "tier",
                                                "operator": "In",
                                                "values": ["db", "cache"],
                                            }
                                        ]
                                    },
                                }
                            },
                            "ingress": ingress,
                        },
                    )
                )
            elif i % 4 == 0:
                out.append(
                    self._admin(
                        ANP_API,
                        "AdminNetworkPolicy",
                        f"allow-monitoring-{team}",
                        {
                            "priority": i % 1000,
                            "subject": {"namespaces": team_ns},
                            "ingress": [
                                {
                                    "name": "scrape",
                                    "action": "Allow",
                                    "from": [
                                        {"namespaces": {"matchLabels": {"purpose": "monitoring"}}}
                                    ],
                                    "ports": [
                                        {"namedPort": "metrics"},
                                        {
                                            "portRange": {
                                                "protocol": "TCP",
                                                "start": 9100,
                                                "end": 9200,
                                            }
                                        },
                                    ],
                                }
                            ],
                        },
                    )
                )
            elif i % 4 == 1:
                out.append(
                    self._admin(
                        ANP_API,
                        "AdminNetworkPolicy",
                        f"restricted-{team}",
                        {
                            "priority": i % 1000,
                            "subject": {
                                "pods": {
                                    "namespaceSelector": {
                                        "matchExpressions": [
                                            {"key": "restricted", "operator": "Exists"},
                                            {"key": "team", "operator": "In", "values": [team]},
                                        ]
                                    },
                                    "podSelector": {},
                                }
                            },
                            "ingress": [
                                {
                                    "name": "same-team",
                                    "action": "Pass",
                                    "from": [{"namespaces": team_ns}],
                                },
                                {
                                    "name": "others",
                                    "action": "Deny",
                                    "from": [{"namespaces": {}}],
                                },
                            ],
                        },
                    )
                )
            else:
                out.append(
                    self._admin(
                        ANP_API,
                        "AdminNetworkPolicy",
                        f"dev-egress-{team}",
                        {
                            "priority": i % 1000,
                            "subject": {
                                "namespaces": {"matchLabels": {"team": team, "env": "dev"}}
                            },
                            "egress": [
                                {
                                    "name": "dns",
                                    "action": "Allow",
                                    "to": [dns_peer],
                                    "ports": [
                                        {"portNumber": {"protocol": "UDP", "port": 53}},
                                        {"namedPort": "dns-tcp"},
                                    ],
                                },
                                {
                                    "name": "metadata",
                                    "action": "Deny",
                                    "to": [{"networks": [METADATA_CIDR]}],
                                },
                                {
                                    "name": "no-prod",
                                    "action": "Deny",
                                    "to": [{"namespaces": {"matchLabels": {"env": "prod"}}}],
                                    "ports": [
                                        {
                                            "portRange": {
                                                "protocol": "TCP",
                                                "start": 1,
                                                "end": 32767,
                                            }
                                        }
                                    ],
                                },
                                {
                                    "name": "rest",
                                    "action": "Pass",
                                    "to": [{"namespaces": {}}],
                                },
                            ],
                        },
                    )
                )
            i += 1
        return out


# --------------------------------------------------------------------------- many ipBlocks

PREFIXES_PER_RULE = 500
"""With ``--ip-prefixes N``, each allow-list rule holds this many ipBlock peers (the last fewer)."""


def _public_prefix(rng: random.Random) -> str:
    """A random public prefix: IPv4 /16../30 (mostly /24) or, one time in ten, IPv6 /48../64."""
    if rng.random() < 0.1:
        length = rng.choice([48, 56, 64])
        value = (0x2600 << 112) | (rng.getrandbits(length - 16) << (128 - length))
        return str(ipaddress.IPv6Network((value, length)))
    length = rng.choice([16, 20, 22, 24, 24, 24, 24, 26, 28, 30])
    while True:
        value = rng.getrandbits(32) & ~((1 << (32 - length)) - 1)
        net = ipaddress.IPv4Network((value, length))
        if net.is_global and not net.is_multicast:
            return str(net)


def add_ip_prefixes(policies: list[Obj], count: int, seed: int) -> None:
    """Add partner allow-list rules holding ``count`` ipBlock prefixes in all, in place.

    Rules of ``PREFIXES_PER_RULE`` random public prefixes (about one in eight with an
    ``except`` of its first quarter; prefixes may overlap or repeat) go in turn to the
    NetworkPolicies that already have ingress or egress rules, alternating ingress and egress
    rules, on TCP 443. The prefixes come from their own random generator, so the rest of the
    cluster is what it is without the option.
    """
    rng = random.Random(f"ip-prefixes-{seed}")
    hosts = [
        p
        for p in policies
        if p.get("kind") == "NetworkPolicy"
        and p.get("apiVersion") == "networking.k8s.io/v1"
        and (p["spec"].get("ingress") or p["spec"].get("egress"))
    ]
    if not hosts:
        raise ValueError("--ip-prefixes needs a NetworkPolicy with ingress or egress rules")
    made = 0
    rule_index = 0
    while made < count:
        policy = hosts[rule_index % len(hosts)]
        spec = policy["spec"]
        ingress = bool(spec.get("ingress")) and (rule_index % 2 == 0 or not spec.get("egress"))
        peers: list[Obj] = []
        for _ in range(min(PREFIXES_PER_RULE, count - made)):
            cidr = _public_prefix(rng)
            block: Obj = {"cidr": cidr}
            net = ipaddress.ip_network(cidr)
            if rng.random() < 0.125 and net.prefixlen <= net.max_prefixlen - 2:
                block["except"] = [str(next(net.subnets(prefixlen_diff=2)))]
            peers.append({"ipBlock": block})
        made += len(peers)
        rule: Obj = {"from" if ingress else "to": peers, "ports": [port(443)]}
        spec["ingress" if ingress else "egress"].append(rule)
        rule_index += 1


def dump_list(items: list[Obj], path: Path) -> None:
    """Write a ``kind: List`` document."""
    doc = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}
    with path.open("w", encoding="utf-8") as f:
        yaml.dump(
            doc,
            f,
            Dumper=yaml.CSafeDumper if hasattr(yaml, "CSafeDumper") else yaml.SafeDumper,
            sort_keys=False,
            default_flow_style=False,
            width=1000,
        )


def generate(
    pods: int,
    policies: int,
    seed: int,
    out: Path,
    calico: float = 0.0,
    admin: float = 0.0,
    calico_tiers: bool = True,
    ip_prefixes: int = 0,
) -> tuple[Path, Path]:
    """Generate a cluster into ``out``; return the topology and policies paths.

    With ``calico``/``admin``, that share of the policies is Calico (NetworkPolicy,
    GlobalNetworkPolicy) or admin (AdminNetworkPolicy, BaselineAdminNetworkPolicy,
    ClusterNetworkPolicy); Calico Tiers go into ``policies.yaml`` and the NetworkSets into
    ``topology.yaml``. ``calico_tiers=False`` puts every Calico policy in the default tier.
    ``ip_prefixes=N`` adds allow-list rules with N ipBlock prefixes in all (see
    ``add_ip_prefixes``).
    """
    gen = ClusterGenerator(pods, policies, seed, calico, admin, calico_tiers)
    gen.build_topology()
    policy_objs, extra = gen.build_all()
    if ip_prefixes:
        add_ip_prefixes(policy_objs, ip_prefixes, seed)
    out.mkdir(parents=True, exist_ok=True)
    topo_path = out / "topology.yaml"
    pol_path = out / "policies.yaml"
    dump_list(gen.topology_objects() + extra, topo_path)
    dump_list(policy_objs, pol_path)
    return topo_path, pol_path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, required=True, help="number of pods")
    parser.add_argument(
        "--policies", type=int, required=True, help="number of policies, all kinds together"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--calico",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="share of the policies written as Calico policies (default 0)",
    )
    parser.add_argument(
        "--admin",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="share written as Admin/BaselineAdmin/ClusterNetworkPolicies (default 0)",
    )
    parser.add_argument(
        "--calico-default-tier-only",
        action="store_true",
        help="no Tier objects: every Calico policy in the default tier (nca reads no tiers)",
    )
    parser.add_argument(
        "--ip-prefixes",
        type=int,
        default=0,
        metavar="N",
        help="add allow-list rules with N ipBlock prefixes in all (default 0)",
    )
    args = parser.parse_args(argv)
    try:
        topo, pol = generate(
            args.pods,
            args.policies,
            args.seed,
            args.out,
            args.calico,
            args.admin,
            not args.calico_default_tier_only,
            args.ip_prefixes,
        )
    except ValueError as exc:
        parser.error(str(exc))
    print(f"wrote {topo} and {pol}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

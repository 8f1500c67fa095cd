"""``netfence scan examples/shop``: the second bundled example and what each check finds in it.

The example is a web shop (frontend, cart, catalog, payments, PostgreSQL) published by an
ingress-nginx controller through a LoadBalancer Service and an Ingress, with CoreDNS and
Calico in kube-system and Prometheus in monitoring. Its policies are mostly sound; the
mistakes it carries, and what they must raise:

- ``payments`` has ``ingress: [{}]``: NF006 (allow all) and NF008 at high (the Internet
  reaches a workload nothing fronts);
- ``ingress-nginx`` has no egress policy: NF003 for the controller, NF005 for the namespace,
  and NF010 (it may reach the cloud metadata service);
- the ``catalog`` policy names port ``htpp``: NF019.

And the context it shows: the controller's exposure on 80 and 443 is expected (NF008 at info,
naming its LoadBalancer Service and the Ingress it serves); calico-node, a node agent, uses the host network
(NF015 at info, and its other findings at info too, all advising the host, not a NetworkPolicy); Calico's DaemonSet is in
kube-system, so no NF020; the templates have no pod IPs, so the rules whose ipBlocks reach
into private space are listed (NF030).
"""

from __future__ import annotations

import json
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"

EXPECTED = {
    ("NF001", "Namespace/kube-system", "medium"),
    ("NF002", "DaemonSet/kube-system/calico-node", "info"),
    ("NF002", "Deployment/kube-system/coredns", "medium"),
    ("NF003", "DaemonSet/kube-system/calico-node", "info"),
    ("NF003", "Deployment/ingress-nginx/ingress-nginx-controller", "medium"),
    ("NF003", "Deployment/kube-system/coredns", "medium"),
    ("NF004", "Namespace/ingress-nginx", "low"),
    ("NF004", "Namespace/kube-system", "low"),
    ("NF004", "Namespace/monitoring", "low"),
    ("NF005", "Namespace/ingress-nginx", "low"),
    ("NF005", "Namespace/kube-system", "low"),
    ("NF005", "Namespace/monitoring", "low"),
    ("NF006", "NetworkPolicy/shop/payments", "high"),
    ("NF008", "Deployment/ingress-nginx/ingress-nginx-controller", "info"),
    ("NF008", "Deployment/shop/payments", "high"),
    ("NF009", "Deployment/shop/payments", "medium"),
    ("NF010", "DaemonSet/kube-system/calico-node", "info"),
    ("NF010", "Deployment/ingress-nginx/ingress-nginx-controller", "high"),
    ("NF010", "Deployment/kube-system/coredns", "high"),
    ("NF010", "Deployment/shop/payments", "high"),
    ("NF014", "NetworkPolicy/monitoring/prometheus", "medium"),
    ("NF015", "DaemonSet/kube-system/calico-node", "info"),
    ("NF019", "NetworkPolicy/shop/catalog", "medium"),
    ("NF023", "Cluster/cluster", "medium"),
    ("NF030", "NetworkPolicy/ingress-nginx/ingress-nginx-controller", "info"),
    ("NF030", "NetworkPolicy/shop/payments", "info"),
}


def _key(resource: dict) -> str:
    return "/".join(p for p in (resource["kind"], resource.get("namespace"), resource["name"]) if p)


def _scan(cli) -> list[dict]:
    result = cli("scan", EXAMPLE, "-o", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)["findings"]


def test_every_check_fires_where_the_example_says(cli):
    """Each expected (check, resource, severity) is found, and nothing else: a finding
    grouped by cause counts once for each workload it affects."""
    found = {
        (f["check_id"], _key(subject), f["severity"])
        for f in _scan(cli)
        for subject in (f["affected"] or f["resources"][:1])
    }
    assert found == EXPECTED


def test_the_controller_is_an_expected_front_door(cli):
    """NF008 at info for ingress-nginx on TCP 80 and 443, naming the LoadBalancer Service and
    the Ingress; its advice is not to "admit only the ingress controller"."""
    (finding,) = [
        f
        for f in _scan(cli)
        if f["check_id"] == "NF008" and f["resources"][0]["namespace"] == "ingress-nginx"
    ]
    assert finding["evidence"]["ports"] == "TCP 80,443"
    assert "Service/ingress-nginx/ingress-nginx-controller (LoadBalancer)" in finding["message"]
    assert "Ingress/shop/shop" in finding["message"]
    assert "admit only the" not in finding["remediation"].lower()


def test_host_network_findings_advise_the_host(cli):
    """Every finding about calico-node (hostNetwork) advises the node firewall or a Calico
    HostEndpoint, and carries no generated NetworkPolicy."""
    about = [
        f
        for f in _scan(cli)
        if "DaemonSet/kube-system/calico-node"
        in {_key(r) for r in f["affected"] or f["resources"][:1]}
    ]
    assert {f["check_id"] for f in about} == {"NF002", "NF003", "NF010", "NF015"}
    assert all("HostEndpoint" in f["remediation"] and f["fix"] is None for f in about)


def test_the_mistyped_port_leaves_the_catalog_unreachable(cli):
    """NF019 names 'htpp'; explain shows the ingress controller denied at the catalog."""
    (finding,) = [f for f in _scan(cli) if f["check_id"] == "NF019"]
    assert "'htpp'" in finding["message"]
    result = cli(
        "explain",
        "ingress-nginx/ingress-nginx-controller",
        "shop/catalog",
        EXAMPLE,
        "--port",
        "http/TCP",
    )
    assert result.code == 0
    assert ": DENIED" in result.out.splitlines()[0]

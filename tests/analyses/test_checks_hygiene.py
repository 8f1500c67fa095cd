"""NF015-NF020: pods outside NetworkPolicy, policies and peers that match nothing, CNI."""

from __future__ import annotations

from typing import Any

from netfence.analyses.audit import run_audit
from netfence.model.findings import Finding, Severity

from .builders import (
    TCP,
    UDP,
    audit,
    by_detail,
    cluster,
    container_port,
    daemonset,
    deployment,
    ip_block,
    keys,
    match,
    namespace,
    only,
    pod,
    policy,
    port,
    workload,
)

POLICY = "NetworkPolicy/shop/p"

# NF015 / NF016 -------------------------------------------------------------------------------


def test_nf015_host_network_workload() -> None:
    """NF015, NSA/CISA Kubernetes Hardening Guide "Pod security" and Pod Security Standards
    (Baseline, "Host Namespaces"): hostNetwork pods are outside NetworkPolicy's reach."""
    findings = audit(
        [deployment("shop", "agent", host_network=True), deployment("shop", "web")], "NF015"
    )
    assert keys(findings) == ["Deployment/shop/agent"]
    finding = only(findings, "Deployment/shop/agent")
    assert finding.effective_severity is Severity.HIGH
    assert finding.evidence == {"pods": ["shop/agent"], "count": 1}


def test_nf015_bare_pod_on_host_network_but_not_its_neighbour() -> None:
    """NF015, Pod Security Standards (Baseline, "Host Namespaces": spec.hostNetwork)."""
    findings = audit([pod("shop", "sniffer", host_network=True), pod("shop", "web")], "NF015")
    assert keys(findings) == ["Pod/shop/sniffer"]
    assert "Pod/shop/web" not in keys(findings)


def test_nf016_host_port() -> None:
    """NF016, NSA/CISA "Pod security" and Pod Security Standards (Baseline, "Host Ports")."""
    findings = audit(
        [
            deployment("shop", "edge", ports=[container_port(8443, "https", host_port=443)]),
            deployment("shop", "web", ports=[container_port(8080, "http")]),
        ],
        "NF016",
    )
    assert keys(findings) == ["Deployment/shop/edge"]
    finding = only(findings, "Deployment/shop/edge")
    assert finding.effective_severity is Severity.MEDIUM
    assert finding.evidence == {"host_ports": ["443/TCP"]}


def test_nf016_does_not_fire_for_container_ports_only() -> None:
    """NF016, Pod Security Standards (Baseline, "Host Ports"): containerPort alone is fine."""
    findings = audit([deployment("shop", "web", ports=[container_port(8080, "http")])], "NF016")
    assert findings == []


# NF017 ---------------------------------------------------------------------------------------


def test_nf017_policy_with_label_typo_selects_nothing() -> None:
    """NF017, API reference NetworkPolicySpec.podSelector: app=fronted matches no pod."""
    findings = audit(
        [
            deployment("shop", "frontend"),
            policy("shop", "typo", match(app="fronted")),
            policy("shop", "ok", match(app="frontend")),
        ],
        "NF017",
    )
    assert keys(findings) == ["NetworkPolicy/shop/typo"]
    finding = only(findings, "NetworkPolicy/shop/typo")
    assert finding.effective_severity is Severity.LOW
    assert finding.evidence == {
        "policy": "NetworkPolicy/shop/typo",
        "podSelector": "app=fronted",
        "selector": "app=fronted",
        "field": "spec.podSelector",
    }


def test_nf017_matching_labels_in_another_namespace_do_not_count() -> None:
    """NF017, API reference NetworkPolicySpec.podSelector (this namespace only): a matching pod
    elsewhere leaves the policy selecting nothing."""
    findings = audit(
        [pod("other", "frontend"), namespace("shop"), policy("shop", "p", match(app="frontend"))],
        "NF017",
    )
    assert keys(findings) == [POLICY]


def test_nf017_does_not_fire_for_a_policy_that_selects_a_pod() -> None:
    """NF017, API reference LabelSelector (matchLabels)."""
    findings = audit(
        [deployment("shop", "frontend"), policy("shop", "p", match(app="frontend"))], "NF017"
    )
    assert POLICY not in keys(findings)


# NF018 ---------------------------------------------------------------------------------------


def test_nf018_peer_with_typo_matches_nothing() -> None:
    """NF018, API reference NetworkPolicyPeer: podSelector app=backnd matches no pod; the other
    peers (a matching selector, an ipBlock) are not reported."""
    findings = audit(
        [
            deployment("shop", "frontend"),
            deployment("shop", "backend"),
            policy(
                "shop",
                "p",
                match(app="frontend"),
                ingress=[
                    {
                        "from": [
                            {"podSelector": match(app="backnd")},
                            {"podSelector": match(app="backend")},
                            ip_block("10.0.0.0/8"),
                        ]
                    }
                ],
            ),
        ],
        "NF018",
    )
    found = by_detail(findings, POLICY)
    assert found.keys() == {"spec.ingress[0].from[0]"}
    finding = found["spec.ingress[0].from[0]"]
    assert finding.effective_severity is Severity.LOW
    assert finding.evidence == {
        "policy": "NetworkPolicy/shop/p",
        "peer": "spec.ingress[0].from[0]",
        "namespaceSelector": None,
        "podSelector": "app=backnd",
    }


def test_nf018_pod_selector_alone_is_local_to_the_policy_namespace() -> None:
    """NF018, API reference NetworkPolicyPeer ("podSelector ... in the policy's namespace"):
    app=backend exists only in namespace other, so the local peer matches nothing, while the
    peer naming namespace other matches it."""
    local = {"podSelector": match(app="backend")}
    remote = {
        "namespaceSelector": match(**{"kubernetes.io/metadata.name": "other"}),
        "podSelector": match(app="backend"),
    }
    findings = audit(
        [
            deployment("shop", "frontend"),
            pod("other", "backend"),
            policy("shop", "p", match(app="frontend"), egress=[{"to": [local, remote]}]),
        ],
        "NF018",
    )
    assert by_detail(findings, POLICY).keys() == {"spec.egress[0].to[0]"}


# NF019 ---------------------------------------------------------------------------------------


def _db(*rules: dict[str, Any], egress: bool = False) -> list[Any]:
    """shop/db declaring postgres/TCP and metrics/UDP, with shop/p's rules towards it."""
    db = deployment(
        "shop",
        "db",
        ports=[container_port(5432, "postgres", TCP), container_port(9187, "metrics", UDP)],
    )
    if egress:
        return [
            db,
            deployment("shop", "api"),
            policy("shop", "p", match(app="api"), egress=list(rules)),
        ]
    return [db, policy("shop", "p", match(app="db"), ingress=list(rules))]


def test_nf019_named_port_the_destination_does_not_declare() -> None:
    """NF019, API reference NetworkPolicyPort.port ("a named port on a pod"): the pod declares
    postgres, the rule names postgresql, so the rule allows nothing."""
    findings = audit(_db({"ports": [port("postgresql")]}), "NF019")
    finding = by_detail(findings, POLICY)["spec.ingress[0].ports[0]"]
    assert finding.effective_severity is Severity.MEDIUM
    assert finding.evidence == {
        "policy": "NetworkPolicy/shop/p",
        "port": "postgresql/TCP",
        "destinations": 1,
    }


def test_nf019_named_port_with_the_other_protocol() -> None:
    """NF019, API reference NetworkPolicyPort.protocol (default TCP): a name declared only for
    UDP does not resolve for TCP, nor a TCP name for UDP."""
    findings = audit(_db({"ports": [port("metrics")]}, {"ports": [port("postgres", UDP)]}), "NF019")
    found = by_detail(findings, POLICY)
    assert found.keys() == {"spec.ingress[0].ports[0]", "spec.ingress[1].ports[0]"}
    assert found["spec.ingress[0].ports[0]"].evidence["port"] == "metrics/TCP"
    assert found["spec.ingress[1].ports[0]"].evidence["port"] == "postgres/UDP"


def test_nf019_does_not_fire_for_matching_name_and_protocol() -> None:
    """NF019, API reference NetworkPolicyPort: postgres/TCP and metrics/UDP resolve on db."""
    findings = audit(_db({"ports": [port("postgres"), port("metrics", UDP)]}), "NF019")
    assert POLICY not in keys(findings)


def test_nf019_egress_named_port_resolves_on_the_peer() -> None:
    """NF019, docs/semantics.md "Ports": in an egress rule the named port resolves on the
    destination, the peer pod (db), not on the selected pod (api)."""
    to_db = {"to": [{"podSelector": match(app="db")}]}
    findings = audit(
        _db({**to_db, "ports": [port("postgresql"), port("postgres")]}, egress=True), "NF019"
    )
    assert by_detail(findings, POLICY).keys() == {"spec.egress[0].ports[0]"}


def test_nf019_named_port_towards_external_addresses_allows_nothing() -> None:
    """NF019, docs/semantics.md "Ports" ("a named port never matches an external address";
    API reference NetworkPolicyPort.port names a port on a pod): egress to 0.0.0.0/0 on port
    https allows nothing, which is exactly the blocked traffic NF019 exists to report.

    BUG: named_port_unresolved skips rules whose destinations include no pod (``targets``
    empty), so an ipBlock-only egress rule with a named port is reported by no check.
    """
    findings = audit(
        [
            deployment("shop", "api"),
            policy(
                "shop",
                "p",
                match(app="api"),
                egress=[{"to": [ip_block("0.0.0.0/0")], "ports": [port("https")]}],
            ),
        ],
        "NF019",
    )
    assert by_detail(findings, POLICY).keys() == {"spec.egress[0].ports[0]"}


# NF020 ---------------------------------------------------------------------------------------


def test_nf020_fires_when_only_a_non_enforcing_cni_runs() -> None:
    """NF020, CIS 5.3.1 "Ensure that the CNI in use supports Network Policies": flannel alone
    does not enforce NetworkPolicy."""
    findings = audit(
        [daemonset("kube-system", "kube-flannel-ds", "docker.io/flannel/flannel:v0.25.1")],
        "NF020",
    )
    finding = only(findings, "Cluster/cluster")
    assert finding.effective_severity is Severity.HIGH
    assert finding.evidence["daemonsets"] == ["kube-system/kube-flannel-ds"]
    assert "calico" in finding.evidence["known_engines"]


def test_nf020_does_not_fire_with_calico_node() -> None:
    """NF020, CIS 5.3.1: calico-node enforces NetworkPolicy (AKS enabled by Azure Arc)."""
    findings = audit(
        [
            daemonset("kube-system", "kube-flannel-ds", "docker.io/flannel/flannel:v0.25.1"),
            daemonset("calico-system", "calico-node", "docker.io/calico/node:v3.27.0"),
        ],
        "NF020",
    )
    assert findings == []


def test_nf020_recognises_an_engine_by_image() -> None:
    """NF020, CIS 5.3.1: a renamed DaemonSet is still recognised by its image."""
    findings = audit(
        [daemonset("kube-system", "netpol", "mcr.microsoft.com/containernetworking/azure-npm:v1")],
        "NF020",
    )
    assert findings == []


def test_nf020_is_silent_on_application_manifests() -> None:
    """NF020: manifests of an application alone (no kube-system, no Node) say nothing about
    the cluster's network plugin, so no finding."""
    assert audit([deployment("shop", "web"), policy("shop", "p")], "NF020") == []


def test_nf020_fires_once_a_node_shows_the_cluster() -> None:
    """NF020, CIS 5.3.1: Node objects show a cluster; with no engine in it, the finding."""
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}}
    assert keys(audit([deployment("shop", "web"), node], "NF020")) == ["Cluster/cluster"]


def test_nf020_calico_or_admin_resources_are_evidence_of_an_engine() -> None:
    """NF020: projectcalico.org resources, and AdminNetworkPolicy resources, are served only
    where an engine runs."""
    cluster_shown = namespace("kube-system")
    calico = {
        "apiVersion": "projectcalico.org/v3",
        "kind": "GlobalNetworkPolicy",
        "metadata": {"name": "deny"},
        "spec": {"selector": "all()", "types": ["Ingress"]},
    }
    admin = {
        "apiVersion": "policy.networking.k8s.io/v1alpha1",
        "kind": "AdminNetworkPolicy",
        "metadata": {"name": "a"},
        "spec": {"priority": 10, "subject": {"namespaces": {}}, "ingress": []},
    }
    assert keys(audit([cluster_shown], "NF020")) == ["Cluster/cluster"]
    assert audit([cluster_shown, calico], "NF020") == []
    assert audit([cluster_shown, admin], "NF020") == []


def test_host_network_findings_get_host_level_advice_and_no_policy_fix() -> None:
    """NF015 and every finding about a hostNetwork workload (here NF002, NF003): NetworkPolicy
    cannot apply to the node's network namespace, so the advice is the node firewall or a
    Calico HostEndpoint, and no NetworkPolicy is generated for it."""
    report = run_audit(
        cluster(deployment("shop", "agent", host_network=True), deployment("shop", "web"))
    )

    def about(key: str) -> list[Finding]:  # a finding grouped by cause lists its workloads
        return [f for f in report.findings if key in {r.key for r in f.affected or f.resources[:1]}]

    about_agent = about("Deployment/shop/agent")
    assert {f.check.check_id for f in about_agent} >= {"NF015", "NF002", "NF003"}
    for found in about_agent:
        assert "HostEndpoint" in found.check.remediation
        assert found.fix is None
    about_web = about("Deployment/shop/web")
    assert about_web and all("HostEndpoint" not in f.check.remediation for f in about_web)


def test_node_agent_on_the_host_network_is_info_other_workloads_high() -> None:
    """Pod Security Standards, privileged level (for node agents such as the CNI and
    kube-proxy): a DaemonSet of a platform namespace (kube-system, calico-system,
    tigera-operator) on the host network is expected, NF015 at info; the same DaemonSet in an
    application namespace, or a Deployment in kube-system, stays high."""
    agent = workload("DaemonSet", "calico-system", "calico-node", host_network=True)
    app_daemon = workload("DaemonSet", "shop", "log-shipper", host_network=True)
    system_deployment = deployment("kube-system", "tunnel", host_network=True)
    found = {
        f.primary.key: f.effective_severity
        for f in audit([agent, app_daemon, system_deployment], "NF015")
        if f.primary is not None
    }
    assert found == {
        "DaemonSet/calico-system/calico-node": Severity.INFO,
        "DaemonSet/shop/log-shipper": Severity.HIGH,
        "Deployment/kube-system/tunnel": Severity.HIGH,
    }


def test_reachability_of_a_host_network_workload_is_info_beside_nf015() -> None:
    """NetworkPolicy spec: a policy selects pods, and a host-network pod's traffic is its
    node's: what the map computes for it (NF002 here) is the node's reach, which NF015
    already reports at its severity; the reachability finding informs, with host advice."""
    report = run_audit(cluster(deployment("shop", "agent", host_network=True)))
    nf002 = [f for f in report.findings if f.check.check_id == "NF002"]
    assert nf002 and all(f.effective_severity is Severity.INFO for f in nf002)
    assert all("NF015 reports" in f.message for f in nf002)
    (nf015,) = [f for f in report.findings if f.check.check_id == "NF015"]
    assert nf015.effective_severity is Severity.HIGH

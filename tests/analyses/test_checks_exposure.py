"""NF006-NF014: rules that admit everything, the Internet, metadata, the API server, DNS.

Peer and port semantics are the NetworkPolicy API reference's (NetworkPolicyIngressRule,
NetworkPolicyEgressRule, NetworkPolicyPeer, IPBlock, NetworkPolicyPort); docs/semantics.md
restates them as netfence implements them.
"""

from __future__ import annotations

from typing import Any

from netfence.analyses.audit.fixes import FixRequest, request_of
from netfence.model.findings import Severity

from .builders import (
    TCP,
    UDP,
    api_server_objects,
    audit,
    by_detail,
    deployment,
    dns_pods,
    expr,
    ip_block,
    keys,
    match,
    namespace,
    only,
    pod,
    policy,
    port,
)

FRONTEND = "Deployment/shop/frontend"
POLICY = "NetworkPolicy/shop/p"


def _frontend(**rules: Any) -> list[Any]:
    """shop/frontend and policy shop/p selecting it with the given ingress/egress rules."""
    return [deployment("shop", "frontend"), policy("shop", "p", match(app="frontend"), **rules)]


# NF006 / NF007 -------------------------------------------------------------------------------

EVERY_PEER: list[Any] = [{"namespaceSelector": {}}, ip_block("0.0.0.0/0")]


def test_nf006_empty_ingress_rule_allows_everything() -> None:
    """NF006, API reference NetworkPolicyIngressRule.from/ports ("If this field is empty or
    missing, this rule matches all sources" / "all ports"): `ingress: [{}]` allows all."""
    findings = audit(_frontend(ingress=[{}]), "NF006")
    finding = only(findings, POLICY)
    assert finding.effective_severity is Severity.HIGH
    assert finding.detail_key == "spec.ingress[0]"
    assert finding.evidence == {
        "policy": "NetworkPolicy/shop/p",
        "rule": "spec.ingress[0]",
        "peers": "all",
        "ports": "All",
    }


def test_nf006_every_namespace_and_every_address_without_ports() -> None:
    """NF006, API reference NetworkPolicyPeer (namespaceSelector {} = all namespaces) and IPBlock
    0.0.0.0/0, with no ports: the same as allowing everything."""
    findings = audit(_frontend(ingress=[{"from": EVERY_PEER}]), "NF006")
    assert by_detail(findings, POLICY).keys() == {"spec.ingress[0]"}


def test_nf006_does_not_fire_for_one_port_or_one_namespace() -> None:
    """NF006, API reference NetworkPolicyIngressRule.ports / NetworkPolicyPeer: a single port,
    or a single namespace, is a real restriction."""
    one_port = _frontend(ingress=[{"from": EVERY_PEER, "ports": [port(443)]}])
    one_namespace = _frontend(
        ingress=[{"from": [{"namespaceSelector": match(team="x")}, ip_block("0.0.0.0/0")]}]
    )
    assert POLICY not in keys(audit(one_port, "NF006"))
    assert POLICY not in keys(audit(one_namespace, "NF006"))


def test_nf006_does_not_fire_for_a_policy_selecting_nothing() -> None:
    """NF006, API reference NetworkPolicySpec.podSelector: a rule of a policy that selects no
    pod opens nothing (NF017 reports the policy)."""
    findings = audit(
        [deployment("shop", "frontend"), policy("shop", "p", match(app="typo"), ingress=[{}])],
        "NF006",
    )
    assert POLICY not in keys(findings)


def test_nf007_empty_egress_rule_and_every_peer_allow_everything() -> None:
    """NF007, API reference NetworkPolicyEgressRule.to/ports (empty or missing: all
    destinations / all ports); NIST SP 800-190 4.4.2."""
    findings = audit(_frontend(egress=[{}, {"to": EVERY_PEER}]), "NF007")
    found = by_detail(findings, POLICY)
    assert found.keys() == {"spec.egress[0]", "spec.egress[1]"}
    assert found["spec.egress[1]"].effective_severity is Severity.MEDIUM
    assert found["spec.egress[1]"].evidence["ports"] == "All"


def test_nf007_does_not_fire_for_one_port_or_one_namespace() -> None:
    """NF007, API reference NetworkPolicyEgressRule.ports / NetworkPolicyPeer."""
    one_port = _frontend(egress=[{"to": EVERY_PEER, "ports": [port(53, UDP)]}])
    one_namespace = _frontend(egress=[{"to": [{"namespaceSelector": match(team="x")}]}])
    assert POLICY not in keys(audit(one_port, "NF007"))
    assert POLICY not in keys(audit(one_namespace, "NF007"))


# NF008 ---------------------------------------------------------------------------------------


def test_nf008_isolated_workload_accepts_the_whole_internet() -> None:
    """NF008, API reference IPBlock (0.0.0.0/0 = every address); NSA/CISA "Network policies",
    NIST SP 800-190 4.3.3."""
    findings = audit(
        _frontend(ingress=[{"from": [ip_block("0.0.0.0/0")], "ports": [port(443)]}]), "NF008"
    )
    finding = only(findings, FRONTEND)
    assert finding.effective_severity is Severity.HIGH
    assert finding.evidence["sources"] == "0.0.0.0/0"
    assert finding.evidence["ports"] == "TCP 443"
    assert finding.evidence["allowed_by"] == ["NetworkPolicy/shop/p spec.ingress[0]"]


def test_nf008_part_of_the_internet_is_medium() -> None:
    """NF008, API reference IPBlock: a public /24 is exposure, but bounded: medium."""
    findings = audit(
        _frontend(ingress=[{"from": [ip_block("198.18.0.0/15"), ip_block("8.8.8.0/24")]}]), "NF008"
    )
    finding = only(findings, FRONTEND)
    assert finding.effective_severity is Severity.MEDIUM
    assert "8.8.8.0/24" in finding.evidence["sources"]


def test_nf008_does_not_fire_for_private_sources_only() -> None:
    """NF008, RFC 1918 / IANA special-purpose ranges: 10.0.0.0/8 is not the Internet."""
    findings = audit(_frontend(ingress=[{"from": [ip_block("10.0.0.0/8")]}]), "NF008")
    assert FRONTEND not in keys(findings)


def test_nf008_leaves_open_workloads_to_nf002() -> None:
    """NF008 / NF002, API reference NetworkPolicySpec: a workload no Ingress policy selects
    is reported by NF002 (not isolated), not by NF008."""
    assert FRONTEND not in keys(audit([deployment("shop", "frontend")], "NF008"))


# NF009 ---------------------------------------------------------------------------------------


def test_nf009_egress_to_everything_but_private_space_on_443() -> None:
    """NF009, API reference IPBlock.except; NIST SP 800-190 4.4.2 (unbounded network access):
    0.0.0.0/0 except 10.0.0.0/8 still covers all public IPv4."""
    findings = audit(
        _frontend(egress=[{"to": [ip_block("0.0.0.0/0", "10.0.0.0/8")], "ports": [port(443)]}]),
        "NF009",
    )
    finding = only(findings, FRONTEND)
    assert finding.effective_severity is Severity.MEDIUM
    assert finding.evidence["destinations"] == "0.0.0.0/0 except 10.0.0.0/8"
    assert finding.evidence["ports"] == "TCP 443"
    assert finding.evidence["allowed_by"] == ["NetworkPolicy/shop/p spec.egress[0]"]


def test_nf009_does_not_fire_for_one_bounded_range() -> None:
    """NF009, API reference IPBlock: egress to 203.0.113.0/24 only is bounded."""
    findings = audit(_frontend(egress=[{"to": [ip_block("203.0.113.0/24")]}]), "NF009")
    assert FRONTEND not in keys(findings)


def test_nf009_evidence_names_only_rules_that_reach_the_internet() -> None:
    """NF009, API reference NetworkPolicyPort.port (a named port resolves on the destination
    pod, so it allows nothing to an external address): the second rule allows nothing public,
    so it must not be listed in allowed_by (the evaluator's walk names the rules).
    """
    findings = audit(
        _frontend(
            egress=[
                {"to": [ip_block("0.0.0.0/0")], "ports": [port(443)]},
                {"to": [ip_block("0.0.0.0/0")], "ports": [port("http")]},
            ]
        ),
        "NF009",
    )
    assert only(findings, FRONTEND).evidence["allowed_by"] == [
        "NetworkPolicy/shop/p spec.egress[0]"
    ]


# NF010 ---------------------------------------------------------------------------------------


def test_nf010_open_egress_range_reaches_metadata() -> None:
    """NF010, NSA/CISA Kubernetes Hardening Guide "Protecting sensitive cloud infrastructure":
    egress to 0.0.0.0/0 includes 169.254.169.254 and 168.63.129.16."""
    findings = audit(_frontend(egress=[{"to": [ip_block("0.0.0.0/0")]}]), "NF010")
    finding = only(findings, FRONTEND)
    assert finding.effective_severity is Severity.HIGH
    reached = finding.evidence["addresses"]
    assert set(reached) == {"169.254.169.254", "168.63.129.16"}
    assert reached["169.254.169.254"]["ports"] == "All"


def test_nf010_names_only_the_address_still_reachable() -> None:
    """NF010, API reference IPBlock.except: excepting IMDS leaves WireServer reachable."""
    findings = audit(
        _frontend(
            egress=[{"to": [ip_block("0.0.0.0/0", "169.254.169.254/32")], "ports": [port(80)]}]
        ),
        "NF010",
    )
    reached = only(findings, FRONTEND).evidence["addresses"]
    assert reached == {
        "168.63.129.16": {"service": "Azure WireServer / platform virtual IP", "ports": "TCP 80"}
    }


def test_nf010_does_not_fire_when_both_addresses_are_excepted() -> None:
    """NF010, API reference IPBlock.except: the except list removes the metadata addresses."""
    findings = audit(
        _frontend(
            egress=[{"to": [ip_block("0.0.0.0/0", "169.254.169.254/32", "168.63.129.16/32")]}]
        ),
        "NF010",
    )
    assert FRONTEND not in keys(findings)


# NF011 ---------------------------------------------------------------------------------------


def test_nf011_open_egress_reaches_the_api_server_from_the_input() -> None:
    """NF011, NSA/CISA Kubernetes Hardening Guide "Control plane hardening": the
    default/kubernetes Service (10.96.0.1:443) and Endpoints (10.240.0.4:6443) are read from
    the input; a workload with unrestricted egress reaches both."""
    findings = audit([api_server_objects(), deployment("shop", "frontend")], "NF011")
    finding = only(findings, FRONTEND)
    assert finding.effective_severity is Severity.LOW
    assert finding.evidence == {"api_server": ["10.96.0.1:443", "10.240.0.4:6443"]}


def test_nf011_egress_only_to_own_namespace_does_not_reach_the_api_server() -> None:
    """NF011, API reference NetworkPolicyPeer (podSelector alone: this namespace's pods)."""
    findings = audit(
        [api_server_objects(), *_frontend(egress=[{"to": [{"podSelector": {}}]}])], "NF011"
    )
    assert FRONTEND not in keys(findings)


def test_nf011_api_server_given_as_argument() -> None:
    """NF011, NSA/CISA "Control plane hardening": an address passed with api_servers (the CLI's
    --api-server) is checked on its port only."""
    on_6443 = _frontend(egress=[{"to": [ip_block("10.240.0.0/16")], "ports": [port(6443)]}])
    on_443 = _frontend(egress=[{"to": [ip_block("10.240.0.0/16")], "ports": [port(443)]}])
    servers = (("10.240.0.4", 6443),)
    finding = only(audit(on_6443, "NF011", api_servers=servers), FRONTEND)
    assert finding.evidence == {"api_server": ["10.240.0.4:6443"]}
    assert FRONTEND not in keys(audit(on_443, "NF011", api_servers=servers))
    assert audit(on_6443, "NF011") == []  # no API server known: nothing to check


# NF012 ---------------------------------------------------------------------------------------

CLUSTER_DNS = {
    "namespaceSelector": match(**{"kubernetes.io/metadata.name": "kube-system"}),
    "podSelector": match(**{"k8s-app": "kube-dns"}),
}


def test_nf012_workload_whose_egress_is_denied_altogether_is_not_reported() -> None:
    """NF012, API reference NetworkPolicySpec.policyTypes: [Ingress, Egress] with no egress
    rules denies all egress by design: the workload resolves no names, so no DNS finding."""
    findings = audit(
        [
            dns_pods(),
            deployment("shop", "frontend"),
            policy("shop", "deny-all", types=["Ingress", "Egress"]),
        ],
        "NF012",
    )
    assert findings == []


def test_nf012_client_egress_that_omits_dns_names_the_client_policy() -> None:
    """NF012, API reference NetworkPolicyEgressRule: an egress policy allowing HTTPS only
    blocks DNS on the client side; the finding names that policy and carries the client fix;
    NSA/CISA "Network policies"."""
    findings = audit(
        [dns_pods(), *_frontend(egress=[{"to": [ip_block("0.0.0.0/0")], "ports": [port(443)]}])],
        "NF012",
    )
    finding = only(findings, FRONTEND)
    assert finding.effective_severity is Severity.MEDIUM
    assert finding.evidence == {
        "blocked": ["UDP 53", "TCP 53"],
        "dns": ["kube-system/coredns-1"],
        "blocked_by_egress": ["UDP 53", "TCP 53"],
        "blocked_by_dns_ingress": [],
        "blocking": ["NetworkPolicy/shop/p"],
    }
    assert finding.cause is not None and finding.cause.key == POLICY
    assert "its egress (NetworkPolicy/shop/p) blocks" in finding.message
    assert request_of(finding) == FixRequest("shop", dns_for=FRONTEND)


def test_nf012_dns_server_ingress_that_omits_clients_names_the_server_policy() -> None:
    """NF012, API reference NetworkPolicySpec.ingress: a kube-system policy admitting only one
    namespace to the DNS pods blocks the others at the server's ingress; the finding points at
    that policy (not the clients' egress), with no client-side fix, and the clients it blocks
    are one finding on it."""
    server = policy(
        "kube-system",
        "dns-from-trusted",
        match(**{"k8s-app": "kube-dns"}),
        ingress=[{"from": [{"namespaceSelector": match(team="trusted")}]}],
    )
    findings = audit(
        [dns_pods(), deployment("shop", "frontend"), deployment("shop", "backend"), server],
        "NF012",
    )
    (finding,) = findings
    assert finding.cause is not None
    assert finding.cause.key == "NetworkPolicy/kube-system/dns-from-trusted"
    assert [r.key for r in finding.affected] == ["Deployment/shop/backend", FRONTEND]
    assert finding.evidence["blocked_by_egress"] == []
    assert finding.evidence["blocked_by_dns_ingress"] == ["UDP 53", "TCP 53"]
    assert finding.fix is None
    assert finding.message.startswith(
        "NetworkPolicy/kube-system/dns-from-trusted keeps 2 workloads in shop from the cluster DNS"
    )


def test_nf012_dns_on_udp_only_names_tcp_53() -> None:
    """NF012, API reference NetworkPolicyPort.protocol (defaults to TCP; UDP 53 does not allow
    TCP 53); DNS falls back to TCP for large answers (RFC 7766)."""
    findings = audit(
        [dns_pods(), *_frontend(egress=[{"to": [CLUSTER_DNS], "ports": [port(53, UDP)]}])],
        "NF012",
    )
    finding = only(findings, FRONTEND)
    assert finding.evidence["blocked"] == ["TCP 53"]
    assert finding.evidence["blocked_by_egress"] == ["TCP 53"]
    assert "TCP 53" in finding.message
    assert "UDP 53" not in finding.message


def test_nf012_does_not_fire_when_dns_is_allowed_on_both_protocols() -> None:
    """NF012, API reference NetworkPolicyPort (by number, or by name resolved on the DNS pod)."""
    by_number = [{"to": [CLUSTER_DNS], "ports": [port(53, UDP), port(53, TCP)]}]
    by_name = [{"to": [CLUSTER_DNS], "ports": [port("dns", UDP), port("dns-tcp", TCP)]}]
    for egress in (by_number, by_name):
        assert FRONTEND not in keys(audit([dns_pods(), *_frontend(egress=egress)], "NF012"))


def test_nf012_needs_cluster_dns_pods_in_the_input() -> None:
    """NF012: without kube-system pods labelled k8s-app=kube-dns there is no DNS to reach."""
    findings = audit(_frontend(egress=[], types=["Egress"]), "NF012")
    assert findings == []


# NF013 ---------------------------------------------------------------------------------------

TEAMS = [
    namespace("shop"),
    namespace("x1", team="x"),
    namespace("x2", team="x"),
    namespace("y", team="y"),
    pod("x1", "client"),
    pod("x2", "batch"),
]


def test_nf013_namespace_selector_without_pod_selector() -> None:
    """NF013, API reference NetworkPolicyPeer ("If namespaceSelector is set and podSelector is
    not, it selects all Pods in the Namespaces selected"); NIST SP 800-190 4.3.3."""
    rule = {"from": [{"namespaceSelector": match(team="x")}], "ports": [port(8080)]}
    findings = audit([*TEAMS, *_frontend(ingress=[rule])], "NF013")
    finding = only(findings, POLICY)
    assert finding.effective_severity is Severity.LOW
    assert finding.detail_key == "spec.ingress[0].from[0]"
    assert finding.evidence == {
        "policy": "NetworkPolicy/shop/p",
        "peer": "spec.ingress[0].from[0]",
        "namespaces": ["x1", "x2"],
    }


def test_nf013_does_not_fire_with_a_pod_selector() -> None:
    """NF013, API reference NetworkPolicyPeer (namespaceSelector AND podSelector)."""
    peer = {"namespaceSelector": match(team="x"), "podSelector": match(app="client")}
    findings = audit([*TEAMS, *_frontend(ingress=[{"from": [peer]}])], "NF013")
    assert POLICY not in keys(findings)


# NF014 ---------------------------------------------------------------------------------------


def _restricted(peer: dict[str, Any]) -> list[Any]:
    return [*TEAMS, *_frontend(ingress=[{"from": [peer], "ports": [port(8080)]}])]


def test_nf014_empty_namespace_selector_admits_future_namespaces() -> None:
    """NF014, API reference NetworkPolicyPeer.namespaceSelector ("an empty selector selects
    all namespaces"), with no podSelector, on a rule limited to one port (so not NF006)."""
    findings = audit(_restricted({"namespaceSelector": {}}), "NF014")
    finding = only(findings, POLICY)
    assert finding.effective_severity is Severity.MEDIUM
    assert finding.evidence == {
        "policy": "NetworkPolicy/shop/p",
        "peer": "spec.ingress[0].from[0]",
        "namespaceSelector": "{}",
        "podSelector": None,
    }


def test_nf014_not_in_only_namespace_selector_admits_future_namespaces() -> None:
    """NF014, API reference LabelSelector operators (NotIn matches objects without the key):
    `team NotIn (y)` matches every namespace created later without a team label."""
    findings = audit(_restricted({"namespaceSelector": expr("team", "NotIn", "y")}), "NF014")
    assert only(findings, POLICY).evidence["namespaceSelector"] == "team NotIn (y)"


def test_nf014_does_not_fire_for_labelled_namespaces_or_pods() -> None:
    """NF014, API reference LabelSelector (matchLabels): a namespace must carry team=x, or a
    pod app=client, to be admitted; new unlabelled objects are not."""
    by_namespace = _restricted({"namespaceSelector": match(team="x")})
    by_pod = _restricted({"namespaceSelector": {}, "podSelector": match(app="client")})
    assert POLICY not in keys(audit(by_namespace, "NF014"))
    assert POLICY not in keys(audit(by_pod, "NF014"))


def test_nf014_exists_on_the_namespace_name_label_admits_future_namespaces() -> None:
    """NF014, Kubernetes "Well-Known Labels": the API server sets kubernetes.io/metadata.name
    on every namespace (docs/semantics.md, Topology), so `Exists` on it is `{}` in disguise.

    BUG: rules.matches_future_objects judges selectors by operator only, so this peer (which
    admits every namespace present and future) is not reported.
    """
    peer = {"namespaceSelector": expr("kubernetes.io/metadata.name", "Exists")}
    assert keys(audit(_restricted(peer), "NF014")) == [POLICY]


def test_nf013_many_namespaces_are_counted_with_a_sample() -> None:
    """NF013, API reference NetworkPolicyPeer (namespaceSelector without podSelector selects
    all Pods of the selected Namespaces): past five namespaces the message gives their count
    and the first five; the evidence lists every one."""
    many = [namespace(f"x{i:02d}", team="x") for i in range(8)]
    rule = {"from": [{"namespaceSelector": match(team="x")}], "ports": [port(8080)]}
    finding = only(audit([namespace("shop"), *many, *_frontend(ingress=[rule])], "NF013"), POLICY)
    assert finding.message.endswith(
        "admits every pod of 8 namespaces: x00, x01, x02, x03, x04 and 3 more."
    )
    assert finding.evidence["namespaces"] == [f"x{i:02d}" for i in range(8)]

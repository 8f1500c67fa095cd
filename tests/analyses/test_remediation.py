"""Fixes proven by the engine (netfence.analyses.remediation): every set applied at once keeps
every flow of today that its findings are not about, resolves its findings and adds no
finding of another check.

Flows are compared with the independent oracle (tests/oracle), which shares no code with the
engine or the planner, pod by pod and against probe addresses.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from netfence.analyses.audit import AuditReport, run_audit
from netfence.analyses.remediation import FixPlan, plan_fixes
from netfence.analyses.remediation.sets import Unfixable, ip_blocks, policy_ports
from netfence.engine.explain import explain_flow
from netfence.model.cluster import Cluster
from netfence.model.findings import Finding
from netfence.model.networkpolicy import Direction
from netfence.report.fix_files import write_fixes
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet
from netfence.sources.manifests import load_cluster, load_cluster_from_text
from tests.engine.random_clusters import PROBE_ADDRESSES, clusters
from tests.oracle import direction_allowed, flow_allowed

from .builders import (
    container_port,
    deployment,
    dns_pods,
    ip_block,
    match,
    namespace,
    pod,
    policy,
    port,
)

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "arc-cluster")
PROBES = (*PROBE_ADDRESSES, "10.240.0.5", "168.63.129.16", "203.0.113.7", "2001:4860::8888")

EXPECTED_NEW = {
    "NF017": "a default deny in a namespace without pods selects none today",
    "NF022": "other policies of the set isolate every pod of today",
    "NF008": "a workload open today keeps its Internet ingress, now isolated",
    "NF009": "a workload open today keeps its Internet egress, now isolated",
    "NF006": "an allowance for a workload open to everything today",
    "NF007": "an allowance for a workload open to everything today",
    "NF010": "a workload that reaches platform addresses today keeps them, the set's rule the cause",
    "NF030": "an allowance keeps today's external flows as ipBlocks, which pods without addresses"
    " in the input may fall in",
}
"""Findings a proven set may add, each of the exposure or of the deny's purpose (pods to
come), as docs/scan.md states; anything else is a new problem."""


def _manifest(*objects: dict[str, object]) -> str:
    return yaml.safe_dump_all(list(objects), sort_keys=False)


def _with_fixes(text: str, plan: FixPlan) -> Cluster:
    """The input read again with every proven set beside it, as one stream."""
    sets = [o.text for o in plan.proven]
    return load_cluster_from_text("---\n".join([text, *sets]), "with-fixes.yaml")


def _flows(cluster: Cluster) -> dict[tuple[str, str], PortSet]:
    """Every pod-to-pod (loopback aside) and pod-to-probe flow, by the oracle."""
    out: dict[tuple[str, str], PortSet] = {}
    pods = cluster.pods
    taken = {ip for p in pods for ip in p.ips}
    for src in pods:
        for dst in pods:
            if src is not dst:
                out[(src.key, dst.key)] = flow_allowed(cluster, src, dst)
        for address in PROBES:
            if address in taken:
                continue
            out[(src.key, address)] = flow_allowed(cluster, src, address)
            out[(address, src.key)] = flow_allowed(cluster, address, src)
    return out


def _changed(before: Cluster, after: Cluster) -> dict[tuple[str, str], tuple[PortSet, PortSet]]:
    old, new = _flows(before), _flows(after)
    return {k: (old[k], new[k]) for k in old if old[k] != new[k]}


def _new_findings(report: AuditReport, rerun: AuditReport) -> list[Finding]:
    old = {f.fingerprint for f in report.findings}
    return [f for f in rerun.findings if f.fingerprint not in old]


def _assert_new_findings_expected(report: AuditReport, rerun: AuditReport, plan: FixPlan) -> None:
    def subjects(f: Finding) -> list[str]:  # a finding grouped by cause lists its workloads
        return [r.key for r in f.affected or f.resources[:1]]

    before = {(f.check.check_id, key) for f in report.findings for key in subjects(f)}
    ours = {name for o in plan.proven for name in o.policies}
    carried_from = {"NF008": "NF002", "NF009": "NF003"}
    for finding in _new_findings(report, rerun):
        check_id = finding.check.check_id
        assert check_id in EXPECTED_NEW, finding.message
        assert finding.primary is not None
        if check_id in ("NF008", "NF009", "NF010"):
            # the same fact on the same workloads, caused now by the set's allowance
            was = {check_id, carried_from.get(check_id)}
            for key in subjects(finding):
                assert any((c, key) in before for c in was), finding.message
        else:
            assert finding.primary.name in ours, finding.message


def _assert_resolved(plan: FixPlan, rerun: AuditReport) -> None:
    now = {f.fingerprint for f in rerun.findings}
    for outcome in plan.proven:
        assert outcome.resolves
        assert not [f.message for f in outcome.resolves if f.fingerprint in now]


# The bundled example ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def example(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Cluster, AuditReport, FixPlan, Cluster]:
    cluster = load_cluster([EXAMPLE])
    report = run_audit(cluster)
    plan = plan_fixes(cluster, report)
    directory = tmp_path_factory.mktemp("fixes")
    write_fixes(plan.report, directory)
    fixed = load_cluster([EXAMPLE, str(directory)])  # a duplicate NetworkPolicy is an error
    return cluster, report, plan, fixed


def test_example_every_namespace_gets_one_proven_set(example) -> None:
    """One set per namespace a finding asks a fix of; the example's all pass the proof, and
    every finding that asks for a fix carries its namespace's proven set."""
    _, report, plan, _ = example
    asked = {
        f.evidence["namespace"] for f in report.findings if f.check.check_id in ("NF004", "NF005")
    }
    assert {o.namespace for o in plan.outcomes} == asked
    assert not plan.refused, [o.reason for o in plan.refused]
    texts = {o.namespace: o.text for o in plan.proven}
    for finding in plan.report.findings:
        if finding.check.check_id in ("NF004", "NF005"):
            assert finding.fix == texts[finding.evidence["namespace"]]


def test_example_fix_directory_loads_beside_the_input(example) -> None:
    """One default deny and distinct names per namespace: the fix directory and the input
    load together (the loader refuses a NetworkPolicy defined twice)."""
    cluster, _, plan, fixed = example
    added = len(fixed.policies) - len(cluster.policies)
    assert added == sum(len(o.policies) for o in plan.proven)
    for outcome in plan.proven:
        denies = [n for n in outcome.policies if n.startswith("default-deny")]
        assert len(denies) == 1


def test_example_fixes_keep_every_flow(example) -> None:
    """The fixed map (by the oracle) equals today's for every pod pair and probe address:
    a default deny's findings are about pods to come, not about any flow of today."""
    cluster, _, _, fixed = example
    assert _changed(cluster, fixed) == {}


def test_example_explain_allows_dns_ingress_and_scrapes(example) -> None:
    """The flows the blanket denies broke: clients to coredns, the Internet to the ingress
    controller, prometheus to its targets."""
    _, _, _, fixed = example
    for src, dst, asked in (
        ("shop/frontend", "kube-system/coredns", "53/UDP"),
        ("azure-arc/config-agent", "kube-system/coredns", "53/UDP"),
        ("8.8.8.8", "ingress-nginx/ingress-nginx-controller", "443/TCP"),
        ("ingress-nginx/ingress-nginx-controller", "shop/frontend", "8080/TCP"),
    ):
        assert explain_flow(fixed, src, dst, asked).allowed, (src, dst)
    scrapes = [
        explain_flow(fixed, "monitoring/prometheus", target).allowed
        for target in ("shop/backend", "kube-system/coredns")
    ]
    assert all(scrapes)


def test_example_rescan_resolves_and_adds_no_finding_of_another_check(example) -> None:
    """Re-scan: each set's findings are gone; what is new is only of the exposure kept or of
    the deny's purpose (EXPECTED_NEW); fewer findings stand than before."""
    _, report, plan, fixed = example
    rerun = run_audit(fixed)
    _assert_resolved(plan, rerun)
    _assert_new_findings_expected(report, rerun, plan)
    assert not [f for f in rerun.findings if f.check.check_id in ("NF001", "NF004", "NF005")]
    assert not [f for f in rerun.findings if f.check.check_id in ("NF012", "NF013")]


def test_generated_peers_name_workloads_never_everything(example) -> None:
    """No generated peer is ``{}`` or a namespace alone (NF006/NF013 would flag it): every
    workload peer names its namespace and its pods' labels."""
    _, _, plan, _ = example
    for outcome in plan.proven:
        for document in yaml.safe_load_all(outcome.text):
            spec = document["spec"]
            for rule in [*spec.get("ingress", []), *spec.get("egress", [])]:
                for peer in rule.get("from", rule.get("to", [])):
                    if "ipBlock" in peer:
                        continue
                    assert peer["podSelector"]["matchLabels"], peer
                    assert peer["namespaceSelector"]["matchLabels"], peer


# Rules, one by one -----------------------------------------------------------------------


def _plan(*objects: dict[str, object]) -> tuple[str, Cluster, AuditReport, FixPlan]:
    text = _manifest(*objects)
    cluster = load_cluster_from_text(text, "input.yaml")
    report = run_audit(cluster)
    return text, cluster, report, plan_fixes(cluster, report)


def test_isolated_in_a_direction_once_selected_and_allowances_are_additive() -> None:
    """NetworkPolicy spec: a pod selected by a policy of a direction is isolated in that
    direction; allowances are additive. The workload its own ingress policy isolates gets no
    allowance (the deny changes nothing for it); the open one gets exactly today's sources;
    a pod added later is denied by default in both directions."""
    objects = [
        namespace("shop"),
        deployment("shop", "web", ports=[container_port(8080, "http")]),
        deployment("shop", "api", ports=[container_port(9000, "grpc")]),
        policy(
            "shop",
            "api-from-web",
            match(app="api"),
            ingress=[{"from": [{"podSelector": match(app="web")}], "ports": [port(9000)]}],
            types=["Ingress"],
        ),
    ]
    text, cluster, _, plan = _plan(*objects)
    (outcome,) = plan.proven
    assert outcome.policies == (
        "default-deny-all",
        "allow-ingress-web",
        "allow-egress-api",
        "allow-egress-web",
    )
    fixed = _with_fixes(text, plan)
    assert _changed(cluster, fixed) == {}
    later = pod("shop", "newcomer", {"app": "newcomer"}, ip="10.0.5.5")
    grown = load_cluster_from_text("---\n".join([text, _manifest(later), outcome.text]), "grown")
    newcomer = next(p for p in grown.pods if p.name == "newcomer")
    for other in [*grown.pods, "8.8.8.8"]:
        if other is newcomer:
            continue
        assert not direction_allowed(grown, Direction.INGRESS, newcomer, other)
        assert not direction_allowed(grown, Direction.EGRESS, newcomer, other)


def test_dns_block_is_fixed_by_one_dns_allowance() -> None:
    """NF012, NetworkPolicyPort: an egress-isolated workload that may send some traffic (here
    to one external range) gets UDP and TCP 53 to the cluster DNS and nothing else; the
    finding is gone."""
    objects = [
        namespace("kube-system"),
        *dns_pods(),
        namespace("shop"),
        deployment("shop", "frontend"),
        policy(
            "shop",
            "egress-to-partner",
            types=["Ingress", "Egress"],
            egress=[{"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}],
        ),
    ]
    text, cluster, report, plan = _plan(*objects)
    (outcome,) = [o for o in plan.outcomes if o.namespace == "shop"]
    assert outcome.proven, outcome.reason
    assert outcome.policies == ("allow-dns-egress",)
    fixed = _with_fixes(text, plan)
    changes = _changed(cluster, fixed)
    dns = PortSet.of("UDP", 53) | PortSet.of("TCP", 53)
    key = ("shop/frontend", "kube-system/coredns-1")
    assert changes == {key: (PortSet.none(), dns)}
    rerun = run_audit(fixed)
    assert not [f for f in rerun.findings if f.check.check_id == "NF012"]


def test_generated_names_do_not_clash_with_the_input() -> None:
    """metadata.name is unique per kind and namespace: a policy already called
    default-deny-all (that is no default deny) leaves the set's deny another name."""
    objects = [
        namespace("shop"),
        deployment("shop", "web"),
        policy("shop", "default-deny-all", match(app="nothing"), types=["Ingress", "Egress"]),
    ]
    text, _, _, plan = _plan(*objects)
    (outcome,) = plan.proven
    assert outcome.policies[0] == "default-deny-all-2"
    assert len(set(outcome.policies)) == len(outcome.policies)
    _with_fixes(text, plan)  # the loader refuses a duplicate


def test_a_set_that_cannot_name_its_workloads_is_refused_with_why() -> None:
    """A workload whose pods carry no label cannot be selected apart from future pods: its
    namespace's set is not written, with the reason; other namespaces' sets still are."""
    objects = [
        namespace("bare"),
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "bare"}},
        namespace("shop"),
    ]
    _, _, report, plan = _plan(*objects)
    (refused,) = plan.refused
    assert refused.namespace == "bare" and "no pod labels" in refused.reason
    assert [o.namespace for o in plan.proven] == ["shop"]
    for finding in plan.report.findings:
        if finding.evidence.get("namespace") == "bare":
            assert finding.fix is None


def test_ports_omitted_when_all_and_ranges_written_with_end_port() -> None:
    """NetworkPolicyPort: no ``ports`` allows every port of every protocol; a range is
    ``port``..``endPort`` inclusive; ICMP has no NetworkPolicy port and is refused."""
    assert policy_ports(PortSet.all()) is None
    written = policy_ports(PortSet.of("TCP", 80, 90) | PortSet.of("UDP", 53))
    assert written == [
        {"protocol": "TCP", "port": 80, "endPort": 90},
        {"protocol": "UDP", "port": 53},
    ]
    with pytest.raises(Unfixable):
        policy_ports(PortSet.of("ICMP"))


def test_ip_blocks_use_except_when_shorter() -> None:
    """IPBlock: ``cidr`` less every ``except``; the whole family less a few ranges is one
    block, a few ranges are one block each."""
    most = IPRangeSet.from_cidr("0.0.0.0/0") - IPRangeSet.from_cidrs(
        ["10.0.0.0/8", "169.254.169.254/32"]
    )
    assert ip_blocks(most) == [
        {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "169.254.169.254/32"]}}
    ]
    assert ip_blocks(IPRangeSet.from_cidrs(["10.0.0.0/24", "fd00::/8"])) == [
        {"ipBlock": {"cidr": "10.0.0.0/24"}},
        {"ipBlock": {"cidr": "fd00::/8"}},
    ]


def test_internet_ingress_is_kept_as_an_ip_block() -> None:
    """Today's sources outside the cluster stay allowed, as ipBlocks on today's ports."""
    objects = [
        namespace("edge"),
        deployment("edge", "proxy", ports=[container_port(443, "https")]),
        policy(
            "edge",
            "proxy-egress",
            match(app="proxy"),
            egress=[{"to": [ip_block("0.0.0.0/0", "10.0.0.0/8")], "ports": [port(443)]}],
            types=["Egress"],
        ),
    ]
    text, cluster, _, plan = _plan(*objects)
    (outcome,) = plan.proven
    fixed = _with_fixes(text, plan)
    assert _changed(cluster, fixed) == {}
    assert flow_allowed(fixed, "8.8.8.8", fixed.pods[0]).is_all()


# Generated clusters ----------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters())
def test_random_clusters_keep_every_flow_and_resolve_their_findings(manifests: str) -> None:
    """On random clusters, every proven set applied at once keeps the oracle's map as it is,
    its findings are gone from the re-scan and nothing else is new; a pod added later to a
    namespace with a proven deny is isolated in the deny's directions."""
    cluster = load_cluster_from_text(manifests)
    report = run_audit(cluster)
    plan = plan_fixes(cluster, report)
    for outcome in plan.refused:
        assert outcome.reason
    if not plan.proven:
        return
    fixed = _with_fixes(manifests, plan)
    assert _changed(cluster, fixed) == {}
    rerun = run_audit(fixed)
    _assert_resolved(plan, rerun)
    _assert_new_findings_expected(report, rerun, plan)
    for outcome in plan.proven:
        _assert_newcomer_denied_by_default(manifests, outcome.namespace, outcome.text)


def _assert_newcomer_denied_by_default(manifests: str, namespace_name: str, text: str) -> None:
    """A pod added later gets nothing from the set's allowances: what it may do is what the
    deny alone leaves it (the input's own policies may still allow it some)."""
    documents = list(yaml.safe_load_all(text))
    deny = [d for d in documents if not d["spec"]["podSelector"] and "ingress" not in d["spec"]]
    deny = [d for d in deny if "egress" not in d["spec"]]
    if not deny:
        return
    newcomer = _manifest(pod(namespace_name, "zz-newcomer", {"zz": "new"}))
    with_set = load_cluster_from_text("---\n".join([manifests, newcomer, text]), "set")
    deny_only = load_cluster_from_text(
        "---\n".join([manifests, newcomer, _manifest(*deny)]), "deny"
    )
    for grown in (with_set, deny_only):
        assert any(p.name == "zz-newcomer" for p in grown.pods)
    new_a = next(p for p in with_set.pods if p.name == "zz-newcomer")
    new_b = next(p for p in deny_only.pods if p.name == "zz-newcomer")
    others_a = [p for p in with_set.pods if p is not new_a]
    others_b = [p for p in deny_only.pods if p is not new_b]
    for a, b in zip([*others_a, "8.8.8.8"], [*others_b, "8.8.8.8"], strict=True):
        for direction in Direction:
            assert direction_allowed(with_set, direction, new_a, a) == direction_allowed(
                deny_only, direction, new_b, b
            )


def test_dns_allowance_for_the_blocked_workload_only_beside_a_deny() -> None:
    """NF012 with NF004/NF005 in one namespace: one set, one default deny, and the DNS
    allowance selects the blocked workload alone (a bare Pod here, named by its labels);
    every other flow stays."""
    objects = [
        namespace("kube-system"),
        *dns_pods(),
        namespace("shop"),
        pod("shop", "blocked", {"app": "blocked"}, ip="10.244.1.5"),
        deployment("shop", "open"),
        policy(
            "shop",
            "blocked-egress",
            match(app="blocked"),
            egress=[{"to": [ip_block("203.0.113.0/24")], "ports": [port(443)]}],
            types=["Egress"],
        ),
    ]
    text, cluster, report, plan = _plan(*objects)
    assert any(f.check.check_id == "NF012" for f in report.findings)
    shop = next(o for o in plan.outcomes if o.namespace == "shop")
    assert shop.proven, shop.reason
    assert sum(n.startswith("default-deny") for n in shop.policies) == 1
    assert "allow-dns-egress-blocked" in shop.policies
    fixed = _with_fixes(text, plan)
    dns = PortSet.of("UDP", 53) | PortSet.of("TCP", 53)
    assert _changed(cluster, fixed) == {
        ("shop/blocked", "kube-system/coredns-1"): (PortSet.none(), dns)
    }


def test_one_grouped_dns_finding_fixes_every_workload_it_lists() -> None:
    """NF012 grouped by cause: one egress policy that keeps two workloads from the DNS is one
    finding; its fix lets each of them (and only them) reach the cluster DNS."""
    objects = [
        namespace("kube-system"),
        *dns_pods(),
        namespace("shop"),
        deployment("shop", "frontend"),
        deployment("shop", "backend"),
        deployment("shop", "batch"),
        policy(
            "shop",
            "egress-to-partner",
            {
                "matchExpressions": [
                    {"key": "app", "operator": "In", "values": ["frontend", "backend"]}
                ]
            },
            types=["Egress"],
            egress=[{"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}],
        ),
    ]
    text, cluster, report, plan = _plan(*objects)
    (dns,) = [f for f in report.findings if f.check.check_id == "NF012"]
    assert [r.key for r in dns.affected] == ["Deployment/shop/backend", "Deployment/shop/frontend"]
    (outcome,) = [o for o in plan.outcomes if o.namespace == "shop"]
    assert outcome.proven, outcome.reason
    fixed = _with_fixes(text, plan)
    dns_ports = PortSet.of("UDP", 53) | PortSet.of("TCP", 53)
    assert _changed(cluster, fixed) == {
        ("shop/backend", "kube-system/coredns-1"): (PortSet.none(), dns_ports),
        ("shop/frontend", "kube-system/coredns-1"): (PortSet.none(), dns_ports),
    }


def test_dns_blocked_at_the_server_gets_no_client_allowance() -> None:
    """NF012 names the DNS server's ingress as the block: an egress allowance on the client
    cannot help, so no fix is planned for it (the finding points at the server's policy)."""
    server = policy(
        "kube-system",
        "dns-from-trusted",
        match(**{"k8s-app": "kube-dns"}),
        ingress=[{"from": [{"namespaceSelector": match(team="trusted")}]}],
    )
    objects = [
        namespace("kube-system"),
        *dns_pods(),
        namespace("shop"),
        deployment("shop", "web"),
        server,
    ]
    _, _, report, plan = _plan(*objects)
    assert [f.check.check_id for f in report.findings if f.check.check_id == "NF012"] == ["NF012"]
    assert not [o for o in plan.outcomes if o.namespace == "shop" and "allow-dns" in o.text]


def test_workloads_allowed_the_same_share_one_allowance() -> None:
    """LabelSelector matchExpressions (operator In): workloads of a namespace that are
    allowed the same today get one allowance whose podSelector picks exactly their pods (a
    label they all carry, its values In); the map stays as it was. A workload its own policy
    isolates is left out of the selector's values."""
    objects = [
        namespace("shop"),
        deployment("shop", "a"),
        deployment("shop", "b"),
        deployment("shop", "c"),
        policy(
            "shop",
            "c-only-from-a",
            match(app="c"),
            ingress=[{"from": [{"podSelector": match(app="a")}]}],
        ),
    ]
    text, cluster, _, plan = _plan(*objects)
    (outcome,) = [o for o in plan.outcomes if o.namespace == "shop"]
    assert outcome.proven, outcome.reason
    documents = list(yaml.safe_load_all(outcome.text))
    ingress = [d for d in documents if d["metadata"]["name"].startswith("allow-ingress-")]
    assert [d["metadata"]["name"] for d in ingress] == ["allow-ingress-a-and-1-more"]
    assert ingress[0]["spec"]["podSelector"] == {
        "matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]}]
    }
    assert _changed(cluster, _with_fixes(text, plan)) == {}

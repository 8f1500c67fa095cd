"""NF023-NF027: checks over the policy layers (AdminNetworkPolicy family, Calico tiers)."""

from __future__ import annotations

import yaml

from netfence.analyses.audit import run_audit
from netfence.model.findings import Severity
from netfence.sources.manifests import load_cluster_from_text
from tests.analyses.builders import concerned

PODS = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
status: {podIP: 10.244.0.5}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
status: {podIP: 10.244.0.6}
"""


def audit(extra: str, check: str):
    cluster = load_cluster_from_text(PODS + "---\n" + extra)
    return list(run_audit(cluster, select=[check]).findings)


BANP_DENY_ALL = """
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress:
  - {action: Deny, from: [{namespaces: {}}]}
  egress:
  - {action: Deny, to: [{namespaces: {}}, {networks: ["0.0.0.0/0", "::/0"]}]}
"""


def test_nf023_fires_without_a_cluster_guardrail():
    """NF023 (NSA/CISA default deny, CIS 5.3.2 intent): with only namespaced policies, both
    directions lack a cluster-wide default deny."""
    np_only = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
"""
    found = audit(np_only, "NF023")
    assert {f.evidence["direction"] for f in found} == {"Ingress", "Egress"}


def test_nf023_quiet_with_a_baseline_deny_all():
    """NF023: a BaselineAdminNetworkPolicy denying all ingress and egress for every namespace
    (network-policy-api v1alpha1) is the guardrail."""
    assert audit(BANP_DENY_ALL, "NF023") == []


def test_nf023_quiet_with_a_calico_global_default_deny():
    """NF023: a Calico GlobalNetworkPolicy selecting all() with both types, in the default
    tier (defaultAction Deny), denies what no later policy allows."""
    gnp = """
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: default-deny}
spec: {selector: all(), types: [Ingress, Egress], order: 2000}
"""
    assert audit(gnp, "NF023") == []


def test_nf023_egress_deny_without_addresses_is_not_enough():
    """NF023: a baseline egress Deny to pods only still lets pods reach the Internet."""
    banp = BANP_DENY_ALL.replace('{networks: ["0.0.0.0/0", "::/0"]}', "{namespaces: {}}")
    found = audit(banp, "NF023")
    assert [f.evidence["direction"] for f in found] == ["Egress"]


def test_nf023_points_at_the_cluster_guardrails_there_are():
    """NF023 is cluster-wide: it names the cluster, then the cluster-scoped policies of the
    direction (here the BaselineAdminNetworkPolicy whose egress Deny is not enough), so that
    code scanning places it on a policy it concerns and never on an unrelated file."""
    banp = BANP_DENY_ALL.replace('{networks: ["0.0.0.0/0", "::/0"]}', "{namespaces: {}}")
    (finding,) = audit(banp, "NF023")
    assert [r.key for r in finding.resources] == [
        "Cluster/cluster",
        "BaselineAdminNetworkPolicy/default",
    ]
    assert finding.resources[1].line is not None
    assert {len(f.resources) for f in audit("", "NF023")} == {1}  # none to point at


SHADOWED = """
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: guardrail}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {team: shop}}}
  ingress:
  - {name: no-web, action: Deny, from: [{namespaces: {}}], ports: [{portNumber: {port: 8080}}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {}}]
    ports: [{port: 8080}]
"""


def test_nf024_networkpolicy_widening_a_guardrail_in_vain():
    """NF024 (ANP precedence: an ANP Deny is final before NetworkPolicy): the NetworkPolicy
    allow on 8080 never takes effect."""
    found = audit(SHADOWED, "NF024")
    assert [f.resources[0].key for f in found] == ["NetworkPolicy/shop/allow-web"]
    assert found[0].evidence["rule"] == "spec.ingress[0]"


def test_nf024_quiet_when_the_allow_reaches_other_ports():
    """NF024: an allow that still decides some port (9090) takes effect."""
    widened = SHADOWED.replace("ports: [{port: 8080}]", "ports: [{port: 8080}, {port: 9090}]")
    assert audit(widened, "NF024") == []


def test_nf024_calico_deny_shadows_later_allow():
    """NF024 (Calico: first matching rule wins in order): an Allow after a Deny of the same
    traffic in one policy never takes effect."""
    calico = """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  selector: app == 'db'
  ingress:
  - {action: Deny, protocol: TCP}
  - {action: Allow, protocol: TCP, destination: {ports: [5432]}}
  - {action: Allow, protocol: UDP}
"""
    found = audit(calico, "NF024")
    assert [f.evidence["rule"] for f in found] == ["spec.ingress[1]"]


PASS = """
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: delegate}
spec:
  priority: 5
  subject: {namespaces: {matchLabels: {team: shop}}}
  ingress:
  - {action: Pass, from: [{namespaces: {}}]}
"""


def test_nf025_pass_with_nothing_below():
    """NF025 (ANP Pass: defer to NetworkPolicy, then Baseline, then default allow): with no
    NetworkPolicy or baseline for shop, the Pass is an Allow."""
    found = audit(PASS, "NF025")
    assert found and set(found[0].evidence["workloads"]) == {"shop/web", "shop/db"}


def test_nf025_quiet_when_a_networkpolicy_decides():
    """NF025: a NetworkPolicy selecting every pod of shop decides the passed traffic."""
    deny = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
"""
    assert audit(PASS + deny, "NF025") == []


def test_nf026_log_only_policy():
    """NF026 (Calico Log action: logs and continues): a policy of Log rules decides nothing;
    one with an Allow is not reported."""
    log = """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: audit, namespace: shop}
spec:
  ingress: [{action: Log}]
"""
    assert [f.resources[0].key for f in audit(log, "NF026")] == ["NetworkPolicy/shop/audit"]
    mixed = log.replace("[{action: Log}]", "[{action: Log}, {action: Allow}]")
    assert audit(mixed, "NF026") == []


def _anp(name: str, priority: int, selector: dict) -> str:
    doc = {
        "apiVersion": "policy.networking.k8s.io/v1alpha1",
        "kind": "AdminNetworkPolicy",
        "metadata": {"name": name},
        "spec": {
            "priority": priority,
            "subject": {"pods": {"namespaceSelector": {}, "podSelector": selector}},
            "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}],
        },
    }
    return yaml.safe_dump(doc)


def test_nf027_same_priority_overlapping_subjects():
    """NF027 (ANP priority: equal priorities over the same traffic are undefined): both
    select shop/web at priority 7."""
    text = _anp("a", 7, {}) + "---\n" + _anp("b", 7, {"matchLabels": {"app": "web"}})
    found = audit(text, "NF027")
    assert [tuple(r.key for r in f.resources) for f in found] == [
        ("AdminNetworkPolicy/a", "AdminNetworkPolicy/b")
    ]


def test_nf027_quiet_for_distinct_priorities_or_disjoint_subjects():
    """NF027: different priorities, or the same priority over different pods, are fine."""
    distinct = _anp("a", 7, {}) + "---\n" + _anp("b", 8, {})
    disjoint = (
        _anp("a", 7, {"matchLabels": {"app": "db"}})
        + "---\n"
        + _anp("b", 7, {"matchLabels": {"app": "web"}})
    )
    assert audit(distinct, "NF027") == []
    assert audit(disjoint, "NF027") == []


CALICO_NS_DENY = """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {selector: all(), types: [Ingress, Egress]}
"""


def test_nf001_counts_calico_and_admin_policies():
    """NF001 (CIS 5.3.2) over any policy family: a Calico NetworkPolicy in the namespace, a
    GlobalNetworkPolicy, or an AdminNetworkPolicy whose subject covers it all count."""
    assert audit(CALICO_NS_DENY, "NF001") == []
    gnp = (
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
        "metadata: {name: g}\nspec: {selector: app == 'x'}\n"
    )
    assert audit(gnp, "NF001") == []
    assert audit(_anp("a", 1, {}), "NF001") == []
    assert [f.resources[0].key for f in audit("", "NF001")] == ["Namespace/shop"]


def test_nf004_nf005_default_deny_from_calico_or_a_baseline():
    """NF004/NF005 over any family: a Calico NetworkPolicy selecting all() in a denying tier,
    or a cluster guardrail (BaselineAdminNetworkPolicy deny-all), is the default deny; a
    Calico policy selecting only some pods is not."""
    for check in ("NF004", "NF005"):
        assert audit(CALICO_NS_DENY, check) == []
        assert audit(BANP_DENY_ALL, check) == []
        partial = CALICO_NS_DENY.replace("selector: all()", "selector: app == 'web'")
        assert [f.resources[0].key for f in audit(partial, check)] == ["Namespace/shop"]


def test_nf028_host_endpoint_policies_are_reported_and_left_out():
    """NF028 (Calico GlobalNetworkPolicy preDNAT/doNotTrack apply to host endpoints only):
    such a policy is reported, and it does not restrict pods."""
    pre_dnat = """
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: nodeport-guard}
spec:
  selector: all()
  preDNAT: true
  applyOnForward: true
  types: [Ingress]
  ingress: [{action: Deny}]
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-eth0}
spec: {node: node1, interfaceName: eth0}
"""
    found = {f.resources[0].key: f for f in audit(pre_dnat, "NF028")}
    assert set(found) == {"GlobalNetworkPolicy/nodeport-guard", "Cluster/cluster"}
    assert found["GlobalNetworkPolicy/nodeport-guard"].evidence["flags"] == [
        "preDNAT",
        "applyOnForward",
    ]
    assert found["Cluster/cluster"].evidence["objects"] == {
        "HostEndpoint (projectcalico.org/v3)": 1
    }
    # The preDNAT policy governs host endpoints only: pods stay open.
    assert [k for f in audit(pre_dnat, "NF002") for k in concerned(f)] == [
        "Pod/shop/db",
        "Pod/shop/web",
    ]


def test_nf028_quiet_without_host_endpoint_objects():
    """NF028: ordinary Calico policies are evaluated and not reported."""
    assert audit(CALICO_NS_DENY, "NF028") == []


def test_nf024_locates_a_calico_rule_beside_a_kubernetes_policy_of_the_same_name():
    """NF024: a Calico NetworkPolicy and a Kubernetes NetworkPolicy may share namespace and
    name (they are different resources); the finding names the Calico one and its rule line."""
    text = """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  selector: app == 'db'
  ingress:
  - {action: Deny, protocol: TCP}
  - {action: Allow, protocol: TCP, destination: {ports: [5432]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: 8080}]}]
"""
    found = audit(text, "NF024")
    assert [f.evidence["policy"] for f in found] == ["CalicoNetworkPolicy/shop/p"]
    full = PODS + "---\n" + text
    line = full.splitlines().index(
        "  - {action: Allow, protocol: TCP, destination: {ports: [5432]}}"
    )
    assert found[0].resources[0].line == line + 1


# NF029: features the model drops ---------------------------------------------------------


def _calico_rule(rule: str, types: str = "Ingress") -> str:
    direction = types.lower()
    return f"""
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {{name: p, namespace: shop}}
spec:
  selector: app == 'web'
  types: [{types}]
  {direction}:
  - {rule}
"""


def test_nf029_calico_http_match():
    """NF029, Calico Rule `http` (HTTPMatch, application layer policy): not evaluated; an
    Allow with it is taken to admit the connection, so the map can only show more: info."""
    found = audit(_calico_rule("{action: Allow, protocol: TCP, http: {methods: [GET]}}"), "NF029")
    assert [f.evidence for f in found] == [
        {
            "policy": "CalicoNetworkPolicy/shop/p",
            "feature": "http",
            "path": "spec.ingress[0].http",
            "effect": found[0].evidence["effect"],
        }
    ]
    assert "HTTP match criteria" in found[0].evidence["effect"]
    assert found[0].effective_severity is Severity.INFO
    assert found[0].resources[0].key == "NetworkPolicy/shop/p"
    assert found[0].resources[0].line is not None


def test_nf029_calico_services_match_in_an_allow_is_medium():
    """NF029, Calico EntityRule `services` (a Kubernetes Service's endpoints): not resolved,
    so an Allow with it matches nothing here and the map may miss reachability: medium."""
    found = audit(
        _calico_rule(
            "{action: Allow, destination: {services: {name: db, namespace: shop}}}", "Egress"
        ),
        "NF029",
    )
    assert [(f.evidence["feature"], f.evidence["path"]) for f in found] == [
        ("services", "spec.egress[0].destination.services")
    ]
    assert found[0].effective_severity is Severity.MEDIUM


def test_nf029_calico_source_ports():
    """NF029, Calico EntityRule `ports` on the source side: the map holds whatever the
    ephemeral source port, so the rule is left out."""
    found = audit(_calico_rule("{action: Deny, protocol: TCP, source: {ports: [5000]}}"), "NF029")
    assert [(f.evidence["feature"], f.evidence["path"]) for f in found] == [
        ("source.ports", "spec.ingress[0].source")
    ]
    assert found[0].effective_severity is Severity.INFO


def test_nf029_admin_domain_names_peer():
    """NF029, AdminNetworkPolicy egress peer `domainNames` (network-policy-api v1alpha1,
    NPEP-133): not resolved without DNS answers, so an Allow to it matches nothing: medium."""
    anp = """
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: names}
spec:
  priority: 10
  subject: {namespaces: {}}
  egress:
  - {name: to-example, action: Allow, to: [{domainNames: ["example.com"]}]}
"""
    found = audit(anp, "NF029")
    assert [(f.evidence["policy"], f.evidence["path"]) for f in found] == [
        ("AdminNetworkPolicy/names", "spec.egress[0].to[0].domainNames")
    ]
    assert found[0].effective_severity is Severity.MEDIUM


def test_nf029_quiet_for_modeled_rules():
    """NF029: layer-4 Calico rules and ordinary admin peers use nothing dropped."""
    assert audit(_calico_rule("{action: Allow, protocol: TCP}"), "NF029") == []
    assert audit(BANP_DENY_ALL, "NF029") == []


def _calico(kind: str, name: str, namespace: str | None, order: float) -> str:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    doc = {
        "apiVersion": "projectcalico.org/v3",
        "kind": kind,
        "metadata": metadata,
        "spec": {
            "order": order,
            "selector": "app == 'web'",
            "ingress": [{"action": "Deny" if kind == "NetworkPolicy" else "Allow"}],
        },
    }
    return yaml.safe_dump(doc)


def test_nf027_calico_same_name_and_order_is_a_tie():
    """NF027 (Calico policy order: equal orders are ordered by name): a NetworkPolicy and a
    GlobalNetworkPolicy both called ``guard`` at order 10 over shop/web are tied on what the
    policies say; the finding names both and which one netfence evaluates first."""
    text = (
        _calico("NetworkPolicy", "guard", "shop", 10)
        + "---\n"
        + _calico("GlobalNetworkPolicy", "guard", None, 10)
    )
    found = audit(text, "NF027")
    assert len(found) == 1
    assert "CalicoNetworkPolicy/shop/guard first" in found[0].message
    other = (
        _calico("NetworkPolicy", "guard", "shop", 10)
        + "---\n"
        + _calico("GlobalNetworkPolicy", "guard2", None, 10)
    )
    assert audit(other, "NF027") == []


def test_ties_never_depend_on_file_order():
    """The verdict for tied policies is the same whatever order the files come in (ties are
    broken by kind, then namespace): here the Calico NetworkPolicy's Deny comes first."""
    from netfence.analyses.connectivity_map import Granularity, connectivity_map

    first = _calico("NetworkPolicy", "guard", "shop", 10)
    second = _calico("GlobalNetworkPolicy", "guard", None, 10)
    maps = []
    for text in (first + "---\n" + second, second + "---\n" + first):
        cluster = load_cluster_from_text(PODS + "---\n" + text)
        maps.append(connectivity_map(cluster, Granularity.POD).pairs())
    assert maps[0] == maps[1]

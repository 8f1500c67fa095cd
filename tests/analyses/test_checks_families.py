"""Checks over the compiled rules, for every policy family: Calico and the AdminNetworkPolicy
family, each both ways (NF006-NF009, NF017-NF019; NetworkPolicy cases are in the per-area
test modules).

References: Calico "Global network policy" / "Network policy" and "Rule" resource
definitions (docs.tigera.io, projectcalico.org/v3); network-policy-api AdminNetworkPolicy
v1alpha1 and ClusterNetworkPolicy v1alpha2 API reference (network-policy-api.sigs.k8s.io).
"""

from __future__ import annotations

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
kind: Namespace
metadata: {name: other}
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
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: other, labels: {app: client}}
status: {podIP: 10.244.1.7}
"""


def audit(extra: str, check: str):
    cluster = load_cluster_from_text(PODS + "---\n" + extra)
    return list(run_audit(cluster, select=[check]).findings)


def gnp(name: str, spec: str) -> str:
    return f"""
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {{name: {name}}}
spec:
{spec}"""


def anp(name: str, spec: str, priority: int = 10) -> str:
    return f"""
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {{name: {name}}}
spec:
  priority: {priority}
  subject: {{namespaces: {{matchLabels: {{team: shop}}}}}}
{spec}"""


# NF006 / NF007: allow-all rules ----------------------------------------------------------


def test_nf006_calico_allow_without_criteria_allows_all_ingress():
    """NF006, Calico Rule: a rule with only `action: Allow` (no protocol, source or
    destination) matches all traffic."""
    found = audit(gnp("open", "  selector: app == 'web'\n  ingress: [{action: Allow}]"), "NF006")
    assert [f.evidence for f in found] == [
        {
            "policy": "GlobalNetworkPolicy/open",
            "rule": "spec.ingress[0]",
            "peers": "all",
            "ports": "All",
        }
    ]
    assert found[0].resources[0].key == "GlobalNetworkPolicy/open"


def test_nf006_calico_allow_limited_by_protocol_or_nets_is_not_allow_all():
    """NF006, Calico Rule `protocol` and EntityRule `nets`: TCP only, or one /8 only, is a
    restriction."""
    tcp = gnp("tcp", "  selector: app == 'web'\n  ingress: [{action: Allow, protocol: TCP}]")
    nets = gnp(
        "nets",
        "  selector: app == 'web'\n  ingress: [{action: Allow, source: {nets: [10.0.0.0/8]}}]",
    )
    assert audit(tcp, "NF006") == []
    assert audit(nets, "NF006") == []


def test_nf006_calico_deny_everything_is_not_an_allow():
    """NF006, Calico Rule `action: Deny`: a rule matching all traffic that denies it opens
    nothing."""
    assert (
        audit(gnp("deny", "  selector: app == 'web'\n  ingress: [{action: Deny}]"), "NF006") == []
    )


def test_nf007_admin_allow_to_every_namespace_and_network():
    """NF007, AdminNetworkPolicy egress peers (`namespaces: {}` is every namespace,
    `networks: [0.0.0.0/0]` every IPv4 address) with no `ports`: every port; Allow is final."""
    spec = """  egress:
  - name: anywhere
    action: Allow
    to: [{namespaces: {}}, {networks: ["0.0.0.0/0"]}]"""
    found = audit(anp("open", spec), "NF007")
    assert [f.evidence["policy"] for f in found] == ["AdminNetworkPolicy/open"]
    assert found[0].evidence["rule"] == "spec.egress[0]"
    assert "spec.egress[0] (anywhere)" in found[0].message
    assert found[0].effective_severity is Severity.MEDIUM


def test_nf007_admin_allow_on_one_port_or_pass_is_not_allow_all():
    """NF007, AdminNetworkPolicy `ports` (one port is a restriction) and `action: Pass`
    (which defers to NetworkPolicy, allowing nothing itself)."""
    port = """  egress:
  - action: Allow
    to: [{namespaces: {}}, {networks: ["0.0.0.0/0"]}]
    ports: [{portNumber: {protocol: TCP, port: 443}}]"""
    passes = """  egress:
  - action: Pass
    to: [{namespaces: {}}, {networks: ["0.0.0.0/0"]}]"""
    assert audit(anp("port", port), "NF007") == []
    assert audit(anp("pass", passes), "NF007") == []


# NF008 / NF009: allowed_by names the rule of whichever family ------------------------------


def test_nf008_names_a_calico_rule_that_admits_the_internet():
    """NF008, Calico EntityRule `nets` (0.0.0.0/0) in a GlobalNetworkPolicy of the default
    tier (whose end denies what no rule allowed, so the pod is isolated for ingress)."""
    spec = """  selector: app == 'web'
  types: [Ingress]
  ingress: [{action: Allow, protocol: TCP, source: {nets: [0.0.0.0/0]}, destination: {ports: [443]}}]"""
    found = audit(gnp("from-internet", spec), "NF008")
    web = [f for f in found if "Pod/shop/web" in concerned(f)]
    assert len(web) == 1
    assert web[0].evidence["allowed_by"] == ["GlobalNetworkPolicy/from-internet spec.ingress[0]"]
    assert web[0].evidence["ports"] == "TCP 443"
    assert web[0].evidence["by_default"] is False


def test_nf009_names_an_admin_allow_and_not_a_shadowed_networkpolicy():
    """NF009, AdminNetworkPolicy precedence (an ANP Allow is final before NetworkPolicy is
    consulted): the ANP rule is named; the NetworkPolicy allowing the same decides nothing."""
    spec = """  egress:
  - {name: web-out, action: Allow, to: [{networks: ["0.0.0.0/0"]}], ports: [{portNumber: {protocol: TCP, port: 443}}]}"""
    np = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 443}]}]
"""
    found = audit(anp("egress", spec) + "\n---" + np, "NF009")
    web = [f for f in found if "Pod/shop/web" in concerned(f)]
    assert [f.evidence["allowed_by"] for f in web] == [
        ["AdminNetworkPolicy/egress spec.egress[0] (web-out)"]
    ]


def test_nf009_names_a_calico_pass_whose_traffic_no_later_tier_decides():
    """NF009, Calico Tier and `action: Pass` (skip to the next tier; with no later policy
    selecting the pod, the profile allows): the Pass rule is named, and by_default is set."""
    spec = """  tier: security
  selector: all()
  types: [Egress]
  egress:
  - {action: Deny, destination: {nets: [169.254.169.254/32]}}
  - {action: Pass}"""
    tier = """
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---"""
    found = audit(tier + gnp("security.platform", spec), "NF009")
    web = [f for f in found if "Pod/shop/web" in concerned(f)]
    assert len(web) == 1
    assert web[0].evidence["allowed_by"] == []
    assert web[0].evidence["passed_by"] == ["GlobalNetworkPolicy/platform spec.egress[1]"]
    assert web[0].evidence["by_default"] is True
    # The Pass rule is what lets the traffic out: the finding is on it, for every pod it passes.
    assert web[0].cause is not None
    assert web[0].cause.key == "GlobalNetworkPolicy/platform spec.egress[1]"
    assert "GlobalNetworkPolicy/platform spec.egress[1] lets 3 workloads" in web[0].message


def test_nf009_quiet_when_calico_allows_one_range_only():
    """NF009, Calico EntityRule `nets`: egress to one public /24 is bounded."""
    spec = """  selector: app == 'web'
  types: [Egress]
  egress: [{action: Allow, destination: {nets: [203.0.113.0/24]}}]"""
    assert [
        f for f in audit(gnp("bounded", spec), "NF009") if any("web" in k for k in concerned(f))
    ] == []


# NF017: policies that select nothing -----------------------------------------------------


def test_nf017_calico_selector_with_a_typo():
    """NF017, Calico NetworkPolicy `selector` (evaluated on the pods of its namespace):
    app == 'wbe' selects nothing; app == 'web' does."""
    text = """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: typo, namespace: shop}
spec: {selector: app == 'wbe', ingress: [{action: Allow}]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: ok, namespace: shop}
spec: {selector: app == 'web', ingress: [{action: Allow}]}
"""
    found = audit(text, "NF017")
    assert [f.evidence for f in found] == [
        {
            "policy": "CalicoNetworkPolicy/shop/typo",
            "podSelector": None,
            "selector": "app == 'wbe'",
            "field": "spec.selector",
        }
    ]
    assert found[0].resources[0].key == "NetworkPolicy/shop/typo"


def test_nf017_admin_subject_matching_no_namespace():
    """NF017, AdminNetworkPolicy `subject.namespaces` (a label selector over namespaces):
    team=shpo matches none; team=shop does."""
    rule = "  ingress: [{action: Deny, from: [{namespaces: {}}]}]"
    bad = anp("typo", rule).replace("team: shop", "team: shpo")
    found = audit(bad + "\n---" + anp("ok", rule, priority=20), "NF017")
    assert [f.evidence["policy"] for f in found] == ["AdminNetworkPolicy/typo"]
    assert found[0].evidence["field"] == "spec.subject"
    assert found[0].evidence["selector"] == "namespaces: team=shpo"


# NF018: peers that match nothing ---------------------------------------------------------


def test_nf018_calico_source_selector_with_a_typo():
    """NF018, Calico EntityRule `selector` (in a namespaced policy, pods of its namespace):
    app == 'dbb' matches no pod, so the rule matches nothing; app == 'db' matches."""
    text = """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  selector: app == 'web'
  ingress:
  - {action: Allow, source: {selector: app == 'dbb'}}
  - {action: Allow, source: {selector: app == 'db'}}
"""
    found = audit(text, "NF018")
    assert [f.detail_key for f in found] == ["spec.ingress[0].source"]
    assert found[0].evidence == {
        "policy": "CalicoNetworkPolicy/shop/p",
        "peer": "spec.ingress[0].source",
        "namespaceSelector": None,
        "podSelector": "app == 'dbb'",
    }


def test_nf018_calico_services_match_is_left_to_nf029():
    """NF018 / NF029, Calico EntityRule `services` (not modeled: matches nothing here): not
    a typo, so NF018 stays quiet and NF029 reports it."""
    text = """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  selector: app == 'web'
  types: [Egress]
  egress: [{action: Allow, destination: {services: {name: db, namespace: shop}}}]
"""
    assert audit(text, "NF018") == []
    assert [f.evidence["feature"] for f in audit(text, "NF029")] == ["services"]


def test_nf018_admin_pods_peer_with_a_typo_but_not_a_domain_names_peer():
    """NF018, AdminNetworkPolicy `pods` peer (namespaceSelector and podSelector AND-ed):
    app=clinet matches none; a `domainNames` peer (not modeled) is NF029's."""
    spec = """  egress:
  - action: Allow
    to:
    - pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: clinet}}}
    - pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: client}}}"""
    found = audit(anp("p", spec), "NF018")
    assert [f.detail_key for f in found] == ["spec.egress[0].to[0]"]
    assert found[0].evidence["podSelector"] == "app=clinet"
    domains = """  egress:
  - {action: Allow, to: [{domainNames: ["example.com"]}]}"""
    cnp = f"""
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {{name: names}}
spec:
  tier: Admin
  priority: 5
  subject: {{namespaces: {{}}}}
{domains.replace("Allow", "Accept")}"""
    assert audit(cnp, "NF018") == []


# NF019: named ports that resolve nowhere -------------------------------------------------


def test_nf019_calico_named_port_the_destination_does_not_declare():
    """NF019, Calico Rule destination `ports` (a name resolves on the destination endpoint's
    named ports, with the rule's protocol): web declares http, not https."""
    text = """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  selector: app == 'web'
  ingress:
  - {action: Allow, protocol: TCP, destination: {ports: [https]}}
  - {action: Allow, protocol: TCP, destination: {ports: [http]}}
"""
    found = audit(text, "NF019")
    assert [f.detail_key for f in found] == ["spec.ingress[0].destination.ports"]
    assert found[0].evidence == {
        "policy": "CalicoNetworkPolicy/shop/p",
        "port": "https/TCP",
        "destinations": 1,
    }


def test_nf019_admin_named_port_resolves_by_name_whatever_the_protocol():
    """NF019, AdminNetworkPolicy `ports[].namedPort` (matches the container port of that
    name): http resolves on web; htp resolves nowhere."""
    spec = """  ingress:
  - action: Deny
    from: [{namespaces: {}}]
    ports: [{namedPort: htp}, {namedPort: http}]"""
    found = audit(anp("p", spec), "NF019")
    assert [f.detail_key for f in found] == ["spec.ingress[0].ports[0]"]
    assert found[0].evidence["port"] == "htp"
    assert "(any protocol)" in found[0].message


# NF021: Allow rules covered by the Allows next to them -----------------------------------

CALICO_RUN = """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  selector: app == 'db'
  ingress:
  - {action: Allow, protocol: TCP, destination: {ports: [5432]}, source: {selector: app == 'web'}}
  - {action: Allow, protocol: TCP, destination: {ports: ['5000:6000']}}
"""


def _connectivity(extra: str):
    from tests.conformance.helpers import connectivity

    return connectivity(PODS + "---\n" + extra)


def test_nf021_calico_allow_inside_the_next_allow_is_redundant():
    """NF021, Calico Rule order (first match decides) with two Allows in a row: they commute,
    so web on 5432 inside any source on 5000-6000 is redundant; removing it changes no
    verdict."""
    found = audit(CALICO_RUN, "NF021")
    assert [(f.evidence["policy"], f.evidence["rule"]) for f in found] == [
        ("CalicoNetworkPolicy/shop/p", "spec.ingress[0]")
    ]
    without = CALICO_RUN.replace(
        "  - {action: Allow, protocol: TCP, destination: {ports: [5432]}, "
        "source: {selector: app == 'web'}}\n",
        "",
    )
    assert _connectivity(without) == _connectivity(CALICO_RUN)


def test_nf021_calico_deny_between_ends_the_run():
    """NF021, Calico Rule order: a Deny between the two Allows decides first for what it
    matches, so the first Allow is not covered by the later one (NF024's question)."""
    split = CALICO_RUN.replace(
        "  - {action: Allow, protocol: TCP, destination: {ports: ['5000:6000']}}",
        "  - {action: Deny, protocol: TCP, destination: {ports: [5432]}}\n"
        "  - {action: Allow, protocol: TCP, destination: {ports: ['5000:6000']}}",
    )
    assert audit(split, "NF021") == []


def test_nf021_admin_allow_covered_by_another_policy_of_the_tier():
    """NF021, AdminNetworkPolicy priority order with Allows only between them: an Allow from
    namespace other is covered by a later policy's Allow from every namespace."""
    narrow = """  ingress:
  - {action: Allow, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: other}}}]}"""
    wide = """  ingress:
  - {action: Allow, from: [{namespaces: {}}]}"""
    text = anp("narrow", narrow, priority=10) + "\n---" + anp("wide", wide, priority=20)
    found = audit(text, "NF021")
    assert [f.evidence["policy"] for f in found] == ["AdminNetworkPolicy/narrow"]
    assert _connectivity(anp("wide", wide, priority=20)) == _connectivity(text)


def test_nf021_admin_pass_between_keeps_both():
    """NF021, AdminNetworkPolicy Pass (skips to NetworkPolicy for what it matches): a Pass
    between the Allows ends the run, so neither is redundant."""
    narrow = """  ingress:
  - {action: Allow, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: other}}}]}"""
    middle = """  ingress:
  - {action: Pass, from: [{namespaces: {}}]}"""
    wide = """  ingress:
  - {action: Allow, from: [{namespaces: {}}]}"""
    text = "\n---".join(
        (anp("narrow", narrow, 10), anp("middle", middle, 15), anp("wide", wide, 20))
    )
    assert audit(text, "NF021") == []

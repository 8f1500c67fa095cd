"""Parsing AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy objects.

Requirement: every form the CRDs of policy.networking.k8s.io accept (v1alpha1 ANP and BANP,
v1alpha2 CNP) is read into the model with the API server's defaults, and every object the
CRD validation refuses is refused with one InputError naming the file, document, line and the
field path of the offending value.

Error cases mark the offending line with a ``# <-`` comment; the helper checks the exact
``FILE: document N, line L: FIELD: `` prefix.
"""

from __future__ import annotations

import textwrap

import pytest

from netfence.errors import InputError, Location
from netfence.model.adminpolicy import (
    AdminNetworkPolicy,
    AdminPeer,
    AdminPeerKind,
    AdminPort,
    AdminSubject,
    AdminTier,
)
from netfence.model.layers import Action
from netfence.model.selectors import LabelSelector, Operator, Requirement
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.fields import Field
from netfence.sources.k8s_adminpolicy import ADMIN_KINDS, parse_admin_policy
from netfence.sources.yamldocs import parse_documents

FILE = "admin.yaml"
MARK = "# <-"
V1A1 = "policy.networking.k8s.io/v1alpha1"
V1A2 = "policy.networking.k8s.io/v1alpha2"


def manifest(api_version: str, kind: str, name: str, spec: str) -> str:
    """One object of ``kind`` named ``name`` whose spec is the (dedented) block ``spec``."""
    head = f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n"
    return head + textwrap.indent(textwrap.dedent(spec), "  ")


def anp(spec: str, name: str = "guard") -> str:
    """An AdminNetworkPolicy (v1alpha1) with this spec."""
    return manifest(V1A1, "AdminNetworkPolicy", name, spec)


def banp(spec: str, name: str = "default") -> str:
    """A BaselineAdminNetworkPolicy (v1alpha1) with this spec."""
    return manifest(V1A1, "BaselineAdminNetworkPolicy", name, spec)


def cnp(spec: str, name: str = "guard") -> str:
    """A ClusterNetworkPolicy (v1alpha2) with this spec."""
    return manifest(V1A2, "ClusterNetworkPolicy", name, spec)


ANP_HEAD = "priority: 10\nsubject:\n  namespaces: {}\n"
CNP_HEAD = "tier: Admin\npriority: 10\nsubject:\n  namespaces: {}\n"


def anp_rule(direction: str, rule: str) -> str:
    """An ANP with one rule (block YAML lines, first line without the dash) in ``direction``."""
    body = textwrap.indent(textwrap.dedent(rule), "    ")
    return anp(ANP_HEAD + f"{direction}:\n  - " + body.lstrip())


def banp_rule(direction: str, rule: str) -> str:
    """The BANP ``default`` with one rule in ``direction``."""
    body = textwrap.indent(textwrap.dedent(rule), "    ")
    return banp("subject:\n  namespaces: {}\n" + f"{direction}:\n  - " + body.lstrip())


def cnp_rule(direction: str, rule: str, tier: str = "Admin") -> str:
    """A CNP of ``tier`` with one rule in ``direction``."""
    body = textwrap.indent(textwrap.dedent(rule), "    ")
    head = CNP_HEAD.replace("Admin", tier)
    return cnp(head + f"{direction}:\n  - " + body.lstrip())


def load(text: str) -> AdminNetworkPolicy:
    """Parse the first document of ``text`` as the manifest reader would hand it over."""
    doc = next(parse_documents(text, FILE))
    obj = Field.root(doc)
    api_version = obj.require("apiVersion").string()
    kind = obj.require("kind").string()
    name = obj.require("metadata").require("name").string()
    return parse_admin_policy(obj, api_version, kind, name)


def line_of(text: str, marker: str = MARK) -> int:
    """1-based line of the only line of ``text`` containing ``marker``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if marker in line]
    assert len(hits) == 1, f"marker {marker!r} found on lines {hits}"
    return hits[0]


def assert_error(text: str, field: str, fragment: str) -> InputError:
    """Parsing fails with one InputError at the marked line, naming ``field``."""
    with pytest.raises(InputError) as caught:
        load(text)
    err = caught.value
    prefix = f"{FILE}: document 1, line {line_of(text)}: {field}: "
    message = str(err)
    assert message.startswith(prefix), f"{message!r} does not start with {prefix!r}"
    assert fragment in message, f"{fragment!r} not in {message!r}"
    assert err.field == field
    return err


def labels(**pairs: str) -> LabelSelector:
    """The selector ``matchLabels: pairs``."""
    return LabelSelector.create([Requirement(k, Operator.IN, (v,)) for k, v in pairs.items()])


def at(line: int) -> Location:
    """A location in the test file's first document."""
    return Location(FILE, 1, line)


# --- accepted forms -----------------------------------------------------------------------------


def test_admin_kinds_lists_the_three_kinds_by_api_version():
    """ADMIN_KINDS: ANP and BANP in v1alpha1, ClusterNetworkPolicy in v1alpha2, nothing else."""
    assert ADMIN_KINDS == {
        (V1A1, "AdminNetworkPolicy"): "AdminNetworkPolicy",
        (V1A1, "BaselineAdminNetworkPolicy"): "BaselineAdminNetworkPolicy",
        (V1A2, "ClusterNetworkPolicy"): "ClusterNetworkPolicy",
    }


def test_anp_full_policy_every_ingress_peer_and_port_form():
    """AdminNetworkPolicy spec.priority, subject.namespaces, ingress from namespaces/pods,
    ports portNumber (protocol defaults to TCP), portRange and namedPort, rule name."""
    text = anp(
        """\
        priority: 7
        subject:
          namespaces:
            matchLabels: {env: prod}
        ingress:
          - name: from-monitoring
            action: Allow
            from:
              - namespaces:  # peer-1
                  matchLabels: {team: monitoring}
              - pods:  # peer-2
                  namespaceSelector: {}
                  podSelector:
                    matchLabels: {app: scraper}
            ports:
              - portNumber: {port: 9090}
              - portRange: {protocol: UDP, start: 5000, end: 5010}
              - namedPort: metrics
          - action: Deny
            from:
              - namespaces: {}
          - action: Pass
            from:
              - namespaces: {}
        """
    )
    policy = load(text)
    assert policy.kind == "AdminNetworkPolicy"
    assert policy.name == "guard"
    assert policy.key == "AdminNetworkPolicy/guard"
    assert policy.tier is AdminTier.ADMIN
    assert policy.priority == 7
    assert policy.subject == AdminSubject(labels(env="prod"), None, at(7))
    assert policy.location == at(1)
    assert policy.egress == ()
    allow, deny, passed = policy.ingress
    assert allow.name == "from-monitoring"
    assert allow.action is Action.ALLOW
    assert allow.location == at(line_of(text, "from-monitoring"))
    assert allow.peers == (
        AdminPeer(
            AdminPeerKind.NAMESPACES,
            namespace_selector=labels(team="monitoring"),
            location=at(line_of(text, "# peer-1")),
        ),
        AdminPeer(
            AdminPeerKind.PODS,
            namespace_selector=LabelSelector(),
            pod_selector=labels(app="scraper"),
            location=at(line_of(text, "# peer-2")),
        ),
    )
    assert allow.ports == (
        AdminPort("TCP", 9090, 9090, location=at(line_of(text, "portNumber"))),
        AdminPort("UDP", 5000, 5010, location=at(line_of(text, "portRange"))),
        AdminPort(None, named="metrics", location=at(line_of(text, "namedPort"))),
    )
    assert [str(p) for p in allow.ports] == ["TCP 9090", "UDP 5000-5010", "named port metrics"]
    assert (deny.action, deny.name, deny.ports) == (Action.DENY, "", None)
    assert passed.action is Action.PASS


def test_anp_egress_every_peer_form():
    """AdminNetworkPolicy egress to namespaces, pods, nodes, networks and domainNames (Allow)."""
    text = anp(
        """\
        priority: 0
        subject:
          pods:
            namespaceSelector:
              matchLabels: {env: prod}
            podSelector: {}
        egress:
          - action: Allow
            to:
              - namespaces: {}
              - pods:
                  namespaceSelector: {}
                  podSelector: {matchLabels: {app: db}}
              - nodes:
                  matchExpressions:
                    - {key: node-role.kubernetes.io/control-plane, operator: Exists}
              - networks: [10.1.2.3/8, "192.168.0.0/24", "fd00::1/64"]
              - domainNames: ["api.example.com", "*.Example.ORG."]
            ports:
              - portNumber: {protocol: TCP, port: 443}
        """
    )
    policy = load(text)
    assert policy.priority == 0
    assert policy.subject.namespace_selector == labels(env="prod")
    assert policy.subject.pod_selector == LabelSelector()
    (rule,) = policy.egress
    kinds = [p.kind for p in rule.peers]
    assert kinds == ["namespaces", "pods", "nodes", "networks", "domainNames"]
    namespaces, pods, nodes, networks, domains = rule.peers
    assert namespaces.namespace_selector == LabelSelector() and namespaces.pod_selector is None
    assert pods.pod_selector == labels(app="db")
    assert nodes.node_selector == LabelSelector.create(
        [Requirement("node-role.kubernetes.io/control-plane", Operator.EXISTS)]
    )
    # Host bits are cleared; addresses is the union of the CIDRs.
    assert networks.networks == ("10.0.0.0/8", "192.168.0.0/24", "fd00::/64")
    assert networks.addresses == IPRangeSet.from_cidrs(
        ["10.0.0.0/8", "192.168.0.0/24", "fd00::/64"]
    )
    assert networks.addresses.contains("10.200.0.1")
    assert not networks.addresses.contains("192.168.1.1")
    assert networks.location == at(line_of(text, "networks:"))
    # Domain names are lower-cased and lose a trailing dot; the wildcard stays.
    assert domains.domains == ("api.example.com", "*.example.org")
    assert domains.addresses == IPRangeSet()
    assert rule.ports == (AdminPort("TCP", 443, 443, location=at(line_of(text, "portNumber"))),)


def test_anp_without_rules_affects_nothing():
    """AdminNetworkPolicy spec.ingress and spec.egress are optional: empty tuples when absent."""
    policy = load(anp(ANP_HEAD))
    assert (policy.ingress, policy.egress) == ((), ())


def test_anp_priority_bounds_are_inclusive():
    """AdminNetworkPolicy spec.priority: 0 and 1000 are both valid (Minimum=0, Maximum=1000)."""
    assert load(anp(ANP_HEAD.replace("10", "0"))).priority == 0
    assert load(anp(ANP_HEAD.replace("10", "1000"))).priority == 1000


def test_rule_name_of_100_characters_is_accepted():
    """Rule name: MaxLength=100 is inclusive."""
    policy = load(
        anp_rule("ingress", f"name: {'n' * 100}\naction: Allow\nfrom: [{{namespaces: {{}}}}]")
    )
    assert policy.ingress[0].name == "n" * 100


def test_banp_is_baseline_tier_singleton():
    """BaselineAdminNetworkPolicy: tier Baseline, priority 0, Allow/Deny, networks and nodes."""
    text = banp(
        """\
        subject:
          namespaces: {}
        ingress:
          - action: Deny
            from:
              - namespaces: {}
        egress:
          - name: allow-dns
            action: Allow
            to:
              - pods:
                  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
                  podSelector: {matchLabels: {k8s-app: kube-dns}}
            ports:
              - portNumber: {protocol: UDP, port: 53}
          - action: Deny
            to:
              - networks: ["0.0.0.0/0", "::/0"]
              - nodes: {}
        """
    )
    policy = load(text)
    assert policy.kind == "BaselineAdminNetworkPolicy"
    assert policy.key == "BaselineAdminNetworkPolicy/default"
    assert (policy.tier, policy.priority) == (AdminTier.BASELINE, 0)
    assert policy.subject == AdminSubject(LabelSelector(), None, at(6))
    assert [r.action for r in policy.ingress] == [Action.DENY]
    dns, deny_all = policy.egress
    assert dns.action is Action.ALLOW
    assert dns.ports == (AdminPort("UDP", 53, 53, location=at(line_of(text, "port: 53"))),)
    assert deny_all.peers[0].addresses == IPRangeSet.everything()
    assert deny_all.peers[1].node_selector == LabelSelector()


def test_cnp_admin_tier_actions_and_every_protocols_form():
    """ClusterNetworkPolicy spec.tier Admin; Accept is stored as ALLOW; protocols entries
    tcp/udp/sctp with destinationPort number or range, and destinationNamedPort."""
    text = cnp(
        """\
        tier: Admin
        priority: 1000
        subject:
          pods:
            namespaceSelector: {matchLabels: {env: prod}}
            podSelector: {matchLabels: {app: web}}
        ingress:
          - name: accept-web
            action: Accept
            from:
              - namespaces: {matchLabels: {team: edge}}
            protocols:
              - tcp:
                  destinationPort:
                    number: 8080
              - udp: {destinationPort: {range: {start: 30000, end: 32767}}}
              - sctp: {destinationPort: {number: 9}}
              - destinationNamedPort: http
          - action: Deny
            from:
              - pods: {namespaceSelector: {}, podSelector: {}}
          - action: Pass
            from:
              - namespaces: {}
        """
    )
    policy = load(text)
    assert policy.kind == "ClusterNetworkPolicy"
    assert policy.key == "ClusterNetworkPolicy/guard"
    assert (policy.tier, policy.priority) == (AdminTier.ADMIN, 1000)
    assert policy.subject.pod_selector == labels(app="web")
    accept, deny, passed = policy.ingress
    assert [accept.action, deny.action, passed.action] == [Action.ALLOW, Action.DENY, Action.PASS]
    assert accept.name == "accept-web"
    assert accept.ports == (
        AdminPort("TCP", 8080, 8080, location=at(line_of(text, "- tcp:"))),
        AdminPort("UDP", 30000, 32767, location=at(line_of(text, "- udp:"))),
        AdminPort("SCTP", 9, 9, location=at(line_of(text, "- sctp:"))),
        AdminPort(None, named="http", location=at(line_of(text, "destinationNamedPort"))),
    )
    assert deny.ports is None


def test_cnp_baseline_tier_with_pass_and_domain_names():
    """ClusterNetworkPolicy spec.tier Baseline: Pass is valid and domainNames peers are allowed
    in Accept rules (unlike a BANP); pods.namespaceSelector is optional in v1alpha2 (all)."""
    text = cnp(
        """\
        tier: Baseline
        priority: 3
        subject:
          namespaces: {}
        egress:
          - action: Accept
            to:
              - domainNames: ["*.blob.core.windows.net"]
              - pods:
                  podSelector: {matchLabels: {app: proxy}}
              - nodes: {matchLabels: {pool: system}}
              - networks: ["20.0.0.0/8"]
            protocols:
              - tcp: {destinationPort: {number: 443}}
          - action: Pass
            to:
              - namespaces: {}
        """
    )
    policy = load(text)
    assert (policy.tier, policy.priority) == (AdminTier.BASELINE, 3)
    accept, passed = policy.egress
    assert accept.action is Action.ALLOW and passed.action is Action.PASS
    domains, pods, nodes, networks = accept.peers
    assert domains.domains == ("*.blob.core.windows.net",)
    assert pods.namespace_selector == LabelSelector()
    assert pods.pod_selector == labels(app="proxy")
    assert nodes.node_selector == labels(pool="system")
    assert networks.networks == ("20.0.0.0/8",)


# --- validation: the object as a whole ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        pytest.param(
            anp("priority: -1  # <-\nsubject: {namespaces: {}}\n"),
            "spec.priority",
            "priority -1 is outside 0-1000",
            id="anp-priority-below-0",
        ),
        pytest.param(
            anp("priority: 1001  # <-\nsubject: {namespaces: {}}\n"),
            "spec.priority",
            "priority 1001 is outside 0-1000",
            id="anp-priority-above-1000",
        ),
        pytest.param(
            anp("priority: '5'  # <-\nsubject: {namespaces: {}}\n"),
            "spec.priority",
            "expected an integer",
            id="anp-priority-not-integer",
        ),
        pytest.param(
            anp("subject: {namespaces: {}}\n").replace("spec:", "spec:  # <-"),
            "spec.priority",
            "required",
            id="anp-priority-required",
        ),
        pytest.param(
            cnp("tier: Admin\npriority: 2000  # <-\nsubject: {namespaces: {}}\n"),
            "spec.priority",
            "priority 2000 is outside 0-1000",
            id="cnp-priority-above-1000",
        ),
        pytest.param(
            cnp("tier: Cluster  # <-\npriority: 1\nsubject: {namespaces: {}}\n"),
            "spec.tier",
            "unknown tier 'Cluster' (expected Admin or Baseline)",
            id="cnp-tier-enum",
        ),
        pytest.param(
            cnp("priority: 1\nsubject: {namespaces: {}}\n").replace("spec:", "spec:  # <-"),
            "spec.tier",
            "required",
            id="cnp-tier-required",
        ),
        pytest.param(
            banp("subject: {namespaces: {}}\n", name="strict").replace(
                "name: strict", "name: strict  # <-"
            ),
            "metadata.name",
            "must be named 'default', not 'strict'",
            id="banp-name-must-be-default",
        ),
    ],
)
def test_policy_level_validation(text, field, fragment):
    """spec.priority 0-1000 (ANP, CNP), required; CNP spec.tier Admin|Baseline, required;
    BANP metadata.name must be "default"."""
    assert_error(text, field, fragment)


def test_spec_required_error_points_at_the_object():
    """spec is required: the error names the field ``spec`` at the object's first line."""
    text = manifest(V1A1, "AdminNetworkPolicy", "x", "").replace("spec:\n", "")
    with pytest.raises(InputError) as caught:
        load(text)
    assert str(caught.value) == f"{FILE}: document 1, line 1: spec: required"


def test_unsupported_api_version_and_kind_pair_is_refused():
    """(apiVersion, kind) must be one of ADMIN_KINDS: no ClusterNetworkPolicy in v1alpha1."""
    text = manifest(V1A1, "ClusterNetworkPolicy", "x", CNP_HEAD)
    text = text.replace(V1A1, f"{V1A1}  {MARK}")
    assert_error(text, "apiVersion", "ClusterNetworkPolicy is not a kind of " + V1A1)


# --- validation: subject ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        pytest.param(
            anp("priority: 1\nsubject:  # <-\n  unknown: {}\n"),
            "spec.subject",
            "a subject needs exactly one of namespaces, pods (none given; unknown field 'unknown')",
            id="none",
        ),
        pytest.param(
            anp(
                "priority: 1\nsubject:\n  namespaces: {}\n"
                "  pods: {namespaceSelector: {}, podSelector: {}}  # <-\n"
            ),
            "spec.subject.pods",
            "a subject takes exactly one of namespaces, pods; namespaces and pods are both set",
            id="both",
        ),
        pytest.param(
            anp("priority: 1\n").replace("spec:", "spec:  # <-"),
            "spec.subject",
            "required",
            id="required",
        ),
        pytest.param(
            anp("priority: 1\nsubject:\n  pods:  # <-\n    podSelector: {}\n"),
            "spec.subject.pods.namespaceSelector",
            "required",
            id="v1alpha1-pods-namespaceSelector-required",
        ),
        pytest.param(
            anp("priority: 1\nsubject:\n  pods:  # <-\n    namespaceSelector: {}\n"),
            "spec.subject.pods.podSelector",
            "required",
            id="v1alpha1-pods-podSelector-required",
        ),
        pytest.param(
            cnp("tier: Admin\npriority: 1\nsubject:\n  pods:  # <-\n    namespaceSelector: {}\n"),
            "spec.subject.pods.podSelector",
            "required",
            id="v1alpha2-pods-podSelector-required",
        ),
        pytest.param(
            anp(
                "priority: 1\nsubject:\n  namespaces:\n    matchExpressions:\n"
                "      - {key: a, operator: Near}  # <-\n"
            ),
            "spec.subject.namespaces.matchExpressions[0].operator",
            "unknown operator 'Near'",
            id="label-selector-validated",
        ),
    ],
)
def test_subject_validation(text, field, fragment):
    """spec.subject: exactly one of namespaces or pods (MinProperties=MaxProperties=1);
    pods needs namespaceSelector (v1alpha1 only) and podSelector; selectors are validated."""
    assert_error(text, field, fragment)


# --- validation: peers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        pytest.param(
            anp_rule("ingress", "action: Allow\nfrom:\n  - ipBlock: {cidr: 10.0.0.0/8}  # <-"),
            "spec.ingress[0].from[0]",
            "a peer needs exactly one of namespaces, pods (none given; unknown field 'ipBlock')",
            id="ingress-peer-none",
        ),
        pytest.param(
            anp_rule(
                "egress",
                "action: Allow\nto:\n  - namespaces: {}\n    nodes: {}  # <-",
            ),
            "spec.egress[0].to[0].nodes",
            "a peer takes exactly one of namespaces, pods, networks, nodes, domainNames;"
            " namespaces and nodes are both set",
            id="egress-peer-two-forms",
        ),
        pytest.param(
            anp_rule("ingress", "action: Allow\nfrom:\n  - networks: [10.0.0.0/8]  # <-"),
            "spec.ingress[0].from[0].networks",
            "networks peers are only allowed in egress rules",
            id="anp-ingress-networks",
        ),
        pytest.param(
            anp_rule("ingress", "action: Deny\nfrom:\n  - nodes: {}  # <-"),
            "spec.ingress[0].from[0].nodes",
            "nodes peers are only allowed in egress rules",
            id="anp-ingress-nodes",
        ),
        pytest.param(
            cnp_rule("ingress", "action: Accept\nfrom:\n  - domainNames: [a.example]  # <-"),
            "spec.ingress[0].from[0].domainNames",
            "domainNames peers are only allowed in egress rules",
            id="cnp-ingress-domainNames",
        ),
        pytest.param(
            banp_rule("egress", "action: Allow\nto:\n  - domainNames: [a.example]  # <-"),
            "spec.egress[0].to[0].domainNames",
            "domainNames peers are not supported by BaselineAdminNetworkPolicy",
            id="banp-egress-domainNames",
        ),
        pytest.param(
            anp_rule("egress", "action: Deny\nto:\n  - domainNames: [a.example]  # <-"),
            "spec.egress[0].to[0]",
            "domainNames peers are only allowed in Allow rules, not Deny",
            id="anp-domainNames-deny",
        ),
        pytest.param(
            anp_rule("egress", "action: Pass\nto:\n  - domainNames: [a.example]  # <-"),
            "spec.egress[0].to[0]",
            "domainNames peers are only allowed in Allow rules, not Pass",
            id="anp-domainNames-pass",
        ),
        pytest.param(
            cnp_rule("egress", "action: Deny\nto:\n  - domainNames: [a.example]  # <-"),
            "spec.egress[0].to[0]",
            "domainNames peers are only allowed in Accept rules, not Deny",
            id="cnp-domainNames-deny",
        ),
        pytest.param(
            anp_rule(
                "egress",
                "action: Allow\nto:\n  - pods:  # <-\n      namespaceSelector: {}",
            ),
            "spec.egress[0].to[0].pods.podSelector",
            "required",
            id="pods-peer-podSelector-required",
        ),
        pytest.param(
            anp_rule("ingress", "action: Allow\nfrom: []  # <-"),
            "spec.ingress[0].from",
            "must not be empty: at least 1 of the peers is required",
            id="from-min-items-1",
        ),
        pytest.param(
            anp_rule("egress", "action: Allow  # <-"),
            "spec.egress[0].to",
            "required",
            id="to-required",
        ),
    ],
)
def test_peer_validation(text, field, fragment):
    """Peers: exactly one form (MinProperties=MaxProperties=1); ingress peers namespaces/pods
    only; BANP has no domainNames; domainNames only in ANP Allow / CNP Accept rules; pods needs
    podSelector; from/to required with at least one peer."""
    assert_error(text, field, fragment)


# --- validation: actions and rule names ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        pytest.param(
            anp_rule("ingress", "action: Accept  # <-\nfrom: [{namespaces: {}}]"),
            "spec.ingress[0].action",
            "unknown action 'Accept' for AdminNetworkPolicy (expected Allow, Deny or Pass)",
            id="anp-accept",
        ),
        pytest.param(
            banp_rule("egress", "action: Pass  # <-\nto: [{namespaces: {}}]"),
            "spec.egress[0].action",
            "unknown action 'Pass' for BaselineAdminNetworkPolicy (expected Allow or Deny",
            id="banp-pass",
        ),
        pytest.param(
            cnp_rule("ingress", "action: Allow  # <-\nfrom: [{namespaces: {}}]"),
            "spec.ingress[0].action",
            "unknown action 'Allow' for ClusterNetworkPolicy (expected Accept, Deny or Pass;"
            " v1alpha2 renamed Allow to Accept)",
            id="cnp-allow",
        ),
        pytest.param(
            cnp_rule("ingress", "action: deny  # <-\nfrom: [{namespaces: {}}]"),
            "spec.ingress[0].action",
            "unknown action 'deny'",
            id="case-sensitive",
        ),
        pytest.param(
            anp_rule("ingress", "name: x  # <-\nfrom: [{namespaces: {}}]"),
            "spec.ingress[0].action",
            "required",
            id="action-required",
        ),
        pytest.param(
            anp_rule(
                "ingress", f"name: {'n' * 101}  # <-\naction: Allow\nfrom: [{{namespaces: {{}}}}]"
            ),
            "spec.ingress[0].name",
            "a rule name is at most 100 characters, got 101",
            id="rule-name-max-100",
        ),
    ],
)
def test_action_and_name_validation(text, field, fragment):
    """Rule action enums (ANP Allow|Deny|Pass, BANP Allow|Deny, CNP Accept|Deny|Pass), action
    required, rule name MaxLength=100."""
    assert_error(text, field, fragment)


# --- validation: v1alpha1 ports -----------------------------------------------------------------


def anp_ports(entries: str, peer: str = "namespaces: {}") -> str:
    """An ANP ingress rule (egress when ``peer`` is an egress form) with these port entries."""
    direction, key = (
        ("ingress", "from") if peer.startswith(("namespaces", "pods")) else ("egress", "to")
    )
    ports = textwrap.indent(textwrap.dedent(entries), "  ")
    return anp_rule(direction, f"action: Allow\n{key}:\n  - {peer}\nports:\n{ports}")


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        pytest.param(
            anp_ports("- portNumber: {port: 80}\n  namedPort: http  # <-"),
            "spec.ingress[0].ports[0].namedPort",
            "a port entry takes exactly one of portNumber, portRange, namedPort;"
            " portNumber and namedPort are both set",
            id="two-forms",
        ),
        pytest.param(
            anp_ports("- port: 80  # <-"),
            "spec.ingress[0].ports[0]",
            "a port entry needs exactly one of portNumber, portRange, namedPort"
            " (none given; unknown field 'port')",
            id="none",
        ),
        pytest.param(
            anp_ports("- portNumber:\n    port: 0  # <-"),
            "spec.ingress[0].ports[0].portNumber.port",
            "port 0 is outside 1-65535",
            id="portNumber-port-min-1",
        ),
        pytest.param(
            anp_ports("- portNumber:\n    port: 65536  # <-"),
            "spec.ingress[0].ports[0].portNumber.port",
            "port 65536 is outside 1-65535",
            id="portNumber-port-max-65535",
        ),
        pytest.param(
            anp_ports("- portNumber:  # <-\n    protocol: TCP"),
            "spec.ingress[0].ports[0].portNumber.port",
            "required",
            id="portNumber-port-required",
        ),
        pytest.param(
            anp_ports("- portNumber:\n    protocol: ICMP  # <-\n    port: 1"),
            "spec.ingress[0].ports[0].portNumber.protocol",
            "unknown protocol 'ICMP' (expected TCP, UDP or SCTP)",
            id="portNumber-protocol",
        ),
        pytest.param(
            anp_ports("- portRange:\n    start: 80\n    end: 80  # <-"),
            "spec.ingress[0].ports[0].portRange.end",
            "end 80 must be greater than start 80",
            id="portRange-start-equals-end",
        ),
        pytest.param(
            anp_ports("- portRange:\n    start: 90\n    end: 80  # <-"),
            "spec.ingress[0].ports[0].portRange.end",
            "end 80 must be greater than start 90",
            id="portRange-start-above-end",
        ),
        pytest.param(
            anp_ports("- portRange:  # <-\n    start: 80"),
            "spec.ingress[0].ports[0].portRange.end",
            "required",
            id="portRange-end-required",
        ),
        pytest.param(
            anp_ports("- portRange:\n    start: 0  # <-\n    end: 80"),
            "spec.ingress[0].ports[0].portRange.start",
            "port 0 is outside 1-65535",
            id="portRange-start-min-1",
        ),
        pytest.param(
            anp_ports("- namedPort: ''  # <-"),
            "spec.ingress[0].ports[0].namedPort",
            "a named port needs a name",
            id="namedPort-empty",
        ),
        pytest.param(
            anp_rule("ingress", "action: Allow\nfrom: [{namespaces: {}}]\nports: []  # <-"),
            "spec.ingress[0].ports",
            "must not be empty: at least 1 of the ports is required",
            id="ports-min-items-1",
        ),
        pytest.param(
            anp_ports("- namedPort: https  # <-", peer="networks: [10.0.0.0/8]"),
            "spec.egress[0].ports[0]",
            "named port 'https' cannot be used with a networks peer in the same rule",
            id="namedPort-with-networks",
        ),
        pytest.param(
            anp_ports("- namedPort: https  # <-", peer="domainNames: [a.example]"),
            "spec.egress[0].ports[0]",
            "cannot be used with a domainNames peer",
            id="namedPort-with-domainNames",
        ),
        pytest.param(
            anp_rule(
                "ingress",
                "action: Allow\nfrom: [{namespaces: {}}]\n"
                "protocols:  # <-\n  - tcp: {destinationPort: {number: 80}}",
            ),
            "spec.ingress[0].protocols",
            "protocols is not a field of AdminNetworkPolicy rules in " + V1A1 + "; use ports",
            id="protocols-in-v1alpha1",
        ),
    ],
)
def test_v1alpha1_port_validation(text, field, fragment):
    """v1alpha1 ports[]: exactly one of portNumber {protocol, port}, portRange {protocol, start,
    end; start < end}, namedPort; ports 1-65535; at least one entry; no named port with
    networks/nodes/domainNames peers; the v1alpha2 protocols field is refused."""
    assert_error(text, field, fragment)


def test_named_port_with_nodes_peer_in_banp_is_refused():
    """BANP egress rule CEL: nodes peers cannot be combined with a namedPort."""
    text = banp_rule(
        "egress", "action: Allow\nto:\n  - nodes: {}\nports:\n  - namedPort: ssh  # <-"
    )
    assert_error(text, "spec.egress[0].ports[0]", "cannot be used with a nodes peer")


# --- validation: v1alpha2 protocols -------------------------------------------------------------


def cnp_protocols(entries: str, peer: str = "namespaces: {}", direction: str = "ingress") -> str:
    """A CNP Accept rule with these protocols entries."""
    key = "from" if direction == "ingress" else "to"
    protocols = textwrap.indent(textwrap.dedent(entries), "  ")
    return cnp_rule(direction, f"action: Accept\n{key}:\n  - {peer}\nprotocols:\n{protocols}")


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        pytest.param(
            cnp_protocols(
                "- tcp: {destinationPort: {number: 80}}\n"
                "  udp: {destinationPort: {number: 53}}  # <-"
            ),
            "spec.ingress[0].protocols[0].udp",
            "a protocols entry takes exactly one of tcp, udp, sctp, destinationNamedPort;"
            " tcp and udp are both set",
            id="two-protocols",
        ),
        pytest.param(
            cnp_protocols(
                "- tcp: {destinationPort: {number: 80}}\n  destinationNamedPort: x  # <-"
            ),
            "spec.ingress[0].protocols[0].destinationNamedPort",
            "tcp and destinationNamedPort are both set",
            id="protocol-and-named-port",
        ),
        pytest.param(
            cnp_protocols("- icmp: {}  # <-"),
            "spec.ingress[0].protocols[0]",
            "a protocols entry needs exactly one of tcp, udp, sctp, destinationNamedPort"
            " (none given; unknown field 'icmp')",
            id="none",
        ),
        pytest.param(
            cnp_protocols("- tcp: {}  # <-"),
            "spec.ingress[0].protocols[0].tcp",
            "tcp needs destinationPort (a number or a range)",
            id="tcp-min-properties-1",
        ),
        pytest.param(
            cnp_protocols(
                "- udp:\n    destinationPort:\n      number: 53\n"
                "      range: {start: 1, end: 2}  # <-"
            ),
            "spec.ingress[0].protocols[0].udp.destinationPort.range",
            "a destinationPort takes exactly one of number, range; number and range are both set",
            id="destinationPort-number-and-range",
        ),
        pytest.param(
            cnp_protocols("- sctp:\n    destinationPort: {}  # <-"),
            "spec.ingress[0].protocols[0].sctp.destinationPort",
            "a destinationPort needs exactly one of number, range (none given)",
            id="destinationPort-empty",
        ),
        pytest.param(
            cnp_protocols("- tcp:\n    destinationPort:\n      number: 0  # <-"),
            "spec.ingress[0].protocols[0].tcp.destinationPort.number",
            "port 0 is outside 1-65535",
            id="number-min-1",
        ),
        pytest.param(
            cnp_protocols(
                "- tcp:\n    destinationPort:\n      range:\n"
                "        start: 9000\n        end: 8000  # <-"
            ),
            "spec.ingress[0].protocols[0].tcp.destinationPort.range.end",
            "end 8000 must be greater than start 9000",
            id="range-start-below-end",
        ),
        pytest.param(
            cnp_protocols("- tcp:\n    destinationPort:\n      range:  # <-\n        start: 9000"),
            "spec.ingress[0].protocols[0].tcp.destinationPort.range.end",
            "required",
            id="range-end-required",
        ),
        pytest.param(
            cnp_protocols("- destinationNamedPort: ''  # <-"),
            "spec.ingress[0].protocols[0].destinationNamedPort",
            "a named port needs a name",
            id="destinationNamedPort-empty",
        ),
        pytest.param(
            cnp_rule("ingress", "action: Accept\nfrom: [{namespaces: {}}]\nprotocols: []  # <-"),
            "spec.ingress[0].protocols",
            "must not be empty: at least 1 of the protocols entries is required",
            id="protocols-min-items-1",
        ),
        pytest.param(
            cnp_protocols(
                "- destinationNamedPort: dns  # <-", peer="nodes: {}", direction="egress"
            ),
            "spec.egress[0].protocols[0]",
            "named port 'dns' cannot be used with a nodes peer in the same rule",
            id="named-port-with-nodes",
        ),
        pytest.param(
            cnp_rule(
                "ingress",
                "action: Accept\nfrom: [{namespaces: {}}]\n"
                "ports:  # <-\n  - portNumber: {port: 80}",
            ),
            "spec.ingress[0].ports",
            "ports is not a field of ClusterNetworkPolicy rules in " + V1A2 + "; use protocols",
            id="ports-in-v1alpha2",
        ),
    ],
)
def test_v1alpha2_protocols_validation(text, field, fragment):
    """v1alpha2 protocols[]: exactly one of tcp/udp/sctp/destinationNamedPort; tcp/udp/sctp need
    destinationPort with exactly one of number or range {start < end}; ports 1-65535; at least
    one entry; no named port with networks/nodes/domainNames peers; v1alpha1 ports refused."""
    assert_error(text, field, fragment)


# --- validation: list sizes ---------------------------------------------------------------------


def flow_list(items: list[str]) -> str:
    """A YAML flow sequence of ``items``."""
    return "[" + ", ".join(items) + "]"


def many_rules(count: int, action: str) -> str:
    """``count`` one-line ingress rules."""
    return "".join(
        f"  - {{action: {action}, from: [{{namespaces: {{}}}}]}}\n" for _ in range(count)
    )


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        pytest.param(
            anp(ANP_HEAD + "ingress:  # <-\n" + many_rules(101, "Allow")),
            "spec.ingress",
            "at most 100 ingress rules are allowed, got 101",
            id="v1alpha1-rules-max-100",
        ),
        pytest.param(
            banp(
                "subject: {namespaces: {}}\negress:  # <-\n"
                + many_rules(101, "Deny").replace("from", "to")
            ),
            "spec.egress",
            "at most 100 egress rules are allowed, got 101",
            id="banp-rules-max-100",
        ),
        pytest.param(
            cnp(CNP_HEAD + "ingress:  # <-\n" + many_rules(26, "Accept")),
            "spec.ingress",
            "at most 25 ingress rules are allowed, got 26",
            id="v1alpha2-rules-max-25",
        ),
        pytest.param(
            anp_rule(
                "ingress",
                "action: Allow\nfrom: " + flow_list(["{namespaces: {}}"] * 101) + "  # <-",
            ),
            "spec.ingress[0].from",
            "at most 100 peers are allowed, got 101",
            id="v1alpha1-peers-max-100",
        ),
        pytest.param(
            cnp_rule(
                "egress", "action: Deny\nto: " + flow_list(["{namespaces: {}}"] * 26) + "  # <-"
            ),
            "spec.egress[0].to",
            "at most 25 peers are allowed, got 26",
            id="v1alpha2-peers-max-25",
        ),
        pytest.param(
            anp_rule(
                "ingress",
                "action: Allow\nfrom: [{namespaces: {}}]\nports: "
                + flow_list([f"{{portNumber: {{port: {p}}}}}" for p in range(1, 102)])
                + "  # <-",
            ),
            "spec.ingress[0].ports",
            "at most 100 ports are allowed, got 101",
            id="v1alpha1-ports-max-100",
        ),
        pytest.param(
            cnp_rule(
                "ingress",
                "action: Accept\nfrom: [{namespaces: {}}]\nprotocols: "
                + flow_list(
                    [f"{{tcp: {{destinationPort: {{number: {p}}}}}}}" for p in range(1, 27)]
                )
                + "  # <-",
            ),
            "spec.ingress[0].protocols",
            "at most 25 protocols entries are allowed, got 26",
            id="v1alpha2-protocols-max-25",
        ),
        pytest.param(
            anp_rule(
                "egress",
                "action: Deny\nto:\n  - networks: "
                + flow_list([f"10.0.{i}.0/24" for i in range(26)])
                + "  # <-",
            ),
            "spec.egress[0].to[0].networks",
            "at most 25 CIDRs are allowed, got 26",
            id="networks-max-25",
        ),
        pytest.param(
            anp_rule("egress", "action: Deny\nto:\n  - networks: []  # <-"),
            "spec.egress[0].to[0].networks",
            "must not be empty: at least 1 of the CIDRs is required",
            id="networks-min-1",
        ),
        pytest.param(
            cnp_rule(
                "egress",
                "action: Accept\nto:\n  - domainNames: "
                + flow_list([f"h{i}.example.com" for i in range(26)])
                + "  # <-",
            ),
            "spec.egress[0].to[0].domainNames",
            "at most 25 domain names are allowed, got 26",
            id="domainNames-max-25",
        ),
    ],
)
def test_list_size_limits(text, field, fragment):
    """MaxItems/MinItems: rules 100 (v1alpha1) / 25 (v1alpha2); peers 1-100 / 1-25; ports 1-100;
    protocols 1-25; networks 1-25; domainNames 1-25."""
    assert_error(text, field, fragment)


def test_list_limits_are_inclusive():
    """MaxItems is inclusive: 25 CNP rules, 25 networks and 25 domain names are accepted."""
    policy = load(cnp(CNP_HEAD + "ingress:\n" + many_rules(25, "Deny")))
    assert len(policy.ingress) == 25
    nets = flow_list([f"10.0.{i}.0/24" for i in range(25)])
    names = flow_list([f"h{i}.example.com" for i in range(25)])
    policy = load(
        cnp_rule("egress", f"action: Accept\nto:\n  - networks: {nets}\n  - domainNames: {names}")
    )
    assert len(policy.egress[0].peers[0].networks) == 25
    assert len(policy.egress[0].peers[1].domains) == 25


# --- validation: CIDRs and domain names ---------------------------------------------------------


def network(cidr: str) -> str:
    """An ANP egress Deny rule with one networks entry (on the marked line)."""
    return anp_rule("egress", f"action: Deny\nto:\n  - networks:\n      - {cidr}  {MARK}")


def domain(name: str) -> str:
    """A CNP egress Accept rule with one domainNames entry (on the marked line)."""
    return cnp_rule("egress", f"action: Accept\nto:\n  - domainNames:\n      - {name!r}  {MARK}")


@pytest.mark.parametrize(
    ("cidr", "fragment"),
    [
        pytest.param("10.0.0.0", "a prefix length is required", id="no-prefix"),
        pytest.param("10.0.0.300/24", "invalid CIDR '10.0.0.300/24'", id="bad-octet"),
        pytest.param("10.0.0.0/33", "invalid CIDR '10.0.0.0/33'", id="bad-prefix"),
        pytest.param("example/8", "IPv4 or IPv6 expected", id="not-an-address"),
        pytest.param("'::ffff:10.0.0.0/104'", "IPv4 embedded in IPv6 is refused", id="v4-in-v6"),
        pytest.param(
            "'2001:0db8:0000:0000:0000:0000:0000:00000/128'",
            "a CIDR is at most 43 characters, got 44",
            id="max-length-43",
        ),
        pytest.param("'fe80::%eth0/64'", "zone identifiers are not allowed", id="zone"),
    ],
)
def test_network_cidr_validation(cidr, fragment):
    """networks[] items: CIDR type (MaxLength=43; IPv4 xor IPv6, no embedded IPv4; a valid
    prefix as net.ParseCIDR / isCIDR would accept)."""
    assert_error(network(cidr), "spec.egress[0].to[0].networks[0]", fragment)


def test_network_cidrs_must_be_unique():
    """networks is listType=set: a repeated CIDR is refused at the repeat."""
    text = anp_rule(
        "egress",
        f"action: Deny\nto:\n  - networks:\n      - 10.0.0.0/8\n      - 10.0.0.0/8  {MARK}",
    )
    assert_error(
        text,
        "spec.egress[0].to[0].networks[1]",
        "duplicate CIDR '10.0.0.0/8' (also at spec.egress[0].to[0].networks[0])",
    )


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("localhost", id="single-label"),
        pytest.param("*example.com", id="partial-wildcard"),
        pytest.param("api.*.example.com", id="inner-wildcard"),
        pytest.param("-api.example.com", id="leading-hyphen"),
        pytest.param("api..example.com", id="empty-label"),
        pytest.param("*", id="bare-wildcard"),
    ],
)
def test_domain_name_pattern(name):
    """domainNames[] items: DomainName pattern (two or more labels, '*.' only as a prefix)."""
    assert_error(domain(name), "spec.egress[0].to[0].domainNames[0]", "invalid domain name")


def test_domain_names_must_be_unique():
    """domainNames is listType=set: a repeated name is refused at the repeat."""
    text = anp_rule(
        "egress",
        f"action: Allow\nto:\n  - domainNames:\n      - a.example\n      - a.example  {MARK}",
    )
    assert_error(text, "spec.egress[0].to[0].domainNames[1]", "duplicate domain name 'a.example'")

"""The policy-language registry: every language behind one interface, declared capabilities,
and a new language joining the layered walk through one table row."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from netfence.engine.classes import build_classes
from netfence.engine.connectivity import compute_connectivity
from netfence.model.cluster import Cluster
from netfence.model.layers import Action, RuleOrigin
from netfence.model.networkpolicy import Direction
from netfence.model.selectors import LabelSelector, Operator, Requirement
from netfence.policy import registry
from netfence.policy.interface import Capability, PolicyLanguage
from netfence.policy.masks import MaskBuilder
from netfence.policy.rules import CompiledPolicy, CompiledRule, Placement
from netfence.policy.space import EndpointSpace, Facts
from netfence.sets.ports import PortSet
from netfence.sources.manifests import load_cluster_from_text

TWO_PODS = """
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: ns, labels: {app: a}}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: ns, labels: {app: b}}
"""


def test_languages_are_named_once_and_declare_what_they_drop():
    """Each language has a unique name and unique feature names; every dropped feature says
    how verdicts may differ where it is used (never a silent change of meaning)."""
    names = [lang.name for lang in registry.LANGUAGES]
    assert names == ["kubernetes", "calico", "admin"]
    for lang in registry.LANGUAGES:
        features = [c.feature for c in lang.capabilities]
        assert len(features) == len(set(features)), lang.name
        for capability in lang.capabilities:
            assert capability.modeled or capability.effect, (lang.name, capability.feature)
    dropped = {
        (lang.name, c.feature)
        for lang in registry.LANGUAGES
        for c in lang.capabilities
        if not c.modeled
    }
    assert {("calico", "http"), ("calico", "services"), ("admin", "domainNames")} <= dropped


APP_B = LabelSelector.create([Requirement("app", Operator.IN, ("b",))])


class _DenyEverythingToB(PolicyLanguage):
    """A toy language: one Admin-tier rule denying all ingress to pods labelled app=b."""

    name = "toy"
    capabilities = (Capability("deny", True, ""),)

    def facts(self, cluster: Cluster) -> Facts:
        return Facts(pod_selectors={APP_B: None})

    def compile(self, space: EndpointSpace, masks: MaskBuilder) -> Sequence[CompiledPolicy]:
        subjects = space.pod_selector_mask(APP_B)
        origin = RuleOrigin("Toy", None, "deny-b", Direction.INGRESS, 0)
        rule = CompiledRule(
            origin, Action.DENY, subjects, masks.everything(), space.port_atoms.full
        )
        return [
            CompiledPolicy(
                "Toy", None, "deny-b", Placement.ADMIN, 0.0, "deny-b", [rule], [], subjects, None
            )
        ]


def test_a_language_joins_the_walk_through_one_table_row(monkeypatch):
    """Adding a language is one module and one row: the toy language's Deny, placed in the
    Admin tier, decides before everything else (the map and explain both see it)."""
    cluster = load_cluster_from_text(TWO_PODS)
    before = compute_connectivity(build_classes(cluster))
    assert np.asarray(before.pod_to_pod).any()
    monkeypatch.setattr(registry, "LANGUAGES", (*registry.LANGUAGES, _DenyEverythingToB()))
    from netfence.policy import layering

    monkeypatch.setattr(layering, "LANGUAGES", registry.LANGUAGES)
    classes = build_classes(cluster)
    matrix = compute_connectivity(classes)
    b = next(c for c, m in enumerate(classes.members) if cluster.pods[m[0]].name == "b")
    a = 1 - b
    assert matrix.portset(int(matrix.pod_to_pod[a, b])) == PortSet.none()
    assert matrix.portset(int(matrix.pod_to_pod[b, a])) == PortSet.all()


def test_dropped_uses_name_the_field_path():
    """A Calico rule with an HTTP match (application layer policy, Calico docs "HTTP match
    criteria") is reported where it is written, with the capability's effect."""
    cluster = load_cluster_from_text(
        TWO_PODS
        + """---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web, namespace: ns}
spec:
  selector: app == 'b'
  ingress:
  - action: Deny
    protocol: TCP
    http: {methods: [DELETE]}
"""
    )
    (use,) = registry.dropped_uses(cluster)
    assert (use.kind, use.namespace, use.name, use.path) == (
        "CalicoNetworkPolicy",
        "ns",
        "web",
        "spec.ingress[0].http",
    )
    assert use.capability.feature == "http" and not use.capability.modeled
    assert use.location is not None and use.location.line > 1

"""RuleOrigin: one typed record names every compiled rule, with each API's own field names."""

from __future__ import annotations

import pytest

from netfence.model.layers import RuleOrigin
from netfence.model.networkpolicy import Direction


@pytest.mark.parametrize(
    ("kind", "direction", "expected"),
    [
        # NetworkPolicySpec: ingress[].from[], egress[].to[], ports[] (API reference).
        ("NetworkPolicy", Direction.INGRESS, "spec.ingress[2].from[1].ports[0]"),
        ("NetworkPolicy", Direction.EGRESS, "spec.egress[2].to[1].ports[0]"),
        # AdminNetworkPolicy rules: from/to and ports (network-policy-api v1alpha1).
        ("AdminNetworkPolicy", Direction.INGRESS, "spec.ingress[2].from[1].ports[0]"),
        # ClusterNetworkPolicy (v1alpha2) names its port list "protocols".
        ("ClusterNetworkPolicy", Direction.EGRESS, "spec.egress[2].to[1].protocols[0]"),
        # Calico rules: source / destination entity rules, ports under destination.
        (
            "GlobalNetworkPolicy",
            Direction.INGRESS,
            "spec.ingress[2].source[1].destination.ports[0]",
        ),
    ],
)
def test_path_uses_each_apis_field_names(kind, direction, expected):
    """The path down to the peer and port entry is written in the kind's own field names."""
    origin = RuleOrigin(kind, "ns", "p", direction, 2, peer_index=1, port_index=0)
    assert origin.path == expected
    assert origin.rule_path == expected.split(".")[0] + "." + expected.split(".")[1]


def test_policy_and_label():
    """Namespaced kinds are named Kind/namespace/name, cluster-scoped ones Kind/name; a named
    rule shows its name (AdminNetworkPolicy rules carry names)."""
    namespaced = RuleOrigin("NetworkPolicy", "shop", "web", Direction.INGRESS, 0)
    assert namespaced.policy == "NetworkPolicy/shop/web"
    assert str(namespaced) == "NetworkPolicy/shop/web spec.ingress[0]"
    named = RuleOrigin("AdminNetworkPolicy", None, "g", Direction.EGRESS, 1, rule_name="deny")
    assert named.policy == "AdminNetworkPolicy/g"
    assert str(named) == "AdminNetworkPolicy/g spec.egress[1] (deny)"


def test_origins_are_values():
    """Origins are frozen and compare by value, so they can key sets and dicts."""
    one = RuleOrigin("NetworkPolicy", "a", "b", Direction.INGRESS, 0)
    assert one == RuleOrigin("NetworkPolicy", "a", "b", Direction.INGRESS, 0)
    assert len({one, RuleOrigin("NetworkPolicy", "a", "b", Direction.INGRESS, 0)}) == 1
    with pytest.raises(AttributeError):
        one.name = "c"  # type: ignore[misc]

"""The firewall evaluator: first match, names against addresses, cannot-decide cells,
shadowing and redundancy, required flows and paths, each on a small layer."""

from __future__ import annotations

from netfence.engine.firewall import FirewallSpace, Verdict
from netfence.model.layers import Action
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.names import DomainPatternSet
from netfence.sets.ports import PortSet
from tests.engine.firewall_builders import (
    ALLOW,
    DENY,
    IN,
    OUT,
    addresses,
    layer,
    required,
    rule,
    tcp,
)

NODE = "10.1.0.5"


class TableResolver:
    """Names to addresses from a table."""

    def __init__(self, table: dict[str, IPRangeSet]) -> None:
        self.table = table

    def addresses(self, name: str) -> IPRangeSet | None:
        return self.table.get(name)


def test_first_match_decides_and_default_denies():
    """Firewall rules are terminating: the first rule that matches decides; no match, the
    layer's default (deny)."""
    fw = layer(
        rule(DENY, to=addresses("10.9.0.0/24"), services=tcp(443)),
        rule(ALLOW, to=addresses("10.9.0.0/16"), services=tcp(443)),
    )
    space = FirewallSpace.build([fw])
    denied = space.decide(0, OUT, NODE, "10.9.0.7", "TCP", 443)
    assert (denied.verdict, denied.rule) == (Verdict.DENY, 0)
    allowed = space.decide(0, OUT, NODE, "10.9.1.7", "TCP", 443)
    assert (allowed.verdict, allowed.rule) == (Verdict.ALLOW, 1)
    default = space.decide(0, OUT, NODE, "10.9.1.7", "TCP", 80)
    assert (default.verdict, default.rule, default.action) == (Verdict.DENY, None, Action.DENY)


def test_directions_are_walked_apart():
    """A rule judges only flows of its own direction."""
    fw = layer(rule(ALLOW, to=addresses("*"), direction=IN))
    space = FirewallSpace.build([fw])
    assert space.decide(0, OUT, NODE, "10.9.0.1", "TCP", 22).verdict is Verdict.DENY
    assert space.decide(0, IN, NODE, "10.9.0.1", "TCP", 22).verdict is Verdict.ALLOW


def test_wildcard_matches_one_or_more_labels_not_the_suffix():
    """Names: ``*.s`` stands for names of one or more labels before s, not s itself."""
    fw = layer(rule(ALLOW, names=["*.his.arc.azure.com"], services=tcp(443)))
    space = FirewallSpace.build([fw])
    for name, verdict in (
        ("eus.his.arc.azure.com", Verdict.ALLOW),
        ("a.b.his.arc.azure.com", Verdict.ALLOW),
        ("his.arc.azure.com", Verdict.DENY),
        ("example.com", Verdict.DENY),
    ):
        assert space.decide(0, OUT, NODE, name, "TCP", 443).verdict is verdict, name


def test_every_address_matches_every_name():
    """Name vs address: a rule to every address (v4 and v6) matches every name."""
    fw = layer(rule(ALLOW, to=addresses("*"), services=tcp(443)))
    space = FirewallSpace.build([fw])
    assert space.decide(0, OUT, NODE, "mcr.microsoft.com", "TCP", 443).verdict is Verdict.ALLOW


def test_name_against_partial_addresses_without_resolver_is_undecided():
    """Name vs address: without a resolver netfence cannot know which addresses a name
    reaches, so a deny on some addresses leaves a name flow undecided, with the rule."""
    fw = layer(
        rule(DENY, to=addresses("20.0.0.0/8"), services=tcp(443)),
        rule(ALLOW, names=["mcr.microsoft.com"], services=tcp(443)),
    )
    space = FirewallSpace.build([fw])
    decision = space.decide(0, OUT, NODE, "mcr.microsoft.com", "TCP", 443)
    assert decision.verdict is Verdict.UNDECIDED
    assert decision.rule == 1
    assert [m.rule for m in decision.undecided_by] == [0]
    assert "no resolver" in decision.undecided_by[0].reason


def test_resolved_name_inside_outside_or_across_the_rule_addresses():
    """Name vs address with a Resolver: all of a name's addresses inside the rule's match,
    none of them does not, some of them is undecided ("some of NAME's addresses")."""
    fw = layer(rule(DENY, to=addresses("20.0.0.0/8"), services=tcp(443)))
    names = ["inside.example.com", "outside.example.com", "across.example.com"]
    flows = [required(names=names)]
    resolver = TableResolver(
        {
            "inside.example.com": addresses("20.1.1.1/32"),
            "outside.example.com": addresses("30.1.1.1/32"),
            "across.example.com": addresses("20.1.1.1/32", "30.1.1.1/32"),
        }
    )
    allow_all = layer(rule(DENY, to=addresses("20.0.0.0/8"), services=tcp(443)), default=ALLOW)
    space = FirewallSpace.build([fw, allow_all], flows, resolver=resolver)
    inside = space.decide(1, OUT, NODE, "inside.example.com", "TCP", 443)
    assert (inside.verdict, inside.rule) == (Verdict.DENY, 0)
    outside = space.decide(1, OUT, NODE, "outside.example.com", "TCP", 443)
    assert (outside.verdict, outside.rule) == (Verdict.ALLOW, None)
    across = space.decide(1, OUT, NODE, "across.example.com", "TCP", 443)
    assert across.verdict is Verdict.UNDECIDED
    assert "some of across.example.com's addresses" in across.undecided_by[0].reason


def test_wildcard_names_are_never_resolved():
    """Name vs address: a wildcard stands for names netfence never resolves, so it stays
    undecided against a rule on some addresses, resolver or not."""
    fw = layer(rule(DENY, to=addresses("20.0.0.0/8")), default=ALLOW)
    flows = [required(names=["*.servicebus.windows.net"])]
    space = FirewallSpace.build([fw], flows, resolver=TableResolver({}))
    decision = space.decide(0, OUT, NODE, "x.servicebus.windows.net", "TCP", 443)
    assert decision.verdict is Verdict.UNDECIDED
    assert "never resolved" in decision.undecided_by[0].reason


def test_address_flow_is_not_matched_by_a_name_rule():
    """Address flows carry no name: an application rule (names only) never matches them."""
    fw = layer(rule(ALLOW, names=["*"], services=tcp(443)))
    space = FirewallSpace.build([fw])
    assert space.decide(0, OUT, NODE, "20.1.1.1", "TCP", 443).verdict is Verdict.DENY
    assert space.decide(0, OUT, NODE, "any.example.org", "TCP", 443).verdict is Verdict.ALLOW


def test_undecidable_rule_of_other_action_leaves_the_flow_undecided():
    """A rule with undecidable reasons may match: with the other action than the decider's
    the verdict is undecided, with the same action it stands."""
    fw = layer(
        rule(DENY, to=addresses("10.9.0.0/24"), undecidable=("source port",)),
        rule(ALLOW, to=addresses("10.9.0.0/16"), undecidable=("interface eth1",)),
        rule(ALLOW, to=addresses("10.9.0.0/16")),
    )
    space = FirewallSpace.build([fw])
    first = space.decide(0, OUT, NODE, "10.9.0.1", "TCP", 80)
    assert first.verdict is Verdict.UNDECIDED
    assert [m.rule for m in first.undecided_by] == [0]
    assert "source port" in first.undecided_by[0].reason
    assert [m.rule for m in first.possibly_by] == [1]
    second = space.decide(0, OUT, NODE, "10.9.1.1", "TCP", 80)
    assert (second.verdict, second.rule) == (Verdict.ALLOW, 2)
    assert [m.rule for m in second.possibly_by] == [1]


def test_unexpanded_tags_may_hold_any_address():
    """Service tags left unexpanded: whether a flow is in them cannot be decided."""
    fw = layer(rule(ALLOW, to=addresses("10.9.0.0/24"), tags=("AzureCloud",)))
    space = FirewallSpace.build([fw])
    assert space.decide(0, OUT, NODE, "10.9.0.1", "TCP", 80).verdict is Verdict.ALLOW
    tagged = space.decide(0, OUT, NODE, "40.1.1.1", "TCP", 80)
    assert tagged.verdict is Verdict.UNDECIDED
    assert "AzureCloud" in tagged.undecided_by[0].reason
    everywhere = addresses("*")
    source_tagged = layer(
        rule(DENY, sources=addresses("10.2.0.0/16"), to=everywhere, source_tags=("Vnet",))
    )
    space = FirewallSpace.build([source_tagged], sources=[addresses("10.1.0.0/16")])
    assert space.decide(0, OUT, NODE, "1.1.1.1", "TCP", 80).verdict is Verdict.DENY
    permissive = layer(
        rule(ALLOW, sources=addresses("10.2.0.0/16"), to=everywhere, source_tags=("Vnet",))
    )
    space = FirewallSpace.build([permissive])
    assert space.decide(0, OUT, NODE, "1.1.1.1", "TCP", 80).verdict is Verdict.UNDECIDED


def test_shadowed_rule_names_the_covering_rules_and_their_action():
    """Line reachability (Batfish filterLineReachability): a rule earlier rules fully
    cover decides nothing; the covering rules are named, with whether their action
    differs."""
    fw = layer(
        rule(DENY, to=addresses("10.9.0.0/24")),
        rule(ALLOW, to=addresses("10.9.1.0/24")),
        rule(ALLOW, to=addresses("10.9.0.0/23"), services=tcp(443)),
    )
    space = FirewallSpace.build([fw])
    standing = space.standing(0, 2)
    assert standing.shadowed
    assert standing.covering == (0, 1)
    assert standing.different_action == (0,)
    assert not space.standing(0, 0).shadowed
    assert not space.decided_by(0, 2)


def test_redundant_rule_is_one_whose_removal_changes_no_verdict():
    """Redundancy: a rule whose cells the next matching rules would decide the same way."""
    fw = layer(
        rule(ALLOW, to=addresses("10.9.0.0/24"), services=tcp(443)),
        rule(ALLOW, to=addresses("10.9.0.0/16"), services=tcp(443, 80)),
        rule(DENY, to=addresses("10.8.0.0/16")),
    )
    space = FirewallSpace.build([fw])
    standings = space.standings(0)
    assert [s.redundant for s in standings] == [True, False, True]
    assert not any(s.shadowed for s in standings)


def test_permitted_region_projects_to_names_addresses_and_ports():
    """The permitted region of a layer within the cluster's sources: its names, address
    ranges and ports."""
    cluster = addresses("10.1.0.0/24")
    fw = layer(
        rule(ALLOW, sources=addresses("10.1.0.0/16"), names=["*.azure.com"], services=tcp(443)),
        rule(
            ALLOW, sources=addresses("10.1.0.0/16"), to=addresses("20.0.0.0/24"), services=tcp(22)
        ),
        rule(ALLOW, sources=addresses("192.168.0.0/16"), to=addresses("*")),
    )
    space = FirewallSpace.build([fw], sources=[cluster])
    region = space.permitted(0, OUT, cluster)
    assert region.sources() == cluster
    assert region.names() == ("*.azure.com",)
    assert region.addresses() == addresses("20.0.0.0/24")
    assert region.services() == tcp(443, 22)


def test_required_flow_blocked_names_the_blocking_rule():
    """Shortfall (missing = required - permitted): a blocked required flow names the rule
    (or the default) that blocks it, and which part is blocked."""
    fw = layer(
        rule(DENY, names=["login.microsoftonline.com"]),
        rule(ALLOW, names=["*.microsoft.com", "*.microsoftonline.com"], services=tcp(443)),
    )
    flows = [
        required(names=["login.microsoftonline.com"], reason="Entra ID"),
        required(names=["mcr.microsoft.com"], reason="images"),
        required(names=["mcr.microsoft.com"], services=tcp(80), reason="http"),
    ]
    space = FirewallSpace.build([fw], flows)
    blocked = space.check_flow(flows[0], 0)
    assert (blocked.verdict, blocked.rules) == (Verdict.DENY, (0,))
    assert blocked.blocked.names() == ("login.microsoftonline.com",)
    allowed = space.check_flow(flows[1], 0)
    assert (allowed.verdict, allowed.rules) == (Verdict.ALLOW, (1,))
    by_default = space.check_flow(flows[2], 0)
    assert (by_default.verdict, by_default.rules) == (Verdict.DENY, (None,))
    assert by_default.blocked.services() == tcp(80)


def test_path_allows_only_when_every_layer_allows():
    """Layers and paths: a flow is allowed when every layer on its path allows; the first
    layer that denies is named."""
    nsg = layer(rule(ALLOW, to=addresses("*")), name="nsg")
    firewall = layer(rule(ALLOW, names=["mcr.microsoft.com"], services=tcp(443)), name="afw")
    flows = [required(names=["mcr.microsoft.com"]), required(names=["dl.k8s.io"])]
    space = FirewallSpace.build([nsg, firewall], flows)
    through = space.check_path(flows[0], [0, 1])
    assert through.verdict is Verdict.ALLOW
    stopped = space.check_path(flows[1], [0, 1])
    assert (stopped.verdict, stopped.blocking) == (Verdict.DENY, ((1, None),))
    one = space.decide_path([0, 1], OUT, NODE, "dl.k8s.io", "TCP", 443)
    assert one.verdict is Verdict.DENY and one.deciding is not None and one.deciding.layer == 1
    ok = space.decide_path([0, 1], OUT, NODE, "mcr.microsoft.com", "TCP", 443)
    assert ok.verdict is Verdict.ALLOW and ok.deciding is not None and ok.deciding.rule == 0


def test_any_protocol_value_has_a_service_class():
    """Services: every protocol value falls in a class, ICMP and other protocols too."""
    fw = layer(rule(ALLOW, to=addresses("*"), services=PortSet.of("ICMP")))
    space = FirewallSpace.build([fw])
    assert space.decide(0, OUT, NODE, "8.8.8.8", "ICMP", 8 * 256).verdict is Verdict.ALLOW
    assert space.decide(0, OUT, NODE, "8.8.8.8", "OTHER", 47).verdict is Verdict.DENY


def test_tag_documented_to_cover_a_name_matches_it():
    """Service tags and names: a rule on a tag the catalog documents as covering a name
    (MicrosoftContainerRegistry covers mcr.microsoft.com) surely matches that name, even
    unexpanded; other names stay undecided."""
    fw = layer(rule(ALLOW, tags=("MicrosoftContainerRegistry",), services=tcp(443)))
    covers = {"MicrosoftContainerRegistry": DomainPatternSet(["mcr.microsoft.com"])}
    space = FirewallSpace.build([fw], tag_covers=covers)
    covered = space.decide(0, OUT, NODE, "mcr.microsoft.com", "TCP", 443)
    assert (covered.verdict, covered.rule) == (Verdict.ALLOW, 0)
    other = space.decide(0, OUT, NODE, "dl.k8s.io", "TCP", 443)
    assert other.verdict is Verdict.UNDECIDED

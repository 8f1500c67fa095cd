"""Property tests: shortfall and surplus findings against the independent oracle, on random
small layers (missing = required - permitted, excess = permitted - required)."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings

from netfence.analyses.firewall.check import check_firewalls
from netfence.model.layers import Action
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet
from tests.engine.firewall_builders import OUT, layer, required, rule
from tests.engine.firewall_oracle import Oracle, oracle_name_matches
from tests.engine.test_firewall_properties import (
    SAMPLE_ADDRESSES,
    SAMPLE_NAMES,
    SAMPLE_SERVICES,
    Table,
    _listed,
    layers,
    resolvers,
)

CLUSTER = IPRangeSet.from_cidr("10.1.0.0/27")
CLUSTER_SAMPLES = ["10.1.0.1", "10.1.0.17"]
FLOWS = [
    required(names=["a.x", "*.b.x"], reason="names"),
    required(to=IPRangeSet.from_cidr("10.0.0.0/28"), reason="addresses"),
]
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _in_flow(flow, destination, protocol, port):
    if (protocol, port) != ("TCP", 443):
        return False
    if destination in SAMPLE_ADDRESSES:
        return flow.destinations.addresses.contains(destination)
    return any(oracle_name_matches(p, destination) for p in flow.destinations.names.patterns)


def _required_for_surplus(resolver, flow, source, destination, protocol, port):
    """Whether a sample is no surplus because of ``flow``: it is in the flow, or it goes to
    an address the flow's exact names resolve to (of the source's family), on the flow's
    services. A layer matching addresses reaches a required name only there, so allowing
    them is what is required (docs/firewall.md, NF102); wildcards are never resolved."""
    if _in_flow(flow, destination, protocol, port):
        return True
    if resolver is None or destination not in SAMPLE_ADDRESSES or (protocol, port) != ("TCP", 443):
        return False
    if (":" in source) != (":" in destination):
        return False
    for pattern in flow.destinations.names.patterns:
        found = None if "*" in pattern else resolver.addresses(pattern)
        if found is not None and found.contains(destination):
            return True
    return False


def _possible(resolver, source, destination):
    """Whether a packet can be: a source of one family reaches addresses of that family
    only, and a name at its addresses of that family, so a name the resolver answers with
    none of them (or with nothing at all) is no flow to check."""
    version = 6 if ":" in source else 4
    if destination in SAMPLE_ADDRESSES:
        return (":" in destination) == (version == 6)
    found = resolver.addresses(destination) if resolver is not None else None
    return found is None or bool(found.family(version))


def _samples():
    for source in CLUSTER_SAMPLES:
        for destination in SAMPLE_ADDRESSES + SAMPLE_NAMES:
            for protocol, port in SAMPLE_SERVICES:
                yield source, destination, protocol, port


@SETTINGS
@given(layers(), resolvers())
def test_shortfall_exactly_when_some_required_flow_is_denied(fw, resolver):
    """NF101: a required flow is reported blocked exactly when the oracle denies some flow
    in it, and the rules named are the ones the oracle's walk stops at."""
    findings = check_firewalls([fw], FLOWS, cluster_sources=CLUSTER, resolver=resolver)
    oracle = Oracle(_listed([fw], FLOWS, {}), resolver.addresses if resolver else None)
    for flow in FLOWS:
        denied = set()
        for sample in _samples():
            if _in_flow(flow, *sample[1:]) and _possible(resolver, *sample[:2]):
                decision = oracle.decide(fw, OUT, *sample)
                if decision.verdict == "Deny":
                    denied.add(
                        "default"
                        if decision.rule is None
                        else f"fw: {fw.rules[decision.rule].origin.path}"
                    )
        reported = [
            f
            for f in findings
            if f.check.check_id == "NF101" and f.evidence["reason"] == flow.reason
        ]
        assert bool(reported) == bool(denied)
        if reported:
            assert set(reported[0].evidence["rules"]) == denied


_BEHIND_AN_UNDECIDABLE_RULE = layer(
    rule(
        Action.ALLOW,
        tags=("Tag",),
        source_tags=("SourceTag",),
        undecidable=("source port",),
    ),
    rule(
        Action.ALLOW,
        to=IPRangeSet.from_cidr("10.0.0.16/28"),
        services=PortSet.of("TCP", 443),
        tags=("Tag",),
        source_tags=("SourceTag",),
    ),
    default=Action.ALLOW,
)
"""Hypothesis's counterexample to an oracle that left out a required name's addresses: the
second rule allows a.x's addresses on TCP 443 and nothing beyond."""


@SETTINGS
@given(layers(), resolvers())
@example(_BEHIND_AN_UNDECIDABLE_RULE, Table({"a.x": IPRangeSet.from_cidr("10.0.0.16/28")}))
@example(_BEHIND_AN_UNDECIDABLE_RULE, None)
def test_surplus_exactly_for_rules_allowing_beyond_the_required(fw, resolver):
    """NF102: a rule is reported exactly when the oracle has it surely allow some flow from
    the cluster that no required flow holds (a required name's resolved addresses count as
    held)."""
    findings = check_firewalls([fw], FLOWS, cluster_sources=CLUSTER, resolver=resolver)
    oracle = Oracle(_listed([fw], FLOWS, {}), resolver.addresses if resolver else None)
    beyond = set()
    for sample in _samples():
        if any(_required_for_surplus(resolver, flow, *sample) for flow in FLOWS):
            continue
        if not _possible(resolver, *sample[:2]):
            continue
        decision = oracle.decide(fw, OUT, *sample)
        if decision.verdict == "Allow" and decision.rule is not None:
            beyond.add(f"fw: {fw.rules[decision.rule].origin.path}")
    reported = {f.evidence["rule"] for f in findings if f.check.check_id == "NF102"}
    assert reported == beyond

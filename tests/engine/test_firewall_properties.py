"""Property tests: the vectorized evaluator against the plain per-flow oracle, on random
small layers (rules over a few /28s, a few names and wildcards, a few ports, random
actions, orders, tags and undecidable reasons)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netfence.engine.firewall import FirewallSpace, Verdict
from netfence.model.firewall import FirewallLayer
from netfence.model.layers import Action
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.names import DomainPatternSet
from netfence.sets.ports import PortSet
from tests.engine.firewall_builders import IN, OUT, layer, required, rule
from tests.engine.firewall_oracle import Oracle, path_verdict

DEST_BLOCKS = ["10.0.0.0/28", "10.0.0.16/28", "10.0.0.32/28", "10.0.0.48/28", "10.0.0.0/27"]
SOURCE_BLOCKS = ["10.1.0.0/28", "10.1.0.16/28", "10.1.0.32/28", "10.1.0.0/27"]
PATTERNS = ["a.x", "b.x", "a.b.x", "*.x", "*.b.x", "x", "*"]
SERVICES = [
    PortSet.of("TCP", 80),
    PortSet.of("TCP", 443),
    PortSet.of("TCP", 8080, 8081),
    PortSet.of("UDP", 53),
]

SAMPLE_SOURCES = ["10.1.0.1", "10.1.0.17", "10.1.0.33", "10.1.0.100", "2001:db8::1"]
SAMPLE_ADDRESSES = ["10.0.0.1", "10.0.0.17", "10.0.0.33", "10.0.0.49", "10.0.0.100", "2001:db8::2"]
SAMPLE_NAMES = ["a.x", "b.x", "a.b.x", "c.b.x", "x", "c.x", "b.a.x", "z", "q.y"]
SAMPLE_SERVICES = [("TCP", 80), ("TCP", 443), ("TCP", 8081), ("TCP", 22), ("UDP", 53), ("ICMP", 0)]


def _union(blocks: list[str], whole: bool) -> IPRangeSet:
    return IPRangeSet.everything() if whole else IPRangeSet.from_cidrs(blocks)


@st.composite
def rules(draw):
    dest_whole = draw(st.booleans().filter(lambda _: True)) and draw(st.integers(0, 5)) == 0
    src_whole = draw(st.integers(0, 2)) == 0
    services = draw(st.lists(st.sampled_from(SERVICES), max_size=2))
    ports = PortSet.all() if not services else PortSet.none()
    for s in services:
        ports |= s
    return rule(
        draw(st.sampled_from([Action.ALLOW, Action.DENY])),
        sources=_union(draw(st.lists(st.sampled_from(SOURCE_BLOCKS), max_size=2)), src_whole),
        to=_union(draw(st.lists(st.sampled_from(DEST_BLOCKS), max_size=2)), dest_whole),
        names=draw(st.lists(st.sampled_from(PATTERNS), max_size=2)),
        services=ports,
        direction=draw(st.sampled_from([OUT, OUT, OUT, IN])),
        tags=("Tag",) if draw(st.integers(0, 7)) == 0 else (),
        source_tags=("SourceTag",) if draw(st.integers(0, 9)) == 0 else (),
        undecidable=("source port",) if draw(st.integers(0, 7)) == 0 else (),
    )


@st.composite
def layers(draw):
    return layer(
        *draw(st.lists(rules(), min_size=1, max_size=6)),
        default=draw(st.sampled_from([Action.ALLOW, Action.DENY, Action.DENY])),
    )


@st.composite
def resolvers(draw):
    if draw(st.booleans()):
        return None
    table = {}
    for name in ("a.x", "b.x", "a.b.x", "x"):
        if draw(st.booleans()):
            blocks = draw(st.lists(st.sampled_from(DEST_BLOCKS[:4]), min_size=0, max_size=2))
            table[name] = IPRangeSet.from_cidrs(blocks)
    return Table(table)


class Table:
    def __init__(self, table):
        self.table = table

    def addresses(self, name):
        return self.table.get(name)


def _listed(fws: list[FirewallLayer], flows, covers=None) -> set[str]:
    destinations = [r.match.destinations for fw in fws for r in fw.rules]
    destinations += [f.destinations for f in flows]
    patterns = [p for d in destinations for p in d.names.patterns]
    patterns += [p for names in (TAG_COVERS if covers is None else covers).values() for p in names]
    return {p for p in patterns if not p.startswith("*")}


def _samples():
    for source in SAMPLE_SOURCES:
        for destination in SAMPLE_ADDRESSES + SAMPLE_NAMES:
            for protocol, port in SAMPLE_SERVICES:
                yield source, destination, protocol, port


FLOWS = [required(names=["a.x", "*.b.x"]), required(to=IPRangeSet.from_cidr("10.0.0.0/28"))]
TAG_COVERS = {"Tag": ["b.x", "*.a.x"]}
"""The names the tag the random rules use is documented to cover."""


def _space(fws, resolver):
    covers = {tag: DomainPatternSet(names) for tag, names in TAG_COVERS.items()}
    return FirewallSpace.build(fws, FLOWS, resolver=resolver, tag_covers=covers)


def _oracle(fws, resolver):
    return Oracle(_listed(fws, FLOWS), resolver.addresses if resolver else None, TAG_COVERS)


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(layers(), resolvers())
def test_engine_decides_every_flow_as_the_oracle(fw, resolver):
    """First match with cannot-decide cells: the engine's verdict, deciding rule, and the
    rules that may match before it equal the oracle's on every sample flow."""
    space, oracle = _space([fw], resolver), _oracle([fw], resolver)
    for direction in (OUT, IN):
        for flow in _samples():
            mine = space.decide(0, direction, *flow)
            expected = oracle.decide(fw, direction, *flow)
            got = (
                mine.verdict.value,
                mine.rule,
                frozenset(m.rule for m in mine.undecided_by),
                frozenset(m.rule for m in mine.possibly_by),
            )
            assert got == (
                expected.verdict,
                expected.rule,
                expected.undecided_by,
                expected.possibly_by,
            ), (direction, flow)


@SETTINGS
@given(layers(), resolvers())
def test_shadowed_rules_are_reached_by_no_flow(fw, resolver):
    """Line reachability: a rule the engine calls shadowed is reached by no sample flow,
    address flows and names at any sample address alike; one it does not call shadowed
    is reached by some address flow or some name flow (surely or maybe)."""
    space, oracle = _space([fw], resolver), _oracle([fw], resolver)
    for index, standing in enumerate(space.standings(0)):
        reached = any(oracle.reaches(fw, index, *flow) for flow in _samples())
        if standing.shadowed:
            assert not any(
                oracle.reaches(fw, index, s, d, p, n)
                for s, d, p, n in _samples()
                if d in SAMPLE_ADDRESSES
            ), index
            assert all(c < index for c in standing.covering)
        else:
            assert reached, index


@SETTINGS
@given(layers(), resolvers())
def test_removing_a_redundant_rule_changes_no_verdict(fw, resolver):
    """Redundancy: removing a rule the engine calls redundant changes no verdict."""
    space, oracle = _space([fw], resolver), _oracle([fw], resolver)
    for index, standing in enumerate(space.standings(0)):
        if not standing.redundant:
            continue
        direction = fw.rules[index].direction
        for flow in _samples():
            with_rule = oracle.decide(fw, direction, *flow).verdict
            without = oracle.decide(fw, direction, *flow, skip=index).verdict
            assert with_rule == without, (index, flow)


@SETTINGS
@given(st.lists(layers(), min_size=1, max_size=3), resolvers())
def test_paths_deny_at_the_first_denying_layer(fws, resolver):
    """Layers and paths: allowed when every layer allows; the first layer that denies (or
    the first undecided one, or the last) is the one named."""
    space, oracle = _space(fws, resolver), _oracle(fws, resolver)
    for flow in list(_samples())[::7]:
        mine = space.decide_path(range(len(fws)), OUT, *flow)
        verdict, position = path_verdict([oracle.decide(fw, OUT, *flow) for fw in fws])
        assert mine.verdict.value == verdict
        assert mine.deciding is not None and mine.deciding.layer == position


@SETTINGS
@given(layers(), resolvers())
def test_required_flow_check_agrees_with_every_flow_in_it(fw, resolver):
    """A required flow is blocked when some flow in it is denied, undecided when some is
    undecided and none denied, allowed otherwise."""
    space, oracle = _space([fw], resolver), _oracle([fw], resolver)
    flow = FLOWS[1]
    verdicts = {
        oracle.decide(fw, OUT, source, address, "TCP", 443).verdict
        for source in SAMPLE_SOURCES
        for address in ("10.0.0.1",)
    }
    check = space.check_flow(flow, 0)
    expected = "Deny" if "Deny" in verdicts else "Undecided" if "Undecided" in verdicts else "Allow"
    assert check.verdict.value == expected
    assert check.verdict is not Verdict.DENY or check.blocked

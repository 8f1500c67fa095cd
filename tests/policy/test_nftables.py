"""nftables rulesets (``nft -j list ruleset``, libnftables-json(5)) compiled into layers:
each semantic rule by name, and bad input as one line naming file, line and field."""

from __future__ import annotations

import json

import pytest

from netfence.errors import InputError
from netfence.model.firewall import FirewallKind, FirewallLayer, TrafficDirection
from netfence.model.layers import Action
from netfence.model.origin import FileOrigin
from netfence.policy.firewall_registry import FIREWALL_LANGUAGES, read_firewall
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet

OUT = TrafficDirection.OUTBOUND
ACCEPT = {"accept": None}
DROP = {"drop": None}
RETURN = {"return": None}


def payload(protocol, field):
    return {"payload": {"protocol": protocol, "field": field}}


def match(left, right, op="=="):
    return {"match": {"op": op, "left": left, "right": right}}


def daddr(right, op="=="):
    return match(payload("ip", "daddr"), right, op)


def dport(right, protocol="tcp", op="=="):
    return match(payload(protocol, "dport"), right, op)


def jump(target, kind="jump"):
    return {kind: {"target": target}}


def chain(name, hook=None, policy="accept", prio=0, family="inet", table="filter"):
    body = {"family": family, "table": table, "name": name, "handle": 1}
    if hook is not None:
        body |= {"type": "filter", "hook": hook, "prio": prio, "policy": policy}
    return {"chain": body}


def rule(chain_name, *expr, family="inet", table="filter", comment=None):
    body = {"family": family, "table": table, "chain": chain_name, "expr": list(expr)}
    if comment is not None:
        body["comment"] = comment
    return {"rule": body}


def table(family="inet", name="filter"):
    return {"table": {"family": family, "name": name, "handle": 1}}


def ruleset(*objects, tables=(("inet", "filter"),)):
    meta = {"metainfo": {"version": "1.0.6", "json_schema_version": 1}}
    return {"nftables": [meta, *(table(f, n) for f, n in tables), *objects]}


def forward(*rules, policy="drop", extra=()):
    """One inet table with a forward base chain holding ``rules`` (expression lists)."""
    return ruleset(
        chain("forward", "forward", policy), *extra, *(rule("forward", *r) for r in rules)
    )


@pytest.fixture
def load(tmp_path):
    def _load(document) -> list[FirewallLayer]:
        path = tmp_path / "ruleset.json"
        path.write_text(json.dumps(document, indent=1))
        return read_firewall(str(path))

    return _load


@pytest.fixture
def load_error(tmp_path):
    """The error of loading ``document``, and the text it was written as (for lines)."""

    def _load(document) -> tuple[str, str]:
        path = tmp_path / "ruleset.json"
        text = json.dumps(document, indent=1)
        path.write_text(text)
        with pytest.raises(InputError) as caught:
            read_firewall(str(path))
        return str(caught.value), text

    return _load


def line_with(text: str, marker: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


def verdict(layer: FirewallLayer, address: str, protocol: str, port: int, source="10.0.0.1"):
    """First-match verdict of the outbound rules (or the default), with the deciding rule."""
    for r in layer.rules_of(OUT):
        m = r.match
        if (
            m.sources.contains(source)
            and m.destinations.addresses.contains(address)
            and m.services.contains(protocol, port)
        ):
            return r.action, r
    return layer.default(OUT), None


def only_layer(layers):
    (layer,) = [x for x in layers if x.settings.extra.get("hook") == "forward"]
    return layer


def test_base_chain_policy_is_the_layer_default_both_ways(load):
    """nftables base chain: `policy drop` is the layer's default outbound and inbound, and
    each rule is emitted once per direction (a forward chain judges both)."""
    layer = only_layer(load(forward([daddr("198.51.100.10"), ACCEPT])))
    assert layer.kind is FirewallKind.NFTABLES
    assert layer.default_outbound is Action.DENY and layer.default_inbound is Action.DENY
    assert [r.direction for r in layer.rules] == [OUT, TrafficDirection.INBOUND]
    accepting = only_layer(load(forward([daddr("198.51.100.10"), DROP], policy="accept")))
    assert accepting.default_outbound is Action.ALLOW


def test_daddr_and_dport_conjoin_and_imply_their_family_and_protocol(load):
    """A rule's match is the intersection of its expressions: `ip daddr X tcp dport 443`
    matches IPv4 to X on TCP 443 only (an `ip` match implies IPv4)."""
    layer = only_layer(load(forward([daddr("198.51.100.10"), dport(443), ACCEPT])))
    (r, _) = layer.rules
    assert r.match.destinations.addresses == IPRangeSet.from_cidr("198.51.100.10/32")
    assert r.match.sources == IPRangeSet.from_cidr("0.0.0.0/0")
    assert r.match.services == PortSet.of("TCP", 443)
    assert r.origin.path == "table inet filter chain forward rule 1"
    assert isinstance(r.origin.origin, FileOrigin) and r.origin.origin.line > 1


def test_negated_address_is_the_complement_within_the_family(load):
    """`ip saddr != 10.0.0.0/8` matches every other IPv4 source and no IPv6 packet."""
    negated = match(payload("ip", "saddr"), {"prefix": {"addr": "10.0.0.0", "len": 8}}, "!=")
    layer = only_layer(load(forward([negated, DROP], policy="accept")))
    sources = layer.rules[0].match.sources
    assert sources == IPRangeSet.from_cidr("0.0.0.0/0") - IPRangeSet.from_cidr("10.0.0.0/8")
    assert not sources.contains("2001:db8::1")


def test_named_set_anonymous_set_range_and_prefix(load):
    """`ip daddr @partners` takes the named set's elements (prefixes, ranges, wrapped
    elements with timeouts); `tcp dport { 80, 8000-8080 }` an anonymous set."""
    partners = {
        "set": {
            "family": "inet",
            "table": "filter",
            "name": "partners",
            "type": "ipv4_addr",
            "flags": ["interval"],
            "elem": [
                {"prefix": {"addr": "203.0.113.0", "len": 28}},
                {"range": ["198.51.100.20", "198.51.100.29"]},
                {"elem": {"val": "192.0.2.7", "timeout": 60}},
            ],
        }
    }
    ports = {"set": [80, {"range": [8000, 8080]}]}
    layer = only_layer(load(forward([daddr("@partners"), dport(ports), ACCEPT], extra=[partners])))
    assert verdict(layer, "203.0.113.15", "TCP", 8040)[0] is Action.ALLOW
    assert verdict(layer, "198.51.100.29", "TCP", 80)[0] is Action.ALLOW
    assert verdict(layer, "192.0.2.7", "TCP", 80)[0] is Action.ALLOW
    assert verdict(layer, "198.51.100.30", "TCP", 80)[0] is Action.DENY
    assert verdict(layer, "203.0.113.15", "TCP", 443)[0] is Action.DENY


def test_ct_state_established_related_never_decides_a_new_flow(load):
    """ct state: `established,related accept` never matches a new connection (netfence
    judges first packets), `new` matches every new flow, `invalid` none."""
    state = {"ct": {"key": "state"}}
    layer = only_layer(
        load(
            forward(
                [match(state, ["established", "related"], "in"), ACCEPT],
                [match(state, "invalid"), ACCEPT],
                [match(state, {"set": ["new", "established"]}), dport(22), ACCEPT],
            )
        )
    )
    assert len(layer.rules_of(OUT)) == 1
    assert layer.rules_of(OUT)[0].match.services == PortSet.of("TCP", 22)


def test_reject_is_deny_and_counter_log_are_no_ops(load):
    """reject ends the packet like drop; a rule with only counter and log decides nothing."""
    layer = only_layer(
        load(
            forward(
                [daddr("198.51.100.1"), {"counter": {"packets": 0, "bytes": 0}}],
                [daddr("198.51.100.1"), {"log": {"prefix": "x"}}, {"reject": None}],
                policy="accept",
            )
        )
    )
    (r,) = layer.rules_of(OUT)
    assert r.action is Action.DENY and r.origin.path.endswith("rule 2")


def test_jump_conjoins_its_match_with_the_target_rules(load):
    """jump: each rule of the target chain matches only what the jump matched too, and
    packets that fall off the target go on after the jump."""
    doc = ruleset(
        chain("forward", "forward", "drop"),
        chain("egress"),
        rule("forward", match(payload("ip", "saddr"), "10.0.0.1"), jump("egress")),
        rule("forward", dport(80), ACCEPT),
        rule("egress", dport(443), ACCEPT),
    )
    layer = only_layer(load(doc))
    first = layer.rules_of(OUT)[0]
    assert first.match.sources == IPRangeSet.from_cidr("10.0.0.1/32")
    assert "reached by table inet filter chain forward rule 1" in first.origin.path
    assert verdict(layer, "192.0.2.1", "TCP", 443)[0] is Action.ALLOW
    assert verdict(layer, "192.0.2.1", "TCP", 443, source="10.0.0.2")[0] is Action.DENY
    assert verdict(layer, "192.0.2.1", "TCP", 80)[0] is Action.ALLOW


def test_conditional_return_skips_the_rest_of_the_jumped_to_chain_exactly(load):
    """return inside a jumped-to chain: packets it matches skip the chain's later rules and
    go on after the jump (then the policy), exactly, by first match."""
    doc = ruleset(
        chain("forward", "forward", "drop"),
        chain("egress"),
        rule("forward", jump("egress")),
        rule("forward", dport(80), ACCEPT),
        rule("egress", daddr("192.0.2.5"), RETURN),
        rule("egress", ACCEPT),
    )
    layer = only_layer(load(doc))
    assert verdict(layer, "192.0.2.6", "TCP", 22)[0] is Action.ALLOW
    assert verdict(layer, "192.0.2.5", "TCP", 80)[0] is Action.ALLOW
    decided, by = verdict(layer, "192.0.2.5", "TCP", 22)
    assert decided is Action.DENY and by is not None and by.origin.path.endswith("policy drop")


def test_goto_does_not_come_back_to_the_calling_chain(load):
    """goto: what falls off the target chain goes to the caller's caller (here the policy),
    never to the rule after the goto."""
    doc = ruleset(
        chain("forward", "forward", "drop"),
        chain("tail"),
        rule("forward", daddr({"prefix": {"addr": "192.0.2.0", "len": 28}}), jump("tail", "goto")),
        rule("forward", dport(80), ACCEPT),
        rule("tail", dport(443), ACCEPT),
    )
    layer = only_layer(load(doc))
    assert verdict(layer, "192.0.2.1", "TCP", 443)[0] is Action.ALLOW
    assert verdict(layer, "192.0.2.1", "TCP", 80)[0] is Action.DENY
    assert verdict(layer, "192.0.2.100", "TCP", 80)[0] is Action.ALLOW


def test_unconditional_return_at_the_end_adds_nothing(load):
    """A return as the last rule of a jumped-to chain is modelled without copies (the
    policy it leads to is the layer's default)."""
    doc = ruleset(
        chain("forward", "forward", "drop"),
        chain("egress"),
        rule("forward", jump("egress")),
        rule("egress", dport(443), ACCEPT),
        rule("egress", RETURN),
    )
    layer = only_layer(load(doc))
    assert [r.action for r in layer.rules_of(OUT)] == [Action.ALLOW]


def test_verdict_map_is_one_rule_per_element(load):
    """vmap on daddr or dport: one rule per element with the element's verdict."""
    vmap = {
        "vmap": {
            "key": payload("tcp", "dport"),
            "data": {"set": [[80, ACCEPT], [{"range": [8000, 8001]}, DROP]]},
        }
    }
    layer = only_layer(load(forward([vmap], policy="accept")))
    assert [(r.action, r.match.services) for r in layer.rules_of(OUT)] == [
        (Action.ALLOW, PortSet.of("TCP", 80)),
        (Action.DENY, PortSet.of("TCP", 8000, 8001)),
    ]
    assert layer.rules_of(OUT)[1].origin.path.endswith("map element 8000-8001")


def test_interfaces_marks_source_ports_and_limits_are_reasons_it_cannot_decide(load):
    """iifname, meta mark, tcp sport and limit are kept on the rule as named reasons."""
    layer = only_layer(
        load(
            forward(
                [match({"meta": {"key": "iifname"}}, "eth0"), ACCEPT],
                [match({"meta": {"key": "mark"}}, 1), ACCEPT],
                [match(payload("tcp", "sport"), 1234), ACCEPT],
                [{"limit": {"rate": 5, "per": "second"}}, ACCEPT],
            )
        )
    )
    assert [r.undecidable for r in layer.rules_of(OUT)] == [
        ("interface eth0",),
        ("packet mark",),
        ("source port",),
        ("rate limit",),
    ]


def test_l4proto_with_th_dport_and_icmp_types(load):
    """`meta l4proto udp th dport 53` is UDP 53; `icmp type echo-request` is ICMP type 8 on
    IPv4; `th dport` with no protocol match keeps a reason."""
    layer = only_layer(
        load(
            forward(
                [match({"meta": {"key": "l4proto"}}, "udp"), dport(53, "th"), ACCEPT],
                [match(payload("icmp", "type"), "echo-request"), ACCEPT],
                [dport(22, "th"), ACCEPT],
            )
        )
    )
    udp, icmp, bare = layer.rules_of(OUT)
    assert udp.match.services == PortSet.of("UDP", 53) and not udp.undecidable
    assert icmp.match.services == PortSet.of("ICMP", 8 * 256, 8 * 256 + 255)
    assert not icmp.match.destinations.addresses.contains("2001:db8::1")
    assert bare.undecidable == ("th dport on a protocol without ports",)


def test_several_base_chains_on_one_hook_are_layers_in_priority_order(load):
    """Several base chains on the forward hook: one layer each, lowest priority first (a
    packet must be accepted by each); input and output chains are layers named so."""
    doc = ruleset(
        chain("late", "forward", "accept", prio=10),
        chain("early", "forward", "drop", prio=-5),
        chain("in", "input", "drop"),
        chain("out", "output", "accept"),
    )
    names = [layer.name for layer in load(doc)]
    assert names == [
        "inet filter in (input hook)",
        "inet filter early (forward hook)",
        "inet filter late (forward hook)",
        "inet filter out (output hook)",
    ]


def test_an_ip_family_table_lets_ipv6_through(load):
    """A table of family ip sees IPv4 only: IPv6 flows pass its chain whatever its policy."""
    doc = ruleset(chain("forward", "forward", "drop", family="ip"), tables=(("ip", "filter"),))
    layer = only_layer(load(doc))
    assert verdict(layer, "2001:db8::1", "TCP", 80, source="2001:db8::2")[0] is Action.ALLOW
    assert verdict(layer, "192.0.2.1", "TCP", 80)[0] is Action.DENY


def test_bridge_tables_and_nat_chains_are_notes(load):
    """Tables of other families and nat chains are not modelled: a note on every layer."""
    nat = {
        "chain": {
            "family": "ip",
            "table": "nat",
            "name": "post",
            "type": "nat",
            "hook": "postrouting",
            "prio": 100,
            "policy": "accept",
        }
    }
    doc = ruleset(
        chain("forward", "forward", "drop"),
        chain("br", "forward", "accept", family="bridge", table="br"),
        nat,
        tables=(("inet", "filter"), ("bridge", "br"), ("ip", "nat")),
    )
    layer = only_layer(load(doc))
    messages = [note.message for note in layer.notes]
    assert any(m.startswith("table bridge br: bridge tables are not modelled") for m in messages)
    assert any("table ip nat chain post: address translation" in m for m in messages)


def test_no_forward_chain_means_everything_passes_with_a_note(load):
    """An empty ruleset filters nothing: one forward layer accepting everything, noted."""
    (layer,) = load(ruleset(tables=()))
    assert layer.default_outbound is Action.ALLOW and not layer.rules
    assert "no filtering chain on the forward hook" in layer.notes[0].message


def test_comment_becomes_the_rule_description(load):
    """A rule's comment is kept as its description."""
    doc = ruleset(chain("forward", "forward"), rule("forward", ACCEPT, comment="allow all"))
    assert only_layer(load(doc)).rules[0].description == "allow all"


@pytest.mark.parametrize(
    ("expression", "marker", "message"),
    [
        (daddr("198.51.100.300"), "198.51.100.300", "invalid IPv4 address"),
        (daddr("2001:db8::1"), "2001:db8::1", "expected an IPv4 address"),
        (dport(70000), "70000", "port 70000 out of range (0-65535)"),
        (daddr("@missing"), "@missing", "set 'missing' is not declared in table inet filter"),
        # An expression is named by the line its object opens on, the one before its key.
        ({"frobnicate": None}, "frobnicate", "unknown expression 'frobnicate'"),
        (match(payload("ip", "daddr"), "1.2.3.4", "~"), '"~"', "unknown match operator '~'"),
    ],
)
def test_bad_input_is_one_line_with_file_line_and_path(load_error, expression, marker, message):
    """Bad input: an invalid address, a port out of range, an undeclared set, an unknown
    expression or operator: file, line and JSON path, then what is wrong."""
    error, text = load_error(forward([expression, ACCEPT]))
    assert "\n" not in error
    line = line_with(text, marker) - (1 if marker == "frobnicate" else 0)
    assert f"ruleset.json: document 1, line {line}: nftables[3].rule.expr[0]" in error
    assert message in error


def test_jump_to_an_undefined_chain_and_loops_are_errors(load_error):
    """A jump to a chain that does not exist, and a loop of jumps: errors naming the rule
    (the kernel refuses both)."""
    error, _ = load_error(forward([jump("nowhere")]))
    assert "table inet filter chain forward rule 1: jump to undefined chain 'nowhere'" in error
    loop = ruleset(
        chain("forward", "forward"),
        chain("a"),
        rule("forward", jump("a")),
        rule("a", jump("a", "goto")),
    )
    error, _ = load_error(loop)
    assert error.endswith("chain loop: 'a' jumps back into itself")


def test_unknown_policy_and_rule_for_an_undeclared_chain(load_error):
    """A chain policy other than accept/drop, and a rule for an undeclared chain."""
    error, text = load_error(ruleset(chain("forward", "forward", policy="maybe")))
    assert f"line {line_with(text, 'maybe')}: nftables[2].chain.policy" in error
    assert error.endswith("unknown chain policy 'maybe' (expected accept or drop)")
    error, _ = load_error(ruleset(rule("ghost", ACCEPT)))
    assert error.endswith("rule for undeclared chain 'ghost'")


def test_read_firewall_recognizes_nftables_json_and_refuses_other_shapes(tmp_path, load):
    """Recognition: `nft -j list ruleset` output is read as nftables without naming the
    format; an NSG-shaped JSON export is not taken for an nftables ruleset, and iptables-save
    text is iptables, not nftables."""
    assert only_layer(load(forward())).kind is FirewallKind.NFTABLES
    nsg = tmp_path / "nsg.json"
    nsg.write_text(json.dumps({"name": "nsg", "properties": {"securityRules": []}}))
    if all(lang.kind is not FirewallKind.NSG for lang in FIREWALL_LANGUAGES):
        with pytest.raises(InputError, match="not a firewall export netfence recognizes"):
            read_firewall(str(nsg))
    assert all(layer.kind is not FirewallKind.NFTABLES for layer in _layers_or_none(nsg))
    saved = tmp_path / "rules.v4"
    saved.write_text("*filter\n:FORWARD DROP [0:0]\nCOMMIT\n")
    assert {layer.kind for layer in read_firewall(str(saved))} == {FirewallKind.IPTABLES}
    with pytest.raises(InputError, match="not an nftables JSON ruleset"):
        read_firewall(str(saved), kind=FirewallKind.NFTABLES)


def _layers_or_none(path) -> list[FirewallLayer]:
    try:
        return read_firewall(str(path))
    except InputError:
        return []


def test_unconditional_counter_and_jump_that_falls_through_go_on_with_the_chain(load):
    """A counter-only rule matching everything, and an unconditional jump to a chain that
    decides nothing, both let every packet go on with the next rule."""
    doc = ruleset(
        chain("forward", "forward", "drop"),
        chain("audit"),
        rule("forward", {"counter": None}),
        rule("forward", jump("audit")),
        rule("forward", dport(80), ACCEPT),
        rule("audit", {"log": None}),
    )
    assert verdict(only_layer(load(doc)), "192.0.2.1", "TCP", 80)[0] is Action.ALLOW


def test_unconditional_return_in_the_middle_ends_the_chain_without_copies(load):
    """An unconditional return in a jumped-to chain is its end: later rules are unreachable,
    and the caller goes on with no copy of its rules."""
    doc = ruleset(
        chain("forward", "forward", "drop"),
        chain("egress"),
        rule("forward", match(payload("ip", "saddr"), "10.0.0.1"), jump("egress")),
        rule("forward", dport(80), ACCEPT),
        rule("egress", RETURN),
        rule("egress", ACCEPT),
    )
    layer = only_layer(load(doc))
    assert [r.origin.path for r in layer.rules_of(OUT)] == [
        "table inet filter chain forward rule 2"
    ]

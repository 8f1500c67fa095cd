"""The netfilter inliner against a direct walk of the chains: for random chains of jumps,
gotos, returns and verdicts, the inlined first-match list decides every flow as the kernel's
walk does (netfilter chain traversal: jump returns, goto does not, return goes back)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netfence.errors import InputError
from netfence.model.layers import Action
from netfence.policy.netfilter import (
    BaseChain,
    Chain,
    ChainRule,
    Conditions,
    RuleSite,
    Verdict,
    VerdictKind,
    inline_base_chain,
)
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet

# None (no match on it) twice: unconditional rules are where chain ends are decided.
DESTINATIONS = [None, None, "10.0.0.0/8", "10.1.0.0/16", "10.1.2.3/32"]
SERVICES = [None, None, PortSet.of("TCP", 80), PortSet.of("TCP", 80, 90)]
FLOWS = list(itertools.product(["10.1.2.3", "10.1.9.9", "10.9.9.9", "192.0.2.1"], [80, 85, 443]))
CHAINS = 4


def conditions(destination: str | None, services: PortSet | None, new: bool) -> Conditions:
    return Conditions(
        destinations=IPRangeSet.from_cidr(destination) if destination else IPRangeSet.everything(),
        services=services if services is not None else PortSet.all(),
        new_flows=new,
    )


@st.composite
def chain_sets(draw) -> tuple[dict[str, Chain], Action]:
    """Up to four chains; chain i only jumps to chains after it (no loops)."""
    chains: dict[str, Chain] = {}
    for index in range(CHAINS):
        rules = []
        for number in range(draw(st.integers(0, 7))):
            kinds = [VerdictKind.ACCEPT, VerdictKind.DROP, VerdictKind.RETURN, VerdictKind.CONTINUE]
            if index < CHAINS - 1:
                kinds += [VerdictKind.JUMP, VerdictKind.GOTO]
            kind = draw(st.sampled_from(kinds))
            target = None
            if kind in (VerdictKind.JUMP, VerdictKind.GOTO):
                target = f"c{draw(st.integers(index + 1, CHAINS - 1))}"
            match = conditions(
                draw(st.sampled_from(DESTINATIONS)),
                draw(st.sampled_from(SERVICES)),
                draw(st.sampled_from([True, True, True, False])),
            )
            rules.append(ChainRule(match, Verdict(kind, target), RuleSite(f"c{index} {number}")))
        chains[f"c{index}"] = Chain(f"c{index}", tuple(rules), RuleSite(f"c{index}"))
    return chains, draw(st.sampled_from([Action.ALLOW, Action.DENY]))


def matches(c: Conditions, address: str, port: int) -> bool:
    return (
        c.new_flows
        and c.destinations.contains(address)
        and c.services.contains("TCP", port)
        and c.sources.contains("10.91.0.2")
    )


def walk(chains: dict[str, Chain], name: str, address: str, port: int) -> Action | None:
    """The kernel's traversal: a verdict, or None when the packet leaves the chain."""
    for rule in chains[name].rules:
        if not matches(rule.conditions, address, port):
            continue
        kind = rule.verdict.kind
        if kind is VerdictKind.ACCEPT:
            return Action.ALLOW
        if kind is VerdictKind.DROP:
            return Action.DENY
        if kind is VerdictKind.RETURN:
            return None
        if kind in (VerdictKind.JUMP, VerdictKind.GOTO):
            assert rule.verdict.target is not None
            result = walk(chains, rule.verdict.target, address, port)
            if result is not None or kind is VerdictKind.GOTO:
                return result
    return None


def inlined(chains: dict[str, Chain], policy: Action, address: str, port: int) -> Action:
    base = BaseChain("c0", "forward", 0, policy, RuleSite("c0"))
    for rule in inline_base_chain(chains, base):
        if matches(rule.conditions, address, port):
            return rule.action
    return policy


@settings(max_examples=400, deadline=None)
@given(chain_sets())
def test_inlined_list_decides_as_the_chain_walk(drawn):
    """jump, goto, return (conditional or not), continue and verdicts: the inlined list's
    first match equals the direct walk of the chains for every flow."""
    chains, policy = drawn
    for address, port in FLOWS:
        expected = walk(chains, "c0", address, port) or policy
        assert inlined(chains, policy, address, port) is expected, (address, port)


def test_a_loop_of_jumps_is_refused():
    """Chains that jump back into themselves are an input error, as the kernel refuses them."""
    loop = ChainRule(Conditions(), Verdict(VerdictKind.JUMP, "a"), RuleSite("a rule 1"))
    chains = {
        "c0": Chain(
            "c0",
            (ChainRule(Conditions(), Verdict(VerdictKind.JUMP, "a"), RuleSite("c0 rule 1")),),
            RuleSite("c0"),
        ),
        "a": Chain("a", (loop,), RuleSite("a")),
    }
    with pytest.raises(InputError, match="chain loop: 'a' jumps back into itself"):
        inline_base_chain(chains, BaseChain("c0", "forward", 0, Action.DENY, RuleSite("c0")))

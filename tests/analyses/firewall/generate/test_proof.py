"""The proof of a generated rule set: read back by netfence's own reader and checked by the
engine before it is printed ("Nothing netfence proposes may break what works")."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from netfence.analyses.firewall.generate import GenerateOptions, generate
from netfence.analyses.firewall.generate.interface import GeneratedOutput
from netfence.analyses.firewall.generate.proof import ProofError, prove
from netfence.model.firewall import FirewallKind
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.resolver import AnswerFileResolver
from tests.analyses.firewall.generate.flows import ANSWERS, CATALOG

RESOLVER = AnswerFileResolver(
    {name: IPRangeSet.from_addresses(found) for name, found in ANSWERS.items()}, "answers"
)
SOURCES = {
    "IPv4 nodes": IPRangeSet.from_cidrs(["10.0.0.0/16"]),
    "dual-stack nodes": IPRangeSet.from_cidrs(["10.0.0.0/16", "fd00::/64"]),
    "any source": None,
}
PROVABLE = list(FirewallKind)


@pytest.mark.parametrize("kind", PROVABLE, ids=lambda k: k.value)
@pytest.mark.parametrize("sources", list(SOURCES.values()), ids=list(SOURCES))
def test_generated_rules_read_back_allow_exactly_the_required_flows(kind, sources):
    """Every generator's output, read back, allows each flow it claims and nothing more,
    for IPv4, dual-stack and unknown sources (names resolved per family)."""
    options = GenerateOptions(resolver=RESOLVER, sources=sources)
    result = generate(CATALOG, kind, options)
    proof = prove(result, CATALOG, options)
    assert proof.flows == len(CATALOG) and proof.layers
    assert set(proof.exempt) == {x.flow.entry_id for x in result.not_expressible}


def _with_text(result, name, change):
    outputs = tuple(
        replace(o, text=change(o.text)) if o.name == name else o for o in result.outputs
    )
    return replace(result, outputs=outputs)


def test_a_rule_set_allowing_more_fails_its_proof():
    """NF102 in the proof: an extra port on a generated rule is surplus, so the rule set is
    refused, naming the rule."""
    options = GenerateOptions(resolver=RESOLVER, sources=SOURCES["IPv4 nodes"])
    result = generate(CATALOG, FirewallKind.IPTABLES, options)
    widened = _with_text(
        result, "rules.v4", lambda t: t.replace("--dport 8084", "--dport 8080:8084")
    )
    assert widened.text != result.text
    with pytest.raises(ProofError, match="NF102.*8080-8083"):
        prove(widened, CATALOG, options)


def test_a_rule_set_missing_a_rule_fails_its_proof():
    """NF101 in the proof: a required flow the rule set claims but blocks is refused."""
    options = GenerateOptions(resolver=RESOLVER, sources=SOURCES["IPv4 nodes"])
    result = generate(CATALOG, FirewallKind.NSG, options)

    def drop_ntp(text: str) -> str:
        body = json.loads(text)
        rules = body["securityRules"]
        body["securityRules"] = [r for r in rules if "ntp" not in r["name"]]
        return json.dumps(body)

    with pytest.raises(ProofError, match="NF101.*ntp"):
        prove(_with_text(result, "security-rules.json", drop_ntp), CATALOG, options)


def test_a_rule_set_with_nothing_to_read_back_is_refused():
    """Output netfence cannot read is not printed as if proven."""
    result = generate(CATALOG, FirewallKind.NSG, GenerateOptions(resolver=RESOLVER))
    unreadable = replace(
        result, outputs=(GeneratedOutput(name="rules.txt", loader="cat rules.txt", text="x"),)
    )
    with pytest.raises(ProofError, match="no output netfence can read back"):
        prove(unreadable, CATALOG, GenerateOptions(resolver=RESOLVER))

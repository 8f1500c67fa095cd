"""Proof of a generated rule set, before netfence prints it: read back with netfence's own
reader for the language, then checked by the same engine ``firewall check`` uses.

A rule set is proven when, read back, it allows every required flow the generator said it
could express (no shortfall, nothing undecided), and nothing more (no surplus). What the
generator listed as not expressible may stay blocked: it said so. A rule set that fails its
proof is a bug in netfence, and is refused rather than printed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from netfence.analyses.firewall import catalog
from netfence.analyses.firewall.check import FLOW_SEPARATOR, check_firewalls
from netfence.analyses.firewall.generate.interface import (
    GeneratedOutput,
    GeneratedRuleSet,
    GenerateOptions,
    flow_label,
)
from netfence.errors import NetfenceError
from netfence.model.findings import Finding
from netfence.model.firewall import FirewallKind, FirewallLayer, RequiredFlow
from netfence.policy.firewall_registry import read_firewall_text
from netfence.sets.ipranges import IPRangeSet

READ_BACK: Final[dict[FirewallKind, tuple[str, ...]]] = {
    FirewallKind.AZURE_FIREWALL: ("rule-collection-group.json",),
    FirewallKind.NSG: ("security-rules.json",),
    FirewallKind.NFTABLES: ("rules.json",),
    FirewallKind.IPTABLES: ("rules.v4", "rules.v6"),
}
"""Per language, the outputs read back, in the order a flow crosses them (an IPv4 table
passes IPv6 untouched and the reverse, so the two iptables files in a row are the pair)."""

PROOF_POLICY: Final = "netfence-proof"
"""The Firewall Policy a generated rule collection group is read inside: DNS proxy on, as
the generator's note requires of the policy it is deployed to."""


class ProofError(NetfenceError):
    """A generated rule set that, read back, does not allow exactly the required flows."""


@dataclass(frozen=True)
class Proof:
    """What a generated rule set was proven against."""

    outputs: tuple[str, ...]
    """The outputs read back."""
    layers: tuple[FirewallLayer, ...]
    """The layers they read as."""
    flows: int
    """The required flows checked."""
    exempt: tuple[str, ...]
    """The flows (labels) the generator said it could not express in full."""

    def describe(self) -> str:
        """One line for the user: what was read back and checked."""
        exempt = f"; {len(self.exempt)} not expressible in full" if self.exempt else ""
        return (
            f"read back {', '.join(self.outputs)} as {len(self.layers)} layer(s): every one of"
            f" {self.flows} required flows allowed, nothing beyond them{exempt}"
        )


def prove(
    result: GeneratedRuleSet, flows: Sequence[RequiredFlow], options: GenerateOptions
) -> Proof:
    """Read ``result`` back and check it against ``flows``; ProofError when it blocks a
    flow it claims to allow, leaves one undecided, or allows anything beyond them."""
    outputs = _outputs(result)
    exempt = {flow_label(item.flow) for item in result.not_expressible}
    layers: list[FirewallLayer] = []
    problems: list[str] = []
    for output in outputs:
        read = _read_back(result.format, output)
        layers.extend(read)
        findings = check_firewalls(
            read,
            flows,
            cluster_sources=_sources_of(output, options.sources),
            resolver=options.resolver,
        )
        problems.extend(_problem(f) for f in findings if _fails(f, exempt))
    if problems:
        raise ProofError(
            f"the generated {result.format.value} rules failed their check, so they are not"
            f" printed (a bug in netfence; please report it): {'; '.join(problems)}"
        )
    return Proof(tuple(o.name for o in outputs), tuple(layers), len(flows), tuple(sorted(exempt)))


def _outputs(result: GeneratedRuleSet) -> list[GeneratedOutput]:
    """The outputs to read back, in path order."""
    by_name = {output.name: output for output in result.outputs}
    wanted = [by_name[name] for name in READ_BACK[result.format] if name in by_name]
    if not wanted:
        raise ProofError(
            f"the generated {result.format.value} rules have no output netfence can read back"
            f" ({', '.join(by_name)}), so they are not printed"
        )
    return wanted


FAMILY_OUTPUTS: Final = {"rules.v4": 4, "rules.v6": 6}
"""Outputs that filter one family's packets (iptables' and ip6tables' tables): each is
proven for the sources of its family, since the other family never enters it."""


def _sources_of(output: GeneratedOutput, sources: IPRangeSet | None) -> IPRangeSet:
    """The sources an output is proven for."""
    version = FAMILY_OUTPUTS.get(output.name)
    whole = IPRangeSet.everything() if version is None else IPRangeSet.whole_family(version)
    return whole if sources is None else sources & whole


def _read_back(kind: FirewallKind, output: GeneratedOutput) -> list[FirewallLayer]:
    """The layers of one output, read as a user's export of it would be."""
    text = output.text
    if kind is FirewallKind.AZURE_FIREWALL:
        text = _inside_policy(text)
    return read_firewall_text(text, f"generated {output.name}", kind=kind)


def _inside_policy(group: str) -> str:
    """A rule collection group inside a Firewall Policy with DNS proxy on: the deployment the
    generator's note asks for (FQDNs in network rules need it)."""
    policy = {
        "type": "Microsoft.Network/firewallPolicies",
        "name": PROOF_POLICY,
        "properties": {"dnsSettings": {"enableProxy": True}},
    }
    body = json.loads(group)
    body.setdefault("type", "Microsoft.Network/firewallPolicies/ruleCollectionGroups")
    body["name"] = f"{PROOF_POLICY}/{body.get('name', 'group')}"
    return json.dumps([policy, body], indent=1)


_FLOW_CHECKS: Final = {catalog.SHORTFALL.check_id, catalog.CANNOT_DECIDE.check_id}


def _fails(finding: Finding, exempt: set[str]) -> bool:
    """Whether a finding disproves the rule set: any surplus; a shortfall or an undecided
    part of a required flow the generator did not list as not expressible."""
    check = finding.check.check_id
    if check == catalog.SURPLUS.check_id:
        return True
    if check not in _FLOW_CHECKS:
        return False
    key = finding.detail_key
    if check == catalog.CANNOT_DECIDE.check_id:
        if not key.startswith("flow "):
            return False  # a rule's own undecided cells, not a required flow's
        return not set(key.removeprefix("flow ").split(FLOW_SEPARATOR)) <= exempt
    return key not in exempt


def _problem(finding: Finding) -> str:
    return f"{finding.check.check_id}: {finding.message}"

"""``netfence firewall generate``: arguments, and the run that wires resolver, generator, output.

The required flows come from a callable (the endpoint catalog, the policies' egress); this
module only parses options, builds the resolver, calls the generator and reports what it could
not express on stderr. Exit code 0 when the rule set allows every required flow, 1 when some
are not expressible (the output is still written), 2 for bad input.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Callable, Sequence

from netfence.analyses.firewall.generate import GeneratedRuleSet, GenerateOptions, generate
from netfence.errors import InputError
from netfence.model.firewall import FirewallKind, RequiredFlow
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.resolver import AnswerFileResolver, DNSResolver, Resolver


def add_generate_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``firewall generate``."""
    parser.add_argument(
        "--format",
        required=True,
        choices=[kind.value for kind in FirewallKind],
        help="the firewall language to write",
    )
    names = parser.add_mutually_exclusive_group()
    names.add_argument(
        "--dns-server",
        metavar="IP[:PORT]",
        help="resolve names by asking this DNS server (nftables, iptables, NSG)",
    )
    names.add_argument(
        "--dns-answers", metavar="FILE", help="resolve names from a DNS answer file (YAML/JSON)"
    )
    parser.add_argument(
        "--dns-timeout",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="the most one name may take, retries included (default 3)",
    )
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="CIDR",
        help="the cluster's node or egress addresses: rules allow only these sources (repeatable)",
    )
    parser.add_argument(
        "--service-tag",
        action="append",
        default=[],
        metavar="ENTRY=TAG[,TAG]",
        help="NSG: the service tags that cover a catalog entry (repeatable)",
    )
    parser.add_argument("--name", default="netfence-required", help="the rule set's name")
    parser.add_argument(
        "--priority",
        type=int,
        help="Azure Firewall: the group's priority (default 1000); NSG: the first rule's (100)",
    )
    parser.add_argument(
        "--ip-family",
        type=int,
        choices=(4, 6),
        default=4,
        help="iptables: print the iptables-restore (4) or ip6tables-restore (6) input",
    )


def run_generate(
    args: argparse.Namespace, required_flows: Callable[[], Sequence[RequiredFlow]]
) -> tuple[str, int]:
    """(the text to print, the exit code); notes and what is not expressible go to stderr."""
    options = GenerateOptions(
        resolver=_resolver(args),
        sources=_sources(args.source),
        service_tags=_service_tags(args.service_tag),
        name=args.name,
        priority=args.priority,
    )
    result = generate(required_flows(), FirewallKind(args.format), options)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for item in result.not_expressible:
        print(f"not expressible: {item.describe()}", file=sys.stderr)
    return _chosen_text(result, args.ip_family), 0 if result.exact else 1


def _chosen_text(result: GeneratedRuleSet, ip_family: int) -> str:
    if result.format is FirewallKind.IPTABLES and ip_family == 6:
        for output in result.outputs:
            if output.name == "rules.v6":
                return output.text
        return ""
    return result.text


def _resolver(args: argparse.Namespace) -> Resolver | None:
    if args.dns_server:
        return DNSResolver(args.dns_server, timeout=args.dns_timeout)
    if args.dns_answers:
        return AnswerFileResolver.read(args.dns_answers)
    return None


def _sources(cidrs: Sequence[str]) -> IPRangeSet | None:
    if not cidrs:
        return None
    for cidr in cidrs:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise InputError(f"{cidr!r} is not a CIDR", field="--source") from None
    return IPRangeSet.from_cidrs(cidrs)


def _service_tags(values: Sequence[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for value in values:
        entry, sep, tags = value.partition("=")
        listed = tuple(t.strip() for t in tags.split(",") if t.strip())
        if not sep or not entry.strip() or not listed:
            raise InputError(f"{value!r}: expected ENTRY=TAG[,TAG]", field="--service-tag")
        out[entry.strip()] = out.get(entry.strip(), ()) + listed
    return out

"""Options ``firewall check``, ``firewall generate`` and ``scan`` share: the exports, what
gives their rules meaning, the cluster's addresses on the path, and where names resolve."""

from __future__ import annotations

import argparse
import ipaddress
from typing import TYPE_CHECKING

from netfence.errors import InputError
from netfence.model.firewall import FirewallKind, FirewallLayer
from netfence.sets.ipranges import IPRangeSet

# The firewall readers, the check and the resolvers are imported by the functions that use
# them: every command that reads manifests takes these options, and most runs give none of
# them (importing the firewall languages costs more than a small cluster's analysis).
if TYPE_CHECKING:
    from netfence.analyses.firewall.run import FirewallCheckOptions
    from netfence.sources.resolver import Resolver


def cidr(text: str) -> IPRangeSet:
    """A CIDR or an address, as the command line gives it."""
    try:
        return IPRangeSet.from_cidr(ipaddress.ip_network(text, strict=False))
    except ValueError:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise argparse.ArgumentTypeError(
            f"expected a CIDR or an IP address, got {shown!r}"
        ) from None


def add_export_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    """The options that read firewall exports and give their rules meaning."""
    parser.add_argument(
        "--firewall",
        action="extend",
        nargs="+",
        default=[],
        required=required,
        metavar="FILE",
        help="firewall exports, in the order a flow from the cluster crosses them (Azure"
        " Firewall policy, NSG, 'nft -j list ruleset', iptables-save)",
    )
    parser.add_argument(
        "--firewall-format",
        choices=[k.value for k in FirewallKind],
        help="the exports' language, when netfence should not recognize it",
    )
    parser.add_argument(
        "--service-tags",
        metavar="FILE",
        help="Azure's Service Tags JSON (the weekly download or 'az network list-service-tags')"
        " to expand service tags into addresses",
    )
    parser.add_argument(
        "--virtual-network",
        type=cidr,
        action="append",
        default=[],
        metavar="CIDR",
        help="the address space NSG's VirtualNetwork tag stands for (repeatable)",
    )


def add_path_options(parser: argparse.ArgumentParser) -> None:
    """The addresses the cluster's flows carry on the path to the firewalls."""
    parser.add_argument(
        "--source",
        type=cidr,
        action="append",
        default=[],
        metavar="CIDR",
        help="the addresses the cluster leaves with (default: its nodes' addresses, from the"
        " cluster's objects; repeatable)",
    )
    parser.add_argument(
        "--no-snat",
        type=cidr,
        action="append",
        default=[],
        metavar="CIDR",
        help="destinations pods reach with their own addresses, without SNAT to the node"
        " (repeatable)",
    )


def add_resolver_options(parser: argparse.ArgumentParser) -> None:
    """Where names' addresses come from, for rules and languages that match addresses."""
    names = parser.add_mutually_exclusive_group()
    names.add_argument(
        "--resolver",
        "--dns-server",
        dest="resolver",
        metavar="IP[:PORT]",
        help="resolve names by asking this DNS server (A and AAAA, CNAMEs followed)",
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


def resolver_from(args: argparse.Namespace) -> Resolver | None:
    """The resolver the options name, if any."""
    from netfence.sources.resolver import AnswerFileResolver, DNSResolver

    if args.resolver:
        try:
            return DNSResolver(args.resolver, timeout=args.dns_timeout)
        except InputError as error:  # name the option, not the resolver's own parameter
            raise InputError(error.message, field="--resolver") from None
    if args.dns_answers:
        return AnswerFileResolver.read(args.dns_answers)
    return None


def read_layers(args: argparse.Namespace) -> list[FirewallLayer]:
    """The layers of every ``--firewall`` export, with the context the options give."""
    from netfence.analyses.firewall.inputs import read_firewall_layers

    return read_firewall_layers(
        args.firewall,
        service_tags=args.service_tags,
        virtual_network=IPRangeSet.union_of(args.virtual_network) if args.virtual_network else None,
        kind=FirewallKind(args.firewall_format) if args.firewall_format else None,
    )


def check_options(args: argparse.Namespace) -> FirewallCheckOptions:
    """What the firewall analyses are told beyond the exports."""
    from netfence.analyses.firewall.run import FirewallCheckOptions
    from netfence.cli.endpoints import endpoint_options

    return FirewallCheckOptions(
        endpoints=endpoint_options(args),
        sources=IPRangeSet.union_of(args.source) if args.source else None,
        no_snat=IPRangeSet.union_of(args.no_snat) if args.no_snat else None,
        resolver=resolver_from(args),
    )


def add_firewall_input_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    """The exports and the cluster's addresses on the path (``explain``, ``connectivity``)."""
    add_export_options(parser, required=required)
    add_path_options(parser)

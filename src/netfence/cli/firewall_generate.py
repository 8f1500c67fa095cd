"""``netfence firewall generate``: the minimal rules for what the cluster requires, proven
by reading them back before they are printed.

Exit code 0 when the rule set allows every required flow, 1 when some part of one is not
expressible in the language (the rule set is still printed, and what it lacks is said on
stderr), 2 for bad input or a rule set that fails its proof (then nothing is printed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from netfence.analyses.firewall.generate import GeneratedRuleSet, GenerateOptions
from netfence.analyses.firewall.run import FirewallGeneration, run_firewall_generate
from netfence.cli.endpoints import add_endpoint_options
from netfence.cli.firewall_options import (
    add_path_options,
    add_resolver_options,
    check_options,
    resolver_from,
)
from netfence.cli.inputs import optional_cluster_from_args
from netfence.cli.live_options import add_live_options
from netfence.cli.options import add_color_option, add_verbose_option
from netfence.cli.terminal import Progress
from netfence.errors import InputError
from netfence.model.firewall import FirewallKind
from netfence.report.fix_files import write_files

EXIT_NOT_EXPRESSIBLE = 1


def add_generate_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``firewall generate``."""
    parser.add_argument(
        "--format",
        required=True,
        choices=[kind.value for kind in FirewallKind],
        help="the firewall language to write",
    )
    parser.add_argument(
        "--cluster",
        action="extend",
        nargs="+",
        default=[],
        metavar="PATH",
        help="the cluster's manifests: its nodes' addresses (the rules' sources) and the"
        " external egress its policies allow (allowed too)",
    )
    add_live_options(parser)
    add_endpoint_options(parser)
    add_path_options(parser)
    add_resolver_options(parser)
    parser.add_argument(
        "--catalog-service-tags",
        action="store_true",
        help="NSG: allow the service tags the catalog documents for an entry, instead of its"
        " names' resolved addresses",
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
    parser.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="write every output file (rules.nft and rules.json; rules.v4 and rules.v6) into"
        " DIR instead of printing one",
    )
    add_verbose_option(parser)
    parser.add_argument("--strict", action="store_true", help="refuse unknown manifest fields")
    add_color_option(parser)


def run_generate(args: argparse.Namespace, progress: Progress | None = None) -> tuple[str, int]:
    """(the text to print, the exit code); notes and what is not expressible go to stderr."""
    cluster = optional_cluster_from_args(args, progress=progress)
    options = check_options(args)
    generate_options = GenerateOptions(
        resolver=resolver_from(args),
        sources=options.sources,
        service_tags=_service_tags(args.service_tag),
        catalog_service_tags=args.catalog_service_tags,
        name=args.name,
        priority=args.priority,
    )
    if progress is not None:
        progress.stage("generating and proving the rules")
    generation = run_firewall_generate(
        FirewallKind(args.format), options, generate_options, cluster
    )
    _say(generation)
    result = generation.result
    code = 0 if result.exact else EXIT_NOT_EXPRESSIBLE
    if args.output_dir is not None:
        files = {output.name: output.text for output in result.outputs}
        written = write_files(files, args.output_dir, "--output-dir")
        loaders = "; ".join(o.loader for o in result.outputs)
        return f"wrote {', '.join(str(p) for p in written)} (load with: {loaders})\n", code
    return _chosen_text(result, args.ip_family), code


def _say(generation: FirewallGeneration) -> None:
    """The deployer's notes, what is not expressible, and the proof, on stderr."""
    result = generation.result
    if generation.features_from:
        shown = ", ".join(f"{f.value} ({w})" for f, w in generation.features_from.items())
        print(
            f"netfence: features taken from the Arc agents the cluster runs: {shown}"
            " (--features to set them)",
            file=sys.stderr,
        )
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for item in result.not_expressible:
        print(f"not expressible: {item.describe()}", file=sys.stderr)
    print(f"proven: {generation.proof.describe()}", file=sys.stderr)


def _chosen_text(result: GeneratedRuleSet, ip_family: int) -> str:
    if result.format is FirewallKind.IPTABLES and ip_family == 6:
        for output in result.outputs:
            if output.name == "rules.v6":
                return output.text
        return ""
    return result.text


def _service_tags(values: list[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for value in values:
        entry, sep, tags = value.partition("=")
        listed = tuple(t.strip() for t in tags.split(",") if t.strip())
        if not sep or not entry.strip() or not listed:
            raise InputError(f"{value!r}: expected ENTRY=TAG[,TAG]", field="--service-tag")
        out[entry.strip()] = out.get(entry.strip(), ()) + listed
    return out

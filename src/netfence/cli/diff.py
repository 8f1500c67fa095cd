"""``netfence diff BEFORE AFTER``: the flows a change opens and closes, and why.

Each side is a *cluster spec*, resolved by :func:`resolve_cluster`: a manifest file or
directory, ``git:REV:PATH`` (a revision's tree, no checkout), or ``-`` (standard input, one
side only). With ``--live`` only AFTER is given: BEFORE is the running cluster, and AFTER
is that cluster with AFTER's policies applied over it (:mod:`netfence.analyses.apply`), so
the diff says what applying them would open and close.

Exit codes: 0, whatever changed; 1 with ``--fail-on-added`` when a flow was opened, or when
an opened flow matches a ``--forbid`` rule; 2 for a usage or input error.
"""

from __future__ import annotations

import argparse
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from netfence.analyses.apply import apply_policies
from netfence.analyses.connectivity_map import Granularity
from netfence.analyses.diff import ClusterDiff, diff_clusters
from netfence.analyses.diff_forbid import ForbidRule, forbidden, parse_forbid
from netfence.cli.inputs import (
    live_options,
    read_cluster,
    read_cluster_from,
    read_live_cluster,
    refuse_live_only,
)
from netfence.cli.live_options import add_live_options
from netfence.cli.options import (
    add_color_option,
    add_granularity_option,
    add_verbose_option,
    namespace_name,
)
from netfence.cli.terminal import Progress
from netfence.errors import InputError, QueryError
from netfence.model.cluster import Cluster
from netfence.report.diff_json import render_diff_json
from netfence.report.diff_markdown import render_diff_markdown
from netfence.report.diff_sarif import render_diff_sarif
from netfence.report.diff_text import render_diff_text
from netfence.sources.git_tree import git_documents, is_git_spec
from netfence.sources.manifests import STDIN

Renderer = Callable[[ClusterDiff, Sequence[tuple[str, ...]]], str]

DIFF_RENDERERS: Final[dict[str, Renderer]] = {
    "text": render_diff_text,
    "json": render_diff_json,
    "md": render_diff_markdown,
    "sarif": render_diff_sarif,
}
"""The output formats of ``netfence diff``."""

SIDES: Final = ("BEFORE", "AFTER")
"""The sides' names in messages."""
EXIT_CHANGED: Final = 1
"""``--fail-on-added`` and something opened, or a ``--forbid`` rule broken."""


class SpecKind(enum.StrEnum):
    """Where a side of the diff is read from."""

    PATH = "path"
    GIT = "git"
    STDIN = "stdin"


@dataclass(frozen=True)
class ClusterSpec:
    """One side of the diff as the user named it."""

    text: str
    """As given on the command line."""
    kind: SpecKind
    """Which source reads it."""


def cluster_spec(text: str) -> ClusterSpec:
    """What kind of source a side names."""
    if text == STDIN:
        return ClusterSpec(text, SpecKind.STDIN)
    if is_git_spec(text):
        return ClusterSpec(text, SpecKind.GIT)
    return ClusterSpec(text, SpecKind.PATH)


def resolve_cluster(spec: ClusterSpec, args: argparse.Namespace, progress: Progress) -> Cluster:
    """Read the cluster one side names (the one place a new kind of source joins)."""
    options = {"strict": args.strict, "verbose": args.verbose, "progress": progress}
    if spec.kind is SpecKind.GIT:
        set_aside: list[str] = []
        contents: dict[str, str] = {}
        documents = git_documents(spec.text, set_aside, contents=contents)
        return read_cluster_from(
            documents, set_aside, lambda: spec.text, contents=contents, **options
        )
    return read_cluster([spec.text], **options)


def _sides(args: argparse.Namespace, progress: Progress) -> list[Cluster]:
    """BEFORE and AFTER as named on the command line."""
    refuse_live_only(args)
    if args.before is None or args.after is None:
        raise QueryError("give BEFORE and AFTER (or --live and AFTER)")
    specs = [cluster_spec(args.before), cluster_spec(args.after)]
    if all(s.kind is SpecKind.STDIN for s in specs):
        raise QueryError("only one side of a diff can be read from standard input ('-')")
    return [_read_side(side, spec, args, progress) for side, spec in zip(SIDES, specs, strict=True)]


def _live_sides(args: argparse.Namespace, progress: Progress) -> list[Cluster]:
    """The live cluster, and the live cluster with the one side given applied over it."""
    if args.before is None or args.after is not None:
        raise QueryError("with --live give AFTER only: BEFORE is the live cluster")
    if args.all_namespaces:
        raise QueryError("diff --live reads every namespace: -A is not needed")
    progress.stage("reading the live cluster")
    try:
        live = read_live_cluster(live_options(args), verbose=args.verbose, progress=progress)
    except InputError as exc:
        raise InputError(f"BEFORE (live): {exc}") from None
    change = _read_side("AFTER", cluster_spec(args.before), args, progress)
    return [live, apply_policies(live, change)]


def _read_side(
    side: str, spec: ClusterSpec, args: argparse.Namespace, progress: Progress
) -> Cluster:
    """One side's cluster; an input error says which side it is in."""
    progress.stage(f"reading {side}")
    try:
        return resolve_cluster(spec, args, progress)
    except InputError as exc:  # which side is wrong, then where in it
        raise InputError(f"{side}: {exc}") from None


def add_diff_parser(commands: Any) -> None:
    """Register ``netfence diff``."""
    diff = commands.add_parser(
        "diff",
        help="the flows a change opens and closes between two clusters (semantic diff)",
        description="Compare what two clusters allow, flow by flow. BEFORE and AFTER are each "
        "a manifest file or directory, git:REV:PATH (a revision's tree of the repository "
        "holding the current directory; REV ends at the first ':'), or '-' for stdin (one "
        "side only).",
    )
    diff.add_argument("before", metavar="BEFORE", nargs="?", help="the cluster before the change")
    diff.add_argument(
        "after",
        metavar="AFTER",
        nargs="?",
        help="the cluster after the change (with --live, the only one given: the manifests "
        "whose policies are applied over the live cluster)",
    )
    diff.add_argument("-o", "--output", choices=sorted(DIFF_RENDERERS), default="text")
    add_granularity_option(diff)
    diff.add_argument(
        "-n",
        "--namespace",
        action="append",
        metavar="NS",
        type=namespace_name,
        help="keep flow changes with an end in NS (repeatable)",
    )
    diff.add_argument(
        "--fail-on-added", action="store_true", help="exit 1 when the change opens any flow"
    )
    diff.add_argument(
        "--forbid",
        action="append",
        default=[],
        metavar="SPEC",
        help="exit 1 when an opened flow matches SRC->DST[:PORT[/PROTO]] (ns/name with * "
        "globs, or a CIDR; repeatable)",
    )
    add_verbose_option(diff)
    diff.add_argument(
        "--strict", action="store_true", help="unknown fields in manifests are errors"
    )
    add_color_option(diff)
    add_live_options(diff)


def run_diff(args: argparse.Namespace, progress: Progress) -> tuple[str, int]:
    """Read both sides, diff them, render; the exit code per ``--fail-on-added``/``--forbid``."""
    rules: list[ForbidRule] = [parse_forbid(text) for text in args.forbid]
    clusters = _live_sides(args, progress) if args.live else _sides(args, progress)
    progress.stage("comparing")
    diff = diff_clusters(clusters[0], clusters[1], Granularity(args.granularity), args.namespace)
    violations = forbidden(diff, rules)
    progress.stage("rendering")
    output = DIFF_RENDERERS[args.output](diff, violations)
    failed = any(violations) or (args.fail_on_added and bool(diff.opened))
    return output, EXIT_CHANGED if failed else 0

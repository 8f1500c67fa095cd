"""``netfence test``: connectivity assertions from a spec file, checked against the manifests;
and ``netfence test --init``, a starting spec from the current connectivity map.

Exit codes: 0 when every assertion passes, 1 when one fails or cannot be evaluated (an end that
matches nothing, a named port not declared), 2 for a usage or input error. The module is not
called ``test_*.py`` so that no test runner takes it for tests.
"""

from __future__ import annotations

import argparse
import enum
import os
import sys
from pathlib import Path
from typing import Any, Final

from netfence.analyses.assertions import AssertionReport, evaluate_assertions
from netfence.analyses.assertions_init import initial_assertions, parse_must_hold
from netfence.analyses.connectivity_map import Granularity, connectivity_map
from netfence.cli.inputs import live_options, read_cluster, read_live_cluster, refuse_live_only
from netfence.cli.live_options import add_live_options
from netfence.cli.options import (
    STRICT_HELP,
    add_color_option,
    add_verbose_option,
    namespace_name,
)
from netfence.cli.terminal import Progress, color_wanted
from netfence.errors import OutputError, QueryError
from netfence.model.cluster import Cluster
from netfence.model.connectivity_tests import (
    Assertion,
    AssertionEnd,
    ConnectivityTests,
    NamedEnd,
    SelectorEnd,
)
from netfence.report.assertions import (
    render_assertions_junit,
    render_assertions_sarif,
    render_assertions_text,
    render_spec,
)
from netfence.report.fix_files import write_files
from netfence.sources.connectivity_tests import read_connectivity_tests

EXIT_FAILED: Final = 1
"""An assertion failed or could not be evaluated."""
STDOUT: Final = "-"
"""``-``: standard input as an input, standard output for ``--init -o -``."""


class ResultFormat(enum.StrEnum):
    """How results are written."""

    TEXT = "text"
    """One line per assertion, failures with the explain walk."""
    JUNIT = "junit"
    """JUnit XML, one test case per assertion."""
    SARIF = "sarif"
    """SARIF 2.1.0, one result per failed assertion."""


def add_test_parser(commands: Any) -> None:
    """Register ``test``."""
    test = commands.add_parser(
        "test",
        help="check connectivity assertions (SPEC) against the manifests; --init writes a spec",
        description="Check every assertion of SPEC (docs/connectivity-tests.md) against the"
        " manifests: exit 0 when all pass, 1 when one fails or cannot be evaluated. With"
        " --init, no SPEC: write a spec of the connections the manifests allow today.",
    )
    test.add_argument(
        "inputs",
        nargs="*",
        metavar="SPEC PATH",
        help="the spec file, then manifest files or directories ('-' for stdin); with"
        " --init, manifests only; with --live, no PATH",
    )
    test.add_argument(
        "-o",
        "--output",
        metavar="FORMAT|FILE",
        help="text (default), junit or sarif; with --init, the spec file to write (default"
        " '-': standard output)",
    )
    test.add_argument(
        "-n",
        "--namespace",
        action="append",
        metavar="NS",
        type=namespace_name,
        help="only assertions with an end named in NS (with --init: connections with an end"
        " in NS); repeatable",
    )
    test.add_argument(
        "--init", action="store_true", help="write a starting spec from the connectivity map"
    )
    test.add_argument(
        "--must-hold",
        action="append",
        default=[],
        metavar="SRC->DST",
        help="with --init: assert only the connections whose workloads match these globs on"
        " ns/name (e.g. 'shop/*->shop/db'); repeatable",
    )
    test.add_argument(
        "--deny-others",
        action="store_true",
        help="with --init: also assert denied every pair of the marked workloads that is"
        " denied today",
    )
    test.add_argument("--force", action="store_true", help="with --init: replace FILE")
    add_verbose_option(test)
    test.add_argument("--strict", action="store_true", help=STRICT_HELP)
    add_color_option(test)
    add_live_options(test)


def _cluster(args: argparse.Namespace, paths: list[str], progress: Progress | None) -> Cluster:
    """The manifests at ``paths``, or with ``--live`` the running cluster (every namespace:
    an assertion's verdict depends on the policies at both ends)."""
    if not args.live:
        refuse_live_only(args)
        if not paths:
            raise QueryError("test: give at least one manifest PATH (or --live)")
        return read_cluster(paths, strict=args.strict, verbose=args.verbose, progress=progress)
    if paths:
        raise QueryError("test: give manifest PATHs or --live, not both")
    if args.all_namespaces:
        raise QueryError("test --live reads every namespace: -A is not needed")
    return read_live_cluster(live_options(args), verbose=args.verbose, progress=progress)


def run_test(args: argparse.Namespace, progress: Progress | None = None) -> tuple[str, int]:
    """Run ``test`` or ``test --init``; returns the output and the exit code."""
    if args.init:
        return _run_init(args, progress)
    _refuse_init_options(args)
    output = _result_format(args.output)
    if not args.inputs:
        raise QueryError("test: give the spec file and at least one manifest PATH (or --live)")
    if args.inputs[0] == STDOUT and STDOUT in args.inputs[1:]:
        raise QueryError("test: standard input ('-') can hold the spec or the manifests, not both")
    spec = _selected(read_connectivity_tests(args.inputs[0]), args.namespace)
    cluster = _cluster(args, args.inputs[1:], progress)
    if progress is not None:
        progress.stage("checking the assertions")
    report = evaluate_assertions(cluster, spec)
    color = color_wanted(args.color, sys.stdout)
    return _render(report, output, color), 0 if report.all_passed else EXIT_FAILED


def _refuse_init_options(args: argparse.Namespace) -> None:
    for given, option in (
        (args.must_hold, "--must-hold"),
        (args.deny_others, "--deny-others"),
        (args.force, "--force"),
    ):
        if given:
            raise QueryError(f"{option} goes with --init")


def _result_format(text: str | None) -> ResultFormat:
    if text is None:
        return ResultFormat.TEXT
    try:
        return ResultFormat(text)
    except ValueError:
        valid = ", ".join(f.value for f in ResultFormat)
        raise QueryError(
            f"-o {text!r}: expected one of {valid} (a file only with --init)"
        ) from None


def _render(report: AssertionReport, output: ResultFormat, color: bool) -> str:
    if output is ResultFormat.JUNIT:
        return render_assertions_junit(report)
    if output is ResultFormat.SARIF:
        return render_assertions_sarif(report)
    return render_assertions_text(report, color=color)


def _selected(spec: ConnectivityTests, namespaces: list[str] | None) -> ConnectivityTests:
    """The spec's assertions with an end named in one of ``namespaces`` (all without)."""
    if not namespaces:
        return spec
    wanted = set(namespaces)
    kept = tuple(a for a in spec.assertions if _namespaces_of(a) & wanted)
    if not kept:
        raise QueryError(f"-n: no assertion of {spec.file} names an end in {', '.join(namespaces)}")
    return ConnectivityTests(spec.file, kept)


def _namespaces_of(assertion: Assertion) -> set[str]:
    return {ns for end in (assertion.source, assertion.destination) if (ns := _namespace(end))}


def _namespace(end: AssertionEnd) -> str | None:
    if isinstance(end, NamedEnd) and "/" in end.name:
        return end.name.partition("/")[0]
    if isinstance(end, SelectorEnd):
        return end.namespace
    return None


def _run_init(args: argparse.Namespace, progress: Progress | None) -> tuple[str, int]:
    patterns = [parse_must_hold(text) for text in args.must_hold]
    target = STDOUT if args.output is None else args.output
    cluster = _cluster(args, args.inputs, progress)
    if progress is not None:
        progress.stage("mapping the connections")
    mapped = connectivity_map(cluster, Granularity.WORKLOAD, args.namespace)
    planned = initial_assertions(cluster, patterns, args.deny_others, mapped)
    if not planned:
        raise QueryError(
            "--init: no allowed connection between two workloads"
            + (" matches --must-hold" if patterns else "")
        )
    text = render_spec(planned, every_connection=not patterns)
    if target == STDOUT:
        return text, 0
    _write_spec(Path(target), text, args.force)
    return "", 0


def _write_spec(path: Path, text: str, force: bool) -> None:
    """Write the spec (never through a symbolic link, never over a file without --force)."""
    if not path.name:
        raise OutputError(f"-o {path}: names a directory, not a file")
    if os.path.lexists(path) and not force:
        raise OutputError(f"-o {path}: exists; use --force to replace it")
    write_files({path.name: text}, path.parent, "-o")
    print(f"netfence: wrote {path}", file=sys.stderr)

"""``netfence`` commands. Parsing and wiring only; the library does the work.

Exit codes: 0 success, 1 findings at or above ``--fail-on`` (for ``explain --expect``: the
other verdict; for ``test``: an assertion that fails or cannot be evaluated), 2 usage or input error (an input without Kubernetes objects too), 3 an
internal error (a bug), 130 interrupted, 141 standard output closed by its reader. Every error
is one line on standard error: what came from the input is printed with its line breaks and
control characters escaped, so that no input can forge a line.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import NoReturn

from netfence._version import __version__
from netfence.cli.assertions import add_test_parser, run_test
from netfence.cli.completion import Shell, add_completion_parser, completion_script
from netfence.cli.connectivity import run_connectivity
from netfence.cli.diff import add_diff_parser, run_diff
from netfence.cli.endpoints import add_endpoints_parser, run_endpoints
from netfence.cli.explain import add_explain_arguments, run_explain
from netfence.cli.firewall import add_firewall_parser, run_firewall
from netfence.cli.firewall_options import add_firewall_input_options
from netfence.cli.ipplan import add_ipplan_parser, run_ipplan
from netfence.cli.live_options import add_live_options
from netfence.cli.options import (
    add_color_option,
    add_granularity_option,
    add_verbose_option,
    namespace_name,
)
from netfence.cli.privatelink import add_privatelink_parser, run_privatelink
from netfence.cli.rbac import add_rbac_parser, run_rbac
from netfence.cli.scan import STRICT_HELP, add_scan_parser, render_checks_for, run_scan
from netfence.cli.terminal import Progress, color_wanted
from netfence.errors import NetfenceError
from netfence.report.connectivity import RENDERERS
from netfence.report.printable import one_line

EXIT_OK = 0
EXIT_ERROR = 2
"""A usage, input or output error: one line on stderr naming where."""
EXIT_INTERNAL = 3
"""A bug in netfence: one line on stderr, never exit 1 (which means findings)."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C), as shells report SIGINT."""
EXIT_BROKEN_PIPE = 141
"""The reader of standard output went away (``| head``), as shells report SIGPIPE."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line with exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"netfence: error: {message} (see '{self.prog} --help')\n")


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="manifest files or directories (YAML or JSON, searched recursively); '-' for"
        " stdin; none with --live",
    )
    add_live_options(parser)
    add_verbose_option(parser)
    parser.add_argument("--strict", action="store_true", help=STRICT_HELP)
    add_color_option(parser)


def build_parser(prog: str = "netfence") -> argparse.ArgumentParser:
    """The argument parser of every command (``prog``: the name help gives it)."""
    parser = _Parser(
        prog=prog,
        description="Exact reachability and hardening checks for Kubernetes network policies.",
    )
    parser.add_argument("--version", action="version", version=f"netfence {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    conn = commands.add_parser(
        "connectivity", help="who may reach whom, on which ports (the connectivity map)"
    )
    _add_inputs(conn)
    conn.add_argument("-o", "--output", choices=sorted(RENDERERS), default="text")
    add_granularity_option(conn)
    conn.add_argument(
        "--flat",
        action="store_true",
        help="with -o json: one (source, destination) pair an entry, written as found,"
        " instead of groups",
    )
    conn.add_argument(
        "-n",
        "--namespace",
        action="append",
        metavar="NS",
        type=namespace_name,
        help="keep connections with an end in NS (repeatable); with --live, read only NS's"
        " pods and policies too",
    )
    add_firewall_input_options(conn, required=False)

    add_scan_parser(commands)

    explain = commands.add_parser("explain", help="why one flow is allowed or denied")
    explain.add_argument("src", metavar="SRC", help="ns/workload, ns/pod or an IP address")
    explain.add_argument("dst", metavar="DST", help="ns/workload, ns/pod or an IP address")
    _add_inputs(explain)
    add_explain_arguments(explain)
    add_diff_parser(commands)
    add_endpoints_parser(commands)
    add_firewall_parser(commands)
    add_ipplan_parser(commands)
    add_privatelink_parser(commands)
    add_test_parser(commands)
    add_completion_parser(commands)
    add_rbac_parser(commands)
    return parser


def _run(args: argparse.Namespace) -> tuple[str | Iterable[str], int]:
    if args.command == "completion":
        return completion_script(build_parser(), Shell(args.shell)), EXIT_OK
    if args.command == "checks":
        return render_checks_for(args), EXIT_OK
    if args.command == "endpoints":
        return run_endpoints(args)
    if args.command == "rbac":
        return run_rbac(args), EXIT_OK
    if args.command == "ipplan" and args.ipplan_command != "check":
        return run_ipplan(args)
    # The status line is removed before the output is written: it never mixes with it.
    with Progress(color=color_wanted(args.color, sys.stderr)) as progress:
        if args.command == "scan":
            return run_scan(args, progress)
        if args.command == "explain":
            return run_explain(args, progress)
        if args.command == "diff":
            return run_diff(args, progress)
        if args.command == "firewall":
            return run_firewall(args, progress)
        if args.command == "ipplan":
            return run_ipplan(args, progress)
        if args.command == "privatelink":
            return run_privatelink(args, progress)
        if args.command == "test":
            return run_test(args, progress)
        return run_connectivity(args, progress), EXIT_OK


class _WarningLine(logging.Handler):
    """Prints each warning of the package's logger as one line on standard error (looked up
    at each record, so redirected streams, as in tests, are honoured)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"netfence: warning: {one_line(record.getMessage())}", file=sys.stderr)


@contextlib.contextmanager
def _warnings_on_stderr() -> Iterator[None]:
    """For one run, print the package logger's warnings on standard error.

    The library logs on the "netfence" logger and never configures it; the CLI does, for the
    run only, and puts the logger back as it found it.
    """
    logger = logging.getLogger("netfence")
    handler = _WarningLine(logging.WARNING)
    saved = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def parse_arguments(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None
) -> argparse.Namespace:
    """The parsed arguments; PATHs given after an option join the others.

    PATH takes any number of values (none with ``--live``), and argparse gives such a
    positional only the values before the first option (``explain SRC DST --strict FILE``
    would leave FILE unrecognized); they are collected here instead.
    """
    args, extras = parser.parse_known_args(argv)
    stray = [e for e in extras if e == "-" or not e.startswith("-")]
    if stray and len(stray) == len(extras) and isinstance(getattr(args, "paths", None), list):
        args.paths.extend(stray)
    elif extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def main(argv: Sequence[str] | None = None, prog: str = "netfence") -> int:
    """Run one command; returns the exit code. Output is written only once it is complete,
    but for ``connectivity -o json --flat``, written as it is made.
    ``prog`` names the program in help and usage errors (``kubectl netfence`` as a plugin)."""
    with _warnings_on_stderr():
        return _main(argv, prog)


def _main(argv: Sequence[str] | None, prog: str) -> int:
    parser = build_parser(prog)
    try:
        args = parse_arguments(parser, argv)
    except SystemExit as exc:  # argparse exits for --help, --version and usage errors
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    try:
        output, code = _run(args)
        # A streamed output is made while it is written: its errors are caught here too.
        return _write(output, code)
    except NetfenceError as exc:
        print(f"netfence: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except RecursionError:
        print("netfence: error: input nests too deeply", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("netfence: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into one line
        print(
            f"netfence: internal error: {type(exc).__name__}: {one_line(str(exc))} (this is a"
            " bug in netfence; please report it with the command that caused it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


_CHUNK = 1 << 24
"""Characters written at a time: a huge output is never encoded all at once."""


def _chunks(output: str | Iterable[str]) -> Iterator[str]:
    if not isinstance(output, str):
        yield from output
        return
    for start in range(0, len(output), _CHUNK):  # a whole encoded copy would double memory
        yield output[start : start + _CHUNK]


def _write(output: str | Iterable[str], code: int) -> int:
    """Write the output (a string, or chunks written as they come); a reader that went away
    ends the run quietly (as SIGPIPE would), and a stream that refuses the write is an error
    of one line."""
    try:
        for chunk in _chunks(output):
            try:
                sys.stdout.write(chunk)
            except UnicodeEncodeError:  # a stream that cannot carry every character (LANG=C)
                encoding = sys.stdout.encoding or "utf-8"
                sys.stdout.flush()
                sys.stdout.buffer.write(chunk.encode(encoding, "backslashreplace"))
        sys.stdout.flush()
    except BrokenPipeError:
        _detach_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        _detach_stdout()
        print(f"netfence: error: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    return code


def _detach_stdout() -> None:
    """Point standard output at the null device, so that the interpreter's final flush of what
    could not be written raises nothing more."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture)
        pass


def entry_point() -> NoReturn:
    """Console-script entry."""
    sys.exit(main())

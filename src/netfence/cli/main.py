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
import gc
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final, NoReturn

from netfence._version import __version__
from netfence.errors import NetfenceError

if TYPE_CHECKING:
    from netfence.cli.terminal import Progress

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
    from netfence.cli.live_options import add_live_options
    from netfence.cli.options import STRICT_HELP, add_color_option, add_verbose_option

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


# The commands' parsers are built from their own modules, which import what the command runs
# (the engine, the analyses, the renderers): a run builds only its own command's parser, and
# the others are named with their help alone, so that start-up stays a small part of a small
# cluster's run (the side-by-side with nca at 1,000 pods).
_Commands = Any
"""argparse's subparsers action (its class is private to argparse)."""

COMMAND_HELP: Final = {
    "connectivity": "who may reach whom, on which ports (the connectivity map)",
    "scan": "audit network hardening (CIS 5.3, NSA/CISA, OWASP, NIST SP 800-190)",
    "checks": "list the audit checks and their mappings",
    "explain": "why one flow is allowed or denied",
    "diff": "the flows a change opens and closes between two clusters (semantic diff)",
    "endpoints": "the outbound endpoints an Azure Arc-enabled cluster needs (from the catalog)",
    "firewall": "firewall layers against what the cluster needs (check, generate)",
    "ipplan": "address plans against the AKS Arc planning rules (check, init, schema)",
    "privatelink": "Private Link zones and names against a real resolver (check)",
    "test": "check connectivity assertions (SPEC) against the manifests; --init writes a spec",
    "completion": "print a shell completion script (bash or zsh)",
    "rbac": "print the least-privilege ClusterRole that --live needs (get and list)",
}
"""Every command, in the order help lists them, with the help its own parser gives it."""


def _add_connectivity(commands: _Commands) -> None:
    from netfence.cli.firewall_options import add_firewall_input_options
    from netfence.cli.options import add_granularity_option, namespace_name
    from netfence.report.connectivity import RENDERERS

    conn = commands.add_parser("connectivity", help=COMMAND_HELP["connectivity"])
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


def _add_scan(commands: _Commands) -> None:
    from netfence.cli.scan import add_scan_parser

    add_scan_parser(commands)


def _add_explain(commands: _Commands) -> None:
    from netfence.cli.explain import add_explain_arguments

    explain = commands.add_parser("explain", help=COMMAND_HELP["explain"])
    explain.add_argument("src", metavar="SRC", help="ns/workload, ns/pod or an IP address")
    explain.add_argument("dst", metavar="DST", help="ns/workload, ns/pod or an IP address")
    _add_inputs(explain)
    add_explain_arguments(explain)


def _add_diff(commands: _Commands) -> None:
    from netfence.cli.diff import add_diff_parser

    add_diff_parser(commands)


def _add_endpoints(commands: _Commands) -> None:
    from netfence.cli.endpoints import add_endpoints_parser

    add_endpoints_parser(commands)


def _add_firewall(commands: _Commands) -> None:
    from netfence.cli.firewall import add_firewall_parser

    add_firewall_parser(commands)


def _add_ipplan(commands: _Commands) -> None:
    from netfence.cli.ipplan import add_ipplan_parser

    add_ipplan_parser(commands)


def _add_privatelink(commands: _Commands) -> None:
    from netfence.cli.privatelink import add_privatelink_parser

    add_privatelink_parser(commands)


def _add_test(commands: _Commands) -> None:
    from netfence.cli.assertions import add_test_parser

    add_test_parser(commands)


def _add_completion(commands: _Commands) -> None:
    from netfence.cli.completion import add_completion_parser

    add_completion_parser(commands)


def _add_rbac(commands: _Commands) -> None:
    from netfence.cli.rbac import add_rbac_parser

    add_rbac_parser(commands)


_BUILDERS: Final[dict[str, Callable[[_Commands], None]]] = {
    "connectivity": _add_connectivity,
    "scan": _add_scan,
    "checks": _add_scan,  # scan's module defines both
    "explain": _add_explain,
    "diff": _add_diff,
    "endpoints": _add_endpoints,
    "firewall": _add_firewall,
    "ipplan": _add_ipplan,
    "privatelink": _add_privatelink,
    "test": _add_test,
    "completion": _add_completion,
    "rbac": _add_rbac,
}
"""What adds each command's parser."""


def command_in(argv: Sequence[str] | None) -> str:
    """The command an argument list runs: its first word that is not an option (the top
    level takes no option with a value), when it names one; "" otherwise."""
    for word in sys.argv[1:] if argv is None else argv:
        if not word.startswith("-"):
            return word if word in COMMAND_HELP else ""
    return ""


def build_parser(prog: str = "netfence", command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of every command (``prog``: the name help gives it). With
    ``command``, only that command's parser is complete (none for ""); the others have their
    name and help, which is all that the top-level help and usage errors show."""
    parser = _Parser(
        prog=prog,
        description="Exact reachability and hardening checks for Kubernetes network policies.",
    )
    parser.add_argument("--version", action="version", version=f"netfence {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    chosen = _BUILDERS.get(command) if command is not None else None
    for name, help_text in COMMAND_HELP.items():
        if name in commands.choices:
            continue
        if command is None or _BUILDERS[name] is chosen:
            _BUILDERS[name](commands)
        else:
            commands.add_parser(name, help=help_text)
    return parser


def _run(args: argparse.Namespace) -> tuple[str | Iterable[str], int]:
    if args.command == "completion":
        from netfence.cli.completion import Shell, completion_script

        return completion_script(build_parser(), Shell(args.shell)), EXIT_OK
    if args.command == "checks":
        from netfence.cli.scan import render_checks_for

        return render_checks_for(args), EXIT_OK
    if args.command == "endpoints":
        from netfence.cli.endpoints import run_endpoints

        return run_endpoints(args)
    if args.command == "rbac":
        from netfence.cli.rbac import run_rbac

        return run_rbac(args), EXIT_OK
    if args.command == "ipplan" and args.ipplan_command != "check":
        from netfence.cli.ipplan import run_ipplan

        return run_ipplan(args)
    from netfence.cli.terminal import Progress, color_wanted

    # The status line is removed before the output is written: it never mixes with it.
    with Progress(color=color_wanted(args.color, sys.stderr)) as progress:
        return _run_reading(args, progress)


def _run_reading(args: argparse.Namespace, progress: Progress) -> tuple[str | Iterable[str], int]:
    """Run a command that reads inputs, each command's module imported only when it runs."""
    if args.command == "scan":
        from netfence.cli.scan import run_scan

        return run_scan(args, progress)
    if args.command == "explain":
        from netfence.cli.explain import run_explain

        return run_explain(args, progress)
    if args.command == "diff":
        from netfence.cli.diff import run_diff

        return run_diff(args, progress)
    if args.command == "firewall":
        from netfence.cli.firewall import run_firewall

        return run_firewall(args, progress)
    if args.command == "ipplan":
        from netfence.cli.ipplan import run_ipplan

        return run_ipplan(args, progress)
    if args.command == "privatelink":
        from netfence.cli.privatelink import run_privatelink

        return run_privatelink(args, progress)
    if args.command == "test":
        from netfence.cli.assertions import run_test

        return run_test(args, progress)
    from netfence.cli.connectivity import run_connectivity

    return run_connectivity(args, progress), EXIT_OK


def _one_line(text: str) -> str:
    """``text`` as one printable line; the printer (and rich, which it uses for colors) is
    imported only when there is an error or a warning to print."""
    from netfence.report.printable import one_line

    return one_line(text)


class _WarningLine(logging.Handler):
    """Prints each warning of the package's logger as one line on standard error (looked up
    at each record, so redirected streams, as in tests, are honoured)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"netfence: warning: {_one_line(record.getMessage())}", file=sys.stderr)


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
        try:
            return _main(argv, prog)
        finally:
            # The command's input was set aside from the cyclic collector while it ran
            # (cli/inputs.py); a caller that runs several commands in one process gets the
            # collector's full reach back.
            gc.unfreeze()


def _main(argv: Sequence[str] | None, prog: str) -> int:
    parser = build_parser(prog, command_in(argv))
    try:
        args = parse_arguments(parser, argv)
    except SystemExit as exc:  # argparse exits for --help, --version and usage errors
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    try:
        output, code = _run(args)
        # A streamed output is made while it is written: its errors are caught here too.
        return _write(output, code)
    except NetfenceError as exc:
        print(f"netfence: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except RecursionError:
        print("netfence: error: input nests too deeply", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("netfence: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into one line
        print(
            f"netfence: internal error: {type(exc).__name__}: {_one_line(str(exc))} (this is a"
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

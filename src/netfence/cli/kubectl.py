"""``kubectl netfence``: the netfence CLI as a kubectl plugin.

kubectl runs ``kubectl-netfence`` from PATH for ``kubectl netfence ...``. It is the same CLI;
a command that reads manifests given no PATH reads the current context's cluster instead
(``--live`` added), so that ``kubectl netfence scan``, ``kubectl netfence explain a b``,
``kubectl netfence test SPEC`` and ``kubectl netfence diff AFTER`` (what applying AFTER's
policies would change) need nothing more.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Sequence
from typing import Final, NoReturn

from netfence.cli.main import build_parser, main, parse_arguments

PROG: Final = "kubectl netfence"
"""The name help and errors give the plugin."""
READS_MANIFESTS: Final = frozenset({"connectivity", "scan", "explain"})
"""The commands that take ``--live``."""


def plugin_arguments(argv: Sequence[str]) -> list[str]:
    """``argv`` with ``--live`` added when it names a command that reads manifests and gives
    it no PATH; unchanged otherwise (help, usage errors and the other commands included)."""
    arguments = list(argv)
    parser = build_parser(prog=PROG)
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            args = parse_arguments(parser, arguments)
    except SystemExit:  # help, version or a usage error: the CLI says it again, as asked
        return arguments
    if not getattr(args, "live", True) and _names_no_manifests(args):
        arguments.append("--live")
    return arguments


def _names_no_manifests(args: argparse.Namespace) -> bool:
    """Whether a command that can read the live cluster was given no manifests: no PATH;
    for ``diff``, only AFTER; for ``test``, only SPEC (none with ``--init``)."""
    if args.command in READS_MANIFESTS:
        return not args.paths
    if args.command == "diff":
        return args.before is not None and args.after is None
    if args.command == "test":
        return len(args.inputs) == (0 if args.init else 1)
    return False


def entry_point() -> NoReturn:
    """Console-script entry (``kubectl-netfence``)."""
    sys.exit(main(plugin_arguments(sys.argv[1:]), prog=PROG))


if __name__ == "__main__":
    entry_point()

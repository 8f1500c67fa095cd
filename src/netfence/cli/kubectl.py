"""``kubectl netfence``: the netfence CLI as a kubectl plugin.

kubectl runs ``kubectl-netfence`` from PATH for ``kubectl netfence ...``. It is the same CLI;
a command that reads manifests given no PATH reads the current context's cluster instead
(``--live`` added), so that ``kubectl netfence scan`` and ``kubectl netfence explain a b``
need nothing more.
"""

from __future__ import annotations

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
    if args.command in READS_MANIFESTS and not args.paths and not args.live:
        arguments.append("--live")
    return arguments


def entry_point() -> NoReturn:
    """Console-script entry (``kubectl-netfence``)."""
    sys.exit(main(plugin_arguments(sys.argv[1:]), prog=PROG))


if __name__ == "__main__":
    entry_point()

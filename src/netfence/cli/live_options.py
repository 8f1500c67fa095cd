"""The options of the live source (``--live`` and how to reach the cluster), shared by every
command that reads manifests."""

from __future__ import annotations

import argparse
import math

from netfence.sources.live import DEFAULT_CHUNK_SIZE, DEFAULT_REQUEST_TIMEOUT

LIVE_COMMANDS_HELP = (
    "read the cluster from its API server (read-only: get and list, never Secrets or"
    " ConfigMaps) instead of manifests; needs pip install 'netfence[live]'"
)
"""``--live``'s help."""


def _seconds(text: str) -> float:
    """A positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}: the timeout must be above 0 seconds")
    return value


def _chunk(text: str) -> int:
    """A positive count of objects per page."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: a page holds at least 1 object")
    return value


def add_live_options(parser: argparse.ArgumentParser) -> None:
    """``--live``, ``--kubeconfig``, ``--context``, ``-A``, ``--request-timeout`` and
    ``--chunk-size``."""
    group = parser.add_argument_group("live cluster (instead of manifests)")
    group.add_argument("--live", action="store_true", help=LIVE_COMMANDS_HELP)
    group.add_argument(
        "--kubeconfig",
        metavar="FILE",
        help="the kubeconfig (default: KUBECONFIG, else ~/.kube/config, else in-cluster)",
    )
    group.add_argument("--context", metavar="NAME", help="the kubeconfig context to use")
    group.add_argument(
        "-A",
        "--all-namespaces",
        action="store_true",
        help="read every namespace (the default with --live; -n NS reads NS only)",
    )
    group.add_argument(
        "--request-timeout",
        type=_seconds,
        default=DEFAULT_REQUEST_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on a request after this long (default {DEFAULT_REQUEST_TIMEOUT:g})",
    )
    group.add_argument(
        "--chunk-size",
        type=_chunk,
        default=DEFAULT_CHUNK_SIZE,
        metavar="N",
        help=f"objects asked per page of a list (default {DEFAULT_CHUNK_SIZE})",
    )

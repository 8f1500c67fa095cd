"""Option values the commands share, parsed as argparse ``type=`` functions.

Severities and check IDs are matched without regard to case (``--fail-on HIGH``, ``--select
nf015``): they are names a user types, and the catalog spells each one only one way. An
unknown value is refused with the list of the valid ones.
"""

from __future__ import annotations

import argparse
from typing import Final

from netfence.analyses.connectivity_map import Granularity
from netfence.model.findings import Severity
from netfence.sources.k8s_validation import dns1123_label_problem

COLOR_CHOICES: Final = ("auto", "always", "never")
"""``--color``: ``auto`` colors only on a terminal (and never under NO_COLOR)."""

STRICT_HELP: Final = (
    "refuse (exit 2) fields the API does not define, as kubectl --validate=strict;"
    " without it they are warnings"
)
"""``--strict``'s help, the same for every command that reads manifests."""


def _shown(text: str, limit: int = 40) -> str:
    """A value quoted in an error, cut when long (a value can be megabytes)."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def severity(text: str) -> Severity:
    """A severity name in any case (``HIGH``, ``high``, ``High``)."""
    try:
        return Severity(text.strip().lower())
    except ValueError:
        valid = ", ".join(s.value for s in Severity)
        raise argparse.ArgumentTypeError(
            f"unknown severity {_shown(text)} (valid: {valid})"
        ) from None


def check_ids(text: str) -> list[str]:
    """A comma-separated list of check IDs in any case (``nf015,NF009``), as the catalog
    spells them; an empty item is ignored."""
    # Imported here: the audit's catalog is only needed once a check ID is given, and
    # importing it costs more than most commands' whole run.
    from netfence.analyses.audit import every_check

    known: dict[str, str] = {info.check_id.upper(): info.check_id for info in every_check()}
    ids: list[str] = []
    for item in text.split(","):
        name = item.strip()
        if not name:
            continue
        if name.upper() not in known:
            valid = ", ".join(sorted(known.values()))
            raise argparse.ArgumentTypeError(f"unknown check ID {_shown(name)} (valid: {valid})")
        ids.append(known[name.upper()])
    return ids


def flat_ids(values: list[list[str]] | None) -> list[str] | None:
    """The IDs of a repeatable ``--select``/``--ignore``; None when none was given."""
    ids = [check_id for value in values or () for check_id in value]
    return ids or None


def namespace_name(text: str) -> str:
    """A ``--namespace`` value: a namespace name (a DNS-1123 label), as the API server names
    them; anything else could only ever match nothing."""
    problem = dns1123_label_problem(text)
    if problem is not None:
        shown = text if len(text) <= 70 else text[:67] + "..."
        raise argparse.ArgumentTypeError(f"invalid namespace {shown!r}: {problem}")
    return text


def add_color_option(parser: argparse.ArgumentParser) -> None:
    """``--color auto|always|never``, which every command takes."""
    parser.add_argument(
        "--color",
        choices=COLOR_CHOICES,
        default="auto",
        help="color the text output (auto: only on a terminal, and not when NO_COLOR is set)",
    )


def add_verbose_option(parser: argparse.ArgumentParser) -> None:
    """``-v/--verbose``, which every command reading manifests takes."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list the skipped kinds (counted per kind, with their files) on stderr",
    )


def add_granularity_option(parser: argparse.ArgumentParser) -> None:
    """``--granularity workload|pod``: what one endpoint of a map or a diff stands for."""
    parser.add_argument(
        "--granularity",
        choices=[g.value for g in Granularity],
        default=Granularity.WORKLOAD.value,
        help="endpoints are workloads (default) or pods",
    )

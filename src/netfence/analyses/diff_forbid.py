"""Flows a diff must not open: ``--forbid SRC->DST[:PORT[/PROTO]]``.

Each end is ``namespace/name`` with ``*`` (any run of characters) and ``?`` globs on the
namespace and on the name (``shop/*``, ``*/db``, ``*/*``), or an address block with its prefix
length (``0.0.0.0/0``, ``10.0.0.0/8``, ``::/0``): a block matches an external end whose
addresses overlap it. The name part is everything after the first ``/`` (so ``shop/*`` also
matches a qualified ``shop/StatefulSet/db``). ``:PORT`` (1-65535) with an optional ``/TCP``,
``/UDP`` or ``/SCTP`` (TCP by default) limits the rule to flows opened on that port; without
it, any opened port matches. An opened flow matches when some source and some destination of
it match both ends.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from dataclasses import dataclass
from typing import Final

from netfence.analyses.diff import ClusterDiff, FlowChange
from netfence.errors import QueryError
from netfence.sets.ipranges import IPRangeSet

_PORT: Final = re.compile(r":([0-9]{1,5})(?:/([A-Za-z]+))?$")


@dataclass(frozen=True)
class ForbidEnd:
    """One end of a forbidden flow: name globs, or an address block."""

    namespace: str
    """Glob on the namespace (empty for an address block)."""
    name: str
    """Glob on the name (empty for an address block)."""
    addresses: IPRangeSet | None
    """The block, for an external end."""

    def matches_name(self, endpoint: str) -> bool:
        """Whether an in-cluster endpoint name (``ns/name``) matches."""
        if self.addresses is not None:
            return False
        namespace, _, name = endpoint.partition("/")
        return fnmatch.fnmatchcase(namespace, self.namespace) and fnmatch.fnmatchcase(
            name, self.name
        )


@dataclass(frozen=True)
class ForbidRule:
    """A flow that must not be opened."""

    text: str
    """As written."""
    src: ForbidEnd
    """The source end."""
    dst: ForbidEnd
    """The destination end."""
    port: tuple[str, int] | None
    """(protocol, port), or None for any."""

    def matches(self, change: FlowChange) -> bool:
        """Whether what ``change`` opens includes a flow this rule forbids."""
        if not change.added:
            return False
        if self.port is not None and not change.added.contains(*self.port):
            return False
        return _end_matches(self.src, change.src, change.src_addresses) and _end_matches(
            self.dst, change.dst, change.dst_addresses
        )


def _end_matches(end: ForbidEnd, names: tuple[str, ...], addresses: IPRangeSet) -> bool:
    if end.addresses is not None:
        return bool(end.addresses & addresses)
    return any(end.matches_name(n) for n in names)


def _end(text: str, rule: str) -> ForbidEnd:
    if "/" not in text:
        raise QueryError(f"--forbid {rule!r}: {text!r} is neither namespace/name nor a CIDR")
    namespace, _, name = text.partition("/")
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        if not namespace or not name:
            raise QueryError(f"--forbid {rule!r}: {text!r} needs a namespace and a name") from None
        return ForbidEnd(namespace, name, None)
    return ForbidEnd("", "", IPRangeSet.from_cidr(network))


def parse_forbid(text: str) -> ForbidRule:
    """Parse ``SRC->DST[:PORT[/PROTO]]``; QueryError naming what is wrong."""
    src_text, arrow, rest = text.partition("->")
    if not arrow:
        raise QueryError(f"--forbid {text!r}: expected SRC->DST[:PORT[/PROTO]]")
    port: tuple[str, int] | None = None
    found = _PORT.search(rest)
    if found is not None:
        number = int(found.group(1))
        protocol = (found.group(2) or "TCP").upper()
        if not 1 <= number <= 65535:
            raise QueryError(f"--forbid {text!r}: port {number} is outside 1-65535")
        if protocol not in ("TCP", "UDP", "SCTP"):
            raise QueryError(f"--forbid {text!r}: protocol {found.group(2)!r} is not TCP/UDP/SCTP")
        port = (protocol, number)
        rest = rest[: found.start()]
    return ForbidRule(text, _end(src_text.strip(), text), _end(rest.strip(), text), port)


def forbidden(diff: ClusterDiff, rules: list[ForbidRule]) -> tuple[tuple[str, ...], ...]:
    """For each change of ``diff`` (in order), the rules (as written) its opened part breaks."""
    return tuple(tuple(r.text for r in rules if r.matches(c)) for c in diff.changes)

"""Flow patterns: ``SRC->DST[:PORT[/PROTO]]``, one language for the options that name flows
(``diff --forbid``, ``test --init --must-hold``).

Each end is ``namespace/name`` with ``*`` (any run of characters) and ``?`` globs on the
namespace and on the name (``shop/*``, ``*/db``, ``*/*``), or an address block with its prefix
length (``0.0.0.0/0``, ``10.0.0.0/8``, ``::/0``). The name part is everything after the first
``/`` (so ``shop/*`` also matches a qualified ``shop/StatefulSet/db``), and a glob never
crosses from the namespace into the name. ``:PORT`` (1-65535) with an optional ``/TCP``,
``/UDP`` or ``/SCTP`` (TCP by default) limits the pattern to that port.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from dataclasses import dataclass
from typing import Final

from netfence.errors import QueryError
from netfence.sets.ipranges import IPRangeSet

ARROW: Final = "->"
"""What separates the two ends."""
_PORT: Final = re.compile(r":([0-9]{1,5})(?:/([A-Za-z]+))?$")


@dataclass(frozen=True)
class FlowEnd:
    """One end of a pattern: globs on namespace and name, or an address block."""

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
class FlowPattern:
    """``SRC->DST[:PORT[/PROTO]]`` as parsed."""

    text: str
    """As written."""
    src: FlowEnd
    """The source end."""
    dst: FlowEnd
    """The destination end."""
    port: tuple[str, int] | None
    """(protocol, port), or None for any."""

    def matches_names(self, source: str, destination: str) -> bool:
        """Whether two in-cluster endpoints (``ns/name``) match the ends (the port aside)."""
        return self.src.matches_name(source) and self.dst.matches_name(destination)


def parse_flow_pattern(text: str, option: str) -> FlowPattern:
    """Parse ``SRC->DST[:PORT[/PROTO]]``; QueryError naming ``option`` and what is wrong."""
    src_text, arrow, rest = text.partition(ARROW)
    if not arrow:
        raise QueryError(f"{option} {text!r}: expected SRC->DST[:PORT[/PROTO]]")
    port: tuple[str, int] | None = None
    found = _PORT.search(rest)
    if found is not None:
        number = int(found.group(1))
        protocol = (found.group(2) or "TCP").upper()
        if not 1 <= number <= 65535:
            raise QueryError(f"{option} {text!r}: port {number} is outside 1-65535")
        if protocol not in ("TCP", "UDP", "SCTP"):
            raise QueryError(f"{option} {text!r}: protocol {found.group(2)!r} is not TCP/UDP/SCTP")
        port = (protocol, number)
        rest = rest[: found.start()]
    return FlowPattern(
        text, _end(src_text.strip(), text, option), _end(rest.strip(), text, option), port
    )


def _end(text: str, pattern: str, option: str) -> FlowEnd:
    if "/" not in text:
        raise QueryError(f"{option} {pattern!r}: {text!r} is neither namespace/name nor a CIDR")
    namespace, _, name = text.partition("/")
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        if not namespace or not name:
            raise QueryError(
                f"{option} {pattern!r}: {text!r} needs a namespace and a name"
            ) from None
        return FlowEnd(namespace, name, None)
    return FlowEnd("", "", IPRangeSet.from_cidr(network))

"""Map names to addresses: by asking a DNS server, or from a file of DNS answers.

Firewalls and the Azure Arc endpoint catalog speak names; nftables, iptables and NSG
address prefixes speak addresses. A :class:`Resolver` bridges the two, and only from what an
authority said: a real DNS query (:class:`DNSResolver`) or answers written down beforehand
(:class:`AnswerFileResolver`, for offline use). netfence never guesses an address.

What a resolver says about a name, as :class:`Resolution`:

- addresses: the name resolves (through any CNAME chain) to these IPv4 and IPv6 addresses;
- no addresses: the name exists but has neither A nor AAAA records, or does not exist at all
  (NXDOMAIN). Either way it resolves to nothing, which is an answer, not an error, and the
  resolution says which;
- cannot resolve (``addresses`` is None): a wildcard pattern (``*.his.arc.azure.com`` stands
  for names no query can list), or a name an answer file does not mention.

A server that does not answer in time, answers SERVFAIL or REFUSED, or sends a malformed
reply raises :class:`ResolutionError`: the set of addresses is then unknown, and treating it
as empty would silently deny what is required.
"""

from __future__ import annotations

import enum
import ipaddress
import time
from dataclasses import dataclass
from typing import Final, Protocol, runtime_checkable

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from netfence.errors import InputError
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.names import ANY, normalize_pattern
from netfence.sources.exports import read_export_text
from netfence.sources.fields import Field
from netfence.sources.manifests import iter_text

DNS_PORT: Final = 53
"""The port DNS servers listen on unless told otherwise."""
MAX_CNAME_CHAIN: Final = 16
"""The longest CNAME chain followed; a longer one is reported as an error (a loop, most
likely), as stub resolvers give up on chains of about this length."""
ANSWER_FILE_SCHEMA: Final = 1
"""The ``schema_version`` of DNS answer files this module reads."""


class ResolutionError(InputError):
    """A name could not be resolved because the server failed: no answer in time, SERVFAIL,
    REFUSED, a malformed reply, or a CNAME loop. The addresses are unknown, not empty."""


class ResolutionStatus(enum.StrEnum):
    """What a resolver found for a name."""

    ADDRESSES = "addresses"
    """The name resolves to at least one address."""
    NO_ADDRESSES = "no addresses"
    """The name exists but has no A or AAAA records (NODATA), or an answer file lists it
    with no addresses."""
    NXDOMAIN = "nxdomain"
    """The name does not exist (the server answered NXDOMAIN): it resolves to nothing."""
    WILDCARD = "wildcard"
    """The pattern is a wildcard: no query can list the names it stands for."""
    UNKNOWN = "unknown"
    """The resolver has no answer for the name (an answer file that does not list it)."""


@dataclass(frozen=True)
class Resolution:
    """What a resolver said about one name, and on whose authority."""

    name: str
    """The name (or pattern) asked about, canonical: lower case, no trailing dot."""
    status: ResolutionStatus
    """What was found."""
    addresses: IPRangeSet | None
    """The addresses; empty when the name resolves to nothing; None when it cannot be
    resolved (a wildcard, or a name the resolver knows nothing about)."""
    authority: str
    """Who answered: ``DNS server 10.0.0.10:53`` or ``answer file answers.yaml``."""
    chain: tuple[str, ...] = ()
    """The CNAME targets followed from ``name``, in order."""

    def describe(self) -> str:
        """One line for messages: ``management.azure.com -> 20.1.2.3 (DNS server ...)``."""
        via = f" via {' -> '.join(self.chain)}" if self.chain else ""
        if self.status is ResolutionStatus.ADDRESSES and self.addresses is not None:
            return f"{self.name}{via} -> {self.addresses.compact()} ({self.authority})"
        what = {
            ResolutionStatus.NO_ADDRESSES: "has no A or AAAA records",
            ResolutionStatus.NXDOMAIN: "does not exist (NXDOMAIN)",
            ResolutionStatus.WILDCARD: "is a wildcard pattern, which no DNS query can list",
            ResolutionStatus.UNKNOWN: "is not answered for",
        }[self.status]
        return f"{self.name}{via} {what} ({self.authority})"


@runtime_checkable
class Resolver(Protocol):
    """Maps a name to the addresses it stands for, from an authority, never by guessing."""

    def addresses(self, name: str) -> IPRangeSet | None:
        """The addresses of ``name``: empty when it resolves to nothing, None when it cannot
        be resolved (a wildcard pattern, or a name the resolver has no answer for)."""
        ...

    def resolve(self, name: str) -> Resolution:
        """What the resolver found for ``name``, with its reason and authority."""
        ...


def canonical_name(name: str) -> str:
    """``name`` as a canonical pattern; an InputError naming the problem when it is not one."""
    try:
        return normalize_pattern(name)
    except ValueError as error:
        raise InputError(str(error), field="name") from None


def _is_wildcard(name: str) -> bool:
    return name == ANY or name.startswith("*.")


class DNSResolver:
    """Resolves names by asking one DNS server (A and AAAA, following CNAME chains).

    Each name costs at most ``timeout`` seconds, every query and retry included: a query
    unanswered after its share of the time is sent again, up to ``attempts`` times, and a name
    whose time is spent raises :class:`ResolutionError`. UDP replies that come back truncated
    are asked again over TCP. Answers, including "resolves to nothing", are cached for the
    resolver's lifetime (one generation run), so a name is asked once however many rules use
    it; record TTLs are not honoured, since the output is a snapshot either way.
    """

    def __init__(self, server: str, timeout: float = 3.0, attempts: int = 2) -> None:
        if timeout <= 0:
            raise InputError(f"the DNS timeout must be positive, got {timeout}", field="timeout")
        if attempts < 1:
            raise InputError(f"DNS attempts must be at least 1, got {attempts}", field="attempts")
        self.host, self.port = parse_server(server)
        self.timeout = timeout
        self.attempts = attempts
        self._cache: dict[str, Resolution] = {}

    @property
    def authority(self) -> str:
        """``DNS server HOST:PORT``, as messages name it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"DNS server {host}:{self.port}"

    def addresses(self, name: str) -> IPRangeSet | None:
        """The addresses of ``name`` (see :class:`Resolver`)."""
        return self.resolve(name).addresses

    def resolve(self, name: str) -> Resolution:
        """Ask the server for the A and AAAA records of ``name``, following CNAMEs."""
        canonical = canonical_name(name)
        if canonical not in self._cache:
            self._cache[canonical] = self._resolve(canonical)
        return self._cache[canonical]

    def _resolve(self, name: str) -> Resolution:
        if _is_wildcard(name):
            return Resolution(name, ResolutionStatus.WILDCARD, None, self.authority)
        deadline = time.monotonic() + self.timeout
        found: list[str] = []
        chain: tuple[str, ...] = ()
        missing = 0
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            addresses, chain, exists = self._lookup(name, rdtype, deadline)
            found.extend(addresses)
            missing += not exists
        if found:
            return Resolution(
                name,
                ResolutionStatus.ADDRESSES,
                IPRangeSet.from_addresses(found),
                self.authority,
                chain,
            )
        status = ResolutionStatus.NXDOMAIN if missing == 2 else ResolutionStatus.NO_ADDRESSES
        return Resolution(name, status, IPRangeSet(), self.authority, chain)

    def _lookup(
        self, name: str, rdtype: dns.rdatatype.RdataType, deadline: float
    ) -> tuple[list[str], tuple[str, ...], bool]:
        """(addresses, CNAME chain, whether the final name exists) for one record type.

        A server may give the whole chain in one answer or stop at a CNAME whose target it
        is not authoritative for; then the target is asked in turn.
        """
        current = name
        chain: list[str] = []
        for _ in range(MAX_CNAME_CHAIN):
            response = self._query(current, rdtype, deadline)
            if response.rcode() == dns.rcode.NXDOMAIN:
                return [], tuple(chain), False
            final, followed, addresses = _read_answer(response, current, rdtype)
            for target in followed:
                if target == name or target in chain:
                    raise ResolutionError(
                        f"CNAME loop resolving {name}: {' -> '.join([name, *chain, target])}",
                        field=self.authority,
                    )
                chain.append(target)
            if addresses or final == current:
                return addresses, tuple(chain), True
            current = final
        raise ResolutionError(
            f"CNAME chain of {name} longer than {MAX_CNAME_CHAIN}: {' -> '.join(chain)}",
            field=self.authority,
        )

    def _query(
        self, name: str, rdtype: dns.rdatatype.RdataType, deadline: float
    ) -> dns.message.Message:
        """One question, retried within the deadline; an error for anything but NOERROR or
        NXDOMAIN."""
        query = dns.message.make_query(name, rdtype, flags=dns.flags.RD)
        share = self.timeout / self.attempts
        what = f"{dns.rdatatype.to_text(rdtype)} {name}"
        for _ in range(self.attempts):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                response, _tcp = dns.query.udp_with_fallback(
                    query, self.host, timeout=min(share, remaining), port=self.port
                )
            except dns.exception.Timeout:
                continue
            except OSError as error:
                raise ResolutionError(
                    f"cannot ask for {what}: {error.strerror or error}", field=self.authority
                ) from None
            except dns.exception.DNSException as error:
                raise ResolutionError(
                    f"malformed reply for {what}: {error}", field=self.authority
                ) from None
            rcode = response.rcode()
            if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                raise ResolutionError(
                    f"the server answered {dns.rcode.to_text(rcode)} for {what}",
                    field=self.authority,
                )
            return response
        raise ResolutionError(
            f"no answer for {what} within {self.timeout:g} s ({self.attempts} attempts)",
            field=self.authority,
        )


def _read_answer(
    response: dns.message.Message, name: str, rdtype: dns.rdatatype.RdataType
) -> tuple[str, list[str], list[str]]:
    """(the name the chain ends at, the CNAME targets followed, its addresses) from one
    answer section, starting at ``name``."""
    cnames: dict[str, str] = {}
    records: dict[str, list[str]] = {}
    for rrset in response.answer:
        owner = _text(rrset.name)
        if rrset.rdtype == dns.rdatatype.CNAME:
            cnames[owner] = _text(rrset[0].target)
        elif rrset.rdtype == rdtype:
            records.setdefault(owner, []).extend(rdata.address for rdata in rrset)
    current = name
    followed: list[str] = []
    while current in cnames and len(followed) < MAX_CNAME_CHAIN:
        current = cnames[current]
        followed.append(current)
        if current == name or followed.count(current) > 1:
            break
    return current, followed, records.get(current, [])


def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower()


def parse_server(server: str) -> tuple[str, int]:
    """(address, port) from ``IP``, ``IP:PORT``, ``IPv6`` or ``[IPv6]:PORT``; port 53 unless
    given. A host name is refused: the server that resolves names cannot itself need one."""
    text = server.strip()
    host, port = text, str(DNS_PORT)
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise InputError(f"bad DNS server {server!r}: expected [IPv6]:PORT", field="server")
        port = rest[1:] if rest else port
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise InputError(
            f"bad DNS server {server!r}: expected an IP address, optionally with :PORT",
            field="server",
        ) from None
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise InputError(f"bad DNS server {server!r}: port {port!r} is not 1-65535", field="server")
    return str(address), int(port)


class AnswerFileResolver:
    """Resolves names from a file of DNS answers, for use without a DNS server.

    The file (YAML or JSON) is::

        schema_version: 1
        answers:
          management.azure.com: [20.37.158.0, 2603:1030:b00::1]
          eastus.dp.kubernetesconfiguration.azure.com: [40.71.10.216]
          retired.example.com: []      # resolves to nothing

    Each key is an exact name (wildcards cannot be answered for, and are refused); each value
    lists the addresses the name resolves to (single addresses or CIDRs). A name the file does
    not list cannot be resolved (``addresses`` is None), which is not the same as ``[]``.
    """

    def __init__(self, answers: dict[str, IPRangeSet], file: str) -> None:
        self.answers = answers
        self.file = file

    @classmethod
    def read(cls, path: str) -> AnswerFileResolver:
        """Read an answer file; an InputError with the line and key for anything wrong."""
        text = read_export_text(path)
        label = "<stdin>" if path == "-" else path
        documents = list(iter_text(text, label))
        if len(documents) != 1:
            raise InputError(f"{label}: a DNS answer file is one document, found {len(documents)}")
        return cls(_answers(Field.root(documents[0])), label)

    @property
    def authority(self) -> str:
        """``answer file NAME``, as messages name it."""
        return f"answer file {self.file}"

    def addresses(self, name: str) -> IPRangeSet | None:
        """The addresses of ``name`` (see :class:`Resolver`)."""
        return self.resolve(name).addresses

    def resolve(self, name: str) -> Resolution:
        """What the file says about ``name``."""
        canonical = canonical_name(name)
        if _is_wildcard(canonical):
            return Resolution(canonical, ResolutionStatus.WILDCARD, None, self.authority)
        found = self.answers.get(canonical)
        if found is None:
            return Resolution(canonical, ResolutionStatus.UNKNOWN, None, self.authority)
        status = ResolutionStatus.ADDRESSES if found else ResolutionStatus.NO_ADDRESSES
        return Resolution(canonical, status, found, self.authority)


def _answers(root: Field) -> dict[str, IPRangeSet]:
    version = root.require("schema_version")
    if version.integer() != ANSWER_FILE_SCHEMA:
        raise version.error(
            f"unsupported schema_version {version.value}; this netfence reads {ANSWER_FILE_SCHEMA}"
        )
    for key, value in root.entries():
        if key not in ("schema_version", "answers"):
            raise value.error(f"unknown field {key!r} (expected schema_version and answers)")
    answers: dict[str, IPRangeSet] = {}
    for key, value in root.require("answers").entries():
        try:
            name = normalize_pattern(key)
        except ValueError as error:
            raise value.error(str(error)) from None
        if _is_wildcard(name):
            raise value.error(f"{key!r} is a wildcard: an answer file answers for exact names")
        if name in answers:
            raise value.error(f"{name} is answered for twice")
        answers[name] = _addresses(value)
    return answers


def _addresses(value: Field) -> IPRangeSet:
    cidrs: list[str] = []
    for item in value.items():
        if not isinstance(item.value, str):
            raise item.error("expected an address as a string (quote IPv6 addresses in YAML)")
        try:
            ipaddress.ip_network(item.value, strict=True)
        except ValueError:
            raise item.error(f"{item.value!r} is not an IP address or CIDR") from None
        cidrs.append(item.value)
    return IPRangeSet.from_cidrs(cidrs)

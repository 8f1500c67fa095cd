"""Resolvers: names to addresses from a real DNS server (dnsmasq on loopback) or an answer file.

The DNS cases run against dnsmasq (tests/support/dns.py): A and AAAA records, CNAME chains
served whole and chains whose links must be asked one by one, NODATA, NXDOMAIN, SERVFAIL,
REFUSED, and a port where nothing answers, which must fail within the timeout.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from netfence.errors import InputError
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.resolver import (
    AnswerFileResolver,
    DNSResolver,
    Resolution,
    ResolutionError,
    ResolutionStatus,
    Resolver,
    parse_server,
)
from tests.support.dns import Zone, dns_zone_server, free_port

__all__ = ["dns_zone_server"]

CATALOG_ZONE = Zone(
    records={
        "management.azure.com": ["10.20.0.1", "fd00:20::1"],
        "eastus.dp.kubernetesconfiguration.azure.com": ["10.20.0.2"],
        "edge.azure.com": ["10.20.0.3", "10.20.0.4"],
    },
    txt_names=["nodata.azure.com"],
    cnames={
        "login.azure.com": "hop1.azure.com",
        "hop1.azure.com": "hop2.azure.com",
        "hop2.azure.com": "edge.azure.com",
    },
    local_domains=["azure.com"],
    servfail_domains=["broken.example"],
)


@pytest.fixture
def catalog_dns(dns_zone_server):
    return dns_zone_server(CATALOG_ZONE)


def test_a_and_aaaa_records_are_both_resolved(catalog_dns):
    """A name's IPv4 (A) and IPv6 (AAAA) records are one address set."""
    resolver = DNSResolver(catalog_dns.address)
    resolution = resolver.resolve("management.azure.com")
    assert resolution.status is ResolutionStatus.ADDRESSES
    assert resolution.addresses == IPRangeSet.from_addresses(["10.20.0.1", "fd00:20::1"])
    assert resolution.chain == ()


def test_a_name_with_only_a_records_has_only_ipv4_addresses(catalog_dns):
    """AAAA NODATA next to A records: the IPv4 addresses alone."""
    addresses = DNSResolver(catalog_dns.address).addresses(
        "eastus.dp.kubernetesconfiguration.azure.com"
    )
    assert addresses == IPRangeSet.from_addresses(["10.20.0.2"])


def test_cname_chain_is_followed_to_the_final_addresses(catalog_dns):
    """A CNAME chain (login -> hop1 -> hop2 -> edge) ends at edge's addresses, chain kept."""
    resolution = DNSResolver(catalog_dns.address).resolve("LOGIN.azure.com.")
    assert resolution.name == "login.azure.com"
    assert resolution.chain == ("hop1.azure.com", "hop2.azure.com", "edge.azure.com")
    assert resolution.addresses == IPRangeSet.from_addresses(["10.20.0.3", "10.20.0.4"])
    assert "via hop1.azure.com -> hop2.azure.com -> edge.azure.com" in resolution.describe()


def test_cname_whose_target_is_answered_elsewhere_is_asked_again(dns_zone_server):
    """A server that answers an alias with the CNAME alone (its target lies in a zone it
    forwards) is asked for the target in turn, and the chain ends at the target's addresses."""
    back = dns_zone_server(
        Zone(records={"target.other.test": ["10.30.0.9"]}, local_domains=["other.test"])
    )
    front = dns_zone_server(
        Zone(
            cnames={"alias.front.test": "target.other.test"},
            forwards={"other.test": back.address},
        )
    )
    resolution = DNSResolver(front.address).resolve("alias.front.test")
    assert resolution.chain == ("target.other.test",)
    assert resolution.addresses == IPRangeSet.from_addresses(["10.30.0.9"])


def test_nxdomain_resolves_to_nothing_and_says_so(catalog_dns):
    """NXDOMAIN is an answer, not an error: no addresses, and the resolution names it."""
    resolution = DNSResolver(catalog_dns.address).resolve("gone.azure.com")
    assert resolution.status is ResolutionStatus.NXDOMAIN
    assert resolution.addresses == IPRangeSet()
    assert "does not exist (NXDOMAIN)" in resolution.describe()


def test_a_name_without_address_records_is_nodata(catalog_dns):
    """A name with no A or AAAA records resolves to nothing, as NODATA (it exists)."""
    resolution = DNSResolver(catalog_dns.address).resolve("nodata.azure.com")
    assert resolution.addresses == IPRangeSet()
    assert resolution.status is ResolutionStatus.NO_ADDRESSES
    assert "has no A or AAAA records" in resolution.describe()


def test_servfail_is_an_error_naming_the_server(catalog_dns):
    """SERVFAIL means the addresses are unknown: an error naming server, type and name."""
    resolver = DNSResolver(catalog_dns.address)
    with pytest.raises(
        ResolutionError, match="answered SERVFAIL for A www.broken.example"
    ) as raised:
        resolver.resolve("www.broken.example")
    assert catalog_dns.address in str(raised.value)


def test_refused_is_an_error(catalog_dns):
    """A name outside every zone the server has is REFUSED by dnsmasq: an error, not empty."""
    with pytest.raises(ResolutionError, match="REFUSED"):
        DNSResolver(catalog_dns.address).resolve("example.org")


def test_wildcard_patterns_cannot_be_resolved(catalog_dns):
    """A wildcard pattern stands for names no query can list: None, never a guess."""
    resolver = DNSResolver(catalog_dns.address)
    assert resolver.addresses("*.his.arc.azure.com") is None
    assert resolver.resolve("*.his.arc.azure.com").status is ResolutionStatus.WILDCARD


def test_a_closed_port_times_out_within_the_bound():
    """Nothing listening: the resolver gives up within its timeout, retries included."""
    resolver = DNSResolver(f"127.0.0.1:{free_port()}", timeout=0.6, attempts=2)
    started = time.monotonic()
    with pytest.raises(ResolutionError, match=r"no answer for A management.azure.com within 0.6 s"):
        resolver.resolve("management.azure.com")
    assert time.monotonic() - started < 1.5


def test_a_silent_server_times_out_within_the_bound():
    """A server that reads queries but never answers: the same bound holds."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        resolver = DNSResolver(f"127.0.0.1:{port}", timeout=0.5, attempts=3)
        started = time.monotonic()
        with pytest.raises(ResolutionError, match="3 attempts"):
            resolver.resolve("management.azure.com")
        assert time.monotonic() - started < 1.4


def test_answers_are_cached(dns_zone_server):
    """A name is asked once per resolver: after the server stops, the cached answer stands."""
    server = dns_zone_server(CATALOG_ZONE)
    resolver = DNSResolver(server.address, timeout=0.5)
    first = resolver.resolve("management.azure.com")
    nx = resolver.resolve("gone.azure.com")
    server.stop()
    assert resolver.resolve("Management.Azure.Com") is first
    assert resolver.resolve("gone.azure.com") is nx


def test_both_resolvers_are_resolvers(tmp_path, catalog_dns):
    """DNSResolver and AnswerFileResolver meet the Resolver protocol."""
    answers = tmp_path / "answers.yaml"
    answers.write_text("schema_version: 1\nanswers: {}\n")
    assert isinstance(DNSResolver(catalog_dns.address), Resolver)
    assert isinstance(AnswerFileResolver.read(str(answers)), Resolver)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("10.0.0.10", ("10.0.0.10", 53)),
        ("10.0.0.10:5353", ("10.0.0.10", 5353)),
        ("fd00::53", ("fd00::53", 53)),
        ("[fd00::53]:5353", ("fd00::53", 5353)),
    ],
)
def test_server_is_ip_with_optional_port(given, expected):
    assert parse_server(given) == expected


@pytest.mark.parametrize(
    "given", ["dns.example", "10.0.0.1:0", "10.0.0.1:99999", "[fd00::1", "10.0.0.1:x"]
)
def test_bad_server_is_an_input_error(given):
    with pytest.raises(InputError, match="bad DNS server"):
        parse_server(given)


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    return str(path)


def test_answer_file_answers_listed_names(tmp_path):
    """An answer file maps exact names to addresses; [] resolves to nothing; an unlisted name
    cannot be resolved (None), which differs from []."""
    resolver = AnswerFileResolver.read(
        write(
            tmp_path,
            "schema_version: 1\n"
            "answers:\n"
            "  Management.Azure.Com.: [10.20.0.1, 'fd00:20::1']\n"
            "  retired.example.com: []\n"
            "  range.example.com: [10.40.0.0/24]\n",
        )
    )
    assert resolver.addresses("management.azure.com") == IPRangeSet.from_addresses(
        ["10.20.0.1", "fd00:20::1"]
    )
    assert resolver.addresses("range.example.com") == IPRangeSet.from_cidr("10.40.0.0/24")
    retired = resolver.resolve("retired.example.com")
    assert retired.addresses == IPRangeSet() and retired.status is ResolutionStatus.NO_ADDRESSES
    unknown = resolver.resolve("other.example.com")
    assert unknown.addresses is None and unknown.status is ResolutionStatus.UNKNOWN
    assert resolver.addresses("*.example.com") is None


def test_answer_file_in_json(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text('{"schema_version": 1, "answers": {"a.example.com": ["192.0.2.7"]}}')
    assert AnswerFileResolver.read(str(path)).addresses(
        "a.example.com"
    ) == IPRangeSet.from_addresses(["192.0.2.7"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "schema_version: 2\nanswers: {}\n",
            "line 1: schema_version: unsupported schema_version 2",
        ),
        ("answers: {}\n", "schema_version: required"),
        (
            "schema_version: 1\nanswers:\n  '*.example.com': [10.0.0.1]\n",
            "line 3: answers.*.example.com: ",
        ),
        (
            "schema_version: 1\nanswers:\n  a.example.com: [10.0.0.300]\n",
            "line 3: answers.a.example.com[0]: '10.0.0.300' is not",
        ),
        ("schema_version: 1\nanswers:\n  a.example.com: 10.0.0.1\n", "expected a list"),
        ("schema_version: 1\nanswers:\n  bad_name-.example.com: []\n", "label"),
        ("schema_version: 1\nanswers: {}\nextra: 1\n", "unknown field 'extra'"),
    ],
)
def test_answer_file_errors_name_line_and_field(tmp_path, text, message):
    with pytest.raises(InputError) as raised:
        AnswerFileResolver.read(write(tmp_path, text))
    assert message in str(raised.value)


def test_resolution_describe_names_authority():
    resolution = Resolution(
        "a.example.com",
        ResolutionStatus.ADDRESSES,
        IPRangeSet.from_cidr("192.0.2.1/32"),
        "answer file x.yaml",
    )
    assert resolution.describe() == "a.example.com -> 192.0.2.1/32 (answer file x.yaml)"

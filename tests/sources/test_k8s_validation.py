"""The string rules of sources/k8s_validation.py, at their boundaries.

Each rule is the API server's: apimachinery ``pkg/util/validation`` (IsDNS1123Label,
IsDNS1123Subdomain, IsQualifiedName, IsValidLabelValue, IsValidPortName, IsValidPortNum)
and Go's ``net.ParseCIDR`` (as ``netip.ParseAddr`` reads the address) for CIDRs.
"""

from __future__ import annotations

import ipaddress

import pytest

from netfence.sources.k8s_validation import (
    dns1123_label_problem,
    dns1123_subdomain_problem,
    iana_svc_name_problem,
    label_value_problem,
    parse_cidr,
    parse_ip,
    port_number_problem,
    qualified_name_problem,
)

LABEL_63 = "a" * 63
SUBDOMAIN_253 = ".".join(["a" * 63] * 3 + ["a" * 61])
assert len(SUBDOMAIN_253) == 253


@pytest.mark.parametrize("value", ["a", "0", "a-b", "abc123", "1a", LABEL_63, "a--b"])
def test_dns1123_label_accepts(value):
    """IsDNS1123Label: 1-63 of [a-z0-9-], alphanumeric at both ends (63 characters pass)."""
    assert dns1123_label_problem(value) is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "empty"),
        ("a" * 64, "at most 63"),
        ("UPPER", "DNS-1123 label"),
        ("a-", "DNS-1123 label"),
        ("-a", "DNS-1123 label"),
        ("a.b", "DNS-1123 label"),
        ("10.0.0.0", "DNS-1123 label"),
        ("a_b", "DNS-1123 label"),
        ("a\n", "DNS-1123 label"),
        ("é", "DNS-1123 label"),
    ],
)
def test_dns1123_label_refuses(value, fragment):
    """IsDNS1123Label refuses 64 characters, upper case, a trailing or leading '-', dots."""
    problem = dns1123_label_problem(value)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize("value", ["a", "a.b", "a-b.c-d", "0.1", SUBDOMAIN_253, "8"])
def test_dns1123_subdomain_accepts(value):
    """IsDNS1123Subdomain: up to 253 characters of dot-joined DNS-1123 labels."""
    assert dns1123_subdomain_problem(value) is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "empty"),
        (SUBDOMAIN_253 + "a", "at most 253"),
        ("a" * 300, "at most 253"),
        ("../../etc/x", "DNS-1123 subdomain"),
        ("a/b", "DNS-1123 subdomain"),
        ("a..b", "DNS-1123 subdomain"),
        (".a", "DNS-1123 subdomain"),
        ("a.", "DNS-1123 subdomain"),
        ("a-.b", "DNS-1123 subdomain"),
        ("UPPER", "DNS-1123 subdomain"),
        ("web\nforged", "DNS-1123 subdomain"),
    ],
)
def test_dns1123_subdomain_refuses(value, fragment):
    """IsDNS1123Subdomain refuses 254 characters, path separators, empty parts, newlines."""
    problem = dns1123_subdomain_problem(value)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize(
    "value",
    [
        "app",
        "App.Name_x-1",
        "a",
        LABEL_63,
        "kubernetes.io/metadata.name",
        f"{SUBDOMAIN_253}/{LABEL_63}",
        "example.com/A",
    ],
)
def test_qualified_name_accepts(value):
    """IsQualifiedName: optional DNS-1123 subdomain prefix and '/', name of 1-63 characters."""
    assert qualified_name_problem(value) is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "empty"),
        ("a" * 64, "at most 63"),
        ("/a", "prefix"),
        ("a/", "empty"),
        ("a/b/c", "at most one '/'"),
        ("Example.com/a", "prefix"),
        (f"{SUBDOMAIN_253}a/b", "prefix"),
        ("-a", "name part"),
        ("a_", "name part"),
        ("a b", "name part"),
        ("a\nb", "name part"),
    ],
)
def test_qualified_name_refuses(value, fragment):
    """IsQualifiedName refuses a bad prefix, two slashes, 64-character names, bad ends."""
    problem = qualified_name_problem(value)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize("value", ["", "a", "A-b_c.d", LABEL_63, "1"])
def test_label_value_accepts(value):
    """IsValidLabelValue: empty, or up to 63 characters, alphanumeric at both ends."""
    assert label_value_problem(value) is None


@pytest.mark.parametrize("value", ["a" * 64, "-a", "a-", "a/b", "a b", "a\n", "ü"])
def test_label_value_refuses(value):
    """IsValidLabelValue refuses 64 characters, bad ends, '/', spaces and newlines."""
    assert label_value_problem(value) is not None


@pytest.mark.parametrize("value", ["http", "a", "h2c", "web-api", "a" * 15, "1a", "a-1-b"])
def test_iana_svc_name_accepts(value):
    """IsValidPortName (IANA_SVC_NAME): 1-15 of [a-z0-9-] with a letter (15 characters pass)."""
    assert iana_svc_name_problem(value) is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "empty"),
        ("a" * 16, "at most 15"),
        ("HTTP", "lowercase"),
        ("web_api", "lowercase"),
        ("-http", "start or end"),
        ("http-", "start or end"),
        ("we--b", "'--'"),
        ("8080", "at least one letter"),
    ],
)
def test_iana_svc_name_refuses(value, fragment):
    """IsValidPortName refuses 16 characters, upper case, '_', edge or double '-', digits only."""
    problem = iana_svc_name_problem(value)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize(("value", "ok"), [(0, False), (1, True), (65535, True), (65536, False)])
def test_port_number_boundaries(value, ok):
    """IsValidPortNum: 1-65535."""
    assert (port_number_problem(value) is None) is ok


@pytest.mark.parametrize(
    ("text", "network"),
    [
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("10.1.2.3/8", "10.0.0.0/8"),  # host bits cleared, as net.ParseCIDR returns the net
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("10.0.0.0/08", "10.0.0.0/8"),  # net.ParseCIDR reads the length with leading zeros
        ("1.2.3.4/32", "1.2.3.4/32"),
        ("2001:db8::/32", "2001:db8::/32"),
        ("::/0", "::/0"),
        ("::ffff:10.0.0.0/104", "::ffff:a00:0/104"),
    ],
)
def test_go_cidr_accepts(text, network):
    """net.ParseCIDR accepts these; the result is the network with host bits cleared."""
    assert parse_cidr(text) == ipaddress.ip_network(network)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("10.0.0.0", "prefix length is required"),
        ("010.0.0.0/8", "IPv4"),
        ("10.0.0.01/32", "IPv4"),
        ("10.0.0.256/32", "at most 255"),
        ("10.0.0.0/33", "at most 32"),
        ("::/129", "at most 128"),
        ("10.0.0.0/255.0.0.0", "decimal"),
        ("10.0.0.0/", "decimal"),
        ("10.0.0.0/+8", "decimal"),
        ("10.0.0.0/٨", "decimal"),
        ("fe80::%eth0/64", "zone"),
        (" 10.0.0.0/8", "IPv4"),
        ("10.0.0.0/8 ", "decimal"),
        ("10.0.0.0/8\n", "decimal"),
        ("10.0.0/8", "IPv4"),
        ("gg::/8", "IPv6"),
    ],
)
def test_go_cidr_refuses(text, fragment):
    """net.ParseCIDR refuses leading-zero octets, netmask lengths, zones and whitespace
    (Python's ipaddress accepts some of these: netmask lengths and zones)."""
    with pytest.raises(ValueError, match=fragment):
        parse_cidr(text)


def test_strict_prefix_refuses_leading_zeros_in_the_length():
    """netip.ParsePrefix (CEL isCIDR) refuses '/08' where net.ParseCIDR accepts it."""
    with pytest.raises(ValueError, match="leading zeros"):
        parse_cidr("10.0.0.0/08", strict_prefix=True)
    assert parse_cidr("10.0.0.0/0", strict_prefix=True) == ipaddress.ip_network("0.0.0.0/0")


@pytest.mark.parametrize("text", ["1.2.3.4", "::1", "2001:db8::1", "::ffff:1.2.3.4"])
def test_go_ip_accepts(text):
    """netip.ParseAddr accepts dotted IPv4 and IPv6 (with an IPv4 tail)."""
    assert str(parse_ip(text))


@pytest.mark.parametrize("text", ["01.2.3.4", "fe80::1%eth0", " 1.2.3.4", "1.2.3", "1.2.3.4.5"])
def test_go_ip_refuses(text):
    """netip.ParseAddr refuses leading zeros, zones (here), whitespace and short forms."""
    with pytest.raises(ValueError):
        parse_ip(text)

"""The renderers read the map's CIDR names back as addresses exactly as ``ipaddress`` does."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netfence.report.connectivity import _parse_cidr


@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_ipv4_names_parse_as_ipaddress_does(address, prefixlen):
    """IPv4 ``a.b.c.d/n``, host bits set or not: the block ipaddress gives (strict=False)."""
    name = f"{ipaddress.IPv4Address(address)}/{prefixlen}"
    net = ipaddress.ip_network(name, strict=False)
    assert _parse_cidr(name) == (4, int(net.network_address), int(net.broadcast_address))


@given(st.integers(0, 2**128 - 1), st.integers(0, 128))
def test_ipv6_names_parse_as_ipaddress_does(address, prefixlen):
    """IPv6 names go to ipaddress itself."""
    name = f"{ipaddress.IPv6Address(address)}/{prefixlen}"
    net = ipaddress.ip_network(name, strict=False)
    assert _parse_cidr(name) == (6, int(net.network_address), int(net.broadcast_address))


@pytest.mark.parametrize("name", ["10.0.0.256/8", "10.0.0.0/33", "10.0.0/8", "10.-1.0.0/8"])
def test_malformed_ipv4_names_are_refused(name):
    """What ipaddress refuses is refused, not read as some other block."""
    with pytest.raises(ValueError):
        _parse_cidr(name)

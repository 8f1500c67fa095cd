"""Hypothesis strategies for the set tests: networks of either family, any prefix length."""

from __future__ import annotations

import ipaddress

from hypothesis import strategies as st

v4_nets = st.builds(
    lambda addr, plen: ipaddress.ip_network((addr, plen), strict=False),
    st.integers(0, 2**32 - 1),
    st.integers(0, 32),
)
"""IPv4 networks, the address masked to the prefix."""
v6_nets = st.builds(
    lambda addr, plen: ipaddress.ip_network((addr, plen), strict=False),
    st.integers(0, 2**128 - 1),
    st.integers(0, 128),
)
"""IPv6 networks, the address masked to the prefix."""
nets = st.one_of(v4_nets, v6_nets)
"""Networks of either family."""

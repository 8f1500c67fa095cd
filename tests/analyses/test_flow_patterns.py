"""The flow-pattern language of ``diff --forbid`` and ``test --init --must-hold``."""

from __future__ import annotations

import pytest

from netfence.analyses.flow_patterns import parse_flow_pattern
from netfence.errors import QueryError
from netfence.sets.ipranges import IPRangeSet


def test_globs_match_namespace_and_name_apart():
    """``*`` matches any run of characters within its part: a namespace glob never reaches
    into the name (``shop*/*`` matches ``shop-2/db``; ``*`` alone is no ns/name end)."""
    pattern = parse_flow_pattern("shop*/*->*/db", "--forbid")
    assert pattern.matches_names("shop-2/web", "data/db")
    assert not pattern.matches_names("web/shop", "data/db")
    assert not pattern.matches_names("shop/web", "data/db-replica")
    with pytest.raises(QueryError, match="neither namespace/name nor a CIDR"):
        parse_flow_pattern("shop/*->*", "--forbid")


def test_the_name_is_everything_after_the_first_slash():
    """A qualified name (``ns/Kind/name``) is matched by a name glob that spans its slash."""
    assert parse_flow_pattern("shop/*->shop/*", "--forbid").matches_names(
        "shop/StatefulSet/db", "shop/web"
    )


def test_an_address_block_end_and_a_port():
    """An end with a prefix length is an address block; ``:PORT/PROTO`` limits the pattern,
    TCP by default."""
    pattern = parse_flow_pattern("shop/*->0.0.0.0/0:53/UDP", "--forbid")
    assert pattern.dst.addresses == IPRangeSet.from_cidr("0.0.0.0/0")
    assert pattern.port == ("UDP", 53)
    assert parse_flow_pattern("a/b->c/d:443", "--forbid").port == ("TCP", 443)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a/b", "expected SRC->DST"),
        ("a/b->c/d:70000", "outside 1-65535"),
        ("a/b->c/d:80/ICMP", "is not TCP/UDP/SCTP"),
        ("a/->c/d", "needs a namespace and a name"),
    ],
)
def test_errors_name_the_option_and_the_pattern(text, message):
    """Every error is one line naming the option and the pattern as written."""
    with pytest.raises(QueryError, match=rf"^--forbid '{text}': .*{message}"):
        parse_flow_pattern(text, "--forbid")

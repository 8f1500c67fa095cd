"""Domain-pattern sets: exact names and ``*.`` wildcards, as firewalls and the Arc endpoint
lists write them.

The algebra is checked against brute force: patterns are built from the labels a, ba and c,
and every name of up to five labels from a, ba, c and a fresh z is asked whether it is in the
sets. z is what makes "not covered" checkable: a wildcard ``*.s`` that no single wildcard of a
set covers leaves out ``z.s``, which no pattern without z can hold.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netfence.sets.names import DomainPatternSet, name_matches, normalize_pattern

LABELS = ("a", "ba", "c")  # "ba" ends in "a": labels, not characters, must decide
UNIVERSE = tuple(
    ".".join(labels)
    for depth in range(1, 6)
    for labels in itertools.product((*LABELS, "z"), repeat=depth)
)


def _names(pattern_set: DomainPatternSet) -> set[str]:
    return {n for n in UNIVERSE if any(name_matches(p, n) for p in pattern_set)}


names = st.lists(st.sampled_from(LABELS), min_size=1, max_size=3).map(".".join)
patterns = st.one_of(names, names.map(lambda n: f"*.{n}"), st.just("*"))
sets = st.lists(patterns, max_size=5).map(DomainPatternSet)


@settings(max_examples=200, deadline=None)
@given(sets, sets)
def test_union_and_intersection_agree_with_brute_force(a, b):
    """Set algebra: a name is in A | B when in A or B, in A & B when in both."""
    assert _names(a | b) == _names(a) | _names(b)
    assert _names(a & b) == _names(a) & _names(b)
    for name in UNIVERSE[:60]:
        assert (name in a) == (name in _names(a))


@settings(max_examples=200, deadline=None)
@given(sets, sets)
def test_covers_is_exact(a, b):
    """A covers B exactly when every name of B is in A (the fresh label z witnesses a
    wildcard that no single pattern of A covers)."""
    assert a.covers(b) == (_names(b) <= _names(a))
    assert (b <= a) == a.covers(b)
    assert set(a.uncovered(b)) == {p for p in a if not b.covers(p)}
    assert not b.uncovered(a) or not a.covers(b)


@settings(max_examples=200, deadline=None)
@given(st.lists(patterns, max_size=6))
def test_canonical_form_makes_equal_sets_equal(listed):
    """A set is stored without patterns another covers, so the same names compare equal
    whatever order or redundancy they were given in."""
    forward, backward = DomainPatternSet(listed), DomainPatternSet(reversed(listed))
    assert forward == backward and hash(forward) == hash(backward)
    assert forward == DomainPatternSet([*listed, *listed])
    for p in forward:
        assert not DomainPatternSet(q for q in forward if q != p).covers(p)


def test_a_leading_wildcard_stands_for_subdomains_at_any_depth_not_the_suffix():
    """Azure Firewall application rules and the Arc network requirements: ``*.`` before a
    name matches its subdomains, at any depth, and not the name itself."""
    his = DomainPatternSet(["*.his.arc.azure.com"])
    assert "eus.his.arc.azure.com" in his
    assert "a.b.his.arc.azure.com" in his
    assert "his.arc.azure.com" not in his
    assert "xhis.arc.azure.com" not in his  # labels, not characters
    assert DomainPatternSet(["*.azure.com"]).covers("*.his.arc.azure.com")
    assert not his.covers("*.azure.com")
    assert DomainPatternSet(["*"]).covers("*.azure.com")


def test_names_compare_without_case_or_trailing_dot():
    """RFC 4343 (case-insensitive names) and RFC 1034 3.1 (the root's empty label): the
    same name in any case, with or without its trailing dot."""
    assert DomainPatternSet(["MCR.Microsoft.COM."]) == DomainPatternSet(["mcr.microsoft.com"])
    assert "Management.Azure.com." in DomainPatternSet(["management.azure.com"])


def test_intersection_of_unrelated_wildcards_is_empty_and_of_nested_ones_the_narrower():
    """Two suffixes that differ in a label share no name; a wildcard inside another is what
    they share."""
    a = DomainPatternSet(["*.blob.core.windows.net"])
    b = DomainPatternSet(["*.servicebus.windows.net"])
    assert not (a & b)
    wide = DomainPatternSet(["*.windows.net"])
    assert wide & a == a
    assert DomainPatternSet(["login.windows.net"]) & wide == DomainPatternSet(["login.windows.net"])


def test_uncovered_names_what_reaches_beyond_the_other_set():
    """What a firewall allows beyond what is required: the patterns not covered."""
    allowed = DomainPatternSet(["*.azure.com", "mcr.microsoft.com", "*.data.mcr.microsoft.com"])
    required = DomainPatternSet(
        ["management.azure.com", "*.data.mcr.microsoft.com", "mcr.microsoft.com"]
    )
    assert allowed.uncovered(required) == ("*.azure.com",)
    assert required.uncovered(allowed) == ()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "*.",
        "a.*.com",
        "*com",
        "www.*",
        "-a.example.com",
        "a-.example.com",
        "a..example.com",
        "x" * 64 + ".example.com",
        ".".join(["a" * 63] * 4 + ["b"]),
        "exa mple.com",
    ],
)
def test_refused_patterns_say_why(text):
    """RFC 1123 2.1 host names (letters, digits and inner hyphens, labels of at most 63
    characters, names of at most 253) and a wildcard only as a leading ``*.``."""
    with pytest.raises(ValueError) as refused:
        normalize_pattern(text)
    assert repr(text) in str(refused.value)

"""Sets of domain names given by patterns: exact names and ``*.`` wildcards.

Firewalls and the Azure Arc endpoint lists speak names, as policies speak addresses: a rule
allows ``mcr.microsoft.com`` or ``*.his.arc.azure.com``. To say what a firewall allows beyond
what a cluster needs, or what it blocks of it, names must be compared as sets.

A pattern is either an exact name (``management.azure.com``) or a wildcard ``*.`` followed by a
suffix (``*.his.arc.azure.com``), which stands for every name of one or more labels followed by
the suffix: ``eus.his.arc.azure.com`` and ``a.b.his.arc.azure.com``, not ``his.arc.azure.com``
itself. That is how Azure Firewall application rules read a leading ``*.`` (any subdomains,
at any depth) and how the Arc network requirements use it; a lone ``*`` is every name. Names
compare without regard to case and without a trailing dot (RFC 4343, RFC 1034 3.1).

A set is a union of patterns, kept canonical: no pattern is covered by another, so that equal
sets compare equal. Union, intersection, membership and containment are exact; a difference is
not always a finite union of such patterns (``*.example.com`` less ``www.example.com``), so
:meth:`DomainPatternSet.uncovered` gives the patterns of one set that another does not cover
instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Final

ANY: Final = "*"
"""The pattern of every name."""

_LABEL: Final = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")
"""A label as host names and service names write it (RFC 1123 2.1, with the underscore of
SRV and service names, RFC 2782): letters, digits, hyphens inside, at most 63 characters."""

MAX_NAME: Final = 253
"""The longest name in text form, without the trailing dot (RFC 1035 2.3.4: 255 octets on
the wire)."""


def normalize_pattern(text: str) -> str:
    """``text`` as a canonical pattern (lower case, no trailing dot); ValueError naming what is
    wrong when it is neither a name nor ``*.`` and a name nor ``*``."""
    given = text.strip().lower()
    if given == "*.":
        raise ValueError(f"{text!r}: a wildcard needs the name it stands before")
    pattern = given.removesuffix(".")
    if pattern == ANY:
        return pattern
    name = pattern.removeprefix("*.")
    if "*" in name:
        raise ValueError(f"{text!r}: a wildcard may only be a leading '*.' (or '*' alone)")
    if not name or len(name) > MAX_NAME:
        raise ValueError(f"{text!r}: a name has 1 to {MAX_NAME} characters")
    for label in name.split("."):
        if not _LABEL.fullmatch(label):
            raise ValueError(
                f"{text!r}: label {label!r} is not 1-63 letters, digits, hyphens or underscores"
                " that neither start nor end with a hyphen"
            )
    return pattern


def _is_wildcard(pattern: str) -> bool:
    return pattern == ANY or pattern.startswith("*.")


def _suffix(pattern: str) -> str:
    """What a wildcard's names end with, dot included (``.his.arc.azure.com``; ``.`` for
    ``*``, which every name, of labels and dots, may be seen to end with once a dot is added)."""
    return "." if pattern == ANY else pattern[1:]


def name_matches(pattern: str, name: str) -> bool:
    """Whether ``name`` (canonical, exact) is one of the names of ``pattern`` (canonical)."""
    if not _is_wildcard(pattern):
        return pattern == name
    if pattern == ANY:
        return True
    suffix = _suffix(pattern)
    return name.endswith(suffix) and len(name) > len(suffix)


def pattern_covers(outer: str, inner: str) -> bool:
    """Whether every name of ``inner`` is a name of ``outer`` (both canonical)."""
    if not _is_wildcard(inner):
        return name_matches(outer, inner)
    if not _is_wildcard(outer):
        return False  # a wildcard has infinitely many names
    if outer == ANY:
        return True
    if inner == ANY:
        return False
    # *.s covers *.t when every name of one or more labels and then t ends in .s with a label
    # before it: t is s, or ends in .s.
    return inner == outer or inner.endswith(_suffix(outer))


def _pattern_meet(a: str, b: str) -> str | None:
    """The names two patterns share, as one pattern, or None when they share none: two
    wildcards meet in the narrower one, or in nothing; an exact name in itself or nothing."""
    if pattern_covers(a, b):
        return b
    if pattern_covers(b, a):
        return a
    return None


class DomainPatternSet:
    """An immutable set of domain names, as the canonical union of patterns."""

    __slots__ = ("_patterns",)

    def __init__(self, patterns: Iterable[str] = ()) -> None:
        """The union of ``patterns`` (names or ``*.`` wildcards, in any case, with or without
        a trailing dot); ValueError on one that is neither."""
        self._patterns: Final = _canonical(normalize_pattern(p) for p in patterns)

    @classmethod
    def _of_canonical(cls, patterns: Iterable[str]) -> DomainPatternSet:
        out = cls.__new__(cls)
        object.__setattr__(out, "_patterns", _canonical(patterns))
        return out

    @property
    def patterns(self) -> tuple[str, ...]:
        """The patterns, none covered by another, sorted by name read right to left."""
        return self._patterns

    def __iter__(self) -> Iterator[str]:
        return iter(self._patterns)

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def __len__(self) -> int:
        """How many patterns (not names: a wildcard stands for infinitely many)."""
        return len(self._patterns)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DomainPatternSet) and self._patterns == other._patterns

    def __hash__(self) -> int:
        return hash(self._patterns)

    def __repr__(self) -> str:
        return f"DomainPatternSet({list(self._patterns)!r})"

    def __contains__(self, name: object) -> bool:
        """Whether an exact name is in the set (any case, trailing dot or not)."""
        if not isinstance(name, str):
            return False
        exact = normalize_pattern(name)
        if _is_wildcard(exact):
            raise ValueError(f"{name!r} is a pattern, not a name: use covers()")
        return any(name_matches(p, exact) for p in self._patterns)

    def covers(self, other: DomainPatternSet | str) -> bool:
        """Whether every name of ``other`` (a set or one pattern) is in this set.

        A pattern is covered only by one pattern of the set: the names of a wildcard not
        covered by one wildcard of the set include names of every length, which no union of
        narrower patterns holds (``*.a`` and ``*.b.a`` leave out ``c.a`` once ``*.a`` is
        gone), so checking pattern by pattern is exact.
        """
        patterns = (
            other._patterns if isinstance(other, DomainPatternSet) else (normalize_pattern(other),)
        )
        return all(any(pattern_covers(mine, p) for mine in self._patterns) for p in patterns)

    def __or__(self, other: DomainPatternSet) -> DomainPatternSet:
        return DomainPatternSet._of_canonical((*self._patterns, *other._patterns))

    def __and__(self, other: DomainPatternSet) -> DomainPatternSet:
        met = (_pattern_meet(a, b) for a in self._patterns for b in other._patterns)
        return DomainPatternSet._of_canonical(m for m in met if m is not None)

    def __le__(self, other: DomainPatternSet) -> bool:
        return other.covers(self)

    def uncovered(self, other: DomainPatternSet) -> tuple[str, ...]:
        """The patterns of this set that ``other`` does not wholly cover: where this set
        reaches beyond ``other`` (a firewall's allowance beyond what is required)."""
        return tuple(p for p in self._patterns if not other.covers(p))


def _canonical(patterns: Iterable[str]) -> tuple[str, ...]:
    """Patterns without duplicates and without any that another covers, in a stable order."""
    unique = sorted(set(patterns), key=_order)
    wild = [p for p in unique if _is_wildcard(p)]
    return tuple(p for p in unique if not any(w != p and pattern_covers(w, p) for w in wild))


def _order(pattern: str) -> tuple[list[str], str]:
    """Names read from the root: ``example.com`` before ``a.example.com``, a wildcard beside
    its suffix."""
    return (list(reversed(pattern.split("."))), pattern)

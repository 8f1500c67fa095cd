"""The finitely many classes that domain names fall into, given the patterns of some rules.

Patterns match names by suffix, so among all names only these behave differently:

- each exact name some pattern lists (it may also lie under wildcards);
- for each wildcard ``*.s``, the names under ``s`` that no narrower pattern singles out,
  stood for by a fresh name ``<label>.s`` whose first label appears nowhere;
- every other name, matched by ``*`` alone, stood for by a fresh one-label name.

Two names with the same representative match exactly the same patterns: a name that is not
listed matches ``*.t`` exactly when the longest wildcard suffix ``s`` above it is ``t`` or
lies under ``t``, which is what its representative ``<label>.s`` matches too.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from netfence.sets.names import ANY, MAX_NAME, DomainPatternSet, normalize_pattern


class NameClassKind(enum.StrEnum):
    """What a name class stands for."""

    EXACT = "exact"
    """One listed name."""
    UNDER = "under"
    """Names under a wildcard's suffix that no narrower pattern lists."""
    OTHER = "other"
    """Names no pattern but ``*`` matches."""


@dataclass(frozen=True)
class NameClass:
    """One class of names: its representative and the pattern that describes it."""

    kind: NameClassKind
    """What it stands for."""
    representative: str
    """A name of the class, tested against patterns to build masks."""
    pattern: str
    """The pattern describing it in messages: the name, ``*.s``, or ``*``."""


_FRESH_LABELS: tuple[str, ...] = (
    "nf-other",
    "nf-other-0",
    "nf-other-1",
    *"0123456789abcdefghijklmnopqrstuvwxyz",
)
"""Labels tried for fresh names, the readable ones first, then one-character ones for
suffixes that leave little room."""


class NameClasses:
    """The name classes of a collection of patterns, with pattern masks over them."""

    def __init__(self, patterns: Iterable[str]) -> None:
        """Classes fine enough for every pattern given (canonical or not)."""
        canonical = sorted({normalize_pattern(p) for p in patterns} - {ANY})
        exact = [p for p in canonical if not p.startswith("*.")]
        wild = [p[2:] for p in canonical if p.startswith("*.")]
        labels = {label for p in canonical for label in p.removeprefix("*.").split(".")}
        listed = set(exact)
        self.classes: tuple[NameClass, ...] = (
            *(NameClass(NameClassKind.EXACT, name, name) for name in exact),
            *(
                NameClass(NameClassKind.UNDER, _fresh_under(s, labels, listed), f"*.{s}")
                for s in wild
            ),
            NameClass(NameClassKind.OTHER, _fresh_label(labels, listed), ANY),
        )
        """Every class: the exact names, then one per wildcard, then the rest of the names."""
        self._exact_index = {name: i for i, name in enumerate(exact)}
        self._under_index = {s: len(exact) + i for i, s in enumerate(wild)}
        # A wildcard *.s matches the classes whose representative ends in ".s": index them by
        # every proper suffix, so a pattern's classes are one lookup, not a scan.
        self._by_suffix: dict[str, list[int]] = {}
        for index, name_class in enumerate(self.classes):
            parts = name_class.representative.split(".")
            for cut in range(1, len(parts)):
                self._by_suffix.setdefault(".".join(parts[cut:]), []).append(index)

    def __len__(self) -> int:
        return len(self.classes)

    def class_of(self, name: str) -> int:
        """The class of an exact name (any name: listed or not)."""
        exact = normalize_pattern(name)
        if exact.startswith("*"):
            raise ValueError(f"{name!r} is a pattern, not a name")
        if exact in self._exact_index:
            return self._exact_index[exact]
        parts = exact.split(".")
        for cut in range(1, len(parts)):
            suffix = ".".join(parts[cut:])
            if suffix in self._under_index:
                return self._under_index[suffix]
        return len(self.classes) - 1

    def mask(self, names: DomainPatternSet) -> npt.NDArray[np.bool_]:
        """Which classes lie in ``names``: their representatives match it. Every pattern of
        ``names`` must be one the classes were built from (or lie under no other)."""
        out = np.zeros(len(self.classes), dtype=np.bool_)
        for pattern in names.patterns:
            if pattern == ANY:
                out[:] = True
            elif pattern.startswith("*."):
                out[self._by_suffix.get(pattern[2:], [])] = True
            elif pattern in self._exact_index:
                out[self._exact_index[pattern]] = True
        return out

    def describe(self, indices: Iterable[int]) -> tuple[str, ...]:
        """The patterns of the given classes, canonical (a wildcard absorbs the names under it)."""
        patterns: tuple[str, ...] = DomainPatternSet(
            self.classes[i].pattern for i in indices
        ).patterns
        return patterns


def _fresh_label(labels: set[str], listed: set[str]) -> str:
    """A one-label name no pattern lists: only ``*`` matches it (wildcards need two labels)."""
    for label in _FRESH_LABELS:
        if label not in labels and label not in listed:
            return label
    return _numbered(labels | listed)


def _fresh_under(suffix: str, labels: set[str], listed: set[str]) -> str:
    """A name ``<label>.suffix`` that is listed nowhere, with a label no pattern uses, so no
    narrower wildcard under ``suffix`` matches it."""
    room = MAX_NAME - len(suffix) - 1
    candidates = [*(label for label in _FRESH_LABELS if len(label) <= room), _numbered(labels)]
    for label in candidates:
        name = f"{label}.{suffix}"
        if label not in labels and name not in listed and len(label) <= room:
            return name
    raise ValueError(f"no room for a name under {suffix!r}")  # a suffix of 252 characters


def _numbered(taken: set[str]) -> str:
    """The shortest decimal label not in ``taken``."""
    number = 0
    while str(number) in taken:
        number += 1
    return str(number)

"""Name classes: every name falls in a class whose representative matches exactly the
patterns it matches (checked against brute force over random patterns and names)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from netfence.engine.names import NameClasses, NameClassKind
from netfence.sets.names import DomainPatternSet
from tests.engine.firewall_oracle import oracle_name_matches

LABELS = st.sampled_from(["a", "b", "c", "nf-other", "0"])
NAMES = st.lists(LABELS, min_size=1, max_size=4).map(".".join)
PATTERNS = st.one_of(NAMES, NAMES.map(lambda n: f"*.{n}"), st.just("*"))


@settings(max_examples=300, deadline=None)
@given(st.lists(PATTERNS, max_size=6), st.lists(NAMES, min_size=1, max_size=8))
def test_a_name_matches_what_its_class_representative_matches(patterns, names):
    """Names: two names with the same representative match exactly the same patterns."""
    classes = NameClasses(patterns)
    for name in names:
        representative = classes.classes[classes.class_of(name)].representative
        for pattern in [*patterns, "*"]:
            assert oracle_name_matches(pattern, name) == oracle_name_matches(
                pattern, representative
            ), (pattern, name, representative)


@settings(max_examples=300, deadline=None)
@given(st.lists(PATTERNS, max_size=6), st.lists(NAMES, min_size=1, max_size=8))
def test_pattern_set_masks_hold_exactly_their_names(patterns, names):
    """A pattern set's mask over classes holds a name's class exactly when it holds the name."""
    classes = NameClasses(patterns)
    for size in range(len(patterns) + 1):
        chosen = DomainPatternSet(patterns[:size])
        mask = classes.mask(chosen)
        for name in names:
            assert bool(mask[classes.class_of(name)]) == (name in chosen), (chosen, name)


def test_classes_are_the_listed_names_one_per_wildcard_and_the_rest():
    """Names: each exact name, a fresh name under each wildcard, one fresh name for ``*``."""
    classes = NameClasses(["mcr.microsoft.com", "*.his.arc.azure.com", "*"])
    kinds = [(c.kind, c.pattern) for c in classes.classes]
    assert kinds == [
        (NameClassKind.EXACT, "mcr.microsoft.com"),
        (NameClassKind.UNDER, "*.his.arc.azure.com"),
        (NameClassKind.OTHER, "*"),
    ]
    assert classes.classes[1].representative == "nf-other.his.arc.azure.com"
    assert classes.class_of("his.arc.azure.com") == 2
    assert classes.class_of("EUS.his.arc.azure.com.") == 1

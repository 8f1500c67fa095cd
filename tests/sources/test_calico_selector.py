"""Calico selectors: parsing, the expression tree, matching one label set and evaluating many.

The rules checked are those of the Calico documentation ("Selectors" in the NetworkPolicy and
GlobalNetworkPolicy resource reference, and "Understanding scopes and the all() and global()
operators"); where the documentation is silent (set literal forms, spelling of multi-word
operators, which characters separate tokens) the tests pin the behaviour of Calico's own
selector parser, which the API server uses to validate selectors.
"""

from __future__ import annotations

import string
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netfence.engine.calico_selector_eval import evaluate
from netfence.engine.labelindex import LabelIndex
from netfence.model.calico_selector import (
    All,
    And,
    Contains,
    EndsWith,
    Equals,
    Global,
    Has,
    In,
    Not,
    NotEquals,
    NotIn,
    Or,
    Selector,
    StartsWith,
    all_of,
    any_of,
    negate,
)
from netfence.sources.calico_selector_parser import SelectorSyntaxError, parse_selector

Labels = dict[str, str]


def selected(selector: str, *label_sets: Labels) -> list[bool]:
    """Parse ``selector`` and match it against each label set, checking the vectorized
    evaluation agrees."""
    parsed = parse_selector(selector)
    expected = [parsed.matches(labels) for labels in label_sets]
    assert evaluate(parsed, LabelIndex(list(label_sets))).tolist() == expected
    return expected


# --- Match operators ---------------------------------------------------------------------


def test_equals_needs_the_key_with_that_value() -> None:
    """Selectors, ``k == 'v'``: matches resources with label k and value v; a resource
    without k does not match."""
    assert selected("app == 'web'", {"app": "web"}, {"app": "db"}, {}, {"tier": "web"}) == [
        True,
        False,
        False,
        False,
    ]


def test_not_equals_also_matches_resources_without_the_key() -> None:
    """Selectors, ``k != 'v'``: matches resources without label k, or with k not equal to v."""
    assert selected("app != 'web'", {"app": "web"}, {"app": "db"}, {}) == [False, True, True]


def test_in_needs_the_key_with_a_value_in_the_set() -> None:
    """Selectors, ``k in { 'v1', 'v2' }``: matches resources with label k and value in the set."""
    assert selected("app in {'web', 'db'}", {"app": "web"}, {"app": "db"}, {"app": "x"}, {}) == [
        True,
        True,
        False,
        False,
    ]


def test_not_in_also_matches_resources_without_the_key() -> None:
    """Selectors, ``k not in { 'v1', 'v2' }``: matches resources without label k, or with k
    not in the set."""
    assert selected(
        "app not in {'web', 'db'}", {"app": "web"}, {"app": "db"}, {"app": "x"}, {}
    ) == [False, False, True, True]


def test_has_matches_any_value_including_empty() -> None:
    """Selectors, ``has(k)``: matches resources with label k, independent of value (the empty
    value included)."""
    assert selected("has(app)", {"app": "web"}, {"app": ""}, {"tier": "x"}, {}) == [
        True,
        True,
        False,
        False,
    ]


def test_negated_has_matches_resources_without_the_key() -> None:
    """Selectors, ``has(k)``: to match resources that do not have label k, combine it with
    ``!`` to form ``!has(k)``."""
    assert selected("!has(app)", {"app": "web"}, {"app": ""}, {"tier": "x"}, {}) == [
        False,
        False,
        True,
        True,
    ]
    assert parse_selector("!has(app)") == Not(Has("app"))


@pytest.mark.parametrize(
    ("selector", "matching", "not_matching"),
    [
        ("name contains 'eb'", ["web", "eb", "ebb"], ["wb", "EB", ""]),
        ("name starts with 'we'", ["web", "we"], ["awe", "w", ""]),
        ("name ends with 'eb'", ["web", "eb"], ["ebw", "b", ""]),
        ("name contains ''", ["web", ""], []),
    ],
)
def test_substring_operators_need_the_key(
    selector: str, matching: list[str], not_matching: list[str]
) -> None:
    """Selectors, ``k contains 's'``, ``k starts with 's'``, ``k ends with 's'``: match
    resources with label k whose value contains / starts with / ends with s; a resource
    without k never matches (not even the empty substring)."""
    label_sets = [{"name": v} for v in matching + not_matching] + [{}, {"other": "web"}]
    expected = [True] * len(matching) + [False] * (len(not_matching) + 2)
    assert selected(selector, *label_sets) == expected


def test_all_and_the_empty_selector_match_everything() -> None:
    """Selectors, ``all()``: match all in-scope resources; an empty selector is ``all()``
    (the documented default of every selector field)."""
    for text in ("all()", "", "   ", "\t", "all( )", " ( all() ) "):
        assert parse_selector(text) == All()
        assert selected(text, {}, {"app": "web"}) == [True, True]


def test_not_all_matches_nothing() -> None:
    """Selectors, ``all()``: to match no resources, combine it with ``!`` to form ``!all()``."""
    assert selected("!all()", {}, {"app": "web"}) == [False, False]


def test_global_matches_only_non_namespaced_resources() -> None:
    """Selectors, ``global()``: matches all non-namespaced resources (used in a
    namespaceSelector to reach GlobalNetworkSets); namespaced resources never match it."""
    sel = parse_selector("global()")
    assert sel == Global()
    assert not sel.matches({"a": "b"})
    assert sel.matches({"a": "b"}, namespaced=False)
    index = LabelIndex([{}, {"a": "b"}])
    assert evaluate(sel, index).tolist() == [False, False]
    assert evaluate(sel, index, namespaced=False).tolist() == [True, True]
    either = parse_selector("global() || projectcalico.org/name == 'prod'")
    assert either.matches({"projectcalico.org/name": "prod"})
    assert not either.matches({"projectcalico.org/name": "dev"})
    assert either.matches({"projectcalico.org/name": "dev"}, namespaced=False)


def test_label_keys_with_prefixes() -> None:
    """Selectors: label keys are written bare and may carry a DNS prefix, such as the
    automatic ``projectcalico.org/namespace`` and ``projectcalico.org/name`` labels."""
    sel = parse_selector(
        "projectcalico.org/namespace == 'prod' && app.kubernetes.io/name in {'web'} "
        "&& has(kubernetes.io/metadata.name)"
    )
    assert sel == And(
        (
            Equals("projectcalico.org/namespace", "prod"),
            In("app.kubernetes.io/name", ("web",)),
            Has("kubernetes.io/metadata.name"),
        )
    )
    labels = {
        "projectcalico.org/namespace": "prod",
        "app.kubernetes.io/name": "web",
        "kubernetes.io/metadata.name": "prod",
    }
    assert selected(str(sel), labels, {**labels, "projectcalico.org/namespace": "dev"}) == [
        True,
        False,
    ]


def test_string_literals_take_either_quote() -> None:
    """Selectors: a value is a string literal in single or double quotes; either quote may
    appear inside a literal delimited by the other; there are no escapes."""
    assert parse_selector("a == 'x'") == parse_selector('a == "x"') == Equals("a", "x")
    assert parse_selector('a == "it\'s"') == Equals("a", "it's")
    assert parse_selector("a == 'say \"hi\"'") == Equals("a", 'say "hi"')
    assert parse_selector("a == ''") == Equals("a", "")
    assert parse_selector("a == 'x\\'") == Equals("a", "x\\")  # a backslash is a character


# --- Logical operators and precedence ------------------------------------------------------


def test_and_binds_tighter_than_or() -> None:
    """Selectors, operator precedence: conjunction ``&&`` binds tighter than disjunction
    ``||``, so ``a || b && c`` is ``a || (b && c)``."""
    sel = parse_selector("a == 'x' || b == 'y' && c == 'z'")
    assert sel == Or((Equals("a", "x"), And((Equals("b", "y"), Equals("c", "z")))))
    for a in ("x", "-"):
        for b in ("y", "-"):
            for c in ("z", "-"):
                labels = {"a": a, "b": b, "c": c}
                assert sel.matches(labels) == (a == "x" or (b == "y" and c == "z"))
    assert selected("a == 'x' || b == 'y' && c == 'z'", {"a": "x"}, {"b": "y"}) == [True, False]


def test_parentheses_group() -> None:
    """Selectors, ``( <expression> )``: parentheses group, overriding precedence."""
    sel = parse_selector("(a == 'x' || b == 'y') && c == 'z'")
    assert sel == And((Or((Equals("a", "x"), Equals("b", "y"))), Equals("c", "z")))
    assert selected(str(sel), {"a": "x"}, {"a": "x", "c": "z"}) == [False, True]


def test_negation_binds_tighter_than_and() -> None:
    """Selectors, operator precedence: negation ``!`` binds tighter than ``&&``, and applies to
    the whole match operation after it (match operators bind tightest)."""
    assert parse_selector("!has(a) && has(b)") == And((Not(Has("a")), Has("b")))
    assert parse_selector("!a == 'x'") == Not(Equals("a", "x"))
    assert parse_selector("!a == 'x' && b == 'y'") == And((Not(Equals("a", "x")), Equals("b", "y")))
    assert selected("!a == 'x'", {"a": "x"}, {"a": "y"}, {}) == [False, True, True]


def test_negation_of_a_parenthesized_expression() -> None:
    """Selectors, ``! <expression>``: matches if and only if the expression does not match,
    for a parenthesized expression too."""
    sel = parse_selector("!(a == 'x' || has(b))")
    assert sel == Not(Or((Equals("a", "x"), Has("b"))))
    assert selected(str(sel), {"a": "x"}, {"b": ""}, {"a": "y"}, {}) == [False, False, True, True]
    assert selected("!(!has(a) || has(b))", {"a": "1"}, {"a": "1", "b": "2"}, {}) == [
        True,
        False,
        False,
    ]


def test_repeated_negation_cancels_in_pairs() -> None:
    """Selectors, ``! <expression>``: negating twice gives back the expression, so ``!!e``
    and ``e`` are the same selector."""
    assert parse_selector("!!has(a)") == Has("a")
    assert parse_selector("! ! !has(a)") == Not(Has("a"))
    assert parse_selector("!(!has(a))") == Has("a")
    assert parse_selector("!(!(a == 'x' && has(b)))") == parse_selector("a == 'x' && has(b)")


def test_documented_precedence_example() -> None:
    """Selectors, operator precedence example: ``! has(my-label) || my-label starts with 'prod'
    && role in {'frontend','business'}`` matches resources without my-label, and resources
    whose my-label starts with "prod" and whose role is frontend or business."""
    text = "! has(my-label) || my-label starts with 'prod' && role in {'frontend','business'}"
    bracketed = (
        "((!(has(my-label))) || "
        "((my-label starts with 'prod') && (role in {'frontend','business'})))"
    )
    assert parse_selector(text) == parse_selector(bracketed)
    assert selected(
        text,
        {},
        {"role": "db"},
        {"my-label": "production", "role": "business"},
        {"my-label": "prod", "role": "frontend"},
        {"my-label": "production", "role": "db"},
        {"my-label": "dev", "role": "frontend"},
    ) == [True, True, True, True, False, False]


# --- Syntax as Calico's parser accepts it ----------------------------------------------------


def test_spaces_and_tabs_are_insignificant() -> None:
    """Selectors: whitespace (spaces and tabs) between tokens is insignificant, and may be
    left out wherever tokens stay distinct."""
    expected = parse_selector("a == 'x' && has(b) || c not in {'1', '2'} && !all()")
    for text in (
        "a=='x'&&has(b)||c not in{'1','2'}&&!all()",
        "  a ==\t'x'  &&  has(  b  )\t|| c  not\t in { '1' , '2' } && ! all(\t)  ",
        "a=='x'&&has(b)||c notin{'1','2'}&&!all()",
    ):
        assert parse_selector(text) == expected


def test_multi_word_operators_may_be_run_together() -> None:
    """Calico's parser (tokenizer tests): ``not in``, ``starts with`` and ``ends with`` may
    be written with any run of spaces between the words, or none."""
    assert parse_selector("a notin {'x'}") == NotIn("a", ("x",))
    assert parse_selector("a startswith 'x'") == StartsWith("a", "x")
    assert parse_selector('a endswith"x"') == EndsWith("a", "x")
    assert parse_selector("a starts \t with 'x'") == StartsWith("a", "x")
    assert parse_selector("a contains'x'") == Contains("a", "x")


def test_operator_words_are_label_keys_in_key_position() -> None:
    """Calico's parser (tokenizer tests): an operator word is an operator only right after a
    label key, so keys may be named like operators or functions."""
    assert parse_selector("contains contains 'contains'") == Contains("contains", "contains")
    assert parse_selector("in == 'x'") == Equals("in", "x")
    assert parse_selector("not in {'a'}") == In("not", ("a",))
    assert parse_selector("has == 'x' && all != 'y'") == And(
        (Equals("has", "x"), NotEquals("all", "y"))
    )
    assert parse_selector("startswith starts with 'v'") == StartsWith("startswith", "v")


def test_set_literal_forms() -> None:
    """Selectors, ``k in { ... }``: Calico's parser accepts an empty set and a trailing comma,
    and treats the set as a set: order and repeats do not matter."""
    assert parse_selector("app in {'a',}") == In("app", ("a",))
    assert parse_selector("app in {'b', 'a', 'b', }") == In("app", ("a", "b"))
    assert parse_selector("app in {}") == In("app", ())
    assert parse_selector("app not in { }") == NotIn("app", ())
    assert selected("app in {}", {"app": "a"}, {}) == [False, False]
    assert selected("app not in {}", {"app": "a"}, {}) == [True, True]


def test_label_key_length_limit() -> None:
    """Calico's parser: a label key in a selector is at most 512 characters."""
    assert parse_selector("k" * 512 + " == 'v'") == Equals("k" * 512, "v")
    assert parse_selector(f"has({'k' * 512})") == Has("k" * 512)
    with pytest.raises(SelectorSyntaxError) as error:
        parse_selector("k" * 513 + " == 'v'")
    assert error.value.column == 0
    with pytest.raises(SelectorSyntaxError) as error:
        parse_selector(f"has( {'k' * 513})")
    assert error.value.column == 5


SYNTAX_ERRORS = [
    # (selector, column, words the message must contain)
    ("app == ", 7, "expected a quoted string after '=='"),
    ("app = 'x'", 4, "expected '=='"),
    ("has(app", 7, "expected ')' to close has("),
    ("has()", 4, "expected a label key inside has()"),
    ("app in {'a',,}", 12, "expected a quoted string or '}'"),
    ("app in {,}", 8, "expected a quoted string or '}'"),
    ("app in {'a' 'b'}", 12, "expected ',' or '}'"),
    ("app in 'a'", 7, "expected a set literal"),
    ("(app == 'a'", 11, "expected ')' to close the '(' at column 0"),
    ("'a' == app", 0, "a string can only follow an operator"),
    ("app == 'a' &&", 13, "expected an expression after '&&'"),
    ("app == 'a' ||", 13, "expected an expression after '||'"),
    ("app == 'abc", 7, "unterminated string"),
    ("app == \"abc'", 7, "unterminated string"),
    ("'FOO", 0, "unterminated string"),
    ("foo(app)", 0, "unknown function 'foo'"),
    ("foo (app)", 0, "unknown function 'foo'"),
    ("has (app)", 3, "no space is allowed between 'has' and '('"),
    ("all(x)", 4, "expected ')' to close all("),
    ("global( x)", 8, "expected ')' to close global("),
    ("b == b", 5, "expected a quoted string after '=='"),
    ("b contains b", 11, "expected a quoted string after 'contains'"),
    ("b", 1, "expected an operator"),
    ("a b", 2, "expected an operator"),
    ("a startsx 'b'", 2, "expected an operator"),
    ("a containsx 'b'", 2, "expected an operator"),
    ("a not 'b'", 2, "expected an operator"),
    ("!", 1, "expected an expression after '!'"),
    ("foo == 'bar' &", 13, "expected '&&'"),
    ("foo == 'bar' |", 13, "expected '||'"),
    ("(", 1, "expected an expression after '('"),
    ("()", 1, "expected an expression after '('"),
    (")", 0, "expected an expression"),
    ("a == 'b')", 8, "unmatched ')'"),
    ("a == 'b' c == 'd'", 9, "expected '&&', '||' or the end of the selector"),
    ("all() in {'a'}", 6, "expected '&&', '||' or the end of the selector"),
    ("%", 0, "unexpected character '%'"),
    ("a == 'b' && %", 12, "unexpected character '%'"),
    ("a ==\n'b'", 4, "only spaces and tabs may separate tokens"),
    ("a\n== 'b'", 1, "only spaces and tabs may separate tokens"),
]


@pytest.mark.parametrize(("text", "column", "message"), SYNTAX_ERRORS)
def test_syntax_errors_name_what_was_expected_and_where(
    text: str, column: int, message: str
) -> None:
    """Selectors: the grammar of the Selectors table (an operand is a match operator, ``!``
    or a parenthesized expression; match operators compare a label key with quoted strings;
    ``&&`` and ``||`` join operands). Calico's API server rejects selectors its parser cannot
    parse; netfence names what it expected and the 0-based column."""
    with pytest.raises(SelectorSyntaxError) as error:
        parse_selector(text)
    assert error.value.column == column
    assert message in error.value.message
    assert str(error.value) == f"{error.value.message} (column {column})"
    assert isinstance(error.value, ValueError)


# --- The tree: canonical, hashable, printable ---------------------------------------------------


def test_same_expression_parses_to_equal_hashable_selectors() -> None:
    """Selectors: spacing, quoting, redundant parentheses, set order and repeats, ``!!`` and
    the grouping of ``&&`` (or ``||``) chains do not change the meaning, so they give equal
    selectors with equal hashes (the engine caches one evaluation per selector)."""
    spellings = [
        "a == 'x' && (b in {'1', '2'} && !has(c))",
        '(a=="x" && b in {"2","1","2",}) && !!!has(c)',
        "((a == 'x')) && b in {'1','2'} && !(has(c))",
    ]
    parsed = {parse_selector(text) for text in spellings}
    assert len(parsed) == 1
    (sel,) = parsed
    assert {sel: "cached"}[parse_selector(str(sel))] == "cached"


def test_str_is_a_normalized_expression() -> None:
    """Selectors: ``str()`` writes the selector back in the documented syntax: single quotes
    (double when the value holds one), sorted sets, parentheses only where precedence needs
    them."""
    cases = {
        "": "all()",
        "a=='x'||b=='y'&&c=='z'": "a == 'x' || b == 'y' && c == 'z'",
        "(a=='x'||b=='y')&&c=='z'": "(a == 'x' || b == 'y') && c == 'z'",
        "!a=='x'": "!(a == 'x')",
        "! has( a )": "!has(a)",
        "!(has(a) && global())": "!(has(a) && global())",
        'a in {"b","a"}': "a in {'a', 'b'}",
        "a notin{}": "a not in {}",
        'a == "it\'s"': 'a == "it\'s"',
        "a startswith 'x' || a endswith 'y' || a contains 'z'": (
            "a starts with 'x' || a ends with 'y' || a contains 'z'"
        ),
    }
    for text, normalized in cases.items():
        assert str(parse_selector(text)) == normalized


def test_constructors_keep_the_tree_canonical() -> None:
    """Selectors: every tree built by hand can be written as a selector and read back, so the
    constructors refuse what the syntax cannot express and normalize what it cannot tell
    apart."""
    with pytest.raises(ValueError, match="label key"):
        Has("a b")
    with pytest.raises(ValueError, match="label key"):
        Equals("", "x")
    with pytest.raises(ValueError, match="both quote"):
        Equals("a", "'\"")
    with pytest.raises(ValueError, match="both quote"):
        In("a", ("ok", "'\""))
    with pytest.raises(TypeError):
        In("a", "ab")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negate"):
        Not(Not(Has("a")))
    with pytest.raises(ValueError, match="all_of"):
        And((Has("a"),))
    assert In("a", ("b", "a", "b")) == In("a", ("a", "b"))
    assert And((And((Has("a"), Has("b"))), Has("c"))) == And((Has("a"), Has("b"), Has("c")))
    assert Or((Has("a"), Or((Has("b"), Has("c"))))) == Or((Has("a"), Has("b"), Has("c")))
    assert negate(Not(Has("a"))) == Has("a")
    assert all_of() == All() and any_of() == Not(All())
    assert all_of(Has("a")) == Has("a") == any_of(Has("a"))


def test_evaluation_is_cached_per_index_and_read_only() -> None:
    """Selectors are evaluated once per label-set index: the mask is shared, so it is
    read-only; a new index gets fresh masks."""
    sel = parse_selector("app == 'web' || !has(tier)")
    index = LabelIndex([{"app": "web"}, {"tier": "x"}, {}])
    mask = evaluate(sel, index)
    assert evaluate(parse_selector(str(sel)), index) is mask
    assert mask.tolist() == [True, False, True]
    assert not mask.flags.writeable
    other = LabelIndex([{"tier": "x"}])
    assert evaluate(sel, other).tolist() == [False]
    assert evaluate(All(), LabelIndex([])).shape == (0,)


# --- Properties ------------------------------------------------------------------------------

KEYS = [
    "app",
    "tier",
    "projectcalico.org/namespace",
    "app.kubernetes.io/name",
    "in",
    "has",
    "all",
    "not",
    "contains",
    "-",
]
VALUES = ["", "web", "we", "eb", "db", "w", "it's", 'say "hi"', "a b", "in"]

keys = st.one_of(
    st.sampled_from(KEYS),
    st.text(string.ascii_letters + string.digits + "_./-", min_size=1, max_size=8),
)
values = st.one_of(
    st.sampled_from(VALUES),
    st.text(max_size=6).filter(lambda v: not ("'" in v and '"' in v)),
)
value_sets = st.lists(values, max_size=4).map(tuple)

leaves: st.SearchStrategy[Selector] = st.one_of(
    st.just(All()),
    st.just(Global()),
    st.builds(Has, keys),
    *(
        st.builds(kind, keys, values)
        for kind in (Equals, NotEquals, Contains, StartsWith, EndsWith)
    ),
    st.builds(In, keys, value_sets),
    st.builds(NotIn, keys, value_sets),
)


def _compound(children: st.SearchStrategy[Selector]) -> st.SearchStrategy[Selector]:
    many = st.lists(children, min_size=2, max_size=4)
    return st.one_of(
        children.map(negate),
        many.map(lambda ops: all_of(*ops)),
        many.map(lambda ops: any_of(*ops)),
    )


selectors = st.recursive(leaves, _compound, max_leaves=12)
label_sets = st.lists(
    st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=4), max_size=8
)


@given(selectors)
def test_str_parses_back_to_an_equal_selector(sel: Selector) -> None:
    """Selectors: the normalized expression ``str()`` writes is valid selector syntax that
    means the same selector (equal, same hash, same text)."""
    text = str(sel)
    again = parse_selector(text)
    assert again == sel
    assert hash(again) == hash(sel)
    assert str(again) == text


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(selectors, label_sets)
def test_evaluate_agrees_with_matches(sel: Selector, labels: list[Labels]) -> None:
    """Selectors: each operator's meaning (with or without the key) is the same whether one
    label set is matched or many are evaluated at once, for namespaced and non-namespaced
    resources (``global()``)."""
    index = LabelIndex(labels)
    for namespaced in (True, False):
        mask = evaluate(sel, index, namespaced=namespaced)
        assert mask.dtype == np.bool_ and mask.shape == (len(labels),)
        assert mask.tolist() == [sel.matches(ls, namespaced=namespaced) for ls in labels]


Draw = Callable[[st.SearchStrategy[str]], str]


def _noisy(sel: Selector, draw: Draw) -> str:
    """``sel`` in a random but equivalent spelling: random spaces and tabs, either quote,
    shuffled and repeated set members, trailing commas, run-together operator words,
    redundant parentheses and double negations."""

    def gap(required: bool = False) -> str:
        return draw(st.sampled_from([" ", "\t", "  "] if required else ["", " ", "\t", " \t "]))

    def literal(value: str) -> str:
        quotes = [q for q in "'\"" if q not in value]
        q = draw(st.sampled_from(quotes))
        return f"{q}{value}{q}"

    def words(*parts: str) -> str:
        return draw(st.sampled_from(["", " ", "\t "])).join(parts)

    def group(text: str) -> str:
        return f"({gap()}{text}{gap()})"

    def operand(child: Selector, needs_group: bool) -> str:
        text = _noisy(child, draw)
        return group(text) if needs_group else text

    match sel:
        case All():
            text = f"all({gap()})"
        case Global():
            text = f"global({gap()})"
        case Has(key=key):
            text = f"has({gap()}{key}{gap()})"
        case Equals() | NotEquals():
            text = f"{sel.key}{gap()}{sel.operator}{gap()}{literal(sel.value)}"
        case Contains() | StartsWith() | EndsWith():
            op = words(*sel.operator.split())
            text = f"{sel.key}{gap(True)}{op}{gap()}{literal(sel.value)}"
        case In() | NotIn():
            members = draw(st.permutations(list(sel.values) * draw(st.sampled_from([1, 2]))))
            body = f"{gap()},{gap()}".join(literal(v) for v in members)
            if members and draw(st.booleans()):
                body += ","
            op = words(*sel.operator.split())
            text = f"{sel.key}{gap(True)}{op}{gap()}{{{gap()}{body}{gap()}}}"
        case Not(operand=inner):
            grouped = isinstance(inner, And | Or) or draw(st.booleans())
            text = f"!{gap()}{operand(inner, grouped)}"
        case And(operands=ops):
            text = f"{gap()}&&{gap()}".join(
                operand(op, isinstance(op, Or) or draw(st.booleans())) for op in ops
            )
        case Or(operands=ops):
            text = f"{gap()}||{gap()}".join(operand(op, draw(st.booleans())) for op in ops)
        case _:
            raise AssertionError(sel)
    if draw(st.booleans()):
        text = f"!{gap()}!{gap()}{group(text)}"
    return text


@given(selectors, st.data())
def test_equivalent_spellings_parse_to_the_same_selector(
    sel: Selector, data: st.DataObject
) -> None:
    """Selectors: whitespace, quote style, parentheses, double negation and the order and
    repetition of set members do not change the selector that is parsed."""
    text = _noisy(sel, data.draw)
    assert parse_selector(text) == sel, text


FRAGMENTS = [
    "a", "b", "in", "not", "contains", "starts", "with", "has(", "all(", "global(", "(", ")",
    "{", "}", ",", "'x'", '"y"', "'", "==", "!=", "=", "!", "&&", "||", "&", " ", "\t", "\n",
    "%",
]  # fmt: skip


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join))
def test_any_text_parses_or_fails_with_a_column(text: str) -> None:
    """Selectors: any text is either a selector (whose normalized form parses back to it) or
    a SelectorSyntaxError pointing into the text; nothing else escapes the parser."""
    try:
        sel = parse_selector(text)
    except SelectorSyntaxError as error:
        assert 0 <= error.column <= len(text)
        assert error.message.startswith(
            (
                "expected",
                "unexpected",
                "unterminated",
                "unknown",
                "no space",
                "unmatched",
                "label key",
            )
        )
    else:
        assert parse_selector(str(sel)) == sel


def test_parentheses_nest_at_most_max_nesting_levels() -> None:
    """A selector of thousands of nested parentheses is a located SelectorSyntaxError, not a
    RecursionError escaping the parser (and every later walk of the tree)."""
    from netfence.sources.calico_selector_parser import MAX_NESTING

    deepest = "(" * MAX_NESTING + "a == 'b'" + ")" * MAX_NESTING
    assert parse_selector(deepest) == parse_selector("a == 'b'")
    with pytest.raises(SelectorSyntaxError) as caught:
        parse_selector("(" * 5000 + "all()" + ")" * 5000)
    assert f"deeper than {MAX_NESTING} levels" in str(caught.value)
    assert caught.value.column == MAX_NESTING


def test_a_deeply_nested_selector_in_a_manifest_is_an_input_error() -> None:
    from netfence.errors import InputError
    from netfence.sources.manifests import load_cluster_from_text

    text = (
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: x}\n"
        f'spec:\n  selector: "{"(" * 3000}all(){")" * 3000}"\n'
    )
    with pytest.raises(InputError) as caught:
        load_cluster_from_text(text, "deep.yaml")
    assert caught.value.field == "spec.selector"

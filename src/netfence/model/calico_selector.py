"""Calico selectors (projectcalico.org/v3): the expression tree and what it matches.

A Calico selector is a boolean expression over an object's labels, for example
``app == 'web' && !has(canary)`` (Calico documentation, NetworkPolicy reference, "Selectors").
The tree is plain frozen data: nodes compare and hash by value, so the engine can cache one
evaluation per distinct selector. Parsing lives in ``netfence.sources.calico_selector_parser``;
vectorized evaluation over many label sets in ``netfence.engine.calico_selector_eval``.

Every node is canonical by construction, so that two spellings of one expression build equal
trees: set literals are sorted and de-duplicated, nested ``&&`` (and ``||``) are flattened,
and a double negation cannot be built (``negate`` cancels it). ``str()`` gives a normalized
expression that parses back to an equal tree.
"""

from __future__ import annotations

import abc
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

MAX_KEY_LENGTH = 512
"""Calico's limit on the length of a label key in a selector."""

KEY_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_./-")
"""The characters of a label key in a selector (ASCII only, as in Calico's tokenizer)."""


def is_label_key(text: str) -> bool:
    """Whether ``text`` can be written as a label key in a Calico selector."""
    return 0 < len(text) <= MAX_KEY_LENGTH and all(c in KEY_CHARACTERS for c in text)


def quote(value: str) -> str:
    """``value`` as a Calico string literal: single quotes, or double if it holds a ``'``.

    Calico string literals have no escapes, so a value holding both quote characters cannot
    be written; the node constructors reject such values.
    """
    return f'"{value}"' if "'" in value else f"'{value}'"


def _check_key(key: str) -> None:
    if not is_label_key(key):
        raise ValueError(
            f"{key!r} is not a Calico selector label key "
            f"(1 to {MAX_KEY_LENGTH} characters from A-Z a-z 0-9 _ . / -)"
        )


def _check_literal(value: str) -> None:
    if "'" in value and '"' in value:
        raise ValueError(
            f"{value!r} cannot be a Calico string literal: it holds both quote characters"
        )


class Selector(abc.ABC):
    """A Calico selector expression; every node of the tree is one."""

    @abc.abstractmethod
    def matches(self, labels: Mapping[str, str], *, namespaced: bool = True) -> bool:
        """Whether an object with ``labels`` is selected.

        ``namespaced`` says whether the object lives in a namespace; only ``global()`` looks at
        it (it matches non-namespaced objects only).
        """

    @abc.abstractmethod
    def __str__(self) -> str:
        """The normalized expression, which parses back to an equal selector."""


@dataclass(frozen=True)
class All(Selector):
    """``all()``: every object in scope; also what an empty selector means."""

    def matches(self, labels: Mapping[str, str], *, namespaced: bool = True) -> bool:
        """Always true."""
        return True

    def __str__(self) -> str:
        return "all()"


@dataclass(frozen=True)
class Global(Selector):
    """``global()``: the non-namespaced objects (GlobalNetworkSets, host endpoints).

    Calico documents it for a rule's ``namespaceSelector``, where it widens the scope of the
    rule's ``selector`` to non-namespaced resources. Over labels alone it matches an object
    only when the caller says the object is not namespaced; namespaces themselves are always
    namespaced-scope objects, so in a namespaceSelector it matches no namespace and the
    caller must handle the widened scope.
    """

    def matches(self, labels: Mapping[str, str], *, namespaced: bool = True) -> bool:
        """True only for objects that are not namespaced."""
        return not namespaced

    def __str__(self) -> str:
        return "global()"


@dataclass(frozen=True)
class LabelTest(Selector):
    """A test on the value of one label key; all leaf operators except ``all()``/``global()``.

    Each subclass says what an object without the key gives (``absent_matches``) and how a
    present value is tested (``test``), so evaluation is one predicate per distinct value.
    """

    key: str
    """The label key the test reads."""

    absent_matches: ClassVar[bool] = False
    """The result for objects that lack the key."""

    def __post_init__(self) -> None:
        _check_key(self.key)

    @abc.abstractmethod
    def test(self, value: str) -> bool:
        """The result for an object whose label ``key`` has ``value``."""

    def matches(self, labels: Mapping[str, str], *, namespaced: bool = True) -> bool:
        """Test the key's value, or give ``absent_matches`` when the key is missing.

        A key present with the empty value counts as present, as in Calico.
        """
        value = labels.get(self.key)
        return self.absent_matches if value is None else self.test(value)


@dataclass(frozen=True)
class Has(LabelTest):
    """``has(k)``: objects with label ``k``, whatever its value."""

    def test(self, value: str) -> bool:
        """Any value will do."""
        return True

    def __str__(self) -> str:
        return f"has({self.key})"


@dataclass(frozen=True)
class ValueTest(LabelTest):
    """A comparison of a label's value with one string literal."""

    value: str
    """The string literal on the right of the operator."""

    operator: ClassVar[str]
    """The operator as written in a selector."""

    def __post_init__(self) -> None:
        _check_key(self.key)
        _check_literal(self.value)

    def __str__(self) -> str:
        return f"{self.key} {self.operator} {quote(self.value)}"


@dataclass(frozen=True)
class Equals(ValueTest):
    """``k == 'v'``: objects with label ``k`` equal to ``v``; absent does not match."""

    operator: ClassVar[str] = "=="

    def test(self, value: str) -> bool:
        """Equal to the literal."""
        return value == self.value


@dataclass(frozen=True)
class NotEquals(ValueTest):
    """``k != 'v'``: objects without label ``k``, or with a value other than ``v``."""

    operator: ClassVar[str] = "!="
    absent_matches: ClassVar[bool] = True

    def test(self, value: str) -> bool:
        """Different from the literal."""
        return value != self.value


@dataclass(frozen=True)
class Contains(ValueTest):
    """``k contains 's'``: label ``k`` present with ``s`` as a substring."""

    operator: ClassVar[str] = "contains"

    def test(self, value: str) -> bool:
        """Holds the literal as a substring."""
        return self.value in value


@dataclass(frozen=True)
class StartsWith(ValueTest):
    """``k starts with 's'``: label ``k`` present with a value beginning with ``s``."""

    operator: ClassVar[str] = "starts with"

    def test(self, value: str) -> bool:
        """Begins with the literal."""
        return value.startswith(self.value)


@dataclass(frozen=True)
class EndsWith(ValueTest):
    """``k ends with 's'``: label ``k`` present with a value ending with ``s``."""

    operator: ClassVar[str] = "ends with"

    def test(self, value: str) -> bool:
        """Ends with the literal."""
        return value.endswith(self.value)


@dataclass(frozen=True)
class SetTest(LabelTest):
    """A membership test of a label's value in a set literal ``{ 'a', 'b' }``."""

    values: tuple[str, ...]
    """The set's members, sorted and de-duplicated (as Calico does); may be empty."""

    operator: ClassVar[str]
    """The operator as written in a selector."""

    def __post_init__(self) -> None:
        _check_key(self.key)
        values: object = self.values  # typed as a tuple, but callers may pass anything
        if isinstance(values, str):
            # A bare string would silently become the set of its characters.
            raise TypeError(
                f"values must be a collection of strings, not the string {self.values!r}"
            )
        canonical = tuple(sorted(set(self.values)))
        for value in canonical:
            _check_literal(value)
        object.__setattr__(self, "values", canonical)

    def __str__(self) -> str:
        members = ", ".join(quote(v) for v in self.values)
        return f"{self.key} {self.operator} {{{members}}}"


@dataclass(frozen=True)
class In(SetTest):
    """``k in { 'a', 'b' }``: label ``k`` present with a value in the set."""

    operator: ClassVar[str] = "in"

    def test(self, value: str) -> bool:
        """A member of the set."""
        return value in self.values


@dataclass(frozen=True)
class NotIn(SetTest):
    """``k not in { 'a', 'b' }``: label ``k`` absent, or present with a value not in the set."""

    operator: ClassVar[str] = "not in"
    absent_matches: ClassVar[bool] = True

    def test(self, value: str) -> bool:
        """Not a member of the set."""
        return value not in self.values


@dataclass(frozen=True)
class Not(Selector):
    """``!e``: the objects ``e`` does not match. Build with ``negate`` to cancel ``!!``."""

    operand: Selector
    """The negated expression; never itself a ``Not``."""

    def __post_init__(self) -> None:
        if isinstance(self.operand, Not):
            # Calico collapses repeated '!'; a Not of a Not would not survive a round trip.
            raise ValueError("a double negation is not canonical; use negate()")

    def matches(self, labels: Mapping[str, str], *, namespaced: bool = True) -> bool:
        """The opposite of the operand."""
        return not self.operand.matches(labels, namespaced=namespaced)

    def __str__(self) -> str:
        if isinstance(self.operand, Has | All | Global):
            return f"!{self.operand}"
        # Parentheses are optional before a comparison ('!' applies to the whole operation),
        # but '!(k == 'v')' cannot be misread as '(!k) == 'v''.
        return f"!({self.operand})"


def _flatten(kind: type[Selector], operands: tuple[Selector, ...]) -> tuple[Selector, ...]:
    flat: list[Selector] = []
    for operand in operands:
        if isinstance(operand, And | Or) and type(operand) is kind:
            flat.extend(operand.operands)
        else:
            flat.append(operand)
    return tuple(flat)


@dataclass(frozen=True)
class And(Selector):
    """``a && b && ...``: objects every operand matches. Build with ``all_of``."""

    operands: tuple[Selector, ...]
    """Two or more operands, in the order written; nested ``And`` are flattened in."""

    def __post_init__(self) -> None:
        flat = _flatten(And, self.operands)
        if len(flat) < 2:
            raise ValueError("a conjunction needs at least two operands; use all_of()")
        object.__setattr__(self, "operands", flat)

    def matches(self, labels: Mapping[str, str], *, namespaced: bool = True) -> bool:
        """Every operand matches."""
        return all(op.matches(labels, namespaced=namespaced) for op in self.operands)

    def __str__(self) -> str:
        # '&&' binds tighter than '||', so only a disjunction operand needs parentheses.
        return " && ".join(f"({op})" if isinstance(op, Or) else str(op) for op in self.operands)


@dataclass(frozen=True)
class Or(Selector):
    """``a || b || ...``: objects some operand matches. Build with ``any_of``."""

    operands: tuple[Selector, ...]
    """Two or more operands, in the order written; nested ``Or`` are flattened in."""

    def __post_init__(self) -> None:
        flat = _flatten(Or, self.operands)
        if len(flat) < 2:
            raise ValueError("a disjunction needs at least two operands; use any_of()")
        object.__setattr__(self, "operands", flat)

    def matches(self, labels: Mapping[str, str], *, namespaced: bool = True) -> bool:
        """Some operand matches."""
        return any(op.matches(labels, namespaced=namespaced) for op in self.operands)

    def __str__(self) -> str:
        return " || ".join(str(op) for op in self.operands)


def negate(selector: Selector) -> Selector:
    """``!selector``, cancelling a double negation."""
    return selector.operand if isinstance(selector, Not) else Not(selector)


def all_of(*selectors: Selector) -> Selector:
    """The conjunction of ``selectors``: the one operand itself, or ``all()`` for none."""
    if not selectors:
        return All()
    return selectors[0] if len(selectors) == 1 else And(selectors)


def any_of(*selectors: Selector) -> Selector:
    """The disjunction of ``selectors``: the one operand itself, or ``!all()`` for none."""
    if not selectors:
        return Not(All())
    return selectors[0] if len(selectors) == 1 else Or(selectors)

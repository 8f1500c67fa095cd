"""Parse Calico selector expressions (projectcalico.org/v3) into the model's expression tree.

The accepted language is the one Calico's own selector parser accepts, so that netfence
rejects exactly the selectors the Calico API server would reject:

- Tokens may be separated by spaces and tabs only; any other character outside a string
  literal (a newline included) is an error.
- A label key is 1 to 512 characters from ``A-Z a-z 0-9 _ . / -``; so ``in == 'x'`` is a
  comparison on a label named ``in``: operator words are recognized only right after a key.
- ``has(``, ``all(`` and ``global(`` must be written without a space before ``(``; spaces
  are allowed inside the parentheses.
- Multi-word operators may be written with any run of spaces/tabs between the words, or
  none: ``not in``/``notin``, ``starts with``/``startswith``, ``ends with``/``endswith``.
- String literals are single- or double-quoted and have no escapes.
- A set literal may be empty (``{}``) and may end with a comma (``{'a', 'b',}``).
- ``!`` applies to the operation or parenthesized expression after it; ``!`` binds tighter
  than ``&&``, which binds tighter than ``||``; repeated ``!`` cancel in pairs.
- An empty selector (or one of only spaces and tabs) means ``all()``.

Errors name what was expected and the 0-based column (a character offset into the text) of
the offending token; the end of the text is column ``len(text)``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from netfence.model.calico_selector import (
    KEY_CHARACTERS,
    MAX_KEY_LENGTH,
    All,
    Contains,
    EndsWith,
    Equals,
    Global,
    Has,
    In,
    NotEquals,
    NotIn,
    Selector,
    SetTest,
    StartsWith,
    ValueTest,
    all_of,
    any_of,
    negate,
)

_WHITESPACE = " \t"  # Calico's tokenizer skips exactly these
_EXPRESSION_STARTS = "a label key, has(key), all(), global(), '!' or '('"
_OPERATORS = "==, !=, in, not in, contains, starts with or ends with"


class SelectorSyntaxError(ValueError):
    """A selector that is not valid Calico selector syntax."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message, column)
        self.message = message
        """What was expected and what was found instead."""
        self.column = column
        """0-based character offset of the offending token; ``len(text)`` for the end."""

    def __str__(self) -> str:
        return f"{self.message} (column {self.column})"


class _Kind(enum.Enum):
    LABEL = enum.auto()
    STRING = enum.auto()
    LPAREN = enum.auto()
    RPAREN = enum.auto()
    LBRACE = enum.auto()
    RBRACE = enum.auto()
    COMMA = enum.auto()
    EQ = enum.auto()
    NE = enum.auto()
    NOT = enum.auto()
    AND = enum.auto()
    OR = enum.auto()
    IN = enum.auto()
    NOT_IN = enum.auto()
    CONTAINS = enum.auto()
    STARTS_WITH = enum.auto()
    ENDS_WITH = enum.auto()
    HAS = enum.auto()
    ALL = enum.auto()
    GLOBAL = enum.auto()
    EOF = enum.auto()


_PUNCTUATION = {
    "(": _Kind.LPAREN,
    ")": _Kind.RPAREN,
    "{": _Kind.LBRACE,
    "}": _Kind.RBRACE,
    ",": _Kind.COMMA,
}

# Operators recognized after a label key, tried in this order (Calico's order: "not in"
# before "in"); each is a sequence of words that may be separated by spaces/tabs.
_WORD_OPERATORS: tuple[tuple[tuple[str, ...], _Kind], ...] = (
    (("contains",), _Kind.CONTAINS),
    (("starts", "with"), _Kind.STARTS_WITH),
    (("ends", "with"), _Kind.ENDS_WITH),
    (("not", "in"), _Kind.NOT_IN),
    (("in",), _Kind.IN),
)

_VALUE_OPERATORS: dict[_Kind, type[ValueTest]] = {
    _Kind.EQ: Equals,
    _Kind.NE: NotEquals,
    _Kind.CONTAINS: Contains,
    _Kind.STARTS_WITH: StartsWith,
    _Kind.ENDS_WITH: EndsWith,
}

_SET_OPERATORS: dict[_Kind, type[SetTest]] = {_Kind.IN: In, _Kind.NOT_IN: NotIn}


@dataclass(frozen=True)
class _Token:
    kind: _Kind
    text: str
    """The token as written (quotes included), for messages."""
    value: str
    """The label key, the string's content, or the key inside has(); else empty."""
    column: int

    def describe(self) -> str:
        match self.kind:
            case _Kind.EOF:
                return "the end of the selector"
            case _Kind.STRING:
                return f"the string {self.text}"
            case _Kind.LABEL:
                return f"label key {self.value!r}"
            case _:
                return repr(self.text)


class _Lexer:
    """Produces tokens on demand, so the leftmost error in the text is the one reported."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.last: _Token | None = None

    def _skip_whitespace(self, pos: int) -> int:
        while pos < len(self.text) and self.text[pos] in _WHITESPACE:
            pos += 1
        return pos

    def _word_end(self, pos: int) -> int:
        while pos < len(self.text) and self.text[pos] in KEY_CHARACTERS:
            pos += 1
        return pos

    def _found(self, pos: int) -> str:
        """What stands at ``pos``, for an error message."""
        if pos >= len(self.text):
            return "the end of the selector"
        end = self._word_end(pos)
        if end > pos:
            return repr(self.text[pos:end])
        hint = " (only spaces and tabs may separate tokens)" if self.text[pos].isspace() else ""
        return f"{self.text[pos]!r}{hint}"

    def next(self) -> _Token:
        self.last = self._scan()
        return self.last

    def _scan(self) -> _Token:
        text = self.text
        start = self.pos = self._skip_whitespace(self.pos)
        if start == len(text):
            return _Token(_Kind.EOF, "", "", start)
        c = text[start]
        if c in _PUNCTUATION:
            return self._take(_PUNCTUATION[c], start + 1)
        if c in "'\"":
            close = text.find(c, start + 1)
            if close < 0:
                raise SelectorSyntaxError(f"unterminated string literal: no closing {c}", start)
            return self._take(_Kind.STRING, close + 1, value=text[start + 1 : close])
        if c in "=&|":
            pair = c * 2
            if not text.startswith(pair, start):
                raise SelectorSyntaxError(f"expected {pair!r}, found a single {c!r}", start)
            return self._take({"=": _Kind.EQ, "&": _Kind.AND, "|": _Kind.OR}[c], start + 2)
        if c == "!":
            if text.startswith("!=", start):
                return self._take(_Kind.NE, start + 2)
            return self._take(_Kind.NOT, start + 1)
        if self.last is not None and self.last.kind is _Kind.LABEL:
            # Right after a key, a word can only be an operator: that is how Calico tells
            # the operator 'in' from a label named 'in'.
            for words, kind in _WORD_OPERATORS:
                end = self._match_words(start, words)
                if end is not None:
                    return self._take(kind, end)
            raise SelectorSyntaxError(
                f"expected an operator ({_OPERATORS}) after label key {self.last.value!r}, "
                f"found {self._found(start)}",
                start,
            )
        for name, kind in (("has", _Kind.HAS), ("all", _Kind.ALL), ("global", _Kind.GLOBAL)):
            if text.startswith(f"{name}(", start):
                return self._function(name, kind, start)
        end = self._word_end(start)
        if end == start:
            raise SelectorSyntaxError(f"unexpected character {self._found(start)}", start)
        if end - start > MAX_KEY_LENGTH:
            raise SelectorSyntaxError(
                f"label key is longer than {MAX_KEY_LENGTH} characters", start
            )
        return self._take(_Kind.LABEL, end, value=text[start:end])

    def _take(self, kind: _Kind, end: int, value: str = "") -> _Token:
        start, self.pos = self.pos, end
        return _Token(kind, self.text[start:end], value, start)

    def _match_words(self, pos: int, words: tuple[str, ...]) -> int | None:
        """End of ``words`` at ``pos`` (spaces/tabs allowed between them), if they are there
        and the last is not run on into a longer word."""
        for i, word in enumerate(words):
            if i:
                pos = self._skip_whitespace(pos)
            if not self.text.startswith(word, pos):
                return None
            pos += len(word)
        if pos < len(self.text) and self.text[pos] in KEY_CHARACTERS:
            return None
        return pos

    def _function(self, name: str, kind: _Kind, start: int) -> _Token:
        pos = self._skip_whitespace(start + len(name) + 1)
        key = ""
        if kind is _Kind.HAS:
            end = self._word_end(pos)
            if end == pos:
                raise SelectorSyntaxError(
                    f"expected a label key inside has(), found {self._found(pos)}", pos
                )
            if end - pos > MAX_KEY_LENGTH:
                raise SelectorSyntaxError(
                    f"label key is longer than {MAX_KEY_LENGTH} characters", pos
                )
            key = self.text[pos:end]
            pos = self._skip_whitespace(end)
        if not self.text.startswith(")", pos):
            raise SelectorSyntaxError(
                f"expected ')' to close {name}(, found {self._found(pos)}", pos
            )
        return self._take(kind, pos + 1, value=key)


MAX_NESTING: Final = 100
"""How deeply parentheses may nest in a selector; real selectors nest a few levels, and each
level costs the recursive descent (and every later walk of the tree) several stack frames."""


class _Parser:
    """Recursive descent with one token of lookahead; one method per precedence level."""

    def __init__(self, text: str) -> None:
        self.lexer = _Lexer(text)
        self.token = self.lexer.next()
        self.previous: _Token | None = None
        self.depth = 0

    def at(self, kind: _Kind) -> bool:
        """Whether the current token is a ``kind`` (a call, so mypy does not narrow it)."""
        return self.token.kind is kind

    def advance(self) -> _Token:
        self.previous, self.token = self.token, self.lexer.next()
        return self.previous

    def fail(self, expected: str) -> SelectorSyntaxError:
        return SelectorSyntaxError(
            f"expected {expected}, found {self.token.describe()}", self.token.column
        )

    def selector(self) -> Selector:
        if self.at(_Kind.EOF):
            return All()
        result = self.disjunction()
        if self.at(_Kind.RPAREN):
            raise SelectorSyntaxError("unmatched ')'", self.token.column)
        if not self.at(_Kind.EOF):
            raise self.fail("'&&', '||' or the end of the selector")
        return result

    def disjunction(self) -> Selector:
        operands = [self.conjunction()]
        while self.at(_Kind.OR):
            self.advance()
            operands.append(self.conjunction())
        return any_of(*operands)

    def conjunction(self) -> Selector:
        operands = [self.negation()]
        while self.at(_Kind.AND):
            self.advance()
            operands.append(self.negation())
        return all_of(*operands)

    def negation(self) -> Selector:
        negated = False
        while self.at(_Kind.NOT):
            self.advance()
            negated = not negated
        operand = self.operation()
        return negate(operand) if negated else operand

    def operation(self) -> Selector:
        token = self.token
        match token.kind:
            case _Kind.HAS:
                self.advance()
                return Has(token.value)
            case _Kind.ALL:
                self.advance()
                return All()
            case _Kind.GLOBAL:
                self.advance()
                return Global()
            case _Kind.LABEL:
                self.advance()
                return self.comparison(token)
            case _Kind.LPAREN:
                if self.depth >= MAX_NESTING:
                    raise SelectorSyntaxError(
                        f"parentheses nest deeper than {MAX_NESTING} levels", token.column
                    )
                self.advance()
                self.depth += 1
                inner = self.disjunction()
                self.depth -= 1
                if not self.at(_Kind.RPAREN):
                    raise self.fail(f"')' to close the '(' at column {token.column}")
                self.advance()
                return inner
        after = f" after {self.previous.text!r}" if self.previous is not None else ""
        hint = (
            "; a string can only follow an operator, as in key == 'value'"
            if token.kind is _Kind.STRING
            else ""
        )
        raise SelectorSyntaxError(
            f"expected an expression{after} ({_EXPRESSION_STARTS}), found {token.describe()}{hint}",
            token.column,
        )

    def comparison(self, key: _Token) -> Selector:
        operator = self.token
        if operator.kind in _VALUE_OPERATORS:
            self.advance()
            if not self.at(_Kind.STRING):
                raise self.fail(f"a quoted string after {operator.text!r}")
            return _VALUE_OPERATORS[operator.kind](key.value, self.advance().value)
        if operator.kind in _SET_OPERATORS:
            self.advance()
            if not self.at(_Kind.LBRACE):
                raise self.fail(f"a set literal {{'a', 'b'}} after {operator.text!r}")
            self.advance()
            return _SET_OPERATORS[operator.kind](key.value, self.set_members())
        if operator.kind is _Kind.LPAREN:
            if key.value in ("has", "all", "global"):
                gap = key.column + len(key.value)
                raise SelectorSyntaxError(f"no space is allowed between {key.value!r} and '('", gap)
            raise SelectorSyntaxError(
                f"unknown function {key.value!r}: selectors have has(key), all() and global()",
                key.column,
            )
        raise self.fail(f"an operator ({_OPERATORS}) after label key {key.value!r}")

    def set_members(self) -> tuple[str, ...]:
        members: list[str] = []
        # Calico accepts an empty set and a trailing comma: { }, { 'a', }.
        while self.at(_Kind.STRING):
            members.append(self.advance().value)
            if not self.at(_Kind.COMMA):
                break
            self.advance()
        if not self.at(_Kind.RBRACE):
            after_member = self.previous is not None and self.previous.kind is _Kind.STRING
            expected = "',' or '}'" if after_member else "a quoted string or '}'"
            raise self.fail(f"{expected} in the set literal")
        self.advance()
        return tuple(members)


def parse_selector(text: str) -> Selector:
    """Parse a Calico selector expression; an empty one (or only spaces/tabs) is ``all()``.

    Raises ``SelectorSyntaxError`` (a ``ValueError``) naming what was expected and the
    0-based column where it was not found.
    """
    return _Parser(text).selector()

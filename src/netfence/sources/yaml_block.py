"""A fast reader for the plain block subset of YAML most manifests are written in.

libyaml hands every token to Python as an event object, about 2 µs each, which caps a stream of
small documents near 2 MB/s. Most documents (``kubectl get -o yaml`` output, generated and
hand-written manifests) use a small part of YAML: block mappings and sequences by indentation,
plain and simply quoted one-line scalars, ``{}`` and ``[]``. This reader takes such a document a
line at a time, one regular expression per line, and builds the same values with the same lines
as the event reader would.

It is deliberately narrow: anything it does not recognise with certainty (anchors, tags, block
scalars, flow collections, multi-line scalars, tabs, escapes beyond the simplest, duplicate or
merge keys, odd indentation) makes it give up on the document, which the caller then reads with
libyaml, so errors are always libyaml's. Its agreement with libyaml is a property test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

import yaml

from netfence.sources.yamlnodes import LineDict, LineList, key_text

_RESOLVERS: Final[dict[Any, Any]] = yaml.SafeLoader.yaml_implicit_resolvers
RESOLVED_FIRST: Final = frozenset(first for first in _RESOLVERS if first)
"""The first characters of every plain scalar the safe schema may resolve to something other
than a string (booleans, null, numbers, timestamps, merge keys): PyYAML's own index of its
implicit resolvers. A plain scalar starting otherwise is a string as it stands. (The safe
schema has no resolver that applies whatever the first character; a test holds that.)"""
_SPECIAL_FIRST: Final = RESOLVED_FIRST | frozenset("'\"{[")
"""First characters of values that need more than taking the text as it stands."""

_FIRST: Final = r"[^\s\-?:,\[\]{}#&*!|>'\"%@`]"
"""A character that may start a plain scalar: not whitespace, not an indicator."""
_PLAIN: Final = rf"(?:{_FIRST}|-(?=\S))[^\s:]*(?:(?::(?=\S)|[ ]+(?=[^\s#:]|:\S))[^\s:]*)*"
"""A one-line plain scalar: no ``: ``, no `` #``, no trailing space. (Runs of ordinary
characters are taken whole, so the expression does not try alternatives at every character.)"""
_KEY: Final = rf"{_FIRST}[^\s:]*(?::+[^\s:]+)*"
"""A plain key of one word: colons inside it are followed by more of it."""
_SINGLE: Final = r"'(?:[^']|'')*'"
_DOUBLE: Final = r'"(?:[^"\\]|\\[\\"/nt])*"'
_VALUE: Final = rf"{_PLAIN}|{_SINGLE}|{_DOUBLE}|\{{\}}|\[\]"

_LINE: Final = re.compile(
    rf"""(?P<indent>[ ]*)
    (?:(?P<dash>-)(?P<gap>[ ]+))?
    (?:(?P<key>{_KEY}):(?=[ ]|$)(?:[ ]+(?P<value>{_VALUE}))?|(?P<item>{_VALUE}))
    (?:[ ]+\#.*|[ ]*)$""",
    re.VERBOSE,
)
"""One line of the subset: ``key:``, ``key: value``, ``- value``, ``- key: value``, a comment
after any of them."""
_WORD: Final = r"[A-Za-z0-9_./][A-Za-z0-9_./-]*"
_SIMPLE_LINE: Final = re.compile(
    rf"(?P<indent>[ ]*)(?:(?P<dash>-)(?P<gap>[ ]+))?(?P<key>{_WORD}):(?:[ ]+(?P<value>{_WORD}))?"
    r"(?:(?P<item>)(?!))?[ ]*$"
)
"""The commonest lines (``key: word``, ``key:``, ``- key: word``) with the same groups as
:data:`_LINE` (``item`` never takes part): one word of letters, digits and ``_./-`` is a plain
scalar wherever it stands, and this simpler expression matches in half the time."""
_BLANK: Final = re.compile(r"[ ]*(?:#.*)?$")
"""A line with nothing but spaces and perhaps a comment."""
_ESCAPES: Final = {"\\": "\\", '"': '"', "/": "/", "n": "\n", "t": "\t"}
_ESCAPE: Final = re.compile(r"\\(.)")
_MERGE_KEY: Final = "<<"
_SIMPLE_KEY_LIMIT: Final = 1024
"""The longest implicit key: YAML 1.1 limits an implicit key to 1024 characters, and libyaml
refuses a longer one (a test holds the boundary)."""


class _OutsideSubset(Exception):
    """The document uses YAML this reader leaves to libyaml."""


def _scalar(text: str, plain: Callable[[str], Any], number: int) -> Any:
    """A value as YAML reads it: plain text resolved, quoted text as written, ``{}``/``[]``
    (which stand on line ``number``)."""
    first = text[0]
    if first == "'":
        return text[1:-1].replace("''", "'")
    if first == '"':
        inner = text[1:-1]
        return _ESCAPE.sub(lambda m: _ESCAPES[m.group(1)], inner) if "\\" in inner else inner
    if text == "{}":
        return _new_dict(number)
    if text == "[]":
        return _new_list(number)
    return plain(text)


def _key(text: str, plain: Callable[[str], Any]) -> str:
    """A mapping key as the event reader spells it: resolved, then written back as text."""
    if text == _MERGE_KEY:
        raise _OutsideSubset  # merge keys are libyaml's to read
    value = plain(text)
    return value if isinstance(value, str) else key_text(value)


def read_block(
    lines: list[str], first_line: int, plain: Callable[[str], Any], max_depth: int
) -> tuple[LineDict | None, int] | None:
    """One document's value and the line it starts on, or None where the document goes
    beyond the subset (the caller reads it with libyaml then).

    ``lines`` are the document's lines without their line breaks, the first numbered
    ``first_line``; ``plain`` resolves a plain scalar as the event reader does. A document
    of nothing but blank and comment lines is ``(None, 0)``.

    The walk is one loop with its state in locals, not a class, because it runs for every
    line of every document: a call per line costs more than the rest of the work.
    """
    try:
        return _walk(lines, first_line, plain, max_depth)
    except _OutsideSubset:
        return None


def _walk(
    lines: list[str], number: int, plain: Callable[[str], Any], max_depth: int
) -> tuple[LineDict | None, int] | None:
    simple = _SIMPLE_LINE.match
    match = _LINE.match
    blank = _BLANK.match
    root: LineDict | None = None
    # Open collections, innermost last, with the column of their keys or dashes.
    stack: list[LineDict | LineList] = []
    columns: list[int] = []
    # A key whose value starts on a later line: its mapping, the key, the key's column.
    pending: LineDict | None = None
    pending_key = ""
    pending_column = 0
    # The innermost collection when it is a mapping, and its column: most lines add a key.
    top_map: LineDict | None = None
    top_column = -1
    number -= 1
    for text in lines:
        number += 1
        if not text:
            continue
        found = simple(text) or match(text)
        if found is None:
            if blank(text):
                continue
            return None
        indent_text, dash, gap, key, value, item = found.groups()
        indent = len(indent_text)
        if dash is None and indent == top_column and top_map is not None and pending is None:
            # The common line: one more key of the mapping being read.
            if key is None:
                return None  # a bare scalar line: a multi-line scalar, or an error
            target: LineDict = top_map
        else:
            if dash is None and item is not None:
                return None
            if root is None:
                if indent or dash is not None:
                    return None  # documents in the subset are mappings from column 0
                root = _new_dict(number)
                stack.append(root)
                columns.append(0)
            elif pending is not None:
                # The line after "key:": a deeper mapping, a sequence as deep or deeper,
                # or nothing, and the key's value is null.
                opened: LineDict | LineList | None = None
                if dash is not None:
                    if indent >= pending_column:
                        opened = _new_list(number)
                elif indent > pending_column:
                    opened = _new_dict(number)
                pending[pending_key] = opened
                pending = None
                if opened is not None:
                    if len(stack) >= max_depth:
                        return None
                    stack.append(opened)
                    columns.append(indent)
            # Close what this line's indentation ends; a sequence as deep as a key ends too.
            while columns and (
                columns[-1] > indent
                or (columns[-1] == indent and dash is None and type(stack[-1]) is LineList)
            ):
                stack.pop()
                columns.pop()
            if not columns or columns[-1] != indent:
                return None
            container = stack[-1]
            if dash is not None:
                if not isinstance(container, LineList):
                    return None
                container.item_lines.append(number)
                if key is None:
                    container.append(
                        item if item[0] not in _SPECIAL_FIRST else _scalar(item, plain, number)
                    )
                    top_map, top_column = None, indent
                    continue
                mapping = _new_dict(number)
                container.append(mapping)
                if len(stack) >= max_depth:
                    return None
                indent += 1 + len(gap)
                stack.append(mapping)
                columns.append(indent)
                container = mapping
            if not isinstance(container, LineDict):
                return None
            target = container
            top_map, top_column = target, indent
        if len(key) > _SIMPLE_KEY_LIMIT:
            return None  # libyaml refuses it as a key
        name = key if key[0] not in RESOLVED_FIRST else _key(key, plain)
        if name in target:
            return None  # duplicate keys: libyaml's reader words the error
        target.key_lines[name] = number
        if value is None:
            pending, pending_key, pending_column = target, name, indent
            target[name] = None
        elif value[0] not in _SPECIAL_FIRST:
            target[name] = value
        else:
            target[name] = _scalar(value, plain, number)
    if root is None:
        return (None, 0)
    return root, root.line


def _new_dict(number: int) -> LineDict:
    mapping = LineDict()
    mapping.line = number
    mapping.key_lines = {}
    return mapping


def _new_list(number: int) -> LineList:
    sequence = LineList()
    sequence.line = number
    sequence.item_lines = []
    return sequence

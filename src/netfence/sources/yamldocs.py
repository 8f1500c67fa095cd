"""Safe YAML/JSON parsing that keeps the line of every value and refuses hostile input.

Values come back as plain dicts, lists and scalars; mappings and sequences are subclasses
that remember the line of each key or item, so later stages can name the exact line of a
bad field. Only the safe schema is used (nothing in the input is ever executed); alias
expansion, nesting depth and input size are bounded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import yaml

from netfence.errors import InputError, Location

# libyaml is an order of magnitude faster on large cluster dumps; both loaders are safe.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_ALIAS_EXPANSION: Final = 100_000
"""How many nodes aliases may add over the document's own; past it the input is a bomb."""
MAX_DEPTH: Final = 200
"""How deeply collections may nest; Kubernetes objects need far less."""


class LineDict(dict[str, Any]):
    """A mapping that remembers its own line and the line of each key."""

    line: int
    key_lines: dict[str, int]


class LineList(list[Any]):
    """A sequence that remembers its own line and the line of each item."""

    line: int
    item_lines: list[int]


@dataclass(frozen=True)
class Document:
    """One parsed YAML or JSON document with where it came from."""

    file: str
    """The file name as given, or ``<stdin>``."""
    index: int
    """1-based position of the document in its file."""
    line: int
    """1-based line where the document starts."""
    body: Any
    """The parsed value (usually a LineDict)."""

    def location(self, line: int | None = None) -> Location:
        """A Location in this document, at ``line`` or at its start."""
        return Location(self.file, self.index, self.line if line is None else line)


_scalar_constructor = yaml.constructor.SafeConstructor()


class _Converter:
    """Turns a composed node tree into LineDict/LineList values, within the safety bounds."""

    def __init__(self, file: str, index: int) -> None:
        self.file = file
        self.index = index
        self.unique: set[int] = set()
        self.produced = 0

    def fail(self, node: yaml.Node, message: str) -> InputError:
        return InputError(message, Location(self.file, self.index, node.start_mark.line + 1))

    def convert(self, node: yaml.Node, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(node, f"nesting deeper than {MAX_DEPTH} levels (or a recursive alias)")
        self.produced += 1
        self.unique.add(id(node))
        if self.produced - len(self.unique) > MAX_ALIAS_EXPANSION:
            raise self.fail(node, "YAML aliases expand past the safety limit (alias bomb?)")
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth)
        if isinstance(node, yaml.SequenceNode):
            seq = LineList()
            seq.line = node.start_mark.line + 1
            seq.item_lines = []
            for item in node.value:
                seq.append(self.convert(item, depth + 1))
                seq.item_lines.append(item.start_mark.line + 1)
            return seq
        try:
            return _scalar_constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise self.fail(node, f"bad scalar: {exc}") from None

    def _mapping(self, node: yaml.MappingNode, depth: int) -> LineDict:
        try:
            _scalar_constructor.flatten_mapping(node)  # honour merge keys (<<) as Kubernetes does
        except yaml.YAMLError as exc:
            raise self.fail(node, f"bad merge key: {exc}") from None
        out = LineDict()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        for key_node, value_node in node.value:
            key = self.convert(key_node, depth + 1)
            if not isinstance(key, str):
                key = str(key) if isinstance(key, (int, float, bool)) or key is None else key
            if not isinstance(key, str):
                raise self.fail(key_node, "mapping key is not a scalar")
            if key in out:
                raise self.fail(key_node, f"duplicate key {key!r}")
            out[key] = self.convert(value_node, depth + 1)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out


def parse_documents(text: str, file: str) -> Iterator[Document]:
    """Parse every document of a YAML stream (JSON included) with line information.

    Raises InputError naming the file, document and line of the first problem.
    """
    if file.endswith(".json") or text.lstrip()[:1] in ("{", "["):
        _check_json(text, file)
        # JSON allows tabs as whitespace where YAML's block context does not; a raw tab can
        # only be whitespace in valid JSON, so replacing it keeps the meaning and the lines.
        text = text.replace("\t", " ")
    index = 0
    loader = _Loader(text)
    try:
        while loader.check_node():
            index += 1
            node = loader.get_node()
            if node is None:
                continue
            body = _Converter(file, index).convert(node)
            if body is None:
                continue
            yield Document(file, index, node.start_mark.line + 1, body)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "malformed YAML"
        raise InputError(
            f"malformed YAML: {problem}", Location(file, max(index, 1), line)
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", Location(file, max(index, 1), 1)) from None
    finally:
        loader.dispose()


def _check_json(text: str, file: str) -> None:
    """Refuse text that is not JSON when it claims to be; YAML would accept more."""
    if not file.endswith(".json"):
        return
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg}", Location(file, 1, exc.lineno)) from None
    except RecursionError:
        raise InputError("JSON nests too deeply", Location(file, 1, 1)) from None

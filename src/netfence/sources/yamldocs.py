"""Safe YAML/JSON parsing that keeps the line of every value and refuses hostile input.

Values come back as plain dicts, lists and scalars; mappings and sequences are subclasses
that remember the line of each key or item, so later stages can name the exact line of a
bad field. Only the safe schema is used (nothing in the input is ever executed); alias
expansion, nesting depth and input size are bounded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import yaml

from netfence.errors import InputError, Location
from netfence.model.origin import APIObjectOrigin
from netfence.sources.yaml_block import RESOLVED_FIRST, read_block
from netfence.sources.yamlnodes import LineDict, LineList, key_text

__all__ = ["Document", "LineDict", "LineList", "parse_documents"]

# libyaml is an order of magnitude faster on large cluster dumps; both loaders are safe.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_ALIAS_EXPANSION: Final = 100_000
"""How many nodes aliases may add over the document's own; past it the input is a bomb."""
MAX_DEPTH: Final = 200
"""How deeply collections may nest; Kubernetes objects need far less."""


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
    origin: APIObjectOrigin | None = None
    """The API object the document is, when it was read from an API server rather than a
    file; errors and the objects read from it then name it instead of a line."""

    def location(self, line: int | None = None) -> Location:
        """A Location in this document, at ``line`` or at its start."""
        return Location(self.file, self.index, self.line if line is None else line)


_SAFE_TAGS: Final = frozenset(
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "timestamp", "binary", "map", "seq", "merge")
)
"""Tags of the safe schema; anything else (``!!python/...``, custom tags) is refused."""
_MERGE_KEY: Final = "<<"


_STR_TAG: Final = "tag:yaml.org,2002:str"
"""The tag of a plain scalar that resolves to no other type."""
_CACHE_LIMIT: Final = 1 << 16
"""Distinct plain scalars remembered: enough for every key and common value of a cluster dump,
bounded so that a stream of millions of unique names does not grow it without end."""


class _ScalarResolver:
    """Scalar resolution as kubectl's reader does it: YAML 1.1 (as the safe loader), less
    timestamps and base-60 numbers, cached per distinct plain value."""

    def __init__(self) -> None:
        self._loader = yaml.SafeLoader("")
        self._plain: dict[str, Any] = {}

    def plain(self, value: str) -> Any:
        found = self._plain.get(value, self)
        if found is self:
            if value and value[0] not in RESOLVED_FIRST:
                return value  # no implicit type starts so: a string (and cached for nothing)
            tag = self._loader.resolve(yaml.ScalarNode, value, (True, False))
            if tag == _STR_TAG:
                # Most values are strings: returned as they are, without the constructor.
                found = value
            elif tag.endswith((":merge", ":timestamp")) or (
                tag.endswith((":int", ":float")) and ":" in value
            ):
                # As kubectl reads YAML (go-yaml v2, then JSON): an unquoted date or time stays
                # its text (``release: 2024-02-30`` is a string label), and there are no
                # base-60 numbers (``port: 1:20`` is the string "1:20", not 80). "<<" is the
                # merge key, which the builder handles.
                found = value
            else:
                found = self._construct(tag, value, None)
            if len(self._plain) < _CACHE_LIMIT:  # keys and common values repeat; names do not
                self._plain[value] = found
        return found

    def _construct(self, tag: str, value: str, mark: Any) -> Any:
        node = yaml.ScalarNode(tag, value, mark, mark)
        return self._loader.construct_object(node, deep=True)

    def tagged(self, tag: str, value: str, mark: Any) -> Any:
        return self._construct(tag, value, mark)


class _Builder:
    """Builds LineDict/LineList values straight from parser events, within the safety bounds.

    Working from events rather than composed nodes keeps large cluster dumps fast; anchors
    are shared, not copied, and what aliases would expand to is counted against a budget.
    """

    def __init__(self, file: str, resolver: _ScalarResolver) -> None:
        self.file = file
        self.resolver = resolver
        self.index = 0
        self.root_line = 0
        self.line_offset = 0
        """Lines before the text libyaml reads, when it reads one document of a stream."""
        self.least_index = 1
        """The document an error names at the least: the one being read, when libyaml reads
        one document of a stream and fails before it sees the document start."""

    def fail(self, event: Any, message: str) -> InputError:
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        return InputError(
            message, Location(self.file, max(self.index, self.least_index), line + self.line_offset)
        )

    def _check_tag(self, event: yaml.NodeEvent, default: str) -> None:
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in ("!", default) and tag not in _SAFE_TAGS:
            raise self.fail(event, f"unsupported YAML tag {tag!r}")

    def document(self, loader: Any) -> Any:
        anchors: dict[str, tuple[Any, int]] = {}
        expanded = 0
        # Stack frames: [container, line_list, pending_key, key_line, size, anchor, is_map, depth]
        stack: list[list[Any]] = []
        result: Any = None
        self.root_line = 0
        while True:
            event: Any = loader.get_event()
            if isinstance(event, yaml.DocumentEndEvent):
                return result
            if not self.root_line and event.start_mark is not None:
                self.root_line = event.start_mark.line + 1 + self.line_offset
            value: Any
            size = 1
            if isinstance(event, yaml.ScalarEvent):
                if event.tag is not None and event.tag != "!":
                    self._check_tag(event, "tag:yaml.org,2002:str")
                    try:
                        value = self.resolver.tagged(event.tag, event.value, event.start_mark)
                    except Exception:  # the safe constructors raise assorted errors on bad values
                        raise self.fail(
                            event, f"{event.value!r} is not a valid {event.tag}"
                        ) from None
                elif event.implicit[0]:  # plain scalar: resolve 5, true, null, ...
                    value = self.resolver.plain(event.value)
                else:
                    value = event.value
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1)
            elif isinstance(event, yaml.AliasEvent):
                if event.anchor not in anchors:
                    raise self.fail(event, f"unknown or recursive alias *{event.anchor}")
                value, size = anchors[event.anchor]
                expanded += size
                if expanded > MAX_ALIAS_EXPANSION:
                    raise self.fail(
                        event, "YAML aliases expand past the safety limit (alias bomb?)"
                    )
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                is_map = isinstance(event, yaml.MappingStartEvent)
                self._check_tag(event, "tag:yaml.org,2002:" + ("map" if is_map else "seq"))
                if len(stack) >= MAX_DEPTH:
                    raise self.fail(event, f"nesting deeper than {MAX_DEPTH} levels")
                container: LineDict | LineList = LineDict() if is_map else LineList()
                start: Any = event.start_mark
                container.line = start.line + 1 + self.line_offset
                lines: dict[str, int] | list[int] = {} if is_map else []
                if is_map:
                    container.key_lines = lines  # type: ignore[union-attr]
                else:
                    container.item_lines = lines  # type: ignore[union-attr]
                stack.append([container, lines, _NO_KEY, 0, 1, event.anchor, is_map, event])
                continue
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                frame = stack.pop()
                value, size = frame[0], frame[4]
                event = frame[7]  # a container stands where it starts, not where it ends
                if frame[5] is not None:
                    anchors[frame[5]] = (value, size)
            else:  # pragma: no cover - the parser emits nothing else inside a document
                raise self.fail(event, f"unexpected YAML event {type(event).__name__}")
            if not stack:
                result = value
                continue
            self._add(stack[-1], value, size, event)

    def _add(self, frame: list[Any], value: Any, size: int, event: Any) -> None:
        container, lines = frame[0], frame[1]
        frame[4] += size
        line = event.start_mark.line + 1 + self.line_offset
        if not frame[6]:
            container.append(value)
            lines.append(line)
            return
        if frame[2] is _NO_KEY:
            if isinstance(value, (dict, list)):
                raise self.fail(event, "mapping key is not a scalar")
            frame[2] = value if isinstance(value, str) else key_text(value)
            frame[3] = line
            return
        key, key_line = frame[2], frame[3]
        frame[2] = _NO_KEY
        if key == _MERGE_KEY:
            self._merge(container, lines, value, event)
            return
        if key in container and key not in getattr(container, "merged", ()):
            raise InputError(
                f"duplicate key {key!r}",
                Location(self.file, max(self.index, self.least_index), key_line),
            )
        container[key] = value
        lines[key] = key_line

    def _merge(self, container: LineDict, lines: dict[str, int], value: Any, event: Any) -> None:
        """Merge keys (<<): mappings merged in, keys written explicitly win."""
        sources = value if isinstance(value, list) else [value]
        merged: set[str] = getattr(container, "merged", set())
        for source in sources:
            if not isinstance(source, dict):
                raise self.fail(event, "a merge key (<<) needs a mapping or a list of mappings")
            for k, v in source.items():
                if k not in container:
                    container[k] = v
                    lines[k] = getattr(source, "key_lines", {}).get(k, container.line)
                    merged.add(k)
        container.merged = merged  # type: ignore[attr-defined]


_NO_KEY: Final = object()


def parse_documents(text: str, file: str, *, block_reader: bool = True) -> Iterator[Document]:
    """Parse every document of a YAML stream (JSON included) with line information.

    Documents in the plain block subset are read by the fast line reader, the rest by
    libyaml; both build the same values. ``block_reader=False`` reads everything with libyaml
    (the differential tests compare the two).

    Raises InputError naming the file, document and line of the first problem.
    """
    if file.endswith(".json") or text.lstrip()[:1] in ("{", "["):
        _check_json(text, file)
        # JSON allows tabs as whitespace where YAML's block context does not; a raw tab can
        # only be whitespace in valid JSON, so replacing it keeps the meaning and the lines.
        text = text.replace("\t", " ")
        text = _SURROGATE_ESCAPE.sub(_astral_escape, text)
    else:
        chunks = _bare_document_chunks(text) if block_reader else None
        if chunks is not None:
            yield from _read_chunks(text, chunks, file)
            return
    builder = _Builder(file, _ScalarResolver())
    yield from _libyaml_documents(text, builder)


def _libyaml_documents(text: str, builder: _Builder) -> Iterator[Document]:
    """Every document libyaml reads in ``text``, numbered on from ``builder.index``."""
    file = builder.file
    loader = _Loader(text)
    try:
        loader.get_event()  # StreamStart
        while not loader.check_event(yaml.StreamEndEvent):
            loader.get_event()  # DocumentStart
            builder.index += 1
            body = builder.document(loader)
            if body is not None:
                yield Document(file, builder.index, builder.root_line, body)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark is not None else 1) + builder.line_offset
        problem = exc.problem or exc.context or "malformed YAML"
        raise InputError(
            f"malformed YAML: {problem}",
            Location(file, max(builder.index, builder.least_index), line),
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(
            f"malformed YAML: {exc}", Location(file, max(builder.index, builder.least_index), 1)
        ) from None
    finally:
        loader.dispose()


_MARKER_START: Final = re.compile(r"\n(?=---|\.\.\.|%)")
"""A line break before what may be a document marker or a directive (a pattern that starts
with a literal character scans much faster than one anchored at every line start)."""
_ODD_BREAKS: Final = "\r\x85\u2028\u2029\ufeff"
"""Characters YAML counts as line breaks (or a byte-order mark) that ``str.split`` would not
count the same way."""
_CONTENT: Final = re.compile(r"^[ ]*[^ #\n]", re.MULTILINE)
"""A line with something on it besides spaces and a comment."""


def _bare_document_chunks(text: str) -> list[tuple[int, int]] | None:
    """Where each document's text starts and ends, when the stream separates its documents by
    bare ``---`` lines only; None for directives, ``...``, markers with content on the line, or
    unusual line breaks, which libyaml reads as a whole stream.

    libyaml ends a document at any ``---`` at the start of a line, even inside a scalar or a
    flow collection, so cutting there splits the stream exactly where it does.
    """
    if any(odd in text for odd in _ODD_BREAKS):  # five substring scans beat one class scan
        return None
    chunks: list[tuple[int, int]] = []
    start = 0
    markers = [0] if text.startswith(("---", "...", "%")) else []
    markers.extend(found.start() + 1 for found in _MARKER_START.finditer(text))
    for marker in markers:
        end = text.find("\n", marker)
        end = len(text) if end < 0 else end
        if text[marker:end] != "---":
            return None
        chunks.append((start, marker))
        start = end + 1
    chunks.append((start, len(text)))
    return chunks


def _read_chunks(text: str, chunks: list[tuple[int, int]], file: str) -> Iterator[Document]:
    """The documents of a stream cut at its ``---`` lines: each read by the block reader, or by
    libyaml where it goes beyond the reader's subset."""
    resolver = _ScalarResolver()
    builder = _Builder(file, resolver)
    line = 1
    for position, (start, end) in enumerate(chunks):
        if position:
            line += 1  # the "---" line
        chunk = text[start:end]
        lines = chunk.split("\n")
        if position == 0 and _CONTENT.search(chunk) is None:
            # Blank lines and comments before the first "---" make no document.
            line += len(lines) - 1
            continue
        builder.index += 1
        index = builder.index
        read = read_block(lines, line, resolver.plain, MAX_DEPTH)
        if read is None:
            builder.index -= 1
            builder.line_offset = line - 1
            builder.least_index = index
            yield from _libyaml_documents(chunk, builder)
            builder.index = index
        elif read[0] is not None:
            yield Document(file, index, read[1], read[0])
        line += len(lines) - 1


_SURROGATE_ESCAPE: Final = re.compile(
    r"(\\+)u([dD][89abAB][0-9a-fA-F]{2})(?:\\u([dD][c-fC-F][0-9a-fA-F]{2}))?"
    r"|(\\+)u([dD][c-fC-F][0-9a-fA-F]{2})"
)
"""A JSON ``\\uD83D\\uDE00`` surrogate escape (a pair, or a lone half), with the backslashes
before it."""


def _astral_escape(found: re.Match[str]) -> str:
    """JSON escapes a character beyond U+FFFF as a surrogate pair; the YAML reader refuses
    surrogate escapes, so a pair becomes YAML's ``\\U0001F600`` and a lone half U+FFFD, as
    the API server's JSON decoder reads it. An even run of backslashes escapes itself: no
    escape follows, so the text is left as it is."""
    slashes = found.group(1) or found.group(4)
    if len(slashes) % 2 == 0:
        return found.group()
    high, low = found.group(2), found.group(3)
    if high is not None and low is not None:
        code = 0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00)
        return f"{slashes}U{code:08X}"
    if high is not None:  # a lone high half
        return f"{slashes}uFFFD"
    return f"{slashes}uFFFD"  # a lone low half


_JSON_CONSTANT: Final = re.compile(r"[:\[,]\s*-?(NaN|Infinity)\b")
"""A NaN or Infinity literal where a JSON value stands."""


class _NotJSONNumber(ValueError):
    """Python's json module reads NaN and Infinity; RFC 8259 (and the API server) does not."""


def _refuse_constant(constant: str) -> Any:
    raise _NotJSONNumber(constant)


def _check_json(text: str, file: str) -> None:
    """Refuse text that is not JSON when it claims to be; YAML would accept more."""
    if not file.endswith(".json"):
        return
    try:
        json.loads(text, parse_constant=_refuse_constant)
    except _NotJSONNumber as exc:
        found = _JSON_CONSTANT.search(text)
        line = text.count("\n", 0, found.start(1)) + 1 if found else 1
        raise InputError(
            f"malformed JSON: {exc} is not a JSON number (RFC 8259 has no NaN or Infinity)",
            Location(file, 1, line),
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg}", Location(file, 1, exc.lineno)) from None
    except RecursionError:
        raise InputError("JSON nests too deeply", Location(file, 1, 1)) from None

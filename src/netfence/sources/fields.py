"""Typed access to parsed documents that reports bad fields with file, document and line."""

from __future__ import annotations

import datetime
import difflib
import enum
import math
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from netfence.errors import InputError, Location
from netfence.model.networkpolicy import Direction
from netfence.model.origin import Origin
from netfence.sets.ports import KUBERNETES_PROTOCOLS
from netfence.sources.k8s_validation import label_value_problem, qualified_name_problem
from netfence.sources.yamldocs import Document, LineDict, LineList

_Choice = TypeVar("_Choice", bound=enum.StrEnum)

QUOTED_CHARS: Final = 60
"""The most of a wrong-typed string an error quotes."""
INT64_MIN: Final = -(2**63)
"""Smallest integer any Kubernetes field holds (int64)."""
INT64_MAX: Final = 2**63 - 1
"""Largest integer any Kubernetes field holds (int64)."""


@dataclass(frozen=True)
class Field:
    """A value inside a document, with its dotted path and line."""

    doc: Document
    """The document the value is in."""
    path: str
    """Dotted path from the object's root, e.g. ``spec.ingress[0].ports[1].port``."""
    value: Any
    """The parsed value."""
    line: int
    """1-based line of the value (of its key, for mapping entries)."""

    @classmethod
    def root(cls, doc: Document, value: Any | None = None, path: str = "") -> Field:
        """The whole document (or one item of a List document)."""
        body = doc.body if value is None else value
        return cls(doc, path, body, getattr(body, "line", doc.line))

    @property
    def location(self) -> Location:
        """Where the value stands in its file (see :attr:`origin` for an API object)."""
        return self.doc.location(self.line)

    @property
    def origin(self) -> Origin:
        """Where the object holding the value came from: the API object a live document is,
        else the value's file location."""
        return self.doc.origin if self.doc.origin is not None else self.location

    @property
    def part_location(self) -> Location | None:
        """The file location of a part inside an object (a rule, a peer, a port); None for an
        API object, whose name cannot point inside it (its object's origin stands for it)."""
        return None if self.doc.origin is not None else self.location

    def error(self, message: str) -> InputError:
        """An InputError pointing at this field."""
        return InputError(message, self.origin, self.path or "(document)")

    def _child_path(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str) -> Field | None:
        """The entry ``key`` of this mapping, or None when absent or null."""
        mapping = self.mapping()
        if key not in mapping or mapping[key] is None:
            return None
        line = mapping.key_lines.get(key, self.line) if isinstance(mapping, LineDict) else self.line
        return Field(self.doc, self._child_path(key), mapping[key], line)

    def require(self, key: str) -> Field:
        """The entry ``key``; an error when it is missing."""
        found = self.get(key)
        if found is None:
            raise Field(self.doc, self._child_path(key), None, self.line).error("required")
        return found

    def mapping(self) -> dict[str, Any]:
        """The value as a mapping; an error otherwise."""
        if not isinstance(self.value, dict):
            raise self.error(f"expected a mapping, got {_type_name(self.value)}")
        return self.value

    def entries(self) -> Iterator[tuple[str, Field]]:
        """Every entry of this mapping, null values included, as (key, Field)."""
        for key, value in self.mapping().items():
            yield key, Field(self.doc, self._child_path(key), value, self._key_line(key))

    def items(self) -> Iterator[Field]:
        """The items of a sequence (null or missing reads as empty)."""
        if self.value is None:
            return
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, got {_type_name(self.value)}")
        lines = self.value.item_lines if isinstance(self.value, LineList) else []
        for i, item in enumerate(self.value):
            line = lines[i] if i < len(lines) else self.line
            yield Field(self.doc, f"{self.path}[{i}]", item, line)

    def is_list(self) -> bool:
        """Whether the value is a sequence."""
        return isinstance(self.value, list)

    def choice(self, kind: type[_Choice]) -> _Choice:
        """The member of the string enum ``kind`` this string names; an error listing the
        members otherwise."""
        text = self.string()
        try:
            return kind(text)
        except ValueError:
            valid = ", ".join(member.value for member in kind)
            raise self.error(f"unknown value {text!r} (expected one of: {valid})") from None

    def text(self) -> str:
        """This string, stripped; an error when nothing is left."""
        value = self.string().strip()
        if not value:
            raise self.error("must not be empty")
        return value

    def refuse_unknown(self, allowed: Collection[str]) -> None:
        """An error at the first key of this mapping that is not ``allowed``, suggesting the
        closest allowed key when one is close, else listing them."""
        known = sorted(allowed)
        for key, child in self.entries():
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = (
                f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(known)}"
            )
            raise child.error(f"unknown field ({hint})")

    def string(self) -> str:
        """The value as a string; an error for other types."""
        if not isinstance(self.value, str):
            raise self.error(f"expected a string, got {_type_name(self.value)}")
        return self.value

    def integer(self) -> int:
        """The value as an integer (booleans are refused).

        Kubernetes integers are at most 64 bits: the API server refuses larger ones when it
        decodes the object, and so does this, without printing the (possibly huge) value.
        """
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.error(f"expected an integer, got {_type_name(self.value)}")
        if not INT64_MIN <= self.value <= INT64_MAX:
            raise self.error("integer out of range (larger than 64 bits)")
        return self.value

    def is_integer(self) -> bool:
        """Whether the value is an integer (not a boolean)."""
        return isinstance(self.value, int) and not isinstance(self.value, bool)

    def number(self) -> float:
        """The value as a finite number (an integer or a float).

        NaN and the infinities are refused: JSON has no literal for them, so the API server
        can never receive one (Go's encoding/json refuses them).
        """
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"expected a number, got {_type_name(value)}")
        if isinstance(value, int):
            value = self.integer()
        elif not math.isfinite(value):
            raise self.error(f"expected a finite number, got {value}")
        return float(value)

    def boolean(self) -> bool:
        """The value as a boolean."""
        if not isinstance(self.value, bool):
            raise self.error(f"expected true or false, got {_type_name(self.value)}")
        return self.value

    def string_map(self) -> dict[str, str]:
        """A map of strings to strings (labels); an error for other values."""
        out: dict[str, str] = {}
        for key, value in self.mapping().items():
            if not isinstance(value, str):
                raise self._child(key, value).error(
                    f"expected a string value, got {_type_name(value)}"
                )
            out[key] = value
        return out

    def labels(self) -> dict[str, str]:
        """A labels map (``metadata.labels``, ``matchLabels``): keys are qualified names and
        values label values (apimachinery ``ValidateLabels``)."""
        out = self.string_map()
        for key, value in out.items():
            problem = qualified_name_problem(key)
            if problem is not None:
                raise self._child(key, value).error(f"invalid label key {key!r}: {problem}")
            problem = label_value_problem(value)
            if problem is not None:
                raise self._child(key, value).error(f"invalid label value {value!r}: {problem}")
        return out

    def _child(self, key: str, value: Any) -> Field:
        """The entry ``key`` holding ``value``, built only to point an error at it."""
        return Field(self.doc, self._child_path(key), value, self._key_line(key))

    def _key_line(self, key: str) -> int:
        return (
            self.value.key_lines.get(key, self.line)
            if isinstance(self.value, LineDict)
            else self.line
        )


def parse_directions(field: Field | None) -> set[Direction]:
    """A list of policy types (``Ingress``, ``Egress``); empty when absent."""
    out: set[Direction] = set()
    for item in field.items() if field is not None else ():
        text = item.string()
        try:
            out.add(Direction(text))
        except ValueError:
            raise item.error(f"unknown policy type {text!r} (expected Ingress or Egress)") from None
    return out


def parse_protocol(entry: Field) -> str:
    """A Kubernetes ``protocol`` field: TCP (the default), UDP or SCTP, case-sensitive."""
    proto_field = entry.get("protocol")
    if proto_field is None:
        return "TCP"
    protocol = proto_field.string()
    if protocol not in KUBERNETES_PROTOCOLS:
        raise proto_field.error(f"unknown protocol {protocol!r} (expected TCP, UDP or SCTP)")
    return protocol


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        # A whole file read as one scalar (a document of another kind) is not echoed back.
        shown = value if len(value) <= QUOTED_CHARS else value[: QUOTED_CHARS - 3] + "..."
        return f"the string {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, datetime.date):
        return "a timestamp (tagged !!timestamp: write the text without the tag)"
    return type(value).__name__

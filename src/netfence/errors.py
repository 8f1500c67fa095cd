"""The exceptions netfence raises, one hierarchy for the whole pipeline.

NetfenceError
├── InputError        an input file, document or field is not acceptable
└── QueryError        a question asked of the model names something that is not there
"""

from __future__ import annotations

from dataclasses import dataclass


class NetfenceError(Exception):
    """Base of every error netfence reports to its user."""


@dataclass(frozen=True)
class Location:
    """Where a value came from: a file, the 1-based document in it, and the 1-based line."""

    file: str
    """The file name as given by the user, or ``<stdin>``."""
    document: int
    """1-based index of the YAML/JSON document in the file."""
    line: int
    """1-based line of the value in the file."""

    def __str__(self) -> str:
        return f"{self.file}: document {self.document}, line {self.line}"


class InputError(NetfenceError):
    """An input is malformed or violates the API's validation rules.

    Renders as one line naming the file, document, line and field, so that a user can go
    straight to the offending value.
    """

    def __init__(self, message: str, location: Location | None = None, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.field = field

    def __str__(self) -> str:
        parts = []
        if self.location is not None:
            parts.append(str(self.location))
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


class QueryError(NetfenceError):
    """A query (for example the endpoints given to ``explain``) cannot be answered as asked."""

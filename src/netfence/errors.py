"""The exceptions netfence raises, one hierarchy for the whole pipeline.

NetfenceError
├── InputError        an input file, document or field is not acceptable
├── QueryError        a question asked of the model names something that is not there
└── OutputError       an output cannot be written where it was asked to go
"""

from __future__ import annotations

from netfence.model.origin import FileOrigin, Origin


class NetfenceError(Exception):
    """Base of every error netfence reports to its user."""


Location = FileOrigin
"""Where a value came from in a file: ``netfence.model.origin.FileOrigin`` by its older name."""


class InputError(NetfenceError):
    """An input is malformed or violates the API's validation rules.

    Renders as one line naming where the value came from (a file's document and line, an API
    object, or an export and its path) and the field, so that a user can go straight to the
    offending value.
    """

    def __init__(self, message: str, location: Origin | None = None, field: str = "") -> None:
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


class OutputError(NetfenceError):
    """An output (for example ``scan --fix DIR``) cannot be written safely where asked: the
    place is not a directory, is a symbolic link, or refuses the write. Nothing is left
    half-written."""

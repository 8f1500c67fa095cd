"""The values the YAML readers build: mappings and sequences that remember their lines.

Both readers (libyaml's events in ``yamldocs`` and the plain block reader in ``yaml_block``)
build the same values, so later stages can name the exact line of a bad field whichever read it.
"""

from __future__ import annotations

from typing import Any


class LineDict(dict[str, Any]):
    """A mapping that remembers its own line and the line of each key."""

    line: int
    key_lines: dict[str, int]


class LineList(list[Any]):
    """A sequence that remembers its own line and the line of each item."""

    line: int
    item_lines: list[int]


def key_text(value: Any) -> str:
    """A resolved mapping key written back as text, as the API's JSON needs keys to be."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

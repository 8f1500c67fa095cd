"""Read firewall exports (JSON, or text rulesets) as the firewall languages need them.

JSON exports (ARM/REST, ARM templates, az CLI output, ``nft -j list ruleset``, Service Tags
files) are read with the project's line-keeping loader, so that a bad field is named by file,
line and path (``properties.securityRules[3].properties.priority``). Text exports
(``iptables-save``) are read as text. Either way the file is bounded in size and must be UTF-8.
"""

from __future__ import annotations

from netfence.errors import InputError
from netfence.sources.fields import Field
from netfence.sources.manifests import (
    MAX_INPUT_BYTES,
    STDIN,
    decode_utf8,
    iter_text,
    read_bounded,
)


def read_export_text(path: str, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """The text of one export file (``-`` for standard input), bounded and decoded."""
    label = "<stdin>" if path == STDIN else path
    return decode_utf8(read_bounded(path, max_bytes), label)


def parse_json_export(text: str, label: str) -> Field:
    """The root of one JSON export, with lines; an error unless it is exactly one JSON value."""
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        raise InputError(f"{label}: not a JSON export (it should start with '{{' or '[')")
    documents = list(iter_text(text, label))
    if len(documents) != 1:
        raise InputError(f"{label}: expected one JSON value, found {len(documents)}")
    return Field.root(documents[0])


def read_json_export(path: str, max_bytes: int = MAX_INPUT_BYTES) -> Field:
    """Read and parse one JSON export file."""
    label = "<stdin>" if path == STDIN else path
    return parse_json_export(read_export_text(path, max_bytes), label)

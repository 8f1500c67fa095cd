"""What a netfence file found among manifests is: an address plan, Private Link settings, a
DNS answer file or a connectivity-test spec.

A directory of manifests may hold netfence's own inputs beside them (``scan`` reads them all
from one folder); they carry no ``apiVersion``/``kind`` and are recognised by their
``format`` field (or, for DNS answer files, their ``schema_version`` and ``answers``).
"""

from __future__ import annotations

import enum
from typing import Any, Final

from netfence.errors import InputError
from netfence.model.address_plan import PLAN_FORMAT
from netfence.model.connectivity_tests import SPEC_FORMAT
from netfence.sources.exports import read_export_text
from netfence.sources.manifests import iter_text

PRIVATE_LINK_FORMAT: Final = "netfence.private-link"
"""The value of a Private Link settings file's ``format`` field."""


class NetfenceFileKind(enum.StrEnum):
    """The netfence inputs that can sit beside manifests."""

    ADDRESS_PLAN = "address plan"
    """An address plan (docs/address-plan.md)."""
    PRIVATE_LINK = "Private Link settings"
    """Private Link settings (docs/private-link.md)."""
    DNS_ANSWERS = "DNS answer file"
    """Answers for names, read instead of asking a DNS server (docs/firewall.md)."""
    CONNECTIVITY_TESTS = "connectivity-test spec"
    """Flows that must be allowed or denied, for ``netfence test`` (docs/connectivity-tests.md)."""


_BY_FORMAT: Final = {
    PLAN_FORMAT: NetfenceFileKind.ADDRESS_PLAN,
    PRIVATE_LINK_FORMAT: NetfenceFileKind.PRIVATE_LINK,
    SPEC_FORMAT: NetfenceFileKind.CONNECTIVITY_TESTS,
}


def kind_of_body(body: Any) -> NetfenceFileKind | None:
    """The kind of a parsed top-level document, None when it is none of netfence's."""
    if not isinstance(body, dict):
        return None
    found = body.get("format")
    if isinstance(found, str) and found in _BY_FORMAT:
        return _BY_FORMAT[found]
    if "answers" in body and "schema_version" in body:
        return NetfenceFileKind.DNS_ANSWERS
    return None


def netfence_file_kind(path: str) -> NetfenceFileKind | None:
    """The kind of the file at ``path`` by its first document; None when it is none of
    netfence's or does not parse (its reader then says why, when it is given by name)."""
    try:
        return netfence_text_kind(read_export_text(path), path)
    except InputError:
        return None


def netfence_text_kind(text: str, name: str) -> NetfenceFileKind | None:
    """:func:`netfence_file_kind` of a file's text already read (from a git tree)."""
    try:
        for document in iter_text(text, name):
            return kind_of_body(document.body)
    except InputError:
        return None
    return None

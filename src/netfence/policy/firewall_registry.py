"""The firewall languages netfence reads, in one table, and reading an export in any of them.

Adding a language is one module implementing
:class:`~netfence.policy.interface.FirewallLanguage` and one row here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from netfence.errors import InputError
from netfence.model.firewall import FirewallKind, FirewallLayer
from netfence.policy.azure_firewall import AzureFirewallLanguage
from netfence.policy.interface import FirewallContext, FirewallLanguage
from netfence.policy.iptables import IptablesLanguage
from netfence.policy.nftables import NftablesLanguage
from netfence.policy.nsg import NSGLanguage
from netfence.sources.exports import parse_json_export, read_export_text
from netfence.sources.fields import Field

FIREWALL_LANGUAGES: Final[tuple[FirewallLanguage, ...]] = (
    AzureFirewallLanguage(),
    NSGLanguage(),
    NftablesLanguage(),
    IptablesLanguage(),
)
"""Every firewall language, in the order their recognizers are tried."""


def language_of(kind: FirewallKind) -> FirewallLanguage:
    """The language registered for ``kind``."""
    for language in FIREWALL_LANGUAGES:
        if language.kind is kind:
            return language
    raise InputError(f"no reader for firewall format {kind.value!r}")


def read_firewall(
    path: str, context: FirewallContext | None = None, kind: FirewallKind | None = None
) -> list[FirewallLayer]:
    """Every layer in one export; its language is recognized unless ``kind`` is given."""
    text = read_export_text(path)
    label = "<stdin>" if path == "-" else path
    return read_firewall_text(text, label, context, kind)


def read_firewall_text(
    text: str,
    label: str,
    context: FirewallContext | None = None,
    kind: FirewallKind | None = None,
) -> list[FirewallLayer]:
    """Every layer in an export already read (``label`` names it in errors and origins):
    how netfence reads back the rules it generated, before it prints them."""
    root = _json_root(text, label)
    context = context if context is not None else FirewallContext()
    if kind is not None:
        return language_of(kind).read(text, root, label, context)
    for language in FIREWALL_LANGUAGES:
        if language.recognizes(text, root):
            return language.read(text, root, label, context)
    known = ", ".join(k.value for k in FirewallKind)
    raise InputError(
        f"{label}: not a firewall export netfence recognizes ({known}); give --firewall-format"
        " if it is one of them"
    )


def recognized_kind(path: str) -> FirewallKind | None:
    """The language of a file that is a firewall export netfence recognizes, else None
    (unreadable, not JSON, or no language's shape): how a directory of manifests tells the
    exports beside them from stray files."""
    try:
        text = read_export_text(path)
    except (InputError, OSError):
        return None
    return recognized_text_kind(text, path)


def recognized_text_kind(text: str, name: str) -> FirewallKind | None:
    """:func:`recognized_kind` of a file's text already read (from a git tree)."""
    try:
        root = _json_root(text, name)
    except InputError:
        return None
    for language in FIREWALL_LANGUAGES:
        if language.recognizes(text, root):
            return language.kind
    return None


def read_firewalls(
    paths: Sequence[str], context: FirewallContext | None = None, kind: FirewallKind | None = None
) -> list[FirewallLayer]:
    """Every layer of every export, in the order given."""
    return [layer for path in paths for layer in read_firewall(path, context, kind)]


def _json_root(text: str, label: str) -> Field | None:
    """The parsed JSON of an export that is JSON; None for a text export (iptables-save)."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    return parse_json_export(text, label)

"""Where a model object came from: a file, an object of the Kubernetes API, or an export.

Every source keeps an origin on what it reads, so that findings, explanations and input errors
can send the user back to it:

- ``FileOrigin`` (also known as ``netfence.errors.Location``): a manifest file, the document in
  it and the line, for YAML and JSON read from files or standard input;
- ``APIObjectOrigin``: an object read from a live cluster's API server, by kind, namespace, name
  and the resourceVersion that was read;
- ``ExportOrigin``: a firewall or NSG export (JSON), and the JSONPath of the object inside it.

An object (a policy, a namespace, a pod) holds any origin. The parts inside a policy (rules,
peers, ports) hold a ``FileOrigin`` only: a line can point inside an object, an API object's name
cannot, so a source without lines leaves them None and the policy's origin stands for them.

This module imports nothing from netfence, so that every layer (errors included) can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True)
class FileOrigin:
    """Where a value came from: a file, the 1-based document in it, and the 1-based line."""

    file: str
    """The file name as given by the user, or ``<stdin>``."""
    document: int
    """1-based index of the YAML/JSON document in the file."""
    line: int
    """1-based line of the value in the file."""

    def __str__(self) -> str:
        return f"{self.file}: document {self.document}, line {self.line}"


@dataclass(frozen=True)
class APIObjectOrigin:
    """An object as the Kubernetes API server returned it."""

    kind: str
    """The object's kind (``NetworkPolicy``, ``Namespace``, ...)."""
    namespace: str | None
    """Its namespace; None for cluster-scoped objects."""
    name: str
    """Its name."""
    resource_version: str | None = None
    """``metadata.resourceVersion`` as read (opaque to clients); None when not known."""

    @property
    def key(self) -> str:
        """``Kind/namespace/name`` (or ``Kind/name``), as a ResourceRef's key."""
        return "/".join(p for p in (self.kind, self.namespace, self.name) if p)

    def __str__(self) -> str:
        name = f"{self.namespace}/{self.name}" if self.namespace else self.name
        text = f"{self.kind} {name}"
        if self.resource_version is not None:
            text += f" (resourceVersion {self.resource_version})"
        return text


@dataclass(frozen=True)
class ExportOrigin:
    """An object inside an exported configuration file (an NSG, Azure Firewall policy, ...)."""

    file: str
    """The export's file name as given by the user."""
    path: str
    """JSONPath of the object in the file, from the root ``$``: ``$.securityRules[3]``."""

    def __str__(self) -> str:
        return f"{self.file}: {self.path}"


Origin: TypeAlias = FileOrigin | APIObjectOrigin | ExportOrigin
"""Any of the places an object can come from."""


def origin_file(origin: Origin | None) -> str | None:
    """The file an origin names (a manifest or an export); None for an API object or None."""
    if isinstance(origin, FileOrigin | ExportOrigin):
        return origin.file
    return None


def origin_line(origin: Origin | None) -> int | None:
    """The 1-based line a file origin names; None for every other origin."""
    return origin.line if isinstance(origin, FileOrigin) else None

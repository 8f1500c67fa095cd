"""Azure resources in the shapes they are exported in, for the Azure Firewall language.

One export may hold its resources in four shapes, all read here into :class:`Resource`
records:

- ARM/REST: one resource object, or a list response ``{"value": [...]}``; the resource's own
  fields nest under ``properties``;
- az CLI: the same objects flattened (``priority`` and ``ruleCollections`` at the top, beside
  ``resourceGroup`` and ``etag``), alone or in a list;
- an ARM template export: ``resources[]``, with names and values written as template
  expressions (``[concat(parameters('policy'), '/Default')]``), child resources either at the top
  with a ``parent/child`` name or nested under their parent's ``resources``.

Template expressions are evaluated as far as exports use them (``parameters``, ``variables``,
``concat``, ``resourceId``, string literals); any other function is refused with its location,
never guessed.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from netfence.sources.fields import Field


class ResourceKind(enum.Enum):
    """The resource types the Azure Firewall language reads."""

    POLICY = "microsoft.network/firewallpolicies"
    """A firewall policy: settings and its parent (``basePolicy``)."""
    RULE_COLLECTION_GROUP = "microsoft.network/firewallpolicies/rulecollectiongroups"
    """A rule collection group of a policy: the rules."""
    FIREWALL = "microsoft.network/azurefirewalls"
    """A firewall with classic rules (or a reference to its policy)."""
    IP_GROUP = "microsoft.network/ipgroups"
    """A named list of addresses that rules refer to by id."""


_CLASSIC_COLLECTIONS: Final = (
    "natRuleCollections",
    "networkRuleCollections",
    "applicationRuleCollections",
)
"""Where an ``azureFirewalls`` resource keeps its classic rules."""
_POLICY_FIELDS: Final = ("basePolicy", "dnsSettings", "threatIntelMode", "ruleCollectionGroups")
"""Fields only a firewall policy has, to recognize one exported without its ``type``."""


@dataclass(frozen=True)
class Expressions:
    """What an ARM template's expressions may refer to; empty outside templates."""

    parameters: Mapping[str, Field] = field(default_factory=dict)
    """Template parameters by name (case-folded), as their ``defaultValue``."""
    variables: Mapping[str, Field] = field(default_factory=dict)
    """Template variables by name (case-folded)."""
    in_template: bool = False
    """Whether strings in ``[...]`` are expressions (only in a template)."""

    def text(self, value: Field) -> str:
        """A string field's text, its expression evaluated in a template."""
        raw = value.string()
        if not self.in_template or not raw.startswith("["):
            return raw
        if raw.startswith("[["):
            return raw[1:]
        if not raw.endswith("]"):
            raise value.error(f"{raw!r} is not a complete template expression")
        result = _Evaluator(self, value).evaluate(raw[1:-1])
        if not isinstance(result, str):
            raise value.error(f"template expression {raw!r} does not give a string")
        return result

    def value(self, item: Field) -> Field:
        """``item`` itself, or for a whole-value expression (``[parameters('ports')]``) the
        field it refers to."""
        raw = item.value
        if self.in_template and isinstance(raw, str) and raw.startswith("[") and raw.endswith("]"):
            if not raw.startswith("[["):
                result = _Evaluator(self, item).evaluate(raw[1:-1])
                if isinstance(result, Field):
                    return result
                return Field(item.doc, item.path, result, item.line)
        return item


_TOKEN: Final = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|'(?P<str>(?:[^']|'')*)'|(?P<int>-?\d+)|(?P<punct>[(),.\[\]]))"
)


class _Evaluator:
    """A recursive-descent reading of the template functions exports use."""

    def __init__(self, scope: Expressions, where: Field) -> None:
        self.scope = scope
        self.where = where
        self.text = ""
        self.pos = 0

    def evaluate(self, text: str) -> Any:
        self.text = text
        self.pos = 0
        result = self._expression()
        if self.text[self.pos :].strip():
            raise self._refuse(f"unexpected {self.text[self.pos :].strip()!r}")
        return result

    def _refuse(self, why: str) -> Exception:
        return self.where.error(
            f"template expression [{self.text}] is not one netfence evaluates ({why}):"
            " export the resources with their values (az ... show/list) instead"
        )

    def _next(self) -> re.Match[str]:
        match = _TOKEN.match(self.text, self.pos)
        if match is None:
            raise self._refuse(f"unexpected text at {self.text[self.pos :]!r}")
        self.pos = match.end()
        return match

    def _expect(self, punct: str) -> None:
        if self._next().group("punct") != punct:
            raise self._refuse(f"expected {punct!r}")

    def _peek(self, punct: str) -> bool:
        match = _TOKEN.match(self.text, self.pos)
        return match is not None and match.group("punct") == punct

    def _expression(self) -> Any:
        token = self._next()
        if token.group("str") is not None:
            return token.group("str").replace("''", "'")
        if token.group("int") is not None:
            return int(token.group("int"))
        name = token.group("name")
        if name is None:
            raise self._refuse(f"unexpected {token.group(0).strip()!r}")
        self._expect("(")
        arguments = self._arguments()
        return self._call(name.casefold(), arguments)

    def _arguments(self) -> list[Any]:
        arguments: list[Any] = []
        if self._peek(")"):
            self._next()
            return arguments
        while True:
            arguments.append(self._expression())
            punct = self._next().group("punct")
            if punct == ")":
                return arguments
            if punct != ",":
                raise self._refuse("expected ',' or ')'")

    def _call(self, name: str, arguments: list[Any]) -> Any:
        if name in ("parameters", "variables") and len(arguments) == 1:
            table = self.scope.parameters if name == "parameters" else self.scope.variables
            key = str(arguments[0]).casefold()
            if key not in table:
                raise self._refuse(f"{name}({arguments[0]!r}) is not defined or has no value")
            found = table[key]
            if isinstance(found.value, str):
                return self.scope.text(found)
            return found
        if name == "concat":
            return "".join(self._string(a) for a in arguments)
        if name == "resourceid" and len(arguments) >= 2:
            return _resource_id([self._string(a) for a in arguments])
        raise self._refuse(f"function {name}()")

    def _string(self, value: Any) -> str:
        if isinstance(value, Field):
            value = value.value
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
        raise self._refuse("concat() of a value that is not a string")


def _resource_id(arguments: list[str]) -> str:
    """``resourceId([subscription, group,] type, name...)`` as the id's path: the parts netfence
    resolves references by are the type's segments and the names."""
    for i, part in enumerate(arguments):
        if "/" in part and "." in part.split("/")[0]:
            kind, names = part, arguments[i + 1 :]
            segments = kind.split("/")
            path = f"/providers/{segments[0]}"
            for segment, name in zip(segments[1:], names, strict=False):
                path += f"/{segment}/{name}"
            return path
    return "/".join(arguments)


@dataclass(frozen=True)
class Resource:
    """One Azure resource of a kind the language reads, wherever it was written."""

    kind: ResourceKind
    """Its type."""
    name: str
    """Its own name (the last segment of ``policy/group``)."""
    parent: str | None
    """For a rule collection group: the name of its policy, where the export says it."""
    node: Field
    """The resource object as written."""
    body: Field
    """Where its own fields are: ``properties`` (ARM/REST, templates) or the object itself
    (az CLI, flattened)."""
    expressions: Expressions
    """How to read its strings (template expressions, in a template)."""

    def text(self, value: Field) -> str:
        """A string of this resource, its template expression evaluated."""
        return self.expressions.text(value)


def collect_resources(root: Field) -> list[Resource]:
    """Every resource of a kind the language reads, in the order written; other resources
    (virtual networks, public addresses in a template) are left alone."""
    expressions = _template_scope(root)
    return [
        resource
        for node, parent_type, parent_name in _resource_nodes(root, expressions)
        if (resource := _resource(node, parent_type, parent_name, expressions)) is not None
    ]


def resource_name_of_id(text: str) -> str:
    """The last name in a resource id (``.../ipGroups/arc-nodes`` gives ``arc-nodes``)."""
    return text.rstrip("/").rsplit("/", 1)[-1]


def _template_scope(root: Field) -> Expressions:
    """The parameters and variables of an ARM template; an empty scope for other exports."""
    if not isinstance(root.value, dict):
        return Expressions()
    resources = root.get("resources")
    if resources is None or not resources.is_list():
        return Expressions()
    parameters: dict[str, Field] = {}
    declared = root.get("parameters")
    for key, entry in declared.entries() if declared is not None else ():
        default = entry.get("defaultValue") if isinstance(entry.value, dict) else None
        if default is not None:
            parameters[key.casefold()] = default
    variables = root.get("variables")
    return Expressions(
        parameters=parameters,
        variables={k.casefold(): v for k, v in variables.entries()} if variables else {},
        in_template=True,
    )


def _resource_nodes(
    root: Field, expressions: Expressions
) -> Iterator[tuple[Field, str | None, str | None]]:
    """(resource object, parent's type, parent's name) for every object the export holds."""
    if root.is_list():
        for item in root.items():
            yield item, None, None
        return
    if not isinstance(root.value, dict):
        return
    if expressions.in_template:
        yield from _template_nodes(root.require("resources"), expressions, None, None)
        return
    listed = root.get("value")
    if listed is not None and listed.is_list():
        yield from ((item, None, None) for item in listed.items())
        return
    yield root, None, None


def _template_nodes(
    resources: Field, expressions: Expressions, parent_type: str | None, parent_name: str | None
) -> Iterator[tuple[Field, str | None, str | None]]:
    """Template resources, children nested under ``resources`` included."""
    for item in resources.items():
        yield item, parent_type, parent_name
        nested = item.get("resources") if isinstance(item.value, dict) else None
        if nested is not None and item.get("type") is not None and item.get("name") is not None:
            own_type = _full_type(expressions.text(item.require("type")), parent_type)
            own_name = expressions.text(item.require("name"))
            full_name = f"{parent_name}/{own_name}" if parent_name else own_name
            yield from _template_nodes(nested, expressions, own_type, full_name)


def _full_type(given: str, parent_type: str | None) -> str:
    """A nested template resource's type in full (``ruleCollectionGroups`` under a policy)."""
    if parent_type is not None and "/" not in given:
        return f"{parent_type}/{given}"
    return given


def _resource(
    node: Field, parent_type: str | None, parent_name: str | None, expressions: Expressions
) -> Resource | None:
    if not isinstance(node.value, dict):
        raise node.error("expected a resource object")
    properties = node.get("properties")
    body = properties if properties is not None and isinstance(properties.value, dict) else node
    kind = _kind(node, body, parent_type, expressions)
    if kind is None:
        return None
    name, parent = _names(node, kind, parent_name, expressions)
    return Resource(kind, name, parent, node, body, expressions)


def _kind(
    node: Field, body: Field, parent_type: str | None, expressions: Expressions
) -> ResourceKind | None:
    """The resource's kind, by its ``type`` where given, else by the fields it has."""
    given = node.get("type")
    if given is not None:
        full = _full_type(expressions.text(given), parent_type).casefold()
        for kind in ResourceKind:
            if full == kind.value:
                return kind
        return None
    fields = body.mapping()
    if "ruleCollections" in fields:
        return ResourceKind.RULE_COLLECTION_GROUP
    if any(key in fields for key in _CLASSIC_COLLECTIONS):
        return ResourceKind.FIREWALL
    if "ipAddresses" in fields:
        return ResourceKind.IP_GROUP
    if any(key in fields for key in _POLICY_FIELDS):
        return ResourceKind.POLICY
    return None


def _names(
    node: Field, kind: ResourceKind, parent_name: str | None, expressions: Expressions
) -> tuple[str, str | None]:
    """(own name, policy name) from ``name`` (``policy/group`` in templates) and ``id``."""
    name_field = node.get("name")
    full = expressions.text(name_field) if name_field is not None else ""
    if parent_name is not None:
        full = f"{parent_name}/{full}"
    id_field = node.get("id")
    resource_id = expressions.text(id_field) if id_field is not None else ""
    parent: str | None = None
    if kind is ResourceKind.RULE_COLLECTION_GROUP:
        if "/" in full:
            parent, full = full.rsplit("/", 1)
            parent = resource_name_of_id(parent)
        else:
            match = re.search(r"/firewallPolicies/([^/]+)/ruleCollectionGroups/", resource_id, re.I)
            parent = match.group(1) if match else None
    if not full and resource_id:
        full = resource_name_of_id(resource_id)
    return resource_name_of_id(full) if full else "", parent

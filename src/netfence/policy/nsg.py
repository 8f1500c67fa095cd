"""Azure network security groups (NSGs) compiled into firewall layers, one per NSG.

An NSG holds security rules, each with a priority (100-4096, lower first), a direction, an
access, a protocol, address prefixes and port ranges; Azure evaluates the rules of a
direction in priority order and the first that matches decides. Below every NSG's own rules
sit six default rules Azure applies whether or not an export lists them: inbound
``AllowVnetInBound`` (65000), ``AllowAzureLoadBalancerInBound`` (65001), ``DenyAllInBound``
(65500), outbound ``AllowVnetOutBound`` (65000), ``AllowInternetOutBound`` (65001),
``DenyAllOutBound`` (65500).

The reader takes every shape the NSG comes in: the ARM/REST resource (fields under
``properties``), the az CLI's flattened output (``az network nsg show`` / ``list`` / ``rule
list [--include-default]``, ``{"NewNSG": ...}``), an ARM template's resources, PowerShell's
``ConvertTo-Json`` with PascalCase keys (keys are matched without regard to case), and the
effective rules of a network interface (``az network nic list-effective-nsg``), whose service
tags come already expanded into prefixes and which yields one layer per NSG association.

Service tags are expanded with the Service Tags file given; ``VirtualNetwork`` with the
effective-rules expansion or the virtual network's address space given; ``AzureLoadBalancer``
is the platform address 168.63.129.16; ``Internet`` is the public address space outside the
virtual network. What cannot be expanded stays a named set on the rule ("cannot decide").
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from netfence.errors import InputError
from netfence.model.firewall import (
    Destinations,
    FirewallKind,
    FirewallLayer,
    FirewallMatch,
    FirewallRule,
    FirewallRuleOrigin,
    LayerNote,
    LayerSettings,
    TrafficDirection,
)
from netfence.model.layers import Action
from netfence.model.origin import Origin
from netfence.policy.interface import Capability, FirewallContext, FirewallLanguage
from netfence.sets.intervals import IntervalSet
from netfence.sets.ipranges import PUBLIC_ADDRESSES, IPRangeSet
from netfence.sets.ports import OTHER, PortSet
from netfence.sources.fields import Field
from netfence.sources.service_tags import ServiceTags
from netfence.sources.yamldocs import Document

CUSTOM_PRIORITIES: Final = range(100, 4097)
"""The priorities a custom security rule may take; the default rules sit above them."""
AZURE_LOAD_BALANCER: Final = IPRangeSet.from_cidr("168.63.129.16/32")
"""What the ``AzureLoadBalancer`` tag stands for: the host's virtual IP, where Azure's health
probes come from."""
UNPUBLISHED_TAGS: Final = frozenset({"azureplatformdns", "azureplatformimds", "azureplatformlkm"})
"""Tags NSG rules accept that the Service Tags file does not list: without their ranges they
stay unexpanded even when a file is given."""

_ARRAYS: Final = ("securityRules", "defaultSecurityRules")
_NSG_TYPE: Final = "microsoft.network/networksecuritygroups"
_RULE_TYPE: Final = "microsoft.network/networksecuritygroups/securityrules"
_RULE_NAME: Final = re.compile(r"\w(?:[\w.\-]{0,78}\w)?")
_TAG_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*")
_PORT_RANGE: Final = re.compile(r"(\d{1,5})(?:-(\d{1,5}))?")
_ACCESS: Final = {"allow": Action.ALLOW, "deny": Action.DENY}
_DIRECTION: Final = {"inbound": TrafficDirection.INBOUND, "outbound": TrafficDirection.OUTBOUND}
_PROTOCOLS: Final = ("Tcp", "Udp", "Icmp", "Esp", "Ah", "*", "All")
_OTHER_PROTOCOL: Final = {"esp": 50, "ah": 51}
_PAIRS: Final = (
    ("sourceAddressPrefix", "sourceAddressPrefixes"),
    ("destinationAddressPrefix", "destinationAddressPrefixes"),
    ("sourcePortRange", "sourcePortRanges"),
    ("destinationPortRange", "destinationPortRanges"),
)


@dataclass(frozen=True)
class DefaultRule:
    """One of the rules Azure puts below every NSG's own rules."""

    name: str
    """Its name in ``defaultSecurityRules``."""
    direction: TrafficDirection
    """The direction it judges."""
    priority: int
    """Its priority (65000, 65001 or 65500)."""
    access: str
    """``Allow`` or ``Deny``."""
    source: str
    """Its source prefix (a tag or ``*``)."""
    destination: str
    """Its destination prefix (a tag or ``*``)."""

    def as_export(self) -> dict[str, Any]:
        """The rule as the az CLI lists it, to be read like any other."""
        return {
            "name": self.name,
            "protocol": "*",
            "sourcePortRange": "*",
            "destinationPortRange": "*",
            "sourceAddressPrefix": self.source,
            "destinationAddressPrefix": self.destination,
            "access": self.access,
            "priority": self.priority,
            "direction": self.direction.value,
        }


_IN, _OUT = TrafficDirection.INBOUND, TrafficDirection.OUTBOUND
DEFAULT_RULES: Final = (
    DefaultRule("AllowVnetInBound", _IN, 65000, "Allow", "VirtualNetwork", "VirtualNetwork"),
    DefaultRule("AllowAzureLoadBalancerInBound", _IN, 65001, "Allow", "AzureLoadBalancer", "*"),
    DefaultRule("DenyAllInBound", _IN, 65500, "Deny", "*", "*"),
    DefaultRule("AllowVnetOutBound", _OUT, 65000, "Allow", "VirtualNetwork", "VirtualNetwork"),
    DefaultRule("AllowInternetOutBound", _OUT, 65001, "Allow", "*", "Internet"),
    DefaultRule("DenyAllOutBound", _OUT, 65500, "Deny", "*", "*"),
)
"""The default rules, as Azure applies them to every NSG."""

CAPABILITIES: Final = (
    Capability("securityRules", True, ""),
    Capability("defaultSecurityRules", True, ""),
    Capability("serviceTags", True, ""),
    Capability("VirtualNetwork", True, ""),
    Capability("Internet", True, ""),
    Capability("AzureLoadBalancer", True, ""),
    Capability(
        "sourcePortRanges",
        False,
        "a rule limited to some source ports is 'cannot decide' for the flows it may match",
    ),
    Capability(
        "applicationSecurityGroups",
        False,
        "which addresses an application security group holds is not in the NSG: rules naming"
        " one are 'cannot decide' for the flows it may match",
    ),
    Capability(
        "templateExpressions",
        False,
        "ARM template expressions are not evaluated: an address or port written as one is"
        " 'cannot decide'",
    ),
)
"""What of NSGs netfence models, and what becomes "cannot decide"."""


class NSGLanguage(FirewallLanguage):
    """Azure NSGs in every exported shape: one layer per NSG (per association, for effective
    rules), default rules included."""

    kind = FirewallKind.NSG
    capabilities = CAPABILITIES

    def recognizes(self, text: str, root: Field | None) -> bool:
        """Whether the JSON is an NSG, a list of NSGs or rules, effective rules, or an ARM
        template with NSG resources."""
        return root is not None and _is_nsg_shape(root.value)

    def read(
        self, text: str, root: Field | None, label: str, context: FirewallContext
    ) -> list[FirewallLayer]:
        """Every NSG of the export as a layer; InputError for what Azure would refuse."""
        if root is None:
            raise InputError(f"{label}: an NSG export is JSON (az, ARM/REST or PowerShell output)")
        groups = list(_groups(root, label))
        if not groups:
            raise root.error("no NSG, security rule or effective rules in this export")
        return [_compile(group, context) for group in groups]


# -- finding the NSGs in an export ---------------------------------------------------------


@dataclass
class _Group:
    """One NSG (or one effective-rules association) as found in the export, before compiling."""

    name: str
    """The layer's name: the NSG's, with its association for effective rules."""
    where: Field
    """The NSG's object in the export (the layer's origin)."""
    rules: list[tuple[Field, bool]] = field(default_factory=list)
    """Each rule with whether it is one of the default rules."""
    effective: bool = False
    """Whether the rules are effective rules (tags already expanded by Azure)."""
    extra: dict[str, str] = field(default_factory=dict)
    """Settings for the layer: its id, resource group, and what it is attached to."""
    tag_map: dict[str, IPRangeSet] = field(default_factory=dict)
    """Tags expanded by the export itself (effective rules' ``tagMap``), by case-folded name."""


def _get(obj: Field, key: str) -> Field | None:
    """Entry ``key`` of a mapping, its case ignored (PowerShell writes PascalCase keys)."""
    mapping = obj.mapping()
    if key in mapping:
        return obj.get(key)
    wanted = key.casefold()
    for actual in mapping:
        if isinstance(actual, str) and actual.casefold() == wanted:
            return obj.get(actual)
    return None


def _keys(value: Any) -> set[str]:
    """The case-folded keys of a parsed mapping (none for anything else)."""
    return {k.casefold() for k in value if isinstance(k, str)} if isinstance(value, dict) else set()


def _value_of(value: Any, key: str) -> Any:
    """Entry ``key`` of a parsed mapping, case ignored; None when absent or not a mapping."""
    if not isinstance(value, dict):
        return None
    wanted = key.casefold()
    return next((v for k, v in value.items() if str(k).casefold() == wanted), None)


def _properties(obj: Field) -> Field:
    """Where an object's own fields are: under ``properties`` (ARM/REST) or at the top (az)."""
    props = _get(obj, "properties")
    return props if props is not None and isinstance(props.value, dict) else obj


def _is_rule(value: Any) -> bool:
    """Whether a parsed value is one security rule (flattened or under ``properties``)."""
    keys = _keys(value) | _keys(_value_of(value, "properties"))
    return {"priority", "direction", "access"} <= keys


def _is_nsg(value: Any) -> bool:
    """Whether a parsed value is one NSG, in any of its shapes."""
    type_name = _value_of(value, "type")
    if isinstance(type_name, str) and type_name.casefold() == _NSG_TYPE:
        return True
    keys = _keys(value) | _keys(_value_of(value, "properties"))
    return bool({"securityrules", "defaultsecurityrules"} & keys)


def _is_effective(value: Any) -> bool:
    """Whether a parsed value is effective rules: one association, or a ``value`` list of them."""
    if "effectivesecurityrules" in _keys(value):
        return True
    listed = _value_of(value, "value")
    return isinstance(listed, list) and bool(listed) and _is_effective(listed[0])


def _is_template(value: Any) -> bool:
    """Whether a parsed value is an ARM template with NSG or security-rule resources."""
    resources = _value_of(value, "resources")
    return isinstance(resources, list) and any(
        str(_value_of(r, "type")).casefold() in (_NSG_TYPE, _RULE_TYPE) for r in resources
    )


def _is_nsg_shape(value: Any) -> bool:
    """Whether a parsed export is any of the NSG shapes (the recognizer)."""
    if isinstance(value, list):
        return bool(value) and (_is_rule(value[0]) or _is_nsg(value[0]) or _is_effective(value[0]))
    if not isinstance(value, dict):
        return False
    if _keys(value) == {"newnsg"}:
        return True
    listed = _value_of(value, "value")
    if isinstance(listed, list) and listed and _is_nsg(listed[0]):
        return True
    return _is_nsg(value) or _is_effective(value) or _is_template(value) or _is_rule(value)


def _groups(root: Field, label: str) -> Iterator[_Group]:
    """Every NSG in the export, whatever its shape."""
    value = root.value
    if isinstance(value, list):
        if value and all(_is_rule(item) for item in value):
            yield _rule_list(list(root.items()), label)
            return
        for item in root.items():
            yield from _groups(item, label)
        return
    root.mapping()
    if _keys(value) == {"newnsg"}:
        yield from _groups(_require(root, "NewNSG"), label)
    elif _is_effective(value) and "effectivesecurityrules" not in _keys(value):
        for index, item in enumerate(_require(root, "value").items()):
            yield _effective(item, label, index)
    elif _is_effective(value):
        yield _effective(root, label, 0)
    elif _is_template(value):
        yield from _template(root)
    elif _is_nsg(value):
        yield _nsg(root, label)
    elif _get(root, "value") is not None and (listed := _require(root, "value")).is_list():
        for item in listed.items():
            yield from _groups(item, label)
    elif _is_rule(value):
        yield _rule_list([root], label)
    else:
        raise root.error(
            "not an NSG export: expected an NSG (securityRules), a list of NSGs or security"
            " rules, effective rules (effectiveSecurityRules), or an ARM template with NSG resources"
        )


def _require(obj: Field, key: str) -> Field:
    """Entry ``key``, case ignored; an error when it is missing."""
    found = _get(obj, key)
    return found if found is not None else obj.require(key)


def _string(obj: Field, key: str) -> str | None:
    """Entry ``key`` as a string, case ignored; None when absent."""
    found = _get(obj, key)
    return found.string() if found is not None else None


def _last_segment(resource_id: str) -> str:
    """The last segment of an Azure resource id: the resource's name."""
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def _ids(obj: Field, key: str) -> list[str]:
    """The ``id`` of each entry of a list of references (``subnets``, ``networkInterfaces``)."""
    found = _get(obj, key)
    ids = []
    for item in found.items() if found is not None else ():
        ref = _string(item, "id")
        if ref:
            ids.append(ref)
    return ids


def _nsg(obj: Field, label: str) -> _Group:
    """One NSG object (ARM/REST, az or PowerShell): its rules and attachments."""
    props = _properties(obj)
    name = _string(obj, "name") or _file_stem(label)
    group = _Group(name, obj)
    for array in _ARRAYS:
        rules = _get(props, array)
        for rule in rules.items() if rules is not None else ():
            group.rules.append((rule, array == "defaultSecurityRules"))
    for key, attached in (
        ("subnets", _ids(props, "subnets")),
        ("networkInterfaces", _ids(props, "networkInterfaces")),
    ):
        if attached:
            group.extra[key] = ", ".join(attached)
    for key in ("id", "resourceGroup", "resourceGroupName", "location"):
        text = _get(obj, key)
        if text is not None and isinstance(text.value, str) and not text.value.startswith("["):
            group.extra["resourceGroup" if key == "resourceGroupName" else key] = text.value
    return group


def _rule_list(rules: list[Field], label: str) -> _Group:
    """``az network nsg rule list``: rules without their NSG, whose name their ids carry."""
    name = _file_stem(label)
    for rule in rules:
        rule_id = _string(rule, "id") or ""
        match = re.search(r"/networkSecurityGroups/([^/]+)/", rule_id, re.IGNORECASE)
        if match:
            name = match.group(1)
            break
    group = _Group(name, rules[0])
    for rule in rules:
        group.rules.append(
            (rule, "/defaultsecurityrules/" in (_string(rule, "id") or "").casefold())
        )
    return group


def _effective(item: Field, label: str, index: int) -> _Group:
    """One association of ``list-effective-nsg``: the NSG and where it is attached."""
    nsg_ref = _get(item, "networkSecurityGroup")
    nsg_id = _string(nsg_ref, "id") if nsg_ref is not None else None
    name = _last_segment(nsg_id) if nsg_id else f"{_file_stem(label)}[{index}]"
    extra: dict[str, str] = {"effective": "true"}
    if nsg_id:
        extra["id"] = nsg_id
    association = _get(item, "association")
    for key in ("subnet", "networkInterface"):
        ref = _get(association, key) if association is not None else None
        ref_id = _string(ref, "id") if ref is not None else None
        if ref_id:
            extra["association"] = key
            extra[f"{key}s"] = ref_id
            name = f"{name} ({key} {_last_segment(ref_id)})"
    group = _Group(name, item, effective=True, extra=extra, tag_map=_tag_map(item))
    for rule in _require(item, "effectiveSecurityRules").items():
        rule_name = _string(rule, "name") or ""
        group.rules.append((rule, rule_name.startswith("defaultSecurityRules/")))
    return group


def _tag_map(item: Field) -> dict[str, IPRangeSet]:
    """Effective rules' ``tagMap``: each tag with the prefixes Azure expanded it to."""
    found = _get(item, "tagMap")
    if found is None:
        return {}
    if not isinstance(found.value, dict):
        raise found.error("expected a mapping of service tags to lists of prefixes")
    expanded: dict[str, IPRangeSet] = {}
    for tag, prefixes in found.entries():
        networks = []
        for prefix in prefixes.items():
            try:
                networks.append(ipaddress.ip_network(_text(prefix), strict=False))
            except ValueError:
                raise prefix.error(f"invalid address prefix {prefix.value!r}") from None
        expanded[tag.casefold()] = IPRangeSet.from_cidrs(networks)
    return expanded


def _template(root: Field) -> Iterator[_Group]:
    """An ARM template: NSG resources, with rules nested or as child resources."""
    groups: dict[str, _Group] = {}
    children: list[Field] = []
    for resource in _require(root, "resources").items():
        type_name = (_string(resource, "type") or "").casefold()
        if type_name == _NSG_TYPE:
            group = _nsg(resource, root.doc.file)
            groups[group.name] = group
        elif type_name == _RULE_TYPE:
            children.append(resource)
    for child in children:
        parent, _, _ = _require(child, "name").string().partition("/")
        if parent not in groups:
            raise _require(child, "name").error(
                f"security rule resource of NSG {parent!r}, which the template does not define"
            )
        groups[parent].rules.append((child, False))
    yield from groups.values()


def _file_stem(label: str) -> str:
    """The file's name without directory or extension, for layers the export leaves unnamed."""
    stem = label.replace("\\", "/").rsplit("/", 1)[-1]
    return stem.rsplit(".", 1)[0] if "." in stem else stem


# -- compiling one NSG -----------------------------------------------------------------------


@dataclass
class _Scope:
    """What a rule's tags expand to, and what the layer could not take exactly."""

    service_tags: ServiceTags | None
    """The Service Tags file given, if any."""
    virtual_network: IPRangeSet | None
    """The virtual network's address space given, if any."""
    expansions: dict[str, IPRangeSet] = field(default_factory=dict)
    """Tags the export expands itself, by case-folded name; they come first."""
    notes: list[str] = field(default_factory=list)
    """What the layer could not take exactly, once each."""

    def note(self, message: str) -> None:
        """Record ``message`` once."""
        if message not in self.notes:
            self.notes.append(message)


@dataclass(frozen=True)
class _Parsed:
    """One rule read, with the field to blame for a priority conflict."""

    rule: FirewallRule
    priority_field: Field | None


def _compile(group: _Group, context: FirewallContext) -> FirewallLayer:
    """One NSG as a layer: its rules checked, the missing default rules added, all in order."""
    scope = _Scope(context.service_tags, context.virtual_network, group.tag_map)
    parsed = [_parse_rule(rule, is_default, group.name, scope) for rule, is_default in group.rules]
    conflict = next(iter(_priority_conflicts(parsed)), None)
    if conflict is not None:
        raise conflict
    taken = {(p.rule.direction, p.rule.priority) for p in parsed}
    origin: Origin = group.where.location
    parsed.extend(
        _built_in(default, group, scope, origin)
        for default in DEFAULT_RULES
        if (default.direction, (default.priority,)) not in taken
    )
    rules = sorted(
        (p.rule for p in parsed),
        key=lambda r: (r.direction is TrafficDirection.OUTBOUND, r.priority),
    )
    return FirewallLayer(
        name=group.name,
        kind=FirewallKind.NSG,
        rules=tuple(rules),
        origin=origin,
        settings=LayerSettings(extra=dict(group.extra)),
        notes=tuple(LayerNote(message, origin) for message in scope.notes),
    )


def _built_in(default: DefaultRule, group: _Group, scope: _Scope, origin: Origin) -> _Parsed:
    """A default rule the export leaves out, as Azure applies it."""
    doc = Document(
        group.where.doc.file, group.where.doc.index, group.where.line, default.as_export()
    )
    parsed = _parse_rule(
        Field.root(doc, path=f"defaultSecurityRules[{default.name}]"), True, group.name, scope
    )
    built = replace(
        parsed.rule,
        origin=FirewallRuleOrigin(
            group.name,
            FirewallKind.NSG,
            f"defaultSecurityRules[{default.name}] (applied by Azure; not in the export)",
            default.name,
            origin,
        ),
        description="default rule Azure applies to every NSG",
    )
    return _Parsed(built, None)


def _priority_conflicts(parsed: Sequence[_Parsed]) -> list[InputError]:
    """Rules of one direction sharing a priority, which Azure refuses (SecurityRuleConflict)."""
    seen: dict[tuple[TrafficDirection, tuple[int, ...]], str] = {}
    errors = []
    for item in parsed:
        key = (item.rule.direction, item.rule.priority)
        name = item.rule.origin.name or item.rule.origin.path
        if key in seen and item.priority_field is not None:
            errors.append(
                item.priority_field.error(
                    f"rule {name!r} has the priority {key[1][0]} and direction {key[0].value} of"
                    f" rule {seen[key]!r}: rules of one direction cannot share a priority"
                )
            )
        seen.setdefault(key, name)
    return errors


def _parse_rule(rule: Field, is_default: bool, layer: str, scope: _Scope) -> _Parsed:
    """One security rule of any shape; effective rules' names say which array they are from."""
    props = _properties(rule)
    name = _string(rule, "name") or _string(props, "name")
    if name is not None and "/" in name:
        array, _, name = name.partition("/")
        is_default = is_default or array == "defaultSecurityRules"
    priority_field = _require(props, "priority")
    priority = _priority(priority_field, is_default or _is_named_default(name, priority_field))
    direction = _enum(_require(props, "direction"), _DIRECTION, "direction", "Inbound or Outbound")
    action = _enum(_require(props, "access"), _ACCESS, "access", "Allow or Deny")
    protocol_field = _require(props, "protocol")
    undecidable: list[str] = []
    source_ports = _ports(props, "sourcePortRange", "sourcePortRanges", undecidable)
    if source_ports is not None:
        undecidable.append(f"source ports {_spans(source_ports)}")
    destination_ports = _ports(props, "destinationPortRange", "destinationPortRanges", undecidable)
    sources, source_tags = _side(props, "source", scope, undecidable)
    destinations, destination_tags = _side(props, "destination", scope, undecidable)
    array = "defaultSecurityRules" if is_default else "securityRules"
    return _Parsed(
        FirewallRule(
            direction=direction,
            action=action,
            match=FirewallMatch(
                sources=sources,
                destinations=_destinations(destinations, destination_tags),
                services=_services(protocol_field, destination_ports),
                source_tags=source_tags,
            ),
            origin=FirewallRuleOrigin(
                layer, FirewallKind.NSG, f"{array}[{name or rule.path}]", name, rule.location
            ),
            priority=(priority,),
            undecidable=tuple(undecidable),
            description=_description(props),
            builtin=is_default,
        ),
        priority_field,
    )


def _destinations(addresses: IPRangeSet, tags: tuple[str, ...]) -> Destinations:
    """A rule's destinations; every address (``*``) also stands for every name, as in
    ``Destinations.anywhere``, since every name resolves to some address."""
    if addresses == IPRangeSet.everything():
        return Destinations.anywhere()
    return Destinations(addresses=addresses, tags=tags)


def _description(props: Field) -> str | None:
    """The rule's description, where it has one."""
    found = _get(props, "description")
    return (
        found.value if found is not None and isinstance(found.value, str) and found.value else None
    )


def _is_named_default(name: str | None, priority: Field) -> bool:
    """Whether a rule is one of the default rules by its name and priority."""
    return any(d.name == name and d.priority == priority.value for d in DEFAULT_RULES)


def _priority(value: Field, is_default: bool) -> int:
    """The rule's priority, in the range its kind of rule takes."""
    if isinstance(value.value, str) and value.value.startswith("["):
        raise value.error(f"{_EXPRESSION}: the priority decides the order")
    priority = value.integer()
    if not is_default and priority not in CUSTOM_PRIORITIES:
        raise value.error(
            f"priority {priority} out of range: a security rule takes {CUSTOM_PRIORITIES.start}"
            f"-{CUSTOM_PRIORITIES.stop - 1}"
        )
    if is_default and not 0 < priority <= 65535:
        raise value.error(f"priority {priority} out of range for a default rule")
    return priority


_EXPRESSION: Final = "an ARM template expression, which netfence does not evaluate"


def _enum(value: Field, choices: dict[str, Any], what: str, expected: str) -> Any:
    """A field whose value is one of ``choices`` (case ignored)."""
    text = value.string()
    if text.casefold() in choices:
        return choices[text.casefold()]
    if text.startswith("["):
        raise value.error(f"{what} {text!r} is {_EXPRESSION}")
    raise value.error(f"unknown {what} {text!r} (expected {expected})")


# -- fields ------------------------------------------------------------------------------------


def _texts(props: Field, singular: str, plural: str) -> list[Field] | None:
    """The strings of a singular-or-plural pair (PowerShell writes lists under the singular
    name); None when neither is given."""
    found: list[Field] = []
    given = False
    for key in (singular, plural):
        entry = _get(props, key)
        if entry is None:
            continue
        given = True
        found.extend(entry.items() if entry.is_list() else [entry])
    return found if given else None


def _ports(props: Field, singular: str, plural: str, undecidable: list[str]) -> IntervalSet | None:
    """The ports of a port-range pair; None for every port."""
    texts = _texts(props, singular, plural)
    if not texts:
        raise _missing(props, singular, f"required: {singular} or {plural}")
    spans: list[tuple[int, int]] = []
    for item in texts:
        text = _text(item)
        if text.startswith("["):
            undecidable.append(f"{item.path} is an ARM template expression")
            return None
        if text == "*":
            return None
        match = _PORT_RANGE.fullmatch(text)
        low, high = (
            (int(match.group(1)), int(match.group(2) or match.group(1))) if match else (-1, -1)
        )
        if not match or high > 65535 or low > high:
            raise item.error(
                f"invalid port range {text!r} (expected a port 0-65535, a range low-high, or *)"
            )
        spans.append((low, high))
    ports = IntervalSet(spans)
    return None if ports == IntervalSet.of(0, 65535) else ports


def _missing(props: Field, key: str, message: str) -> InputError:
    """An error naming a field the rule should have and has not."""
    path = f"{props.path}.{key}" if props.path else key
    return Field(props.doc, path, None, props.line).error(message)


def _text(item: Field) -> str:
    """A prefix or port string, refusing what PowerShell writes for values cut at its depth."""
    text = item.string().strip()
    if text.startswith("System.") and "[" in text:
        raise item.error(
            f"{text!r} is a PowerShell type name, not a value: ConvertTo-Json cut the object at"
            " its depth; export with ConvertTo-Json -Depth 10"
        )
    return text


def _spans(ports: IntervalSet) -> str:
    """Ports as the rules write them: ``80,1000-2000``."""
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports)


def _services(protocol_field: Field, ports: IntervalSet | None) -> PortSet:
    """What a rule's protocol and destination ports match."""
    protocol = _enum(
        protocol_field,
        {p.casefold(): p for p in _PROTOCOLS},
        "protocol",
        "Tcp, Udp, Icmp, Esp, Ah or *",
    ).casefold()
    if protocol in _OTHER_PROTOCOL:
        return PortSet.of(OTHER, _OTHER_PROTOCOL[protocol])
    if protocol == "icmp":
        # ICMP has no ports: Azure ignores the port fields for it.
        return PortSet.of("ICMP") | PortSet.of("ICMPv6")
    if ports is None:
        return PortSet.all() if protocol in ("*", "all") else PortSet.of(protocol.upper())
    names = ("TCP", "UDP") if protocol in ("*", "all") else (protocol.upper(),)
    return PortSet(dict.fromkeys(names, ports))


def _side(
    props: Field, side: str, scope: _Scope, undecidable: list[str]
) -> tuple[IPRangeSet, tuple[str, ...]]:
    """The addresses of a rule's source or destination, and the named sets left unexpanded."""
    expanded = _get(props, f"expanded{side.capitalize()}AddressPrefix")
    if expanded is not None and expanded.is_list() and expanded.value:
        return IPRangeSet.union_of(_address(item, scope)[0] for item in expanded.items()), ()
    prefixes = _texts(props, f"{side}AddressPrefix", f"{side}AddressPrefixes") or []
    groups = _get(props, f"{side}ApplicationSecurityGroups")
    asg_names = tuple(
        f"ApplicationSecurityGroup {_last_segment(_require(item, 'id').string())}"
        for item in (groups.items() if groups is not None else ())
    )
    if not prefixes and not asg_names:
        raise _missing(
            props,
            f"{side}AddressPrefix",
            f"required: {side}AddressPrefix, {side}AddressPrefixes or"
            f" {side}ApplicationSecurityGroups",
        )
    ranges, tags = [], list(asg_names)
    for item in prefixes:
        addresses, tag = _address(item, scope)
        ranges.append(addresses)
        if tag is not None:
            tags.append(tag)
    return IPRangeSet.union_of(ranges), tuple(tags)


def _address(item: Field, scope: _Scope) -> tuple[IPRangeSet, str | None]:
    """One address prefix: its addresses, or the tag it names when that cannot be expanded."""
    text = _text(item)
    if text == "*":
        return IPRangeSet.everything(), None
    if text.startswith("["):
        return IPRangeSet(), text
    if "/" in text or ":" in text or text.replace(".", "").isdigit():
        try:
            return IPRangeSet.from_cidr(ipaddress.ip_network(text, strict=False)), None
        except ValueError:
            raise item.error(
                f"invalid address prefix {text!r} (expected an IP address, a CIDR, * or a"
                " service tag)"
            ) from None
    if not _TAG_NAME.fullmatch(text):
        raise item.error(
            f"invalid address prefix {text!r} (expected an IP address, a CIDR, * or a service tag)"
        )
    return _tag(text, item, scope)


def _tag(name: str, item: Field, scope: _Scope) -> tuple[IPRangeSet, str | None]:
    """A service tag's addresses, or the tag itself when it cannot be expanded."""
    key = name.casefold()
    if key in scope.expansions:
        return scope.expansions[key], None
    if key == "virtualnetwork":
        return (
            (scope.virtual_network, None)
            if scope.virtual_network is not None
            else (IPRangeSet(), name)
        )
    if key == "azureloadbalancer":
        return AZURE_LOAD_BALANCER, None
    if key == "internet":
        return _internet(scope), None
    if scope.service_tags is None or key in UNPUBLISHED_TAGS:
        return IPRangeSet(), name
    addresses = scope.service_tags.lookup(name)
    if addresses is None:
        raise item.error(
            f"unknown service tag {name!r} (not in the service-tag file {scope.service_tags.file})"
        )
    return addresses, None


def _internet(scope: _Scope) -> IPRangeSet:
    """The ``Internet`` tag: the address space outside the virtual network that the public
    internet reaches (Azure's own public ranges included)."""
    if scope.virtual_network is None:
        scope.note(
            "the Internet tag was taken as every public address: without the virtual network's"
            " address space (--virtual-network) a virtual network using public addresses would"
            " wrongly count as Internet"
        )
        return PUBLIC_ADDRESSES
    return PUBLIC_ADDRESSES - scope.virtual_network


# -- checking generated rules ----------------------------------------------------------------


def validate_security_rules(rules: list[dict[str, Any]]) -> list[str]:
    """Problems Azure would refuse in a list of security rules (ARM shape with ``properties``,
    or flattened): fields, priorities (range, and unique per direction), ports, prefixes.

    Service tags are checked for their form only (no Service Tags file is consulted). An empty
    list means Azure would accept the rules.
    """
    root = Field.root(Document("<generated rules>", 1, 1, rules), path="rules")
    problems: list[str] = []
    scope = _Scope(None, None)
    parsed: list[_Parsed] = []
    names: set[str] = set()
    for item in root.items():
        try:
            problems.extend(_shape_problems(item, names))
            parsed.append(_parse_rule(item, False, "generated", scope))
        except InputError as error:
            problems.append(f"{error.field}: {error.message}")
    problems.extend(f"{error.field}: {error.message}" for error in _priority_conflicts(parsed))
    return problems


def _shape_problems(item: Field, names: set[str]) -> list[str]:
    """What the rule reader does not check because exports never have it: names and
    descriptions."""
    props = _properties(item)
    problems = []
    name = _string(item, "name")
    if not name:
        problems.append(f"{item.path}.name: required")
    elif not _RULE_NAME.fullmatch(name):
        problems.append(
            f"{item.path}.name: invalid rule name {name!r} (1-80 letters, digits, '_', '.' or"
            " '-', starting with a letter, digit or '_' and ending with one or '_')"
        )
    elif name.casefold() in names:
        problems.append(f"{item.path}.name: rule name {name!r} is used twice")
    else:
        names.add(name.casefold())
    description = _get(props, "description")
    if description is not None and len(str(description.value)) > 140:
        problems.append(f"{description.path}: longer than 140 characters")
    for singular, plural in _PAIRS:
        one, many = _get(props, singular), _get(props, plural)
        if one is not None and many is not None and one.value and many.value:
            problems.append(f"{many.path}: give {singular} or {plural}, not both")
        problems.extend(_host_bits(text) for text in _texts(props, singular, plural) or ())
    return [problem for problem in problems if problem]


def _host_bits(prefix: Field) -> str:
    """A prefix written with host bits (``10.0.0.5/24``): reading takes it as its network,
    but a generator should write the network itself."""
    text = prefix.value if isinstance(prefix.value, str) else ""
    if "/" not in text:
        return ""
    try:
        written = ipaddress.ip_interface(text)
    except ValueError:
        return ""  # the rule reader reports it
    if written.ip == written.network.network_address:
        return ""
    return f"{prefix.path}: {text!r} has host bits set; write {str(written.network)!r}"

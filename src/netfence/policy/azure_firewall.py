"""Azure Firewall as a firewall layer: Firewall Policy rule collection groups and classic rules.

A policy's rules are judged in stages, whatever their priorities: every DNAT rule first, then
every network rule, then every application rule. Within a stage, rule collection groups go by
priority (lower number first), the collections inside a group by theirs; a parent policy's
(``basePolicy``) groups come before its child's. The first rule that matches decides; what no
rule matches meets Azure's built-in infrastructure rule collection (platform names netfence
does not list, so a note), then the default deny. Classic rules on an ``azureFirewalls``
resource are judged the same way, by collection priority.

Azure Firewall rules have no direction. The layer holds each network and application rule
twice, once per direction, in the same order (one rule list judging both ways), and each DNAT
rule once, inbound, as an allow of its *translated* destination, the cluster side it exposes.

What a rule matches on that the model cannot express is kept as its undecidable reasons
(target URLs' paths, geographies, Kubernetes selector groups, a ``*name`` pattern's names
without a dot, fields netfence does not know); named sets not expanded are kept as tags
(service tags without a service-tag file, FQDN tags, web categories, IP Groups not in any
export): verdicts that depend on them are "cannot decide", never a silent allow or deny.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

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
    RuleStage,
    TrafficDirection,
)
from netfence.model.layers import Action
from netfence.policy.azure_resources import (
    Resource,
    ResourceKind,
    collect_resources,
    resource_name_of_id,
)
from netfence.policy.azure_sdk import sdk_problems
from netfence.policy.interface import Capability, FirewallContext, FirewallLanguage
from netfence.sets.intervals import IntervalSet
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.names import DomainPatternSet, normalize_pattern
from netfence.sets.ports import PortSet
from netfence.sources.exports import parse_json_export
from netfence.sources.fields import Field
from netfence.sources.service_tags import ServiceTags

STAGES: Final = (RuleStage.DNAT, RuleStage.NETWORK, RuleStage.APPLICATION)
"""The order Azure Firewall judges rule kinds in, regardless of priority."""
MIN_PRIORITY: Final = 100
"""Lowest (first) priority of a rule collection group or collection."""
MAX_PRIORITY: Final = 65000
"""Highest (last) priority of a rule collection group or collection."""
MAX_APPLICATION_PORT: Final = 64000
"""Largest port an application rule's protocol may name."""
APPLICATION_PORTS: Final = {"http": 80, "https": 443, "mssql": 1433}
"""Application protocols with the port each uses when the rule gives none."""
NETWORK_PROTOCOLS: Final = ("TCP", "UDP", "ICMP", "Any")
"""What a network rule's protocol list may hold."""

FQDN_TAG: Final = "fqdnTag:"
"""Prefix of an FQDN tag (``fqdnTag:WindowsUpdate``) in rule tags: FQDN tags and service tags
share names (``AzureKubernetesService``) but not meanings."""
WEB_CATEGORY: Final = "webCategory:"
"""Prefix of a web category in rule tags."""
IP_GROUP: Final = "ipGroup:"
"""Prefix of an IP Group found in no export, in rule tags."""
NAME_PATTERN: Final = "fqdnPattern:"
"""Prefix of a ``*name`` pattern (``*contoso.com``), whose names without a dot before
``contoso.com`` no name set can hold."""

_SERVICE_TAG: Final = re.compile(r"[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*")
"""What a service tag looks like (``AzureCloud``, ``Storage.WestEurope``)."""
_ENVELOPE: Final = frozenset(
    {"id", "name", "type", "etag", "resourceGroup", "provisioningState", "size", "location"}
)
"""Keys around a rule collection group's own fields in az CLI output."""

_POLICY_RULE_FIELDS: Final = {
    "NetworkRule": frozenset(
        {
            "name", "description", "ruleType", "ipProtocols", "sourceAddresses",
            "sourceIpGroups", "destinationAddresses", "destinationIpGroups",
            "destinationFqdns", "destinationPorts",
        }
    ),
    "ApplicationRule": frozenset(
        {
            "name", "description", "ruleType", "sourceAddresses", "sourceIpGroups",
            "protocols", "targetFqdns", "targetUrls", "fqdnTags", "webCategories",
            "destinationAddresses", "terminateTLS", "httpHeadersToInsert",
        }
    ),
    "NatRule": frozenset(
        {
            "name", "description", "ruleType", "ipProtocols", "sourceAddresses",
            "sourceIpGroups", "destinationAddresses", "destinationPorts",
            "translatedAddress", "translatedFqdn", "translatedPort",
        }
    ),
}  # fmt: skip
"""The fields of each policy rule kind that netfence reads (the Azure API's, less those in
:data:`UNMODELLED_FIELDS`)."""
UNMODELLED_FIELDS: Final = {
    "sourceGeoLocations": "the source's geography, which addresses do not tell",
    "destinationGeoLocations": "the destination's geography, which addresses do not tell",
    "sourceKubeSelectorGroups": "Kubernetes selector groups, which the firewall resolves itself",
}
"""Fields of the Azure API a rule may match on that the model cannot express, with why."""
_CLASSIC_RULE_FIELDS: Final = {
    RuleStage.NETWORK: frozenset(
        {
            "name", "description", "protocols", "sourceAddresses", "sourceIpGroups",
            "destinationAddresses", "destinationIpGroups", "destinationFqdns",
            "destinationPorts",
        }
    ),
    RuleStage.APPLICATION: frozenset(
        {"name", "description", "sourceAddresses", "sourceIpGroups", "protocols",
         "targetFqdns", "fqdnTags"}
    ),
    RuleStage.DNAT: frozenset(
        {
            "name", "description", "protocols", "sourceAddresses", "sourceIpGroups",
            "destinationAddresses", "destinationPorts", "translatedAddress",
            "translatedFqdn", "translatedPort",
        }
    ),
}  # fmt: skip
"""The fields of each classic rule kind."""
_CLASSIC_COLLECTIONS: Final = {
    "natRuleCollections": RuleStage.DNAT,
    "networkRuleCollections": RuleStage.NETWORK,
    "applicationRuleCollections": RuleStage.APPLICATION,
}
"""Where a classic firewall keeps each kind of rule."""
_SDK_RULE_MODELS: Final = {
    RuleStage.NETWORK: "AzureFirewallNetworkRule",
    RuleStage.APPLICATION: "AzureFirewallApplicationRule",
    RuleStage.DNAT: "AzureFirewallNatRule",
}
"""The SDK's model of each classic rule kind."""

INFRASTRUCTURE_NOTE: Final = (
    "flows no rule matches meet Azure Firewall's built-in infrastructure rule collection"
    " before the default deny: it allows Azure platform names (the storage and diagnostics"
    " the platform itself uses) that netfence does not list, so a flow to such a name may be"
    " allowed where netfence says deny"
)
"""The note every Azure Firewall layer carries: what the default deny leaves out."""


class AzureFirewallLanguage(FirewallLanguage):
    """Azure Firewall Policy rule collection groups (ARM/REST, az CLI, ARM templates) and
    classic ``azureFirewalls`` rules, compiled into one layer per policy or firewall."""

    kind = FirewallKind.AZURE_FIREWALL
    capabilities = (
        Capability("ruleProcessingOrder", True, ""),
        Capability("basePolicy", True, ""),
        Capability("sourceAddresses", True, ""),
        Capability("ipGroups", True, ""),
        Capability("destinationAddresses", True, ""),
        Capability(
            "serviceTags", True, "without --service-tags a tag is 'cannot decide' for addresses"
        ),
        Capability("destinationFqdns", True, ""),
        Capability("targetFqdns", True, ""),
        Capability(
            "targetUrls",
            False,
            "only some paths of a URL's host are allowed: flows to the host are 'cannot decide'",
        ),
        Capability("fqdnTags", False, "flows that may be in the tag are 'cannot decide'"),
        Capability("webCategories", False, "flows that may be in the category are 'cannot decide'"),
        Capability("dnat", True, "modelled as an inbound allow of the translated destination"),
        Capability(
            "geoLocations", False, "flows the rule may match by geography are 'cannot decide'"
        ),
        Capability("kubeSelectorGroups", False, "flows from the selected pods are 'cannot decide'"),
        Capability(
            "infrastructureRuleCollection",
            False,
            "platform names it allows are not listed: a note says a default deny may be an allow",
        ),
        Capability(
            "threatIntelMode", False, "in Deny mode, listed malicious peers are denied first"
        ),
        Capability("intrusionDetection", False, "in Deny mode, signatures may drop allowed flows"),
    )

    def recognizes(self, text: str, root: Field | None) -> bool:
        """An export holding a firewall policy, a rule collection group or an azureFirewalls
        resource (an NSG, nftables ruleset or IP Group alone is not one)."""
        if root is None:
            return False
        try:
            resources = collect_resources(root)
        except InputError:
            return False
        return any(r.kind is not ResourceKind.IP_GROUP for r in resources)

    def read(
        self, text: str, root: Field | None, label: str, context: FirewallContext
    ) -> list[FirewallLayer]:
        """One layer per policy (with its parents' rules first) and per classic firewall."""
        if root is None:
            raise InputError(f"{label}: an Azure Firewall export is JSON")
        own = collect_resources(root)
        related = [r for export in context.related for r in collect_resources(export)]
        index = _Index.of([*own, *related])
        reader = _Reader(index, context, _stem(label))
        layers = reader.layers(own, root)
        if not layers:
            raise root.error(
                "no firewall policy, rule collection group or azureFirewalls resource found"
            )
        return layers


def validate_rule_collection_group(body: dict[str, object]) -> list[str]:
    """What Azure would refuse in one rule collection group in its ARM/REST shape (``name``,
    ``properties.priority``, ``properties.ruleCollections``): the SDK's models where
    installed, then netfence's own reading. Empty when valid."""
    import json

    text = json.dumps(body, indent=1)
    try:
        root = parse_json_export(text, "rule collection group")
    except InputError as error:
        return [str(error)]
    problems = [
        f"{where.path or '(body)'}: {message}"
        for where, message in sdk_problems(root, "FirewallPolicyRuleCollectionGroup")
    ]
    if not isinstance(root.value, dict) or "properties" not in root.value:
        return [*problems, "(body): expected the ARM/REST shape, with 'properties'"]
    try:
        language = AzureFirewallLanguage()
        language.read(text, root, "rule collection group", FirewallContext())
    except InputError as error:
        own = f"{error.field}: {error.message}"
        if own not in problems:
            problems.append(own)
    return problems


def _stem(label: str) -> str:
    """A layer name from a file name, for exports that do not name their policy."""
    base = label.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base


@dataclass(frozen=True)
class _Index:
    """Every resource of the export and its related exports, by what rules refer to."""

    policies: dict[str, Resource]
    """Firewall policies by case-folded name."""
    groups: dict[str, list[Resource]]
    """Rule collection groups by their policy's case-folded name (``""`` when unnamed)."""
    ip_groups: dict[str, Resource]
    """IP Groups by case-folded name (rules refer to them by id, whose last part it is)."""

    @classmethod
    def of(cls, resources: Iterable[Resource]) -> _Index:
        index = cls({}, {}, {})
        for resource in resources:
            key = resource.name.casefold()
            if resource.kind is ResourceKind.POLICY:
                index.policies.setdefault(key, resource)
            elif resource.kind is ResourceKind.IP_GROUP:
                index.ip_groups.setdefault(key, resource)
            elif resource.kind is ResourceKind.RULE_COLLECTION_GROUP:
                parent = (resource.parent or "").casefold()
                known = index.groups.setdefault(parent, [])
                if all(g.name.casefold() != key for g in known):
                    known.append(resource)
        return index


@dataclass(frozen=True)
class _Compiled:
    """One rule in its stage with its sort key, before the two directions are laid out."""

    key: tuple[int, ...]
    """(stage, policy level, group priority, group order, collection priority, collection
    order, rule order): sorting by it gives Azure's evaluation order."""
    rule: FirewallRule
    """The compiled rule."""


@dataclass
class _Reader:
    """Compiles the layers of one export with what the related exports add."""

    index: _Index
    """What rules may refer to, from the export and the related exports."""
    context: FirewallContext
    """Service tags and related exports."""
    default_name: str
    """The layer's name where the export names no policy (the file's name)."""
    notes: list[LayerNote] = field(default_factory=list)
    """Notes of the layer being compiled."""
    dns_proxy: bool | None = None
    """The DNS proxy setting of the layer being compiled (None: unknown)."""

    def layers(self, own: Sequence[Resource], root: Field) -> list[FirewallLayer]:
        firewalls = [r for r in own if r.kind is ResourceKind.FIREWALL]
        return [
            *(self._firewall_layer(firewall) for firewall in firewalls),
            *(self._policy_layer(name, root) for name in _policy_names(own, self.default_name)),
        ]

    # -- policies -------------------------------------------------------------------------

    def _policy_layer(self, name: str, root: Field) -> FirewallLayer:
        chain = self._policy_chain(name, root)
        own = self.index.policies.get(name.casefold())
        self.notes = [LayerNote(INFRASTRUCTURE_NOTE, own.node.location if own else None)]
        settings = self._policy_settings(chain)
        self.dns_proxy = settings.dns_proxy
        compiled: list[_Compiled] = []
        for level, policy in enumerate(chain):
            groups = self._groups_of(policy)
            prefix = "" if policy.casefold() == name.casefold() else f"basePolicy {policy}: "
            for seq, group in enumerate(groups):
                compiled.extend(self._group(group, name, level, seq, prefix))
        return FirewallLayer(
            name=name,
            kind=FirewallKind.AZURE_FIREWALL,
            rules=_laid_out(compiled),
            origin=(own.node if own else root).location,
            settings=settings,
            notes=tuple(self.notes),
        )

    def _policy_chain(self, name: str, root: Field) -> list[str]:
        """The policy and its parents, the topmost parent first."""
        chain = [name]
        while (policy := self.index.policies.get(chain[-1].casefold())) is not None:
            base = policy.body.get("basePolicy")
            if base is None:
                break
            parent = resource_name_of_id(policy.text(base.require("id")))
            if parent.casefold() in (c.casefold() for c in chain):
                raise base.error(f"policy {parent!r} is its own parent (basePolicy cycle)")
            if parent.casefold() not in self.index.policies and parent.casefold() not in (
                self.index.groups
            ):
                raise base.require("id").error(
                    f"parent policy {parent!r} is in no export given: its rules come before"
                    " every rule of this policy, so no verdict could be decided; give its"
                    " export (the policy and its rule collection groups) too"
                )
            chain.append(parent)
        return list(reversed(chain))

    def _groups_of(self, policy: str) -> list[Resource]:
        groups = list(self.index.groups.get(policy.casefold(), []))
        if policy.casefold() == self.default_name.casefold():
            groups += [g for g in self.index.groups.get("", []) if g not in groups]
        resource = self.index.policies.get(policy.casefold())
        listed = resource.body.get("ruleCollectionGroups") if resource else None
        have = {g.name.casefold() for g in groups}
        for ref in listed.items() if listed is not None else ():
            wanted = resource_name_of_id(resource.text(ref.require("id"))) if resource else ""
            if wanted.casefold() not in have:
                raise ref.error(
                    f"rule collection group {wanted!r} of policy {policy!r} is in no export"
                    " given: give its export (az network firewall policy rule-collection-group"
                    " list) too"
                )
        return sorted(groups, key=lambda g: _priority(g, g.body.require("priority")))

    def _policy_settings(self, chain: Sequence[str]) -> LayerSettings:
        """The policy's settings, each from the nearest policy of the chain that sets it."""
        policies = [
            p for name in reversed(chain) if (p := self.index.policies.get(name.casefold()))
        ]
        if not policies:
            return LayerSettings()
        proxy = next((v for p in policies if (v := _dns_proxy(p)) is not None), False)
        mode = _first(_text_at(p, "threatIntelMode") for p in policies)
        idps = _first(_text_at(p, "intrusionDetection", "mode") for p in policies)
        extra = {"intrusionDetection.mode": idps} if idps else {}
        if len(chain) > 1:
            extra["basePolicy"] = chain[-2]
        location = policies[0].node.get("location")
        if location is not None and isinstance(location.value, str):
            extra["location"] = policies[0].text(location)
        self._mode_notes(policies[0], mode, idps)
        return LayerSettings(dns_proxy=proxy, threat_intel_mode=mode, extra=extra)

    def _mode_notes(self, policy: Resource, threat_intel: str | None, idps: str | None) -> None:
        where = policy.node.location
        if threat_intel is not None and threat_intel.casefold() == "deny":
            self.notes.append(
                LayerNote(
                    "threatIntelMode Deny: flows to or from the addresses and names on"
                    " Microsoft's threat-intelligence list are denied before any rule; netfence"
                    " does not know the list",
                    where,
                )
            )
        if idps is not None and idps.casefold() == "deny":
            self.notes.append(
                LayerNote(
                    "intrusionDetection mode Deny: flows a signature matches are dropped even"
                    " where a rule allows them",
                    where,
                )
            )

    def _group(
        self, group: Resource, layer: str, level: int, seq: int, prefix: str
    ) -> Iterator[_Compiled]:
        priority = _priority(group, group.body.require("priority"))
        collections = group.body.get("ruleCollections")
        if not group.expressions.in_template:
            _refuse_sdk_problems(group.body)
        for c_seq, collection in enumerate(collections.items() if collections else ()):
            yield from self._collection(
                group, collection, layer, (level, priority, seq), c_seq, prefix
            )

    def _collection(
        self,
        group: Resource,
        collection: Field,
        layer: str,
        group_key: tuple[int, int, int],
        c_seq: int,
        prefix: str,
    ) -> Iterator[_Compiled]:
        kind = group.text(collection.require("ruleCollectionType"))
        priority = _priority(group, collection.require("priority"))
        action_field = collection.require("action").require("type")
        action = group.text(action_field).casefold()
        c_name = group.text(collection.require("name"))
        if kind.casefold() == "firewallpolicynatrulecollection":
            if action != "dnat":
                raise action_field.error(f"a NAT rule collection's action is DNAT, not {action!r}")
            allowed, verdict = {"natrule"}, Action.ALLOW
        elif kind.casefold() == "firewallpolicyfilterrulecollection":
            if action not in ("allow", "deny"):
                raise action_field.error(f"expected Allow or Deny, got {action!r}")
            allowed = {"networkrule", "applicationrule"}
            verdict = Action.ALLOW if action == "allow" else Action.DENY
        else:
            raise collection.require("ruleCollectionType").error(
                f"unknown rule collection type {kind!r} (expected"
                " FirewallPolicyFilterRuleCollection or FirewallPolicyNatRuleCollection)"
            )
        for r_seq, rule in enumerate(collection.require("rules").items()):
            type_field = rule.require("ruleType")
            rule_type = group.text(type_field)
            if rule_type.casefold() not in allowed:
                raise type_field.error(f"rule type {rule_type!r} does not belong in a {kind}")
            stage = {
                "natrule": RuleStage.DNAT,
                "networkrule": RuleStage.NETWORK,
                "applicationrule": RuleStage.APPLICATION,
            }[rule_type.casefold()]
            path = (
                f"{prefix}ruleCollectionGroups[{group.name}].ruleCollections[{c_name}]"
                f".rules[{_rule_name(group, rule, r_seq)}]"
            )
            known = _POLICY_RULE_FIELDS[_canonical_type(rule_type)]
            spec = _RuleSpec(group, rule, stage, verdict, layer, path, known, "ipProtocols")
            key = (STAGES.index(stage), *group_key, priority, c_seq, r_seq)
            for compiled in self._rule(spec):
                yield _Compiled(key, replace(compiled, priority=(group_key[1], priority)))

    # -- classic firewalls ----------------------------------------------------------------

    def _firewall_layer(self, firewall: Resource) -> FirewallLayer:
        name = firewall.name or self.default_name
        has_classic = any(firewall.body.get(k) for k in _CLASSIC_COLLECTIONS)
        policy_ref = firewall.body.get("firewallPolicy")
        if policy_ref is not None and not has_classic:
            policy = resource_name_of_id(firewall.text(policy_ref.require("id")))
            if policy.casefold() not in self.index.policies and policy.casefold() not in (
                self.index.groups
            ):
                raise policy_ref.require("id").error(
                    f"the firewall's rules are in policy {policy!r}, which is in no export"
                    " given: give its rule collection groups too"
                )
            return self._policy_layer(policy, firewall.node)
        self.notes = [LayerNote(INFRASTRUCTURE_NOTE, firewall.node.location)]
        self.dns_proxy = _classic_dns_proxy(firewall)
        mode = _text_at(firewall, "threatIntelMode")
        self._mode_notes(firewall, mode, None)
        compiled: list[_Compiled] = []
        for key, stage in _CLASSIC_COLLECTIONS.items():
            collections = firewall.body.get(key)
            for c_seq, collection in enumerate(collections.items() if collections else ()):
                compiled.extend(
                    self._classic_collection(firewall, name, key, stage, collection, c_seq)
                )
        return FirewallLayer(
            name=name,
            kind=FirewallKind.AZURE_FIREWALL,
            rules=_laid_out(compiled),
            origin=firewall.node.location,
            settings=LayerSettings(dns_proxy=self.dns_proxy, threat_intel_mode=mode),
            notes=tuple(self.notes),
        )

    def _classic_collection(
        self,
        firewall: Resource,
        layer: str,
        key: str,
        stage: RuleStage,
        collection: Field,
        c_seq: int,
    ) -> Iterator[_Compiled]:
        properties = collection.get("properties")
        body = properties if properties is not None else collection
        priority = _priority(firewall, body.require("priority"))
        action_field = body.require("action").require("type")
        action = firewall.text(action_field).casefold()
        expected = ("dnat",) if stage is RuleStage.DNAT else ("allow", "deny")
        if action not in expected:
            raise action_field.error(
                f"expected {' or '.join(a.capitalize() for a in expected)}, got {action!r}"
                + (" (netfence reads DNAT collections only)" if stage is RuleStage.DNAT else "")
            )
        verdict = Action.DENY if action == "deny" else Action.ALLOW
        c_name = firewall.text(collection.require("name"))
        for r_seq, rule in enumerate(body.require("rules").items()):
            if not firewall.expressions.in_template:
                _refuse_problems(sdk_problems(rule, _SDK_RULE_MODELS[stage]))
            path = f"{key}[{c_name}].rules[{_rule_name(firewall, rule, r_seq)}]"
            spec = _RuleSpec(
                firewall,
                rule,
                stage,
                verdict,
                layer,
                path,
                _CLASSIC_RULE_FIELDS[stage],
                "protocols",
            )
            sort_key = (STAGES.index(stage), 0, 0, 0, priority, c_seq, r_seq)
            for compiled in self._rule(spec):
                yield _Compiled(sort_key, replace(compiled, priority=(priority,)))

    # -- rules ----------------------------------------------------------------------------

    def _rule(self, spec: _RuleSpec) -> list[FirewallRule]:
        """The rule as FirewallRules (one per direction; two for an application rule with
        target URLs, whose URL part is undecidable)."""
        undecidable = _unmodelled(spec)
        sources, source_tags = self._sources(spec)
        if spec.stage is RuleStage.DNAT:
            return [self._dnat(spec, sources, source_tags, undecidable)]
        if spec.stage is RuleStage.NETWORK:
            matches = [self._network_match(spec, sources, source_tags, undecidable)]
        else:
            matches = self._application_matches(spec, sources, source_tags, undecidable)
        return [
            spec.rule_for(direction, match, reasons)
            for match, reasons in matches
            for direction in (TrafficDirection.OUTBOUND, TrafficDirection.INBOUND)
        ]

    def _sources(self, spec: _RuleSpec) -> tuple[IPRangeSet, tuple[str, ...]]:
        addresses, _ = self._addresses(spec, spec.rule.get("sourceAddresses"), tags_allowed=False)
        groups, tags = self._ip_groups(spec, spec.rule.get("sourceIpGroups"))
        if not addresses and not groups and not tags:
            raise spec.rule.error("a rule needs sourceAddresses or sourceIpGroups")
        return addresses | groups, tags

    def _network_match(
        self,
        spec: _RuleSpec,
        sources: IPRangeSet,
        source_tags: tuple[str, ...],
        undecidable: list[str],
    ) -> tuple[FirewallMatch, list[str]]:
        addresses, tags = self._addresses(spec, spec.rule.get("destinationAddresses"), True)
        groups, group_tags = self._ip_groups(spec, spec.rule.get("destinationIpGroups"))
        fqdns = spec.rule.get("destinationFqdns")
        names = _names(spec, fqdns, wildcards=False)[0]
        reasons = list(undecidable)
        if names and self.dns_proxy is not True:
            reasons.append(
                "destinationFqdns without the firewall's DNS proxy (dnsSettings.enableProxy):"
                " the firewall and its clients may resolve the names to different addresses"
            )
        destinations = Destinations(addresses | groups, names, (*tags, *group_tags))
        if not destinations:
            raise spec.rule.error(
                "a network rule needs destinationAddresses, destinationIpGroups or destinationFqdns"
            )
        services = _network_services(spec, spec.rule.get(spec.protocols_key), dnat=False)
        return FirewallMatch(sources, destinations, services, source_tags), reasons

    def _application_matches(
        self,
        spec: _RuleSpec,
        sources: IPRangeSet,
        source_tags: tuple[str, ...],
        undecidable: list[str],
    ) -> list[tuple[FirewallMatch, list[str]]]:
        services = _application_services(spec)
        names, name_tags = _names(spec, spec.rule.get("targetFqdns"), wildcards=True)
        addresses, address_tags = self._addresses(spec, spec.rule.get("destinationAddresses"), True)
        tags = (
            *name_tags,
            *address_tags,
            *(FQDN_TAG + t for t in _strings(spec, spec.rule.get("fqdnTags"))),
            *(WEB_CATEGORY + t for t in _strings(spec, spec.rule.get("webCategories"))),
        )
        matches: list[tuple[FirewallMatch, list[str]]] = []
        destinations = Destinations(addresses, names, tags)
        if destinations:
            matches.append(
                (FirewallMatch(sources, destinations, services, source_tags), undecidable)
            )
        url_names, url_reasons = _urls(spec)
        if url_names:
            url_match = FirewallMatch(sources, Destinations(names=url_names), services, source_tags)
            matches.append((url_match, [*undecidable, *url_reasons]))
        if not matches:
            raise spec.rule.error(
                "an application rule needs targetFqdns, targetUrls, fqdnTags, webCategories"
                " or destinationAddresses"
            )
        return matches

    def _dnat(
        self,
        spec: _RuleSpec,
        sources: IPRangeSet,
        source_tags: tuple[str, ...],
        undecidable: list[str],
    ) -> FirewallRule:
        """An inbound allow of the translated destination: what the rule exposes."""
        rule = spec.rule
        public, _ = self._addresses(spec, rule.get("destinationAddresses"), tags_allowed=False)
        if not public:
            raise rule.error("a DNAT rule needs destinationAddresses (the firewall's address)")
        ports = rule.require("destinationPorts")
        protocols = _network_services(spec, rule.get(spec.protocols_key), dnat=True, ports=ports)
        translated_port = rule.get("translatedPort")
        target_ports = _port_span(spec, translated_port) if translated_port is not None else None
        services = (
            PortSet(dict.fromkeys(protocols.protocols(), target_ports))
            if target_ports is not None
            else protocols
        )
        destinations = self._translated(spec)
        exposed = (
            f"DNAT {public.compact()} {protocols.describe()} to"
            f" {_describe_destinations(destinations)} {services.describe()}"
        )
        own = _description(spec)
        match = FirewallMatch(sources, destinations, services, source_tags)
        return replace(
            spec.rule_for(TrafficDirection.INBOUND, match, undecidable),
            description=f"{exposed}; {own}" if own else exposed,
        )

    def _translated(self, spec: _RuleSpec) -> Destinations:
        address = spec.rule.get("translatedAddress")
        fqdn = spec.rule.get("translatedFqdn")
        if address is not None:
            addresses, _ = _address_term(spec, address, spec.text(address), None)
            return Destinations(addresses=addresses)
        if fqdn is not None:
            return Destinations(names=_names_of(spec, [fqdn], wildcards=False)[0])
        raise spec.rule.error("a DNAT rule needs translatedAddress or translatedFqdn")

    def _addresses(
        self, spec: _RuleSpec, items: Field | None, tags_allowed: bool
    ) -> tuple[IPRangeSet, tuple[str, ...]]:
        """Addresses, prefixes, ranges, ``*`` and (for destinations) service tags."""
        sets: list[IPRangeSet] = []
        tags: list[str] = []
        for item in spec.items(items):
            tags_from = self.context.service_tags if tags_allowed else None
            found, tag = _address_term(spec, item, spec.text(item), tags_from, tags_allowed)
            sets.append(found)
            if tag is not None:
                tags.append(tag)
        return IPRangeSet.union_of(sets), tuple(tags)

    def _ip_groups(
        self, spec: _RuleSpec, items: Field | None
    ) -> tuple[IPRangeSet, tuple[str, ...]]:
        """IP Groups by id: their addresses where an export holds the group, else a tag."""
        sets: list[IPRangeSet] = []
        tags: list[str] = []
        for item in spec.items(items):
            name = resource_name_of_id(spec.text(item))
            group = self.index.ip_groups.get(name.casefold())
            if group is None:
                tags.append(IP_GROUP + name)
                continue
            listed = group.body.get("ipAddresses")
            for entry in listed.items() if listed is not None else ():
                found, _ = _address_term(spec, entry, group.text(entry), None)
                sets.append(found)
        return IPRangeSet.union_of(sets), tuple(tags)


@dataclass(frozen=True)
class _RuleSpec:
    """One rule as written, with what it needs to become FirewallRules."""

    resource: Resource
    """The group or firewall it is in (for template expressions)."""
    rule: Field
    """The rule object."""
    stage: RuleStage
    """Its kind: DNAT, network or application."""
    action: Action
    """Its collection's action."""
    layer: str
    """The layer's name."""
    path: str
    """Its place, for its origin."""
    known_fields: frozenset[str]
    """The fields of its kind that netfence reads."""
    protocols_key: str
    """Where its network protocols are: ``ipProtocols`` (policy) or ``protocols`` (classic)."""

    def text(self, value: Field) -> str:
        """A string of the rule, template expressions evaluated."""
        return self.resource.text(value)

    def items(self, items: Field | None) -> Iterator[Field]:
        """The items of a list field (a whole-list template expression evaluated)."""
        if items is None:
            return iter(())
        return self.resource.expressions.value(items).items()

    def rule_for(
        self, direction: TrafficDirection, match: FirewallMatch, reasons: Sequence[str]
    ) -> FirewallRule:
        """The rule for one direction, with its origin."""
        terminate = self.rule.get("terminateTLS")
        name = self.rule.get("name")
        return FirewallRule(
            direction=direction,
            action=self.action,
            match=match,
            origin=FirewallRuleOrigin(
                layer=self.layer,
                kind=FirewallKind.AZURE_FIREWALL,
                path=self.path,
                name=self.text(name) if name is not None else None,
                origin=self.rule.location,
            ),
            stage=self.stage,
            undecidable=tuple(reasons),
            inspects_tls=terminate.boolean() if terminate is not None else False,
            description=_description(self),
        )


def _policy_names(own: Sequence[Resource], default_name: str) -> list[str]:
    """The policies the export holds (by their resource or their groups), in order."""
    names: list[str] = []
    for resource in own:
        if resource.kind is ResourceKind.POLICY:
            name = resource.name or default_name
        elif resource.kind is ResourceKind.RULE_COLLECTION_GROUP:
            name = resource.parent or default_name
        else:
            continue
        if name.casefold() not in (n.casefold() for n in names):
            names.append(name)
    return names


def _laid_out(compiled: list[_Compiled]) -> tuple[FirewallRule, ...]:
    """Rules in evaluation order: by stage, parent policy first, group, collection, rule."""
    return tuple(c.rule for c in sorted(compiled, key=lambda c: c.key))


def _refuse_sdk_problems(group_body: Field) -> None:
    """The first thing the Azure SDK's models refuse in a group, as an InputError; unknown
    fields are left to the rules' own reading, which turns them into undecidable reasons."""
    _refuse_problems(
        sdk_problems(group_body, "FirewallPolicyRuleCollectionGroupProperties", _ENVELOPE)
    )


def _refuse_problems(problems: Iterable[tuple[Field, str]]) -> None:
    for where, message in problems:
        if not message.startswith("unknown field"):
            raise where.error(message)


def _priority(resource: Resource, value: Field) -> int:
    number = resource.expressions.value(value).integer()
    if not MIN_PRIORITY <= number <= MAX_PRIORITY:
        raise value.error(f"priority {number} is outside {MIN_PRIORITY}-{MAX_PRIORITY}")
    return number


def _rule_name(resource: Resource, rule: Field, seq: int) -> str:
    name = rule.get("name") if isinstance(rule.value, dict) else None
    return resource.text(name) if name is not None else str(seq)


def _canonical_type(rule_type: str) -> str:
    return next(t for t in _POLICY_RULE_FIELDS if t.casefold() == rule_type.casefold())


def _description(spec: _RuleSpec) -> str | None:
    found = spec.rule.get("description")
    return spec.text(found) or None if found is not None else None


def _first(values: Iterable[str | None]) -> str | None:
    return next((value for value in values if value is not None), None)


def _text_at(resource: Resource, *keys: str) -> str | None:
    current: Field | None = resource.body
    for key in keys:
        current = (
            current.get(key) if current is not None and isinstance(current.value, dict) else None
        )
    return resource.text(current) if current is not None else None


def _dns_proxy(policy: Resource) -> bool | None:
    settings = policy.body.get("dnsSettings")
    proxy = settings.get("enableProxy") if settings is not None else None
    return policy.expressions.value(proxy).boolean() if proxy is not None else None


def _classic_dns_proxy(firewall: Resource) -> bool:
    """A classic firewall's DNS proxy: ``additionalProperties["Network.DNS.EnableProxy"]``."""
    extra = firewall.body.get("additionalProperties")
    for key, value in extra.entries() if extra is not None else ():
        if key.casefold() == "network.dns.enableproxy" and value.value is not None:
            return str(value.value).casefold() == "true"
    return False


def _unmodelled(spec: _RuleSpec) -> list[str]:
    """Why the rule may match flows the model cannot tell: unmodelled and unknown fields."""
    reasons: list[str] = []
    for key, value in spec.rule.entries():
        if value.value in (None, [], "", {}) or key in spec.known_fields:
            continue
        if key in UNMODELLED_FIELDS:
            reasons.append(f"{key}: {UNMODELLED_FIELDS[key]}")
        else:
            reasons.append(f"{key}: a field netfence does not know, so what it matches is unknown")
    return reasons


def _address_term(
    spec: _RuleSpec,
    item: Field,
    text: str,
    service_tags: ServiceTags | None,
    tags_allowed: bool = False,
) -> tuple[IPRangeSet, str | None]:
    """One address entry: ``*``, an address, a prefix, a range ``a-b``, or a service tag."""
    token = text.strip()
    if token == "*":
        return IPRangeSet.everything(), None
    if "-" in token:
        return _address_range(item, token), None
    try:
        return IPRangeSet.from_cidrs([ipaddress.ip_network(token, strict=False)]), None
    except ValueError:
        pass
    if tags_allowed and _SERVICE_TAG.fullmatch(token):
        return _service_tag(item, token, service_tags)
    what = (
        "an address, prefix, range, * or service tag"
        if tags_allowed
        else ("an address, prefix, range or *")
    )
    raise item.error(f"{token!r} is not {what}")


def _address_range(item: Field, token: str) -> IPRangeSet:
    low_text, _, high_text = token.partition("-")
    try:
        low, high = ipaddress.ip_address(low_text.strip()), ipaddress.ip_address(high_text.strip())
    except ValueError:
        raise item.error(f"{token!r} is not an address range (first-last)") from None
    if low.version != high.version or int(low) > int(high):
        raise item.error(f"{token!r} is not an address range (first-last, one family)")
    span = IntervalSet.of(int(low), int(high))
    return IPRangeSet(v4=span) if low.version == 4 else IPRangeSet(v6=span)


def _service_tag(
    item: Field, token: str, service_tags: ServiceTags | None
) -> tuple[IPRangeSet, str | None]:
    """A service tag's addresses from the service-tag file; the tag itself without one."""
    if service_tags is None:
        return IPRangeSet(), token
    found = service_tags.lookup(token)
    if found is None:
        raise item.error(f"unknown service tag {token!r} (not in {service_tags.file})")
    return found, None


def _port_span(spec: _RuleSpec, value: Field) -> IntervalSet:
    """``443``, ``8000-8999`` or ``*``."""
    raw = spec.resource.expressions.value(value).value
    text = str(raw).strip() if isinstance(raw, int | str) and not isinstance(raw, bool) else None
    if text is None:
        raise value.error("expected a port, a range first-last, or *")
    if text == "*":
        return IntervalSet.of(1, 65535)
    low, _, high = text.partition("-")
    if not low.strip().isdigit() or high and not high.strip().isdigit():
        raise value.error(f"{text!r} is not a port, a range first-last, or *")
    first, last = int(low), int(high or low)
    if not 1 <= first <= last <= 65535:
        raise value.error(f"{text!r} is not a port range within 1-65535")
    return IntervalSet.of(first, last)


def _network_services(
    spec: _RuleSpec, protocols: Field | None, dnat: bool, ports: Field | None = None
) -> PortSet:
    """Protocols with the destination ports: TCP/UDP take the ports; ICMP all its values;
    Any is TCP, UDP and ICMP."""
    if protocols is None or not protocols.value:
        raise (protocols or spec.rule).error(f"{spec.protocols_key}: required")
    ports = ports if ports is not None else spec.rule.get("destinationPorts")
    names: set[str] = set()
    for item in spec.items(protocols):
        given = spec.text(item)
        found = next((p for p in NETWORK_PROTOCOLS if p.casefold() == given.casefold()), None)
        if found is None or dnat and found == "ICMP":
            expected = "TCP, UDP or Any" if dnat else "TCP, UDP, ICMP or Any"
            raise item.error(f"unknown protocol {given!r} (expected {expected})")
        if found != "Any":
            names.add(found)
        else:
            names |= {"TCP", "UDP"} if dnat else {"TCP", "UDP", "ICMP"}
    span = IntervalSet()
    if names & {"TCP", "UDP"}:
        if ports is None or not ports.value:
            raise (ports or spec.rule).error("destinationPorts: required for TCP and UDP")
        span = IntervalSet.union_of(_port_span(spec, p) for p in spec.items(ports))
    by_protocol = dict.fromkeys(names & {"TCP", "UDP"}, span)
    if "ICMP" in names:
        by_protocol["ICMP"] = PortSet.of("ICMP").ports("ICMP")
    return PortSet(by_protocol)


def _application_services(spec: _RuleSpec) -> PortSet:
    """An application rule's protocols: HTTP, HTTPS and MSSQL, each a TCP port."""
    span = IntervalSet()
    protocols = spec.rule.get("protocols")
    for item in spec.items(protocols):
        type_field = item.require("protocolType")
        given = spec.text(type_field)
        default = APPLICATION_PORTS.get(given.casefold())
        if default is None:
            raise type_field.error(f"unknown protocol {given!r} (expected Http, Https or Mssql)")
        port_field = item.get("port")
        port = spec.resource.expressions.value(port_field).integer() if port_field else default
        if not 1 <= port <= MAX_APPLICATION_PORT:
            raise (port_field or item).error(f"port {port} is outside 1-{MAX_APPLICATION_PORT}")
        span |= IntervalSet.of(port)
    if not span:
        if spec.rule.get("webCategories") is None and spec.rule.get("fqdnTags") is None:
            raise (protocols or spec.rule).error("protocols: required")
        span = IntervalSet.of(80) | IntervalSet.of(443)
    return PortSet({"TCP": span})


def _strings(spec: _RuleSpec, items: Field | None) -> list[str]:
    return [spec.text(item) for item in spec.items(items)]


def _names(
    spec: _RuleSpec, items: Field | None, wildcards: bool
) -> tuple[DomainPatternSet, tuple[str, ...]]:
    return _names_of(spec, list(spec.items(items)), wildcards)


def _names_of(
    spec: _RuleSpec, items: Sequence[Field], wildcards: bool
) -> tuple[DomainPatternSet, tuple[str, ...]]:
    """Names and patterns. A leading ``*`` matches anything to its left: ``*.contoso.com`` is
    every name under contoso.com; ``*contoso.com`` is that, contoso.com itself, and names such as
    ``mycontoso.com`` that no pattern set holds (kept as a tag)."""
    patterns: list[str] = []
    tags: list[str] = []
    for item in items:
        text = spec.text(item).strip()
        if "*" in text and not wildcards:
            raise item.error(
                f"{text!r}: network rules take exact names (wildcards are for application rules)"
            )
        if text.startswith("*") and not text.startswith("*.") and text != "*":
            patterns += [_pattern(item, text[1:]), _pattern(item, "*." + text[1:])]
            tags.append(NAME_PATTERN + text)
        else:
            patterns.append(_pattern(item, text))
    return DomainPatternSet(patterns), tuple(tags)


def _pattern(item: Field, text: str) -> str:
    try:
        return normalize_pattern(text)
    except ValueError as error:
        raise item.error(str(error)) from None


def _urls(spec: _RuleSpec) -> tuple[DomainPatternSet, list[str]]:
    """The hosts of target URLs, with why flows to them cannot be decided: a URL allows some
    paths of its host only, and HTTPS paths are seen only with TLS inspection."""
    hosts: list[str] = []
    reasons: list[str] = []
    terminate = spec.rule.get("terminateTLS")
    inspected = terminate is not None and terminate.boolean()
    for item in spec.items(spec.rule.get("targetUrls")):
        url = spec.text(item).strip()
        rest = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", url)
        host, _, path = rest.partition("/")
        hosts.append(_pattern(item, host.split(":")[0]))
        reasons.append(
            f"targetUrls {url}: matches the path /{path} of the host only; netfence models"
            " names, not paths"
            + ("" if inspected else " (and without terminateTLS HTTPS paths are not seen)")
        )
    return DomainPatternSet(hosts), reasons


def _describe_destinations(destinations: Destinations) -> str:
    if destinations.addresses:
        return destinations.addresses.compact()
    return ", ".join(destinations.names)

"""The Private Link checks (the ``NF3xx`` family): their IDs, severities and guidance.

Every limit a check reports is stated in "Use private connectivity for Arc-enabled
Kubernetes clusters with private link (preview)" (ARC-PL below); the zones and names come
from "Azure Private Endpoint private DNS zone values" (PE-DNS).
"""

from __future__ import annotations

from typing import Final

from netfence.model.findings import CheckId, CheckInfo, Severity

_PL: Final = "ARC-PL: current limitations"
_DNS: Final = "ARC-PL / PE-DNS: DNS configuration"
_NET: Final = "ARC-PL: network configuration"

RESOLVES_PUBLIC: Final = CheckInfo(
    CheckId("NF301"),
    "Private Link name resolves to a public address",
    Severity.HIGH,
    description=(
        "A name the design reaches through a private endpoint resolves, through the resolver "
        "given, to a public address: traffic leaves over the internet instead of the private "
        "endpoint, or fails when the resource's public access is off. The on-premises "
        "resolvers must forward the public zone to a resolver that sees the privatelink zone."
    ),
    remediation=(
        "Forward the zone named to the VNet's resolver (DNS Private Resolver, a forwarder, or "
        "Azure Firewall DNS proxy), or add the private endpoint's A record to the privatelink "
        "zone."
    ),
    controls=(_DNS,),
)
OUTSIDE_SUBNETS: Final = CheckInfo(
    CheckId("NF302"),
    "Private Link name resolves to a private address outside the private-endpoint subnets",
    Severity.MEDIUM,
    description=(
        "The name resolves to a non-public address that is in none of the subnets the address "
        "plan gives private endpoints: a stale record, another private endpoint, or a manual "
        "record that does not match the endpoint's DNS configuration."
    ),
    remediation="Copy the A record from the private endpoint's DNS configuration.",
    controls=(_DNS,),
)
NOT_RESOLVING: Final = CheckInfo(
    CheckId("NF303"),
    "Private Link name does not resolve",
    Severity.MEDIUM,
    description=(
        "The name does not exist (NXDOMAIN) or has no A or AAAA record through the resolver: "
        "whoever needs it cannot connect. An empty record pre-created in a zone also overrides "
        "resolution."
    ),
    remediation="Create the record in the privatelink zone, or link the zone to the resolver.",
    controls=(_DNS,),
)
RESOLVER_FAILED: Final = CheckInfo(
    CheckId("NF304"),
    "Resolver failed for a Private Link name",
    Severity.MEDIUM,
    description=(
        "The resolver did not answer in time, answered SERVFAIL or REFUSED, or sent a "
        "malformed reply: what the name resolves to is unknown, not empty."
    ),
    remediation="Check the resolver and its forwarders, then run the check again.",
    controls=(_DNS,),
)
NOT_THROUGH_ZONE: Final = CheckInfo(
    CheckId("NF305"),
    "Private name answered without the privatelink zone",
    Severity.LOW,
    description=(
        "The name resolves to a private address, but its CNAME chain passes through none of "
        "the service's privatelink zones: the answer comes from a record overriding the public "
        "zone, which the documents advise against (automatic record management only works "
        "with the recommended privatelink zone names)."
    ),
    remediation="Serve the record from the privatelink zone and forward the public zone.",
    controls=(_DNS,),
)
NOT_CHECKED: Final = CheckInfo(
    CheckId("NF306"),
    "Private Link names not checked",
    Severity.INFO,
    description=(
        "Some needed names were not resolved: no resolver was given, the answer file does not "
        "list them, a name needs a value the settings do not give (a region, a region code), "
        "or the documents give no Arc zones for the cloud (Azure Government, 21Vianet)."
    ),
    remediation="Give --resolver or --dns-answers, or the missing value; check the rest by hand.",
)
PREVIEW: Final = CheckInfo(
    CheckId("NF307"),
    "Private Link for Arc-enabled Kubernetes is in preview",
    Severity.INFO,
    description="ARC-PL describes the feature as a preview.",
    remediation="Weigh the preview terms before relying on it in production.",
    controls=(_PL,),
)
UNSUPPORTED_REGION: Final = CheckInfo(
    CheckId("NF308"),
    "Private Link is not available in the region",
    Severity.HIGH,
    description="The preview is offered in every Arc-enabled Kubernetes region but Southeast Asia.",
    remediation="Use a supported region for the scope and its clusters.",
    controls=(_PL,),
)
UNSUPPORTED_FEATURE: Final = CheckInfo(
    CheckId("NF309"),
    "Cluster uses a feature Private Link does not support",
    Severity.HIGH,
    description=(
        "Cluster connect, and so custom locations, are not supported over private "
        "connectivity; neither are Arc-enabled data services or Container Apps on Arc."
    ),
    remediation="Disable the feature on the cluster, or keep the cluster off Private Link.",
    controls=(_PL,),
)
VNET_TWO_SCOPES: Final = CheckInfo(
    CheckId("NF310"),
    "One VNet holds the private endpoints of two scopes",
    Severity.HIGH,
    description="One Arc Private Link Scope per VNet is supported.",
    remediation="Keep one scope per VNet; associate the clusters with it.",
    controls=(_PL,),
)
CLUSTER_TWO_SCOPES: Final = CheckInfo(
    CheckId("NF311"),
    "A cluster is associated with two scopes",
    Severity.HIGH,
    description="A cluster connects to one Arc Private Link Scope only.",
    remediation="Associate the cluster with one scope.",
    controls=(_PL,),
)
REGION_MISMATCH: Final = CheckInfo(
    CheckId("NF312"),
    "Regions of cluster, scope, VNet or private endpoint differ",
    Severity.MEDIUM,
    description=(
        "The cluster, the scope and the VNet must be in one region, and the private endpoint "
        "in its VNet's region."
    ),
    remediation="Move the resource named into the same region.",
    controls=(_PL,),
)
SUBSCRIPTION_MISMATCH: Final = CheckInfo(
    CheckId("NF313"),
    "Subscriptions of cluster, scope and VNet differ",
    Severity.MEDIUM,
    description="During the preview the clusters, the VNet and the scope share a subscription.",
    remediation="Keep them in one subscription while the feature is in preview.",
    controls=(_PL,),
)
SHARED_WITH_PUBLIC: Final = CheckInfo(
    CheckId("NF314"),
    "Private Link and public Arc clusters share a VNet or DNS zone",
    Severity.HIGH,
    description=(
        "Arc resources with and without Private Link cannot share a VNet or DNS zone: the "
        "others must resolve the public endpoints, which the privatelink records override."
    ),
    remediation="Give clusters without Private Link their own network and DNS view.",
    controls=(_PL,),
)
NOT_APPLICABLE: Final = CheckInfo(
    CheckId("NF315"),
    "Private Link does not apply to AKS enabled by Azure Arc on Azure Local",
    Severity.HIGH,
    description=(
        "Azure Local does not support Private Link or private endpoints for itself or its "
        "components (the Azure Local firewall requirements and the AKS Arc gateway article), "
        "so a Private Link design for AKS Arc cannot be deployed; Private Link for Arc applies "
        "to clusters connected through Arc-enabled Kubernetes."
    ),
    remediation="Use the Arc gateway and an egress firewall for AKS Arc instead.",
    controls=(_PL,),
)
PUBLIC_ACCESS_ON: Final = CheckInfo(
    CheckId("NF316"),
    "Scope allows public network access",
    Severity.MEDIUM,
    description=(
        "The scope's public network access setting lets its clusters use the public "
        "endpoints too, while the design says they connect privately."
    ),
    remediation="Turn the scope's public network access off once every cluster connects privately.",
    controls=(_PL,),
)
PUBLIC_BLOCKED: Final = CheckInfo(
    CheckId("NF317"),
    "Endpoint that must stay public is blocked",
    Severity.HIGH,
    description=(
        "Microsoft Entra ID, Azure Resource Manager, Microsoft Container Registry and "
        "AzureFrontDoor.FirstParty are not reached through the Arc scope: the firewalls must "
        "allow them on TCP 443 (service tags AzureActiveDirectory, AzureResourceManager, "
        "MicrosoftContainerRegistry, AzureFrontDoor.FirstParty). A flow a layer blocks is "
        "named with its blocking rule; one no rule decides is said as such (low)."
    ),
    remediation="Allow the service tag on TCP 443 before any rule denying the internet.",
    controls=(_NET,),
)
PUBLIC_ENDPOINT_ALLOWED: Final = CheckInfo(
    CheckId("NF318"),
    "Firewall still allows the public endpoint of a service reached privately",
    Severity.MEDIUM,
    description=(
        "An allow rule's destinations cover the public name (or the public service tag, or "
        "every public address) of a service the design reaches through its private endpoint: "
        "a misresolved name still gets out, and data can leave to other tenants' resources of "
        "the same service."
    ),
    remediation="Remove the public name or tag from the rule, or narrow it to what stays public.",
    controls=(_NET,),
)
EXTENSION_UNSUPPORTED: Final = CheckInfo(
    CheckId("NF319"),
    "Extensions beyond Flux and Azure Monitor lack end-to-end Private Link support",
    Severity.LOW,
    description=(
        "Only Flux (GitOps) and Azure Monitor are documented to work end to end over Private "
        "Link; other extensions may still need public endpoints."
    ),
    remediation="Check each extension's own endpoints and allow them, or do without it.",
    controls=(_PL,),
)

CHECKS: Final = (
    RESOLVES_PUBLIC,
    OUTSIDE_SUBNETS,
    NOT_RESOLVING,
    RESOLVER_FAILED,
    NOT_THROUGH_ZONE,
    NOT_CHECKED,
    PREVIEW,
    UNSUPPORTED_REGION,
    UNSUPPORTED_FEATURE,
    VNET_TWO_SCOPES,
    CLUSTER_TWO_SCOPES,
    REGION_MISMATCH,
    SUBSCRIPTION_MISMATCH,
    SHARED_WITH_PUBLIC,
    NOT_APPLICABLE,
    PUBLIC_ACCESS_ON,
    PUBLIC_BLOCKED,
    PUBLIC_ENDPOINT_ALLOWED,
    EXTENSION_UNSUPPORTED,
)
"""Every Private Link check, in ID order."""

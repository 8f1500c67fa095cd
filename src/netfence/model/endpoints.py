"""The Azure Arc endpoint catalog: what an Arc-enabled cluster must reach, and why.

Each entry is one documented destination (an FQDN pattern and its ports) or one port that AKS
enabled by Azure Arc needs between the networks of an Azure Local site, with the cloud and
platform it belongs to, the features that need it, whether the Azure Arc gateway carries it,
the service tags that cover it, and the document it comes from. Entries the documents have
dropped are kept apart, as stale entries with the date they went, so that an allow-list still
naming them can be told so.

FQDNs may hold placeholders (:data:`PLACEHOLDERS`), filled in from the user's options by
``netfence.analyses.endpoints``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final


class Cloud(enum.StrEnum):
    """The Azure clouds the Arc network requirements have a list for."""

    PUBLIC = "public"
    """Azure public cloud."""
    USGOV = "usgov"
    """Azure Government."""
    CHINA = "china"
    """Microsoft Azure operated by 21Vianet."""


class Platform(enum.StrEnum):
    """What the cluster runs on."""

    ARC_K8S = "arc-k8s"
    """Any Kubernetes cluster connected to Azure Arc (Arc-enabled Kubernetes)."""
    AKS_ARC = "aks-arc"
    """AKS enabled by Azure Arc on Azure Local: an Arc-enabled cluster, plus what Azure Local
    needs for its AKS infrastructure."""


class Feature(enum.StrEnum):
    """The closed set of features an endpoint can be needed for (docs/endpoints.md)."""

    CORE = "core"
    """The Arc agents themselves: every connected cluster."""
    ONBOARDING = "onboarding"
    """Connecting a cluster with the Azure CLI, from the machine that runs it."""
    CLUSTER_CONNECT = "cluster-connect"
    """Cluster connect (reaching the API server through Azure)."""
    CUSTOM_LOCATIONS = "custom-locations"
    """Custom locations."""
    AZURE_RBAC = "azure-rbac"
    """Azure RBAC for Kubernetes authorization."""
    PORTAL = "portal"
    """Managing the connected cluster from the Azure portal."""
    EXTENSIONS = "extensions"
    """Any Arc cluster extension."""
    FLUX = "flux"
    """GitOps with Flux (a cluster extension)."""
    CONTAINER_INSIGHTS = "container-insights"
    """Azure Monitor Container insights (a cluster extension)."""
    DEFENDER = "defender"
    """Microsoft Defender for Containers (a cluster extension)."""
    AZURE_POLICY = "azure-policy"
    """Azure Policy for Kubernetes (a cluster extension)."""
    SECRET_STORE = "secret-store"
    """The Azure Key Vault Secret Store extension (SSE), which reads Key Vault."""
    IOT_OPERATIONS = "iot-operations"
    """Azure IoT Operations (cluster extensions)."""
    CERT_MANAGER = "cert-manager"
    """cert-manager for Arc-enabled Kubernetes (a cluster extension)."""
    ARC_DATA_SERVICES = "arc-data-services"
    """Azure Arc-enabled data services (cluster extensions)."""
    KEY_VAULT = "key-vault"
    """Azure Key Vault used by extensions or workloads (needs the vault names)."""
    REGISTRY_PROXIES = "registry-proxies"
    """Pulling images through the 21Vianet registry proxies."""
    ARC_GATEWAY = "arc-gateway"
    """The Azure Arc gateway is in use: selected by giving the gateway's URL, not by name."""


FEATURE_IMPLIES: Final[Mapping[Feature, frozenset[Feature]]] = {
    Feature.FLUX: frozenset({Feature.EXTENSIONS}),
    Feature.CONTAINER_INSIGHTS: frozenset({Feature.EXTENSIONS}),
    Feature.DEFENDER: frozenset({Feature.EXTENSIONS}),
    Feature.AZURE_POLICY: frozenset({Feature.EXTENSIONS}),
    Feature.SECRET_STORE: frozenset({Feature.EXTENSIONS, Feature.KEY_VAULT}),
    Feature.IOT_OPERATIONS: frozenset({Feature.EXTENSIONS}),
    Feature.CERT_MANAGER: frozenset({Feature.EXTENSIONS}),
    Feature.ARC_DATA_SERVICES: frozenset({Feature.EXTENSIONS}),
}
"""What else a feature brings with it: every named extension is an extension (and needs the
extensions' registry); the Secret Store extension reads Key Vault."""


class GatewayRoute(enum.StrEnum):
    """What the Azure Arc gateway does with an endpoint's traffic."""

    ROUTED = "routed"
    """The gateway carries it: once the gateway is in use, the firewall needs no opening."""
    DIRECT = "direct"
    """It must still be reachable through the firewall or proxy with the gateway in use (or
    the gateway is not available where it is needed)."""


class EntryDirection(enum.StrEnum):
    """Where an entry's traffic goes."""

    OUTBOUND = "outbound"
    """From the site to a destination on the Internet, through the perimeter."""
    IN_SITE = "in-site"
    """Between networks of the site itself (Azure Local management network and AKS VMs)."""


class Transport(enum.StrEnum):
    """The transport protocol of an entry's ports."""

    TCP = "TCP"
    """TCP."""
    UDP = "UDP"
    """UDP."""


class Application(enum.StrEnum):
    """The application protocol spoken on an entry's ports, where the document says."""

    HTTPS = "HTTPS"
    """HTTP over TLS."""
    HTTP = "HTTP"
    """Plain HTTP."""
    NTP = "NTP"
    """Network time."""
    SSH = "SSH"
    """Secure shell."""
    GRPC = "gRPC"
    """gRPC."""


PLACEHOLDERS: Final[Mapping[str, str]] = {
    "<region>": "the Azure region name without spaces (eastus2)",
    "<region-code>": "the short code of the region (eus for eastus)",
    "<gateway-prefix>": "the first label of the Arc gateway URL (<prefix>.gw.arc.azure.com)",
    "<vault-name>": "the name of a Key Vault",
}
"""The placeholders a catalog FQDN may hold, and what fills each."""

FeatureCombination = frozenset[Feature]
"""Features that together make an entry needed (most often one feature alone)."""


def combination_text(combination: FeatureCombination) -> str:
    """A combination as the catalog writes it: names joined by ``+``, in declaration order."""
    return "+".join(f.value for f in Feature if f in combination)


@dataclass(frozen=True)
class CatalogSource:
    """A document the catalog restates facts from."""

    id: str
    """Its key, named by entries' ``source``."""
    title: str
    """Its title."""
    url: str
    """Where it is published."""
    doc_date: str
    """The date of the version read (``YYYY-MM-DD``)."""
    note: str | None = None
    """What else to know about the version read."""


@dataclass(frozen=True)
class CatalogEntry:
    """One documented destination (or in-site port) and what needs it."""

    id: str
    """Stable identifier, ``<platform>.<cloud>.<name>`` (``arc-k8s.public.management``)."""
    direction: EntryDirection
    """Outbound to the Internet, or in-site between the site's networks."""
    fqdn: str | None
    """The destination name, with placeholders and ``*.`` wildcards; None for in-site ports."""
    ports: tuple[int, ...]
    """Destination ports."""
    protocol: Transport
    """The transport of ``ports``."""
    purpose: str
    """What the endpoint is used for."""
    cloud: Cloud
    """The cloud whose list names it."""
    platform: Platform
    """The platform whose list names it."""
    features: tuple[FeatureCombination, ...]
    """Alternatives that make it needed: it is needed when every feature of one of them is
    enabled (``cluster-connect`` or ``custom-locations``; ``cluster-connect`` and
    ``azure-rbac`` together)."""
    required: bool
    """True when the features alone make it needed; False when it is needed only in the
    further scenario ``required_when`` names."""
    arc_gateway: GatewayRoute
    """Whether the Arc gateway carries it."""
    source: str
    """The id of the document it comes from."""
    required_when: str | None = None
    """The further scenario (or the phase, for a required entry) it is needed in."""
    listed_as: str | None = None
    """How the document's list writes it, where ``fqdn`` is a narrower form the document also
    gives (``*.his.arc.azure.com`` for ``<region-code>.his.arc.azure.com``)."""
    application: Application | None = None
    """The application protocol, where the document says."""
    websockets: bool = False
    """Whether the firewall and proxy must let WebSockets through."""
    no_tls_inspection: bool = False
    """Whether the path must not decrypt and inspect its TLS."""
    service_tags: tuple[str, ...] = ()
    """Azure service tags the documents say cover it (empty where they do not say)."""
    service_tags_source: str | None = None
    """The id of the document that names ``service_tags``."""
    from_: str | None = None
    """In-site entries: where the traffic comes from, by network role."""
    to: str | None = None
    """In-site entries: where the traffic goes, by network role."""
    note: str | None = None
    """What else to know about the entry."""

    def needed_for(self, enabled: frozenset[Feature]) -> FeatureCombination | None:
        """The first alternative of ``features`` that ``enabled`` satisfies, or None."""
        for combination in self.features:
            if combination <= enabled:
                return combination
        return None


@dataclass(frozen=True)
class StaleEntry:
    """A destination a document used to list and has since dropped."""

    id: str
    """Stable identifier, as for catalog entries."""
    fqdn: str
    """The name as it was listed."""
    purpose: str
    """What it was used for."""
    cloud: Cloud
    """The cloud whose list named it."""
    platform: Platform
    """The platform whose list dropped it."""
    removed: str
    """When it was dropped (``YYYY-MM`` or ``YYYY-MM-DD``: the first version without it)."""
    source: str
    """The id of the document that dropped it."""
    last_listed: str | None = None
    """The date of a version still listing it, where known."""
    still_listed_for: tuple[Platform, ...] = ()
    """Platforms whose lists still name it: it is not stale for them."""
    note: str | None = None
    """What else to know."""


@dataclass(frozen=True)
class RegionCode:
    """The short code a document uses for a region (``eus`` for ``eastus``)."""

    region: str
    """The region name without spaces."""
    code: str
    """Its short code."""
    source: str
    """The id of the document that shows the code."""


@dataclass(frozen=True)
class EndpointCatalog:
    """The whole catalog: its sources, entries, stale entries and region codes."""

    schema_version: int
    """Version of the catalog format."""
    sources: tuple[CatalogSource, ...]
    """The documents, in catalog order."""
    entries: tuple[CatalogEntry, ...]
    """The entries, in catalog order."""
    stale: tuple[StaleEntry, ...] = ()
    """Dropped entries."""
    region_codes: tuple[RegionCode, ...] = ()
    """The region short codes the documents show."""
    _sources_by_id: dict[str, CatalogSource] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """The sources by id, filled once from ``sources``."""

    def __post_init__(self) -> None:
        self._sources_by_id.update((s.id, s) for s in self.sources)

    def source(self, source_id: str) -> CatalogSource:
        """The source with id ``source_id`` (KeyError when there is none)."""
        return self._sources_by_id[source_id]

    def region_code(self, region: str) -> RegionCode | None:
        """The short code of ``region``, when a document shows it."""
        return next((r for r in self.region_codes if r.region == region), None)

"""Azure Private Link for Arc-enabled Kubernetes: the zone catalog and a design's settings.

The catalog (package data ``private_link.yaml``) says, per cloud, which private DNS zones a
Private Link design needs, which names are checked in each, how a workload service's
resource name becomes its public name, which endpoints must stay public, and the documented
limits of the (preview) feature. The settings describe one design: its Arc Private Link
Scopes, their private endpoints and clusters, the clusters that do not use Private Link, and
the services the workloads reach privately.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Final

from netfence.model.endpoints import Cloud
from netfence.model.origin import Origin
from netfence.sets.ipranges import IPRangeSet

NAME_PLACEHOLDERS: Final = {
    "{name}": "the resource's name (for monitor: the Log Analytics workspace ID)",
    "{region}": "the Azure region name without spaces (eastus2)",
    "{region-code}": "the short region code of the Hybrid Identity Service (eus)",
}
"""The placeholders a catalog name template may hold, and what fills each."""


class PrivateLinkPlatform(enum.StrEnum):
    """What the clusters of a design run on."""

    ARC_KUBERNETES = "arc-kubernetes"
    """Any Kubernetes cluster connected through Azure Arc-enabled Kubernetes."""
    AKS_ARC = "aks-arc"
    """AKS enabled by Azure Arc on Azure Local, where Private Link is not supported."""


class ServiceKind(enum.StrEnum):
    """The services whose private DNS zones the catalog knows."""

    KEY_VAULT = "key-vault"
    MANAGED_HSM = "managed-hsm"
    CONTAINER_REGISTRY = "container-registry"
    STORAGE_BLOB = "storage-blob"
    STORAGE_FILE = "storage-file"
    STORAGE_QUEUE = "storage-queue"
    STORAGE_TABLE = "storage-table"
    STORAGE_DFS = "storage-dfs"
    STORAGE_WEB = "storage-web"
    MONITOR = "monitor"
    SERVICE_BUS = "service-bus"
    EVENT_HUBS = "event-hubs"
    APP_CONFIGURATION = "app-configuration"
    EVENT_GRID = "event-grid"
    RESOURCE_MANAGER = "resource-manager"


class ClusterFeature(enum.StrEnum):
    """What a connected cluster uses, as far as the Private Link limits care."""

    CLUSTER_CONNECT = "cluster-connect"
    CUSTOM_LOCATIONS = "custom-locations"
    AZURE_RBAC = "azure-rbac"
    EXTENSIONS = "extensions"
    """Cluster extensions other than Flux and Azure Monitor."""
    FLUX = "flux"
    AZURE_MONITOR = "azure-monitor"
    ARC_DATA_SERVICES = "arc-data-services"
    CONTAINER_APPS = "container-apps"
    WORKLOAD_IDENTITY = "workload-identity"


# The catalog ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneSource:
    """A document the catalog restates facts from."""

    id: str
    """Its key, named by the catalog's ``source`` fields."""
    title: str
    """Its title."""
    url: str
    """Where it is published."""
    doc_date: str | None = None
    """The date of the version read (``YYYY-MM-DD``); None when not recorded (``note`` says
    so)."""
    note: str | None = None
    """What else to know about the version read."""


@dataclass(frozen=True)
class ArcZone:
    """A private DNS zone the Arc Private Link Scope's endpoint needs."""

    zone: str
    """The zone's name (``privatelink.his.arc.azure.com``)."""
    forwarders: tuple[str, ...]
    """The public zones on-premises resolvers forward to the VNet's resolver."""
    names: tuple[str, ...]
    """Name templates checked in it: each must resolve to the private endpoint."""
    source: str
    """The id of the document that lists it."""


@dataclass(frozen=True)
class ServiceZones:
    """A service's private DNS zones and how its resources are named publicly."""

    kind: ServiceKind
    """The service."""
    zones: tuple[str, ...]
    """Its ``privatelink.`` zones."""
    forwarders: tuple[str, ...]
    """The public zones to forward."""
    names: tuple[str, ...]
    """Name templates of a resource's public names (``{name}.vault.azure.net``)."""
    source: str
    """The id of the document listing the zones."""
    service_tag: str | None = None
    """The service tag of the public endpoint, where documented."""
    stays_public: bool = False
    """Whether the public endpoint must stay reachable even when the service is reached
    privately (Azure Resource Manager, during the preview)."""


@dataclass(frozen=True)
class MustStayPublic:
    """An endpoint Private Link does not cover, which the firewalls must let through."""

    id: str
    """A short id (``entra-id``)."""
    purpose: str
    """What it is for."""
    names: tuple[str, ...]
    """Its names (none for a service tag alone)."""
    service_tag: str
    """Its service tag."""
    ports: tuple[int, ...]
    """TCP ports."""
    source: str
    """The id of the document that requires it."""


@dataclass(frozen=True)
class PrivateLinkLimits:
    """What the documents say Private Link for Arc-enabled Kubernetes does not support."""

    status: str
    """``preview`` or ``ga``."""
    unsupported_regions: tuple[str, ...]
    """Regions without it."""
    unsupported_features: tuple[ClusterFeature, ...]
    """Cluster features that do not work over private connectivity."""
    end_to_end_extensions: tuple[ClusterFeature, ...]
    """The only extensions with end-to-end Private Link support."""
    unsupported_platforms: tuple[PrivateLinkPlatform, ...]
    """Platforms where Private Link does not apply."""
    same_subscription: bool
    """Whether clusters, VNet and scope must share a subscription (during the preview)."""
    source: str
    """The id of the document stating the limits."""
    platform_source: str
    """The id of the document stating the platform limit."""


@dataclass(frozen=True)
class CloudZones:
    """One cloud's zones: Arc's and the services'."""

    cloud: Cloud
    """The cloud."""
    arc_zones: tuple[ArcZone, ...]
    """Arc's zones; empty when the documents give none (``arc_zones_note`` says so)."""
    services: tuple[ServiceZones, ...]
    """The services the documents give zones for in this cloud."""
    arc_zones_note: str | None = None
    """Why Arc's zones are not listed, when they are not."""

    def service(self, kind: ServiceKind) -> ServiceZones | None:
        """The zones of ``kind`` in this cloud, if the documents give them."""
        return next((s for s in self.services if s.kind is kind), None)


@dataclass(frozen=True)
class PrivateLinkCatalog:
    """The whole catalog."""

    schema_version: int
    """The format version."""
    sources: tuple[ZoneSource, ...]
    """The documents behind it."""
    limits: PrivateLinkLimits
    """The documented limits."""
    must_stay_public: tuple[MustStayPublic, ...]
    """Endpoints that stay public."""
    clouds: tuple[CloudZones, ...]
    """Per cloud, its zones."""

    def cloud(self, cloud: Cloud) -> CloudZones | None:
        """The zones of ``cloud``, if the catalog has any."""
        return next((c for c in self.clouds if c.cloud is cloud), None)


# A design's settings ---------------------------------------------------------------------


@dataclass(frozen=True)
class PrivateEndpoint:
    """The private endpoint of an Arc Private Link Scope."""

    name: str
    """Its name."""
    vnet: str
    """The VNet it is in."""
    region: str | None = None
    """Its region, which must be its VNet's."""
    subscription: str | None = None
    """Its subscription (and its VNet's)."""
    vnet_region: str | None = None
    """The VNet's region, where given: it must be the scope's and the clusters'."""
    origin: Origin | None = None
    """Where it was read."""


@dataclass(frozen=True)
class LinkedCluster:
    """An Arc-enabled cluster associated with a scope."""

    name: str
    """Its name."""
    region: str | None = None
    """Its region; None: the scope's."""
    subscription: str | None = None
    """Its subscription; None: not said."""
    features: tuple[ClusterFeature, ...] = ()
    """What it uses."""
    origin: Origin | None = None
    """Where it was read."""


@dataclass(frozen=True)
class PrivateLinkScope:
    """An Azure Arc Private Link Scope."""

    name: str
    """Its name."""
    region: str
    """Its region."""
    subscription: str | None = None
    """Its subscription."""
    public_network_access: bool = False
    """Whether its clusters may also use public endpoints."""
    private_endpoint: PrivateEndpoint | None = None
    """Its private endpoint, where described."""
    clusters: tuple[LinkedCluster, ...] = ()
    """The clusters associated with it."""
    origin: Origin | None = None
    """Where it was read."""


@dataclass(frozen=True)
class PublicCluster:
    """An Arc-enabled cluster that does not use Private Link, near the design."""

    name: str
    """Its name."""
    vnet: str | None = None
    """The VNet whose DNS view it uses, if it shares one with a scope's endpoint."""
    dns_zone_shared: bool = False
    """Whether it resolves through the same private DNS zones as the Private Link clusters."""
    origin: Origin | None = None
    """Where it was read."""


@dataclass(frozen=True)
class WorkloadService:
    """A service the workloads reach, which the design says they reach privately."""

    kind: ServiceKind
    """Which service."""
    name: str
    """The resource's name."""
    region: str | None = None
    """Its region, for names that hold one (a registry's data endpoint)."""
    origin: Origin | None = None
    """Where it was read."""


@dataclass(frozen=True)
class PrivateLinkSettings:
    """One Private Link design, from a settings file or the command line."""

    cloud: Cloud
    """The Azure cloud."""
    platform: PrivateLinkPlatform
    """What the clusters run on."""
    scopes: tuple[PrivateLinkScope, ...] = ()
    """The Arc Private Link Scopes."""
    public_clusters: tuple[PublicCluster, ...] = ()
    """Clusters not using Private Link that may share the VNet or DNS view."""
    services: tuple[WorkloadService, ...] = ()
    """Services the workloads reach privately."""
    private_endpoint_subnets: IPRangeSet | None = None
    """The subnets private endpoints get their addresses from; None: not given."""
    dns_answers: str | None = None
    """A DNS answer file to resolve from, as a path usable from the working directory."""
    origin: Origin | None = None
    """Where the settings were read (None: the command line)."""
    file: str | None = None
    """The settings file; None for settings built from options."""
    derived: tuple[str, ...] = field(default_factory=tuple)
    """What was assumed while building them (said in the output)."""

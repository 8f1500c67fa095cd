"""Read an address plan (``format: netfence.address-plan``, docs/address-plan.md).

A plan is one YAML or JSON document read with the line-keeping loader, strictly: an unknown
field (with the closest known name), a value of the wrong type, a missing required field, an
unsupported format or version, a bad address or CIDR (host bits set, a zone index, an
IPv4-mapped IPv6 form), a pool whose start follows its end, a VLAN outside 1-4094, a negative
count, a duplicate name, a reference to an lnet or load-balancer pool the plan does not
define: each is one InputError naming the file, line and field path
(``clusters[1].control_plane_ip``). A plan that loads is one the checks can trust.
"""

from __future__ import annotations

import importlib.resources
import ipaddress
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any, Final, Protocol, TypeVar

from netfence.errors import InputError, Location
from netfence.model.address_plan import (
    AKS_ARC_DEFAULT_POD_CIDR,
    AKS_ARC_SERVICE_CIDR,
    PLAN_FORMAT,
    PLAN_VERSION,
    AddressPlan,
    AddressRange,
    ClusterPlan,
    LoadBalancerPool,
    LogicalNetwork,
    ManagementNetwork,
    NamedNetwork,
    Platform,
    Proxy,
    Snat,
)
from netfence.sources.exports import read_export_text
from netfence.sources.fields import Field
from netfence.sources.k8s_validation import parse_cidr, parse_ip
from netfence.sources.manifests import STDIN
from netfence.sources.yamldocs import parse_documents

VLAN_MIN: Final = 1
"""Lowest VLAN ID a tagged network may carry (IEEE 802.1Q; 0 means untagged)."""
VLAN_MAX: Final = 4094
"""Highest VLAN ID (4095 is reserved by IEEE 802.1Q)."""
SCHEMA_FILE: Final = "schemas/address-plan-v1.json"
"""The plan format's JSON Schema, inside the package's ``data`` folder."""
TEMPLATES: Final = {
    Platform.AKS_ARC: "address-plan-aks-arc.yaml",
    Platform.ARC_KUBERNETES: "address-plan-arc-kubernetes.yaml",
}
"""The commented starting plan of each platform, inside the package's ``data`` folder."""

_TOP: Final = (
    "format",
    "version",
    "name",
    "platform",
    "snat",
    "logical_networks",
    "clusters",
    "load_balancer_pools",
    "management",
    "data_networks",
    "on_premises",
    "vpn_address_spaces",
    "private_endpoint_subnets",
    "proxy",
)
_LNET: Final = (
    "name",
    "prefix",
    "gateway",
    "dns_servers",
    "vlan",
    "ip_pools",
    "shared_with_arc_vms",
)
_RANGE: Final = ("start", "end")
_CLUSTER: Final = (
    "name",
    "logical_network",
    "control_plane_ip",
    "control_plane_nodes",
    "worker_nodes",
    "load_balancer_services",
    "pod_cidr",
    "service_cidr",
    "max_pods_per_node",
    "load_balancer_pool",
)
_LB_POOL: Final = ("name", "logical_network", "ranges")
_MANAGEMENT: Final = ("cidrs", "infrastructure_block", "cluster_ip", "vlan")
_NAMED: Final = ("name", "cidrs", "vlan")
_PROXY: Final = ("http_proxy", "https_proxy", "no_proxy")
_NETWORK_LISTS: Final = (
    "data_networks",
    "on_premises",
    "vpn_address_spaces",
    "private_endpoint_subnets",
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
"""Either family's address, as ``parse_ip`` returns it."""
_T = TypeVar("_T")


class _Named(Protocol):
    """An element of a list whose names must be unique."""

    @property
    def name(self) -> str:
        """Its name."""
        ...


_N = TypeVar("_N", bound=_Named)


def read_address_plan(path: str) -> AddressPlan:
    """The plan in the file ``path`` (``-`` for standard input), size-bounded and UTF-8."""
    label = "<stdin>" if path == STDIN else path
    return parse_address_plan(read_export_text(path), label)


def parse_address_plan(text: str, file: str) -> AddressPlan:
    """A plan from its YAML or JSON text; InputError naming the line of the first problem."""
    documents = list(parse_documents(text, file))
    if not documents or (len(documents) == 1 and documents[0].body is None):
        raise InputError(
            f"empty address plan: expected one document with format: {PLAN_FORMAT}",
            Location(file, 1, 1),
        )
    if len(documents) > 1:
        raise InputError(
            f"expected one document, found {len(documents)} (a plan is one document;"
            " remove the '---' separators or split the file)",
            documents[1].location(),
        )
    return _plan(Field.root(documents[0]), file)


def is_address_plan(body: Any) -> bool:
    """Whether a parsed document is an address plan: a mapping whose ``format`` says so."""
    return isinstance(body, dict) and body.get("format") == PLAN_FORMAT


def address_plan_schema() -> str:
    """The JSON Schema of the plan format (draft 2020-12), as shipped."""
    resource = importlib.resources.files("netfence") / "data" / SCHEMA_FILE
    return resource.read_text(encoding="utf-8")


def address_plan_template(platform: Platform) -> str:
    """The commented starting plan for ``platform``."""
    resource = importlib.resources.files("netfence") / "data" / TEMPLATES[platform]
    return resource.read_text(encoding="utf-8")


# --- the document ---------------------------------------------------------------------------


def _plan(root: Field, file: str) -> AddressPlan:
    root.mapping()
    _format_and_version(root)  # first: a file of another kind is named as such
    root.refuse_unknown(_TOP)
    platform = _choice(root.get("platform"), Platform, Platform.AKS_ARC)
    lnets = _unique(root, "logical_networks", _logical_network)
    pools = _unique(root, "load_balancer_pools", _load_balancer_pool)
    _refuse_unknown_references(pools, "logical_network", {n.name for n in lnets[0]}, "lnet")
    clusters = _unique(root, "clusters", lambda item: _cluster(item, platform))
    _refuse_unknown_references(clusters, "logical_network", {n.name for n in lnets[0]}, "lnet")
    _refuse_unknown_references(
        clusters, "load_balancer_pool", {p.name for p in pools[0]}, "load-balancer pool"
    )
    management_field = root.get("management")
    management = None if management_field is None else _management(management_field)
    networks = {key: _unique(root, key, _named_network)[0] for key in _NETWORK_LISTS}
    proxy_field = root.get("proxy")
    plan = AddressPlan(
        name=root.require("name").text(),
        platform=platform,
        file=file,
        logical_networks=lnets[0],
        clusters=clusters[0],
        load_balancer_pools=pools[0],
        management=management,
        data_networks=networks["data_networks"],
        on_premises=networks["on_premises"],
        vpn_address_spaces=networks["vpn_address_spaces"],
        private_endpoint_subnets=networks["private_endpoint_subnets"],
        proxy=None if proxy_field is None else _proxy(proxy_field),
        snat=_choice(root.get("snat"), Snat, Snat.NODE),
    )
    _refuse_empty(root, plan)
    return plan


def _format_and_version(root: Field) -> None:
    found = root.get("format")
    if found is None:
        raise Field(root.doc, "format", None, root.line).error(
            f"required: an address plan says format: {PLAN_FORMAT} (this document does not)"
        )
    text = found.string()
    if text != PLAN_FORMAT:
        raise found.error(f"unsupported format {text!r} (expected {PLAN_FORMAT})")
    version = root.require("version")
    number = version.integer()
    if number != PLAN_VERSION:
        raise version.error(
            f"unsupported plan version {number} (this netfence reads version {PLAN_VERSION})"
        )


def _refuse_empty(root: Field, plan: AddressPlan) -> None:
    """A plan needs something to check: clusters, or at least one network."""
    if plan.clusters or plan.logical_networks or plan.management is not None:
        return
    if any(getattr(plan, key) for key in _NETWORK_LISTS) or plan.load_balancer_pools:
        return
    raise root.error(
        "the plan has no clusters and no networks: add clusters and the logical_networks"
        " they are placed on (or management, data_networks, ...)"
    )


# --- the elements ---------------------------------------------------------------------------


def _logical_network(item: Field) -> LogicalNetwork:
    item.refuse_unknown(_LNET)
    dns = item.get("dns_servers")
    pools = item.get("ip_pools")
    return LogicalNetwork(
        name=item.require("name").text(),
        prefix=_cidr(item.require("prefix")),
        gateway=_optional(item.get("gateway"), _address),
        dns_servers=tuple(_address(d) for d in _list(dns)),
        vlan=_optional(item.get("vlan"), _vlan),
        ip_pools=tuple(_range(p) for p in _list(pools)),
        shared_with_arc_vms=_optional(item.get("shared_with_arc_vms"), _flag) or False,
        origin=item.location,
    )


def _cluster(item: Field, platform: Platform) -> ClusterPlan:
    item.refuse_unknown(_CLUSTER)
    lnet = item.get("logical_network")
    if lnet is None and platform is Platform.AKS_ARC:
        raise _missing(item, "logical_network", "required on platform aks-arc")
    default_pod = (AKS_ARC_DEFAULT_POD_CIDR,) if platform is Platform.AKS_ARC else ()
    default_service = (AKS_ARC_SERVICE_CIDR,) if platform is Platform.AKS_ARC else ()
    pods_per_node = item.get("max_pods_per_node")
    return ClusterPlan(
        name=item.require("name").text(),
        logical_network=_optional(lnet, Field.text),
        control_plane_ip=_optional(item.get("control_plane_ip"), _address),
        control_plane_nodes=_count(item.require("control_plane_nodes"), minimum=1),
        worker_nodes=_count(item.require("worker_nodes")),
        load_balancer_services=_optional(item.get("load_balancer_services"), _count) or 0,
        pod_cidrs=_per_family(item.get("pod_cidr"), default_pod),
        service_cidrs=_per_family(item.get("service_cidr"), default_service),
        max_pods_per_node=_optional(pods_per_node, lambda f: _count(f, minimum=1)),
        load_balancer_pool=_optional(item.get("load_balancer_pool"), Field.text),
        origin=item.location,
    )


def _load_balancer_pool(item: Field) -> LoadBalancerPool:
    item.refuse_unknown(_LB_POOL)
    ranges_field = item.require("ranges")
    ranges = tuple(_pool_range(r) for r in _list(ranges_field))
    if not ranges:
        raise ranges_field.error("expected at least one range (a CIDR or {start, end})")
    return LoadBalancerPool(
        name=item.require("name").text(),
        ranges=ranges,
        logical_network=_optional(item.get("logical_network"), Field.text),
        origin=item.location,
    )


def _pool_range(item: Field) -> AddressRange:
    """A load-balancer range: a CIDR string (its first to last address) or {start, end}."""
    if isinstance(item.value, str):
        network = ipaddress.ip_network(_cidr(item))
        first, last = network.network_address, network.broadcast_address
        return AddressRange(str(first), str(last), item.location)
    if not isinstance(item.value, dict):
        raise item.error(f"expected a CIDR or a mapping {{start, end}}, got {_type(item.value)}")
    return _range(item)


def _management(item: Field) -> ManagementNetwork:
    item.refuse_unknown(_MANAGEMENT)
    block = item.get("infrastructure_block")
    return ManagementNetwork(
        cidrs=_cidrs(item),
        infrastructure_block=_optional(block, _range),
        cluster_ip=_optional(item.get("cluster_ip"), _address),
        vlan=_optional(item.get("vlan"), _vlan),
        origin=item.location,
    )


def _named_network(item: Field) -> NamedNetwork:
    item.refuse_unknown(_NAMED)
    return NamedNetwork(
        name=item.require("name").text(),
        cidrs=_cidrs(item),
        origin=item.location,
        vlan=_optional(item.get("vlan"), _vlan),
    )


def _proxy(item: Field) -> Proxy:
    item.refuse_unknown(_PROXY)
    skip = item.get("no_proxy")
    return Proxy(
        http_proxy=_optional(item.get("http_proxy"), _url),
        https_proxy=_optional(item.get("https_proxy"), _url),
        no_proxy=tuple(_skip_entry(e) for e in _list(skip)),
        origin=item.location,
    )


# --- values ---------------------------------------------------------------------------------


def _address(field: Field) -> str:
    """One IP address, canonical; zones and IPv4-mapped IPv6 forms refused."""
    text = field.string()
    try:
        address = parse_ip(text)
    except ValueError as exc:
        raise field.error(f"invalid IP address {text!r}: {exc}") from None
    _refuse_mapped(field, address)
    return str(address)


def _refuse_mapped(field: Field, address: IPAddress) -> None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        raise field.error(
            f"IPv4-mapped IPv6 address {field.value!r}: write the IPv4 address"
            f" {address.ipv4_mapped}"
        )


def _cidr(field: Field) -> str:
    """One CIDR, canonical; host bits set is an error naming the network meant."""
    text = field.string()
    try:
        network = parse_cidr(text, strict_prefix=True)
    except ValueError as exc:
        raise field.error(f"invalid CIDR {text!r}: {exc}") from None
    address = parse_ip(text.partition("/")[0])
    _refuse_mapped(field, address)
    if address != network.network_address:
        raise field.error(f"CIDR {text!r} has host bits set: the network is {network}")
    return str(network)


def _cidrs(item: Field) -> tuple[str, ...]:
    field = item.require("cidrs")
    cidrs = tuple(_cidr(c) for c in _list(field))
    if not cidrs:
        raise field.error("expected at least one CIDR")
    return cidrs


def _per_family(field: Field | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """A pod or service CIDR: one string, or a list of at most one per family."""
    if field is None:
        return default
    items = [field] if isinstance(field.value, str) else list(_list(field))
    if not items:
        raise field.error("expected a CIDR, or a list of one CIDR per family")
    seen: dict[int, str] = {}
    for item in items:
        cidr = _cidr(item)
        version = ipaddress.ip_network(cidr).version
        if version in seen:
            raise item.error(
                f"a second IPv{version} CIDR ({cidr} after {seen[version]}): one per family"
            )
        seen[version] = cidr
    return tuple(seen.values())


def _range(item: Field) -> AddressRange:
    """{start, end}: both addresses, one family, start not after end."""
    item.mapping()
    item.refuse_unknown(_RANGE)
    start_field, end_field = item.require("start"), item.require("end")
    start, end = _address(start_field), _address(end_field)
    first, last = ipaddress.ip_address(start), ipaddress.ip_address(end)
    if first.version != last.version:
        raise end_field.error(f"{end} is IPv{last.version} but start {start} is IPv{first.version}")
    if int(last) < int(first):
        raise end_field.error(f"end {end} comes before start {start}")
    return AddressRange(start, end, item.location)


def _vlan(field: Field) -> int:
    number = field.integer()
    if not VLAN_MIN <= number <= VLAN_MAX:
        raise field.error(f"VLAN {number} is outside {VLAN_MIN}-{VLAN_MAX}")
    return number


def _count(field: Field, minimum: int = 0) -> int:
    if isinstance(field.value, str):
        raise field.error(f"expected an integer, got the string {field.value!r} (write it bare)")
    number = field.integer()
    if number < minimum:
        raise field.error(f"expected a count of at least {minimum}, got {number}")
    return number


def _flag(field: Field) -> bool:
    if isinstance(field.value, str):
        raise field.error(
            f"expected true or false, got the string {field.value!r} (write it without quotes)"
        )
    return field.boolean()


def _url(field: Field) -> str:
    text = field.text()
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise field.error(f"expected an http:// or https:// URL, got {text!r}")
    return text


def _skip_entry(field: Field) -> str:
    """A ``--proxy-skip-range`` entry: an address, a CIDR or a name (``.svc``)."""
    text = field.text()
    if "," in text or any(c.isspace() for c in text):
        raise field.error(f"one entry per list item, without commas or spaces: {text!r}")
    if "/" in text:
        return _cidr(field)
    host, colon, port = text.rpartition(":")
    if colon and port.isdigit() and host.count(":") == 0 and not host.replace(".", "").isdigit():
        return text  # a name with a port (``registry.local:5000``), as NO_PROXY allows
    if text.replace(".", "").isdigit() or ":" in text:
        return _address(field)
    return text


def _list(field: Field | None) -> Iterable[Field]:
    if field is None:
        return ()
    if not field.is_list():
        raise field.error(f"expected a list, got {_type(field.value)}")
    return field.items()


def _optional(field: Field | None, read: Callable[[Field], _T]) -> _T | None:
    return None if field is None else read(field)


_Enum = TypeVar("_Enum", Platform, Snat)


def _choice(field: Field | None, kind: type[_Enum], default: _Enum) -> _Enum:
    if field is None:
        return default
    return field.choice(kind)


# --- structure ------------------------------------------------------------------------------


def _unique(
    root: Field, key: str, read: Callable[[Field], _N]
) -> tuple[tuple[_N, ...], dict[str, Field]]:
    """The elements of the list ``key`` and, by name, the field each was read from; a name
    listed twice is an error at its second entry."""
    found = root.get(key)
    out: list[_N] = []
    names: dict[str, Field] = {}
    for item in _list(found):
        item.mapping()
        element = read(item)
        name = element.name
        if name in names:
            raise item.require("name").error(
                f"duplicate name {name!r} (also at line {names[name].line})"
            )
        names[name] = item
        out.append(element)
    return tuple(out), names


def _refuse_unknown_references(
    elements: tuple[tuple[Any, ...], dict[str, Field]], key: str, known: set[str], what: str
) -> None:
    for element in elements[0]:
        name = getattr(element, key)
        if name is None or name in known:
            continue
        field = elements[1][element.name].require(key)
        defined = ", ".join(sorted(known)) if known else "none defined"
        raise field.error(f"unknown {what} {name!r} (the plan's: {defined})")


def _missing(item: Field, key: str, message: str) -> InputError:
    return Field(item.doc, f"{item.path}.{key}", None, item.line).error(message)


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "null"
    return "a list" if isinstance(value, list) else type(value).__name__

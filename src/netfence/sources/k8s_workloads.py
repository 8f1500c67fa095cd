"""Parse Pods and the controllers whose pod templates yield pods.

Container ports are validated as the Pod validation does (``validateContainerPorts``):
``containerPort`` 1-65535, ``hostPort`` 0 (unset) or 1-65535, ``protocol`` TCP, UDP or SCTP,
``name`` an IANA_SVC_NAME, unique within its container. A name repeated in another
container of the pod is, as for the API server, a warning: services and probes that select
the port by name use the first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from netfence.model.cluster import ContainerPort
from netfence.sets.ports import MAX_PORT
from netfence.sources.fields import Field, parse_protocol
from netfence.sources.k8s_validation import iana_svc_name_problem, parse_ip, port_number_problem

LOG: Final = logging.getLogger("netfence")

WORKLOAD_KINDS = frozenset(
    {
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "ReplicationController",
    }
)
"""Controllers whose pod templates netfence turns into endpoints."""


@dataclass(frozen=True)
class PodSpecInfo:
    """What NetworkPolicy needs from a pod (or a pod template)."""

    labels: dict[str, str]
    """metadata.labels."""
    ports: tuple[ContainerPort, ...]
    """Ports of the containers that serve traffic."""
    host_network: bool
    """spec.hostNetwork."""
    images: tuple[str, ...] = ()
    """Container images."""
    service_account: str = "default"
    """spec.serviceAccountName (the pod's service account)."""


@dataclass(frozen=True)
class OwnerRef:
    """The controlling owner of an object (metadata.ownerReferences)."""

    kind: str
    """The owner's kind."""
    name: str
    """The owner's name."""


def pod_template(obj: Field, kind: str) -> Field | None:
    """The pod template of a workload object, or None when it has none."""
    spec = obj.get("spec")
    if spec is None:
        return None
    if kind == "CronJob":
        job = spec.get("jobTemplate")
        job_spec = job.get("spec") if job is not None else None
        return job_spec.get("template") if job_spec is not None else None
    return spec.get("template")


def parse_pod_spec(metadata: Field | None, spec: Field | None) -> PodSpecInfo:
    """Labels, container ports and hostNetwork from a pod's (or template's) metadata and spec."""
    labels_field = metadata.get("labels") if metadata is not None else None
    labels = labels_field.labels() if labels_field is not None else {}
    ports: list[ContainerPort] = []
    port_names: dict[str, str] = {}  # name -> path of its first use in the pod
    images: list[str] = []
    host_network = False
    if spec is not None:
        spec.mapping()
        host_field = spec.get("hostNetwork")
        host_network = host_field.boolean() if host_field is not None else False
        for key in ("containers", "initContainers"):
            containers = spec.get(key)
            for container in containers.items() if containers is not None else ():
                container.mapping()
                image = container.get("image")
                if image is not None and isinstance(image.value, str):
                    images.append(image.value)
                ports_field = container.get("ports")
                parsed = _parse_container_ports(ports_field, port_names)
                if key == "initContainers" and not _is_sidecar(container):
                    continue  # init containers that run to completion never serve traffic
                ports.extend(parsed)
    account = "default"
    if spec is not None:
        for key in ("serviceAccountName", "serviceAccount"):  # the second is the deprecated alias
            found = spec.get(key)
            if found is not None and found.value:
                account = found.string()
                break
    return PodSpecInfo(labels, tuple(ports), host_network, tuple(images), account)


def _is_sidecar(container: Field) -> bool:
    restart = container.get("restartPolicy")
    return restart is not None and restart.value == "Always"


def _parse_container_ports(ports: Field | None, pod_names: dict[str, str]) -> list[ContainerPort]:
    """One container's ports; a name twice in the container is refused, a name already used
    by another container of the pod is warned about."""
    parsed: list[ContainerPort] = []
    here: dict[str, str] = {}
    for entry in ports.items() if ports is not None else ():
        port = _parse_container_port(entry)
        parsed.append(port)
        if not port.name:
            continue
        name_field = entry.get("name")
        assert name_field is not None
        if port.name in here:
            raise name_field.error(f"duplicate port name {port.name!r} (also at {here[port.name]})")
        here[port.name] = entry.path
        first = pod_names.setdefault(port.name, entry.path)
        if first != entry.path:
            LOG.warning(
                "%s",
                name_field.error(
                    f"duplicate port name {port.name!r} with {first}: services and probes"
                    f" that select ports by name will use {first}"
                ),
            )
    return parsed


def _parse_container_port(entry: Field) -> ContainerPort:
    entry.mapping()
    number_field = entry.require("containerPort")
    number = number_field.integer()
    problem = port_number_problem(number)
    if problem is not None:
        raise number_field.error(f"containerPort {problem}")
    protocol = parse_protocol(entry)
    name_field = entry.get("name")
    name = name_field.string() if name_field is not None else None
    if name_field is not None and name:  # an empty name is no name
        problem = iana_svc_name_problem(name)
        if problem is not None:
            raise name_field.error(f"invalid port name {name!r}: {problem} (IANA_SVC_NAME)")
    host_field = entry.get("hostPort")
    host_port = None
    if host_field is not None:
        host_port = host_field.integer()
        if not 0 <= host_port <= MAX_PORT:
            raise host_field.error(f"hostPort {host_port} is outside 0-{MAX_PORT}")
    return ContainerPort(name, number, protocol, host_port or None)


def pod_ips(obj: Field) -> tuple[str, ...]:
    """status.podIP and status.podIPs, de-duplicated, validated."""
    status = obj.get("status")
    if status is None:
        return ()
    found: list[str] = []
    single = status.get("podIP")
    if single is not None:
        found.append(_parse_ip(single))
    many = status.get("podIPs")
    for item in many.items() if many is not None else ():
        ip_field = item.get("ip")
        if ip_field is not None:
            found.append(_parse_ip(ip_field))
    return tuple(dict.fromkeys(found))


def host_ips(obj: Field) -> tuple[str, ...]:
    """status.hostIP and status.hostIPs (the node's addresses the pod runs on), de-duplicated,
    validated."""
    status = obj.get("status")
    if status is None:
        return ()
    found: list[str] = []
    single = status.get("hostIP")
    if single is not None:
        found.append(_parse_ip(single))
    many = status.get("hostIPs")
    for item in many.items() if many is not None else ():
        ip_field = item.get("ip")
        if ip_field is not None:
            found.append(_parse_ip(ip_field))
    return tuple(dict.fromkeys(found))


def _parse_ip(field: Field) -> str:
    text = field.string()
    try:
        return str(parse_ip(text))
    except ValueError as exc:
        raise field.error(f"invalid IP address {text!r}: {exc}") from None


def node_addresses(obj: Field) -> tuple[str, ...]:
    """A Node's InternalIP and ExternalIP addresses (status.addresses)."""
    status = obj.get("status")
    addresses = status.get("addresses") if status is not None else None
    found: list[str] = []
    for item in addresses.items() if addresses is not None else ():
        kind = item.get("type")
        if kind is not None and kind.value in ("InternalIP", "ExternalIP"):
            found.append(_parse_ip(item.require("address")))
    return tuple(dict.fromkeys(found))


def controller_owner(metadata: Field | None) -> OwnerRef | None:
    """The ownerReference marked controller, else the first one, else None."""
    refs = metadata.get("ownerReferences") if metadata is not None else None
    if refs is None:
        return None
    parsed: list[tuple[bool, OwnerRef]] = []
    for item in refs.items():
        kind = item.require("kind").string()
        name = item.require("name").string()
        controller = item.get("controller")
        parsed.append((controller is not None and controller.value is True, OwnerRef(kind, name)))
    for is_controller, ref in parsed:
        if is_controller:
            return ref
    return parsed[0][1] if parsed else None

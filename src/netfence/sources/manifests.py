"""Read Kubernetes manifests (files, directories, stdin) into a Cluster.

Accepts YAML and JSON, multi-document streams, ``kind: List`` and typed lists (PodList,
NamespaceList, ...). Pods owned by a controller fold into their top-level workload;
workloads with no Pod given become one endpoint made from their pod template.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import os
import re
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from netfence.errors import InputError, Location
from netfence.model.adminpolicy import AdminNetworkPolicy
from netfence.model.calico import CalicoNetworkSet, CalicoPolicy, CalicoTier
from netfence.model.cluster import Cluster, Namespace, Node, Pod, Workload
from netfence.model.networkpolicy import NetworkPolicy
from netfence.model.origin import Origin
from netfence.model.services import Ingress, Route, Service
from netfence.sources.calico import (
    CALICO_API,
    CALICO_KINDS,
    parse_calico_policy,
    parse_calico_tier,
    parse_network_set,
)
from netfence.sources.fields import Field
from netfence.sources.k8s_adminpolicy import ADMIN_KINDS, parse_admin_policy
from netfence.sources.k8s_apiserver import (
    API_SERVER_KINDS,
    api_server_addresses,
    is_api_server_object,
)
from netfence.sources.k8s_networkpolicy import parse_network_policy
from netfence.sources.k8s_services import (
    FRONTING_KINDS,
    INGRESS_API,
    SERVICE_API,
    is_route,
    parse_ingress,
    parse_route,
    parse_service,
)
from netfence.sources.k8s_validation import (
    dns1123_label_problem,
    dns1123_subdomain_problem,
    parse_cidr,
)
from netfence.sources.k8s_workloads import (
    WORKLOAD_KINDS,
    OwnerRef,
    PodSpecInfo,
    controller_owner,
    host_ips,
    node_addresses,
    parse_pod_spec,
    pod_ips,
    pod_template,
)
from netfence.sources.known_fields import check_fields, root_type
from netfence.sources.yamldocs import Document, parse_documents

MAX_INPUT_BYTES: Final = 256 * 1024 * 1024
"""Largest input netfence reads, per file and in total; larger inputs are refused."""
MANIFEST_SUFFIXES: Final = (".yaml", ".yml", ".json")
"""File endings read when a directory is given."""
NAMESPACE_NAME_LABEL: Final = "kubernetes.io/metadata.name"
"""The label the API server sets on every namespace to its name."""
STDIN: Final = "-"
LOG: Final = logging.getLogger("netfence")
"""Warnings about inputs (skipped files); the CLI prints them on standard error."""


def iter_input_files(paths: Sequence[str]) -> Iterator[str]:
    """Expand directories (recursively, sorted, hidden entries skipped) into manifest files."""
    for name, _ in _input_files(paths):
        yield name


def _input_files(paths: Sequence[str]) -> Iterator[tuple[str, bool]]:
    """(file, found in a directory) for every input, in order.

    A file named on the command line must be a regular file or a pipe (``<(kubectl get ...)``
    gives a pipe). Inside a directory, what cannot be a manifest (a FIFO, a device, a socket)
    is skipped with a warning; an unreadable file or directory and a dangling symbolic link
    are errors, so an input never silently loses a policy.
    """
    for raw in paths:
        if raw == STDIN:
            yield raw, False
            continue
        try:
            info = os.stat(raw)
        except FileNotFoundError:
            dangling = os.path.islink(raw)
            raise InputError(
                f"{raw}: {'dangling symbolic link' if dangling else 'no such file or directory'}"
            ) from None
        except OSError as exc:
            raise InputError(f"{raw}: {exc.strerror or exc}") from None
        except ValueError:  # only a library caller can pass one: argv cannot hold NUL
            raise InputError(f"{raw!r}: a file name cannot hold a NUL byte") from None
        if stat.S_ISDIR(info.st_mode):
            yield from ((name, True) for name in _directory_files(raw))
        elif stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode):
            yield raw, False
        else:
            raise InputError(f"{raw}: not a regular file")


def _directory_files(top: str) -> list[str]:
    """Manifest files below ``top``, sorted; linked directories followed once each."""
    found: list[str] = []
    seen: set[tuple[int, int]] = set()

    def refuse(exc: OSError) -> None:
        raise InputError(f"{exc.filename}: cannot read the directory: {exc.strerror or exc}")

    for dirpath, dirnames, filenames in os.walk(top, onerror=refuse, followlinks=True):
        here = os.stat(dirpath)
        if (here.st_dev, here.st_ino) in seen:  # a link loop, or a directory linked twice
            dirnames[:] = []
            continue
        seen.add((here.st_dev, here.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.endswith(MANIFEST_SUFFIXES) or name.startswith("."):
                continue
            path = os.path.join(dirpath, name)
            try:
                info = os.stat(path)
            except FileNotFoundError:
                raise InputError(f"{path}: dangling symbolic link") from None
            except OSError as exc:
                raise InputError(f"{path}: {exc.strerror or exc}") from None
            if stat.S_ISREG(info.st_mode):
                found.append(path)
            else:
                LOG.warning("%s: not a regular file; skipped", path)
    return sorted(found)


def read_bounded(name: str, budget: int) -> bytes:
    """The file's bytes, refusing more than ``budget`` (read in one bounded call, so a growing
    or endless input cannot hang the run)."""
    if name == STDIN:
        data = sys.stdin.buffer.read(budget + 1)
        label = "<stdin>"
    else:
        try:
            with open(name, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size > budget:
                    raise InputError(f"{name}: {size} bytes is over the {budget}-byte input limit")
                data = handle.read(budget + 1)
        except OSError as exc:
            raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
        label = name
    if len(data) > budget:
        raise InputError(f"{label}: input is over the {budget}-byte limit")
    return data


def decode_utf8(data: bytes, label: str) -> str:
    """The text of ``data`` (UTF-8, with or without a byte-order mark); an error naming the
    document and line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        separators = sum(1 for row in before.split(b"\n") if row.startswith(b"---"))
        document = separators + (0 if data.startswith(b"---") else 1)
        raise InputError(
            f"not UTF-8 text (byte {exc.start})", Location(label, document, line)
        ) from None


_LONG_INTEGER: Final = re.compile(r"[0-9]{4301,}")
"""More digits than Python converts to an integer by default (``sys.int_max_str_digits``)."""


def _where(text: str, offset: int, label: str) -> Location:
    """The document and line of a character offset, as the YAML loader counts them."""
    before = text[:offset]
    separators = sum(1 for row in before.split("\n") if row.startswith("---"))
    document = separators + (0 if text.startswith("---") else 1)
    return Location(label, max(document, 1), before.count("\n") + 1)


_NOT_YAML_CHARACTER: Final = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
"""A character the YAML reader refuses (controls, DEL, C1 controls, surrogates, U+FFFE/F)."""


def parse_text(text: str, label: str) -> list[Document]:
    """Every document of one YAML or JSON text, refusing what the loader cannot say well
    (see :func:`iter_text`)."""
    return list(iter_text(text, label))


def iter_text(text: str, label: str) -> Iterator[Document]:
    """Every document of one YAML or JSON text, one at a time, refusing what the loader cannot
    say well.

    Refusals stand here until the YAML loader makes them itself, each located: a character
    YAML does not allow (a control character, or a lone surrogate handed in by a library
    caller), and an integer too long for Python to convert (out of any Kubernetes field's
    range), which the loader would otherwise let escape as a ValueError. (The loader itself
    refuses NaN and Infinity in JSON, which RFC 8259 has not.)
    """
    bad = _NOT_YAML_CHARACTER.search(text)
    if bad is not None:
        code = ord(bad.group())
        problem = (
            "is a lone surrogate, not Unicode text"
            if 0xD800 <= code <= 0xDFFF
            else "is a control character, which YAML refuses (write it as an escape in a"
            f' double-quoted string, "\\u{code:04x}")'
        )
        raise InputError(f"character U+{code:04X} {problem}", _where(text, bad.start(), label))
    try:
        yield from parse_documents(text, label)
    except ValueError as exc:
        found = _LONG_INTEGER.search(text)
        if found is not None and "digits" in str(exc):
            raise InputError(
                f"an integer of {len(found.group())} digits is out of range (Kubernetes"
                " integers are at most 64 bits)",
                _where(text, found.start(), label),
            ) from None
        raise InputError(f"{label}: malformed YAML: {exc}") from None


def _kubernetes_shaped(document: Document) -> bool:
    """Whether a document claims to be a Kubernetes object (a mapping with apiVersion or kind)."""
    body = document.body
    return isinstance(body, dict) and ("apiVersion" in body or "kind" in body)


def load_documents(
    paths: Sequence[str],
    max_bytes: int = MAX_INPUT_BYTES,
    set_aside: list[str] | None = None,
) -> Iterator[Document]:
    """Every document of every input, in order; ``-`` reads standard input.

    Inside a directory, a file none of whose documents is Kubernetes-shaped (a stray JSON
    report, a Helm values file, a firewall export) is skipped with a warning, or, when the
    caller gives ``set_aside``, added to it for the caller to say what it is; a file given
    by name is always read. The size limit counts bytes, per file and in total.
    """
    budget = max_bytes
    for name, in_directory in _input_files(paths):
        data = read_bounded(name, budget)
        budget -= len(data)
        label = "<stdin>" if name == STDIN else name
        documents = iter_text(decode_utf8(data, label), label)
        if in_directory:
            # Documents are held only until the first Kubernetes-shaped one: a large stream
            # is never all in memory at once.
            held: list[Document] = []
            for document in documents:
                held.append(document)
                if _kubernetes_shaped(document):
                    break
            else:
                if held and set_aside is not None:
                    set_aside.append(name)
                elif held:
                    LOG.warning("%s: no Kubernetes object (apiVersion/kind) in it; skipped", name)
                continue
            yield from held
        yield from documents


@dataclass
class _RawWorkload:
    kind: str
    namespace: str
    name: str
    template: PodSpecInfo | None
    owner: OwnerRef | None
    location: Origin


@dataclass
class _RawPod:
    namespace: str
    name: str
    spec: PodSpecInfo
    ips: tuple[str, ...]
    owner: OwnerRef | None
    location: Origin
    host_ips: tuple[str, ...] = ()


@dataclass
class _Collected:
    namespaces: dict[str, Namespace] = field(default_factory=dict)
    pods: list[_RawPod] = field(default_factory=list)
    workloads: dict[tuple[str, str, str], _RawWorkload] = field(default_factory=dict)
    policies: list[NetworkPolicy] = field(default_factory=list)
    seen: dict[tuple[str, str, str], Origin] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_in: dict[str, dict[str, None]] = field(default_factory=dict)
    """The files each skipped kind came from (a dict as an ordered set)."""
    api_servers: list[tuple[str, int]] = field(default_factory=list)
    calico_policies: list[CalicoPolicy] = field(default_factory=list)
    calico_tiers: list[CalicoTier] = field(default_factory=list)
    network_sets: list[CalicoNetworkSet] = field(default_factory=list)
    admin_policies: list[AdminNetworkPolicy] = field(default_factory=list)
    service_accounts: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    ingresses: list[Ingress] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    strict: bool = False
    """Unknown fields are errors (``--strict``), not warnings."""


def _objects(doc: Document) -> Iterator[tuple[Field, str, str]]:
    """(object, apiVersion, kind) for a document, unpacking List and typed lists."""
    root = Field.root(doc)
    yield from _unpack(root, None)


def _unpack(
    obj: Field, item_kind: str | None, item_version: str = ""
) -> Iterator[tuple[Field, str, str]]:
    obj.mapping()
    kind_field = obj.get("kind")
    if kind_field is None and item_kind is None:
        raise obj.require("kind").error("required")  # pragma: no cover - require raises
    kind = kind_field.string() if kind_field is not None else item_kind
    assert kind is not None
    version_field = obj.get("apiVersion")
    # Items of a typed list (PodList, NetworkPolicyList) carry neither kind nor apiVersion.
    api_version = version_field.string() if version_field is not None else item_version
    items = obj.get("items")
    if kind.endswith("List") and (items is not None or kind == "List"):
        inner = None if kind == "List" else kind[: -len("List")]
        inner_version = "" if kind == "List" else api_version
        for item in items.items() if items is not None else ():
            yield from _unpack(item, inner, inner_version)
        return
    yield obj, api_version, kind


# Object names as each kind's validation checks them (apimachinery ``NameIsDNSLabel`` or
# ``NameIsDNSSubdomain``); kinds not listed, custom resources included, take a DNS-1123
# subdomain. The second item is a shorter limit some kinds add.
_NAME_RULES: Final[dict[str, tuple[Callable[[str], str | None], int | None, str]]] = {
    "Namespace": (dns1123_label_problem, None, "ValidateNamespaceName"),
    "StatefulSet": (dns1123_label_problem, None, "ValidateStatefulSetName"),
    # The Job controller labels its pods job-name=<name>, a label value (63 characters).
    "Job": (dns1123_subdomain_problem, 63, "ValidateJob: the job-name label value"),
    # The CronJob controller appends an 11-character suffix to make a Job name.
    "CronJob": (dns1123_subdomain_problem, 52, "ValidateCronJob"),
}
_DEFAULT_NAME_RULE: Final = (dns1123_subdomain_problem, None, "NameIsDNSSubdomain")


def _metadata(obj: Field, kind: str) -> tuple[Field, str]:
    """The object's metadata and name; the name checked by the kind's rule, the labels as
    labels (apimachinery ``ValidateObjectMeta``)."""
    metadata = obj.require("metadata")
    metadata.mapping()
    name_field = metadata.require("name")
    name = name_field.string()
    rule, limit, source = _NAME_RULES.get(kind, _DEFAULT_NAME_RULE)
    problem = rule(name)
    if problem is None and limit is not None and len(name) > limit:
        problem = f"must be at most {limit} characters for a {kind}, got {len(name)}"
    if problem is not None:
        raise name_field.error(f"invalid {kind} name {name!r}: {problem} ({source})")
    labels = metadata.get("labels")
    if labels is not None:
        labels.labels()
    return metadata, name


def _namespace_of(metadata: Field) -> str:
    """metadata.namespace (``default`` when unset), a DNS-1123 label."""
    ns = metadata.get("namespace")
    if ns is None or ns.value == "":
        return "default"
    text = ns.string()
    problem = dns1123_label_problem(text)
    if problem is not None:
        raise ns.error(f"invalid namespace {text!r}: {problem} (ValidateNamespaceName)")
    return text


def _claim(c: _Collected, key: tuple[str, str, str], obj: Field) -> None:
    """Refuse a second object with the same kind, namespace and name."""
    first = c.seen.get(key)
    if first is not None:
        kind, namespace, name = key
        shown = f"{namespace}/{name}" if namespace else name
        raise obj.error(f"duplicate {kind} {shown} (first defined at {first})")
    c.seen[key] = obj.origin


def _check_fields(c: _Collected, obj: Field, api_version: str, kind: str) -> None:
    """Report the fields of a modelled object that its API does not define."""
    type_name = root_type(api_version, kind)
    if type_name is not None:
        check_fields(obj, type_name, c.strict)


def _collect(c: _Collected, obj: Field, api_version: str, kind: str) -> None:
    if _modelled(obj, api_version, kind):
        _check_fields(c, obj, api_version, kind)
    if kind == "Namespace" and api_version in ("v1", ""):
        metadata, name = _metadata(obj, "Namespace")
        _claim(c, ("Namespace", "", name), obj)
        labels_field = metadata.get("labels")
        labels = labels_field.labels() if labels_field is not None else {}
        labels[NAMESPACE_NAME_LABEL] = name  # set by the API server, whatever was written
        c.namespaces[name] = Namespace(name, labels, obj.origin)
    elif kind == "Pod" and api_version in ("v1", ""):
        metadata, name = _metadata(obj, "Pod")
        namespace = _namespace_of(metadata)
        _claim(c, ("Pod", namespace, name), obj)
        spec = parse_pod_spec(metadata, obj.get("spec"))
        owner = controller_owner(metadata)
        c.pods.append(
            _RawPod(namespace, name, spec, pod_ips(obj), owner, obj.origin, host_ips(obj))
        )
    elif kind in WORKLOAD_KINDS:
        metadata, name = _metadata(obj, kind)
        namespace = _namespace_of(metadata)
        _claim(c, (kind, namespace, name), obj)
        template = pod_template(obj, kind)
        info = None
        if template is not None:
            info = parse_pod_spec(template.get("metadata"), template.get("spec"))
        owner = controller_owner(metadata)
        c.workloads[(kind, namespace, name)] = _RawWorkload(
            kind, namespace, name, info, owner, obj.origin
        )
    elif is_api_server_object(obj, api_version, kind):
        _metadata(obj, kind)
        _claim(c, (kind, "default", "kubernetes"), obj)
        c.api_servers.extend(api_server_addresses(obj, kind))
    elif api_version == CALICO_API and kind in CALICO_KINDS:
        _collect_calico(c, obj, kind)
    elif (api_version, kind) in ADMIN_KINDS:
        metadata, name = _metadata(obj, kind)
        _claim(c, (kind, "", name), obj)
        c.admin_policies.append(parse_admin_policy(obj, api_version, kind, name))
    elif kind == "Node" and api_version in ("v1", ""):
        metadata, name = _metadata(obj, "Node")
        _claim(c, ("Node", "", name), obj)
        labels_field = metadata.get("labels")
        labels = labels_field.labels() if labels_field is not None else {}
        c.nodes.append(Node(name, labels, node_addresses(obj), obj.origin, _node_pod_cidrs(obj)))
    elif kind == "ServiceAccount" and api_version in ("v1", ""):
        metadata, name = _metadata(obj, "ServiceAccount")
        namespace = _namespace_of(metadata)
        _claim(c, ("ServiceAccount", namespace, name), obj)
        labels_field = metadata.get("labels")
        c.service_accounts[(namespace, name)] = (
            labels_field.labels() if labels_field is not None else {}
        )
    elif kind == "NetworkPolicy" and api_version == "networking.k8s.io/v1":
        metadata, name = _metadata(obj, "NetworkPolicy")
        namespace = _namespace_of(metadata)
        _claim(c, ("NetworkPolicy", namespace, name), obj)
        c.policies.append(parse_network_policy(obj, namespace, name))
    elif _fronting(api_version, kind):
        _collect_fronting(c, obj, api_version, kind)
    else:
        _skip(c, f"{kind} ({api_version})" if api_version else kind, obj.doc.file)


def _skip(c: _Collected, label: str, file: str) -> None:
    """Count one object of a kind nothing reads, and the file it came from."""
    c.skipped[label] += 1
    c.skipped_in.setdefault(label, {})[file] = None


def _node_pod_cidrs(obj: Field) -> tuple[str, ...]:
    """spec.podCIDRs, else spec.podCIDR, each a CIDR as the API server parses it
    (``ValidateNode``: each entry by ``ValidateCIDR``, that is ``net.ParseCIDR``)."""
    spec = obj.get("spec")
    if spec is None:
        return ()
    many = spec.get("podCIDRs")
    fields = list(many.items()) if many is not None else []
    single = spec.get("podCIDR")
    if not fields and single is not None and single.value != "":
        fields = [single]
    found = []
    for item in fields:
        text = item.string()
        try:
            found.append(str(parse_cidr(text)))
        except ValueError as exc:
            raise item.error(f"invalid CIDR {text!r}: {exc}") from None
    return tuple(dict.fromkeys(found))


def _modelled(obj: Field, api_version: str, kind: str) -> bool:
    """Whether :func:`_collect` reads the object (rather than counting it as skipped)."""
    core = api_version in ("v1", "")
    return (
        (core and kind in ("Namespace", "Pod", "Node", "ServiceAccount"))
        or kind in WORKLOAD_KINDS
        or (kind == "NetworkPolicy" and api_version == "networking.k8s.io/v1")
        or (api_version == CALICO_API and kind in CALICO_KINDS)
        or (api_version, kind) in ADMIN_KINDS
        or is_api_server_object(obj, api_version, kind)
        or _fronting(api_version, kind)
    )


def _fronting(api_version: str, kind: str) -> bool:
    """Whether the object is a Service, an Ingress or a Gateway API route."""
    return (
        (kind == "Service" and api_version in (SERVICE_API, ""))
        or (kind == "Ingress" and api_version == INGRESS_API)
        or is_route(api_version, kind)
    )


def _collect_fronting(c: _Collected, obj: Field, api_version: str, kind: str) -> None:
    metadata, name = _metadata(obj, kind)
    namespace = _namespace_of(metadata)
    _claim(c, (kind, namespace, name), obj)
    if kind == "Service":
        c.services.append(parse_service(obj, namespace, name))
    elif kind == "Ingress":
        c.ingresses.append(parse_ingress(obj, namespace, name))
    else:
        c.routes.append(parse_route(obj, kind, namespace, name))


def _collect_calico(c: _Collected, obj: Field, kind: str) -> None:
    metadata, name = _metadata(obj, kind)
    namespaced = kind in ("NetworkPolicy", "NetworkSet")
    namespace = _namespace_of(metadata) if namespaced else None
    _claim(c, (f"projectcalico.org/{kind}", namespace or "", name), obj)
    if kind in ("NetworkPolicy", "GlobalNetworkPolicy"):
        c.calico_policies.append(parse_calico_policy(obj, kind, namespace, name))
    elif kind == "Tier":
        c.calico_tiers.append(parse_calico_tier(obj, name))
    else:
        c.network_sets.append(parse_network_set(obj, namespace, name))


# A controller folds into its own controller when that is one of these (kind -> owner kind).
_FOLDS: Final = {"ReplicaSet": "Deployment", "Job": "CronJob"}


def _top_workload(
    c: _Collected, namespace: str, ref: OwnerRef, hash_label: str | None
) -> tuple[str, str]:
    """Follow ownership up to the top-level workload (ReplicaSet -> Deployment, Job -> CronJob)."""
    kind, name = ref.kind, ref.name
    for _ in range(4):  # ownership chains are short; a cycle must not loop forever
        raw = c.workloads.get((kind, namespace, name))
        if raw is not None and raw.owner is not None and _FOLDS.get(kind) == raw.owner.kind:
            kind, name = raw.owner.kind, raw.owner.name
            continue
        if raw is None and kind == "ReplicaSet" and hash_label and name.endswith("-" + hash_label):
            # A Deployment names its ReplicaSets <deployment>-<pod-template-hash>.
            return "Deployment", name[: -len(hash_label) - 1]
        break
    return kind, name


def _build(c: _Collected) -> Cluster:
    workloads: dict[tuple[str, str, str], Workload] = {}

    def workload(kind: str, namespace: str, name: str) -> Workload:
        key = (kind, namespace, name)
        if key not in workloads:
            raw = c.workloads.get(key)
            workloads[key] = Workload(kind, namespace, name, raw.location if raw else None)
        return workloads[key]

    pods: list[Pod] = []
    populated: set[tuple[str, str, str]] = set()
    for raw_pod in c.pods:
        owner = raw_pod.owner
        wl = None
        if owner is not None and owner.kind != "Node":  # static (mirror) pods stand alone
            kind, name = _top_workload(
                c, raw_pod.namespace, owner, raw_pod.spec.labels.get("pod-template-hash")
            )
            wl = workload(kind, raw_pod.namespace, name)
            populated.add((kind, raw_pod.namespace, name))
        pods.append(
            Pod(
                namespace=raw_pod.namespace,
                name=raw_pod.name,
                labels=raw_pod.spec.labels,
                ports=raw_pod.spec.ports,
                ips=raw_pod.ips,
                workload=wl,
                host_network=raw_pod.spec.host_network,
                images=raw_pod.spec.images,
                service_account=raw_pod.spec.service_account,
                location=raw_pod.location,
                host_ips=raw_pod.host_ips,
            )
        )
    # Workloads with no Pod given are represented by their pod template.
    for raw in c.workloads.values():
        ref = raw.owner
        kind, name = raw.kind, raw.name
        if ref is not None and _FOLDS.get(raw.kind) == ref.kind:
            kind, name = _top_workload(c, raw.namespace, OwnerRef(raw.kind, raw.name), None)
        key = (kind, raw.namespace, name)
        if key in populated or raw.template is None:
            continue
        populated.add(key)
        pods.append(
            Pod(
                namespace=raw.namespace,
                name=name,
                labels=raw.template.labels,
                ports=raw.template.ports,
                workload=workload(kind, raw.namespace, name),
                host_network=raw.template.host_network,
                images=raw.template.images,
                service_account=raw.template.service_account,
                is_template=True,
                location=raw.location,
            )
        )
    pods = _qualify_shared_names(pods)
    namespaces = dict(c.namespaces)
    referenced = (
        [p.namespace for p in pods]
        + [p.namespace for p in c.policies]
        + [p.namespace for p in c.calico_policies if p.namespace is not None]
        + [s.namespace for s in c.network_sets if s.namespace is not None]
    )
    for name in referenced:
        if name not in namespaces:
            namespaces[name] = Namespace(name, {NAMESPACE_NAME_LABEL: name})
    return Cluster(
        namespaces=dict(sorted(namespaces.items())),
        pods=tuple(pods),
        policies=tuple(c.policies),
        workloads=tuple(_final(workloads.values(), pods)),
        skipped=dict(sorted(c.skipped.items())),
        skipped_files={label: tuple(c.skipped_in[label]) for label in sorted(c.skipped_in)},
        api_servers=tuple(dict.fromkeys(c.api_servers)),
        calico_policies=tuple(c.calico_policies),
        calico_tiers=tuple(c.calico_tiers),
        network_sets=tuple(c.network_sets),
        admin_policies=tuple(c.admin_policies),
        service_accounts=c.service_accounts,
        nodes=tuple(c.nodes),
        host_addresses=tuple(dict.fromkeys(ip for p in c.pods for ip in p.host_ips)),
        services=tuple(c.services),
        ingresses=tuple(c.ingresses),
        routes=tuple(c.routes),
    )


def _qualify_shared_names(pods: list[Pod]) -> list[Pod]:
    """Give the kind to workloads whose name another workload or a bare Pod of the namespace
    shares (a Deployment and a StatefulSet both called ``web``): each stays its own endpoint,
    ``namespace/Kind/name``, instead of folding into one by name."""
    owners: dict[tuple[str, str], set[str]] = {}
    for pod in pods:
        kind, name = (pod.workload.kind, pod.workload.name) if pod.workload else ("Pod", pod.name)
        owners.setdefault((pod.namespace, name), set()).add(kind)
    shared = {key for key, kinds in owners.items() if len(kinds) > 1}
    if not shared:
        return pods
    # Keyed by identity: the pods of one workload share its object, and hashing a
    # workload's every field once per pod costs more than the rest of this.
    qualified: dict[int, Workload] = {}
    out = []
    for pod in pods:
        wl = pod.workload
        if wl is not None and (wl.namespace, wl.name) in shared:
            found = qualified.get(id(wl))
            if found is None:
                found = qualified[id(wl)] = dataclasses.replace(wl, qualified=True)
            wl = found
            pod = dataclasses.replace(pod, workload=wl)
        out.append(pod)
    return out


def _final(workloads: Iterable[Workload], pods: list[Pod]) -> Iterator[Workload]:
    """The workloads as the pods carry them (qualified where their names are shared)."""
    carried = {(w.kind, w.namespace, w.name): w for p in pods if (w := p.workload) is not None}
    for wl in workloads:
        yield carried.get((wl.kind, wl.namespace, wl.name), wl)


def cluster_from_documents(documents: Iterable[Document], strict: bool = False) -> Cluster:
    """Build a Cluster from parsed documents; InputError on the first bad one.

    A field the API does not define is a warning on the ``netfence`` logger, or with
    ``strict`` an InputError (as ``kubectl --validate=strict``).
    """
    collected = _Collected(strict=strict)
    with _cyclic_gc_paused():
        for doc in documents:
            skipped = _plainly_skipped(doc.body)
            if skipped is not None:
                _skip(collected, skipped, doc.file)
                continue
            for obj, api_version, kind in _objects(doc):
                _collect(collected, obj, api_version, kind)
        return _build(collected)


_READ_KINDS: Final = (
    frozenset({"Namespace", "Pod", "Node", "ServiceAccount", "NetworkPolicy"})
    | WORKLOAD_KINDS
    | CALICO_KINDS
    | {kind for _, kind in ADMIN_KINDS}
    | API_SERVER_KINDS
    | FRONTING_KINDS
)
"""Every kind some branch of :func:`_collect` reads, whatever its apiVersion."""


def _plainly_skipped(body: object) -> str | None:
    """The skipped-kinds label of a document that is one object of a kind nothing reads,
    found without walking it; None for everything else (lists, kinds some stage reads, kind
    or apiVersion missing or not text), which takes the full path and its checks.

    Streams of ConfigMaps, Secrets and events are most of a large dump: counting them here
    keeps reading them as cheap as parsing them.
    """
    if not isinstance(body, dict):
        return None
    kind, api_version = body.get("kind"), body.get("apiVersion")
    if type(kind) is not str or type(api_version) is not str or not kind or not api_version:
        return None
    if kind.endswith("List") or kind in _READ_KINDS:
        return None
    return f"{kind} ({api_version})"


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Reading builds millions of small containers that all survive, and the model built
    from them as many objects again; CPython's cyclic collector walks the growing heap of
    survivors again and again, a third of the time of a large stream. Nothing the readers
    or the model build forms a cycle (an alias inside its own anchor is refused), so
    reference counting frees it all; the collector resumes afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_cluster(
    paths: Sequence[str], max_bytes: int = MAX_INPUT_BYTES, strict: bool = False
) -> Cluster:
    """Read every input and build the Cluster they describe (``strict``: unknown fields are
    errors, not warnings)."""
    return cluster_from_documents(load_documents(paths, max_bytes), strict)


def load_cluster_from_text(text: str, name: str = "<text>", strict: bool = False) -> Cluster:
    """Build a Cluster from manifests given as a string (handy for the library and tests)."""
    return cluster_from_documents(parse_text(text, name), strict)

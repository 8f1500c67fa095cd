"""Read a running cluster, read-only, through its API server.

The official ``kubernetes`` client (the ``live`` extra) finds the configuration (a kubeconfig
and its context, or the pod's service account in a cluster) and carries the requests; the
answers are read as raw JSON, never as the client's models (which drop the fields they do not
know), and become the same documents manifests give, so that the one validation applies.

What is asked, as the API concepts describe it:

- every list is paginated (``limit``, then ``continue`` until it is empty); the pages of one
  list are one consistent snapshot, at the resourceVersion of its first page. A 410 Gone (the
  continue token expired while paging) restarts that list once, then is an error;
- the optional groups (Gateway API, Calico's ``projectcalico.org/v3``, the network-policy API
  ``policy.networking.k8s.io``) are found by discovery (``/apis``); one absent is said in a
  note, never skipped in silence;
- a refusal (401, 403) is an error naming the resource and the verb: a policy left unread
  would be a wrong verdict, so an optional group the credentials cannot read is an error too;
- no Secret and no ConfigMap is ever asked for.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from netfence.errors import InputError
from netfence.model.cluster import Cluster
from netfence.model.origin import APIObjectOrigin
from netfence.sources.manifests import cluster_from_documents, parse_text
from netfence.sources.yamldocs import Document

INSTALL_HINT: Final = "the live source needs the kubernetes client: pip install 'netfence[live]'"
"""The error when the ``live`` extra is not installed."""
RBAC_HINT: Final = "the ClusterRole in docs/rbac/netfence-reader.yaml grants it (netfence rbac)"
"""Where a refused request's permission is found."""
DEFAULT_CHUNK_SIZE: Final = 500
"""Objects asked per page of a list (``limit``), as kubectl's ``--chunk-size``."""
DEFAULT_REQUEST_TIMEOUT: Final = 30.0
"""Seconds one request may take before it is an error."""
SERVICE_ACCOUNT_TOKEN: Final = "/var/run/secrets/kubernetes.io/serviceaccount/token"
"""The token the kubelet mounts into a pod: in-cluster configuration is used when it exists
and no kubeconfig does."""


@dataclass(frozen=True)
class Resource:
    """One kind netfence lists (or, for ``name``, gets) from the API server."""

    group: str
    """The API group; empty for the core group."""
    resource: str
    """The resource, as URLs and RBAC name it (lower-case plural: ``networkpolicies``)."""
    kind: str
    """The kind of its objects."""
    namespaced: bool
    """Whether its objects live in namespaces."""
    versions: tuple[str, ...] = ("v1",)
    """The versions netfence reads; empty for every version the server serves (preferred
    first)."""
    optional: bool = False
    """Whether the group may be absent (found by discovery); the core groups must be served."""
    name: str | None = None
    """Get only this object (in the ``default`` namespace) instead of listing."""
    per_tier: bool = False
    """Listed once per Calico tier: the Calico API server lists the ``default`` tier's
    policies alone when no tier is selected (label ``projectcalico.org/tier``)."""

    @property
    def qualified(self) -> str:
        """``resource.group`` (the resource alone in the core group), as RBAC errors say it."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    @property
    def verb(self) -> str:
        """The one verb netfence uses on it."""
        return "get" if self.name is not None else "list"


_NP_API: Final = "policy.networking.k8s.io"
_GATEWAY: Final = "gateway.networking.k8s.io"
_CALICO: Final = "projectcalico.org"

RESOURCES: Final[tuple[Resource, ...]] = (
    Resource("", "namespaces", "Namespace", False),
    Resource("", "nodes", "Node", False),
    Resource("", "pods", "Pod", True),
    Resource("", "serviceaccounts", "ServiceAccount", True),
    Resource("", "services", "Service", True),
    Resource("", "replicationcontrollers", "ReplicationController", True),
    # Only the API server's own endpoints: netfence needs its addresses, nothing else there.
    Resource("", "endpoints", "Endpoints", True, name="kubernetes"),
    Resource("discovery.k8s.io", "endpointslices", "EndpointSlice", True, name="kubernetes"),
    Resource("apps", "deployments", "Deployment", True),
    Resource("apps", "replicasets", "ReplicaSet", True),
    Resource("apps", "statefulsets", "StatefulSet", True),
    Resource("apps", "daemonsets", "DaemonSet", True),
    Resource("batch", "jobs", "Job", True),
    Resource("batch", "cronjobs", "CronJob", True),
    Resource("networking.k8s.io", "networkpolicies", "NetworkPolicy", True),
    Resource("networking.k8s.io", "ingresses", "Ingress", True),
    Resource(_GATEWAY, "httproutes", "HTTPRoute", True, (), optional=True),
    Resource(_GATEWAY, "grpcroutes", "GRPCRoute", True, (), optional=True),
    Resource(_GATEWAY, "tcproutes", "TCPRoute", True, (), optional=True),
    Resource(_GATEWAY, "tlsroutes", "TLSRoute", True, (), optional=True),
    Resource(_CALICO, "tiers", "Tier", False, ("v3",), optional=True),
    Resource(
        _CALICO, "globalnetworkpolicies", "GlobalNetworkPolicy", False, ("v3",), True, per_tier=True
    ),
    Resource(_CALICO, "networkpolicies", "NetworkPolicy", True, ("v3",), True, per_tier=True),
    Resource(_CALICO, "globalnetworksets", "GlobalNetworkSet", False, ("v3",), optional=True),
    Resource(_CALICO, "networksets", "NetworkSet", True, ("v3",), optional=True),
    Resource(_NP_API, "adminnetworkpolicies", "AdminNetworkPolicy", False, ("v1alpha1",), True),
    Resource(
        _NP_API,
        "baselineadminnetworkpolicies",
        "BaselineAdminNetworkPolicy",
        False,
        ("v1alpha1",),
        True,
    ),
    Resource(_NP_API, "clusternetworkpolicies", "ClusterNetworkPolicy", False, ("v1alpha2",), True),
)
"""Everything the live source reads, in order (Calico's tiers before the policies listed per
tier): exactly the kinds manifests are read for."""
TIER_LABEL: Final = "projectcalico.org/tier"
"""The label the Calico API server selects a tier's policies by."""

_UNREAD: Final = {
    _GATEWAY: "Gateway API routes not read",
    _CALICO + "/v3": "Calico policies not read",
    _NP_API + "/v1alpha1": "AdminNetworkPolicy and BaselineAdminNetworkPolicy not read",
    _NP_API + "/v1alpha2": "ClusterNetworkPolicy not read",
}
"""What an absent optional group (or group version) leaves unread, for its note."""


@dataclass(frozen=True)
class LiveOptions:
    """How to reach the cluster and what to read of it."""

    kubeconfig: str | None = None
    """The kubeconfig file; None for KUBECONFIG, else ``~/.kube/config``, else in-cluster."""
    context: str | None = None
    """The kubeconfig context; None for its current context."""
    namespaces: tuple[str, ...] = ()
    """Read the namespaced kinds in these namespaces only; empty for all namespaces."""
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    """Seconds one request may take."""
    chunk_size: int = DEFAULT_CHUNK_SIZE
    """Objects asked per page."""
    strict: bool = False
    """Unknown fields are errors, not warnings (as for manifests)."""


@dataclass(frozen=True)
class LiveRead:
    """A cluster read from its API server, and what the reader has to say about the read."""

    cluster: Cluster
    """The cluster, every object's origin an :class:`APIObjectOrigin`."""
    notes: tuple[str, ...]
    """What was not read and why (an optional group not served, other namespaces)."""
    server: str
    """The API server's URL."""


def read_live(
    options: LiveOptions = LiveOptions(), stage: Callable[[str], None] | None = None
) -> LiveRead:
    """Read the cluster the options point at; InputError (one line) for anything that keeps
    the read from being complete. ``stage`` is told what is being listed."""
    connection = _Connection.open(options)
    try:
        notes: list[str] = []
        plan = _plan(connection, notes)
        if options.namespaces:
            notes.append(
                f"read namespace {', '.join(options.namespaces)} only: the pods, workloads and"
                " policies of other namespaces were not read"
            )
        documents = _documents(connection, plan, options, stage)
        cluster = cluster_from_documents(documents, options.strict)
    finally:
        connection.close()
    return LiveRead(cluster, tuple(notes), connection.host)


@dataclass(frozen=True)
class _Planned:
    """A resource and the version it is read in."""

    resource: Resource
    version: str

    @property
    def group_version(self) -> str:
        group = self.resource.group
        return f"{group}/{self.version}" if group else self.version

    def path(self, namespace: str | None) -> str:
        """The URL path of its collection (in ``namespace``, or across all)."""
        base = f"/apis/{self.group_version}" if self.resource.group else "/api/v1"
        where = f"/namespaces/{namespace}" if namespace is not None else ""
        return f"{base}{where}/{self.resource.resource}"


def _plan(connection: _Connection, notes: list[str]) -> list[_Planned]:
    """Every resource with the version to read it in; the optional ones the server does not
    serve are left out, with a note."""
    optional = [r for r in RESOURCES if r.optional]
    served = _served_groups(connection)
    resources_of = _ResourceLists(connection)
    chosen: dict[Resource, str] = {}
    for resource in optional:
        candidates = resource.versions or served.get(resource.group, ())
        for version in candidates:
            if version in served.get(resource.group, ()) and resource.resource in resources_of(
                resource.group, version
            ):
                chosen[resource] = version
                break
    _note_unserved(optional, chosen, served, resources_of, notes)
    return [
        _Planned(r, chosen[r] if r.optional else r.versions[0])
        for r in RESOURCES
        if not r.optional or r in chosen
    ]


def _note_unserved(
    optional: list[Resource],
    chosen: dict[Resource, str],
    served: dict[str, tuple[str, ...]],
    resources_of: _ResourceLists,
    notes: list[str],
) -> None:
    """One note per absent optional group version, and per resource a served one lacks."""
    said: set[str] = set()
    for resource in optional:
        if resource in chosen:
            continue
        group_versions = (
            [f"{resource.group}/{v}" for v in resource.versions]
            if resource.versions
            else [resource.group]
        )
        versions = served.get(resource.group, ())
        for gv in group_versions:
            version = gv.partition("/")[2]
            group_served = version in versions if version else bool(versions)
            if not group_served:
                if gv not in said:
                    said.add(gv)
                    notes.append(f"{gv} is not served; {_UNREAD[gv]}{_calico_hint(gv, served)}")
            else:
                notes.append(
                    f"{gv} serves no {resource.resource}; {resource.kind} objects not read"
                )


def _calico_hint(group_version: str, served: dict[str, tuple[str, ...]]) -> str:
    """Calico without its API server serves only its storage CRDs, which are not its API."""
    if group_version.startswith(_CALICO) and "crd.projectcalico.org" in served:
        return (
            " (crd.projectcalico.org is Calico's internal storage; install the Calico API"
            " server to read them)"
        )
    return ""


def _served_groups(connection: _Connection) -> dict[str, tuple[str, ...]]:
    """Each API group the server serves and its versions, the preferred one first (from
    ``/apis``, an APIGroupList)."""
    body = connection.get_json("/apis", {}, "discover the API groups (/apis)")
    groups: dict[str, tuple[str, ...]] = {}
    for group in _list_of(body, "groups", "/apis"):
        name = group.get("name")
        versions = [v.get("version") for v in _list_of(group, "versions", "/apis")]
        preferred = (group.get("preferredVersion") or {}).get("version")
        ordered = [preferred] if preferred in versions else []
        ordered += [v for v in versions if v != preferred]
        if isinstance(name, str):
            groups[name] = tuple(v for v in ordered if isinstance(v, str))
    return groups


class _ResourceLists:
    """The resources each group version serves (``/apis/GROUP/VERSION``, an APIResourceList),
    asked once each."""

    def __init__(self, connection: _Connection) -> None:
        self._connection = connection
        self._known: dict[str, frozenset[str]] = {}

    def __call__(self, group: str, version: str) -> frozenset[str]:
        path = f"/apis/{group}/{version}"
        if path not in self._known:
            body = self._connection.get_json(path, {}, f"discover {group}/{version} ({path})")
            self._known[path] = frozenset(
                str(r.get("name")) for r in _list_of(body, "resources", path)
            )
        return self._known[path]


def _list_of(body: Any, key: str, where: str) -> list[Any]:
    """``body[key]`` as a list of mappings; an error for any other shape."""
    items = body.get(key) if isinstance(body, dict) else None
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InputError(f"{where}: the API server's answer has no list of {key}")
    return items


def _documents(
    connection: _Connection,
    plan: list[_Planned],
    options: LiveOptions,
    stage: Callable[[str], None] | None,
) -> Iterator[Document]:
    """Every object of every planned resource, as documents."""
    # The default tier always exists (Calico creates it, and it cannot be deleted), listed or
    # not: policies with no tier are in it.
    tiers: dict[str, None] = {"default": None}
    for planned in plan:
        resource = planned.resource
        if stage is not None:
            stage(f"reading {resource.qualified} from the API server")
        if resource.name is not None:
            yield from connection.get_object(planned)
            continue
        selectors: list[str | None] = (
            [f"{TIER_LABEL}=={tier}" for tier in tiers] if resource.per_tier else []
        )
        for selector in selectors or [None]:
            for document in _listed(connection, planned, options, selector):
                if resource.kind == "Tier" and document.origin is not None:
                    tiers[document.origin.name] = None
                yield document


def _listed(
    connection: _Connection, planned: _Planned, options: LiveOptions, selector: str | None
) -> Iterator[Document]:
    """One resource's objects, in the namespaces asked (or all), by a label selector."""
    if planned.resource.namespaced and options.namespaces:
        for namespace in options.namespaces:
            yield from connection.list_all(planned, namespace, options.chunk_size, selector)
    else:
        yield from connection.list_all(planned, None, options.chunk_size, selector)


class _Gone(Exception):
    """410 Gone: the continue token of a list expired."""


@dataclass
class _Connection:
    """The client's ApiClient and the answers it is given, turned into documents or errors."""

    api: Any
    """``kubernetes.client.ApiClient`` (typed Any: the client is an optional extra)."""
    timeout: float
    """Seconds per request."""
    errors: Any
    """``urllib3.exceptions``, imported with the client."""
    requested: list[str] = field(default_factory=list)
    """Every path asked, in order."""

    @classmethod
    def open(cls, options: LiveOptions) -> _Connection:
        """A connection configured as kubectl would be (kubeconfig or in-cluster)."""
        try:
            import urllib3.exceptions
            from kubernetes import client
        except ImportError:
            raise InputError(INSTALL_HINT) from None
        configuration = _configuration(options)
        # Retrying is decided here (a dropped connection once, nothing else), not by urllib3.
        configuration.retries = False
        return cls(client.ApiClient(configuration), options.request_timeout, urllib3.exceptions)

    @property
    def host(self) -> str:
        """The API server's URL."""
        return str(self.api.configuration.host)

    def close(self) -> None:
        """Release the client's connections."""
        self.api.close()

    def get_json(self, path: str, query: dict[str, str], what: str) -> Any:
        """The JSON of a 200 answer (discovery); an error naming ``what`` for anything else."""
        status, body = self._request(path, query, what)
        if status != 200:
            raise InputError(f"cannot {what}: {_status_text(status, body)}")
        try:
            return json.loads(body)
        except ValueError:
            raise InputError(f"cannot {what}: the answer is not JSON") from None

    def get_object(self, planned: _Planned) -> Iterator[Document]:
        """The one object a resource names (in ``default``), as a document; none when the
        server has no such object (404)."""
        resource = planned.resource
        path = f"{planned.path('default')}/{resource.name}"
        what = f'get {resource.qualified} "{resource.name}" in namespace default'
        status, body = self._request(path, {}, what)
        if status == 404:
            return
        self._refuse(status, body, resource, what)
        text = _text(body, what)
        for document in parse_text(text, f"API {resource.qualified}"):
            if isinstance(document.body, dict):
                yield _object_document(document, document.body, resource.kind, planned)

    def list_all(
        self, planned: _Planned, namespace: str | None, limit: int, selector: str | None = None
    ) -> Iterator[Document]:
        """Every object of one list, paginated; restarted once when its continue token
        expires (410 Gone)."""
        try:
            return iter(list(self._pages(planned, namespace, limit, selector)))
        except _Gone:
            try:
                return iter(list(self._pages(planned, namespace, limit, selector)))
            except _Gone:
                where = f"namespace {namespace}" if namespace else "all namespaces"
                raise InputError(
                    f"cannot list {planned.resource.qualified} in {where}: its continue token"
                    " expired twice while paging (410 Gone); the cluster changes faster than"
                    " it is read, try a larger --chunk-size"
                ) from None

    def _pages(
        self, planned: _Planned, namespace: str | None, limit: int, selector: str | None
    ) -> Iterator[Document]:
        resource = planned.resource
        where = f"namespace {namespace}" if namespace else "all namespaces"
        what = f"list {resource.qualified} in {where}"
        if selector is not None:
            what += f" ({selector})"
        path = planned.path(namespace)
        token: Any = ""
        page = 0
        while True:
            page += 1
            query = {"limit": str(limit)}
            if selector is not None:
                query["labelSelector"] = selector
            if token:
                query["continue"] = token
            status, body = self._request(path, query, what)
            if status == 410:
                raise _Gone
            self._refuse(status, body, resource, what)
            documents = parse_text(_text(body, what), f"API {resource.qualified}")
            if len(documents) != 1 or not isinstance(documents[0].body, dict):
                raise InputError(f"cannot {what}: the answer is not one JSON list")
            listed = documents[0].body
            item_kind = _item_kind(listed, resource, what)
            items = listed.get("items") or []
            if not isinstance(items, list):
                raise InputError(f"cannot {what}: the answer's items are not a list")
            for item in items:
                if not isinstance(item, dict):
                    raise InputError(f"cannot {what}: an item of the answer is not an object")
                yield _object_document(documents[0], item, item_kind, planned, page)
            metadata = listed.get("metadata")
            token = metadata.get("continue") if isinstance(metadata, dict) else None
            if not token or not isinstance(token, str):
                return

    def _refuse(self, status: int, body: bytes, resource: Resource, what: str) -> None:
        """An error for any answer but 200."""
        if status == 200:
            return
        if status == 403:
            raise InputError(f"cannot {what}: forbidden; {RBAC_HINT}")
        if status == 401:
            raise InputError(
                f"cannot {what}: unauthorized (401): the API server refused the credentials"
            )
        if status == 404 and resource.name is None:
            raise InputError(
                f"cannot {what}: the API server does not serve {resource.qualified} (404)"
            )
        raise InputError(f"cannot {what}: {_status_text(status, body)}")

    def _request(self, path: str, query: dict[str, str], what: str) -> tuple[int, bytes]:
        """(status, body) of one GET; a dropped connection is tried again once."""
        self.requested.append(path)
        try:
            return self._attempt(path, query)
        except self.errors.HTTPError as exc:
            if self._timed_out(exc):
                raise self._timeout_error(what) from None
        try:
            return self._attempt(path, query)
        except self.errors.HTTPError as exc:
            if self._timed_out(exc):
                raise self._timeout_error(what) from None
            reason = getattr(exc, "reason", None) or exc
            raise InputError(
                f"cannot {what}: the connection to the API server at {self.host} failed twice"
                f" ({_one_line(str(reason))})"
            ) from None

    def _attempt(self, path: str, query: dict[str, str]) -> tuple[int, bytes]:
        method, url, headers, body, post = self.api.param_serialize(
            "GET",
            path,
            query_params=list(query.items()),
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        response = self.api.call_api(
            method, url, headers, body, post, _request_timeout=self.timeout
        )
        data = response.read()
        return int(response.status), bytes(data or b"")

    def _timed_out(self, exc: BaseException) -> bool:
        """Whether the error is a timeout (a refused connection is no timeout, though urllib3
        makes it one's subclass)."""
        return isinstance(exc, self.errors.TimeoutError) and not isinstance(
            exc, self.errors.NewConnectionError
        )

    def _timeout_error(self, what: str) -> InputError:
        return InputError(
            f"cannot {what}: no answer from the API server within {self.timeout:g} s"
            " (--request-timeout)"
        )


def _configuration(options: LiveOptions) -> Any:
    """The client's Configuration: the kubeconfig (and context), or in-cluster when no
    kubeconfig exists and the pod's service-account token does."""
    from kubernetes import client
    from kubernetes import config as loaders

    # The loaders are untyped; Any keeps strict typing to this module's own code.
    config: Any = loaders
    configuration = client.Configuration()
    try:
        if options.kubeconfig is None and options.context is None and _in_cluster():
            config.load_incluster_config(client_configuration=configuration)
        else:
            # Looked up now, not when the client was imported: KUBECONFIG may have changed.
            default = os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
            if options.kubeconfig is None and not _any_kubeconfig():
                raise InputError(
                    "no kubeconfig: "
                    + (
                        "no file KUBECONFIG names exists"
                        if os.environ.get("KUBECONFIG")
                        else "KUBECONFIG is not set and ~/.kube/config does not exist"
                    )
                    + ", and netfence is not running in a pod; give --kubeconfig FILE"
                )
            config.load_kube_config(
                config_file=options.kubeconfig or default,
                context=options.context,
                client_configuration=configuration,
            )
    except config.ConfigException as exc:
        raise InputError(f"kubeconfig: {_one_line(str(exc))}") from None
    except OSError as exc:
        raise InputError(f"kubeconfig: {exc.filename}: {exc.strerror or exc}") from None
    return configuration


def _any_kubeconfig() -> bool:
    """Whether a kubeconfig file exists where kubectl looks: KUBECONFIG's files, else
    ``~/.kube/config``."""
    listed = os.environ.get("KUBECONFIG")
    files = listed.split(os.pathsep) if listed else [os.path.expanduser("~/.kube/config")]
    return any(name and os.path.exists(name) for name in files)


def _in_cluster() -> bool:
    """No kubeconfig to read, and a mounted service-account token."""
    return not _any_kubeconfig() and os.path.exists(SERVICE_ACCOUNT_TOKEN)


def _item_kind(listed: dict[str, Any], resource: Resource, what: str) -> str:
    """The kind of the items of a list answer (``PodList`` holds ``Pod``)."""
    kind = listed.get("kind")
    if not isinstance(kind, str) or not kind.endswith("List") or "items" not in listed:
        shown = kind if isinstance(kind, str) else "no kind"
        raise InputError(f"cannot {what}: the answer is {shown[:60]}, not a list")
    return kind[: -len("List")] or resource.kind


def _object_document(
    answer: Document, item: dict[str, Any], kind: str, planned: _Planned, index: int = 1
) -> Document:
    """One object of an answer as a document of its own: kind and apiVersion filled in (the
    items of a list carry neither) and its origin the API object."""
    item.setdefault("kind", kind)
    item.setdefault("apiVersion", planned.group_version)
    metadata = item.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    name, namespace, version = (metadata.get(k) for k in ("name", "namespace", "resourceVersion"))
    origin = APIObjectOrigin(
        kind,
        namespace if isinstance(namespace, str) and namespace else None,
        name if isinstance(name, str) else "",
        version if isinstance(version, str) else None,
    )
    line = getattr(item, "line", answer.line)
    return Document(answer.file, index, line, item, origin)


def _text(body: bytes, what: str) -> str:
    """The answer as text (JSON is UTF-8)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"cannot {what}: the answer is not UTF-8") from None


def _status_text(status: int, body: bytes) -> str:
    """A failed answer in words: its Status message when it has one."""
    try:
        decoded = json.loads(body)
    except ValueError:
        decoded = None
    message = decoded.get("message") if isinstance(decoded, dict) else None
    reason = decoded.get("reason") if isinstance(decoded, dict) else None
    text = f"HTTP {status}"
    if isinstance(reason, str) and reason:
        text += f" {reason}"
    if isinstance(message, str) and message:
        text += f": {_one_line(message)[:200]}"
    return text


def _one_line(text: str) -> str:
    return " ".join(text.split())


Permission = tuple[str, str, str, str | None]
"""(verb, API group, resource, object name or None for any)."""

CALICO_TIER_GATES: Final[tuple[Permission, ...]] = (
    ("get", _CALICO, "tiers", None),
    ("list", _CALICO, "tier.networkpolicies", None),
    ("list", _CALICO, "tier.globalnetworkpolicies", None),
)
"""What the Calico API server checks besides the request itself before it lists a tier's
policies: get on the tier, and list on its pseudo-resources."""
DISCOVERY_PATHS: Final = ("/apis", "/apis/*")
"""The non-resource URLs the source gets (discovery of the optional groups)."""


def required_permissions() -> list[Permission]:
    """Every (verb, group, resource, name) the source asks for, and what Calico's API server
    checks with them: what the least-privilege ClusterRole must grant, and all it may."""
    asked = [(r.verb, r.group, r.resource, r.name) for r in RESOURCES]
    return asked + list(CALICO_TIER_GATES)

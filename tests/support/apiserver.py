"""A loopback Kubernetes API server for tests: the read side of the list protocol, nothing more.

No real API server can be installed on the build machines, so the live source is tested
against this one, written from the API reference's shapes (what ``kubectl get --raw`` prints):

- discovery: ``/api`` (APIVersions), ``/apis`` (APIGroupList, preferred version first) and
  ``/apis/GROUP/VERSION`` (APIResourceList); a group not given is not served (404);
- lists at ``/api/v1[/namespaces/NS]/RESOURCE`` and ``/apis/GROUP/VERSION[/namespaces/NS]/
  RESOURCE``: ``{"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": ...,
  "continue": ...}, "items": [...]}``, items without kind and apiVersion, chunked by ``limit``
  with an opaque continue token, every page at the resourceVersion of the first;
- a get of one object (``.../RESOURCE/NAME``);
- failures a test asks for: 410 Gone on a continue token (``expire_continue``, per path), 401 without
  the bearer token, 403 Status objects from an RBAC filter (``authorize``), a slow answer
  (``slow``: seconds of sleep before it), a dropped connection (``drop``: the socket closed
  half-way through the body, so many times per path).

Every request is recorded (path, query, Authorization header) so that a test can assert what
was asked, and what never was.
"""

from __future__ import annotations

import base64
import contextlib
import glob
import http.server
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TOKEN = "netfence-test-token"
"""The bearer token the server accepts."""


@dataclass(frozen=True)
class Kind:
    """Where the server keeps one kind."""

    group: str
    """Its API group; empty for the core group."""
    version: str
    """The version it is served in."""
    resource: str
    """Its resource name in URLs."""
    namespaced: bool
    """Whether its objects live in namespaces."""


KINDS: dict[str, Kind] = {
    "v1/Namespace": Kind("", "v1", "namespaces", False),
    "v1/Node": Kind("", "v1", "nodes", False),
    "v1/Pod": Kind("", "v1", "pods", True),
    "v1/ServiceAccount": Kind("", "v1", "serviceaccounts", True),
    "v1/Service": Kind("", "v1", "services", True),
    "v1/ReplicationController": Kind("", "v1", "replicationcontrollers", True),
    "v1/Endpoints": Kind("", "v1", "endpoints", True),
    "v1/Secret": Kind("", "v1", "secrets", True),
    "v1/ConfigMap": Kind("", "v1", "configmaps", True),
    "discovery.k8s.io/v1/EndpointSlice": Kind("discovery.k8s.io", "v1", "endpointslices", True),
    "apps/v1/Deployment": Kind("apps", "v1", "deployments", True),
    "apps/v1/ReplicaSet": Kind("apps", "v1", "replicasets", True),
    "apps/v1/StatefulSet": Kind("apps", "v1", "statefulsets", True),
    "apps/v1/DaemonSet": Kind("apps", "v1", "daemonsets", True),
    "batch/v1/Job": Kind("batch", "v1", "jobs", True),
    "batch/v1/CronJob": Kind("batch", "v1", "cronjobs", True),
    "networking.k8s.io/v1/NetworkPolicy": Kind("networking.k8s.io", "v1", "networkpolicies", True),
    "networking.k8s.io/v1/Ingress": Kind("networking.k8s.io", "v1", "ingresses", True),
    "gateway.networking.k8s.io/v1/HTTPRoute": Kind(
        "gateway.networking.k8s.io", "v1", "httproutes", True
    ),
    "gateway.networking.k8s.io/v1/GRPCRoute": Kind(
        "gateway.networking.k8s.io", "v1", "grpcroutes", True
    ),
    "gateway.networking.k8s.io/v1alpha2/TCPRoute": Kind(
        "gateway.networking.k8s.io", "v1alpha2", "tcproutes", True
    ),
    "gateway.networking.k8s.io/v1alpha2/TLSRoute": Kind(
        "gateway.networking.k8s.io", "v1alpha2", "tlsroutes", True
    ),
    "projectcalico.org/v3/NetworkPolicy": Kind("projectcalico.org", "v3", "networkpolicies", True),
    "projectcalico.org/v3/GlobalNetworkPolicy": Kind(
        "projectcalico.org", "v3", "globalnetworkpolicies", False
    ),
    "projectcalico.org/v3/Tier": Kind("projectcalico.org", "v3", "tiers", False),
    "projectcalico.org/v3/NetworkSet": Kind("projectcalico.org", "v3", "networksets", True),
    "projectcalico.org/v3/GlobalNetworkSet": Kind(
        "projectcalico.org", "v3", "globalnetworksets", False
    ),
    "policy.networking.k8s.io/v1alpha1/AdminNetworkPolicy": Kind(
        "policy.networking.k8s.io", "v1alpha1", "adminnetworkpolicies", False
    ),
    "policy.networking.k8s.io/v1alpha1/BaselineAdminNetworkPolicy": Kind(
        "policy.networking.k8s.io", "v1alpha1", "baselineadminnetworkpolicies", False
    ),
    "policy.networking.k8s.io/v1alpha2/ClusterNetworkPolicy": Kind(
        "policy.networking.k8s.io", "v1alpha2", "clusternetworkpolicies", False
    ),
}
"""Every kind the server can hold (``apiVersion/kind``): those netfence reads, and Secrets and
ConfigMaps, which it must never ask for."""

CORE_GROUPS = ("apps", "batch", "networking.k8s.io", "discovery.k8s.io")
"""Groups every cluster serves."""


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    path: str
    """The URL path, without the query."""
    query: dict[str, str]
    """The query parameters (limit, continue, labelSelector)."""
    authorization: str | None
    """The Authorization header, if any."""
    verb: str
    """``list`` or ``get`` for a resource; ``get`` for discovery."""
    group: str | None
    """The resource's group ("" for the core group); None for a path that names none."""
    resource: str | None
    """The resource (``pods``); None for discovery."""
    namespace: str | None
    """The namespace of a namespaced path; None across all namespaces."""
    name: str | None
    """The object's name for a get; None for a list."""


@dataclass
class FakeAPIServer:
    """The server's state; the test changes it between requests as it likes."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    """Every object held, as written (kind and apiVersion included)."""
    served: set[str] = field(default_factory=set)
    """Optional group versions served (``projectcalico.org/v3``); the core ones always are."""
    expire_continue: dict[str, int] = field(default_factory=dict)
    """Path -> how many of its requests that carry a continue token get 410 Gone."""
    authorize: Callable[[Request], bool] | None = None
    """The RBAC filter: False answers 403."""
    slow: dict[str, float] = field(default_factory=dict)
    """Path -> seconds to sleep before answering."""
    drop: dict[str, int] = field(default_factory=dict)
    """Path -> how many times to close the connection half-way through the answer."""
    requests: list[Request] = field(default_factory=list)
    """Every request, in order."""
    resource_version: int = 1000
    """The cluster's resourceVersion."""
    url: str = ""
    """``http://127.0.0.1:PORT`` once started."""
    kubeconfig: str = ""
    """A kubeconfig pointing at it, when a test wrote one."""

    def add(self, text: str) -> None:
        """Hold the objects of a YAML stream, each given a resourceVersion."""
        for document in yaml.safe_load_all(text):
            if document is None:
                continue
            items = document["items"] if document.get("kind") == "List" else [document]
            for item in items:
                self.resource_version += 1
                item.setdefault("metadata", {}).setdefault(
                    "resourceVersion", str(self.resource_version)
                )
                self.objects.append(item)

    def group_versions(self) -> dict[str, list[str]]:
        """Each served group's versions."""
        found: dict[str, list[str]] = {group: ["v1"] for group in CORE_GROUPS}
        for gv in sorted(self.served):
            group, version = gv.split("/")
            found.setdefault(group, []).append(version)
        return found

    def paths_asked(self) -> list[str]:
        """Every path asked, in order."""
        return [r.path for r in self.requests]


def parse_path(path: str) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """(group, version, namespace, resource, name) of a resource path; all None otherwise."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None, None, None, None, None
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 2:
        return group, version, None, None, None
    return group, version, namespace, rest[0], rest[1] if len(rest) == 2 else None


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment: written apart, Nagle's algorithm and delayed
    # acknowledgements would add 40 ms to every answer.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    state: FakeAPIServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Quiet: tests read the recorded requests instead."""

    def do_GET(self) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        group, version, namespace, resource, name = parse_path(parsed.path)
        request = Request(
            parsed.path,
            query,
            self.headers.get("Authorization"),
            "get" if name is not None or resource is None else "list",
            group,
            resource,
            namespace,
            name,
        )
        state = self.state
        state.requests.append(request)
        delay = state.slow.get(parsed.path)
        if delay:
            time.sleep(delay)
        if request.authorization != f"Bearer {TOKEN}":
            self._status(401, "Unauthorized", "Unauthorized")
            return
        if state.authorize is not None and not state.authorize(request):
            what = f"{resource}.{group}" if group else (resource or parsed.path)
            self._status(
                403,
                "Forbidden",
                f'{what} is forbidden: User "netfence" cannot {request.verb} resource'
                f' "{resource}" in API group "{group}"',
            )
            return
        body = self._answer(parsed.path, query, group, version, namespace, resource, name)
        if body is None:
            self._status(404, "NotFound", "the server could not find the requested resource")
            return
        if isinstance(body, int):
            self._status(410, "Expired", "The provided continue parameter is too old")
            return
        self._send(200, json.dumps(body).encode())

    def _answer(
        self,
        path: str,
        query: Mapping[str, str],
        group: str | None,
        version: str | None,
        namespace: str | None,
        resource: str | None,
        name: str | None,
    ) -> dict[str, Any] | int | None:
        state = self.state
        served = state.group_versions()
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"]}
        if path == "/apis":
            return _group_list(served)
        if group is None:
            return None
        if group and version not in served.get(group, []):
            return None
        kinds = {k: v for k, v in KINDS.items() if (v.group, v.version) == (group, version)}
        if resource is None:
            return _resource_list(group, version or "v1", kinds)
        found = [(key, kind) for key, kind in kinds.items() if kind.resource == resource]
        if not found:
            return None
        key, kind = found[0]
        if kind.namespaced is False and namespace is not None:
            return None
        selected = [o for o in state.objects if _key(o) == key]
        if namespace is not None:
            selected = [o for o in selected if _namespace(o) == namespace]
        if group == "projectcalico.org" and resource.endswith("networkpolicies"):
            # The Calico API server lists one tier's policies: the default tier's unless
            # the label selector names another.
            tier = query.get("labelSelector", "").partition("==")[2] or "default"
            selected = [o for o in selected if (o.get("spec") or {}).get("tier", "default") == tier]
        if name is not None:
            for obj in selected:
                if obj["metadata"]["name"] == name:
                    return obj
            return None
        return self._page(key, selected, query)

    def _page(
        self, key: str, selected: list[dict[str, Any]], query: Mapping[str, str]
    ) -> dict[str, Any] | int:
        state = self.state
        token = query.get("continue")
        start, version = 0, str(state.resource_version)
        if token:
            expiring = state.expire_continue.get(self.requests_path(), 0)
            if expiring > 0:
                state.expire_continue[self.requests_path()] = expiring - 1
                return 410
            decoded = json.loads(base64.b64decode(token))
            start, version = decoded["start"], decoded["rv"]
        limit = int(query.get("limit", "0")) or len(selected) or 1
        page = selected[start : start + limit]
        items = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in page]
        metadata: dict[str, Any] = {"resourceVersion": version}
        if start + limit < len(selected):
            metadata["continue"] = base64.b64encode(
                json.dumps({"start": start + limit, "rv": version}).encode()
            ).decode()
        api_version, _, kind = key.rpartition("/")
        return {
            "kind": f"{kind}List",
            "apiVersion": api_version,
            "metadata": metadata,
            "items": items,
        }

    def _status(self, code: int, reason: str, message: str) -> None:
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        }
        self._send(code, json.dumps(body).encode())

    def _send(self, code: int, body: bytes) -> None:
        drops = self.state.drop.get(self.requests_path(), 0)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if drops > 0:
            self.state.drop[self.requests_path()] = drops - 1
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)
            return
        self.wfile.write(body)

    def requests_path(self) -> str:
        return urllib.parse.urlsplit(self.path).path


def _key(obj: Mapping[str, Any]) -> str:
    return f"{obj['apiVersion']}/{obj['kind']}"


def _namespace(obj: Mapping[str, Any]) -> str:
    return str(obj.get("metadata", {}).get("namespace") or "default")


def _group_list(served: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    groups = []
    for name, versions in served.items():
        entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
        groups.append({"name": name, "versions": entries, "preferredVersion": entries[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _resource_list(group: str, version: str, kinds: Mapping[str, Kind]) -> dict[str, Any]:
    resources = [
        {
            "name": kind.resource,
            "singularName": "",
            "namespaced": kind.namespaced,
            "kind": key.rpartition("/")[2],
            "verbs": ["get", "list", "watch"],
        }
        for key, kind in kinds.items()
    ]
    group_version = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }


@contextlib.contextmanager
def running(state: FakeAPIServer) -> Iterator[FakeAPIServer]:
    """Serve ``state`` on 127.0.0.1 at a free port for the block."""
    handler = type("Handler", (_Handler,), {"state": state})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def write_kubeconfig(path: str, url: str, token: str = TOKEN, context: str = "loopback") -> str:
    """A kubeconfig with one context pointing at ``url`` with a bearer token; returns ``path``."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "loopback", "cluster": {"server": url}}],
        "users": [{"name": "tester", "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": "loopback", "user": "tester"}}],
        "current-context": context,
    }
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle)
    return path


def rbac_filter(cluster_role: Mapping[str, Any]) -> Callable[[Request], bool]:
    """Authorize as RBAC would with only this ClusterRole bound: a resource request needs a
    rule naming its group, resource and verb (and its name, when the rule lists names); a
    discovery path needs a rule listing it among nonResourceURLs."""
    rules = cluster_role.get("rules", [])

    def allowed(request: Request) -> bool:
        for rule in rules:
            if request.verb not in rule.get("verbs", []):
                continue
            if request.resource is None:
                urls = rule.get("nonResourceURLs", [])
                if any(_url_matches(u, request.path) for u in urls):
                    return True
                continue
            if request.group not in rule.get("apiGroups", []):
                continue
            if request.resource not in rule.get("resources", []):
                continue
            names = rule.get("resourceNames")
            if names and request.name not in names:
                continue
            return True
        return False

    return allowed


def _url_matches(pattern: str, path: str) -> bool:
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


ROOT = Path(__file__).resolve().parents[2]
INPUTS = [
    *sorted(
        glob.glob(str(ROOT / "examples/arc-cluster/*.yaml"))
        + glob.glob(str(ROOT / "examples/arc-cluster/policies/*.yaml"))
    ),
    str(ROOT / "tests/sources/data/live-extras.yaml"),
]
"""The example cluster's manifests and the extras (one object of every kind read, a Secret
and a ConfigMap): what the example server holds, and what the same objects as files are."""
ALL_GROUPS = frozenset(
    {
        "gateway.networking.k8s.io/v1",
        "gateway.networking.k8s.io/v1alpha2",
        "projectcalico.org/v3",
        "policy.networking.k8s.io/v1alpha1",
        "policy.networking.k8s.io/v1alpha2",
    }
)
"""Every optional group version the live source reads."""


def served(groups: frozenset[str] = ALL_GROUPS) -> FakeAPIServer:
    """A server holding the example cluster and the extras, serving ``groups``."""
    state = FakeAPIServer(served=set(groups))
    for name in INPUTS:
        state.add(Path(name).read_text(encoding="utf-8"))
    return state

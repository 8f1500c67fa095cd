"""The live source against a loopback API server speaking the list protocol.

No real API server can be installed on the build machines: tests/support/apiserver.py serves
the shapes of the API reference (discovery, chunked lists, Status errors) and records what is
asked. The rules named are the API concepts' (kubernetes.io/docs/reference/using-api/
api-concepts) and the RBAC reference's.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from netfence.analyses.connectivity_map import Granularity, connectivity_map
from netfence.errors import InputError
from netfence.model.origin import APIObjectOrigin
from netfence.report.connectivity import RENDERERS
from netfence.sources import live
from netfence.sources.live import LiveOptions, read_live, required_permissions
from netfence.sources.manifests import load_cluster
from tests.support.apiserver import (
    ALL_GROUPS,
    INPUTS,
    rbac_filter,
    running,
    served,
    write_kubeconfig,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def api(tmp_path):
    """The loopback server, running, and a kubeconfig pointing at it."""
    state = served()
    with running(state):
        state.kubeconfig = write_kubeconfig(str(tmp_path / "config"), state.url)
        yield state


def read(state, **options: Any):
    return read_live(LiveOptions(kubeconfig=state.kubeconfig, **options))


def without_origins(value: Any) -> Any:
    """The value with every origin (``location``) left out, for comparing what two sources
    read of the same objects."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple(
                (f.name, without_origins(getattr(value, f.name)))
                for f in dataclasses.fields(value)
                if f.name not in ("location", "origin")
            ),
        )
    if isinstance(value, dict):
        return tuple(sorted((repr(k), without_origins(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(without_origins(v) for v in value)
    if isinstance(value, frozenset | set):
        return tuple(sorted(repr(without_origins(v)) for v in value))
    return value


COMPARED = (
    "namespaces",
    "pods",
    "policies",
    "workloads",
    "api_servers",
    "calico_policies",
    "calico_tiers",
    "network_sets",
    "admin_policies",
    "service_accounts",
    "nodes",
    "host_addresses",
    "services",
    "ingresses",
    "routes",
)


def test_the_cluster_read_live_equals_the_cluster_read_from_the_same_objects_as_files(api):
    """Objects become the same documents manifests give: every part of the model is the same
    whether the objects came from files or from the API server (origins aside)."""
    from_files = load_cluster(INPUTS)
    from_server = read(api).cluster
    for name in COMPARED:
        files_side = sorted(map(repr, without_origins(getattr(from_files, name))))
        live_side = sorted(map(repr, without_origins(getattr(from_server, name))))
        assert live_side == files_side, name
    assert len(from_server.pods) == len(from_files.pods) > 20
    assert from_server.calico_tiers and from_server.admin_policies and from_server.routes


def test_the_connectivity_map_read_live_is_the_map_of_the_files(api):
    """The connectivity map JSON of the live cluster is the files' map."""
    from_files = load_cluster(INPUTS)
    from_server = read(api).cluster
    render = RENDERERS["json"]
    for granularity in Granularity:
        live_map = json.loads(render(connectivity_map(from_server, granularity)))
        files_map = json.loads(render(connectivity_map(from_files, granularity)))
        assert live_map == files_map


def test_every_object_read_live_has_its_api_object_origin_with_resource_version(api):
    """Every Namespace, Workload, Pod and policy read live names its API object and the
    resourceVersion read; the parts inside a policy carry no line (a source without lines
    leaves them None)."""
    cluster = read(api).cluster
    listed = [n for n in cluster.namespaces.values() if n.location is not None]
    assert len(listed) >= 6
    objects = [
        *listed,
        *cluster.pods,
        *cluster.workloads,
        *cluster.policies,
        *cluster.calico_policies,
        *cluster.admin_policies,
        *cluster.services,
    ]
    for obj in objects:
        origin = obj.location
        assert isinstance(origin, APIObjectOrigin), obj
        assert origin.resource_version and origin.resource_version.isdigit()
    policy = next(p for p in cluster.policies if p.ingress)
    assert policy.location.kind == "NetworkPolicy"
    assert policy.location.name == policy.name
    assert all(rule.location is None for rule in policy.ingress)
    web = next(p for p in cluster.pods if p.workload is not None and not p.is_template)
    assert web.location.kind == "Pod"


def test_api_concepts_retrieving_large_results_sets_in_chunks_follows_the_continue_token(api):
    """API concepts, Retrieving large results sets in chunks: every list asks ``limit`` and
    follows ``metadata.continue`` until it is empty; all objects are read."""
    cluster = read(api, chunk_size=2).cluster
    pods = [r for r in api.requests if r.path == "/api/v1/pods"]
    assert all(r.query["limit"] == "2" for r in pods)
    assert "continue" not in pods[0].query
    assert all(r.query.get("continue") for r in pods[1:])
    held = sum(1 for o in api.objects if o["kind"] == "Pod")
    assert len(pods) == -(-held // 2)
    assert sum(1 for p in cluster.pods if not p.is_template) == held


def test_the_default_chunk_size_is_500(api):
    """Lists are chunked at 500 objects a page unless asked otherwise (kubectl's default)."""
    read(api)
    lists = [r for r in api.requests if r.verb == "list" and r.resource]
    assert lists and all(r.query["limit"] == "500" for r in lists)


def test_410_gone_on_an_expired_continue_restarts_that_list_once(api):
    """API concepts, 410 Gone on an expired continue token: the list starts again from its
    first page, once, and the read is complete."""
    api.expire_continue["/api/v1/pods"] = 1
    cluster = read(api, chunk_size=1).cluster
    pods = [r for r in api.requests if r.path == "/api/v1/pods"]
    first_pages = [r for r in pods if "continue" not in r.query]
    assert len(first_pages) == 2
    held = sum(1 for o in api.objects if o["kind"] == "Pod")
    assert sum(1 for p in cluster.pods if not p.is_template) == held


def test_410_gone_twice_is_an_error_naming_the_list(api):
    """An expired continue token on the restarted list too is an error: the read cannot be
    one snapshot."""
    api.expire_continue["/api/v1/pods"] = 2
    with pytest.raises(InputError) as caught:
        read(api, chunk_size=1)
    assert str(caught.value) == (
        "cannot list pods in all namespaces: its continue token expired twice while"
        " paging (410 Gone); the cluster changes faster than it is read, try a larger"
        " --chunk-size"
    )


def test_no_secret_and_no_configmap_is_ever_requested(api):
    """The live source never asks for Secrets or ConfigMaps (the server holds both)."""
    read(api)
    assert any(o["kind"] == "Secret" for o in api.objects)
    paths = api.paths_asked()
    assert paths
    assert not [p for p in paths if "secrets" in p or "configmaps" in p]


def test_every_request_carries_the_kubeconfig_token(api):
    """Token auth from the kubeconfig: every request has ``Authorization: Bearer``."""
    read(api)
    assert {r.authorization for r in api.requests} == {"Bearer netfence-test-token"}


def test_a_refused_token_is_an_error(api, tmp_path):
    """401 Unauthorized: one error naming the request."""
    kubeconfig = write_kubeconfig(str(tmp_path / "wrong"), api.url, token="wrong")
    with pytest.raises(InputError, match=r"^cannot discover the API groups \(/apis\): HTTP 401"):
        read_live(LiveOptions(kubeconfig=kubeconfig))


def test_403_on_a_list_names_the_resource_the_verb_and_the_cluster_role(api):
    """RBAC, a list refused (403 Forbidden Status): the error names the resource, the verb,
    the scope and where the permission is granted."""
    api.authorize = lambda r: r.resource != "networkpolicies" or r.group != "networking.k8s.io"
    with pytest.raises(InputError) as caught:
        read(api)
    assert str(caught.value) == (
        "cannot list networkpolicies.networking.k8s.io in all namespaces: forbidden; the"
        " ClusterRole in docs/rbac/netfence-reader.yaml grants it (netfence rbac)"
    )


def test_403_on_an_optional_group_is_an_error_too(api):
    """A refused optional group (Calico) is an error, not a skip: a policy left unread would
    make a wrong verdict."""
    api.authorize = lambda r: r.group != "projectcalico.org" or r.resource is None
    with pytest.raises(InputError, match=r"^cannot list tiers\.projectcalico\.org .*forbidden"):
        read(api)


def test_groups_not_served_are_skipped_with_one_note_each(tmp_path):
    """Discovery (/apis): an optional group version the server does not serve is not asked
    for, and each is said once."""
    state = served(groups=frozenset())
    with running(state):
        kubeconfig = write_kubeconfig(str(tmp_path / "config"), state.url)
        result = read_live(LiveOptions(kubeconfig=kubeconfig))
    assert result.notes == (
        "gateway.networking.k8s.io is not served; Gateway API routes not read",
        "projectcalico.org/v3 is not served; Calico policies not read",
        "policy.networking.k8s.io/v1alpha1 is not served; AdminNetworkPolicy and"
        " BaselineAdminNetworkPolicy not read",
        "policy.networking.k8s.io/v1alpha2 is not served; ClusterNetworkPolicy not read",
    )
    assert not [p for p in state.paths_asked() if "projectcalico" in p or "gateway" in p]
    assert not result.cluster.calico_policies and not result.cluster.routes


def test_a_served_group_without_a_kind_says_which_kind_is_not_read(tmp_path):
    """A Gateway API install without the experimental routes: HTTPRoute is read from v1, and
    TLSRoute, which no served version has, is named."""
    state = served(groups=ALL_GROUPS - {"gateway.networking.k8s.io/v1alpha2"})
    with running(state):
        kubeconfig = write_kubeconfig(str(tmp_path / "config"), state.url)
        result = read_live(LiveOptions(kubeconfig=kubeconfig))
    assert "gateway.networking.k8s.io serves no tcproutes; TCPRoute objects not read" in (
        result.notes
    )
    assert "gateway.networking.k8s.io serves no tlsroutes; TLSRoute objects not read" in (
        result.notes
    )
    assert [r.name for r in result.cluster.routes] == ["storefront"]
    assert "/apis/gateway.networking.k8s.io/v1/httproutes" in state.paths_asked()


def test_calico_policies_are_listed_per_tier(api):
    """Calico API server: a list without a tier selector gives the default tier's policies
    alone; the policies of every tier are read by listing each tier
    (``projectcalico.org/tier==NAME``)."""
    cluster = read(api).cluster
    tiers = {
        r.query.get("labelSelector")
        for r in api.requests
        if r.path == "/apis/projectcalico.org/v3/globalnetworkpolicies"
    }
    assert tiers == {"projectcalico.org/tier==default", "projectcalico.org/tier==security"}
    names = sorted(p.name for p in cluster.calico_policies)
    assert names == ["allow-dns", "deny-platform-addresses"]


def test_a_slow_server_is_an_error_after_the_request_timeout(api):
    """A request that takes longer than --request-timeout is one error naming the resource."""
    api.slow["/api/v1/pods"] = 3
    with pytest.raises(InputError) as caught:
        read(api, request_timeout=0.5)
    assert str(caught.value) == (
        "cannot list pods in all namespaces: no answer from the API server within 0.5 s"
        " (--request-timeout)"
    )


def test_a_dropped_connection_is_retried_once(api):
    """The connection closed half-way through an answer: the request is made again, and the
    read is complete."""
    api.drop["/api/v1/pods"] = 1
    cluster = read(api).cluster
    assert api.paths_asked().count("/api/v1/pods") == 2
    held = sum(1 for o in api.objects if o["kind"] == "Pod")
    assert sum(1 for p in cluster.pods if not p.is_template) == held


def test_a_connection_dropped_twice_is_one_error(api):
    """Dropped again on the retry: one error line naming the resource and the server."""
    api.drop["/api/v1/pods"] = 2
    with pytest.raises(InputError) as caught:
        read(api)
    message = str(caught.value)
    assert message.startswith(
        f"cannot list pods in all namespaces: the connection to the API server at {api.url}"
        " failed twice ("
    )
    assert "\n" not in message


def test_no_server_listening_is_one_error(tmp_path):
    """Nothing listens at the kubeconfig's server: one error, after one retry."""
    kubeconfig = write_kubeconfig(str(tmp_path / "config"), "http://127.0.0.1:9")
    with pytest.raises(InputError, match=r"^cannot discover the API groups .* failed twice"):
        read_live(LiveOptions(kubeconfig=kubeconfig))


def test_one_namespace_lists_the_namespaced_kinds_there_and_the_cluster_scoped_ones(api):
    """``-n NS``: namespaced kinds are listed in NS only; cluster-scoped kinds (namespaces,
    nodes, Calico global policies, admin policies) are still read; a note says so."""
    result = read(api, namespaces=("shop",))
    lists = [r for r in api.requests if r.verb == "list"]
    namespaced = [r for r in lists if r.resource in ("pods", "networkpolicies", "deployments")]
    assert namespaced and all(r.namespace == "shop" for r in namespaced)
    assert "/api/v1/namespaces" in api.paths_asked()
    assert "/api/v1/nodes" in api.paths_asked()
    assert {p.namespace for p in result.cluster.pods} == {"shop"}
    assert result.cluster.admin_policies
    assert result.notes[-1] == (
        "read namespace shop only: the pods, workloads and policies of other namespaces were"
        " not read"
    )


def test_an_invalid_object_names_kind_namespace_name_resource_version_and_field(api):
    """Validation applies to live objects as to files; the error names the API object and
    the field path instead of a file line."""
    api.add(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: broken, namespace: shop}\n"
        "spec: {podSelector: {}, ingress: [{ports: [{port: 70000}]}]}\n"
    )
    version = api.objects[-1]["metadata"]["resourceVersion"]
    with pytest.raises(InputError) as caught:
        read(api)
    assert str(caught.value).startswith(
        f"NetworkPolicy shop/broken (resourceVersion {version}): spec.ingress[0].ports[0].port: "
    )


def test_the_context_option_picks_the_kubeconfig_context(api, tmp_path):
    """--context: the named context of the kubeconfig is used; an unknown one is an error."""
    kubeconfig = write_kubeconfig(str(tmp_path / "ctx"), api.url, context="arc")
    assert read_live(LiveOptions(kubeconfig=kubeconfig, context="arc")).cluster.pods
    with pytest.raises(InputError, match=r"^kubeconfig: .*nowhere"):
        read_live(LiveOptions(kubeconfig=kubeconfig, context="nowhere"))


def test_a_missing_kubeconfig_is_one_error(tmp_path):
    """A kubeconfig that does not exist: one error naming it."""
    with pytest.raises(InputError, match=r"^kubeconfig: "):
        read_live(LiveOptions(kubeconfig=str(tmp_path / "absent")))


def test_kubeconfig_comes_from_the_environment_when_not_given(api, tmp_path, monkeypatch):
    """No --kubeconfig: KUBECONFIG is read, as kubectl reads it."""
    monkeypatch.setenv("KUBECONFIG", api.kubeconfig)
    assert read_live(LiveOptions()).cluster.pods


def test_in_cluster_configuration_only_without_any_kubeconfig(tmp_path, monkeypatch):
    """In-cluster config is chosen when no kubeconfig exists and the service-account token
    does; a kubeconfig, when there is one, wins."""
    token = tmp_path / "token"
    token.write_text("t")
    monkeypatch.setattr(live, "SERVICE_ACCOUNT_TOKEN", str(token))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    assert live._in_cluster()
    (tmp_path / "none").write_text("")
    assert not live._in_cluster()


def test_without_the_kubernetes_client_the_error_says_how_to_install_it(monkeypatch):
    """The client is an optional extra: without it, one error naming the extra."""
    monkeypatch.setitem(sys.modules, "kubernetes", None)
    with pytest.raises(InputError) as caught:
        read_live(LiveOptions())
    assert str(caught.value) == (
        "the live source needs the kubernetes client: pip install 'netfence[live]'"
    )


def test_importing_netfence_does_not_import_the_kubernetes_client():
    """``import netfence`` (and its CLI) stays free of the optional client."""
    code = (
        "import sys, netfence, netfence.cli.main, netfence.cli.kubectl;"
        " print('kubernetes' in sys.modules)"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "False"


# RBAC ----------------------------------------------------------------------------------------

ROLE_DOC = ROOT / "docs/rbac/netfence-reader.yaml"
ROLE_DATA = ROOT / "src/netfence/data/rbac/netfence-reader.yaml"


def cluster_role() -> dict[str, Any]:
    return yaml.safe_load(ROLE_DOC.read_text(encoding="utf-8"))


def test_the_shipped_cluster_role_is_the_documented_one():
    """docs/rbac/netfence-reader.yaml and the package's copy are the same file."""
    assert ROLE_DATA.read_bytes() == ROLE_DOC.read_bytes()


def test_the_cluster_role_grants_exactly_what_the_live_source_asks():
    """RBAC, least privilege: the ClusterRole grants get or list on exactly the resources the
    live source reads (and what Calico checks with them), names where the source gets one
    object, and discovery; nothing else, and no watch."""
    granted = set()
    for rule in cluster_role()["rules"]:
        assert set(rule["verbs"]) <= {"get", "list"}
        if "nonResourceURLs" in rule:
            assert tuple(rule["nonResourceURLs"]) == live.DISCOVERY_PATHS
            continue
        names = rule.get("resourceNames") or [None]
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for verb in rule["verbs"]:
                    for name in names:
                        granted.add((verb, group, resource, name))
    assert granted == set(required_permissions())


def test_the_cluster_role_grants_nothing_on_secrets_or_configmaps():
    """No rule of the ClusterRole names Secrets or ConfigMaps, or a wildcard."""
    for rule in cluster_role()["rules"]:
        for key in ("apiGroups", "resources", "verbs", "nonResourceURLs"):
            values = rule.get(key, [])
            assert "*" not in values
            assert "secrets" not in values and "configmaps" not in values


def test_every_request_of_the_live_source_is_allowed_by_the_cluster_role(api):
    """RBAC authorizer built from the ClusterRole on the server side: everything the source
    asks (discovery, lists, the API server's endpoints) is allowed, and the read completes."""
    api.authorize = rbac_filter(cluster_role())
    cluster = read(api).cluster
    assert cluster.pods and cluster.calico_policies and cluster.admin_policies
    assert all(api.authorize(r) for r in api.requests)


def test_the_rbac_filter_refuses_what_the_cluster_role_does_not_grant(api):
    """The server-side filter is a real check: a Secret list is refused by it."""
    allowed = rbac_filter(cluster_role())
    from tests.support.apiserver import Request

    secrets = Request("/api/v1/secrets", {}, None, "list", "", "secrets", None, None)
    watch = Request("/api/v1/pods", {}, None, "watch", "", "pods", None, None)
    other = Request(
        "/api/v1/namespaces/default/endpoints/x", {}, None, "get", "", "endpoints", "default", "x"
    )
    assert not allowed(secrets) and not allowed(watch) and not allowed(other)


def test_no_kubeconfig_anywhere_says_where_it_looked(tmp_path, monkeypatch):
    """kubectl's lookup (KUBECONFIG, else ~/.kube/config) finds nothing and no service-account
    token is mounted: one error naming both places and --kubeconfig, not the client's
    "Invalid kube-config file"."""
    monkeypatch.setattr(live, "SERVICE_ACCOUNT_TOKEN", str(tmp_path / "no-token"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(
        InputError,
        match=r"^no kubeconfig: KUBECONFIG is not set and ~/.kube/config does not exist, .*--kubeconfig FILE$",
    ):
        read_live(LiveOptions())
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    with pytest.raises(InputError, match=r"^no kubeconfig: no file KUBECONFIG names exists"):
        read_live(LiveOptions())

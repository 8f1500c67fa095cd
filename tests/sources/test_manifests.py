"""Reading manifests into the model: formats, inputs, kinds, ownership folding, API defaults.

Requirements: README "Inputs" (files and directories searched recursively, YAML or JSON,
multi-document streams, ``kind: List`` and typed lists, ``-`` for stdin; other kinds counted and
skipped, ``-v`` lists them), docs/json-connectivity.md "Names" (pods fold into their top-level
controller; a workload given without Pods is one endpoint from its pod template), and the
Kubernetes API defaults netfence applies (namespace label, default namespace, policyTypes).
"""

from __future__ import annotations

import io
import os
import textwrap

import pytest

from netfence.errors import InputError
from netfence.model.cluster import Cluster, Pod
from netfence.model.networkpolicy import Direction
from netfence.sources.manifests import load_cluster, load_cluster_from_text

NAME_LABEL = "kubernetes.io/metadata.name"


def pods_by_key(cluster: Cluster) -> dict[str, Pod]:
    """Pod endpoints by ``namespace/name``."""
    return {p.key: p for p in cluster.pods}


def pod_doc(name: str, namespace: str | None = "shop", labels: str = "{}", extra: str = "") -> str:
    """One Pod document (``extra`` is appended, already indented, at the document's top level)."""
    ns_line = f"  namespace: {namespace}\n" if namespace is not None else ""
    return (
        "apiVersion: v1\nkind: Pod\nmetadata:\n"
        f"  name: {name}\n{ns_line}  labels: {labels}\n" + extra
    )


def load(text: str) -> Cluster:
    """load_cluster_from_text on dedented text."""
    return load_cluster_from_text(textwrap.dedent(text))


# --- formats ------------------------------------------------------------------------------


def test_multi_document_yaml_reads_every_document():
    """Multi-document YAML streams: every document is read, empty documents are ignored."""
    cluster = load(
        "---\n"
        + pod_doc("a")
        + "---\n# only a comment\n---\n"
        + pod_doc("b")
        + "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"
    )
    assert sorted(pods_by_key(cluster)) == ["shop/a", "shop/b"]
    assert cluster.namespaces["shop"].location is not None
    assert [p.location.document for p in cluster.pods] == [1, 3]  # 2 is empty


def test_json_file(tmp_path):
    """JSON input (a .json file), including tabs as whitespace, is read like YAML."""
    path = tmp_path / "pod.json"
    path.write_text(
        "{\n"
        '\t"apiVersion": "v1",\n'
        '\t"kind": "Pod",\n'
        '\t"metadata": {"name": "api", "namespace": "shop", "labels": {"app": "api"}},\n'
        '\t"status": {"podIP": "10.244.0.9"}\n'
        "}\n"
    )
    cluster = load_cluster([os.fspath(path)])
    (pod,) = cluster.pods
    assert (pod.key, dict(pod.labels), pod.ips) == ("shop/api", {"app": "api"}, ("10.244.0.9",))
    assert pod.location.file == os.fspath(path)


def test_kind_list_with_mixed_items():
    """``kind: List`` (as ``kubectl get -o yaml`` prints) unpacks items of any kind."""
    cluster = load(
        """\
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: Namespace
            metadata: {name: shop, labels: {team: retail}}
          - apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: shop, labels: {app: web}}
          - apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny, namespace: shop}
            spec: {podSelector: {}}
          - apiVersion: v1
            kind: Secret
            metadata: {name: web, namespace: shop}
        """
    )
    assert dict(cluster.namespaces["shop"].labels) == {"team": "retail", NAME_LABEL: "shop"}
    assert [p.key for p in cluster.pods] == ["shop/web"]
    assert [(p.namespace, p.name) for p in cluster.policies] == [("shop", "deny")]
    assert cluster.skipped == {"Secret (v1)": 1}


def test_typed_lists_whose_items_lack_kind():
    """Typed lists (PodList, NamespaceList) give their items the list's kind."""
    cluster = load(
        """\
        apiVersion: v1
        kind: NamespaceList
        items:
          - metadata: {name: shop, labels: {team: retail}}
        ---
        apiVersion: v1
        kind: PodList
        items:
          - metadata: {name: a, namespace: shop, labels: {app: a}}
          - metadata: {name: b, namespace: shop, labels: {app: b}}
        """
    )
    assert dict(cluster.namespaces["shop"].labels) == {"team": "retail", NAME_LABEL: "shop"}
    assert {k: dict(p.labels) for k, p in pods_by_key(cluster).items()} == {
        "shop/a": {"app": "a"},
        "shop/b": {"app": "b"},
    }
    assert cluster.skipped == {}


def test_network_policy_list_items_lacking_kind_and_api_version_are_policies():
    """A NetworkPolicyList (as the API returns it) gives its items kind NetworkPolicy and its
    apiVersion networking.k8s.io/v1: the policies are modelled, not skipped. Dropping them would
    silently lose a default-deny."""
    cluster = load(
        """\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicyList
        items:
          - metadata: {name: deny-all, namespace: shop}
            spec:
              podSelector: {}
              policyTypes: [Ingress, Egress]
        """
    )
    assert cluster.skipped == {}
    (policy,) = cluster.policies
    assert (policy.namespace, policy.name) == ("shop", "deny-all")
    assert policy.policy_types == {Direction.INGRESS, Direction.EGRESS}


# --- inputs: directories and stdin --------------------------------------------------------


def test_directories_are_searched_recursively(tmp_path):
    """Directories are searched recursively for .yaml/.yml/.json; hidden directories and files
    and files with other endings are not read (they hold garbage that would fail to parse)."""
    garbage = "this: is: [not valid yaml\n"
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "sub" / ".cache").mkdir()
    (tmp_path / "a.yaml").write_text(pod_doc("a"))
    (tmp_path / "sub" / "b.yml").write_text(pod_doc("b"))
    (tmp_path / "sub" / "deeper" / "c.json").write_text(
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "c", "namespace": "shop"}}'
    )
    (tmp_path / ".git" / "config.yaml").write_text(garbage)
    (tmp_path / "sub" / ".cache" / "d.yaml").write_text(garbage)
    (tmp_path / ".hidden.yaml").write_text(garbage)
    (tmp_path / "notes.txt").write_text(garbage)
    (tmp_path / "README.md").write_text(garbage)
    (tmp_path / "sub" / "values.yaml.bak").write_text(garbage)
    cluster = load_cluster([os.fspath(tmp_path)])
    assert sorted(pods_by_key(cluster)) == ["shop/a", "shop/b", "shop/c"]


def test_directory_and_file_arguments_mix(tmp_path):
    """Paths may mix directories and files; every one is read."""
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "a.yaml").write_text(pod_doc("a"))
    (tmp_path / "b.yaml").write_text(pod_doc("b"))
    cluster = load_cluster([os.fspath(tmp_path / "dir"), os.fspath(tmp_path / "b.yaml")])
    assert sorted(pods_by_key(cluster)) == ["shop/a", "shop/b"]


class _FakeStdin:
    """Stands for sys.stdin: netfence reads bytes from ``.buffer``."""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def test_dash_reads_stdin(monkeypatch):
    """``-`` reads manifests from standard input; locations name ``<stdin>``."""
    monkeypatch.setattr("sys.stdin", _FakeStdin((pod_doc("a") + "---\n" + pod_doc("b")).encode()))
    cluster = load_cluster(["-"])
    assert [p.key for p in cluster.pods] == ["shop/a", "shop/b"]
    assert {p.location.file for p in cluster.pods} == {"<stdin>"}
    assert [p.location.document for p in cluster.pods] == [1, 2]


def test_dash_with_files(monkeypatch, tmp_path):
    """``-`` may be combined with files."""
    monkeypatch.setattr("sys.stdin", _FakeStdin(pod_doc("from-stdin").encode()))
    path = tmp_path / "f.yaml"
    path.write_text(pod_doc("from-file"))
    cluster = load_cluster([os.fspath(path), "-"])
    assert [p.key for p in cluster.pods] == ["shop/from-file", "shop/from-stdin"]


def test_utf8_bom_is_accepted(tmp_path):
    """A UTF-8 byte-order mark (as some Windows editors write) does not break parsing."""
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + pod_doc("a").encode())
    assert [p.key for p in load_cluster([os.fspath(path)]).pods] == ["shop/a"]


# --- other kinds --------------------------------------------------------------------------

OTHER_KINDS = """\
apiVersion: v1
kind: Secret
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: more, namespace: shop}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: cilium, namespace: shop}
spec:
  endpointSelector: {}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
"""


def test_other_kinds_are_counted_in_skipped():
    """Kinds netfence does not model (Secret, ConfigMap, CiliumNetworkPolicy) are counted per
    kind and apiVersion, not modelled."""
    cluster = load(OTHER_KINDS)
    assert cluster.skipped == {
        "ConfigMap (v1)": 2,
        "CiliumNetworkPolicy (cilium.io/v2)": 1,
        "Secret (v1)": 1,
    }
    assert cluster.policies == ()
    assert [p.key for p in cluster.pods] == ["shop/web"]


def test_skipped_kinds_are_listed_with_verbose(cli, write):
    """``-v`` lists the skipped kinds on stderr, one line per kind with its count and files;
    without it one line counts them; stdout holds only the result, and the run succeeds."""
    path = write(OTHER_KINDS)
    verbose = cli("connectivity", "-v", path, "-o", "json")
    assert verbose.code == 0
    assert verbose.out.startswith("{")
    assert verbose.err_lines == [
        f"netfence: skipped CiliumNetworkPolicy (cilium.io/v2) x1 in {path}",
        f"netfence: skipped ConfigMap (v1) x2 in {path}",
        f"netfence: skipped Secret (v1) x1 in {path}",
    ]
    quiet = cli("connectivity", path, "-o", "json")
    assert quiet.code == 0
    assert quiet.out == verbose.out
    assert quiet.err_lines == ["netfence: skipped 4 objects of other kinds (-v lists them)"]


# --- namespaces ---------------------------------------------------------------------------


def test_referenced_namespaces_are_created_with_the_name_label():
    """A namespace referenced by a pod or a policy but not defined exists, labelled
    ``kubernetes.io/metadata.name: <name>`` as the API server labels every namespace."""
    cluster = load(
        pod_doc("web", namespace="shop")
        + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: deny, namespace: audit}\nspec: {podSelector: {}}\n"
    )
    assert set(cluster.namespaces) == {"shop", "audit"}
    for name in ("shop", "audit"):
        assert dict(cluster.namespaces[name].labels) == {NAME_LABEL: name}
        assert cluster.namespaces[name].location is None


def test_namespace_name_label_is_forced_to_its_name():
    """The API server sets ``kubernetes.io/metadata.name`` to the namespace's name whatever the
    manifest says; other labels are kept."""
    cluster = load(
        """\
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
          labels:
            kubernetes.io/metadata.name: prod
            team: retail
        """
    )
    assert dict(cluster.namespaces["shop"].labels) == {NAME_LABEL: "shop", "team": "retail"}
    assert "prod" not in cluster.namespaces


def test_default_namespace_when_metadata_namespace_is_absent():
    """Namespaced objects without metadata.namespace are in ``default`` (as kubectl applies)."""
    cluster = load(
        pod_doc("web", namespace=None)
        + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: deny}\nspec: {podSelector: {}}\n"
        + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n"
        "spec: {template: {metadata: {labels: {app: api}}}}\n"
    )
    assert {p.key for p in cluster.pods} == {"default/web", "default/api"}
    assert cluster.policies[0].namespace == "default"
    assert [w.key for w in cluster.workloads] == ["default/api"]
    assert set(cluster.namespaces) == {"default"}
    assert dict(cluster.namespaces["default"].labels) == {NAME_LABEL: "default"}


# --- workloads and ownership --------------------------------------------------------------

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: shop}
spec:
  template:
    metadata: {labels: {app: frontend}}
    spec:
      containers:
        - name: web
          ports: [{name: http, containerPort: 8080}]
"""

REPLICASET = """\
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: frontend-7d9c5b8f6d
  namespace: shop
  ownerReferences:
    - {apiVersion: apps/v1, kind: Deployment, name: frontend, controller: true}
spec:
  template:
    metadata: {labels: {app: frontend, pod-template-hash: 7d9c5b8f6d}}
"""


def owned_pod(name: str, owner_kind: str, owner: str, labels: str, ip: str | None = None) -> str:
    """A Pod whose controller ownerReference is ``owner_kind/owner``."""
    extra = f"status:\n  podIP: {ip}\n" if ip else ""
    return (
        "apiVersion: v1\nkind: Pod\nmetadata:\n"
        f"  name: {name}\n  namespace: shop\n  labels: {labels}\n"
        "  ownerReferences:\n"
        f"    - {{apiVersion: v1, kind: {owner_kind}, name: {owner}, controller: true}}\n"
        "spec:\n  containers:\n    - name: web\n"
        "      ports: [{name: http, containerPort: 8080}]\n" + extra
    )


def test_pods_of_a_replicaset_fold_into_its_deployment():
    """Pod -> ReplicaSet -> Deployment: the pods' endpoint is the Deployment (``ns/deployment``);
    the Deployment and ReplicaSet yield no extra template endpoint."""
    labels = "{app: frontend, pod-template-hash: 7d9c5b8f6d}"
    cluster = load(
        "---\n".join(
            [
                DEPLOYMENT,
                REPLICASET,
                owned_pod("frontend-7d9c5b8f6d-aaaaa", "ReplicaSet", "frontend-7d9c5b8f6d", labels),
                owned_pod("frontend-7d9c5b8f6d-bbbbb", "ReplicaSet", "frontend-7d9c5b8f6d", labels),
            ]
        )
    )
    assert [(p.key, p.endpoint_name, p.is_template) for p in cluster.pods] == [
        ("shop/frontend-7d9c5b8f6d-aaaaa", "shop/frontend", False),
        ("shop/frontend-7d9c5b8f6d-bbbbb", "shop/frontend", False),
    ]
    assert {(p.workload.kind, p.workload.name) for p in cluster.pods} == {
        ("Deployment", "frontend")
    }


def test_pods_fold_into_the_deployment_without_the_replicaset_object():
    """When the ReplicaSet is not given, a pod whose RS is named ``<deployment>-<hash>`` with a
    matching ``pod-template-hash`` label still folds into the Deployment."""
    labels = "{app: frontend, pod-template-hash: 7d9c5b8f6d}"
    cluster = load(
        DEPLOYMENT
        + "---\n"
        + owned_pod("frontend-7d9c5b8f6d-aaaaa", "ReplicaSet", "frontend-7d9c5b8f6d", labels)
    )
    (pod,) = cluster.pods
    assert pod.endpoint_name == "shop/frontend"
    assert pod.workload.kind == "Deployment"


def test_replicaset_name_without_matching_hash_stays_a_replicaset():
    """Without the ``pod-template-hash`` label matching the RS name's suffix, nothing is guessed:
    the pod's endpoint is its (absent) ReplicaSet."""
    cluster = load(owned_pod("standalone-x1", "ReplicaSet", "standalone-abc", "{app: s}"))
    (pod,) = cluster.pods
    assert pod.endpoint_name == "shop/standalone-abc"
    assert pod.workload.kind == "ReplicaSet"


def test_job_owned_by_a_cronjob_folds_into_the_cronjob():
    """Pod -> Job -> CronJob: the pod's endpoint is the CronJob; no template endpoint is added
    for the CronJob, its Jobs, or a Job of it with no pods."""
    cluster = load(
        """\
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: nightly, namespace: shop}
        spec:
          schedule: "0 1 * * *"
          jobTemplate:
            spec:
              template:
                metadata: {labels: {app: nightly}}
        ---
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: nightly-28000000
          namespace: shop
          ownerReferences: [{kind: CronJob, name: nightly, controller: true}]
        spec:
          template:
            metadata: {labels: {app: nightly}}
        ---
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: nightly-28000060
          namespace: shop
          ownerReferences: [{kind: CronJob, name: nightly, controller: true}]
        spec:
          template:
            metadata: {labels: {app: nightly}}
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: nightly-28000000-q7x2z
          namespace: shop
          labels: {app: nightly}
          ownerReferences: [{kind: Job, name: nightly-28000000, controller: true}]
        """
    )
    assert [(p.key, p.endpoint_name, p.is_template) for p in cluster.pods] == [
        ("shop/nightly-28000000-q7x2z", "shop/nightly", False)
    ]
    assert cluster.pods[0].workload.kind == "CronJob"


def test_cronjob_without_pods_is_one_template_endpoint():
    """A CronJob given alone is one endpoint made from jobTemplate.spec.template."""
    cluster = load(
        """\
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: nightly, namespace: shop}
        spec:
          jobTemplate:
            spec:
              template:
                metadata: {labels: {app: nightly}}
                spec:
                  containers: [{name: c, ports: [{name: metrics, containerPort: 9100}]}]
        """
    )
    (pod,) = cluster.pods
    assert (pod.key, pod.endpoint_name, pod.is_template) == ("shop/nightly", "shop/nightly", True)
    assert dict(pod.labels) == {"app": "nightly"}
    assert pod.named_port("metrics", "TCP") == 9100


@pytest.mark.parametrize(
    "kind", ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"]
)
def test_workload_without_pods_yields_one_template_endpoint(kind):
    """A workload with no Pod given is one endpoint (``is_template``) carrying its pod template's
    labels and container ports, named ``ns/workload``, with no IPs."""
    cluster = load(
        f"""\
        apiVersion: apps/v1
        kind: {kind}
        metadata: {{name: api, namespace: shop, labels: {{not: template}}}}
        spec:
          template:
            metadata: {{labels: {{app: api, tier: backend}}}}
            spec:
              containers:
                - name: api
                  ports:
                    - {{name: grpc, containerPort: 9090}}
                    - {{name: dns, containerPort: 5353, protocol: UDP}}
                - name: sidecar
                  ports: [{{containerPort: 15000}}]
        """
    )
    (pod,) = cluster.pods
    assert pod.is_template
    assert (pod.key, pod.endpoint_name) == ("shop/api", "shop/api")
    assert pod.workload.kind == kind
    assert dict(pod.labels) == {"app": "api", "tier": "backend"}
    assert [(p.name, p.number, p.protocol) for p in pod.ports] == [
        ("grpc", 9090, "TCP"),
        ("dns", 5353, "UDP"),
        (None, 15000, "TCP"),
    ]
    assert pod.ips == ()
    assert [w.key for w in cluster.workloads] == ["shop/api"]


def test_workload_with_concrete_pods_yields_no_template_endpoint():
    """Once a workload's pods are given, they are its endpoints; its template adds none."""
    labels = "{app: frontend, pod-template-hash: 7d9c5b8f6d}"
    cluster = load(
        DEPLOYMENT
        + "---\n"
        + owned_pod("frontend-7d9c5b8f6d-a", "ReplicaSet", "frontend-7d9c5b8f6d", labels)
    )
    assert [p.is_template for p in cluster.pods] == [False]
    assert [p.key for p in cluster.pods] == ["shop/frontend-7d9c5b8f6d-a"]


def test_restartable_init_containers_contribute_ports():
    """Sidecars (initContainers with restartPolicy: Always) keep running and serve: their ports
    count; ordinary init containers run to completion: theirs do not."""
    cluster = load(
        """\
        apiVersion: v1
        kind: Pod
        metadata: {name: web, namespace: shop}
        spec:
          initContainers:
            - name: migrate
              ports: [{name: migrate, containerPort: 7000}]
            - name: proxy
              restartPolicy: Always
              ports: [{name: proxy, containerPort: 15001}]
          containers:
            - name: web
              ports: [{name: http, containerPort: 8080}]
        """
    )
    (pod,) = cluster.pods
    assert {(p.name, p.number) for p in pod.ports} == {("http", 8080), ("proxy", 15001)}
    assert pod.named_port("proxy", "TCP") == 15001
    assert pod.named_port("migrate", "TCP") is None


def test_pod_ips_are_collected_from_pod_ip_and_pod_ips():
    """status.podIP and status.podIPs (dual stack) are collected, de-duplicated, normalized."""
    cluster = load(
        pod_doc(
            "web",
            extra=(
                "status:\n"
                "  podIP: 10.244.1.7\n"
                "  podIPs:\n"
                "    - ip: 10.244.1.7\n"
                "    - ip: 'fd00:0:0:0::7'\n"
            ),
        )
    )
    (pod,) = cluster.pods
    assert pod.ips == ("10.244.1.7", "fd00::7")


def test_pod_host_ips_are_its_nodes_addresses():
    """status.hostIP and status.hostIPs are kept on the pod: the node address it leaves the
    cluster with after SNAT (issue 10, deliverable 4 "Paths")."""
    cluster = load(
        pod_doc(
            "web",
            extra=(
                "status:\n"
                "  hostIP: 10.224.0.4\n"
                "  hostIPs:\n"
                "    - ip: 10.224.0.4\n"
                "    - ip: fd00::4\n"
                "  podIP: 10.244.1.7\n"
            ),
        )
    )
    (pod,) = cluster.pods
    assert pod.host_ips == ("10.224.0.4", "fd00::4")
    assert cluster.host_addresses == ("10.224.0.4", "fd00::4")


def test_pod_without_status_has_no_ips():
    """An unscheduled pod (no status) has no IPs."""
    (pod,) = load(pod_doc("web")).pods
    assert pod.ips == ()


# --- NetworkPolicy defaults ---------------------------------------------------------------


def policy_doc(spec: str) -> str:
    """A NetworkPolicy shop/p with this spec (block YAML, unindented)."""
    return (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: p, namespace: shop}\nspec:\n"
        + textwrap.indent(textwrap.dedent(spec), "  ")
    )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param("podSelector: {}\n", {Direction.INGRESS}, id="omitted-no-rules"),
        pytest.param(
            "podSelector: {}\ningress: [{}]\n", {Direction.INGRESS}, id="omitted-ingress-rules"
        ),
        pytest.param(
            "podSelector: {}\negress: [{}]\n",
            {Direction.INGRESS, Direction.EGRESS},
            id="omitted-with-egress-rules",
        ),
        pytest.param("podSelector: {}\negress: []\n", {Direction.INGRESS}, id="empty-egress-list"),
        pytest.param(
            "podSelector: {}\npolicyTypes: [Egress]\n", {Direction.EGRESS}, id="explicit-egress"
        ),
        pytest.param(
            "podSelector: {}\npolicyTypes: [Ingress, Egress]\n",
            {Direction.INGRESS, Direction.EGRESS},
            id="explicit-both",
        ),
    ],
)
def test_policy_types_defaulting(spec, expected):
    """NetworkPolicySpec.policyTypes: when omitted, Ingress always, plus Egress when the policy
    has egress rules (an empty ``egress: []`` has none); when given, exactly what is given."""
    (policy,) = load(policy_doc(spec)).policies
    assert set(policy.policy_types) == expected


def test_unnormalized_cidr_is_normalized():
    """An ipBlock CIDR with host bits set (``10.244.1.7/16``) means its network
    (``10.244.0.0/16``), as CNIs enforce it; excepts are normalized the same way."""
    (policy,) = load(
        policy_doc(
            """\
            podSelector: {}
            ingress:
              - from:
                  - ipBlock:
                      cidr: 10.244.1.7/16
                      except: [10.244.9.9/24]
            """
        )
    ).policies
    block = policy.ingress[0].peers[0].ip_block
    assert block.cidr == "10.244.0.0/16"
    assert block.excepts == ("10.244.9.0/24",)
    assert block.addresses.contains("10.244.255.255")
    assert block.addresses.contains("10.244.0.0")
    assert not block.addresses.contains("10.244.9.1")
    assert not block.addresses.contains("10.245.0.0")


def test_policy_location_names_file_and_document(tmp_path):
    """Policies remember where they were written (file, document, line), for explain."""
    path = tmp_path / "p.yaml"
    path.write_text(pod_doc("web") + "---\n" + policy_doc("podSelector: {}\n"))
    (policy,) = load_cluster([os.fspath(path)]).policies
    assert (policy.location.file, policy.location.document) == (os.fspath(path), 2)
    assert policy.location.line == len(pod_doc("web").splitlines()) + 2


def test_kinds_nothing_reads_are_counted_whether_alone_or_in_a_list() -> None:
    """README "Other kinds are counted and skipped": a ConfigMap counts the same on its own
    (counted from kind and apiVersion alone) as inside a ``kind: List`` (unpacked first)."""
    alone = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
    listed = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n"
    assert load_cluster_from_text(alone).skipped == {"ConfigMap (v1)": 1}
    assert load_cluster_from_text(listed).skipped == {"ConfigMap (v1)": 1}


def test_a_skipped_kind_with_a_kind_that_is_not_text_is_refused() -> None:
    """The shortcut for skipped kinds takes only text kinds: ``kind: 5`` is still refused by the
    field check (the API server's decoder needs a string)."""
    with pytest.raises(InputError):
        load_cluster_from_text("apiVersion: v1\nkind: 5\n")

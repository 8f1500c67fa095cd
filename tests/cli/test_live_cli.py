"""The CLI with --live, netfence rbac and the kubectl plugin, against the loopback API server
(tests/support/apiserver.py): one shared option group, PATH or --live, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from netfence.cli.kubectl import PROG, plugin_arguments
from netfence.cli.main import main
from tests.support.apiserver import INPUTS, running, served, write_kubeconfig

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "plugins" / "krew"))
import build_archive  # noqa: E402 - the krew archive builder lives beside the manifest


@pytest.fixture
def api(tmp_path):
    state = served()
    with running(state):
        state.kubeconfig = write_kubeconfig(str(tmp_path / "config"), state.url)
        yield state


def run(capsys, *argv: str, prog: str = "netfence") -> tuple[int, str, str]:
    code = main(list(argv), prog=prog)
    out, err = capsys.readouterr()
    return code, out, err


def test_connectivity_live_prints_the_map_of_the_same_objects_as_files(api, capsys):
    """connectivity --live: the JSON map of the cluster its API server serves is the map of
    the same objects given as files; every optional group is served, so nothing is noted."""
    code, live_out, err = run(
        capsys, "connectivity", "--live", "--kubeconfig", api.kubeconfig, "-o", "json"
    )
    assert code == 0 and err == ""
    _, files_out, _ = run(capsys, "connectivity", *INPUTS, "-o", "json")
    assert json.loads(live_out) == json.loads(files_out)


def test_scan_live_finds_what_the_files_give(api, capsys):
    """scan --live: the same findings (check and resources) as the files, with API origins."""
    code, live_out, _ = run(capsys, "scan", "--live", "--kubeconfig", api.kubeconfig, "-o", "json")
    files_code, files_out, _ = run(capsys, "scan", *INPUTS, "-o", "json")
    assert code == files_code

    def found(text):
        def named(resource):
            return {k: v for k, v in resource.items() if k not in ("file", "line", "origin")}

        return sorted(
            (f["check_id"], json.dumps([named(r) for r in f["resources"]], sort_keys=True))
            for f in json.loads(text)["findings"]
        )

    assert found(live_out) == found(files_out)
    assert found(live_out)
    assert '"resource_version": "' in live_out


def test_explain_live_gives_the_files_verdict(api, capsys):
    """explain SRC DST --live: the verdict is the files' verdict."""
    flow = ("shop/frontend", "shop/backend")
    code, live_out, _ = run(capsys, "explain", *flow, "--live", "--kubeconfig", api.kubeconfig)
    files_code, files_out, _ = run(capsys, "explain", *flow, *INPUTS)
    assert code == files_code == 0
    assert live_out.splitlines()[0] == files_out.splitlines()[0]


def test_namespace_with_live_reads_that_namespace_only_and_says_so(api, capsys):
    """connectivity -n NS --live: keep connections with an end in NS, and read NS's pods and
    policies only; stderr says the other namespaces were not read."""
    code, out, err = run(
        capsys, "connectivity", "--live", "--kubeconfig", api.kubeconfig, "-n", "shop"
    )
    assert code == 0
    assert err == (
        "netfence: live: read namespace shop only: the pods, workloads and policies of other"
        " namespaces were not read\n"
    )
    namespaced = [r for r in api.requests if r.resource == "pods"]
    assert [r.path for r in namespaced] == ["/api/v1/namespaces/shop/pods"]


def test_groups_not_served_are_one_stderr_line_each(tmp_path, capsys):
    """An optional group the server does not serve: one line each on stderr, and the run
    goes on."""
    state = served(groups=frozenset({"gateway.networking.k8s.io/v1"}))
    with running(state):
        kubeconfig = write_kubeconfig(str(tmp_path / "config"), state.url)
        code, _, err = run(capsys, "connectivity", "--live", "--kubeconfig", kubeconfig)
    assert code == 0
    lines = err.splitlines()
    assert "netfence: live: projectcalico.org/v3 is not served; Calico policies not read" in lines
    assert all(line.startswith("netfence: live: ") for line in lines)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["connectivity"],
            "no input: give PATH (manifest files or directories, '-' for stdin) or --live",
        ),
        (["connectivity", "x.yaml", "--live"], "give PATH or --live, not both"),
        (["scan", "x.yaml", "--kubeconfig", "k"], "--kubeconfig is an option of the live source"),
        (["explain", "a/b", "c/d", "x.yaml", "-A"], "-A is an option of the live source"),
        (["connectivity", "--live", "-A", "-n", "shop"], "-A reads every namespace and -n one"),
    ],
)
def test_path_or_live_never_both_never_neither(capsys, argv, message):
    """PATH becomes optional with --live; exactly one input is given, else one line, exit 2."""
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith(f"netfence: error: {message}")
    assert err.count("\n") == 1


def test_a_forbidden_list_is_one_line_and_exit_2(api, capsys):
    """RBAC refusal (403): one line naming the resource, verb and ClusterRole; exit 2."""
    api.authorize = lambda r: r.resource != "pods"
    code, out, err = run(capsys, "scan", "--live", "--kubeconfig", api.kubeconfig)
    assert (code, out) == (2, "")
    assert err == (
        "netfence: error: cannot list pods in all namespaces: forbidden; the ClusterRole in"
        " docs/rbac/netfence-reader.yaml grants it (netfence rbac)\n"
    )


def test_a_slow_server_is_one_line_after_request_timeout(api, capsys):
    """--request-timeout: a server slower than that is one error line, exit 2."""
    api.slow["/apis"] = 2
    code, _, err = run(
        capsys,
        "connectivity",
        "--live",
        "--kubeconfig",
        api.kubeconfig,
        "--request-timeout",
        "0.3",
    )
    assert code == 2
    assert err == (
        "netfence: error: cannot discover the API groups (/apis): no answer from the API"
        " server within 0.3 s (--request-timeout)\n"
    )


def test_without_the_kubernetes_client_live_is_one_line_exit_2(monkeypatch, capsys):
    """--live without the live extra installed: one line saying how to install it."""
    monkeypatch.setitem(sys.modules, "kubernetes", None)
    code, _, err = run(capsys, "connectivity", "--live")
    assert code == 2
    assert err == (
        "netfence: error: the live source needs the kubernetes client: pip install"
        " 'netfence[live]'\n"
    )


@pytest.mark.parametrize("value", ["0", "-1", "nan", "soon"])
def test_request_timeout_must_be_a_positive_number(capsys, value):
    """--request-timeout takes seconds above 0."""
    code, _, err = run(capsys, "connectivity", "--live", "--request-timeout", value)
    assert code == 2 and err.count("\n") == 1


# netfence rbac -------------------------------------------------------------------------------


def test_rbac_prints_the_documented_cluster_role(capsys):
    """netfence rbac prints docs/rbac/netfence-reader.yaml as it is."""
    code, out, _ = run(capsys, "rbac")
    assert code == 0
    assert out == (ROOT / "docs/rbac/netfence-reader.yaml").read_text(encoding="utf-8")


def test_rbac_subject_adds_a_cluster_role_binding(capsys):
    """--subject: a ClusterRoleBinding granting the ClusterRole to each subject follows it."""
    code, out, _ = run(
        capsys, "rbac", "--subject", "serviceaccount:ops/netfence", "--subject", "group:auditors"
    )
    assert code == 0
    role, binding = yaml.safe_load_all(out)
    assert role["kind"] == "ClusterRole"
    assert binding["kind"] == "ClusterRoleBinding"
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "netfence", "namespace": "ops"},
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "auditors"},
    ]


@pytest.mark.parametrize("value", ["robot", "serviceaccount:noslash", "pod:x"])
def test_rbac_refuses_a_malformed_subject(capsys, value):
    code, _, err = run(capsys, "rbac", "--subject", value)
    assert code == 2 and err.count("\n") == 1


# kubectl netfence ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["scan"], ["scan", "--live"]),
        (["explain", "a/b", "c/d"], ["explain", "a/b", "c/d", "--live"]),
        (["connectivity", "-o", "json"], ["connectivity", "-o", "json", "--live"]),
        (["scan", "examples/arc-cluster"], ["scan", "examples/arc-cluster"]),
        (
            ["explain", "a/b", "c/d", "--strict", "x.yaml"],
            ["explain", "a/b", "c/d", "--strict", "x.yaml"],
        ),
        (["scan", "--live"], ["scan", "--live"]),
        (["diff", "deploy"], ["diff", "deploy", "--live"]),
        (["diff", "git:HEAD:deploy", "deploy"], ["diff", "git:HEAD:deploy", "deploy"]),
        (["test", "spec.yaml"], ["test", "spec.yaml", "--live"]),
        (["test", "spec.yaml", "deploy"], ["test", "spec.yaml", "deploy"]),
        (["test", "--init"], ["test", "--init", "--live"]),
        (["rbac"], ["rbac"]),
        (["checks"], ["checks"]),
        (["--help"], ["--help"]),
    ],
)
def test_the_plugin_adds_live_when_a_manifest_command_has_no_path(argv, expected):
    """kubectl netfence: a command that reads manifests given no PATH reads the current
    context (--live added); everything else is passed on unchanged."""
    assert plugin_arguments(argv) == expected


def test_kubectl_netfence_scan_reads_the_current_context(api, capsys, monkeypatch):
    """kubectl netfence scan: the current context of KUBECONFIG, no PATH needed."""
    monkeypatch.setenv("KUBECONFIG", api.kubeconfig)
    code, out, _ = run(capsys, *plugin_arguments(["scan", "-o", "json"]), prog=PROG)
    assert code in (0, 1)
    assert json.loads(out)["findings"]
    assert "/api/v1/pods" in api.paths_asked()


def test_kubectl_netfence_help_works():
    """kubectl netfence --help: usage under the plugin's name, exit 0."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run(
        [sys.executable, "-m", "netfence.cli.kubectl", "--help"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("usage: kubectl netfence")
    assert "rbac" in done.stdout


def test_the_krew_launcher_runs_the_cli(tmp_path):
    """The launcher krew installs finds netfence in python3 and runs the plugin."""
    # python3 on PATH is this interpreter, the one netfence's dependencies are installed in.
    (tmp_path / "python3").symlink_to(sys.executable)
    path = f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PATH=path)
    launcher = ROOT / "plugins/krew/launcher/kubectl-netfence"
    done = subprocess.run(
        ["sh", str(launcher), "scan", "--help"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: kubectl netfence scan")
    assert "--live" in done.stdout and "--kubeconfig" in done.stdout


def test_the_krew_manifest_has_its_required_fields_and_the_archive_hash():
    """krew Plugin manifest (krew.googlecontainertools.github.com/v1alpha2): name, version,
    shortDescription and platforms with selector, uri, sha256 and bin; the sha256 is the
    launcher archive's, rebuilt here byte for byte."""
    manifest = yaml.safe_load((ROOT / "plugins/krew/netfence.yaml").read_text(encoding="utf-8"))
    assert manifest["apiVersion"] == "krew.googlecontainertools.github.com/v1alpha2"
    assert manifest["kind"] == "Plugin"
    assert manifest["metadata"]["name"] == "netfence"
    spec = manifest["spec"]
    assert spec["version"].startswith("v") and spec["version"][1:].count(".") == 2
    assert 0 < len(spec["shortDescription"]) <= 50
    assert "pip install 'netfence[live]'" in spec["caveats"]
    for platform in spec["platforms"]:
        assert platform["selector"]["matchExpressions"]
        assert platform["uri"].startswith("https://")
        assert platform["bin"] == "kubectl-netfence"
        assert platform["sha256"] == build_archive.archive_sha256()
        assert {f["from"] for f in platform["files"]} == {"kubectl-netfence", "LICENSE"}


def test_pyproject_declares_the_live_extra_the_plugin_script_and_the_role():
    """The live extra (and the test extra installing it), the kubectl-netfence console script
    and the ClusterRole as package data."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = project["project"]["optional-dependencies"]
    assert extras["live"] == ["kubernetes>=29"]
    assert "netfence[live]" in extras["test"]
    scripts = project["project"]["scripts"]
    assert scripts["kubectl-netfence"] == "netfence.cli.kubectl:entry_point"
    data = project["tool"]["setuptools"]["package-data"]["netfence"]
    assert "data/rbac/*.yaml" in data


def test_firewall_check_live_reads_the_cluster_as_cluster_paths_do(api, capsys):
    """firewall check --live: the cluster its API server serves stands for --cluster PATH...;
    the findings are those of the same objects as files."""
    firewall = str(ROOT / "examples/arc-cluster/firewall/azure-firewall.json")
    base = ["firewall", "check", "--firewall", firewall, "-o", "json"]
    code, live_out, _ = run(capsys, *base, "--live", "--kubeconfig", api.kubeconfig)
    files_code, files_out, _ = run(capsys, *base, "--cluster", *INPUTS)
    assert code == files_code

    def found(text):
        return sorted((f["check_id"], f["message"]) for f in json.loads(text)["findings"])

    assert found(live_out) == found(files_out) and found(live_out)


def test_cluster_paths_and_live_are_not_both_given(capsys):
    """--cluster PATH and --live name two clusters: one line, exit 2."""
    plan = str(ROOT / "examples/arc-cluster/plan/address-plan.yaml")
    code, _, err = run(capsys, "ipplan", "check", plan, "--cluster", "x.yaml", "--live")
    assert code == 2
    assert err == "netfence: error: give --cluster PATH or --live, not both\n"


OPEN_SHOP = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: debug-open, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{}]
"""


def test_diff_live_says_what_applying_the_policies_would_change(api, capsys, tmp_path):
    """diff --live AFTER: BEFORE is the running cluster, AFTER is it with AFTER's policies
    applied (kubectl apply: same kind, namespace and name replaced, new ones added). Applying
    a policy that opens shop to every source opens flows into shop only, and it is named."""
    change = tmp_path / "open.yaml"
    change.write_text(OPEN_SHOP)
    code, out, err = run(
        capsys, "diff", "--live", "--kubeconfig", api.kubeconfig, str(change), "-o", "json",
        "--fail-on-added",
    )  # fmt: skip
    assert code == 1, err
    document = json.loads(out)
    assert document["summary"]["opened"] > 0 and document["summary"]["closed"] == 0
    assert document["summary"]["endpoints_added"] == document["summary"]["endpoints_removed"] == 0
    for change_entry in document["changes"]:
        assert all(name.startswith("shop/") for name in change_entry["dst"])
    assert "/api/v1/secrets" not in api.paths_asked()


def test_diff_live_of_the_live_cluster_s_own_policies_changes_nothing(api, capsys):
    """Applying the policies the cluster already has (the example's own files) opens and
    closes nothing: replacing an object by its equal is no change."""
    policies = [name for name in INPUTS if "/policies/" in name]
    code, out, err = run(
        capsys, "diff", "--live", "--kubeconfig", api.kubeconfig, *policies[:1], "-o", "json"
    )
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert summary["opened"] == summary["closed"] == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["diff", "--live", "a", "b"], "with --live give AFTER only"),
        (["diff", "a"], "give BEFORE and AFTER (or --live and AFTER)"),
        (["diff", "a", "b", "--context", "x"], "--context is an option of the live source"),
    ],
)
def test_diff_sides_with_and_without_live(capsys, argv, message):
    """diff: BEFORE and AFTER, or --live and AFTER; one-line usage errors otherwise."""
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1


def test_test_live_checks_the_assertions_on_the_running_cluster(api, capsys):
    """test SPEC --live: the example's assertions get the verdicts on the cluster the API
    server serves that they get on the same objects as files (the extras' admin policies
    make some fail on both)."""
    spec = str(ROOT / "examples/arc-cluster/tests/connectivity-tests.yaml")
    code, out, err = run(capsys, "test", spec, "--live", "--kubeconfig", api.kubeconfig)
    files_code, files_out, _ = run(capsys, "test", spec, *INPUTS)
    assert code == files_code == 1, err
    verdicts = [line.split(":")[0] for line in out.splitlines() if line[:4] in ("PASS", "FAIL")]
    assert verdicts == [
        line.split(":")[0] for line in files_out.splitlines() if line[:4] in ("PASS", "FAIL")
    ]
    assert out.splitlines()[-1] == files_out.splitlines()[-1] == "6 passed, 3 failed, 0 errors"
    code, _, err = run(capsys, "test", spec, "deploy", "--live", "--kubeconfig", api.kubeconfig)
    assert code == 2 and "not both" in err

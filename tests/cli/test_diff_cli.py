"""``netfence diff``: inputs (paths, git:REV:PATH, stdin), formats and exit codes."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest

from netfence.cli import main as cli_main
from tests.analyses.builders import deployment, manifests, match, namespace, policy, port
from tests.sources.test_git_tree import require_git

BASE = [namespace("shop"), namespace("data"), deployment("shop", "frontend"),
        deployment("data", "db")]  # fmt: skip
CLOSED = policy("data", "db", match(app="db"), ingress=[])
OPEN_5432 = policy(
    "data", "db", match(app="db"),
    ingress=[{"from": [{"namespaceSelector": {}}], "ports": [port(5432)]}],
)  # fmt: skip


def _write(directory: Path, *objects) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "all.yaml").write_text(manifests(*objects))
    return directory


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli_main.main(["diff", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_identical_sides_exit_0_and_say_so(tmp_path, capsys):
    """No change: exit 0, even with --fail-on-added."""
    side = _write(tmp_path / "a", *BASE, CLOSED)
    code, out, err = _run(capsys, str(side), str(side), "--fail-on-added")
    assert code == 0 and "no change" in out and err == ""


def test_fail_on_added_exits_1_when_a_flow_opens(tmp_path, capsys):
    """--fail-on-added: exit 1 when AFTER opens a flow; 0 without the flag."""
    before = _write(tmp_path / "a", *BASE, CLOSED)
    after = _write(tmp_path / "b", *BASE, OPEN_5432)
    code, out, _ = _run(capsys, str(before), str(after))
    assert code == 0
    assert "shop/frontend => data/db : TCP 5432" in out
    assert "NetworkPolicy/data/db spec.ingress[0]" in out
    assert _run(capsys, str(before), str(after), "--fail-on-added")[0] == 1
    # The reverse only closes: nothing added.
    assert _run(capsys, str(after), str(before), "--fail-on-added")[0] == 0


def test_forbid_match_exits_1_and_is_marked(tmp_path, capsys):
    """--forbid: an opened flow that matches exits 1 whatever --fail-on-added says."""
    before = _write(tmp_path / "a", *BASE, CLOSED)
    after = _write(tmp_path / "b", *BASE, OPEN_5432)
    code, out, _ = _run(capsys, str(before), str(after), "--forbid", "shop/*->data/db:5432/TCP")
    assert code == 1 and "FORBIDDEN by shop/*->data/db:5432/TCP" in out
    code, _, _ = _run(capsys, str(before), str(after), "--forbid", "shop/*->data/db:80")
    assert code == 0


@pytest.mark.parametrize("spec", ["nothing", "shop->db", "shop/a->data/db:99999", "a/b->c/d:1/XX"])
def test_a_bad_forbid_spec_is_a_usage_error(tmp_path, capsys, spec):
    """A --forbid that does not parse: one line, exit 2."""
    side = _write(tmp_path / "a", *BASE)
    code, out, err = _run(capsys, str(side), str(side), "--forbid", spec)
    assert code == 2 and out == "" and err.count("\n") == 1 and "--forbid" in err


def test_git_revision_against_the_working_tree(tmp_path, capsys, monkeypatch):
    """git:REV:PATH reads the committed tree: the working tree's change shows as the diff."""
    require_git()
    run = lambda *a: subprocess.run(  # noqa: E731
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *a],
        cwd=tmp_path, check=True, capture_output=True,
    )  # fmt: skip
    run("init", "-q")
    _write(tmp_path / "deploy", *BASE, CLOSED)
    run("add", "-A")
    run("commit", "-q", "-m", "closed")
    _write(tmp_path / "deploy", *BASE, OPEN_5432)
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(capsys, "git:HEAD:deploy", "deploy", "-o", "json", "--fail-on-added")
    assert code == 1
    document = json.loads(out)
    assert document["summary"]["opened"] == 1
    (policy_change,) = document["policies"]
    assert policy_change["before"]["file"] == "HEAD:deploy/all.yaml"
    code, out, err = _run(capsys, "git:no-such-rev:deploy", "deploy")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "BEFORE: git:no-such-rev:deploy: no revision 'no-such-rev'" in err


def test_netfence_s_own_files_in_a_git_tree_are_recognized_not_warned_about(
    tmp_path, capsys, monkeypatch
):
    """A directory's netfence inputs (a firewall export, an address plan) are set aside as they
    are from disk: recognized from the tree's text, not reported as files without objects."""
    require_git()
    run = lambda *a: subprocess.run(  # noqa: E731
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *a],
        cwd=tmp_path, check=True, capture_output=True,
    )  # fmt: skip
    run("init", "-q")
    example = Path(__file__).resolve().parents[2] / "examples" / "arc-cluster"
    _write(tmp_path / "deploy", *BASE, CLOSED)
    (tmp_path / "deploy" / "nsg.json").write_text((example / "firewall" / "nsg.json").read_text())
    plan = (example / "plan" / "address-plan.yaml").read_text()
    (tmp_path / "deploy" / "address-plan.yaml").write_text(plan)
    (tmp_path / "deploy" / "notes.yaml").write_text("just: notes\n")
    run("add", "-A")
    run("commit", "-q", "-m", "base")
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "git:HEAD:deploy", "deploy", "-v")
    assert code == 0
    assert "HEAD:deploy/nsg.json: nsg export, not a manifest" in err
    assert "HEAD:deploy/address-plan.yaml: netfence input (address plan)" in err
    warned = [line for line in err.splitlines() if "no Kubernetes object" in line]
    assert warned == [
        "netfence: warning: HEAD:deploy/notes.yaml: no Kubernetes object (apiVersion/kind) in"
        " it; skipped",
        "netfence: warning: deploy/notes.yaml: no Kubernetes object (apiVersion/kind) in it;"
        " skipped",
    ]


def test_one_side_from_stdin(tmp_path, capsys, monkeypatch):
    """'-' reads one side from standard input; both from it is a usage error."""
    after = _write(tmp_path / "b", *BASE, OPEN_5432)
    monkeypatch.setattr(
        "sys.stdin", io.TextIOWrapper(io.BytesIO(manifests(*BASE, CLOSED).encode()))
    )
    code, out, _ = _run(capsys, "-", str(after), "-o", "md")
    assert code == 0 and out.startswith("## netfence diff") and "shop/frontend" in out
    code, _, err = _run(capsys, "-", "-")
    assert code == 2 and "only one side" in err


def test_an_input_error_names_the_side(tmp_path, capsys):
    """A broken file on one side: one line naming the side and the place, exit 2."""
    good = _write(tmp_path / "a", *BASE)
    bad = tmp_path / "b"
    bad.mkdir()
    (bad / "x.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: 'Bad_Name'}\n")
    code, out, err = _run(capsys, str(good), str(bad))
    assert code == 2 and out == "" and err.startswith("netfence: error: AFTER: ")
    assert err.count("\n") == 1


def test_pod_granularity_and_namespace_filter(tmp_path, capsys):
    """--granularity pod and -n reach the analysis."""
    before = _write(tmp_path / "a", *BASE, CLOSED)
    after = _write(tmp_path / "b", *BASE, OPEN_5432)
    code, out, _ = _run(capsys, str(before), str(after), "--granularity", "pod", "-o", "json")
    assert code == 0 and json.loads(out)["granularity"] == "pod"
    code, out, _ = _run(capsys, str(before), str(after), "-n", "kube-system", "-o", "json")
    assert json.loads(out)["summary"]["opened"] == 0

"""The GitHub Action (action.yml and the script it runs, integrations/github/action.sh).

GitHub's runner cannot run here; the action's own work is the script, which these tests run as
the runner would (the same environment variables, a real git repository with a base and a head
commit, the job summary file), with the netfence installed in this environment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
SCRIPT = ROOT / "integrations" / "github" / "action.sh"
EXAMPLE = ROOT / "examples" / "arc-cluster"

OPENING_POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: debug-open-orders-db
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
    - {}
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture
def pull_request(tmp_path: Path) -> tuple[Path, str]:
    """A repository whose head commit adds a policy opening every ingress in ``shop``."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo / "cluster")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD")
    (repo / "cluster" / "debug-open.yaml").write_text(OPENING_POLICY)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "open shop for debugging")
    return repo, base


def _run(repo: Path, **settings: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    summary = repo.parent / "summary.md"
    env = {
        **os.environ,
        "GITHUB_STEP_SUMMARY": str(summary),
        "NETFENCE_OUT": str(repo.parent / "results"),
        **settings,
    }
    done = subprocess.run(
        [str(SCRIPT)], cwd=repo, env=env, capture_output=True, text=True, timeout=600
    )
    return done, summary


def _sarif_results(path: Path) -> list[dict[str, object]]:
    log = json.loads(path.read_text())
    assert log["version"] == "2.1.0"
    return [result for run in log["runs"] for result in run["results"]]


def test_a_forbidden_flow_opened_by_the_change_fails_the_job(
    pull_request: tuple[Path, str],
) -> None:
    """diff --forbid: the head commit opens shop's pods to every source; a pattern forbidding
    any source to reach shop fails the job, its SARIF result is an error, and the job summary
    carries the diff."""
    repo, base = pull_request
    done, summary = _run(
        repo,
        NETFENCE_PATH="cluster",
        NETFENCE_BASE=base,
        NETFENCE_FAIL_ON="none",
        NETFENCE_FORBID="*/*->shop/*",
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "::error title=netfence diff::" in done.stdout
    results = repo.parent / "results"
    diff_results = _sarif_results(results / "diff.sarif")
    assert any(r["level"] == "error" for r in diff_results)
    assert _sarif_results(results / "scan.sarif")
    text = summary.read_text()
    assert text.startswith("## netfence")
    assert "debug-open-orders-db" in text


def test_a_change_that_opens_nothing_passes(pull_request: tuple[Path, str]) -> None:
    """Diffing the base against itself: nothing opens, every gate passes, exit 0."""
    repo, base = pull_request
    _git(repo, "checkout", "-q", base)
    done, summary = _run(
        repo,
        NETFENCE_PATH="cluster",
        NETFENCE_BASE=base,
        NETFENCE_FAIL_ON="none",
        NETFENCE_FAIL_ON_ADDED="true",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert _sarif_results(repo.parent / "results" / "diff.sarif") == []


def test_the_scan_gate_follows_fail_on(pull_request: tuple[Path, str]) -> None:
    """fail-on high: the example's high findings fail the job; no base: no diff is run."""
    repo, _ = pull_request
    done, _ = _run(repo, NETFENCE_PATH="cluster", NETFENCE_BASE="", NETFENCE_FAIL_ON="high")
    assert done.returncode == 1
    assert "::error title=netfence scan::" in done.stdout
    assert not (repo.parent / "results" / "diff.sarif").exists()


def test_connectivity_assertions_run_and_write_junit(pull_request: tuple[Path, str]) -> None:
    """tests: the example's assertions pass on the base commit; JUnit and SARIF are written."""
    repo, base = pull_request
    _git(repo, "checkout", "-q", base)
    spec = next((repo / "cluster").rglob("connectivity-tests.yaml"))
    done, _ = _run(
        repo,
        NETFENCE_PATH="cluster",
        NETFENCE_BASE="",
        NETFENCE_FAIL_ON="none",
        NETFENCE_TESTS=str(spec.relative_to(repo)),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    junit = (repo.parent / "results" / "test.xml").read_text()
    assert "<testsuite" in junit and "<failure" not in junit


def test_an_unreadable_input_is_exit_2(tmp_path: Path) -> None:
    """A path with no manifests: netfence's input error (2) outranks every gate."""
    (tmp_path / "empty").mkdir()
    done, _ = _run(tmp_path / "empty", NETFENCE_PATH=".", NETFENCE_BASE="", NETFENCE_FAIL_ON="high")
    assert done.returncode == 2


def test_the_action_passes_every_input_the_script_reads() -> None:
    """Every NETFENCE_* variable the script reads is set by action.yml's run step, from a
    declared input, and every ``inputs.X`` the action uses is declared."""
    script = SCRIPT.read_text()
    read = set(re.findall(r"\$\{?(NETFENCE_[A-Z_]+)", script))
    run_step = next(step for step in ACTION["runs"]["steps"] if step.get("id") == "run")
    assert read <= set(run_step["env"]), read - set(run_step["env"])
    used = set(re.findall(r"inputs\.([a-z-]+)", (ROOT / "action.yml").read_text()))
    assert used <= set(ACTION["inputs"]), used - set(ACTION["inputs"])
    assert os.access(SCRIPT, os.X_OK)


def test_the_action_s_steps_pin_a_major_version() -> None:
    """Actions the composite uses are pinned (``@v5``), never a moving branch."""
    for step in ACTION["runs"]["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", step["uses"]), step["uses"]

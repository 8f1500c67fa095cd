"""The pre-commit hooks (.pre-commit-hooks.yaml), run by the real pre-commit.

pre-commit installs netfence from this repository's committed HEAD into its own environment
(as a user's ``rev:`` would) and runs the hook on a repository holding the example cluster.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "arc-cluster"
HOOKS = ROOT / ".pre-commit-hooks.yaml"


def _require(condition: bool, message: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so this is a failure, not a skip")
    pytest.skip(message)


def test_every_hook_declares_what_pre_commit_requires() -> None:
    """pre-commit's manifest: each hook has id, name, entry and language; netfence's read the
    whole directory given in args, so no file names are passed."""
    hooks = yaml.safe_load(HOOKS.read_text())
    assert {hook["id"] for hook in hooks} == {"netfence-scan", "netfence-test"}
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= hook.keys()
        assert hook["language"] == "python"
        assert hook["entry"].split()[0] == "netfence"
        assert hook["pass_filenames"] is False


def _repository(tmp_path: Path, args: list[str]) -> Path:
    """A git repository holding the example cluster, configured to run netfence-scan."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo / "cluster")
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    config = {
        "repos": [
            {"repo": str(ROOT), "rev": head, "hooks": [{"id": "netfence-scan", "args": args}]}
        ]
    }
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "example"], check=True)
    return repo


def _run_hooks(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["pre-commit", "run", "--all-files"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PRE_COMMIT_HOME": str(home)},
    )


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require(shutil.which("pre-commit") is not None, "pre-commit is not installed")
    _require((ROOT / ".git").exists(), "not a git checkout of netfence")
    return tmp_path_factory.mktemp("pre-commit-home")


def test_scan_hook_fails_the_commit_on_findings_at_the_threshold(
    tmp_path: Path, pre_commit_home: Path
) -> None:
    """The example has high findings: with --fail-on high the hook fails and shows them."""
    done = _run_hooks(_repository(tmp_path, ["cluster", "--fail-on", "high"]), pre_commit_home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "netfence scan" in done.stdout and "Failed" in done.stdout
    assert "NF101" in done.stdout


def test_scan_hook_passes_below_the_threshold(tmp_path: Path, pre_commit_home: Path) -> None:
    """The example has no critical finding: with --fail-on critical the hook passes."""
    done = _run_hooks(_repository(tmp_path, ["cluster", "--fail-on", "critical"]), pre_commit_home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout

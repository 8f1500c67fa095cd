"""git:REV:PATH inputs: a revision's tree read with git, no checkout, in a real repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from netfence.errors import InputError
from netfence.sources.git_tree import git_documents, parse_git_spec
from netfence.sources.manifests import cluster_from_documents

POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: NAME, namespace: shop}
spec: {podSelector: {}}
"""


def require_git() -> None:
    """Skip without git locally; under CI (``CI`` set) a missing git is a failure."""
    if shutil.which("git") is not None:
        return
    if os.environ.get("CI"):
        pytest.fail("git is not installed; CI is set, so this is a failure, not a skip")
    pytest.skip("git is not installed")


@pytest.fixture(autouse=True)
def _needs_git() -> None:
    require_git()


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with two commits: deploy/ gains a policy and loses a file in the second."""
    _git(tmp_path, "init", "-q", "-b", "main")
    deploy = tmp_path / "deploy"
    (deploy / "sub").mkdir(parents=True)
    (deploy / "a.yaml").write_text(POLICY.replace("NAME", "a"))
    (deploy / "sub" / "b.yml").write_text(POLICY.replace("NAME", "b"))
    (deploy / "notes.txt").write_text("not a manifest")
    (deploy / ".hidden.yaml").write_text(POLICY.replace("NAME", "hidden"))
    (deploy / "values.yaml").write_text("replicas: 3\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "first")
    _git(tmp_path, "tag", "v1")
    (deploy / "c.yaml").write_text(POLICY.replace("NAME", "c"))
    (deploy / "sub" / "b.yml").unlink()
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "second")
    return tmp_path


def _names(spec: str, cwd: Path) -> list[str]:
    cluster = cluster_from_documents(git_documents(spec, cwd=str(cwd)))
    return sorted(p.name for p in cluster.policies)


def test_reads_a_directory_at_each_revision_without_a_checkout(repo: Path):
    """The tree at REV, not the working tree: HEAD~1 still has b, HEAD has c."""
    assert _names("git:HEAD~1:deploy", repo) == ["a", "b"]
    assert _names("git:v1:deploy/", repo) == ["a", "b"]
    assert _names("git:main:deploy", repo) == ["a", "c"]
    (repo / "deploy" / "a.yaml").write_text("broken: [")  # the working tree is not read
    assert _names("git:HEAD:deploy", repo) == ["a", "c"]
    assert _git(repo, "status", "--porcelain") == "M deploy/a.yaml"  # nothing else written


def test_directory_reading_matches_the_file_reader(repo: Path):
    """Only .yaml/.yml/.json files, hidden ones left out; a file without a Kubernetes object
    is set aside; files are named REV:PATH/file in origins."""
    set_aside: list[str] = []
    documents = list(git_documents("git:HEAD~1:deploy", set_aside, cwd=str(repo)))
    assert [d.file for d in documents] == ["HEAD~1:deploy/a.yaml", "HEAD~1:deploy/sub/b.yml"]
    assert set_aside == ["HEAD~1:deploy/values.yaml"]


def test_a_single_file_and_the_whole_tree(repo: Path):
    """PATH may name one file; an empty PATH is the whole tree."""
    assert _names("git:HEAD:deploy/c.yaml", repo) == ["c"]
    documents = list(git_documents("git:HEAD:", cwd=str(repo)))
    assert {d.file for d in documents} == {"HEAD:deploy/a.yaml", "HEAD:deploy/c.yaml"}


def test_paths_relative_to_the_current_directory_with_dot_slash(repo: Path):
    """git's rule: ./PATH is relative to the current directory, else to the top."""
    with pytest.raises(InputError, match="no file or directory"):  # sub/ is gone at HEAD
        _names("git:HEAD:./sub", repo / "deploy")
    assert _names("git:HEAD~1:./sub", repo / "deploy") == ["b"]
    assert _names("git:HEAD~1:deploy/sub", repo / "deploy") == ["b"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("git:nope:deploy", "no revision 'nope'"),
        ("git:HEAD:missing", "no file or directory 'missing' at revision 'HEAD'"),
        ("git:HEAD", "expected git:REV:PATH"),
        ("git::deploy", "expected git:REV:PATH"),
        ("git:--output=x:deploy", "cannot start with '-'"),
    ],
)
def test_a_bad_revision_or_path_is_one_input_error(repo: Path, spec: str, message: str):
    """A bad revision or path: an InputError naming the input, never a traceback."""
    with pytest.raises(InputError) as caught:
        list(git_documents(spec, cwd=str(repo)))
    assert message in str(caught.value)
    assert spec in str(caught.value)


def test_outside_a_repository_is_an_input_error(tmp_path: Path):
    """No repository around the current directory: git's reason, in one error."""
    with pytest.raises(InputError, match="not a git repository"):
        list(git_documents("git:HEAD:x", cwd=str(tmp_path)))


def test_split_rule_rev_ends_at_the_first_colon():
    """REV ends at the first ':' after git: (refs cannot hold ':'); PATH keeps the rest."""
    spec = parse_git_spec("git:release/1.2:dir/with:colon")
    assert (spec.revision, spec.path) == ("release/1.2", "dir/with:colon")

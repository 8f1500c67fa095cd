"""Which files an input names, and what happens to the ones that cannot be manifests: nothing is
skipped in silence, nothing hangs, and the size limit counts bytes."""

from __future__ import annotations

import os
import pathlib
import shutil
import socket
import tempfile

import pytest

from netfence.errors import InputError
from netfence.sources.manifests import iter_input_files, load_cluster

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"
DENY = (
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
    "metadata: {name: deny, namespace: shop}\nspec: {podSelector: {}}\n"
)


def _tree(tmp_path):
    top = tmp_path / "in"
    (top / "policies").mkdir(parents=True)
    (top / "pods.yaml").write_text(POD)
    (top / "policies" / "deny.yaml").write_text(DENY)
    return top


def test_a_fifo_in_a_directory_is_skipped_with_a_warning(tmp_path, caplog):
    """A FIFO can never be a manifest; reading it would block forever. It is skipped with a
    warning naming it, and the rest is read."""
    top = _tree(tmp_path)
    os.mkfifo(top / "stuck.yaml")
    cluster = load_cluster([str(top)])
    assert [p.name for p in cluster.policies] == ["deny"]
    assert "stuck.yaml: not a regular file; skipped" in caplog.text


def test_a_socket_in_a_directory_is_skipped_with_a_warning(tmp_path, caplog):
    """A socket (as left by a running tool) is skipped likewise."""
    top = _tree(tmp_path)
    path = top / "agent.yaml"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        assert len(load_cluster([str(top)]).policies) == 1
    finally:
        server.close()
    assert "agent.yaml: not a regular file; skipped" in caplog.text


def test_a_device_given_by_name_is_not_a_regular_file():
    """A device named on the command line is refused, not read."""
    with pytest.raises(InputError, match="/dev/null: not a regular file"):
        list(iter_input_files(["/dev/null"]))


def test_a_dangling_symlink_is_an_error(tmp_path):
    """A link to nothing inside the directory: an error naming it (the policy it pointed to
    is missing, so the answer would be incomplete)."""
    top = _tree(tmp_path)
    (top / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    with pytest.raises(InputError, match="gone.yaml: dangling symbolic link"):
        load_cluster([str(top)])
    with pytest.raises(InputError, match="dangling symbolic link"):
        load_cluster([str(top / "gone.yaml")])


def _outcome_without_privileges(top) -> str:
    """Load ``top`` as a user without root's power to read anything: in a forked child that
    drops to ``nobody`` when run as root (as CI is), directly otherwise."""
    if os.geteuid() != 0:
        try:
            load_cluster([str(top)])
        except InputError as exc:
            return str(exc)
        return "loaded"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop privileges, load, report, exit
        os.close(read)
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            try:
                load_cluster([str(top)])
                message = "loaded"
            except InputError as exc:
                message = str(exc)
            os.write(write, message.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        message = answer.read().decode()
    os.waitpid(pid, 0)
    return message


def test_an_unreadable_subdirectory_is_an_error_not_a_skip():
    """A subdirectory that cannot be listed would silently drop its default-deny: an error."""
    base = tempfile.mkdtemp()
    try:
        os.chmod(base, 0o755)
        top = _tree(pathlib.Path(base))
        os.chmod(top, 0o755)
        (top / "pods.yaml").chmod(0o644)
        (top / "policies").chmod(0)
        assert "cannot read the directory" in _outcome_without_privileges(top)
        (top / "policies").chmod(0o755)
        (top / "policies" / "deny.yaml").chmod(0)
        assert "deny.yaml: cannot read" in _outcome_without_privileges(top)
    finally:
        for root, dirs, _ in os.walk(base):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        shutil.rmtree(base)


def test_a_linked_directory_is_read_once(tmp_path):
    """A symbolic link to a directory is followed (its manifests count), and a link loop is
    walked once, not forever."""
    top = _tree(tmp_path)
    (top / "again").symlink_to(top / "policies")
    (top / "policies" / "loop").symlink_to(top)
    files = list(iter_input_files([str(top)]))
    assert sum(f.endswith("deny.yaml") for f in files) == 1


def test_a_stray_json_report_in_a_directory_is_skipped_with_a_warning(tmp_path, caplog):
    """A file with no Kubernetes-shaped document (no apiVersion or kind: a scanner's report,
    a Helm values file) inside a directory is skipped with a warning naming it."""
    top = _tree(tmp_path)
    (top / "report.json").write_text('{"findings": [], "tool": "x"}')
    (top / "values.yaml").write_text("replicaCount: 2\nimage: {tag: v1}\n")
    assert len(load_cluster([str(top)]).policies) == 1
    assert "report.json: no Kubernetes object (apiVersion/kind) in it; skipped" in caplog.text
    assert "values.yaml: no Kubernetes object" in caplog.text


def test_a_stray_file_given_by_name_is_still_an_error(tmp_path):
    """A file named on the command line is meant to be read: no apiVersion/kind is an error."""
    path = tmp_path / "values.yaml"
    path.write_text("replicaCount: 2\n")
    with pytest.raises(InputError):
        load_cluster([str(path)])


def test_a_malformed_object_in_a_directory_stays_an_error(tmp_path):
    """A document that claims to be an object (it has a kind) but is malformed is an error,
    even inside a directory."""
    top = _tree(tmp_path)
    (top / "broken.yaml").write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: shop}\n"
    )
    with pytest.raises(InputError):
        load_cluster([str(top)])


def test_the_size_limit_counts_bytes_not_characters(tmp_path):
    """Each 'é' is two bytes in UTF-8: a file of 60 of them is 120 bytes, over a 100-byte
    limit, though it is only 60 characters."""
    path = tmp_path / "wide.yaml"
    path.write_text("# " + "é" * 60 + "\n" + POD)
    with pytest.raises(InputError, match="over the 100-byte"):
        load_cluster([str(path)], max_bytes=100)
    budget = len(path.read_bytes())
    assert load_cluster([str(path)], max_bytes=budget).pods

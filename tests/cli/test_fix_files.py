"""``scan --fix DIR`` writes safely: never through a symbolic link, all files or none, and one
file per resource (a pull request can plant a link or a file where the fixes go)."""

from __future__ import annotations

import json
import os

import pytest

from netfence.report.fix_files import fix_file_name

MANIFEST = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ops}
---
apiVersion: v1
kind: Pod
metadata: {name: toolbox, namespace: ops, labels: {app: toolbox}}
"""


def _scan_fix(cli, write, directory):
    path = write(MANIFEST)
    return cli("scan", path, "-o", "json", "--fix", directory)


def test_fixes_are_written_into_a_new_directory(cli, write, tmp_path):
    """The directory is created; the generated fixes land in it as YAML files, with no
    temporary file left behind."""
    fixes = tmp_path / "fixes"
    result = _scan_fix(cli, write, fixes)
    assert result.code == 0, result.err
    names = sorted(os.listdir(fixes))
    assert names and all(n.endswith(".yaml") and not n.startswith(".") for n in names)


def test_a_symlinked_directory_is_refused(cli, write, tmp_path):
    """DIR itself a symbolic link: refused with one line and exit 2; nothing written where
    it points."""
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "fixes"
    link.symlink_to(target)
    result = _scan_fix(cli, write, link)
    assert result.code == 2
    assert result.err.count("\n") == 1 and "symbolic link" in result.err
    assert os.listdir(target) == []


def test_a_link_planted_at_a_fix_name_is_refused_and_nothing_is_written(cli, write, tmp_path):
    """A link at the name a fix would take (pointing at a file outside DIR) is never
    followed: the run fails with one line, the outside file is unchanged, and no other fix
    of the set is written (all or none)."""
    fixes = tmp_path / "fixes"
    first = _scan_fix(cli, write, fixes)
    names = sorted(os.listdir(fixes))
    assert len(names) >= 2, names
    for name in names:
        (fixes / name).unlink()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (fixes / names[-1]).symlink_to(victim)
    result = _scan_fix(cli, write, fixes)
    assert first.code == 0 and result.code == 2
    assert "symbolic link" in result.err and result.err.count("\n") == 1
    assert victim.read_text() == "keep me"
    assert sorted(os.listdir(fixes)) == [names[-1]]


@pytest.mark.parametrize("kind", ["file", "under-a-file"])
def test_a_directory_that_is_not_one_is_an_error(cli, write, tmp_path, kind):
    """DIR a regular file, or under one: one line, exit 2, never a traceback."""
    plain = tmp_path / "plain"
    plain.write_text("x")
    directory = plain if kind == "file" else plain / "fixes"
    result = _scan_fix(cli, write, directory)
    assert result.code == 2
    assert result.err.startswith("netfence: error: --fix ") and result.err.count("\n") == 1


def test_a_non_file_at_a_fix_name_is_refused(cli, write, tmp_path):
    """A directory standing where a fix file would go is not replaced: one line, exit 2."""
    fixes = tmp_path / "fixes"
    assert _scan_fix(cli, write, fixes).code == 0
    name = sorted(os.listdir(fixes))[0]
    (fixes / name).unlink()
    (fixes / name).mkdir()
    result = _scan_fix(cli, write, fixes)
    assert result.code == 2 and "not a regular file" in result.err


def test_file_names_are_one_to_one():
    """Resources whose names differ get different files, even where a lossy mapping would
    merge them (``x/y`` and ``x_y``); over-long names stay within file-system limits."""
    keys = ["x/y", "x_y", "x%2Fy", "x/y/z", "x/y_z", "X/y", "x/Y"]
    names = {fix_file_name("NF001", key) for key in keys}
    assert len(names) == len(keys)
    assert fix_file_name("NF001", "shop/web") == "NF001-shop_web.yaml"
    long = fix_file_name("NF001", "a" * 300 + "/" + "b" * 300)
    assert len(long.encode()) <= 255
    assert long != fix_file_name("NF001", "a" * 300 + "/" + "b" * 299 + "c")


def test_what_each_file_changes_is_on_stderr_and_stdout_stays_the_report(cli, write, tmp_path):
    """docs/scan.md "What --fix prints": per file, its namespace, policies, the findings it
    resolves and the flows kept, removed and added, on stderr; stdout is the JSON report,
    each asking finding carrying the file's content as its fix."""
    fixes = tmp_path / "fixes"
    result = _scan_fix(cli, write, fixes)
    assert result.code == 0, result.err
    report = json.loads(result.out)
    written = {(fixes / n).read_text() for n in os.listdir(fixes)}
    carried = {f["fix"] for f in report["findings"] if f["fix"]}
    assert carried == written
    wrote = [line for line in result.err_lines if line.startswith("netfence: wrote ")]
    assert len(wrote) == 2
    assert any("namespace shop" in line and "resolves 3 finding(s)" in line for line in wrote)
    assert sum("flows kept:" in line and "removed: 0" in line for line in result.err_lines) == 2


def test_the_fix_directory_loads_beside_the_input(cli, write, tmp_path):
    """The written sets, given beside the input, load (no NetworkPolicy defined twice) and
    resolve the findings they were written for."""
    fixes = tmp_path / "fixes"
    path = write(MANIFEST)
    assert cli("scan", path, "--fix", fixes, "-o", "json").code == 0
    again = cli("scan", path, fixes, "-o", "json")
    assert again.code == 0, again.err
    left = {f["check_id"] for f in json.loads(again.out)["findings"]}
    assert not left & {"NF001", "NF004", "NF005"}
    # Applied, nothing asks for a fix any more: --fix says so rather than staying silent.
    rerun = cli("scan", path, fixes, "--fix", tmp_path / "more", "-o", "json")
    assert rerun.code == 0
    assert "netfence: no finding asks for a generated fix: nothing written" in rerun.err_lines
    assert not list((tmp_path / "more").iterdir())


def test_nothing_proven_is_exit_2_with_the_reasons(cli, write, tmp_path):
    """docs/scan.md "Exit status": when sets were planned and none passed its proof, the
    reasons come first, then one error line, exit 2; nothing is written."""
    path = write(
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: bare}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: bare}
        """
    )
    fixes = tmp_path / "fixes"
    result = cli("scan", path, "--fix", fixes)
    assert result.code == 2
    assert "fix for namespace bare not written: bare/p has no pod labels" in result.err
    assert result.err_lines[-1].startswith("netfence: error: --fix ")
    assert os.listdir(fixes) == []

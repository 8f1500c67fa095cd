"""``netfence completion``: scripts real bash and zsh complete netfence command lines with."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from netfence.cli.main import main
from tests.support.shells import bash_candidates, zsh_screen


def _script(shell: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["completion", shell]) == 0
    return out.getvalue()


@pytest.fixture
def bash_script(tmp_path: Path) -> Path:
    path = tmp_path / "netfence.bash"
    path.write_text(_script("bash"))
    return path


@pytest.fixture
def zsh_functions(tmp_path: Path) -> Path:
    directory = tmp_path / "functions"
    directory.mkdir()
    (directory / "_netfence").write_text(_script("zsh"))
    return directory


def test_bash_completes_command_names(bash_script: Path) -> None:
    """bash programmable completion (complete -F): a prefix completes to the command."""
    assert bash_candidates(bash_script, ["sc"]) == ["scan"]
    assert "connectivity" in bash_candidates(bash_script, [""])


def test_bash_completes_an_option_s_choices(bash_script: Path) -> None:
    """An option with choices (connectivity -o) offers exactly the formats the parser takes."""
    assert bash_candidates(bash_script, ["connectivity", "-o", ""]) == [
        "csv",
        "dot",
        "json",
        "md",
        "text",
    ]


def test_bash_completes_options_of_the_subcommand(bash_script: Path) -> None:
    """Option names come from the subcommand's own parser."""
    assert bash_candidates(bash_script, ["scan", "--fail-o"]) == ["--fail-on"]


def test_bash_completes_manifest_paths(bash_script: Path, tmp_path: Path) -> None:
    """PATH arguments complete file and directory names."""
    (tmp_path / "manifests-dir").mkdir()
    prefix = str(tmp_path / "manifests-d")
    assert bash_candidates(bash_script, ["scan", prefix]) == [str(tmp_path / "manifests-dir")]


def test_zsh_completes_a_command_name(zsh_functions: Path) -> None:
    """zsh's completion system (compinit, #compdef): TAB after a prefix completes the command."""
    assert "netfence scan " in zsh_screen(zsh_functions, "netfence sc")


def test_zsh_lists_an_option_s_choices(zsh_functions: Path) -> None:
    """zsh lists every choice of connectivity -o."""
    screen = zsh_screen(zsh_functions, "netfence connectivity -o ")
    for choice in ("csv", "dot", "json", "md", "text"):
        assert choice in screen.split(), screen


def test_an_unknown_shell_is_a_usage_error() -> None:
    """Only bash and zsh scripts are written: anything else is exit 2."""
    assert main(["completion", "fish"]) == 2

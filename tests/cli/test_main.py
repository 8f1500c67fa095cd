"""Start-up cost: ``netfence --help`` and ``import netfence`` load none of the modules a run
needs, and a command loads only its own.

Why: the issue "Scale to 100,000 pods" asks for 50x nca side by side at 1,000 pods and 400
policies, about half a second for the whole process; importing the engine, the audit, the
firewall languages and the renderers up front cost more than that cluster's analysis.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from netfence.cli.main import COMMAND_HELP, build_parser, command_in

SRC = Path(__file__).resolve().parents[2] / "src"

HEAVY = (
    "netfence.engine",
    "netfence.analyses",
    "netfence.policy",
    "netfence.report.connectivity",
    "netfence.sources.manifests",
    "netfence._api",
    "yaml",
    "numpy",
    "rich",
    "jinja2",
    "kubernetes",
    "shtab",
)
"""Modules whose import is a run's work, not start-up's (prefixes)."""


def _modules_after(code: str) -> list[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)), file=sys.stderr)"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    return list(json.loads(done.stderr.strip().splitlines()[-1]))


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_help_imports_no_run_module():
    """Start-up cost (the issue's 50x side by side with nca): ``netfence --help`` lists the
    commands without importing the engine, analyses, renderers, YAML, numpy or rich."""
    modules = _modules_after(
        "import sys\nfrom netfence.cli.main import main\nsys.stdout = open('/dev/null', 'w')\n"
        "assert main(['--help']) == 0"
    )
    assert "netfence.cli.main" in modules
    assert _heavy(modules) == []


def test_import_netfence_imports_no_run_module():
    """Start-up cost: ``import netfence`` resolves its public names on first use (PEP 562),
    so importing the package loads none of what loading or analyzing needs."""
    assert _heavy(_modules_after("import netfence")) == []


def test_a_public_name_imports_only_its_home():
    """Start-up cost: using one public name (``netfence.IPRangeSet``) imports its module, not
    the engine, the analyses or the renderers."""
    modules = _modules_after("import netfence\nnetfence.IPRangeSet")
    assert "netfence.sets.ipranges" in modules
    assert [m for m in _heavy(modules) if not m.startswith("netfence.sets")] == []


def test_connectivity_imports_no_audit_nor_firewall_check():
    """Start-up cost: a ``connectivity`` run without ``--firewall`` parses its arguments
    without the audit, the scan, the firewall check or the resolvers."""
    modules = _modules_after(
        "from netfence.cli.main import build_parser, command_in\n"
        "argv = ['connectivity', 'x.yaml', '-o', 'json']\n"
        "build_parser('netfence', command_in(argv)).parse_args(argv)"
    )
    unwanted = (
        "netfence.analyses.audit",
        "netfence.cli.scan",
        "netfence.analyses.firewall.run",
        "netfence.sources.resolver",
    )
    assert [m for m in modules if m.startswith(unwanted)] == []


def _subparsers(parser):
    (action,) = parser._subparsers._group_actions
    return action.choices


def test_named_commands_have_the_help_of_their_own_parsers():
    """Start-up cost without drift: the top-level help that names commands without building
    them is the help the complete parser prints."""
    assert build_parser(command="").format_help() == build_parser().format_help()
    assert list(_subparsers(build_parser())) == list(COMMAND_HELP)


@pytest.mark.parametrize("command", list(COMMAND_HELP))
def test_each_command_alone_is_its_complete_parser(command):
    """Start-up cost without drift: a command's parser built alone is the one the complete
    parser holds (same arguments, same help)."""
    alone = _subparsers(build_parser(command=command))[command]
    complete = _subparsers(build_parser())[command]
    assert alone.format_help() == complete.format_help()


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["connectivity", "x.yaml"], "connectivity"),
        (["--version"], ""),
        (["--help", "scan"], "scan"),
        (["conectivity", "x.yaml"], ""),
        ([], ""),
    ],
)
def test_command_in_finds_the_first_word(argv, command):
    """The command is the first word that is not an option (the top level has no option
    with a value); a word that names no command builds none, and argparse refuses it."""
    assert command_in(argv) == command

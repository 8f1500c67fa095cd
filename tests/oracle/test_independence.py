"""The oracle must not share code with what it checks: no module of tests/oracle imports the
engine, the policy layer or the analyses."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = ("netfence.engine", "netfence.policy", "netfence.analyses")
ORACLE = Path(__file__).parent


def _imported(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (getattr(node.func, "attr", None) or getattr(node.func, "id", None))
            in ("import_module", "__import__")
        ):
            names.extend(
                arg.value
                for arg in node.args
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            )
    return names


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def test_oracle_imports_nothing_it_checks() -> None:
    """Every tests/oracle/*.py, parsed: no import (plain, from, or by importlib) reaches
    netfence.engine, netfence.policy or netfence.analyses."""
    files = sorted(ORACLE.glob("*.py"))
    assert Path(__file__) in files and len(files) > 2
    offending = [
        (path.name, name)
        for path in files
        for name in _imported(ast.parse(path.read_text(), filename=str(path)))
        if _forbidden(name)
    ]
    assert offending == []


def test_the_check_sees_each_import_form() -> None:
    """The scan itself: each way of importing the engine is caught."""
    for source in (
        "import netfence.engine.tiers",
        "from netfence.engine import tiers",
        "from netfence import engine",
        "from netfence import analyses as a",
        "import importlib\nimportlib.import_module('netfence.policy')",
        "from netfence.policy.x import y",
    ):
        assert any(_forbidden(n) for n in _imported(ast.parse(source))), source
    assert not any(_forbidden(n) for n in _imported(ast.parse("from netfence.model import x")))

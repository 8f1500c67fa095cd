"""The package's shape: no import circles, and dependencies pointing down the pipeline
(sources -> model -> sets -> policy -> engine -> analyses -> report -> cli), as DESIGN draws it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "netfence"

# What each layer may import from the package, beside itself. Every import counts, including
# those inside functions and under TYPE_CHECKING: a circle through them is still a circle.
ALLOWED = {
    "errors": {"model"},
    "model": {"errors", "sets"},
    "sets": set(),
    "sources": {"errors", "model", "sets"},
    # Firewall languages read their exports through the sources' readers (JSON with lines,
    # Service Tags files) before compiling them, as DESIGN's policy/ row says.
    "policy": {"errors", "model", "sets", "sources"},
    "engine": {"errors", "model", "sets", "policy"},
    "analyses": {"errors", "model", "sets", "policy", "engine", "sources"},
    "report": {"errors", "model", "sets", "engine", "analyses"},
    "cli": {"errors", "model", "sets", "sources", "analyses", "engine", "report", "_api"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from pkg import module`` imports the module; ``from module import name``, the module.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target.startswith("netfence") and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        edges = _imports(name, path, modules)
        if path.name == "__init__.py":  # a package re-exporting its own parts is no circle
            edges = {e for e in edges if not e.startswith(name + ".")}
        graph[name] = edges
    return graph


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


ANYWHERE = {"_version"}
"""Modules every layer may import."""


def test_no_import_circles():
    """No module imports, directly or through others, a module that imports it back."""
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert circles == []


def test_dependencies_point_down_the_pipeline():
    """Each layer imports only the layers below it (the engine knows no file format, the
    policy languages know no engine, reports recompute nothing)."""
    wrong = []
    for module, edges in _graph().items():
        layer = _layer(module)
        if layer not in ALLOWED:
            continue
        for target in edges:
            other = _layer(target)
            if other != layer and other not in ALLOWED[layer] | ANYWHERE:
                wrong.append(f"{module} -> {target}")
    assert wrong == []

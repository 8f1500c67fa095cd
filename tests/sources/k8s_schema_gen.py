"""Generate ``src/netfence/sources/k8s_schema.py`` from the official ``kubernetes`` client.

The client's generated models carry, per API type, ``openapi_types`` (attribute -> type) and
``attribute_map`` (attribute -> JSON field name). They are read from the model files' source
(``ast``), so the client's own dependencies need not be installed:

    python -m tests.sources.k8s_schema_gen > src/netfence/sources/k8s_schema.py

(or pass the client's ``site-packages`` directory as the one argument). The test
``test_k8s_schema_matches_the_client`` compares the checked-in module with the installed
client when there is one.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import pprint
import re
import sys
from pathlib import Path

# (apiVersion, kind) -> the client's model of it, for every core kind netfence models.
ROOTS = {
    ("v1", "Namespace"): "V1Namespace",
    ("v1", "Pod"): "V1Pod",
    ("v1", "ReplicationController"): "V1ReplicationController",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("v1", "Service"): "V1Service",
    ("v1", "Endpoints"): "V1Endpoints",
    ("v1", "Node"): "V1Node",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("apps/v1", "ReplicaSet"): "V1ReplicaSet",
    ("apps/v1", "StatefulSet"): "V1StatefulSet",
    ("apps/v1", "DaemonSet"): "V1DaemonSet",
    ("batch/v1", "Job"): "V1Job",
    ("batch/v1", "CronJob"): "V1CronJob",
    ("discovery.k8s.io/v1", "EndpointSlice"): "V1EndpointSlice",
    ("networking.k8s.io/v1", "NetworkPolicy"): "V1NetworkPolicy",
    ("networking.k8s.io/v1", "Ingress"): "V1Ingress",
}
NOT_WALKED = ("status",)
"""Top-level fields left unchecked: netfence reads little of them and the API server
ignores what a manifest writes there."""

_MODEL = re.compile(r"V\d\w*\Z")


def _models_dir(site: str | None) -> Path:
    if site is not None:
        return Path(site) / "kubernetes" / "client" / "models"
    spec = importlib.util.find_spec("kubernetes")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the kubernetes client is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "client" / "models"


def _class_maps(path: Path) -> tuple[str, dict[str, str], dict[str, str]] | None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        maps: dict[str, dict[str, str]] = {}
        for stmt in node.body:
            target = value = None
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                target, value = stmt.target.id, stmt.value
            elif (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                target, value = stmt.targets[0].id, stmt.value
            if target in ("openapi_types", "attribute_map") and value is not None:
                maps[target] = ast.literal_eval(value)
        if len(maps) == 2:
            return node.name, maps["openapi_types"], maps["attribute_map"]
    return None


def _ref(openapi_type: str) -> str:
    """The schema's type reference: '' (not walked), 'T', '[T]' or '{T}'."""
    # Older clients write list[T] and dict(str, T); newer ones List[T] and Dict[str, T].
    inner = re.fullmatch(r"[lL]ist\[(.+)\]", openapi_type)
    if inner:
        item = _ref(inner.group(1))
        return f"[{item}]" if item and not item.startswith(("[", "{")) else ""
    inner = re.fullmatch(r"dict\(str, (.+)\)|Dict\[str, (.+)\]", openapi_type)
    if inner:
        item = _ref(inner.group(1) or inner.group(2))
        return f"{{{item}}}" if item and not item.startswith(("[", "{")) else ""
    return openapi_type if _MODEL.match(openapi_type) else ""


def client_types(site: str | None = None) -> dict[str, dict[str, str]]:
    """Every model type reachable from :data:`ROOTS`, as {type: {JSON field: reference}}."""
    models: dict[str, dict[str, str]] = {}
    for path in sorted(_models_dir(site).glob("*.py")):
        found = _class_maps(path)
        if found is not None:
            name, types, names = found
            models[name] = {names[attr]: _ref(kind) for attr, kind in types.items()}
    out: dict[str, dict[str, str]] = {}
    pending = sorted(set(ROOTS.values()))
    while pending:
        name = pending.pop()
        if name in out:
            continue
        fields = dict(models[name])
        if name in ROOTS.values():
            for key in NOT_WALKED:
                if key in fields:
                    fields[key] = ""
        out[name] = dict(sorted(fields.items()))
        for ref in fields.values():
            target = ref.strip("[]{}")
            if target and target not in out:
                pending.append(target)
    return dict(sorted(out.items()))


def client_version() -> str:
    return importlib.metadata.version("kubernetes")


def render(types: dict[str, dict[str, str]], version: str) -> str:
    roots = pprint.pformat(ROOTS, width=96, sort_dicts=True)
    body = pprint.pformat(types, width=96, sort_dicts=False)
    return f'''"""The fields of the core Kubernetes kinds netfence reads, as the API publishes them.

Generated from the official ``kubernetes`` Python client {version} by
``tests/sources/k8s_schema_gen.py``; do not edit by hand. ``TYPES`` maps each API type to
its JSON fields, each to the type it holds: ``""`` (a scalar, or a part not checked),
``"T"`` (an object of type T), ``"[T]"`` (a list of them) or ``"{{T}}"`` (a map to them).
"""

from typing import Final

CLIENT_VERSION: Final = {version!r}
"""The ``kubernetes`` client release the fields were taken from."""

ROOTS: Final[dict[tuple[str, str], str]] = {roots}
"""(apiVersion, kind) -> the API type of the object."""

TYPES: Final[dict[str, dict[str, str]]] = {body}
"""API type -> JSON field -> the type of its value."""
'''


def main(argv: list[str]) -> None:
    site = argv[0] if argv else None
    version = "unknown"
    if site is not None:
        dist = next(Path(site).glob("kubernetes-*.dist-info"), None)
        if dist is not None:
            version = dist.name.removeprefix("kubernetes-").removesuffix(".dist-info")
    else:
        version = client_version()
    sys.stdout.write(render(client_types(site), version))


if __name__ == "__main__":
    main(sys.argv[1:])

"""``netfence rbac``: the least-privilege ClusterRole the live source needs, and with
``--subject`` a ClusterRoleBinding that grants it."""

from __future__ import annotations

import argparse
import importlib.resources
from typing import Any, Final

import yaml

from netfence.sources.k8s_validation import dns1123_label_problem, dns1123_subdomain_problem

ROLE_FILE: Final = "netfence-reader.yaml"
"""The ClusterRole, shipped in the package (and kept as docs/rbac/netfence-reader.yaml)."""
ROLE_NAME: Final = "netfence-reader"
"""The ClusterRole's name."""
_SUBJECT_KINDS: Final = {"serviceaccount": "ServiceAccount", "user": "User", "group": "Group"}


def cluster_role_text() -> str:
    """The ClusterRole as shipped (YAML, comments included)."""
    resource = importlib.resources.files("netfence") / "data" / "rbac" / ROLE_FILE
    return resource.read_text(encoding="utf-8")


def subject(text: str) -> dict[str, str]:
    """A ``--subject``: ``serviceaccount:NAMESPACE/NAME``, ``user:NAME`` or ``group:NAME``."""
    kind_text, _, name = text.partition(":")
    kind = _SUBJECT_KINDS.get(kind_text.strip().lower())
    if kind is None or not name:
        raise argparse.ArgumentTypeError(
            f"{text[:60]!r}: expected serviceaccount:NAMESPACE/NAME, user:NAME or group:NAME"
        )
    if kind != "ServiceAccount":
        return {"kind": kind, "apiGroup": "rbac.authorization.k8s.io", "name": name}
    namespace, _, account = name.partition("/")
    problem = dns1123_label_problem(namespace) or dns1123_subdomain_problem(account)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{text[:60]!r}: {problem}")
    return {"kind": kind, "name": account, "namespace": namespace}


def add_rbac_parser(commands: Any) -> None:
    """Register ``rbac``."""
    rbac = commands.add_parser(
        "rbac", help="print the least-privilege ClusterRole that --live needs (get and list)"
    )
    rbac.add_argument(
        "--subject",
        action="append",
        type=subject,
        metavar="KIND:NAME",
        help="also print a ClusterRoleBinding granting it to serviceaccount:NS/NAME,"
        " user:NAME or group:NAME (repeatable)",
    )


def run_rbac(args: argparse.Namespace) -> str:
    """The ClusterRole, and the binding when subjects are given, as one YAML stream."""
    text = cluster_role_text()
    if not args.subject:
        return text
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": ROLE_NAME, "labels": {"app.kubernetes.io/name": "netfence"}},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": ROLE_NAME,
        },
        "subjects": args.subject,
    }
    return text + "---\n" + yaml.safe_dump(binding, sort_keys=False)

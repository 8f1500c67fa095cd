"""The connectivity JSON contract, version 3 (docs/json-connectivity.md), as text chunks.

Two forms: ``groups`` (the grouped map: groups of pods no policy tells apart, external
address groups, and connections between group ids) and ``pairs`` (every allowed pair of
endpoints, written as the pairs are found, so that a large map is never held as one string).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, Final

from netfence.analyses.connectivity_groups import (
    ConnectivityGroups,
    ExternalGroup,
    PairRun,
    PodGroup,
    PolicyRef,
)
from netfence.analyses.connectivity_map import Granularity
from netfence.sets.ipranges import AddressTerm
from netfence.sets.ports import PortSet

SCHEMA_VERSION: Final = "3"
"""Version of the connectivity JSON contract written here.

Version 3 names groups of endpoints in connections (or, in the pairs form, one pair an
entry) where version 2 listed every endpoint's name in every connection.
"""

_quote: Final = json.encoder.encode_basestring_ascii
"""A string as json.dumps writes it, by json's own C encoder."""


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))


def term_fields(term: AddressTerm) -> dict[str, str | list[str]]:
    """An address term as the contract writes it: its name, ``cidr`` and ``except``."""
    return {"name": str(term), "cidr": str(term.cidr), "except": [str(e) for e in term.excepts]}


def _policy_ids(groups: ConnectivityGroups) -> dict[PolicyRef, str]:
    """An id for each policy that selects a group, by kind, namespace and name: a policy
    selecting many groups is written once, in ``policies``."""
    refs = {r for g in groups.groups for r in (*g.selected_in, *g.selected_out)}
    ordered = sorted(refs, key=lambda r: (r.kind, r.namespace or "", r.name))
    return {ref: f"p{k}" for k, ref in enumerate(ordered)}


def _sorted_ids(ids: dict[PolicyRef, str], refs: Iterable[PolicyRef]) -> list[str]:
    return sorted((ids[r] for r in refs), key=lambda i: int(i[1:]))


def _policy_json(ref: PolicyRef, policy_id: str) -> str:
    return _compact(
        {"id": policy_id, "kind": ref.kind, "namespace": ref.namespace, "name": ref.name}
    )


def _group_json(group: PodGroup, granularity: Granularity, ids: dict[PolicyRef, str]) -> str:
    members: list[Any]
    if granularity is Granularity.POD:
        members = [m.name for m in group.members]
    else:
        members = [{"name": m.name, "kind": m.kind, "pods": m.pods} for m in group.members]
    return _compact(
        {
            "id": group.id,
            "namespace": group.namespace,
            "labels": group.labels,
            "size": group.size,
            "members": members,
            "replicated": [m.name for m in group.members if m.replicated],
            "selected_by": {
                "ingress": _sorted_ids(ids, group.selected_in),
                "egress": _sorted_ids(ids, group.selected_out),
            },
        }
    )


def _external_json(group: ExternalGroup) -> str:
    return _compact({"id": group.id, "addresses": [term_fields(t) for t in group.terms]})


class _Allowed:
    """The JSON of each allowed set, written once."""

    def __init__(self) -> None:
        self._seen: dict[PortSet, str] = {}

    def __call__(self, ports: PortSet) -> str:
        found = self._seen.get(ports)
        if found is None:
            found = self._seen[ports] = _compact(ports.as_ranges())
        return found


def _list(key: str, entries: Iterable[str], last: bool) -> Iterator[str]:
    """`` "key": [`` and one entry a line."""
    yield f' "{key}": ['
    first = True
    for entry in entries:
        yield ("\n  " if first else ",\n  ") + entry
        first = False
    closing = "]" if first else "\n ]"
    yield closing + ("}\n" if last else ",\n")


def render_groups_json(groups: ConnectivityGroups) -> Iterator[str]:
    """The grouped form, one group, external group or connection a line."""
    allowed = _Allowed()
    yield (
        f'{{"schema_version": {_quote(SCHEMA_VERSION)}, "form": "groups", '
        f'"granularity": {_quote(groups.granularity.value)},\n'
    )
    ids = _policy_ids(groups)
    yield from _list("policies", (_policy_json(r, i) for r, i in ids.items()), False)
    entries = (_group_json(g, groups.granularity, ids) for g in groups.groups)
    yield from _list("groups", entries, False)
    yield from _list("external", (_external_json(g) for g in groups.external), False)
    connections = (
        f'{{"src": {_compact(list(c.src))}, "dst": {_compact(list(c.dst))}, '
        f'"allowed": {allowed(c.allowed)}}}'
        for c in groups.connections
    )
    yield from _list("connections", connections, True)


def render_pairs_json(granularity: Granularity, runs: Iterable[PairRun]) -> Iterator[str]:
    """The pairs form, one pair a line, a chunk per run of pairs as they come."""
    allowed = _Allowed()
    yield (
        f'{{"schema_version": {_quote(SCHEMA_VERSION)}, "form": "pairs", '
        f'"granularity": {_quote(granularity.value)},\n "pairs": ['
    )
    first, more = "\n  ", ",\n  "
    separator = first
    for run in runs:
        ports = allowed(run.allowed)
        lines = [
            f'{{"src": {_quote(s)}, "dst": {_quote(d)}, "allowed": {ports}}}'
            for s in run.src
            for d in run.dst
        ]
        if lines:
            yield separator + more.join(lines)
            separator = more
    yield "]}\n" if separator is first else "\n ]}\n"

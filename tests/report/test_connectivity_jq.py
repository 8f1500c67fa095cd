"""The jq recipes of docs/json-connectivity.md ("Recipes (jq)"), run with the real ``jq`` on
the bundled example's output: each must answer what its sentence says."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.support.connectivity_pairs import is_external

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "arc-cluster"


def _recipes() -> list[list[str]]:
    text = (ROOT / "docs" / "json-connectivity.md").read_text(encoding="utf-8")
    section = text.split("## Recipes (jq)", 1)[1].split("\n## ", 1)[0]
    return [shlex.split(block) for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL)]


def _document(cli, tmp_path: Path, name: str, *args: str) -> tuple[Path, dict]:
    result = cli("connectivity", EXAMPLE, "-o", "json", *args)
    assert result.code == 0, result.err
    path = tmp_path / name
    path.write_text(result.out, encoding="utf-8")
    return path, json.loads(result.out)


def _jq(jq: str, recipe: list[str], path: Path) -> list:
    """The JSON values the recipe prints, run on ``path`` in place of its file name."""
    assert recipe[0] == "jq"
    argv = [jq, *recipe[1:-1], str(path)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return list(_stream(done.stdout))


def _stream(text: str):
    decoder = json.JSONDecoder()
    at = 0
    while (at := _skip(text, at)) < len(text):
        value, at = decoder.raw_decode(text, at)
        yield value


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


@pytest.fixture
def jq(require_tool) -> str:
    return require_tool("jq")


def test_recipes_are_the_three_documented(jq):
    """The section holds the three recipes the tests below run, in order."""
    assert len(_recipes()) == 3


def test_recipe_who_can_reach_a_group(cli, jq, tmp_path):
    """Recipe "who may reach the group of shop/backend": the members of the source groups it
    prints are exactly the workloads the pairs form lets reach shop/backend."""
    recipe = _recipes()[0]
    path, groups = _document(cli, tmp_path, "map.json")
    found = _jq(jq, recipe, path)
    assert found and all(set(entry) == {"src", "allowed"} for entry in found)
    members = {g["id"]: [m["name"] for m in g["members"]] for g in groups["groups"]}
    reached_by = {name for entry in found for g in entry["src"] for name in members.get(g, [])}
    _, flat = _document(cli, tmp_path, "pairs.json", "--flat")
    assert reached_by == {
        p["src"] for p in flat["pairs"] if p["dst"] == "shop/backend" and not is_external(p["src"])
    }


def test_recipe_expand_a_groups_members(cli, jq, tmp_path):
    """Recipe "a group's members, expanded": at pod granularity, the pod names of g0."""
    recipe = _recipes()[1]
    path, groups = _document(cli, tmp_path, "map.json", "--granularity", "pod")
    assert _jq(jq, recipe, path) == groups["groups"][0]["members"]


def test_recipe_pairs_of_a_namespace(cli, jq, tmp_path):
    """Recipe "every pair with an end in namespace shop": exactly the pairs form's entries
    naming a shop endpoint, and some."""
    recipe = _recipes()[2]
    path, flat = _document(cli, tmp_path, "pairs.json", "--flat")
    expected = [
        p for p in flat["pairs"] if p["src"].startswith("shop/") or p["dst"].startswith("shop/")
    ]
    assert expected
    assert _jq(jq, recipe, path) == expected

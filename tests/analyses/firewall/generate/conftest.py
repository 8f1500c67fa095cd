"""Fixtures for the generator tests: a scratch network namespace to load rules into."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess

import pytest

from netfence.sets.ipranges import IPRangeSet
from netfence.sources.resolver import AnswerFileResolver
from tests.analyses.firewall.generate.flows import ANSWERS

_numbers = itertools.count()


def require_root_tool(name: str) -> str:
    """The path of ``name``, run as root; skip when either is missing, unless CI is set."""
    found = shutil.which(name)
    problem = None if found else f"{name} is not installed"
    if found and os.geteuid() != 0:
        problem = "loading firewall rules needs root"
    if problem is None and found is not None:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{problem}; CI is set, so this is a failure, not a skip")
    pytest.skip(problem or "")


@pytest.fixture
def netns():
    """A fresh network namespace's name (deleted after the test); loading rules there leaves
    the host's firewall alone."""
    require_root_tool("ip")
    name = f"nf-gen-{os.getpid()}-{next(_numbers)}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    yield name
    subprocess.run(["ip", "netns", "delete", name], check=False)


@pytest.fixture
def answers():
    """An answer-file resolver for the catalog's exact names."""
    return AnswerFileResolver(
        {name: IPRangeSet.from_addresses(addresses) for name, addresses in ANSWERS.items()},
        "answers.yaml",
    )

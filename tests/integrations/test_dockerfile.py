"""The container image (Dockerfile, .dockerignore).

No Docker daemon runs on the build machines, so the image's install steps are replayed outside
Docker: the build context .dockerignore lets through is copied alone, the first stage's
``pip wheel`` builds from it, the second stage's offline ``pip install --no-index`` installs into
a fresh virtual environment, and the installed netfence audits the example. That proves the
context is enough, the package data ships in the wheel, and the wheels cover every dependency.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions(keyword: str) -> list[str]:
    """The arguments of every ``keyword`` instruction, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [
        line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(keyword + " ")
    ]


def test_the_image_runs_netfence_as_a_user_without_root() -> None:
    """Least privilege (NIST SP 800-190 4.4.3, CIS Docker 4.1): the final stage sets a
    numeric non-root USER, and its entry point is the netfence command."""
    users = _instructions("USER")
    assert users and users[-1] != "0" and users[-1] != "root"
    assert users[-1].isdigit()
    assert _instructions("ENTRYPOINT")[-1] == '["netfence"]'


def test_both_stages_use_the_same_python() -> None:
    """Wheels built in the first stage must install in the second: one base image."""
    bases = {line.split()[0] for line in _instructions("FROM")}
    assert bases == {"python:3.11-slim"}


def test_the_build_context_holds_what_the_copies_name() -> None:
    """Every COPY source (of the context) is let through by .dockerignore."""
    allowed = _context_files()
    for copy in _instructions("COPY"):
        if copy.startswith("--from="):
            continue
        *sources, _ = copy.split()
        for source in sources:
            assert any(f == source or f.startswith(source.rstrip("/") + "/") for f in allowed), (
                source
            )


def _context_files() -> list[str]:
    """The files .dockerignore lets into the build context (its rules: ignore all, then
    re-include the ``!`` entries, then drop ``**/__pycache__``)."""
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*"
    kept = [rule[1:].rstrip("/") for rule in rules if rule.startswith("!")]
    files = []
    for name in kept:
        path = ROOT / name
        found = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        files += [p.relative_to(ROOT).as_posix() for p in found if "__pycache__" not in p.parts]
    return files


def test_the_image_install_steps_work_offline_from_the_context_alone(tmp_path: Path) -> None:
    """The two stages replayed: wheels from the context, an offline install, a scan."""
    context = tmp_path / "context"
    for name in _context_files():
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, context / name)
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--wheel-dir", str(wheels), ".[live]"], cwd=context, check=True, timeout=900
    )
    target = tmp_path / "image"
    venv.create(target, with_pip=True)
    python = str(target / "bin" / "python")
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "-q",
            "install",
            "--no-index",
            "--find-links",
            str(wheels),
            "netfence[live]",
        ],
        check=True,
        timeout=900,
    )
    done = subprocess.run(
        [
            str(target / "bin" / "netfence"),
            "scan",
            str(ROOT / "examples" / "arc-cluster"),
            "--fail-on",
            "high",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr  # the example has high findings
    assert "NF101" in done.stdout
    imported = subprocess.run(
        [python, "-c", "import kubernetes, netfence; print(netfence.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout.strip()

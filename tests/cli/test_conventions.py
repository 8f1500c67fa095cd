"""Command-line conventions every command follows: exit codes of ``explain --expect``, hints
for a mistyped endpoint, color (https://no-color.org), case-insensitive severities and check
IDs, ``-v``, the refusal of an input without Kubernetes objects, unused baseline entries, and
progress on a terminal only.

The fixture cluster is tests/conftest.py ``SHOP_MANIFEST``: shop is default-deny; frontend
may reach backend on 9090; ops/toolbox is selected by no policy.
"""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from netfence.cli import main as cli_main
from netfence.cli import terminal
from netfence.cli.scan import render_checks
from netfence.cli.terminal import Progress, color_wanted

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "arc-cluster"
ESC = "\x1b["

CONFIGMAPS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
"""


def one_error_line(result) -> str:
    assert result.code == 2, (result.code, result.err)
    assert result.out == ""
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith("netfence: error: ")
    return result.err_lines[0]


def explain(cli, path, src: str, dst: str, *args: str):
    return cli("explain", src, dst, path, *args)


# --- explain --expect -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "dst", "port", "expect", "code"),
    [
        ("shop/frontend", "shop/backend", "9090/TCP", "allow", 0),
        ("shop/frontend", "shop/backend", "9090/TCP", "deny", 1),
        ("shop/backend", "shop/frontend", "8080/TCP", "deny", 0),
        ("shop/backend", "shop/frontend", "8080/TCP", "allow", 1),
    ],
)
def test_expect_exits_1_when_the_verdict_differs_and_0_when_it_matches(
    cli, shop_cluster, src, dst, port, expect, code
):
    """explain --expect allow|deny: exit 1 when the verdict differs, 0 when it matches; the
    explanation is printed either way."""
    for output in ("text", "json"):
        result = explain(
            cli, shop_cluster, src, dst, "--port", port, "--expect", expect, "-o", output
        )
        assert result.code == code, result.err
        assert result.out


def test_without_expect_a_denied_flow_exits_0(cli, shop_cluster):
    """Without --expect a verdict is an answer, never an error: exit 0 for DENIED too."""
    result = explain(cli, shop_cluster, "shop/backend", "shop/frontend", "--port", "8080/TCP")
    assert result.code == 0
    assert result.out.splitlines()[0].endswith("DENIED")


def test_expect_judges_the_flow_allowed_only_when_egress_and_ingress_both_allow(cli, shop_cluster):
    """The verdict --expect checks is the flow's: toolbox's egress allows everything (no policy
    selects it), backend's ingress admits only frontend, so the flow is denied."""
    args = ("ops/toolbox", "shop/backend", "--port", "9090/TCP", "-o", "json")
    doc = json.loads(explain(cli, shop_cluster, *args).out)
    assert doc["egress"]["allowed"] and not doc["allowed"]
    assert explain(cli, shop_cluster, *args, "--expect", "deny").code == 0
    assert explain(cli, shop_cluster, *args, "--expect", "allow").code == 1


def test_expect_takes_only_allow_or_deny(cli, shop_cluster):
    """--expect's values are allow and deny; anything else is a usage error, exit 2."""
    result = explain(cli, shop_cluster, "shop/frontend", "shop/backend", "--expect", "allowed")
    assert "invalid choice: 'allowed'" in one_error_line(result)


# --- explain -n/--namespace -----------------------------------------------------------------


def test_namespace_is_the_default_for_endpoints_given_without_one(cli, shop_cluster):
    """explain -n NS: SRC and DST without a namespace are taken in NS; a qualified name or an
    IP address is left as it is."""
    full = explain(cli, shop_cluster, "shop/frontend", "shop/backend", "--port", "9090")
    short = explain(cli, shop_cluster, "frontend", "backend", "-n", "shop", "--port", "9090")
    assert short.code == 0, short.err
    assert short.out == full.out
    other = explain(cli, shop_cluster, "ops/toolbox", "backend", "--namespace", "shop")
    assert other.code == 0, other.err
    assert other.out.startswith("ops/toolbox -> shop/backend")
    address = explain(cli, shop_cluster, "frontend", "10.0.0.1", "-n", "shop")
    assert address.code == 0, address.err
    assert "10.0.0.1 (external)" in address.out.splitlines()[0]


def test_explain_namespace_must_be_a_namespace_name(cli, shop_cluster):
    """explain -n takes a namespace name (a DNS-1123 label), as connectivity -n does: anything
    else is a usage error, exit 2."""
    line = one_error_line(explain(cli, shop_cluster, "frontend", "backend", "-n", "Shop_1"))
    assert "invalid namespace 'Shop_1'" in line


# --- explain: did you mean ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "suggested"),
    [
        ("shop/frontnd", "'shop/frontend'"),  # a typo in the name
        ("shpo/frontend", "'shop/frontend'"),  # a typo in the namespace
        ("frontend", "'shop/frontend'"),  # the namespace left out
        ("default/frontend", "'shop/frontend'"),  # the wrong namespace
    ],
)
def test_an_unknown_endpoint_offers_close_matches_and_exits_2(
    cli, shop_cluster, endpoint, suggested
):
    """An unknown endpoint: one error line with "did you mean" and the closest known
    workloads or pods (difflib), exit 2."""
    line = one_error_line(explain(cli, shop_cluster, endpoint, "shop/backend"))
    assert f"called {endpoint!r}" in line
    assert f"did you mean {suggested}" in line


def test_an_unknown_namespace_with_no_close_endpoint_names_the_close_namespace(cli, shop_cluster):
    """When no endpoint is close but the namespace is mistyped, the hint names the namespace."""
    line = one_error_line(explain(cli, shop_cluster, "shpo/zzzzzzzzzz", "shop/backend"))
    assert "no namespace 'shpo': did you mean namespace 'shop'?" in line


def test_nothing_close_gives_no_hint(cli, shop_cluster):
    """A name like none of the cluster's gives the plain error, no empty "did you mean"."""
    line = one_error_line(explain(cli, shop_cluster, "qqqq/xxxxxxxx", "shop/backend"))
    assert "did you mean" not in line


def test_an_empty_set_is_never_printed_as_none(cli, shop_cluster):
    """explain text says "no ports" for an empty set, never Python's ``None``."""
    result = explain(cli, shop_cluster, "shop/backend", "shop/frontend", "--port", "8080/TCP")
    assert result.code == 0
    assert "None" not in result.out
    assert "Egress from shop/backend: no ports" in result.out.splitlines()


# --- color ----------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("value", ["1", "0", "false", "no", "anything"])
def test_no_color_any_non_empty_value_disables_color(value):
    """NO_COLOR: any non-empty value disables color (no-color.org), whatever it says."""
    assert color_wanted("auto", _Terminal(), {"NO_COLOR": value}) is False


def test_no_color_empty_is_as_if_unset():
    """NO_COLOR: an empty value is ignored (no-color.org: "present and not an empty string")."""
    assert color_wanted("auto", _Terminal(), {"NO_COLOR": ""}) is True
    assert color_wanted("auto", _Terminal(), {}) is True


def test_color_auto_only_on_a_terminal():
    """--color auto: color only when the stream is a terminal."""
    assert color_wanted("auto", io.StringIO(), {}) is False


def test_color_flag_overrides_no_color():
    """--color always|never given for one run overrides NO_COLOR (no-color.org FAQ: a
    per-instance command-line argument overrides the variable)."""
    assert color_wanted("always", io.StringIO(), {"NO_COLOR": "1"}) is True
    assert color_wanted("never", _Terminal(), {}) is False


def _run_on_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run netfence with standard output on a pseudo-terminal; (exit code, what the terminal
    showed, standard error)."""
    primary, secondary = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full_env.update({"PYTHONPATH": str(ROOT / "src"), "COLUMNS": "120", **env})
    chunks: list[bytes] = []
    with subprocess.Popen(
        [sys.executable, "-m", "netfence", *argv],
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=subprocess.PIPE,
        env=full_env,
    ) as process:
        os.close(secondary)
        while True:
            try:
                data = os.read(primary, 65536)
            except OSError:  # EIO: the other end closed
                break
            if not data:
                break
            chunks.append(data)
        os.close(primary)
        assert process.stderr is not None
        err = process.stderr.read()
        code = process.wait(timeout=60)
    return code, b"".join(chunks).decode(), err.decode()


def test_no_color_on_a_terminal_turns_color_off_for_scan_and_explain(shop_cluster):
    """NO_COLOR: a scan or explain on a real terminal is colored, and not under NO_COLOR=1."""
    for argv in (
        ["scan", str(EXAMPLE)],
        ["explain", "shop/frontend", "shop/backend", str(shop_cluster), "--port", "9090"],
    ):
        code, shown, _ = _run_on_terminal(argv, {})
        assert code == 0 and ESC in shown, argv
        code, shown, _ = _run_on_terminal(argv, {"NO_COLOR": "1"})
        assert code == 0 and ESC not in shown and shown, argv
        code, shown, _ = _run_on_terminal([*argv, "--color", "always"], {"NO_COLOR": "1"})
        assert code == 0 and ESC in shown, argv


@pytest.mark.parametrize(
    "argv",
    [
        ["scan", "{example}", "-o", "json"],
        ["scan", "{example}", "-o", "sarif"],
        ["connectivity", "{example}", "-o", "csv"],
        ["connectivity", "{example}", "-o", "dot"],
        ["connectivity", "{example}", "-o", "json"],
        ["explain", "shop/frontend", "shop/backend", "{shop}", "-o", "json"],
        ["checks", "-o", "json"],
    ],
)
def test_formats_for_programs_are_never_colored(cli, shop_cluster, argv):
    """--color always colors text for people only: JSON, SARIF, CSV and dot carry no escape."""
    filled = [a.format(example=EXAMPLE, shop=shop_cluster) for a in argv]
    result = cli(*filled, "--color", "always")
    assert result.code in (0, 1), result.err
    assert result.out and ESC not in result.out


@pytest.mark.parametrize("command", ["connectivity", "scan", "explain", "checks"])
def test_every_command_takes_color(cli, shop_cluster, command):
    """--color auto|always|never is an option of every command; other values are refused."""
    inputs = {
        "connectivity": [shop_cluster],
        "scan": [shop_cluster],
        "explain": ["shop/frontend", "shop/backend", shop_cluster],
        "checks": [],
    }[command]
    for choice in ("auto", "always", "never"):
        assert cli(command, *inputs, "--color", choice).code in (0, 1)
    assert "invalid choice: 'red'" in one_error_line(cli(command, *inputs, "--color", "red"))


def test_explain_colors_the_verdict_when_asked(cli, shop_cluster):
    """explain --color always: the verdict is colored; never: the text is plain."""
    colored = explain(cli, shop_cluster, "shop/frontend", "shop/backend", "--color", "always")
    plain = explain(cli, shop_cluster, "shop/frontend", "shop/backend", "--color", "never")
    assert ESC in colored.out.splitlines()[0] and "ALLOWED" in colored.out
    assert ESC not in plain.out


# --- checks as a table on a terminal --------------------------------------------------------


def test_checks_is_a_table_on_a_terminal_and_the_plain_lines_in_a_pipe(cli):
    """netfence checks: a table on a terminal (colored unless NO_COLOR); the plain lines,
    unchanged, when standard output is a pipe."""
    piped = cli("checks")
    assert piped.code == 0
    assert piped.out == render_checks("text")
    assert piped.out.startswith("NF001  ")
    code, shown, _ = _run_on_terminal(["checks"], {})
    assert code == 0
    assert shown.startswith("┏") and "NF001" in shown and ESC in shown
    code, shown, _ = _run_on_terminal(["checks"], {"NO_COLOR": "1"})
    assert code == 0
    assert shown.startswith("┏") and "┃ ID " in shown and ESC not in shown


# --- severities and check IDs in any case ---------------------------------------------------


@pytest.mark.parametrize(("threshold", "code"), [("HIGH", 1), ("High", 1), ("CRITICAL", 0)])
def test_fail_on_takes_a_severity_in_any_case(cli, threshold, code):
    """--fail-on HIGH is --fail-on high: severities are case-insensitive."""
    assert cli("scan", EXAMPLE, "--fail-on", threshold).code == code


def test_select_and_ignore_take_check_ids_in_any_case(cli):
    """--select nf015 and --ignore Nf009 name NF015 and NF009: check IDs are case-insensitive."""
    upper = cli("scan", EXAMPLE, "-o", "json", "--select", "NF015,NF009", "--ignore", "NF009")
    mixed = cli("scan", EXAMPLE, "-o", "json", "--select", "nf015,Nf009", "--ignore", "nF009")
    assert mixed.code == 0, mixed.err
    assert json.loads(mixed.out)["findings"] == json.loads(upper.out)["findings"]
    checks = {f["check_id"] for f in json.loads(mixed.out)["findings"]}
    assert checks == {"NF015"}


@pytest.mark.parametrize(
    ("option", "value", "valid"),
    [
        ("--fail-on", "urgent", "(valid: critical, high, medium, low, info)"),
        ("--select", "nf999", "(valid: NF001, NF002,"),
        ("--ignore", "NF001,bogus", "(valid: NF001, NF002,"),
    ],
)
def test_an_unknown_severity_or_check_id_lists_the_valid_values(cli, option, value, valid):
    """An unknown severity or check ID: one error line listing the valid values, exit 2."""
    line = one_error_line(cli("scan", EXAMPLE, option, value))
    assert valid in line


# --- -v/--verbose ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["scan"], ["connectivity"], ["explain", "shop/web", "shop/web"]]
)
def test_verbose_lists_skipped_kinds_with_counts_and_files_on_every_command(cli, write, command):
    """-v on scan, connectivity and explain: one stderr line per skipped kind, its count and
    the files it came from; without -v, one line counts them."""
    first = write(CONFIGMAPS, "a.yaml")
    second = write(CONFIGMAPS.split("---")[0].replace("settings", "other"), "b.yaml")
    verbose = cli(*command[:1], "-v", *command[1:], first, second)
    assert verbose.code == 0, verbose.err
    assert verbose.err_lines == [f"netfence: skipped ConfigMap (v1) x2 in {first}, {second}"]
    quiet = cli(*command, first, second)
    assert quiet.out == verbose.out
    assert quiet.err_lines == ["netfence: skipped 2 objects of other kinds (-v lists them)"]


def test_verbose_names_at_most_five_files_per_kind(cli, write):
    """-v counts the files past the fifth instead of naming them all."""
    paths = [
        write(CONFIGMAPS.replace("name: web", f"name: web{i}"), f"m{i}.yaml") for i in range(7)
    ]
    result = cli("connectivity", "-v", *paths)
    assert result.err_lines == [
        f"netfence: skipped ConfigMap (v1) x7 in {', '.join(map(str, paths[:5]))} and 2 more files"
    ]


# --- an input without Kubernetes objects ----------------------------------------------------


def _empty_file(tmp_path: Path) -> Path:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    return path


def _empty_directory(tmp_path: Path) -> Path:
    path = tmp_path / "nothing"
    path.mkdir()
    return path


def _only_other_yaml(tmp_path: Path) -> Path:
    path = tmp_path / "charts"
    path.mkdir()
    (path / "values.yaml").write_text("replicas: 3\nimage: web\n")
    return path


@pytest.mark.parametrize(
    ("make", "read"),
    [
        (_empty_file, "1 file read"),
        (_empty_directory, "0 files read"),
        (_only_other_yaml, "1 file read"),
    ],
)
@pytest.mark.parametrize("command", [["scan"], ["connectivity"], ["explain", "a/b", "a/c"]])
def test_an_input_with_no_kubernetes_objects_is_an_error(cli, tmp_path, make, read, command):
    """An input with no Kubernetes object (an empty file, an empty directory, only
    non-Kubernetes YAML): one error line naming the input, exit 2, nothing on stdout."""
    path = make(tmp_path)
    result = cli(*command, path)
    assert result.code == 2 and result.out == ""
    assert "Traceback" not in result.err
    errors = [line for line in result.err_lines if line.startswith("netfence: error: ")]
    assert errors == [
        f"netfence: error: {path} ({read}): no Kubernetes objects (apiVersion/kind) found"
    ]
    assert result.err_lines[-1] == errors[0]  # a skipped file's warning may come before


def test_an_empty_standard_input_is_an_error(cli, monkeypatch):
    """``-`` with nothing on standard input: one error line naming <stdin>, exit 2."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    line = one_error_line(cli("scan", "-"))
    assert line == "netfence: error: <stdin>: no Kubernetes objects (apiVersion/kind) found"


def test_an_empty_list_is_an_answer_not_an_error(cli, write):
    """An empty List (what kubectl prints when there is nothing) is a Kubernetes object: the
    run succeeds."""
    result = cli("connectivity", write("apiVersion: v1\nkind: List\nitems: []\n"))
    assert result.code == 0, result.err


# --- unused baseline entries ----------------------------------------------------------------

BASELINE = """\
accept:
  - check: NF001
    resource: Namespace/shop
    reason: app team owns it
  - check: NF001
    resource: Namespace/gone
    reason: the namespace was deleted since
  - check: NF003
    resource: Deployment/shop/web
    reason: temporary
    expires: 2000-01-01
"""

BASELINE_CLUSTER = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
"""


def test_unused_baseline_entries_are_named_by_file_and_line_on_stderr(cli, write):
    """A baseline entry that matched no finding: a warning on stderr naming file:line of the
    entry; an expired entry is reported distinctly (its findings stand again); stdout and the
    exit code are unchanged."""
    path = write(BASELINE_CLUSTER)
    baseline = write(BASELINE, "baseline.yaml")
    result = cli("scan", path, "-o", "json", "--baseline", baseline, "--select", "NF001,NF003")
    assert result.code == 0
    assert result.err_lines == [
        f"netfence: warning: {baseline}:8: baseline entry NF003 Deployment/shop/web expired on"
        " 2000-01-01; its findings stand again",
        f"netfence: warning: {baseline}:5: baseline entry NF001 Namespace/gone matched no"
        " finding; remove it",
    ]
    doc = json.loads(result.out)
    assert [a["check_id"] for a in doc["accepted"]] == ["NF001"]
    assert "NF003" in {f["check_id"] for f in doc["findings"]}


def test_baseline_entries_of_checks_not_run_are_not_called_unused(cli, write):
    """An entry for a check --select left out matched nothing because nothing ran: no
    warning (expired entries are still named)."""
    path = write(BASELINE_CLUSTER)
    baseline = write(BASELINE, "baseline.yaml")
    result = cli("scan", path, "--baseline", baseline, "--select", "NF003")
    assert not [line for line in result.err_lines if "matched no finding" in line]
    assert [line for line in result.err_lines if "expired on 2000-01-01" in line]


# --- progress -------------------------------------------------------------------------------


def _forced_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=80), buffer


def test_progress_is_drawn_on_a_terminal_once_the_run_lasts_the_delay():
    """Progress: on a terminal, a status line with the current stage once the run has lasted
    the delay; removed at the end."""
    console, buffer = _forced_console()
    with Progress(console=console, delay=0.0) as progress:
        progress.stage("running the checks")
        time.sleep(0.5)
    assert "running the checks" in buffer.getvalue()


def test_progress_draws_nothing_for_a_short_run():
    """Progress: a run shorter than the delay draws nothing, even on a terminal."""
    console, buffer = _forced_console()
    with Progress(console=console, delay=30.0) as progress:
        progress.stage("reading manifests")
    assert buffer.getvalue() == ""


def test_progress_never_when_stderr_is_not_a_terminal(cli, monkeypatch):
    """Progress: never drawn when stderr is not a terminal, however long the run (the delay
    is set to 0 here): the stderr of a scan holds no escape."""
    monkeypatch.setattr(terminal, "PROGRESS_DELAY", 0.0)
    assert not Progress().enabled
    result = cli("scan", EXAMPLE)
    assert result.code == 0
    assert result.err == ""


def test_progress_on_a_real_terminal_shows_the_stages_and_leaves_stdout_alone(capsys, monkeypatch):
    """Progress: with stderr on a pseudo-terminal (delay 0), the stages appear there and the
    report on stdout is the one a pipe gets."""
    expected_code = cli_main.main(["scan", str(EXAMPLE)])
    expected = capsys.readouterr().out
    primary, secondary = pty.openpty()
    shown: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(primary, 65536)
            except OSError:
                return
            if not data:
                return
            shown.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    tty = open(secondary, "w", encoding="utf-8", closefd=True)  # noqa: SIM115 - closed below
    monkeypatch.setattr(terminal, "PROGRESS_DELAY", 0.0)
    monkeypatch.setattr(sys, "stderr", tty)
    try:
        code = cli_main.main(["scan", str(EXAMPLE), "--color", "never"])
    finally:
        monkeypatch.setattr(sys, "stderr", sys.__stderr__)
        tty.close()
    reader.join(timeout=5)
    os.close(primary)
    assert code == expected_code
    assert capsys.readouterr().out == expected
    text = b"".join(shown).decode(errors="replace")
    stages = ("reading manifests", "running the checks", "checking the firewall layers")
    assert any(stage in text for stage in stages), text


def test_progress_of_the_checks_names_each_check_as_it_starts():
    """Progress: the audit calls ``on_check`` as each selected check starts, numbered out of
    the total, so the status line of a long scan says which check runs."""
    from netfence.analyses.audit import run_audit
    from netfence.sources.manifests import load_cluster

    started: list[tuple[str, int, int]] = []
    report = run_audit(
        load_cluster([str(EXAMPLE)]),
        select=["NF015", "NF001", "NF009"],
        on_check=lambda info, number, total: started.append((info.check_id, number, total)),
    )
    assert started == [("NF001", 1, 3), ("NF009", 2, 3), ("NF015", 3, 3)]
    assert [info.check_id for info in report.checks] == ["NF001", "NF009", "NF015"]

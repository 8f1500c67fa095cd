"""Command-line arguments are input too: each bad one is exit 2 and one short line.

Requirement: a path or ``--fix`` directory holding a NUL byte (possible only through
``main([...])``, never from a shell), an empty ``--fix``, an ``--api-server`` with an IPv6 zone or
a port that is no ASCII number 1-65535, and a ``--namespace`` that is no namespace name are
refused before anything is written, without echoing a huge value whole.
"""

from __future__ import annotations

import pytest


def _one_error(result, fragment):
    assert result.code == 2, result
    assert result.out == ""
    assert len(result.err_lines) == 1 and fragment in result.err, result.err
    assert len(result.err) < 400


def test_a_nul_byte_in_an_input_path(cli):
    _one_error(cli("scan", "a\0b.yaml"), "a file name cannot hold a NUL byte")


def test_a_nul_byte_in_a_baseline_path(cli, shop_cluster):
    _one_error(cli("scan", "--baseline", "a\0b", shop_cluster), "cannot hold a NUL byte")


def test_a_nul_byte_in_the_fix_directory(cli, shop_cluster):
    _one_error(cli("scan", "--fix", "a\0b", shop_cluster), "cannot hold a NUL byte")


def test_an_empty_fix_directory_is_refused_not_ignored(cli, shop_cluster, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _one_error(cli("scan", "--fix", "", shop_cluster), "--fix: the directory name is empty")
    assert list(tmp_path.glob("*.yaml")) == []


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("[fe80::1%eth0]:443", "an IPv6 zone (%eth0) is no cluster address"),
        ("fe80::1%eth0", "an IPv6 zone"),
        ("10.0.0.1:" + "9" * 5000, "expected IP[:PORT] with PORT 1-65535"),
        ("10.0.0.1:-1", "expected IP[:PORT] with PORT 1-65535"),
        ("10.0.0.1:+443", "expected IP[:PORT] with PORT 1-65535"),
        ("10.0.0.1:٤٤٣", "expected IP[:PORT] with PORT 1-65535"),
        ("10.0.0.1:0", "port 0 is outside 1-65535"),
        ("10.0.0.1:70000", "port 70000 is outside 1-65535"),
    ],
    ids=[
        "zone-bracketed",
        "zone",
        "5000-digits",
        "negative",
        "plus",
        "arabic-digits",
        "0",
        "70000",
    ],
)
def test_api_server_values(cli, shop_cluster, value, fragment):
    _one_error(cli("scan", "--api-server", value, shop_cluster), fragment)


def test_api_server_takes_ipv6_without_a_zone(cli, shop_cluster):
    assert cli("scan", "--api-server", "[fd00::1]:6443", shop_cluster).code == 0


@pytest.mark.parametrize("output", ["text", "md", "json", "csv", "dot"])
@pytest.mark.parametrize(
    "namespace", ["a\nb", "|x|", "Shop", "../../etc/x", "x" * 300, "", "shop\x1b[2J"]
)
def test_a_namespace_filter_that_is_no_namespace_name(cli, shop_cluster, output, namespace):
    _one_error(
        cli("connectivity", "-o", output, "-n", namespace, shop_cluster), "invalid namespace"
    )


def test_a_namespace_filter_of_an_absent_namespace_is_an_empty_map(cli, shop_cluster):
    result = cli("connectivity", "-n", "nowhere", shop_cluster)
    assert result.code == 0 and result.out.startswith("0 connection groups")

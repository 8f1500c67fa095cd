"""``firewall generate`` arguments and run: resolver choice, sources, tags, exit codes."""

from __future__ import annotations

import argparse

import pytest

from netfence.cli.firewall_generate import add_generate_arguments, run_generate
from netfence.errors import InputError
from tests.analyses.firewall.generate.flows import CATALOG, HIS, RANGE


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_generate_arguments(parser)
    return parser.parse_args(argv)


def test_exact_rule_set_exits_0():
    text, code = run_generate(
        parse("--format", "nftables", "--source", "10.0.0.0/16"), lambda: [RANGE]
    )
    assert code == 0
    assert "ip saddr { 10.0.0.0/16 } ip daddr @req1_v4 tcp dport 8084" in text


def test_not_expressible_exits_1_and_says_so_on_stderr(capsys):
    text, code = run_generate(parse("--format", "iptables"), lambda: [RANGE, HIS])
    assert code == 1
    assert "not expressible: arc-his: *.his.arc.azure.com TCP 443" in capsys.readouterr().err
    assert "*filter" in text


def test_answer_file_and_ip_family(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("schema_version: 1\nanswers:\n  management.azure.com: ['2603:1030::7']\n")
    args = parse("--format", "iptables", "--dns-answers", str(answers), "--ip-family", "6")
    text, _code = run_generate(args, lambda: CATALOG[:1])
    assert "-d 2603:1030::7/128" in text


def test_service_tags_option_reaches_the_nsg_generator():
    args = parse("--format", "nsg", "--service-tag", "arc-his=AzureArcInfrastructure")
    text, code = run_generate(args, lambda: [HIS])
    assert code == 0 and '"destinationAddressPrefix": "AzureArcInfrastructure"' in text


@pytest.mark.parametrize(
    ("argv", "field"),
    [(("--source", "10.0.0.300/8"), "--source"), (("--service-tag", "arc-his"), "--service-tag")],
)
def test_bad_options_are_input_errors(argv, field):
    with pytest.raises(InputError) as raised:
        run_generate(parse("--format", "nsg", *argv), lambda: [RANGE])
    assert raised.value.field == field

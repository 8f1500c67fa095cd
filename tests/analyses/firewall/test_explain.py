"""``describe_path``: one flow through layers in order, as text."""

from __future__ import annotations

from netfence.analyses.firewall.explain import describe_path
from netfence.engine.firewall import FirewallSpace
from tests.engine.firewall_builders import ALLOW, DENY, OUT, addresses, layer, rule, tcp


def test_describe_path_names_each_layer_rule_and_the_decider():
    """Layers and paths: explain names the layer and rule that decided, and the rules that
    may match first with why."""
    nsg = layer(rule(ALLOW, to=addresses("*")), name="nsg")
    fw = layer(
        rule(DENY, to=addresses("20.0.0.0/8"), services=tcp(443)),
        rule(ALLOW, names=["mcr.microsoft.com"], services=tcp(443)),
        name="afw",
    )
    space = FirewallSpace.build([nsg, fw])
    text = describe_path(space, [0, 1], OUT, "10.1.0.5", "mcr.microsoft.com", "TCP", 443)
    assert text.splitlines() == [
        "Outbound 10.1.0.5 -> mcr.microsoft.com TCP 443",
        "  azure-firewall nsg: Allow by rules[0] (nsg.json: $.rules[0])",
        "  azure-firewall afw: Undecided by rules[1] (afw.json: $.rules[1])",
        "    may first match, with the other action: rules[0] (afw.json: $.rules[0]): it "
        "matches addresses, and mcr.microsoft.com reaches addresses only as resolved: no "
        "resolver",
        "Cannot decide: afw may or may not let it through.",
    ]
    denied = describe_path(space, [0, 1], OUT, "10.1.0.5", "dl.k8s.io", "TCP", 443)
    assert denied.splitlines()[-1] == "Denied by afw."
    assert "afw: Deny by the default" in denied

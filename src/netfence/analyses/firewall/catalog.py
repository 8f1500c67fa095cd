"""The firewall checks (the ``NF1xx`` family): their IDs, severities and guidance."""

from __future__ import annotations

from typing import Final

from netfence.model.findings import CheckId, CheckInfo, Severity

_MONITOR: Final = (
    "OWASP Kubernetes Security Cheat Sheet: Monitor network traffic (unused allowances)"
)
_EGRESS: Final = "NIST SP 800-190 4.4.2"

SHORTFALL: Final = CheckInfo(
    CheckId("NF101"),
    "Required flow is blocked",
    Severity.HIGH,
    description=(
        "A flow the cluster needs (an Azure Arc endpoint, or egress its policies allow) is "
        "denied by a firewall layer on its path, by a rule or by the layer's default: an "
        "outage. Missing = required - permitted."
    ),
    remediation=(
        "Allow the flow in the layer named, before the rule that blocks it, for the cluster's "
        "sources and the ports listed only."
    ),
)
SURPLUS: Final = CheckInfo(
    CheckId("NF102"),
    "Rule allows more than the cluster requires",
    Severity.MEDIUM,
    description=(
        "The rule allows flows from the cluster's addresses that no required flow needs "
        "(excess = permitted - required): names, address ranges or ports beyond the list. "
        "The guidance: only the destinations strictly required, and no more."
    ),
    remediation="Narrow the rule to the required names, addresses and ports, or remove it.",
    controls=(_EGRESS, _MONITOR),
)
TOO_BROAD: Final = CheckInfo(
    CheckId("NF103"),
    "Rule allows any destination or any port",
    Severity.HIGH,
    description=(
        "An allow rule whose destination is every address (or every name), or which allows "
        "every protocol and port: it opens the cluster to the internet (or to everything "
        "on the way) and makes the rest of the layer moot for the flows it matches."
    ),
    remediation="Replace it with rules naming the required destinations and ports.",
    controls=(_EGRESS, "NSA/CISA Kubernetes Hardening Guide: Network separation and hardening"),
)
INBOUND: Final = CheckInfo(
    CheckId("NF104"),
    "Inbound flows reach the cluster",
    Severity.MEDIUM,
    description=(
        "An inbound allow rule lets flows reach the cluster's addresses. Azure Arc agents "
        "only connect out; every inbound opening is something else to justify. From every "
        "source address it is high severity."
    ),
    remediation="Remove the rule, or restrict it to the sources and ports a service needs.",
    controls=(
        "NSA/CISA Kubernetes Hardening Guide: Worker node segmentation",
        "OWASP Kubernetes Security Cheat Sheet: Controlling network access to sensitive ports",
    ),
)
SHADOWED: Final = CheckInfo(
    CheckId("NF105"),
    "Rule is shadowed",
    Severity.LOW,
    description=(
        "Earlier rules decide every flow the rule matches (or it matches none): it never "
        "decides anything. When a covering rule has another action, the rule's intent is "
        "not what the layer does."
    ),
    remediation="Remove the rule, or move it before the rules that cover it.",
    controls=(_MONITOR,),
    peers={"batfish": ("filterLineReachability",), "aerleon": ("aclgen --shade_check",)},
)
REDUNDANT: Final = CheckInfo(
    CheckId("NF106"),
    "Rule is redundant",
    Severity.LOW,
    description=(
        "The rule decides some flows, but the rules after it (or the default) would decide "
        "them the same way: removing it changes no verdict."
    ),
    remediation="Remove the rule, or merge it with the rules that cover it.",
    controls=(_MONITOR,),
)
FQDN_WITHOUT_PROXY: Final = CheckInfo(
    CheckId("NF107"),
    "Network rule names FQDNs without DNS proxy",
    Severity.MEDIUM,
    description=(
        "Azure Firewall resolves the FQDNs of network rules itself; clients that resolve "
        "them elsewhere may reach other addresses than the firewall allows. FQDNs in "
        "network rules need the DNS proxy (dnsSettings.enableProxy)."
    ),
    remediation="Enable the DNS proxy and point the cluster's DNS at the firewall, or use an "
    "application rule.",
)
TLS_INSPECTION: Final = CheckInfo(
    CheckId("NF108"),
    "TLS inspection of the Arc gateway",
    Severity.HIGH,
    description=(
        "A rule decrypts and inspects traffic to the Azure Arc gateway URL; the gateway's "
        "connections fail when TLS is terminated on the way."
    ),
    remediation="Exclude the gateway URL from TLS inspection.",
)
STALE: Final = CheckInfo(
    CheckId("NF109"),
    "Superseded endpoint still allowed",
    Severity.LOW,
    description=(
        "A name from a superseded endpoint list (removed from the requirements) is still "
        "allowed, and no current requirement needs it."
    ),
    remediation="Remove the name from the rule.",
    controls=(_MONITOR,),
)
ROUTED_OPEN: Final = CheckInfo(
    CheckId("NF110"),
    "Endpoint routed by the Arc gateway still open directly",
    Severity.MEDIUM,
    description=(
        "With Azure Arc gateway in use, the gateway carries this endpoint's traffic, yet the "
        "layer still allows the cluster to reach it directly."
    ),
    remediation="Remove the direct allowance; keep only the gateway's endpoints open.",
    controls=(_EGRESS,),
)
CANNOT_DECIDE: Final = CheckInfo(
    CheckId("NF111"),
    "Firewall verdict cannot be decided",
    Severity.INFO,
    description=(
        "Part of what a layer does depends on something netfence was not given or cannot "
        "model: an unexpanded service tag, a name without its addresses, a match on an "
        "interface or a source port, or something the export reader could not take. The "
        "finding says what input or option would settle it."
    ),
    remediation="Give the input named (--service-tags, --resolver), or check by hand.",
)
POLICY_EGRESS_BLOCKED: Final = CheckInfo(
    CheckId("NF112"),
    "Egress the policies allow is blocked by a firewall",
    Severity.INFO,
    description=(
        "The cluster's policies let workloads send to external addresses that a firewall "
        "layer on the path blocks. Nothing breaks that the catalog needs, but the two layers "
        "disagree: either the policy allows more than is needed, or the firewall blocks a "
        "flow a workload depends on. The guidance asks that the external firewall be "
        "consistent with the cluster's rules."
    ),
    remediation=(
        "Narrow the policy's egress to what the firewall passes, or, if the workload needs "
        "the flow, allow it in the layer named for the cluster's sources only."
    ),
    controls=(_EGRESS,),
)

CHECKS: Final = (
    SHORTFALL,
    SURPLUS,
    TOO_BROAD,
    INBOUND,
    SHADOWED,
    REDUNDANT,
    FQDN_WITHOUT_PROXY,
    TLS_INSPECTION,
    STALE,
    ROUTED_OPEN,
    CANNOT_DECIDE,
    POLICY_EGRESS_BLOCKED,
)
"""Every firewall check, by ID."""

"""The address plan checks (the ``NF2xx`` family): their IDs, severities and guidance.

The rules are those of AKS enabled by Azure Arc's networking documents: AKS-NET (network
concepts, internal ports, the infrastructure block), AKS-IP (IP address planning and its
worked example), AKS-LNET (logical networks) and ARC-NET (Arc agents' proxy skip range).
"""

from __future__ import annotations

from typing import Final

from netfence.model.findings import CheckId, CheckInfo, Severity

_SEPARATION: Final = "NSA/CISA Kubernetes Hardening Guide: Network separation and hardening"
_NIST_SEPARATION: Final = "NIST SP 800-190 4.3.3"

OVERLAP: Final = CheckInfo(
    CheckId("NF201"),
    "Address ranges that must be distinct overlap",
    Severity.HIGH,
    description=(
        "Two ranges of the plan that must be distinct share addresses: lnet prefixes, the "
        "management network, data, on-premises, VPN/ExpressRoute and private-endpoint "
        "networks, load-balancer pools and control-plane IPs against each other, and each "
        "cluster's pod and service CIDRs against all of them and against each other (AKS-IP; "
        "AKS-NET). Only the containments of docs/address-plan.md's table are expected (a "
        "private-endpoint subnet inside a VPN address space, a load-balancer pool or "
        "control-plane IP inside an lnet prefix). Pod and service CIDRs of different clusters "
        "may be equal: they are overlays, never routed."
    ),
    remediation="Move one of the two ranges so that they no longer share addresses.",
    controls=(_SEPARATION, _NIST_SEPARATION),
)
OUTSIDE_PREFIX: Final = CheckInfo(
    CheckId("NF202"),
    "Pool, gateway or control-plane IP outside its lnet prefix, or gateway inside a pool",
    Severity.HIGH,
    description=(
        "AKS-LNET and AKS-IP: an lnet's IP pools and gateway lie inside its one prefix, and "
        "so does a cluster's explicit control-plane IP and a load-balancer pool that names "
        "the lnet. A gateway inside an IP pool can be handed to a node VM."
    ),
    remediation=(
        "Put the pool, gateway or control-plane IP inside the lnet's prefix; keep the "
        "gateway out of the IP pools."
    ),
)
CONTROL_PLANE_CONFLICT: Final = CheckInfo(
    CheckId("NF203"),
    "Control-plane IP conflicts with another address",
    Severity.HIGH,
    description=(
        "AKS-IP: an explicit control-plane IP (the KubeVIP API-server address, immutable) must "
        "overlap nothing: not the node IP pool, another cluster's control-plane IP, a "
        "gateway, a load-balancer pool, the Azure Local infrastructure block or cluster IP."
    ),
    remediation="Choose a free address of the lnet prefix outside the pools for it.",
)
LB_IN_POOL: Final = CheckInfo(
    CheckId("NF204"),
    "Load-balancer pool overlaps an lnet IP pool",
    Severity.HIGH,
    description=(
        "AKS-IP: a load-balancer pool in the lnet's subnet must lie outside the lnet's IP "
        "pool, or node VMs and Services can be given the same address."
    ),
    remediation="Move the load-balancer range out of the IP pools (or shrink the pools).",
)
POOL_TOO_SMALL: Final = CheckInfo(
    CheckId("NF205"),
    "Lnet IP pool too small for the clusters on it",
    Severity.HIGH,
    description=(
        "AKS-IP: each lnet's pools hold one address per node VM (control plane and workers), "
        "one per cluster for rolling upgrades and one per cluster whose control-plane IP is "
        "picked from the pool (the worked example: 8 + 4 nodes + 2 + 2 = 16). Pool addresses "
        "the plan gives to something else (gateway, control-plane IPs, load-balancer pools, "
        "infrastructure block) do not count."
    ),
    remediation="Widen the lnet's IP pools (or place a cluster on another lnet).",
)
LB_TOO_SMALL: Final = CheckInfo(
    CheckId("NF206"),
    "Load-balancer pool too small for the planned Services",
    Severity.MEDIUM,
    description=(
        "AKS-IP: about one load-balancer address per Service of type LoadBalancer. The pool "
        "holds fewer addresses than the clusters that use it plan Services, or a cluster "
        "plans LoadBalancer Services without naming a pool."
    ),
    remediation="Widen the pool, or name a pool for the cluster's Services.",
)
INFRASTRUCTURE_BLOCK: Final = CheckInfo(
    CheckId("NF207"),
    "Infrastructure block too small, outside the management network, or overlapping a pool",
    Severity.HIGH,
    description=(
        "AKS-NET: the Azure Local deployment reserves a contiguous block of at least 6 static "
        "addresses on the management network for its infrastructure (Arc Resource Bridge and "
        "others). It is one start-end range (contiguous by the format), inside the management "
        "network, and shares no address with an lnet IP pool or a load-balancer pool."
    ),
    remediation=("Reserve at least 6 contiguous free addresses of the management network for it."),
)
SERVICE_CIDR: Final = CheckInfo(
    CheckId("NF208"),
    "Service CIDR is not AKS Arc's fixed 10.96.0.0/12",
    Severity.HIGH,
    description=(
        "AKS-IP: the service CIDR of AKS enabled by Azure Arc is fixed at 10.96.0.0/12 and "
        "cannot be customised; a plan that counts on another one does not describe the "
        "cluster it will get."
    ),
    remediation="Plan with 10.96.0.0/12 (and keep the other ranges clear of it).",
)
POD_CIDR_TOO_SMALL: Final = CheckInfo(
    CheckId("NF209"),
    "Pod CIDR too small for the cluster's pods",
    Severity.MEDIUM,
    description=(
        "AKS-IP: size the pod CIDR for max-pods-per-node x nodes. Checked per family when "
        "max_pods_per_node is given."
    ),
    remediation="Give the cluster a larger pod CIDR (az aksarc create --pod-cidr).",
)
PROXY_SKIP: Final = CheckInfo(
    CheckId("NF210"),
    "Proxy skip range lacks the service CIDR or the in-cluster names",
    Severity.HIGH,
    description=(
        "ARC-NET: with an outbound proxy, --proxy-skip-range must hold at least the "
        "cluster's service CIDR and kubernetes.default.svc, .svc.cluster.local and .svc, or "
        "the Arc agents send in-cluster calls to the proxy."
    ),
    remediation="Add the missing CIDRs and names to the proxy's no_proxy list.",
)
LNET_SETTINGS: Final = CheckInfo(
    CheckId("NF211"),
    "Lnet lacks DNS servers or a gateway, or is shared with Arc VMs",
    Severity.MEDIUM,
    description=(
        "AKS-LNET: an lnet for AKS Arc needs a gateway and DNS servers (that resolve the "
        "Azure Local cluster name). Sharing the lnet with Arc VMs is allowed but weaker "
        "isolation than separate lnets (low)."
    ),
    remediation="Give the lnet a gateway and DNS servers; use separate lnets for Arc VMs.",
    controls=(_SEPARATION,),
)
OUTSIDE_PLAN: Final = CheckInfo(
    CheckId("NF212"),
    "Cluster objects use addresses outside the plan",
    Severity.MEDIUM,
    description=(
        "The cluster's own objects against the plan: node addresses (Node status.addresses, "
        "pods' hostIPs, host-network pods' IPs) outside every lnet IP pool; pod IPs outside "
        "the cluster's pod CIDRs; Service cluster IPs outside its service CIDR; LoadBalancer "
        "IPs outside every load-balancer pool. The manifests are matched to the plan's "
        "cluster whose ranges hold most of their addresses."
    ),
    remediation="Correct the plan, or find out where the unplanned addresses come from.",
)

CHECKS: Final = (
    OVERLAP,
    OUTSIDE_PREFIX,
    CONTROL_PLANE_CONFLICT,
    LB_IN_POOL,
    POOL_TOO_SMALL,
    LB_TOO_SMALL,
    INFRASTRUCTURE_BLOCK,
    SERVICE_CIDR,
    POD_CIDR_TOO_SMALL,
    PROXY_SKIP,
    LNET_SETTINGS,
    OUTSIDE_PLAN,
)
"""Every address plan check, in ID order."""

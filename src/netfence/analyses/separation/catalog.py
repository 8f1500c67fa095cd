"""The management/data separation checks (the ``NF22x`` family): IDs, severities, guidance."""

from __future__ import annotations

from typing import Final

from netfence.model.findings import CheckId, CheckInfo, Severity

CONTROL_PLANE: Final = "NSA/CISA Kubernetes Hardening Guide: Control plane hardening"
"""N7/N9: only expected traffic reaches the control plane; a firewall locks it down."""
WORKER_NODES: Final = "NSA/CISA Kubernetes Hardening Guide: Worker node segmentation"
"""N13: worker nodes are firewalled from networks that need not talk to them."""
SENSITIVE_PORTS: Final = (
    "OWASP Kubernetes Security Cheat Sheet: Controlling network access to sensitive ports"
)
"""O6: the control-plane and worker ports are not reachable but from trusted networks."""
SEPARATED_TRAFFIC: Final = "NIST SP 800-190 4.3.3"
"""Poorly separated inter-container network traffic: networks split by sensitivity."""

CONTROL_PLANE_REACHABLE: Final = CheckInfo(
    CheckId("NF221"),
    "Workload can reach the control plane",
    Severity.MEDIUM,
    description=(
        "The workload's pods may open TCP 6443 to a control-plane address: the plan's "
        "control-plane IPs (the KubeVIP API-server address), the default/kubernetes endpoints "
        "and the addresses given with --api-server (on their own ports too). The finding names "
        "the pod-policy rule that allows it (or says no egress policy isolates the workload) "
        "and, for addresses outside the cluster, each firewall layer on the path and the rule "
        "that lets it through. Unlike NF011, it reads the plan and names the rules. Workloads "
        "of the namespaces that manage the cluster (kube-system, calico-system, "
        "calico-apiserver, tigera-operator, azure-arc) need the API server and are reported "
        "at info."
    ),
    remediation=(
        "Isolate the workload for egress and allow the control plane only to the operators "
        "and controllers that need it; accept those in the baseline."
    ),
    controls=(CONTROL_PLANE, SENSITIVE_PORTS, SEPARATED_TRAFFIC),
    group_message="{cause} lets {count} reach the control plane: {names}.",
)
MANAGEMENT_REACHABLE: Final = CheckInfo(
    CheckId("NF222"),
    "Workload can reach the management network",
    Severity.HIGH,
    description=(
        "The workload's pods may reach the Azure Local management network on some port: its "
        "prefixes, the infrastructure block (Arc Resource Bridge and others) or the Azure "
        "Local cluster IP (the MOC cloud agent). The cluster's own node and control-plane "
        "addresses are left to NF221 and NF223. With SNAT to the node (the plan's default) "
        "the firewall layers judge the nodes' addresses; each layer and rule that lets the "
        "flow through is named. Workloads of the namespaces that manage the cluster are "
        "reported at low."
    ),
    remediation=(
        "Deny egress to the management network in the workload's policies (an ipBlock "
        "except, or a default-deny egress), and block the node addresses from the management "
        "network at the firewall but for the Azure Local internal ports AKS needs."
    ),
    controls=(CONTROL_PLANE, SEPARATED_TRAFFIC),
    group_message="{cause} lets {count} reach the management network: {names}.",
)
NODE_PORTS_REACHABLE: Final = CheckInfo(
    CheckId("NF223"),
    "Workload can reach node or control-plane ports",
    Severity.HIGH,
    description=(
        "The workload's pods may reach a node's or control-plane node's sensitive ports: SSH "
        "22, etcd 2379-2380, kubelet 10250 and its read-only 10255, the controller manager "
        "10257 and the scheduler 10259 (all TCP). Node addresses come from the Nodes and "
        "pods' hostIPs in the input, the default/kubernetes endpoints, and the plan's IP "
        "pools of the lnets clusters are placed on. Workloads of the namespaces that manage "
        "the cluster (metrics-server reads the kubelet) are reported at low."
    ),
    remediation=(
        "Deny egress to the node addresses on these ports (an ipBlock except for the node "
        "range, or a Calico GlobalNetworkPolicy), and allow the kubelet only to the "
        "components that read it."
    ),
    controls=(CONTROL_PLANE, WORKER_NODES, SENSITIVE_PORTS),
    group_message="{cause} lets {count} reach node ports: {names}.",
)
DATA_REACHES_MANAGEMENT: Final = CheckInfo(
    CheckId("NF224"),
    "Data network reaches the management network",
    Severity.HIGH,
    description=(
        "A data network of the plan may reach the management network through the firewall "
        "layers given (each data network traced as the source of the flow), on the ports "
        "named, by the layer rules named. The Azure Local internal ports are reported by "
        "NF225. Without firewall layers, one finding says that nothing netfence read "
        "separates the data networks from the management network."
    ),
    remediation=(
        "Block the data networks from the management network in the layer named, before the "
        "rule that lets them through; give the layers (firewall exports) when none were."
    ),
    controls=(CONTROL_PLANE, SEPARATED_TRAFFIC),
)
SHARED_NETWORK: Final = CheckInfo(
    CheckId("NF225"),
    "Management and data share a network",
    Severity.HIGH,
    description=(
        "An lnet or data network of the plan is on the management network's VLAN or overlaps "
        "its prefixes (keep management and workload lnets and VLANs apart), or the firewall "
        "layers open the Azure Local internal ports (22, 6443, 55000, 65000, 40343) to the "
        "management network, or 22 and 6443 to the cluster's lnets, from a data network: "
        "AKS-NET lists them between the management IPs and the AKS VM lnet only. An AKS lnet "
        "on the management VLAN is medium (a supported layout, weaker isolation); untagged "
        "networks whose segment the plan does not say are info."
    ),
    remediation=(
        "Give management and workloads their own VLANs and prefixes; open the internal ports "
        "between the management IPs and the AKS lnet only."
    ),
    controls=(SEPARATED_TRAFFIC, CONTROL_PLANE),
)

CHECKS: Final = (
    CONTROL_PLANE_REACHABLE,
    MANAGEMENT_REACHABLE,
    NODE_PORTS_REACHABLE,
    DATA_REACHES_MANAGEMENT,
    SHARED_NETWORK,
)
"""Every separation check, by ID."""

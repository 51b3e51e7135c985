"""Well-known names: Kubernetes' own (namespaces, taint keys, labels, annotations) and everynode's
(the simulated-node and failure-injection annotations, an interface users' manifests depend on)."""

from __future__ import annotations

# -- namespaces ----------------------------------------------------------------------------------
DEFAULT_NAMESPACE = "default"
KUBE_SYSTEM = "kube-system"
KUBE_PUBLIC = "kube-public"
KUBE_NODE_LEASE = "kube-node-lease"  # node heartbeats (Leases)

# -- node taints (keys), set by the node lifecycle controller and the kubelet -------------------------
TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
TAINT_DISK_PRESSURE = "node.kubernetes.io/disk-pressure"
TAINT_MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure"
TAINT_PID_PRESSURE = "node.kubernetes.io/pid-pressure"
TAINT_NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"

# -- labels ----------------------------------------------------------------------------------------
LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_METADATA_NAME = "kubernetes.io/metadata.name"  # on every namespace: its own name
LABEL_CONTROLLER_REVISION_HASH = "controller-revision-hash"
LABEL_POD_TEMPLATE_GENERATION = "pod-template-generation"

# -- annotations -----------------------------------------------------------------------------------
ANNOTATION_DS_TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
# on a pod: an int32; when a ReplicaSet scales down, pods of lower cost go first (absent or invalid: 0)
ANNOTATION_POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"

# everynode's simulation: a node the node agent runs, and failures injected by annotation
ANNOTATION_SIMULATED = "everynode.io/simulated"
SIM_READY = "sim.everynode.io/ready"  # on a pod (template): "never" = runs, never Ready
SIM_FAIL_AFTER = "sim.everynode.io/fail-after"  # on a pod (template): Failed that long after starting
SIM_START_DELAY = "sim.everynode.io/start-delay"  # on a pod (template): Pending -> Running takes this long
SIM_HEARTBEAT = "sim.everynode.io/heartbeat"  # on a node: "stop" = its Lease is no longer renewed


# The PriorityClasses every cluster has (upstream creates them at API server start; they cannot be
# deleted): name → (value, description).
SYSTEM_PRIORITY_CLASSES = {
    "system-node-critical": (
        2000001000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    "system-cluster-critical": (
        2000000000,
        "Used for system critical pods that must run in the cluster, but can be moved to another node "
        "if necessary.",
    ),
}

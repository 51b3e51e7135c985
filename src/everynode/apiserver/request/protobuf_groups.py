"""The smaller API groups' messages (k8s.io/api generated.proto and types.go, v1.33), in the table
language of :mod:`~everynode.apiserver.request.protobuf_layout`: coordination.k8s.io/v1 (Lease),
rbac.authorization.k8s.io/v1, discovery.k8s.io/v1 (EndpointSlice), policy/v1 (PodDisruptionBudget,
Eviction), networking.k8s.io/v1 (NetworkPolicy), scheduling.k8s.io/v1 (PriorityClass), storage.k8s.io/v1
(StorageClass, CSIDriver), autoscaling/v1 (Scale) and authentication.k8s.io/v1 (TokenRequest).
"""

from __future__ import annotations

__all__ = [
    "AUTHENTICATION",
    "AUTOSCALING",
    "COORDINATION",
    "DISCOVERY",
    "NETWORKING",
    "POLICY",
    "RBAC",
    "SCHEDULING",
    "STORAGE",
]

# package coordination
COORDINATION: dict[str, dict[int, str]] = {
    "Lease": {
        1: "metadata meta.ObjectMeta",
        2: "spec LeaseSpec",
    },
    "LeaseSpec": {
        1: "holderIdentity *string",
        2: "leaseDurationSeconds *int32",
        3: "acquireTime *MicroTime",
        4: "renewTime *MicroTime",
        5: "leaseTransitions *int32",
        6: "strategy *string",
        7: "preferredHolder *string",
    },
}


# package rbac
RBAC: dict[str, dict[int, str]] = {
    "AggregationRule": {
        1: "clusterRoleSelectors []meta.LabelSelector",
    },
    "ClusterRole": {
        1: "metadata meta.ObjectMeta",
        2: "rules []PolicyRule",
        3: "aggregationRule *AggregationRule",
    },
    "ClusterRoleBinding": {
        1: "metadata meta.ObjectMeta",
        2: "subjects []Subject",
        3: "roleRef RoleRef",
    },
    "PolicyRule": {
        1: "verbs []string",
        2: "apiGroups []string",
        3: "resources []string",
        4: "resourceNames []string",
        5: "nonResourceURLs []string",
    },
    "Role": {
        1: "metadata meta.ObjectMeta",
        2: "rules []PolicyRule",
    },
    "RoleBinding": {
        1: "metadata meta.ObjectMeta",
        2: "subjects []Subject",
        3: "roleRef RoleRef",
    },
    "RoleRef": {
        1: "apiGroup string always",
        2: "kind string always",
        3: "name string always",
    },
    "Subject": {
        1: "kind string always",
        2: "apiGroup string",
        3: "name string always",
        4: "namespace string",
    },
}


# package discovery
DISCOVERY: dict[str, dict[int, str]] = {
    "Endpoint": {
        1: "addresses []string",
        2: "conditions EndpointConditions",
        3: "hostname *string",
        4: "targetRef *core.ObjectReference",
        5: "deprecatedTopology map[string]",
        6: "nodeName *string",
        7: "zone *string",
        8: "hints *EndpointHints",
    },
    "EndpointConditions": {
        1: "ready *bool",
        2: "serving *bool",
        3: "terminating *bool",
    },
    "EndpointHints": {
        1: "forZones []ForZone",
        2: "forNodes []ForNode",
    },
    "EndpointPort": {
        1: "name *string",
        2: "protocol *string",
        3: "port *int32",
        4: "appProtocol *string",
    },
    "EndpointSlice": {
        1: "metadata meta.ObjectMeta",
        4: "addressType string always",
        2: "endpoints []Endpoint",
        3: "ports []EndpointPort",
    },
    "ForNode": {
        1: "name string always",
    },
    "ForZone": {
        1: "name string always",
    },
}


# package policy
POLICY: dict[str, dict[int, str]] = {
    "Eviction": {
        1: "metadata meta.ObjectMeta",
        2: "deleteOptions *meta.DeleteOptions",
    },
    "PodDisruptionBudget": {
        1: "metadata meta.ObjectMeta",
        2: "spec PodDisruptionBudgetSpec",
        3: "status PodDisruptionBudgetStatus",
    },
    "PodDisruptionBudgetSpec": {
        1: "minAvailable *IntOrString",
        2: "selector *meta.LabelSelector",
        3: "maxUnavailable *IntOrString",
        4: "unhealthyPodEvictionPolicy *string",
    },
    "PodDisruptionBudgetStatus": {
        1: "observedGeneration int64",
        2: "disruptedPods map[Time]",
        3: "disruptionsAllowed int32 always",
        4: "currentHealthy int32 always",
        5: "desiredHealthy int32 always",
        6: "expectedPods int32 always",
        7: "conditions []meta.Condition",
    },
}


# package networking
NETWORKING: dict[str, dict[int, str]] = {
    "IPBlock": {
        1: "cidr string always",
        2: "except []string",
    },
    "NetworkPolicy": {
        1: "metadata meta.ObjectMeta",
        2: "spec NetworkPolicySpec",
    },
    "NetworkPolicyEgressRule": {
        1: "ports []NetworkPolicyPort",
        2: "to []NetworkPolicyPeer",
    },
    "NetworkPolicyIngressRule": {
        1: "ports []NetworkPolicyPort",
        2: "from []NetworkPolicyPeer",
    },
    "NetworkPolicyPeer": {
        1: "podSelector *meta.LabelSelector",
        2: "namespaceSelector *meta.LabelSelector",
        3: "ipBlock *IPBlock",
    },
    "NetworkPolicyPort": {
        1: "protocol *string",
        2: "port *IntOrString",
        3: "endPort *int32",
    },
    "NetworkPolicySpec": {
        1: "podSelector meta.LabelSelector",
        2: "ingress []NetworkPolicyIngressRule",
        3: "egress []NetworkPolicyEgressRule",
        4: "policyTypes []string",
    },
}


# package scheduling
SCHEDULING: dict[str, dict[int, str]] = {
    "PriorityClass": {
        1: "metadata meta.ObjectMeta",
        2: "value int32 always",
        3: "globalDefault bool",
        4: "description string",
        5: "preemptionPolicy *string",
    },
}


# package storage
STORAGE: dict[str, dict[int, str]] = {
    "CSIDriver": {
        1: "metadata meta.ObjectMeta",
        2: "spec CSIDriverSpec",
    },
    "CSIDriverSpec": {
        1: "attachRequired *bool",
        2: "podInfoOnMount *bool",
        3: "volumeLifecycleModes []string",
        4: "storageCapacity *bool",
        5: "fsGroupPolicy *string",
        6: "tokenRequests []TokenRequest",
        7: "requiresRepublish *bool",
        8: "seLinuxMount *bool",
        9: "nodeAllocatableUpdatePeriodSeconds *int64",
    },
    "StorageClass": {
        1: "metadata meta.ObjectMeta",
        2: "provisioner string always",
        3: "parameters map[string]",
        4: "reclaimPolicy *string",
        5: "mountOptions []string",
        6: "allowVolumeExpansion *bool",
        7: "volumeBindingMode *string",
        8: "allowedTopologies []core.TopologySelectorTerm",
    },
    "TokenRequest": {
        1: "audience string always",
        2: "expirationSeconds *int64",
    },
}


# package autoscaling
AUTOSCALING: dict[str, dict[int, str]] = {
    "Scale": {
        1: "metadata meta.ObjectMeta",
        2: "spec ScaleSpec",
        3: "status ScaleStatus",
    },
    "ScaleSpec": {
        1: "replicas int32",
    },
    "ScaleStatus": {
        1: "replicas int32 always",
        2: "selector string",
    },
}


# package authentication
AUTHENTICATION: dict[str, dict[int, str]] = {
    "BoundObjectReference": {
        1: "kind string",
        2: "apiVersion string",
        3: "name string",
        4: "uid string",
    },
    "TokenRequest": {
        1: "metadata meta.ObjectMeta",
        2: "spec TokenRequestSpec",
        3: "status TokenRequestStatus",
    },
    "TokenRequestSpec": {
        1: "audiences []string",
        4: "expirationSeconds *int64",
        3: "boundObjectRef *BoundObjectReference",
    },
    "TokenRequestStatus": {
        1: "token string always",
        2: "expirationTimestamp Time",
    },
}

"""Every kind's protobuf body decodes to the JSON Go would write for the same object.

One body per kind, built field by field (field numbers from upstream's generated.proto), covering
nested messages, repeated fields, maps, IntOrString, Quantity, Time and MicroTime, pointer fields whose
zero is kept, and fields Go always writes (present as their zero value even when not on the wire).
"""

from __future__ import annotations

from everynode.apiserver.request.protobuf import decode_kubernetes_protobuf
from tests import builders
from tests.unit.apiserver.protobuf_encoding import (
    T_2024,
    body,
    encode_object,
    entry,
    int_or_string,
    labels,
    ld,
    meta,
    msg,
    num,
    quantities,
    quantity,
    running_pod,
    ts,
)

JAN_1 = "2024-01-01T00:00:00Z"
JAN_1_10S = "2024-01-01T00:00:10Z"


def selector(number: int, **match: str) -> bytes:
    """A LabelSelector: matchLabels plus one matchExpressions requirement (tier In [a, b])."""
    return msg(number, labels(1, **match), msg(2, ld(1, "tier"), ld(2, "In"), ld(3, "a"), ld(3, "b")))


SELECTOR_JSON = {
    "matchLabels": {"app": "web"},
    "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}],
}


def template(number: int) -> bytes:
    """A PodTemplateSpec with labels and one container (Go writes an empty creationTimestamp)."""
    return msg(number, msg(1, msg(8), labels(11, app="web")), msg(2, msg(2, ld(1, "c"), ld(2, "nginx"))))


TEMPLATE_JSON = {
    "metadata": {"labels": {"app": "web"}},
    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
}


# --- core/v1 --------------------------------------------------------------------------------------------


def test_pod_spec_and_status() -> None:
    container = msg(
        2,
        ld(1, "app"),
        ld(2, "nginx:1.25"),
        ld(3, "nginx"),
        ld(4, "-g"),
        ld(4, "daemon off;"),
        msg(6, ld(1, "http"), num(3, 80), ld(4, "TCP")),
        msg(6, num(2, 0)),  # containerPort is always written: 0 when not on the wire
        msg(7, ld(1, "NODE"), ld(2, ""), msg(3, msg(1, ld(1, "v1"), ld(2, "spec.nodeName")))),
        msg(8, quantities(1, cpu="500m", memory="128Mi"), quantities(2, cpu="250m")),
        msg(10, msg(1, msg(2, ld(1, "/healthz"), int_or_string(2, "http"))), num(2, 5), num(3, 1)),
        msg(11, msg(1, msg(3, int_or_string(1, 8080)))),
        msg(9, ld(1, "config"), num(2, 1), ld(3, "/etc/app")),
        ld(14, "IfNotPresent"),
        msg(15, num(4, 0), num(6, 0)),  # pointers: runAsUser 0 and readOnlyRootFilesystem false stay
        num(16, 0),  # stdin false: omitempty
    )
    volumes = [
        msg(
            1,
            ld(1, "config"),
            msg(
                2,
                msg(
                    19,
                    msg(1, ld(1, "app-config")),
                    msg(2, ld(1, "k"), ld(2, "p"), num(3, 0o400)),
                    num(3, 0o644),
                ),
            ),
        ),
        msg(1, ld(1, "scratch"), msg(2, msg(2, ld(1, "Memory"), quantity(2, "1Gi")))),
    ]
    affinity = msg(18, msg(1, msg(1, msg(1, msg(1, ld(1, "zone"), ld(2, "In"), ld(3, "z1"))))))
    spec = msg(
        2,
        *volumes,
        container,
        ld(3, "Always"),
        num(4, 0),
        entry(7, "disk", "ssd"),
        ld(8, "robot"),
        ld(10, "node-1"),
        num(11, 0),
        msg(14, num(4, 1000), num(4, 2000), num(5, 0)),
        affinity,
        msg(22, ld(1, "node.kubernetes.io/not-ready"), ld(2, "Exists"), ld(4, "NoExecute"), num(5, 300)),
        num(25, -10),
        quantities(32, cpu="10m"),
    )
    status = msg(
        3,
        ld(1, "Running"),
        msg(2, ld(1, "Ready"), ld(2, "True"), msg(3), ts(4, T_2024)),
        ld(5, "10.0.0.1"),
        ld(6, "10.244.0.5"),
        ts(7, T_2024 + 10),
        msg(8, ld(1, "app"), msg(2, msg(2, ts(1, T_2024 + 10))), num(9, 1)),
        msg(12, ld(1, "10.244.0.5")),
    )
    assert decode_kubernetes_protobuf(
        body("v1", "Pod", meta("web-1", "default", app="web"), spec, status)
    ) == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-1", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "volumes": [
                {
                    "name": "config",
                    "configMap": {
                        "name": "app-config",
                        "items": [{"key": "k", "path": "p", "mode": 0o400}],
                        "defaultMode": 0o644,
                    },
                },
                {"name": "scratch", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
            ],
            "containers": [
                {
                    "name": "app",
                    "image": "nginx:1.25",
                    "command": ["nginx"],
                    "args": ["-g", "daemon off;"],
                    "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}, {"containerPort": 0}],
                    "env": [
                        {
                            "name": "NODE",
                            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}},
                        }
                    ],
                    "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "250m"}},
                    "livenessProbe": {
                        "httpGet": {"path": "/healthz", "port": "http"},
                        "initialDelaySeconds": 5,
                        "timeoutSeconds": 1,
                    },
                    "readinessProbe": {"tcpSocket": {"port": 8080}},
                    "volumeMounts": [{"name": "config", "readOnly": True, "mountPath": "/etc/app"}],
                    "imagePullPolicy": "IfNotPresent",
                    "securityContext": {"runAsUser": 0, "readOnlyRootFilesystem": False},
                }
            ],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 0,
            "nodeSelector": {"disk": "ssd"},
            "serviceAccountName": "robot",
            "nodeName": "node-1",
            "securityContext": {"supplementalGroups": [1000, 2000], "fsGroup": 0},
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z1"]}]}
                        ]
                    }
                }
            },
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                }
            ],
            "priority": -10,
            "overhead": {"cpu": "10m"},
        },
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": JAN_1}],
            "hostIP": "10.0.0.1",
            "podIP": "10.244.0.5",
            "startTime": JAN_1_10S,
            "containerStatuses": [
                {
                    "name": "app",
                    "state": {"running": {"startedAt": JAN_1_10S}},
                    "ready": False,
                    "restartCount": 0,
                    "image": "",
                    "imageID": "",
                    "started": True,
                }
            ],
            "podIPs": [{"ip": "10.244.0.5"}],
        },
    }


def test_node_spec_and_status() -> None:
    spec = msg(
        2,
        ld(1, "10.244.1.0/24"),
        ld(7, "10.244.1.0/24"),
        ld(7, "fd00::/64"),
        num(4, 1),
        msg(5, ld(1, "dedicated"), ld(2, "gpu"), ld(3, "NoSchedule"), ts(4, T_2024)),
        msg(5, ld(1, "maintenance"), ld(3, "NoExecute")),
    )
    status = msg(
        3,
        quantities(1, cpu="4", memory="16Gi", pods="110"),
        quantities(2, cpu="3800m"),
        msg(4, ld(1, "Ready"), ld(2, "True"), ts(3, T_2024 + 10), ts(4, T_2024), ld(5, "KubeletReady")),
        msg(5, ld(1, "InternalIP"), ld(2, "10.0.0.7")),
        msg(6, msg(1, num(1, 10250))),
        msg(7, ld(7, "v1.33.0"), ld(9, "linux"), ld(10, "amd64")),
    )
    assert decode_kubernetes_protobuf(body("v1", "Node", meta("node-1", role="gpu"), spec, status)) == {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "node-1", "labels": {"role": "gpu"}},
        "spec": {
            "podCIDR": "10.244.1.0/24",
            "podCIDRs": ["10.244.1.0/24", "fd00::/64"],
            "unschedulable": True,
            "taints": [
                {"key": "dedicated", "value": "gpu", "effect": "NoSchedule", "timeAdded": JAN_1},
                {"key": "maintenance", "effect": "NoExecute"},
            ],
        },
        "status": {
            "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
            "allocatable": {"cpu": "3800m"},
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "lastHeartbeatTime": JAN_1_10S,
                    "lastTransitionTime": JAN_1,
                    "reason": "KubeletReady",
                }
            ],
            "addresses": [{"type": "InternalIP", "address": "10.0.0.7"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},  # upstream's JSON name is "Port"
            "nodeInfo": {  # every NodeSystemInfo string is always written
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
                "kernelVersion": "",
                "osImage": "",
                "containerRuntimeVersion": "",
                "kubeletVersion": "v1.33.0",
                "kubeProxyVersion": "",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def test_event_with_micro_time_and_series() -> None:
    raw = body(
        "v1",
        "Event",
        meta("web.17a", "default"),
        msg(
            2,
            ld(1, "Pod"),
            ld(2, "default"),
            ld(3, "web"),
            ld(4, "uid-1"),
            ld(5, "v1"),
            ld(7, "spec.containers{c}"),
        ),
        ld(3, "Pulled"),
        ld(4, "pulled the image"),
        msg(5, ld(1, "kubelet"), ld(2, "node-1")),
        ts(6, T_2024),
        ts(7, T_2024 + 10, 999_999_999),  # Time keeps whole seconds
        num(8, 2),
        ld(9, "Normal"),
        ts(10, T_2024, 123_456_789),  # MicroTime keeps microseconds
        msg(11, num(1, 3), ts(2, T_2024 + 1, 5_000)),
        ld(14, "kubelet"),
    )
    assert decode_kubernetes_protobuf(raw) == {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web.17a", "namespace": "default"},
        "involvedObject": {
            "kind": "Pod",
            "namespace": "default",
            "name": "web",
            "uid": "uid-1",
            "apiVersion": "v1",
            "fieldPath": "spec.containers{c}",
        },
        "reason": "Pulled",
        "message": "pulled the image",
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": JAN_1,
        "lastTimestamp": JAN_1_10S,
        "count": 2,
        "type": "Normal",
        "eventTime": "2024-01-01T00:00:00.123456Z",
        "series": {"count": 3, "lastObservedTime": "2024-01-01T00:00:01.000005Z"},
        "reportingComponent": "kubelet",
        "reportingInstance": "",  # always written
    }


def test_service_account_keeps_a_false_automount() -> None:
    raw = body(
        "v1",
        "ServiceAccount",
        meta("robot", "default"),
        msg(2, ld(1, "Secret"), ld(3, "robot-token")),
        msg(3, ld(1, "registry")),
        num(4, 0),
    )
    assert decode_kubernetes_protobuf(raw) == {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "robot", "namespace": "default"},
        "secrets": [{"kind": "Secret", "name": "robot-token"}],
        "imagePullSecrets": [{"name": "registry"}],
        "automountServiceAccountToken": False,
    }


def test_service_ports_and_load_balancer_status() -> None:
    spec = msg(
        2,
        msg(1, ld(1, "http"), ld(2, "TCP"), num(3, 80), int_or_string(4, "web"), num(5, 30080)),
        msg(1, ld(1, "metrics"), ld(2, "TCP"), num(3, 9090), int_or_string(4, 0), ld(6, "http")),
        entry(2, "app", "web"),
        ld(3, "10.96.0.10"),
        ld(18, "10.96.0.10"),
        ld(4, "LoadBalancer"),
        ld(7, "ClientIP"),
        msg(14, msg(1, num(1, 10800))),
        ld(19, "IPv4"),
        ld(17, "SingleStack"),
        num(20, 0),
        ld(22, "Cluster"),
    )
    status = msg(
        3,
        msg(1, msg(1, ld(1, "192.0.2.1"), ld(3, "VIP"), msg(4, num(1, 80), ld(2, "TCP")))),
        msg(2, ld(1, "Ready"), ld(2, "True"), num(3, 4), ts(4, T_2024)),
    )
    assert decode_kubernetes_protobuf(body("v1", "Service", meta("web", "default"), spec, status)) == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "ports": [
                {"name": "http", "protocol": "TCP", "port": 80, "targetPort": "web", "nodePort": 30080},
                # a zero targetPort is written (Go's JSON never omits a struct); defaulting makes it port
                {"name": "metrics", "protocol": "TCP", "appProtocol": "http", "port": 9090, "targetPort": 0},
            ],
            "selector": {"app": "web"},
            "clusterIP": "10.96.0.10",
            "clusterIPs": ["10.96.0.10"],
            "type": "LoadBalancer",
            "sessionAffinity": "ClientIP",
            "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "allocateLoadBalancerNodePorts": False,
            "internalTrafficPolicy": "Cluster",
        },
        "status": {
            "loadBalancer": {
                "ingress": [{"ip": "192.0.2.1", "ipMode": "VIP", "ports": [{"port": 80, "protocol": "TCP"}]}]
            },
            "conditions": [  # meta/v1 Condition always writes reason and message
                {
                    "type": "Ready",
                    "status": "True",
                    "observedGeneration": 4,
                    "lastTransitionTime": JAN_1,
                    "reason": "",
                    "message": "",
                }
            ],
        },
    }


def test_endpoints_subsets() -> None:
    address = msg(
        1, ld(1, "10.244.0.5"), ld(4, "node-1"), msg(2, ld(1, "Pod"), ld(2, "default"), ld(3, "web-1"))
    )
    subset = msg(
        2,
        address,
        msg(2, ld(1, "10.244.0.6"), ld(3, "web-2")),
        msg(3, ld(1, "http"), num(2, 8080), ld(3, "TCP")),
    )
    assert decode_kubernetes_protobuf(body("v1", "Endpoints", meta("web", "default"), subset)) == {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "web", "namespace": "default"},
        "subsets": [
            {
                "addresses": [
                    {
                        "ip": "10.244.0.5",
                        "nodeName": "node-1",
                        "targetRef": {"kind": "Pod", "namespace": "default", "name": "web-1"},
                    }
                ],
                "notReadyAddresses": [{"ip": "10.244.0.6", "hostname": "web-2"}],
                "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            }
        ],
    }


# --- apps/v1 ----------------------------------------------------------------------------------------------


def test_daemon_set_with_rolling_update_and_status() -> None:
    spec = msg(
        2,
        selector(1, app="web"),
        template(2),
        msg(3, ld(1, "RollingUpdate"), msg(2, int_or_string(1, "10%"), int_or_string(2, 0))),
        num(4, 0),
        num(6, 10),
    )
    status = msg(3, num(1, 3), num(2, 0), num(3, 3), num(5, 2), num(7, 3), num(9, 0))
    assert decode_kubernetes_protobuf(
        body("apps/v1", "DaemonSet", meta("agent", "kube-system"), spec, status)
    ) == {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "kube-system"},
        "spec": {
            "selector": SELECTOR_JSON,
            "template": TEMPLATE_JSON,
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "10%", "maxSurge": 0},
            },
            "revisionHistoryLimit": 10,
        },
        "status": {
            "currentNumberScheduled": 3,
            "numberMisscheduled": 0,
            "desiredNumberScheduled": 3,
            "numberReady": 0,  # always written, even when not on the wire
            "observedGeneration": 2,
            "numberAvailable": 3,
            "collisionCount": 0,
        },
    }


def test_controller_revision_data_is_json() -> None:
    data = b'{"spec":{"template":{"$patch":"replace","spec":{"containers":[{"name":"c"}]}}}}'
    raw = body("apps/v1", "ControllerRevision", meta("agent-5d4f", "kube-system"), msg(2, ld(1, data)))
    assert decode_kubernetes_protobuf(raw) == {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {"name": "agent-5d4f", "namespace": "kube-system"},
        "data": {"spec": {"template": {"$patch": "replace", "spec": {"containers": [{"name": "c"}]}}}},
        "revision": 0,  # always written
    }


def test_stateful_set_with_claim_templates() -> None:
    claim = msg(
        4,
        msg(1, ld(1, "data")),
        msg(2, ld(1, "ReadWriteOnce"), msg(2, quantities(2, storage="1Gi")), ld(5, "standard")),
    )
    spec = msg(
        2,
        num(1, 3),
        selector(2, app="web"),
        template(3),
        claim,
        ld(6, "Parallel"),
        msg(7, ld(1, "RollingUpdate"), msg(2, num(1, 0), int_or_string(2, 1))),
        msg(10, ld(1, "Retain"), ld(2, "Delete")),
        msg(11),
    )
    status = msg(3, num(1, 1), num(2, 3), ld(6, "web-1"))
    assert decode_kubernetes_protobuf(
        body("apps/v1", "StatefulSet", meta("db", "default"), spec, status)
    ) == {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {
            "replicas": 3,
            "selector": SELECTOR_JSON,
            "template": TEMPLATE_JSON,
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                        "storageClassName": "standard",
                    },
                }
            ],
            "serviceName": "",  # always written
            "podManagementPolicy": "Parallel",
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"partition": 0, "maxUnavailable": 1},
            },
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Delete"},
            "ordinals": {"start": 0},
        },
        "status": {
            "observedGeneration": 1,
            "replicas": 3,
            "currentRevision": "web-1",
            "availableReplicas": 0,
        },
    }


def test_deployment_with_strategy_and_conditions() -> None:
    spec = msg(
        2,
        num(1, 0),  # replicas is a pointer: 0 stays
        selector(2, app="web"),
        template(3),
        msg(4, ld(1, "RollingUpdate"), msg(2, int_or_string(1, 0), int_or_string(2, "25%"))),
        num(5, 0),
        num(7, 1),
        num(9, 600),
    )
    condition = msg(
        6,
        ld(1, "Available"),
        ld(2, "True"),
        ld(4, "MinimumReplicasAvailable"),
        ts(6, T_2024 + 10),
        ts(7, T_2024),
    )
    status = msg(3, num(1, 2), num(2, 0), condition, num(8, 1))
    assert decode_kubernetes_protobuf(
        body("apps/v1", "Deployment", meta("web", "default", app="web"), spec, status)
    ) == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": 0,
            "selector": SELECTOR_JSON,
            "template": TEMPLATE_JSON,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
            "paused": True,
            "progressDeadlineSeconds": 600,
        },
        "status": {
            "observedGeneration": 2,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True",
                    "reason": "MinimumReplicasAvailable",
                    "lastUpdateTime": JAN_1_10S,
                    "lastTransitionTime": JAN_1,
                }
            ],
            "collisionCount": 1,
        },
    }


def test_replica_set_status() -> None:
    spec = msg(2, num(1, 2), num(4, 5), selector(2, app="web"), template(3))
    status = msg(3, num(2, 2), num(4, 1), num(7, 0), num(3, 4))
    assert decode_kubernetes_protobuf(
        body("apps/v1", "ReplicaSet", meta("web-5d4f", "default"), spec, status)
    ) == {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web-5d4f", "namespace": "default"},
        "spec": {"replicas": 2, "minReadySeconds": 5, "selector": SELECTOR_JSON, "template": TEMPLATE_JSON},
        "status": {
            "replicas": 0,  # always written
            "fullyLabeledReplicas": 2,
            "readyReplicas": 1,
            "terminatingReplicas": 0,
            "observedGeneration": 4,
        },
    }


# --- the other groups -------------------------------------------------------------------------------------


def test_lease_with_micro_times() -> None:
    spec = msg(2, ld(1, "node-1"), num(2, 40), ts(3, T_2024), ts(4, T_2024 + 10, 250_000_000), num(5, 0))
    raw = body("coordination.k8s.io/v1", "Lease", meta("node-1", "kube-node-lease"), spec)
    assert decode_kubernetes_protobuf(raw) == {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "node-1", "namespace": "kube-node-lease"},
        "spec": {
            "holderIdentity": "node-1",
            "leaseDurationSeconds": 40,
            "acquireTime": "2024-01-01T00:00:00.000000Z",
            "renewTime": "2024-01-01T00:00:10.250000Z",
            "leaseTransitions": 0,
        },
    }


RULE = msg(
    2,
    ld(1, "get"),
    ld(1, "list"),
    ld(2, ""),
    ld(2, "apps"),
    ld(3, "pods"),
    ld(3, "deployments"),
    ld(4, "web"),
)
RULE_JSON = {
    "verbs": ["get", "list"],
    "apiGroups": ["", "apps"],
    "resources": ["pods", "deployments"],
    "resourceNames": ["web"],
}
RBAC = "rbac.authorization.k8s.io/v1"


def test_role_and_cluster_role() -> None:
    assert decode_kubernetes_protobuf(body(RBAC, "Role", meta("reader", "default"), RULE)) == {
        "apiVersion": RBAC,
        "kind": "Role",
        "metadata": {"name": "reader", "namespace": "default"},
        "rules": [RULE_JSON],
    }
    aggregation = msg(3, msg(1, labels(1, **{"rbac.example.com/aggregate": "true"})))
    non_resource = msg(2, ld(1, "get"), ld(5, "/healthz"))
    raw = body(RBAC, "ClusterRole", meta("reader"), RULE, non_resource, aggregation)
    assert decode_kubernetes_protobuf(raw) == {
        "apiVersion": RBAC,
        "kind": "ClusterRole",
        "metadata": {"name": "reader"},
        "rules": [RULE_JSON, {"verbs": ["get"], "nonResourceURLs": ["/healthz"]}],
        "aggregationRule": {
            "clusterRoleSelectors": [{"matchLabels": {"rbac.example.com/aggregate": "true"}}]
        },
    }


def test_role_binding_and_cluster_role_binding() -> None:
    subjects = [
        msg(2, ld(1, "User"), ld(2, "rbac.authorization.k8s.io"), ld(3, "alice")),
        msg(2, ld(1, "ServiceAccount"), ld(2, ""), ld(3, "robot"), ld(4, "default")),
    ]
    role_ref = msg(3, ld(1, "rbac.authorization.k8s.io"), ld(2, "ClusterRole"), ld(3, "reader"))
    expected = {
        "subjects": [
            {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
            {"kind": "ServiceAccount", "name": "robot", "namespace": "default"},
        ],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "reader"},
    }
    assert decode_kubernetes_protobuf(
        body(RBAC, "RoleBinding", meta("rb", "default"), *subjects, role_ref)
    ) == {
        "apiVersion": RBAC,
        "kind": "RoleBinding",
        "metadata": {"name": "rb", "namespace": "default"},
        **expected,
    }
    # roleRef's fields are always written: a role ref from a careless encoder still has all three keys
    assert decode_kubernetes_protobuf(
        body(RBAC, "ClusterRoleBinding", meta("crb"), msg(3, ld(3, "reader")))
    ) == {
        "apiVersion": RBAC,
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "crb"},
        "roleRef": {"apiGroup": "", "kind": "", "name": "reader"},
    }


def test_endpoint_slice_pointers_and_hints() -> None:
    endpoint = msg(
        2,
        ld(1, "10.244.0.5"),
        msg(2, num(1, 0), num(2, 1)),  # ready false is kept: the conditions are pointers
        ld(3, "web-1"),
        msg(4, ld(1, "Pod"), ld(3, "web-1")),
        ld(6, "node-1"),
        ld(7, "z1"),
        msg(8, msg(1, ld(1, "z1"))),
    )
    port = msg(3, ld(1, ""), ld(2, "TCP"), num(3, 8080))
    raw = body(
        "discovery.k8s.io/v1", "EndpointSlice", meta("web-abc", "default"), ld(4, "IPv4"), endpoint, port
    )
    assert decode_kubernetes_protobuf(raw) == {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "web-abc", "namespace": "default"},
        "addressType": "IPv4",
        "endpoints": [
            {
                "addresses": ["10.244.0.5"],
                "conditions": {"ready": False, "serving": True},
                "hostname": "web-1",
                "targetRef": {"kind": "Pod", "name": "web-1"},
                "nodeName": "node-1",
                "zone": "z1",
                "hints": {"forZones": [{"name": "z1"}]},
            }
        ],
        "ports": [{"name": "", "protocol": "TCP", "port": 8080}],  # pointers: an empty name stays
    }


def test_pod_disruption_budget_with_disrupted_pods() -> None:
    spec = msg(2, int_or_string(1, "50%"), selector(2, app="web"), ld(4, "AlwaysAllow"))
    disrupted = msg(2, ld(1, "web-1"), ts(2, T_2024))
    status = msg(3, num(1, 3), disrupted, num(3, 1), num(4, 2), num(5, 1), num(6, 2))
    raw = body("policy/v1", "PodDisruptionBudget", meta("web", "default"), spec, status)
    assert decode_kubernetes_protobuf(raw) == {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "minAvailable": "50%",
            "selector": SELECTOR_JSON,
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
        "status": {
            "observedGeneration": 3,
            "disruptedPods": {"web-1": JAN_1},
            "disruptionsAllowed": 1,
            "currentHealthy": 2,
            "desiredHealthy": 1,
            "expectedPods": 2,
        },
    }


def test_network_policy_rules() -> None:
    ingress = msg(
        2,
        msg(1, ld(1, "TCP"), int_or_string(2, 8000), num(3, 9000)),
        msg(2, msg(3, ld(1, "10.0.0.0/8"), ld(2, "10.1.0.0/16"))),
        msg(2, msg(2, labels(1, team="a")), msg(1)),
    )
    egress = msg(3, msg(1, int_or_string(2, "dns")), msg(2, msg(2)))
    spec = msg(2, msg(1), ingress, egress, ld(4, "Ingress"), ld(4, "Egress"))
    raw = body("networking.k8s.io/v1", "NetworkPolicy", meta("web", "default"), spec)
    assert decode_kubernetes_protobuf(raw) == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "podSelector": {},  # an empty selector selects every pod: it is kept
            "ingress": [
                {
                    "ports": [{"protocol": "TCP", "port": 8000, "endPort": 9000}],
                    "from": [
                        {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                        {"namespaceSelector": {"matchLabels": {"team": "a"}}, "podSelector": {}},
                    ],
                }
            ],
            "egress": [{"ports": [{"port": "dns"}], "to": [{"namespaceSelector": {}}]}],
            "policyTypes": ["Ingress", "Egress"],
        },
    }


def test_priority_class_value_is_always_written() -> None:
    raw = body(
        "scheduling.k8s.io/v1", "PriorityClass", meta("high"), num(3, 1), ld(4, "important"), ld(5, "Never")
    )
    assert decode_kubernetes_protobuf(raw) == {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "high"},
        "value": 0,
        "globalDefault": True,
        "description": "important",
        "preemptionPolicy": "Never",
    }


def test_storage_class_and_csi_driver() -> None:
    topology = msg(8, msg(1, ld(1, "topology.kubernetes.io/zone"), ld(2, "z1"), ld(2, "z2")))
    raw = body(
        "storage.k8s.io/v1",
        "StorageClass",
        meta("fast"),
        ld(2, "csi.example.com"),
        entry(3, "type", "ssd"),
        ld(4, "Retain"),
        ld(5, "noatime"),
        num(6, 0),
        ld(7, "WaitForFirstConsumer"),
        topology,
    )
    assert decode_kubernetes_protobuf(raw) == {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "fast"},
        "provisioner": "csi.example.com",
        "parameters": {"type": "ssd"},
        "reclaimPolicy": "Retain",
        "mountOptions": ["noatime"],
        "allowVolumeExpansion": False,
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowedTopologies": [
            {"matchLabelExpressions": [{"key": "topology.kubernetes.io/zone", "values": ["z1", "z2"]}]}
        ],
    }
    spec = msg(
        2, num(1, 0), num(2, 1), ld(3, "Persistent"), ld(3, "Ephemeral"), ld(5, "File"), msg(6, num(2, 3600))
    )
    assert decode_kubernetes_protobuf(
        body("storage.k8s.io/v1", "CSIDriver", meta("csi.example.com"), spec)
    ) == {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "CSIDriver",
        "metadata": {"name": "csi.example.com"},
        "spec": {
            "attachRequired": False,
            "podInfoOnMount": True,
            "volumeLifecycleModes": ["Persistent", "Ephemeral"],
            "fsGroupPolicy": "File",
            "tokenRequests": [{"audience": "", "expirationSeconds": 3600}],
        },
    }


def test_scale_subresource_body() -> None:
    # kubectl scale sends a patch; client-go's typed UpdateScale sends this body
    raw = body("autoscaling/v1", "Scale", meta("web", "default"), msg(2, num(1, 0)), msg(3, ld(2, "app=web")))
    assert decode_kubernetes_protobuf(raw) == {
        "apiVersion": "autoscaling/v1",
        "kind": "Scale",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {},  # spec.replicas is omitempty: scaling to zero over JSON sends {} too
        "status": {"replicas": 0, "selector": "app=web"},
    }


def test_token_request() -> None:
    spec = msg(
        2,
        ld(1, "https://kubernetes.default.svc"),
        num(4, 3600),
        msg(3, ld(1, "Pod"), ld(2, "v1"), ld(3, "web-1")),
    )
    raw = body(
        "authentication.k8s.io/v1", "TokenRequest", meta("robot", "default"), spec, msg(3, ts(2, T_2024))
    )
    assert decode_kubernetes_protobuf(raw) == {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "metadata": {"name": "robot", "namespace": "default"},
        "spec": {
            "audiences": ["https://kubernetes.default.svc"],
            "expirationSeconds": 3600,
            "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "web-1"},
        },
        "status": {"token": "", "expirationTimestamp": JAN_1},
    }


# --- round trips: the project's own objects, encoded through the tables, decode unchanged ---------------


def test_objects_round_trip_through_the_tables() -> None:
    ds = builders.daemonset("agent", namespace="kube-system", uid="ds-uid", generation=2)
    objects = [
        running_pod(),
        builders.node(
            "node-1",
            labels={"kubernetes.io/hostname": "node-1"},
            taints=[{"key": "k", "effect": "NoSchedule"}],
            allocatable={"cpu": "4", "memory": "8Gi", "pods": "110"},
            conditions=[builders.condition("Ready", lastHeartbeatTime="2024-01-01T00:00:00Z")],
        ),
        ds,
        builders.revision(
            "agent-1", namespace="kube-system", data={"spec": {"template": {"$patch": "replace"}}}
        ),
        builders.lease("node-1", namespace="kube-node-lease", holder="node-1", duration=40),
        builders.namespace("team-a", labels={"team": "a"}),
        builders.replicaset("web-1", namespace="default", replicas=3, owners=[builders.owner_ref(ds)]),
        builders.deployment("web", namespace="default", replicas=0),
    ]
    for obj in objects:
        assert decode_kubernetes_protobuf(encode_object(obj)) == obj, obj["kind"]

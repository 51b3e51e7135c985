"""Pod and pod-spec validation: what users most often get wrong, and the pod update rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.apiserver.kinds import kind_of
from everynode.core.types import Obj
from tests import builders

C0 = "spec.containers[0]"


def pod(**spec: Any) -> Obj:
    obj = builders.pod(
        "web-7x2kq",
        namespace="shop",
        uid="0b7e3c52-0000-4000-8000-00000000000a",
        resource_version="42",
        created="2025-03-01T08:00:00Z",
        phase="Pending",
        **{"containers": [container()], **spec},
    )
    kind_of("pods").apply_defaults(obj)
    return obj


def errors(obj: Obj) -> list[str]:
    return [str(e) for e in kind_of("pods").validate_create(obj)]


def container(name: str = "web", *, image: str = "nginx:1.27", **fields: Any) -> Obj:
    return builders.container(name, image=image, **fields)


def test_a_defaulted_pod_is_valid() -> None:
    assert errors(pod()) == []


@pytest.mark.parametrize(
    ("ctr", "expected"),
    [
        (
            container(name="Web"),
            [
                f'{C0}.name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case '
                "alphanumeric "
                "characters or '-', and must start and end with an alphanumeric character (e.g. "
                "'my-name',  or "
                "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            ],
        ),
        (container(name=""), [f"{C0}.name: Required value"]),
        (container(image=""), [f"{C0}.image: Required value"]),
        (
            container(image=" nginx"),
            [f'{C0}.image: Invalid value: " nginx": must not have leading or trailing whitespace'],
        ),
        (container(ports=[{"containerPort": 0}]), [f"{C0}.ports[0].containerPort: Required value"]),
        (
            container(ports=[{"containerPort": 70000}]),
            [f"{C0}.ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"],
        ),
        (
            container(ports=[{"containerPort": 80, "protocol": "HTTP"}]),
            [f'{C0}.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'],
        ),
        (
            container(ports=[{"containerPort": 80, "name": "http"}, {"containerPort": 81, "name": "http"}]),
            [f'{C0}.ports[1].name: Duplicate value: "http"'],
        ),
        (
            container(
                ports=[{"containerPort": 80, "hostPort": 8080}, {"containerPort": 81, "hostPort": 8080}]
            ),
            [f'{C0}.ports[1].hostPort: Duplicate value: "TCP//8080"'],
        ),
        (container(env=[{"value": "x"}]), [f"{C0}.env[0].name: Required value"]),
        (
            container(env=[{"name": "A=B"}]),
            [
                f'{C0}.env[0].name: Invalid value: "A=B": a valid environment variable name must consist '
                "only of "
                "printable ASCII characters other than '='"
            ],
        ),
        (
            container(env=[{"name": "A", "valueFrom": {}}]),
            [
                f'{C0}.env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, '
                "`resourceFieldRef`, "
                "`configMapKeyRef` or `secretKeyRef`"
            ],
        ),
        (
            container(
                env=[{"name": "A", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
            ),
            [f'{C0}.env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty'],
        ),
        (
            container(env=[{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "status.phase"}}}]),
            [
                f'{C0}.env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "status.phase": supported '
                "values: "
                '"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", '
                '"spec.serviceAccountName", '
                '"status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"'
            ],
        ),
        (
            container(env=[{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "spec.nothing"}}}]),
            [
                f'{C0}.env[0].valueFrom.fieldRef.fieldPath: Invalid value: "spec.nothing": '
                "error converting fieldPath: field label not supported: spec.nothing"
            ],
        ),
        (
            container(volumeMounts=[{"name": "data", "mountPath": "/data"}]),
            [f'{C0}.volumeMounts[0].name: Not found: "data"'],
        ),
        (
            container(imagePullPolicy="Sometimes"),
            [
                f'{C0}.imagePullPolicy: Unsupported value: "Sometimes": supported values: '
                '"Always", "IfNotPresent", "Never"'
            ],
        ),
        (
            container(livenessProbe={"httpGet": {"port": 80}, "successThreshold": 2}),
            [f"{C0}.livenessProbe.successThreshold: Invalid value: 2: must be 1"],
        ),
        (
            container(readinessProbe={"periodSeconds": 5}),
            [f"{C0}.readinessProbe: Required value: must specify a handler type"],
        ),
        (
            container(readinessProbe={"exec": {"command": ["true"]}, "tcpSocket": {"port": 80}}),
            [f"{C0}.readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"],
        ),
        (
            container(startupProbe={"httpGet": {"port": "http-80-port-too-long"}}),
            [
                f'{C0}.startupProbe.httpGet.port: Invalid value: "http-80-port-too-long": must be no '
                "more than 15 characters"
            ],
        ),
        (
            container(securityContext={"privileged": True, "allowPrivilegeEscalation": False}),
            [
                f"{C0}.securityContext: Invalid value: "
                f'{{"allowPrivilegeEscalation":false,"privileged":true}}: '
                "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"
            ],
        ),
        (
            container(restartPolicy="Always"),
            [f"{C0}.restartPolicy: Forbidden: may not be set for non-init containers"],
        ),
    ],
)
def test_container_rules(ctr: Obj, expected: list[str]) -> None:
    assert errors(pod(containers=[ctr])) == expected


def test_container_names_are_unique() -> None:
    assert errors(pod(containers=[container(), container(image="busybox")])) == [
        'spec.containers[1].name: Duplicate value: "web"'
    ]


def test_init_container_names_may_not_clash_with_containers() -> None:
    assert errors(pod(initContainers=[container(image="busybox")])) == [
        'spec.initContainers[0].name: Duplicate value: "web"'
    ]


def test_init_containers_have_no_probes_unless_they_are_sidecars() -> None:
    probe = {"exec": {"command": ["true"]}}
    assert errors(pod(initContainers=[container(name="init", readinessProbe=probe)])) == [
        "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without "
        "restartPolicy=Always"
    ]
    assert (
        errors(pod(initContainers=[container(name="init", readinessProbe=probe, restartPolicy="Always")]))
        == []
    )


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}}, []),
        (
            {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}},
            [f'{C0}.resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
        ),
        (
            {"requests": {"memory": "1Gi"}, "limits": {"memory": "512Mi"}},
            [
                f'{C0}.resources.requests: Invalid value: "1Gi": must be less than or equal to memory '
                "limit of 512Mi"
            ],
        ),
        (
            {"requests": {"cpu": "two"}},
            [
                f'{C0}.resources.requests[cpu]: Invalid value: "two": quantities must match the regular '
                "expression "
                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
            ],
        ),
        (
            {"requests": {"memory": "-1Mi"}},
            [f'{C0}.resources.requests[memory]: Invalid value: "-1Mi": must be greater than or equal to 0'],
        ),
        (
            {"requests": {"gpu": "1"}},
            [
                f'{C0}.resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type '
                "or fully qualified",
                f'{C0}.resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for '
                "containers",
            ],
        ),
        (
            {"requests": {"example.com/gpu": "1"}},
            [f"{C0}.resources.limits: Required value: Limit must be set for non overcommitable resources"],
        ),
        (
            {"requests": {"example.com/gpu": "500m"}, "limits": {"example.com/gpu": "500m"}},
            [
                f"{C0}.resources.limits[example.com/gpu]: Invalid value: 500m: must be an integer",
                f"{C0}.resources.requests[example.com/gpu]: Invalid value: 500m: must be an integer",
            ],
        ),
    ],
)
def test_resource_rules(resources: Obj, expected: list[str]) -> None:
    spec_pod = pod(containers=[container(resources=resources)])
    assert errors(spec_pod) == expected


@pytest.mark.parametrize(
    ("volumes", "expected"),
    [
        ([{"name": "cache", "emptyDir": {}}, {"name": "conf", "configMap": {"name": "web"}}], []),
        (
            [{"name": "Cache"}],
            ['spec.volumes[0].name: Invalid value: "Cache": a lowercase RFC 1123 label must'],
        ),
        ([{"name": "a"}, {"name": "a"}], ['spec.volumes[1].name: Duplicate value: "a"']),
        ([{"emptyDir": {}}], ["spec.volumes[0].name: Required value"]),
        (
            [{"name": "a", "emptyDir": {}, "hostPath": {"path": "/var/log"}}],
            ["spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type"],
        ),
        ([{"name": "logs", "hostPath": {"path": ""}}], ["spec.volumes[0].hostPath.path: Required value"]),
        (
            [{"name": "logs", "hostPath": {"path": "/var/../etc"}}],
            ["spec.volumes[0].hostPath.path: Invalid value: \"/var/../etc\": must not contain '..'"],
        ),
        (
            [{"name": "logs", "hostPath": {"path": "/var/log", "type": "Folder"}}],
            [
                'spec.volumes[0].hostPath.type: Unsupported value: "Folder": supported values: "", '
                '"BlockDevice", '
                '"CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"'
            ],
        ),
        ([{"name": "s", "secret": {}}], ["spec.volumes[0].secret.secretName: Required value"]),
        (
            [{"name": "s", "secret": {"secretName": "tls", "defaultMode": 1000}}],
            [
                "spec.volumes[0].secret.defaultMode: Invalid value: 1000: "
                "must be a number between 0 and 0777 (octal), both inclusive"
            ],
        ),
        (
            [{"name": "c", "configMap": {"name": "cfg", "items": [{"key": "a", "path": "/etc/a"}]}}],
            ['spec.volumes[0].configMap.items[0].path: Invalid value: "/etc/a": must be a relative path'],
        ),
        (
            [{"name": "pvc", "persistentVolumeClaim": {}}],
            ["spec.volumes[0].persistentVolumeClaim.claimName: Required value"],
        ),
    ],
)
def test_volume_rules(volumes: list[Obj], expected: list[str]) -> None:
    found = errors(pod(volumes=volumes))
    assert len(found) == len(expected)
    for got, want in zip(found, expected, strict=True):
        assert got.startswith(want)


def test_mounts_of_an_invalid_volume_are_not_found() -> None:
    found = errors(
        pod(
            volumes=[{"name": "s", "secret": {}}],
            containers=[container(volumeMounts=[{"name": "s", "mountPath": "/s"}])],
        )
    )
    assert found == [
        "spec.volumes[0].secret.secretName: Required value",
        f'{C0}.volumeMounts[0].name: Not found: "s"',
    ]


def test_mount_paths_are_unique() -> None:
    mounts = [{"name": "a", "mountPath": "/data"}, {"name": "a", "mountPath": "/data"}]
    found = errors(pod(volumes=[{"name": "a"}], containers=[container(volumeMounts=mounts)]))
    assert found == [f'{C0}.volumeMounts[1].mountPath: Invalid value: "/data": must be unique']


@pytest.mark.parametrize(
    ("tolerations", "expected"),
    [
        (
            [
                {"operator": "Exists"},
                {"key": "gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"},
            ],
            [],
        ),
        (
            [{"key": "gpu", "operator": "Exists", "value": "true"}],
            [
                'spec.tolerations[0].operator: Invalid value: "true": value must be empty when '
                "`operator` is 'Exists'"
            ],
        ),
        (
            [{"operator": "Equal", "value": "x"}],
            [
                'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when '
                "`key` is empty, "
                'which means "match all values and all keys"'
            ],
        ),
        (
            [{"key": "gpu", "operator": "Exists", "effect": "NoScheduleNow"}],
            [
                'spec.tolerations[0].effect: Unsupported value: "NoScheduleNow": supported values: '
                '"NoSchedule", "PreferNoSchedule", "NoExecute"'
            ],
        ),
        (
            [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 60}],
            [
                'spec.tolerations[0].effect: Invalid value: "NoSchedule": '
                "effect must be 'NoExecute' when `tolerationSeconds` is set"
            ],
        ),
        (
            [{"key": "gpu", "operator": "Greater"}],
            [
                'spec.tolerations[0].operator: Unsupported value: "Greater": supported values: "Equal", '
                '"Exists"'
            ],
        ),
    ],
)
def test_toleration_rules(tolerations: list[Obj], expected: list[str]) -> None:
    assert errors(pod(tolerations=tolerations)) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {"restartPolicy": "Sometimes"},
            [
                'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", '
                '"OnFailure", "Never"'
            ],
        ),
        (
            {"dnsPolicy": "Google"},
            [
                'spec.dnsPolicy: Unsupported value: "Google": supported values: '
                '"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'
            ],
        ),
        (
            {"dnsPolicy": "None"},
            ["spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"],
        ),
        (
            {"nodeSelector": {"disk": "fast ssd"}},
            ['spec.nodeSelector: Invalid value: "fast ssd": a valid label must'],
        ),
        (
            {"activeDeadlineSeconds": 0},
            ["spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"],
        ),
        ({"nodeName": "Node_1"}, ['spec.nodeName: Invalid value: "Node_1": a lowercase RFC 1123 subdomain']),
        ({"hostname": "a.b"}, ['spec.hostname: Invalid value: "a.b": must not contain dots']),
        (
            {"priorityClassName": "High"},
            ['spec.priorityClassName: Invalid value: "High": a lowercase RFC 1123 subdomain'],
        ),
        (
            {"securityContext": {"runAsUser": -1}},
            [
                "spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 4294967295, "
                "inclusive"
            ],
        ),
        (
            {"imagePullSecrets": [{"name": "reg", "namespace": "x"}]},
            ['spec.imagePullSecrets[0]: Invalid value: {"name":"reg","namespace":"x"}: only name may be set'],
        ),
        (
            {"hostNetwork": True, "containers": [container(ports=[{"containerPort": 80, "hostPort": 81}])]},
            [
                f"{C0}.ports[0].hostPort: Invalid value: 81: must match `containerPort` when "
                "`hostNetwork` is true"
            ],
        ),
        (
            {"ephemeralContainers": [container(name="debug")]},
            ["spec.ephemeralContainers: Forbidden: cannot be set on create"],
        ),
    ],
)
def test_pod_spec_rules(spec: Obj, expected: list[str]) -> None:
    found = errors(pod(**spec))
    assert len(found) == len(expected)
    for got, want in zip(found, expected, strict=True):
        assert got.startswith(want)


@pytest.mark.parametrize(
    ("affinity", "expected"),
    [
        (
            {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchFields": [
                                    {"key": "metadata.name", "operator": "In", "values": ["node-1"]}
                                ]
                            }
                        ]
                    }
                }
            },
            [],
        ),
        (
            {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}},
            [
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
                ".nodeSelectorTerms: Required value: must have at least one node selector term"
            ],
        ),
        (
            {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchFields": [{"key": "metadata.uid", "operator": "In", "values": ["x"]}]}
                        ]
                    }
                }
            },
            [
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                '.matchFields[0].key: Invalid value: "metadata.uid": not a valid field selector key'
            ],
        ),
        (
            {
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 0,
                            "preference": {"matchExpressions": [{"key": "zone", "operator": "Exists"}]},
                        }
                    ]
                }
            },
            [
                "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: "
                "Invalid value: 0: must be in the range 1-100"
            ],
        ),
        (
            {
                "podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "labelSelector": {"matchLabels": {"app": "web"}},
                            "topologyKey": "kubernetes.io/hostname",
                        }
                    ]
                }
            },
            [],
        ),
    ],
)
def test_affinity_rules(affinity: Obj, expected: list[str]) -> None:
    assert errors(pod(affinity=affinity)) == expected


# -- update ---------------------------------------------------------------------------------------

UPDATABLE = (
    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)


def updated(old: Obj, change: Any) -> list[str]:
    new = copy.deepcopy(old)
    change(new["spec"])
    return [str(e) for e in kind_of("pods").validate_update(new, old)]


def test_image_changes_are_allowed() -> None:
    assert updated(pod(), lambda s: s["containers"][0].update(image="nginx:1.28")) == []


def test_tolerations_may_be_added_but_not_changed() -> None:
    old = pod(
        tolerations=[{"key": "a", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10}]
    )
    assert updated(old, lambda s: s["tolerations"].append({"key": "b", "operator": "Exists"})) == []
    assert updated(old, lambda s: s["tolerations"][0].update(tolerationSeconds=5)) == []
    assert updated(old, lambda s: s["tolerations"][0].update(key="c")) == [
        "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"
    ]


def test_active_deadline_may_only_shrink() -> None:
    assert updated(pod(), lambda s: s.update(activeDeadlineSeconds=100)) == []
    old = pod(activeDeadlineSeconds=100)
    assert updated(old, lambda s: s.update(activeDeadlineSeconds=50)) == []
    assert updated(old, lambda s: s.update(activeDeadlineSeconds=200)) == [
        "spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value"
    ]
    assert updated(old, lambda s: s.pop("activeDeadlineSeconds")) == [
        "spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil "
        "value"
    ]


def test_binding_through_an_update_is_forbidden() -> None:
    (err,) = updated(pod(), lambda s: s.update(nodeName="node-1"))
    assert err.startswith(f"spec: Forbidden: {UPDATABLE}\n")
    assert '+ \tNodeName: "node-1",' in err


def test_other_spec_changes_are_forbidden() -> None:
    (err,) = updated(pod(), lambda s: s["containers"][0].update(env=[{"name": "A", "value": "1"}]))
    assert err.startswith(f"spec: Forbidden: {UPDATABLE}\n")


def test_containers_may_not_be_added() -> None:
    def add(spec: Obj) -> None:
        spec["containers"].append(copy.deepcopy(spec["containers"][0]) | {"name": "sidecar"})

    assert updated(pod(), add) == ["spec.containers: Forbidden: pod updates may not add or remove containers"]


def test_scheduling_gates_may_only_be_removed() -> None:
    old = pod(schedulingGates=[{"name": "example.com/wait"}])
    assert updated(old, lambda s: s.update(schedulingGates=[])) == []
    assert updated(old, lambda s: s["schedulingGates"].append({"name": "example.com/more"})) == [
        "spec.schedulingGates[1].name: Forbidden: only deletion is allowed, but found new scheduling gate "
        "'example.com/more'"
    ]


def test_a_gated_pod_may_gain_node_selector_entries() -> None:
    old = pod(schedulingGates=[{"name": "example.com/wait"}], nodeSelector={"zone": "a"})
    assert updated(old, lambda s: s["nodeSelector"].update(disk="ssd")) == []
    assert updated(old, lambda s: s.update(nodeSelector={})) != []


def test_termination_grace_may_go_from_negative_to_one() -> None:
    old = pod(terminationGracePeriodSeconds=-5)
    assert updated(old, lambda s: s.update(terminationGracePeriodSeconds=1)) == []
    assert updated(old, lambda s: s.update(terminationGracePeriodSeconds=2)) != []


# -- status ---------------------------------------------------------------------------------------


def status_errors(old: Obj, change: Any) -> list[str]:
    new = copy.deepcopy(old)
    change(new)
    return [str(e) for e in kind_of("pods").validate_status_update(new, old)]


def test_status_may_report_running() -> None:
    def running(p: Obj) -> None:
        p["status"].update(
            phase="Running",
            hostIP="10.0.0.5",
            hostIPs=[{"ip": "10.0.0.5"}],
            podIP="10.244.0.7",
            podIPs=[{"ip": "10.244.0.7"}, {"ip": "fd00::7"}],
        )
        p["status"]["conditions"] = [
            {"type": "Ready", "status": "True"},
            {"type": "example.com/Warm", "status": "True"},
        ]

    assert status_errors(pod(), running) == []


def test_qos_class_is_immutable() -> None:
    assert status_errors(pod(), lambda p: p["status"].update(qosClass="Guaranteed")) == [
        'status.qosClass: Invalid value: "Guaranteed": field is immutable'
    ]


def test_pod_ips_one_per_family_and_valid() -> None:
    assert status_errors(
        pod(), lambda p: p["status"].update(podIPs=[{"ip": "10.0.0.1"}, {"ip": "10.0.0.1"}])
    ) == [
        'status.podIPs: Invalid value: [{"ip":"10.0.0.1"},{"ip":"10.0.0.1"}]: may specify no more than '
        "one IP for each IP family",
        'status.podIPs[1]: Duplicate value: {"ip":"10.0.0.1"}',
    ]
    assert status_errors(pod(), lambda p: p["status"].update(podIPs=[{"ip": "ten"}])) == [
        'status.podIPs[0]: Invalid value: "ten": must be a valid IP address, (e.g. 10.9.8.7 or '
        "2001:db8::ffff)"
    ]


def test_terminated_containers_stay_terminated_without_restart_always() -> None:
    old = pod(restartPolicy="Never")
    old["status"]["containerStatuses"] = [{"name": "web", "state": {"terminated": {"exitCode": 0}}}]
    assert status_errors(
        old, lambda p: p["status"].update(containerStatuses=[{"name": "web", "state": {"running": {}}}])
    ) == ["status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state"]


def test_status_cannot_bind() -> None:
    assert status_errors(pod(), lambda p: p["spec"].update(nodeName="node-1")) == [
        "status.nodeName: Forbidden: may not be changed directly"
    ]

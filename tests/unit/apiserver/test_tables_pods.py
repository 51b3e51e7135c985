"""Pod rows: READY, STATUS and RESTARTS as upstream's printer computes them, and the wide cells."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from everynode.apiserver.kinds import kind_of
from everynode.apiserver.tables import render_table
from everynode.core.types import Obj
from tests import builders

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def ago(**elapsed: float) -> str:
    return (NOW - timedelta(**elapsed)).isoformat().replace("+00:00", "Z")


def pod(
    *,
    phase: str = "Running",
    containers: int = 1,
    statuses: list[Obj] | None = None,
    init: list[Obj] | None = None,
    init_statuses: list[Obj] | None = None,
    conditions: list[Obj] | None = None,
    reason: str | None = None,
    deleting: bool = False,
    extra_status: Obj | None = None,
    extra_spec: Obj | None = None,
) -> Obj:
    status = builders.present(
        containerStatuses=statuses, initContainerStatuses=init_statuses, conditions=conditions, reason=reason
    )
    return builders.pod(
        "web-0",
        namespace="default",
        created=ago(minutes=42),
        deleted=ago(seconds=5) if deleting else None,
        containers=[builders.container(f"c{i}", image="busybox") for i in range(containers)],
        phase=phase,
        status=status | (extra_status or {}),
        **builders.present(initContainers=init),
        **(extra_spec or {}),
    )


def running(*, ready: bool = True, restarts: int = 0, last_finished: str | None = None) -> Obj:
    status: Obj = {"name": "c", "ready": ready, "restartCount": restarts, "state": {"running": {}}}
    if last_finished is not None:
        status["lastState"] = {"terminated": {"exitCode": 1, "finishedAt": last_finished}}
    return status


def waiting(reason: str, *, restarts: int = 0) -> Obj:
    return {"name": "c", "ready": False, "restartCount": restarts, "state": {"waiting": {"reason": reason}}}


def terminated(*, exit_code: int = 0, reason: str | None = None, signal: int | None = None) -> Obj:
    term: Obj = {"exitCode": exit_code}
    if reason is not None:
        term["reason"] = reason
    if signal is not None:
        term["signal"] = signal
    return {"name": "c", "ready": False, "restartCount": 0, "state": {"terminated": term}}


def named(status: Obj, name: str) -> Obj:
    return {**status, "name": name}


READY = {"type": "Ready", "status": "True"}
INITIALIZED = {"type": "Initialized", "status": "True"}
SIDECAR = {"name": "sidecar", "image": "envoy", "restartPolicy": "Always"}


def summary(p: Obj) -> list[Any]:
    (row,) = render_table(kind_of("pods"), [p], now=NOW)["rows"]
    return list(row["cells"][1:4])


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        pytest.param(pod(phase="Pending", containers=2), ["0/2", "Pending", "0"], id="pending-no-statuses"),
        pytest.param(
            pod(phase="Pending", statuses=[waiting("ContainerCreating")]),
            ["0/1", "ContainerCreating", "0"],
            id="container-creating",
        ),
        pytest.param(pod(statuses=[running()]), ["1/1", "Running", "0"], id="running-ready"),
        pytest.param(pod(statuses=[running(ready=False)]), ["0/1", "Running", "0"], id="running-not-ready"),
        pytest.param(
            pod(statuses=[running(restarts=3, last_finished=ago(minutes=5))]),
            ["1/1", "Running", "3 (5m ago)"],
            id="restarts-with-time",
        ),
        pytest.param(
            pod(statuses=[running(restarts=3)]), ["1/1", "Running", "3"], id="restarts-without-time"
        ),
        pytest.param(
            pod(statuses=[waiting("CrashLoopBackOff", restarts=6)]),
            ["0/1", "CrashLoopBackOff", "6"],
            id="crashloop",
        ),
        pytest.param(
            pod(containers=2, statuses=[named(waiting("ErrImagePull"), "c0"), named(running(), "c1")]),
            ["1/2", "ErrImagePull", "0"],
            id="first-container-reason-wins",
        ),
        pytest.param(
            pod(phase="Succeeded", statuses=[terminated(reason="Completed")]),
            ["0/1", "Completed", "0"],
            id="completed",
        ),
        pytest.param(
            pod(phase="Failed", statuses=[terminated(exit_code=137, reason="OOMKilled")]),
            ["0/1", "OOMKilled", "0"],
            id="oomkilled",
        ),
        pytest.param(
            pod(phase="Failed", statuses=[terminated(exit_code=2)]),
            ["0/1", "ExitCode:2", "0"],
            id="exit-code",
        ),
        pytest.param(
            pod(phase="Failed", statuses=[terminated(exit_code=137, signal=9)]),
            ["0/1", "Signal:9", "0"],
            id="signal",
        ),
        pytest.param(
            pod(containers=2, statuses=[terminated(reason="Completed"), running()], conditions=[READY]),
            ["1/2", "Running", "0"],
            id="completed-but-running-ready",
        ),
        pytest.param(
            pod(containers=2, statuses=[terminated(reason="Completed"), running()]),
            ["1/2", "NotReady", "0"],
            id="completed-but-running-not-ready",
        ),
        pytest.param(
            pod(phase="Failed", reason="Evicted", statuses=[terminated(exit_code=137, signal=9)]),
            ["0/1", "Signal:9", "0"],
            id="container-reason-beats-pod-reason",
        ),
        pytest.param(pod(phase="Failed", reason="Evicted"), ["0/1", "Evicted", "0"], id="pod-reason"),
        pytest.param(
            pod(phase="Pending", conditions=[{"type": "PodScheduled", "reason": "SchedulingGated"}]),
            ["0/1", "SchedulingGated", "0"],
            id="scheduling-gated",
        ),
        pytest.param(pod(deleting=True, statuses=[running()]), ["1/1", "Terminating", "0"], id="terminating"),
        pytest.param(
            pod(phase="Succeeded", deleting=True, statuses=[terminated(reason="Completed")]),
            ["0/1", "Completed", "0"],
            id="deleting-finished-pod-keeps-reason",
        ),
        pytest.param(
            pod(deleting=True, reason="NodeLost", statuses=[running()]),
            ["1/1", "Unknown", "0"],
            id="node-lost",
        ),
    ],
)
def test_pod_status(p: Obj, expected: list[Any]) -> None:
    assert summary(p) == expected


INIT2 = [{"name": "i0", "image": "busybox"}, {"name": "i1", "image": "busybox"}]


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        pytest.param(
            pod(phase="Pending", init=INIT2, init_statuses=[named(waiting("PodInitializing"), "i0")]),
            ["0/1", "Init:0/2", "0"],
            id="first-init-pending",
        ),
        pytest.param(
            pod(
                phase="Pending",
                init=INIT2,
                init_statuses=[named(terminated(), "i0"), named(running(ready=False), "i1")],
            ),
            ["0/1", "Init:1/2", "0"],
            id="second-init-running",
        ),
        pytest.param(
            pod(
                phase="Pending",
                init=INIT2,
                init_statuses=[
                    named(terminated(), "i0"),
                    named(waiting("CrashLoopBackOff", restarts=4), "i1"),
                ],
                statuses=[running(restarts=9)],
            ),
            ["0/1", "Init:CrashLoopBackOff", "4"],
            id="init-crashloop-counts-init-restarts",
        ),
        pytest.param(
            pod(
                phase="Pending",
                init=INIT2,
                init_statuses=[named(terminated(exit_code=1, reason="Error"), "i0")],
            ),
            ["0/1", "Init:Error", "0"],
            id="init-error",
        ),
        pytest.param(
            pod(phase="Pending", init=INIT2, init_statuses=[named(terminated(exit_code=3), "i0")]),
            ["0/1", "Init:ExitCode:3", "0"],
            id="init-exit-code",
        ),
        pytest.param(
            pod(phase="Pending", init=INIT2, init_statuses=[named(terminated(exit_code=1, signal=15), "i0")]),
            ["0/1", "Init:Signal:15", "0"],
            id="init-signal",
        ),
        pytest.param(
            pod(
                init=INIT2,
                init_statuses=[named(terminated(), "i0"), named(terminated(), "i1")],
                statuses=[running()],
            ),
            ["1/1", "Running", "0"],
            id="init-done",
        ),
        pytest.param(
            pod(
                init=INIT2,
                init_statuses=[named(waiting("ImagePullBackOff"), "i0")],
                statuses=[waiting("ContainerCreating")],
                conditions=[INITIALIZED],
            ),
            ["0/1", "ContainerCreating", "0"],
            id="initialized-condition-lets-containers-decide",
        ),
        pytest.param(
            pod(
                init=INIT2,
                init_statuses=[named(waiting("ImagePullBackOff"), "i0")],
                statuses=[running()],
                conditions=[INITIALIZED],
            ),
            ["1/1", "Init:ImagePullBackOff", "0"],
            id="running-container-keeps-init-reason",
        ),
        pytest.param(
            pod(
                init=[SIDECAR],
                init_statuses=[
                    {
                        **running(restarts=2, last_finished=ago(minutes=10)),
                        "name": "sidecar",
                        "started": True,
                    }
                ],
                statuses=[running(restarts=1, last_finished=ago(minutes=3))],
            ),
            ["2/2", "Running", "3 (3m ago)"],
            id="sidecar-counted",
        ),
        pytest.param(
            pod(
                phase="Pending",
                init=[SIDECAR, {"name": "setup", "image": "busybox"}],
                init_statuses=[
                    {**running(ready=False), "name": "sidecar", "started": True},
                    named(running(ready=False), "setup"),
                ],
            ),
            ["0/2", "Init:1/2", "0"],
            id="sidecar-started-then-regular-init",
        ),
        pytest.param(
            pod(
                phase="Pending",
                init=[SIDECAR],
                init_statuses=[{**waiting("PodInitializing"), "name": "sidecar", "started": False}],
            ),
            ["0/2", "Init:0/1", "0"],
            id="sidecar-not-started",
        ),
    ],
)
def test_pod_init_status(p: Obj, expected: list[Any]) -> None:
    assert summary(p) == expected


def test_pod_columns() -> None:
    table = render_table(kind_of("pods"), [], now=NOW)
    assert [(c["name"], c["type"], c["priority"]) for c in table["columnDefinitions"]] == [
        ("Name", "string", 0),
        ("Ready", "string", 0),
        ("Status", "string", 0),
        ("Restarts", "string", 0),
        ("Age", "string", 0),
        ("IP", "string", 1),
        ("Node", "string", 1),
        ("Nominated Node", "string", 1),
        ("Readiness Gates", "string", 1),
    ]


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        pytest.param(
            pod(statuses=[running()]),
            ["web-0", "1/1", "Running", "0", "42m", "<none>", "<none>", "<none>", "<none>"],
            id="nothing-assigned",
        ),
        pytest.param(
            pod(
                statuses=[running()],
                extra_spec={
                    "nodeName": "node-a",
                    "readinessGates": [{"conditionType": "lb/ready"}, {"conditionType": "mesh/ready"}],
                },
                extra_status={
                    "podIP": "10.0.0.9",
                    "podIPs": [{"ip": "10.0.0.9"}, {"ip": "fd00::9"}],
                    "nominatedNodeName": "node-b",
                    "conditions": [
                        {"type": "lb/ready", "status": "True"},
                        {"type": "mesh/ready", "status": "False"},
                    ],
                },
            ),
            ["web-0", "1/1", "Running", "0", "42m", "10.0.0.9", "node-a", "node-b", "1/2"],
            id="all-wide-cells",
        ),
        pytest.param(
            pod(statuses=[running()], extra_status={"podIP": "10.0.0.7"}),
            ["web-0", "1/1", "Running", "0", "42m", "10.0.0.7", "<none>", "<none>", "<none>"],
            id="pod-ip-without-pod-ips",
        ),
        pytest.param(
            pod(statuses=[running()], extra_spec={"readinessGates": [{"conditionType": "x"}]}),
            ["web-0", "1/1", "Running", "0", "42m", "<none>", "<none>", "<none>", "0/1"],
            id="gate-without-condition",
        ),
    ],
)
def test_pod_wide_cells(p: Obj, expected: list[Any]) -> None:
    (row,) = render_table(kind_of("pods"), [p], now=NOW)["rows"]
    assert row["cells"] == expected


@pytest.mark.parametrize(
    ("phase", "conditions"),
    [
        (
            "Succeeded",
            [
                {
                    "type": "Completed",
                    "status": "True",
                    "reason": "Succeeded",
                    "message": "The pod has completed successfully.",
                }
            ],
        ),
        (
            "Failed",
            [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}],
        ),
        ("Running", None),
        ("Pending", None),
    ],
)
def test_pod_row_conditions(phase: str, conditions: list[Obj] | None) -> None:
    (row,) = render_table(kind_of("pods"), [pod(phase=phase)], now=NOW)["rows"]
    assert row.get("conditions") == conditions

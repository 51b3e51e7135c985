"""A simulated pod's log, told from its status; upstream's refusals when there is none to tell."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from everynode.apiserver.request.podlogs import choose_container, log_lines, refuse_connect, render
from everynode.core import errors
from everynode.core.timestamps import parse_time
from everynode.core.types import Obj
from tests.builders import container, pod

STARTED, FINISHED = "2026-12-08T01:00:00Z", "2026-12-08T01:00:30Z"
ENDED = {"exitCode": 1, "reason": "Error", "startedAt": STARTED, "finishedAt": FINISHED}


def running(name: str = "web", **annotations: str) -> Obj:
    obj = pod(name, namespace="ns", node="node-1", annotations=annotations or None)
    obj["status"] = {
        "phase": "Running",
        "containerStatuses": [
            {
                "name": "main",
                "image": "nginx:1.25",
                "restartCount": 1,
                "state": {"running": {"startedAt": STARTED}},
                "lastState": {
                    "terminated": {
                        "exitCode": 1,
                        "reason": "Error",
                        "startedAt": STARTED,
                        "finishedAt": FINISHED,
                    }
                },
            }
        ],
    }
    return obj


def texts(lines: list[tuple[str, str]]) -> list[str]:
    return [text for _, text in lines]


def test_the_current_run_tells_where_and_what_it_started() -> None:
    lines = log_lines(running(), "main", previous=False)
    assert texts(lines)[0] == 'everynode: container "main" started on node node-1 (image nginx:1.25)'
    assert "everynode: restart 1" in texts(lines)
    assert {at for at, _ in lines} == {STARTED}


def test_the_previous_run_tells_how_it_ended() -> None:
    lines = log_lines(running(**{"sim.everynode.io/fail-after": "30s"}), "main", previous=True)
    assert texts(lines)[-2:] == [
        "everynode: failure injected (sim.everynode.io/fail-after: 30s)",
        "everynode: container exited: Error (exit code 1)",
    ]
    assert lines[-1][0] == FINISHED


def test_no_previous_run_is_upstreams_400() -> None:
    fresh = running()
    del fresh["status"]["containerStatuses"][0]["lastState"]
    with pytest.raises(
        errors.BadRequest, match='previous terminated container "main" in pod "web" not found'
    ):
        log_lines(fresh, "main", previous=True)


def test_a_container_not_started_or_a_pod_not_scheduled_has_no_log() -> None:
    waiting = running()
    waiting["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "ImagePullBackOff"}}
    with pytest.raises(errors.BadRequest, match="is waiting to start: ImagePullBackOff"):
        log_lines(waiting, "main", previous=False)
    unscheduled = pod("p", namespace="ns")
    with pytest.raises(errors.BadRequest, match="pod p does not have a host assigned"):
        log_lines(unscheduled, "main", previous=False)


def test_a_pod_of_several_containers_needs_one_named() -> None:
    two = pod("web", namespace="ns", containers=[container("a"), container("b")])
    two["spec"]["initContainers"] = [container("init")]
    with pytest.raises(errors.BadRequest) as refused:
        choose_container(two, "")
    assert refused.value.message == (
        "a container name must be specified for pod web, choose one of: [a b] "
        "or one of the init containers: [init]"
    )
    assert choose_container(two, "b") == "b"
    with pytest.raises(errors.BadRequest, match="container c is not valid for pod web"):
        choose_container(two, "c")
    assert choose_container(pod("one", namespace="ns"), "") == "main"


def request(**query: str) -> SimpleNamespace:
    return SimpleNamespace(query=query)


def test_tail_timestamps_since_and_limit() -> None:
    lines = [
        ("2026-12-08T01:00:00Z", "one"),
        ("2026-12-08T01:00:10Z", "two"),
        ("2026-12-08T01:00:20Z", "three"),
    ]
    now = parse_time("2026-12-08T01:00:25Z") or 0.0
    assert render(lines, request(), now) == b"one\ntwo\nthree\n"  # type: ignore[arg-type]
    assert render(lines, request(tailLines="2"), now) == b"two\nthree\n"  # type: ignore[arg-type]
    assert render(lines, request(tailLines="0"), now) == b""  # type: ignore[arg-type]
    assert render(lines, request(sinceSeconds="20"), now) == b"two\nthree\n"  # type: ignore[arg-type]
    stamped = render(lines, request(timestamps="true", tailLines="1"), now)  # type: ignore[arg-type]
    assert stamped == b"2026-12-08T01:00:20Z three\n"
    assert render(lines, request(limitBytes="5"), now) == b"one\nt"  # type: ignore[arg-type]
    with pytest.raises(errors.BadRequest, match="tailLines must not be less than 0"):
        render(lines, request(tailLines="-1"), now)  # type: ignore[arg-type]


class Cache:
    def __init__(self, *pods: Obj) -> None:
        self.pods = {
            f"/registry/core/pods/{p['metadata']['namespace']}/{p['metadata']['name']}": p for p in pods
        }

    def get(self, key: str) -> Obj | None:
        return self.pods.get(key)


def test_exec_attach_and_port_forward_are_refused_with_a_status() -> None:
    cache = Cache(running())
    refusal = refuse_connect("ns", "web", "exec", cache)  # type: ignore[arg-type]
    assert refusal.code == 400
    assert "pod ns/web is simulated by everynode" in refusal.message
    assert "nothing to execute commands in" in refusal.message
    assert "forward ports to" in refuse_connect("ns", "web", "portforward", cache).message  # type: ignore[arg-type]
    assert refuse_connect("ns", "gone", "attach", cache).code == 404  # type: ignore[arg-type]

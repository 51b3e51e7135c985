"""First checks of the whole sync on the harness (the upstream cases live in test_upstream_*.py)."""

from __future__ import annotations

import copy
from typing import Any

from everynode.core import errors
from tests.unit.controllers.daemonset.harness import STRATEGIES, Harness, new_daemonset, rolling


async def test_five_nodes_get_five_pods_then_nothing_more() -> None:
    h = Harness()
    h.add_nodes(5)
    ds = new_daemonset(strategy=rolling(1))
    h.add(ds)
    await h.expect_sync(ds, 5, 0)
    cached = h.daemonset(ds)
    assert cached["status"]["desiredNumberScheduled"] == 5
    assert cached["status"]["currentNumberScheduled"] == 5
    assert cached["status"]["observedGeneration"] == 1
    await h.expect_sync(ds, 0, 0)
    pod = h.api.created[0] if h.api.created else h.pods()[0]
    assert pod["metadata"]["generateName"] == "foo-"
    assert pod["metadata"]["labels"]["pod-template-generation"] == "1"
    terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert len(terms) == 1
    assert terms[0]["matchFields"][0]["key"] == "metadata.name"
    assert len(h.caches.revisions) == 1


async def test_rolling_update_replaces_within_max_unavailable() -> None:
    h = Harness()
    h.add_nodes(5)
    ds = new_daemonset(strategy=rolling(2))
    h.add(ds)
    await h.expect_sync(ds, 5, 0)
    h.mark_ready()
    ds = h.daemonset(ds)
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "foo/bar2"
    ds["metadata"]["generation"] = 2
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "2"
    h.add(ds)
    await h.expect_sync(ds, 0, 2)
    await h.expect_sync(ds, 2, 0)
    h.mark_ready()
    await h.expect_sync(ds, 0, 2)
    _ = STRATEGIES


async def test_a_changed_node_is_judged_again_and_a_deleted_one_is_forgotten() -> None:
    """Placement answers are kept per node object; a new object (as the informer stores on every
    change) is judged afresh, and forget_node drops what was kept for a deleted node."""
    h = Harness()
    (node,) = h.add_nodes(1)
    ds = new_daemonset(strategy=rolling(1))
    h.add(ds)
    placement = h.controller.placement(ds)
    assert placement.should_run(node) == (True, True)
    tainted = {**node, "spec": {"taints": [{"key": "k", "value": "v", "effect": "NoExecute"}]}}
    assert placement.should_run(tainted) == (False, False)
    h.controller.forget_node(tainted)
    assert "node-0" not in placement._answers


class _ServerLikeStatus:
    """Status writes as a server answers them: 409 for a stale resourceVersion, else a new one."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.version = 1
        self.sent: list[str] = []
        self.conflicts = 0

    async def update(self, ds: dict[str, Any]) -> dict[str, Any]:
        sent = ds["metadata"]["resourceVersion"]
        self.sent.append(sent)
        if sent != str(self.version):
            self.conflicts += 1
            raise errors.Conflict("the object has been modified")
        self.version += 1
        written = copy.deepcopy(ds)
        written["metadata"]["resourceVersion"] = str(self.version)
        return written


async def _first_sync_against_a_server() -> tuple[Harness, _ServerLikeStatus, dict[str, Any]]:
    """Three nodes, one sync; the informer never shows the status writes by itself."""
    h = Harness(mirror_status=False)
    server = _ServerLikeStatus(h)
    h.api.update_daemonset_status = server.update  # type: ignore[method-assign]
    h.add_nodes(3)
    ds = new_daemonset(strategy=rolling(1))
    h.add(ds)
    await h.expect_sync(ds, 3, 0)
    return h, server, ds


async def test_a_sync_before_the_informer_shows_our_status_write_sends_the_written_version() -> None:
    h, server, ds = await _first_sync_against_a_server()
    h.add_nodes(2, start=3)  # the counters change again
    await h.expect_sync(ds, 2, 0)
    assert server.sent == ["1", "2"]
    assert server.conflicts == 0
    assert h.api.get_calls == 0


async def test_once_the_informer_has_moved_on_its_copy_is_used_again() -> None:
    h, server, ds = await _first_sync_against_a_server()
    cached = h.daemonset(ds)
    cached["metadata"]["resourceVersion"] = "7"  # someone else wrote since: the informer shows it
    cached["status"] = {}
    h.caches.daemonsets.upsert(cached)
    server.version = 7
    await h.expect_sync(ds, 0, 0)
    assert server.sent == ["1", "7"]
    assert server.conflicts == 0

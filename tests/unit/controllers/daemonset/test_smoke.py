"""First checks of the whole sync on the harness (the upstream cases live in test_upstream_*.py)."""

from __future__ import annotations

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

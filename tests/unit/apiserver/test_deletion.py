"""The propagation-policy finalizers a DELETE records (upstream's rules)."""

from __future__ import annotations

import pytest

from everynode.apiserver.kinds import kind_of
from everynode.apiserver.registry.deletion import DeleteOptions, plan_deletion
from tests import builders


@pytest.mark.parametrize(
    ("existing", "policy", "action", "expected"),
    [
        (None, None, "delete", None),  # apps/v1 defaults to Background: gone at once
        (None, "Orphan", "mark", ["orphan"]),
        (None, "Foreground", "mark", ["foregroundDeletion"]),
        (["x", "orphan"], "Foreground", "mark", ["x", "foregroundDeletion"]),  # explicit replaces
        (["orphan"], "Background", "delete", None),
        (["x", "orphan"], None, "unchanged", ["x", "orphan"]),  # without a policy the recorded one stands
        (["foregroundDeletion"], None, "unchanged", ["foregroundDeletion"]),
    ],
)
def test_policy_finalizers(
    existing: list[str] | None, policy: str | None, action: str, expected: list[str] | None
) -> None:
    obj = builders.daemonset("ds", namespace="default", uid="u1", resource_version="5", finalizers=existing)
    if existing and action == "unchanged":
        obj["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
        obj["metadata"]["deletionGracePeriodSeconds"] = 0
    plan = plan_deletion(kind_of("daemonsets").strategy, obj, DeleteOptions(propagation_policy=policy))
    assert plan.action == action
    if expected is not None:
        assert plan.obj["metadata"]["finalizers"] == expected

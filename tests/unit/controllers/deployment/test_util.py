"""The pure helpers, case by case from upstream's ``util/deployment_util_test.go`` and ``hash_test.go``."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.annotations import (
    replicas_annotations_need_update,
    set_new_replica_set_annotations,
    set_replicas_annotations,
)
from everynode.controllers.deployment.caches import Caches
from everynode.controllers.deployment.conditions import get_condition, remove_condition, set_condition
from everynode.controllers.deployment.fenceposts import (
    max_unavailable,
    min_available,
    new_rs_new_replicas,
    resolve_fenceposts,
)
from everynode.controllers.deployment.hashing import SAFE_ALPHABET, compute_hash, safe_encode
from everynode.controllers.deployment.newrs import new_replica_set
from everynode.controllers.deployment.progress import (
    deployment_complete,
    deployment_progressing,
    deployment_timed_out,
)
from everynode.controllers.deployment.replicasets import (
    actual_count,
    equal_ignore_hash,
    find_new,
    find_old,
    is_saturated,
    last_revision,
    max_revision,
    replica_count,
)
from everynode.core.timestamps import format_time, parse_time
from everynode.core.types import Obj
from tests import builders
from tests.unit.controllers.deployment.harness import at, new_deployment, rs, uid

H = keys.POD_TEMPLATE_HASH


def pod_template(name: str, node: str, annotations: dict[str, str], labels: dict[str, str]) -> Obj:
    """Upstream's ``generatePodTemplateSpec``."""
    return {
        "metadata": {"name": name, "annotations": annotations, "labels": labels},
        "spec": {"nodeName": node},
    }


# TestEqualIgnoreHash: (name, former, latter, expected), each also run in reverse order.
EQUAL_IGNORE_HASH = [
    (
        "Same spec, same labels",
        pod_template("foo", "foo-node", {}, {H: "value-1", "something": "else"}),
        pod_template("foo", "foo-node", {}, {H: "value-1", "something": "else"}),
        True,
    ),
    (
        "Same spec, only pod-template-hash label value is different",
        pod_template("foo", "foo-node", {}, {H: "value-1", "something": "else"}),
        pod_template("foo", "foo-node", {}, {H: "value-2", "something": "else"}),
        True,
    ),
    (
        "Same spec, the former doesn't have pod-template-hash label",
        pod_template("foo", "foo-node", {}, {"something": "else"}),
        pod_template("foo", "foo-node", {}, {H: "value-2", "something": "else"}),
        True,
    ),
    (
        "Same spec, the label is different, the former doesn't have pod-template-hash label, "
        "same number of labels",
        pod_template("foo", "foo-node", {}, {"something": "else"}),
        pod_template("foo", "foo-node", {}, {H: "value-2"}),
        False,
    ),
    (
        "Same spec, the label is different, the latter doesn't have pod-template-hash label, "
        "same number of labels",
        pod_template("foo", "foo-node", {}, {H: "value-1"}),
        pod_template("foo", "foo-node", {}, {"something": "else"}),
        False,
    ),
    (
        "Same spec, the label is different, and the pod-template-hash label value is the same",
        pod_template("foo", "foo-node", {}, {H: "value-1"}),
        pod_template("foo", "foo-node", {}, {H: "value-1", "something": "else"}),
        False,
    ),
    (
        "Different spec, same labels",
        pod_template("foo", "foo-node", {"former": "value"}, {H: "value-1", "something": "else"}),
        pod_template("foo", "foo-node", {"latter": "value"}, {H: "value-1", "something": "else"}),
        False,
    ),
    (
        "Different spec, different pod-template-hash label value",
        pod_template("foo-1", "foo-node", {}, {H: "value-1", "something": "else"}),
        pod_template("foo-2", "foo-node", {}, {H: "value-2", "something": "else"}),
        False,
    ),
    (
        "Different spec, the former doesn't have pod-template-hash label",
        pod_template("foo-1", "foo-node-1", {}, {"something": "else"}),
        pod_template("foo-2", "foo-node-2", {}, {H: "value-2", "something": "else"}),
        False,
    ),
    (
        "Different spec, different labels",
        pod_template("foo", "foo-node-1", {}, {"something": "else"}),
        pod_template("foo", "foo-node-2", {}, {"nothing": "else"}),
        False,
    ),
]


@pytest.mark.parametrize(
    ("former", "latter", "expected"),
    [c[1:] for c in EQUAL_IGNORE_HASH],
    ids=[c[0] for c in EQUAL_IGNORE_HASH],
)
def test_equal_ignore_hash(former: Obj, latter: Obj, expected: bool) -> None:
    before = copy.deepcopy((former, latter))
    assert equal_ignore_hash(former, latter) is expected
    assert equal_ignore_hash(latter, former) is expected  # reverse order
    assert (former, latter) == before  # labels are never changed (upstream: "labels becomes nil")


def test_equal_ignore_hash_treats_absent_null_and_empty_alike() -> None:
    """Semantic equality: a nil map or list equals an empty one (what a server round trip may change)."""
    first = {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "env": []}]}}
    second = {
        "metadata": {"labels": {"a": "b", H: "x"}, "annotations": {}},
        "spec": {"containers": [{"name": "c"}]},
    }
    assert equal_ignore_hash(first, second)
    third = copy.deepcopy(second)
    third["spec"]["containers"][0]["image"] = "other"
    assert not equal_ignore_hash(first, third)


def generate_deployment(image: str) -> Obj:
    """Upstream's ``generateDeployment``."""
    return builders.deployment(
        image,
        namespace="default",
        uid=uid(),
        replicas=1,
        match_labels={"name": image},
        containers=[builders.container(image, image=image, imagePullPolicy="Always")],
        pod_spec={
            "dnsPolicy": "ClusterFirst",
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
        },
        annotations={},
    )


def generate_rs(
    deployment: Obj, *, created: str | None = None, pod_hash: str | None = None, replicas: int = 0
) -> Obj:
    """Upstream's ``generateRS``: the Deployment's template (here with ``pod_hash`` as its hash label)."""
    made = rs(
        f"replicaset-{uid()}", replicas, {"name": deployment["metadata"]["name"]}, created, owner=deployment
    )
    made["spec"]["template"] = copy.deepcopy(deployment["spec"]["template"])
    if pod_hash is not None:
        made["spec"]["template"]["metadata"]["labels"][H] = pod_hash
        made["metadata"]["labels"][H] = pod_hash
    return made


def names(found: list[Obj] | None) -> list[str]:
    return [o["metadata"]["name"] for o in found or []]


def test_find_new_replica_set() -> None:
    """TestFindNewReplicaSet."""
    deployment = generate_deployment("nginx")
    new_rs = generate_rs(deployment, created=at(60), pod_hash="hash")
    new_rs_dup = generate_rs(deployment, created=at(0), pod_hash="different-hash")
    old_deployment = generate_deployment("nginx")
    old_deployment["spec"]["template"]["spec"]["containers"][0]["name"] = "nginx-old-1"
    old_rs = generate_rs(old_deployment)
    # Get new ReplicaSet with the same template as Deployment spec but different pod-template-hash value
    assert find_new(deployment, [new_rs, old_rs]) is new_rs
    # Get the oldest new ReplicaSet when there are more than one ReplicaSet with the same template
    assert find_new(deployment, [new_rs, old_rs, new_rs_dup]) is new_rs_dup
    # Get nil new ReplicaSet
    assert find_new(deployment, [old_rs]) is None


def test_find_old_replica_sets() -> None:
    """TestFindOldReplicaSets."""
    deployment = generate_deployment("nginx")
    new_rs = generate_rs(deployment, created=at(60), pod_hash="hash", replicas=1)
    new_rs_dup = generate_rs(deployment, created=at(0), pod_hash="different-hash")
    old_deployment = generate_deployment("nginx")
    old_deployment["spec"]["template"]["spec"]["containers"][0]["name"] = "nginx-old-1"
    old_rs = generate_rs(old_deployment, created=at(-60))
    cases = [
        ("Get old ReplicaSets", [new_rs, old_rs], [old_rs], []),
        ("Get old ReplicaSets with no new ReplicaSet", [old_rs], [old_rs], []),
        (
            "Get old ReplicaSets with two new ReplicaSets, only the oldest new ReplicaSet is seen as new "
            "ReplicaSet",
            [old_rs, new_rs, new_rs_dup],
            [old_rs, new_rs],
            [new_rs],
        ),
        ("Get empty old ReplicaSets", [new_rs], [], []),
    ]
    for case, rss, expected, expected_required in cases:
        required, everything = find_old(deployment, rss)
        assert names(everything) == names(expected), case
        assert names(required) == names(expected_required), case


def test_get_replica_count_for_replica_sets() -> None:
    """TestGetReplicaCountForReplicaSets: spec counts and status counts."""
    rs1 = rs("rs1", 1, status={"replicas": 2})
    rs2 = rs("rs2", 2, status={"replicas": 3})
    assert (replica_count([rs1]), actual_count([rs1])) == (1, 2)
    assert (replica_count([rs1, rs2]), actual_count([rs1, rs2])) == (3, 5)


@pytest.mark.parametrize(
    ("surge", "unavailable", "desired", "expected"),
    [
        ("0%", "0%", 0, (0, 1)),
        ("39%", "39%", 10, (4, 3)),
        ("oops", "39%", 10, None),
        ("55%", "urg", 10, None),
        (None, "39%", 10, (0, 3)),
        ("39%", None, 10, (4, 0)),
        (None, None, 10, (0, 1)),
    ],
)
def test_resolve_fenceposts(
    surge: str | None, unavailable: str | None, desired: int, expected: tuple[int, int] | None
) -> None:
    """TestResolveFenceposts: surge rounds up, unavailable down, both zero gives unavailable 1."""
    if expected is None:
        with pytest.raises(ValueError, match="invalid value"):
            resolve_fenceposts(surge, unavailable, desired)
    else:
        assert resolve_fenceposts(surge, unavailable, desired) == expected


def rolling_deployment(replicas: int, max_unavailable: int | str, max_surge: int | str = 1) -> Obj:
    return builders.deployment(
        "foo",
        replicas=replicas,
        strategy={
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": max_surge, "maxUnavailable": max_unavailable},
        },
    )


RECREATE = builders.deployment("foo", replicas=10, strategy={"type": "Recreate"})


@pytest.mark.parametrize(
    ("deployment", "expected"),
    [
        (rolling_deployment(10, 5), 5),  # maxUnavailable less than replicas
        (rolling_deployment(10, 10), 10),  # maxUnavailable equal replicas
        (rolling_deployment(5, 10), 5),  # maxUnavailable greater than replicas
        (rolling_deployment(0, 10), 0),  # maxUnavailable with replicas is 0
        (RECREATE, 0),  # maxUnavailable with Recreate deployment strategy
        (rolling_deployment(10, "50%"), 5),  # less than replicas with percents
        (rolling_deployment(10, "100%"), 10),  # equal replicas with percents
        (rolling_deployment(5, "100%"), 5),  # greater than replicas with percents
    ],
)
def test_max_unavailable(deployment: Obj, expected: int) -> None:
    """TestMaxUnavailable."""
    assert max_unavailable(deployment) == expected


@pytest.mark.parametrize(
    ("deployment", "expected"),
    [
        (rolling_deployment(10, 5), 5),
        (rolling_deployment(10, 10), 0),
        (rolling_deployment(5, 10), 0),
        (rolling_deployment(0, 10), 0),
        (RECREATE, 0),
        (rolling_deployment(10, "60%"), 4),
        (rolling_deployment(10, "100%"), 0),
        (rolling_deployment(5, "100%"), 0),
    ],
)
def test_min_available(deployment: Obj, expected: int) -> None:
    """TestMinAvailable."""
    assert min_available(deployment) == expected


@pytest.mark.parametrize(
    ("strategy", "dep_replicas", "new_rs_replicas", "max_surge", "expected"),
    [
        ("RollingUpdate", 1, 5, 1, 5),  # can not scale up - to newRSReplicas
        ("RollingUpdate", 6, 2, 10, 6),  # scale up - to depReplicas
        ("Recreate", 3, 1, 1, 3),  # recreate - to depReplicas
    ],
)
def test_new_rs_new_replicas(
    strategy: str, dep_replicas: int, new_rs_replicas: int, max_surge: int, expected: int
) -> None:
    """TestNewRSNewReplicas: another ReplicaSet of 5 replicas exists beside the new one."""
    deployment = builders.deployment(
        "nginx",
        replicas=dep_replicas,
        strategy={"type": strategy, "rollingUpdate": {"maxUnavailable": 1, "maxSurge": max_surge}},
    )
    new_rs = rs("new", new_rs_replicas)
    rs5 = rs("rs5", 5)
    assert new_rs_new_replicas(deployment, [rs5], new_rs) == expected


def test_new_rs_new_replicas_rejects_an_unknown_strategy() -> None:
    deployment = builders.deployment("nginx", replicas=1, strategy={"type": "Canary"})
    with pytest.raises(ValueError, match="isn't supported"):
        new_rs_new_replicas(deployment, [], rs("new", 0))


def condition(kind: str, status: str, reason: str) -> dict[str, Any]:
    return {"type": kind, "status": status, "reason": reason}


def test_get_set_remove_condition() -> None:
    """TestGetCondition, TestSetCondition, TestRemoveCondition."""
    progressing = condition(keys.PROGRESSING, "False", "ForSomeReason")
    progressing2 = condition(keys.PROGRESSING, "True", "BecauseItIs")
    available = condition(keys.AVAILABLE, "True", "AwesomeController")
    example: dict[str, Any] = {"conditions": [progressing, available]}
    assert get_condition(example, keys.AVAILABLE) == available  # condition exists
    assert get_condition(example, keys.REPLICA_FAILURE) is None  # condition does not exist
    status: dict[str, Any] = {}
    set_condition(status, available)  # set for the first time
    assert status == {"conditions": [available]}
    status = {"conditions": [progressing]}
    set_condition(status, available)  # simple set
    assert status == example
    status = {"conditions": [progressing]}
    set_condition(status, progressing2)  # overwrite
    assert status == {"conditions": [progressing2]}
    status = {}
    remove_condition(status, keys.PROGRESSING)  # remove from empty status
    assert status == {}
    status = {"conditions": [progressing]}
    remove_condition(status, keys.PROGRESSING)  # simple remove
    assert status == {}
    status = copy.deepcopy(example)
    remove_condition(status, keys.REPLICA_FAILURE)  # doesn't remove anything
    assert status == example


def test_set_condition_keeps_transition_time_while_the_status_holds() -> None:
    status: dict[str, Any] = {
        "conditions": [
            {**condition(keys.PROGRESSING, "True", "A"), "lastTransitionTime": "t0", "lastUpdateTime": "t0"}
        ]
    }
    set_condition(
        status,
        {**condition(keys.PROGRESSING, "True", "A"), "lastTransitionTime": "t1", "lastUpdateTime": "t1"},
    )
    assert status["conditions"][0]["lastUpdateTime"] == "t0"  # same status and reason: nothing changes
    set_condition(
        status,
        {**condition(keys.PROGRESSING, "True", "B"), "lastTransitionTime": "t2", "lastUpdateTime": "t2"},
    )
    assert (status["conditions"][0]["lastTransitionTime"], status["conditions"][0]["lastUpdateTime"]) == (
        "t0",
        "t2",
    )
    set_condition(
        status,
        {**condition(keys.PROGRESSING, "False", "C"), "lastTransitionTime": "t3", "lastUpdateTime": "t3"},
    )
    assert status["conditions"][0]["lastTransitionTime"] == "t3"


def counted(desired: int, status: tuple[int, int, int], unavailable: int, surge: int) -> Obj:
    """``status`` is (current, updated, available)."""
    current, updated, available = status
    return builders.deployment(
        "foo",
        replicas=desired,
        strategy={
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": unavailable, "maxSurge": surge},
        },
        status={"replicas": current, "updatedReplicas": updated, "availableReplicas": available},
    )


@pytest.mark.parametrize(
    ("deployment", "expected"),
    [
        (counted(5, (5, 5, 4), 1, 0), False),  # min but not all pods become available
        (counted(5, (5, 5, 3), 1, 0), False),  # min availability is not honored
        (counted(5, (5, 5, 5), 0, 0), True),  # complete
        (counted(5, (5, 4, 5), 0, 0), False),  # all pods are available but not updated
        (counted(1, (2, 1, 1), 0, 1), False),  # still running old pods
        (counted(1, (1, 1, 0), 1, 1), False),  # one replica deployment never comes up
    ],
)
def test_deployment_complete(deployment: Obj, expected: bool) -> None:
    """TestDeploymentComplete."""
    assert deployment_complete(deployment, deployment["status"]) is expected


def counts(current: int, updated: int, ready: int, available: int) -> dict[str, int]:
    return {
        "replicas": current,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": available,
    }


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (counts(10, 4, 4, 4), counts(10, 6, 4, 4), True),  # updated pods
        (counts(10, 4, 4, 4), counts(10, 4, 4, 4), False),  # not progressing
        (counts(10, 4, 6, 6), counts(8, 4, 6, 6), True),  # old pods removed
        (counts(10, 7, 3, 3), counts(10, 6, 3, 3), False),  # less new pods
        (counts(10, 4, 7, 7), counts(8, 8, 5, 5), True),  # less overall but more new pods
        (counts(10, 10, 9, 8), counts(10, 10, 10, 8), True),  # more ready pods
        (counts(10, 10, 10, 9), counts(10, 10, 10, 10), True),  # more available pods
    ],
)
def test_deployment_progressing(old: dict[str, int], new: dict[str, int], expected: bool) -> None:
    """TestDeploymentProgressing."""
    assert deployment_progressing({"status": old}, new) is expected


def time_fn(minutes: int, seconds: int) -> float:
    found = parse_time(f"2016-01-01T00:{minutes:02d}:{seconds:02d}Z")
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("deadline", "reason", "since", "now", "expected"),
    [
        (None, "", time_fn(1, 9), time_fn(1, 20), False),  # nil progressDeadlineSeconds - no timeout
        (keys.MAX_INT32, "", time_fn(1, 9), time_fn(1, 20), False),  # infinite - no timeout
        (10, "", time_fn(1, 9), time_fn(1, 20), True),  # 10s deadline, 11s since
        (10, "", time_fn(1, 11), time_fn(1, 20), False),  # 10s deadline, 9s since
        (
            None,
            keys.NEW_RS_AVAILABLE,
            0.0,
            time_fn(1, 20),
            False,
        ),  # previous status was a complete deployment
    ],
)
def test_deployment_timed_out(
    deadline: int | None, reason: str, since: float, now: float, expected: bool
) -> None:
    """TestDeploymentTimedOut."""
    status = {
        "conditions": [
            {
                "type": keys.PROGRESSING,
                "status": "True",
                "reason": reason,
                "lastUpdateTime": format_time(since),
            }
        ]
    }
    deployment = {
        "spec": {"progressDeadlineSeconds": deadline} if deadline is not None else {},
        "status": status,
    }
    assert deployment_timed_out(deployment, status, now) is expected


def test_annotation_utils() -> None:
    """TestAnnotationUtils: revisions 11..20 with a 5-character history; replica annotations; IsSaturated."""
    deployment = generate_deployment("nginx")
    deployment["metadata"]["annotations"][keys.REVISION] = "1"
    target = generate_rs(deployment)
    for i in range(10, 20):
        next_revision = str(i + 1)
        set_new_replica_set_annotations(deployment, target, next_revision, exists=True, history_limit=5)
        if i >= 12:
            assert target["metadata"]["annotations"][keys.REVISION_HISTORY] == f"{i - 1},{i}"
        assert target["metadata"]["annotations"][keys.REVISION] == next_revision
    assert set_replicas_annotations(target, 10, 11)
    assert target["metadata"]["annotations"][keys.DESIRED_REPLICAS] == "10"
    assert target["metadata"]["annotations"][keys.MAX_REPLICAS] == "11"
    target["metadata"]["annotations"][keys.DESIRED_REPLICAS] = "1"
    target["status"] = {"availableReplicas": 1}
    target["spec"]["replicas"] = 1
    assert is_saturated(deployment, target)


def test_annotations_copied_to_the_new_replica_set_skip_the_private_ones() -> None:
    deployment = generate_deployment("nginx")
    deployment["metadata"]["annotations"] = {
        "team": "web",
        keys.LAST_APPLIED: "{}",
        keys.REVISION: "7",
        keys.DESIRED_REPLICAS: "9",
        keys.ROLLBACK_TO: "3",
    }
    target = generate_rs(deployment)
    assert set_new_replica_set_annotations(deployment, target, "2", exists=False)
    assert target["metadata"]["annotations"] == {
        "team": "web",
        keys.REVISION: "2",
        keys.DESIRED_REPLICAS: "1",
        keys.MAX_REPLICAS: "1",
    }
    # an older revision never replaces a newer one; a returning template keeps its past revisions
    assert not set_new_replica_set_annotations(deployment, target, "1", exists=True)
    assert set_new_replica_set_annotations(deployment, target, "5", exists=True)
    assert target["metadata"]["annotations"][keys.REVISION_HISTORY] == "2"


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        (None, True),  # test Annotations nil
        ({keys.DESIRED_REPLICAS: "8", keys.MAX_REPLICAS: "20"}, True),  # desiredReplicas update
        ({keys.DESIRED_REPLICAS: "10", keys.MAX_REPLICAS: "16"}, True),  # maxReplicas update
        ({keys.DESIRED_REPLICAS: "10", keys.MAX_REPLICAS: "20"}, False),  # needn't update
    ],
)
def test_replicas_annotations_need_update(annotations: dict[str, str] | None, expected: bool) -> None:
    """TestReplicasAnnotationsNeedUpdate."""
    target = rs("hello", 1, annotations=annotations)
    assert replicas_annotations_need_update(target, 10, 20) is expected


def test_get_deployments_for_replica_set() -> None:
    """TestGetDeploymentsForReplicaSet: only a Deployment whose selector matches the labels."""
    caches = Caches()
    deployments = [
        builders.deployment(f"deployment-{i}", namespace="test", uid=uid(), match_labels={"app": f"test-{i}"})
        for i in range(3)
    ]
    for deployment in deployments:
        caches.deployments.upsert(deployment)
    for i in range(5):
        replica_set = builders.replicaset(
            f"test-replicaSet-{i}", namespace="test", labels={"app": f"test-{i}", "label": f"label-{i}"}
        )
        found = caches.owners.adopters(replica_set)
        assert names(found) == ([f"deployment-{i}"] if i < 3 else [])


def test_revisions() -> None:
    """MaxRevision and LastRevision skip what they cannot read."""
    rss = [rs(f"rs{i}", 0, annotations={keys.REVISION: text}) for i, text in enumerate(["3", "x", "1", "7"])]
    assert max_revision(rss) == 7
    assert last_revision(rss) == 3
    assert max_revision([]) == 0
    assert last_revision([rs("only", 0, annotations={keys.REVISION: "4"})]) == 0


def test_pod_template_hash_is_stable_safe_and_moves_with_the_collision_count() -> None:
    """hash_test.go's property: equal templates hash equally, the collision count changes the value."""
    template = new_deployment()["spec"]["template"]
    reordered = {"spec": template["spec"], "metadata": template["metadata"]}
    first = compute_hash(template, None)
    assert first == compute_hash(reordered, None)
    assert 1 <= len(first) <= 10
    assert set(first) <= set(SAFE_ALPHABET)
    assert compute_hash(template, 1) not in (first, compute_hash(template, 2))
    changed = copy.deepcopy(template)
    changed["spec"]["containers"][0]["image"] = "foo/baz"
    assert compute_hash(changed, None) != first
    assert safe_encode("0123456789") == "456789bcdf"  # as rand.SafeEncodeString maps digits (byte % 27)


def test_new_replica_set_carries_the_hash_everywhere() -> None:
    """getNewReplicaSet's ReplicaSet: name, labels, selector, template labels, owner, annotations, size."""
    deployment = new_deployment(replicas=3, max_surge=1)
    deployment["metadata"]["annotations"] = {"team": "web"}
    made = new_replica_set(deployment, [], "1")
    pod_hash = made["metadata"]["labels"][H]
    assert made["metadata"]["name"] == f"foo-{pod_hash}"
    assert made["spec"]["selector"]["matchLabels"] == {"foo": "bar", H: pod_hash}
    assert made["spec"]["template"]["metadata"]["labels"] == {"foo": "bar", H: pod_hash}
    assert made["metadata"]["ownerReferences"] == [builders.owner_ref(deployment)]
    assert made["spec"]["replicas"] == 3
    assert made["metadata"]["annotations"] == {
        "team": "web",
        keys.REVISION: "1",
        keys.DESIRED_REPLICAS: "3",
        keys.MAX_REPLICAS: "4",
    }
    assert equal_ignore_hash(made["spec"]["template"], deployment["spec"]["template"])
    assert H not in deployment["spec"]["template"]["metadata"]["labels"]  # the Deployment is not changed

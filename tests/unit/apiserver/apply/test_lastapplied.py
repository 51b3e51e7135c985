"""Upgrading from client-side to server-side apply: apimachinery's lastappliedmanager_test.go,
lastappliedupdater_test.go and fieldmanager_test.go (TestInteropForClientSideApplyAndServerSideApply,
TestServerSideApplyWithInvalidLastApplied, TestNoTrackManagedFieldsForClientSideApply)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from everynode.apiserver.apply import (
    LAST_APPLIED_ANNOTATION,
    ApplyConflict,
    FieldManager,
    ObjectSchema,
    reset_fields,
)
from everynode.apiserver.apply.lastapplied import build

T0, T1, T2 = "2024-05-01T10:00:00Z", "2024-05-01T10:00:01Z", "2024-05-01T10:00:02Z"


def deployments() -> FieldManager:
    return FieldManager(
        ObjectSchema.builtin("apps", "v1", "Deployment"),
        "apps/v1",
        "Deployment",
        reset_fields=reset_fields("apps", "Deployment", "", has_status=True),
    )


def load(text: str) -> Any:
    return yaml.safe_load(text)


def client_side_applied(original: str, last_applied: str | None = None) -> dict[str, Any]:
    """What ``kubectl apply`` (client-side) leaves: the object written by ``kubectl-client-side-apply``
    with the annotation holding what it applied."""
    obj = load(original)
    annotation = last_applied if last_applied is not None else build(load(original))
    obj["metadata"].setdefault("annotations", {})[LAST_APPLIED_ANNOTATION] = annotation
    created = deployments().update(None, obj, "kubectl-client-side-apply", T0)
    created["metadata"]["uid"] = "uid-1"
    return created


def last_applied(obj: dict[str, Any]) -> Any:
    return obj["metadata"]["annotations"][LAST_APPLIED_ANNOTATION]


def conflict_fields(caught: pytest.ExceptionInfo[ApplyConflict]) -> list[str]:
    return [cause["field"] for cause in caught.value.status()["details"]["causes"]]


def test_conflicts_not_forgiven_by_the_annotation_are_reported() -> None:
    # TestApplyUsingLastAppliedAnnotation, first case
    live = client_side_applied(
        original="""
apiVersion: apps/v1
kind: Deployment
metadata: {name: my-deployment, labels: {app: my-app}}    # label missing from last-applied
spec:
  replicas: 100                                            # does not match last-applied
  selector: {matchLabels: {app: my-app}}
  template:
    metadata: {labels: {app: my-app}}
    spec:
      containers:
      - {name: my-c, image: my-image-v2}                   # does not match last-applied
""",
        last_applied=json.dumps(
            load(
                """
apiVersion: apps/v1
kind: Deployment
metadata: {name: my-deployment}
spec:
  replicas: 3
  selector: {matchLabels: {app: my-app}}
  template:
    metadata: {labels: {app: my-app}}
    spec:
      containers:
      - {name: my-c, image: my-image-v1}
      - {name: my-c2, image: my-image2}
"""
            )
        ),
    )
    applied = load(
        """
apiVersion: apps/v1
kind: Deployment
metadata: {name: my-deployment, labels: {app: my-new-label}}   # not allowed
spec:
  replicas: 333                                                 # not allowed
  selector: {matchLabels: {app: my-new-label}}                  # allowed
  template:
    metadata: {labels: {app: my-new-label}}                     # allowed
    spec:
      containers:
      - {name: my-c, image: my-image-new}                       # not allowed
"""
    )
    fm = deployments()
    with pytest.raises(ApplyConflict) as caught:
        fm.apply(live, applied, "kubectl", force=False, now=T1)
    assert conflict_fields(caught) == [
        ".metadata.labels.app",
        ".spec.replicas",
        '.spec.template.spec.containers[name="my-c"].image',
    ]
    assert all(
        cause["message"] == 'conflict with "kubectl-client-side-apply" using apps/v1'
        for cause in caught.value.status()["details"]["causes"]
    )
    # force resolves them all, and the applied configuration is what the object now says
    after = fm.apply(live, applied, "kubectl", force=True, now=T1)
    assert after["spec"]["replicas"] == 333
    assert after["metadata"]["labels"] == {"app": "my-new-label"}


def test_only_a_field_changed_since_the_last_apply_conflicts() -> None:
    # TestApplyUsingLastAppliedAnnotation, second case
    live = client_side_applied(
        original="""
apiVersion: apps/v1
kind: Deployment
metadata: {name: my-deployment, labels: {app: my-app}}
spec:
  replicas: 100
  selector: {matchLabels: {app: my-app}}
  template:
    metadata: {labels: {app: my-app}}
    spec:
      containers:
      - {name: my-c, image: my-image}
""",
        last_applied=json.dumps(
            load(
                """
apiVersion: apps/v1
kind: Deployment
metadata: {name: my-deployment, labels: {app: my-app}}
spec:
  replicas: 3
  selector: {matchLabels: {app: my-app}}
  template:
    metadata: {labels: {app: my-app}}
    spec:
      containers:
      - {name: my-c, image: my-image}
"""
            )
        ),
    )
    applied = load(
        """
apiVersion: apps/v1
kind: Deployment
metadata: {name: my-deployment, labels: {app: my-new-label}}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: my-app}}
    spec:
      containers:
      - {name: my-c, image: my-image}
"""
    )
    with pytest.raises(ApplyConflict) as caught:
        deployments().apply(live, applied, "kubectl", force=False, now=T1)
    assert conflict_fields(caught) == [".spec.replicas"]


def test_upgrade_from_client_side_apply() -> None:
    # TestInteropForClientSideApplyAndServerSideApply: `kubectl apply --server-side` over an object
    # `kubectl apply` made changes everything it applied without conflicts, and keeps the annotation
    # in step
    original = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: my-deployment, labels: {app: my-app}}
spec:
  replicas: 100
  selector: {matchLabels: {app: my-app}}
  template:
    metadata: {labels: {app: my-app}}
    spec:
      containers:
      - {name: my-c, image: my-image-v1}
"""
    live = client_side_applied(original)
    assert "my-image-v1" in last_applied(live)
    applied = load(original.replace("my-app", "my-app-v2").replace("100", "8").replace("v1}", "v2}"))
    after = deployments().apply(live, applied, "kubectl", force=False, now=T1)
    assert after["spec"]["replicas"] == 8
    assert after["spec"]["template"]["spec"]["containers"] == [{"name": "my-c", "image": "my-image-v2"}]
    assert last_applied(after) == build(applied)
    assert last_applied(after).endswith("}\n")
    assert json.loads(last_applied(after)) == applied
    managers = [(e["manager"], e["operation"]) for e in after["metadata"]["managedFields"]]
    assert managers == [("kubectl", "Apply"), ("kubectl-client-side-apply", "Update")]
    # kubectl now owns what it applied; the client-side entry keeps only what nobody re-applied
    assert '"f:replicas"' not in json.dumps(after["metadata"]["managedFields"][1]["fieldsV1"])


def test_other_managers_do_not_upgrade() -> None:
    # the not_kubectl case: only the field manager "kubectl" is forgiven
    original = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: my-deployment}
spec: {replicas: 3}
"""
    live = client_side_applied(original)
    applied = load(original.replace("3", "4"))
    with pytest.raises(ApplyConflict):
        deployments().apply(live, applied, "not_kubectl", force=False, now=T1)


def test_invalid_annotation_forgives_nothing() -> None:
    # TestServerSideApplyWithInvalidLastApplied
    original = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: my-deployment, labels: {app: my-app-v1}}
spec: {replicas: 1}
"""
    live = client_side_applied(original, last_applied="invalid-object")
    applied = load(original.replace("v1}", "v2}").replace("1}", "100}"))
    fm = deployments()
    with pytest.raises(ApplyConflict):
        fm.apply(live, applied, "kubectl", force=False, now=T1)
    after = fm.apply(live, applied, "kubectl", force=True, now=T1)
    assert last_applied(after) != "invalid-object"
    assert "my-app-v2" in last_applied(after)


def test_annotation_rewritten_only_for_kubectl_and_only_when_present() -> None:
    # TestLastAppliedUpdater
    applied = load(
        """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-deployment
  annotations: {"kubectl.kubernetes.io/last-applied-configuration": nonempty}
  labels: {app: my-app}
spec:
  replicas: 20
  selector: {matchLabels: {app: my-app}}
  template:
    metadata: {labels: {app: my-app}}
    spec:
      containers:
      - {name: my-c, image: my-image}
"""
    )
    fm = deployments()
    first = fm.apply(None, applied, "NOT-KUBECTL", force=False, now=T0)
    assert last_applied(first) == "nonempty"
    second = fm.apply(first, applied, "kubectl", force=False, now=T1)
    assert "my-app" in last_applied(second)
    assert "my-image" in last_applied(second)
    assert LAST_APPLIED_ANNOTATION not in json.loads(last_applied(second))["metadata"]["annotations"]
    # no annotation on the object: none is added
    plain = copy.deepcopy(applied)
    del plain["metadata"]["annotations"]
    assert "annotations" not in fm.apply(None, plain, "kubectl", force=False, now=T0)["metadata"]


def test_annotation_too_large_is_dropped() -> None:
    # TestLargeLastApplied: past 256 KiB of annotations the annotation is not kept
    fm = FieldManager(ObjectSchema.builtin("", "v1", "ConfigMap"), "v1", "ConfigMap")
    base = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "large", "annotations": {LAST_APPLIED_ANNOTATION: "nonempty"}},
        "data": {"k": "v"},
    }
    live = fm.apply(None, base, "kubectl", force=False, now=T0)
    big = copy.deepcopy(base)
    for n in range(9999):
        big["data"][f"this-key-is-very-long-so-as-to-create-a-very-large-serialized-fieldset-{n}"] = "A"
    after = fm.apply(live, big, "kubectl", force=False, now=T1)
    assert LAST_APPLIED_ANNOTATION not in after["metadata"].get("annotations", {})


def test_annotation_is_go_json() -> None:
    config = {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "data": {"b": "<&>", "a": 1.0},
        "metadata": {"name": "x"},
    }
    assert build(config) == (
        '{"apiVersion":"v1","data":{"a":1,"b":"\\u003c\\u0026\\u003e"},"kind":"ConfigMap","metadata":{"name":"x"}}\n'
    )

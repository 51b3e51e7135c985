"""The kubectl commands a DaemonSet user reaches for, against a live server, checked by their output.

Controller-written state (DaemonSet status, ControllerRevisions) is written here directly through the
API, as a controller would; the cluster issue checks the same commands end to end.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from everynode.spawn.apiserver import ApiServerProcess
from everynode.testing.kubectl import kubectl_path

KUBECTL = kubectl_path()


class Kubectl:
    def __init__(self, server: ApiServerProcess, base: Path, version: str | None) -> None:
        self.server = server
        self.version = version
        self.config = server.write_kubeconfig(base / "kubeconfig")
        self.cache = base / "cache"

    def run(
        self,
        *args: str,
        stdin: str | None = None,
        check: bool = True,
        env: dict[str, str] | None = None,
        version: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        binary = "kubectl"
        version = version or self.version
        if version is not None:
            found = kubectl_path(version)
            if found is None:
                pytest.skip(f"kubectl.{version} is not installed")
            binary = found
        result = subprocess.run(
            [binary, "--kubeconfig", str(self.config), "--cache-dir", str(self.cache), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, **(env or {})},
        )
        if check:
            assert result.returncode == 0, result.stderr
        return result

    def api(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.server.url + path, data=data, method=method, headers={"Content-Type": content_type}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


@pytest.fixture(
    scope="module", params=[None, "1.27", "1.33"], ids=["kubectl", "kubectl.1.27", "kubectl.1.33"]
)
def k(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    """Each kubectl (PATH's, 1.27, 1.33) against a server of its own."""
    if KUBECTL is None:
        pytest.skip("kubectl is not installed")
    base = tmp_path_factory.mktemp("commands")
    with ApiServerProcess(f"sqlite:///{base}/state.db") as server:
        yield Kubectl(server, base, request.param)


def daemonset_manifest(name: str, image: str) -> str:
    return json.dumps(
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": name, "labels": {"app": name}},
            "spec": {
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "c", "image": image}]},
                },
            },
        }
    )


def test_node_label_annotate_taint_cordon(k: Kubectl) -> None:
    k.run("create", "-f", "-", stdin='{"apiVersion":"v1","kind":"Node","metadata":{"name":"w1"}}')
    assert k.run("label", "node", "w1", "env=prod").stdout.strip() == "node/w1 labeled"
    assert k.run("annotate", "node", "w1", "team=infra").stdout.strip() in (
        "node/w1 annotated",
        "node/w1 annotate",
    )
    assert k.run("taint", "node", "w1", "dedicated=ds:NoSchedule").stdout.strip() == "node/w1 tainted"
    assert k.run("cordon", "w1").stdout.strip() == "node/w1 cordoned"
    node = json.loads(k.run("get", "node", "w1", "-o", "json").stdout)
    assert node["metadata"]["labels"]["env"] == "prod"
    assert node["metadata"]["annotations"]["team"] == "infra"
    assert node["spec"]["taints"] == [{"key": "dedicated", "value": "ds", "effect": "NoSchedule"}]
    assert node["spec"]["unschedulable"] is True
    status = k.run("get", "nodes", "w1", "--no-headers").stdout.split()
    assert status[1].endswith("SchedulingDisabled")
    k.run("uncordon", "w1")
    k.run("taint", "node", "w1", "dedicated-")
    k.run("label", "node", "w1", "env-")
    node = json.loads(k.run("get", "node", "w1", "-o", "json").stdout)
    assert "taints" not in node["spec"]
    assert "unschedulable" not in node["spec"]
    assert "env" not in node["metadata"].get("labels", {})


def test_set_image_patch_and_output_formats(k: Kubectl) -> None:
    k.run("apply", "-f", "-", stdin=daemonset_manifest("web", "nginx:1.25"))
    assert (
        k.run("set", "image", "ds/web", "c=nginx:1.26").stdout.strip() == "daemonset.apps/web image updated"
    )
    image = k.run("get", "ds", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}").stdout
    assert image == "nginx:1.26"
    assert k.run("get", "ds", "web", "-o", "name").stdout.strip() == "daemonset.apps/web"
    k.run("patch", "ds", "web", "--type", "merge", "-p", '{"metadata":{"labels":{"m":"1"}}}')
    k.run(
        "patch", "ds", "web", "--type", "json", "-p", '[{"op":"add","path":"/metadata/labels/j","value":"2"}]'
    )
    k.run(
        "patch",
        "ds",
        "web",
        "--type",
        "strategic",
        "-p",
        '{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}}}',
    )
    ds = json.loads(k.run("get", "ds", "web", "-o", "json").stdout)
    assert ds["metadata"]["labels"] == {"app": "web", "m": "1", "j": "2"}
    assert ds["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert ds["metadata"]["generation"] == 3
    yaml_out = k.run("get", "ds", "web", "-o", "yaml").stdout
    assert 'deprecated.daemonset.template.generation: "3"' in yaml_out
    all_rows = k.run("get", "all").stdout
    assert "daemonset.apps/web" in all_rows


def test_edit_through_kube_editor(k: Kubectl, tmp_path: Path) -> None:
    k.run("apply", "-f", "-", stdin=daemonset_manifest("edited", "nginx:1.25"))
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/nginx:1.25/nginx:1.99/' \"$1\"\n")
    editor.chmod(0o755)
    result = k.run("edit", "ds", "edited", env={"KUBE_EDITOR": str(editor)})
    assert result.stdout.strip() == "daemonset.apps/edited edited"
    assert (
        k.run("get", "ds", "edited", "-o", "jsonpath={.spec.template.spec.containers[0].image}").stdout
        == "nginx:1.99"
    )


def test_rollout_status_history_and_undo(k: Kubectl) -> None:
    k.run("apply", "-f", "-", stdin=daemonset_manifest("agent", "busybox:1"))
    ds = k.api("GET", "/apis/apps/v1/namespaces/default/daemonsets/agent")
    uid, template = ds["metadata"]["uid"], ds["spec"]["template"]
    status = {
        "currentNumberScheduled": 2,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 2,
        "numberReady": 2,
        "observedGeneration": 1,
        "updatedNumberScheduled": 1,
        "numberAvailable": 2,
    }
    k.api(
        "PATCH",
        "/apis/apps/v1/namespaces/default/daemonsets/agent/status",
        {"status": status},
        "application/merge-patch+json",
    )
    waiting = k.run("rollout", "status", "ds/agent", "--watch=false").stdout.strip()
    assert (
        waiting
        == 'Waiting for daemon set "agent" rollout to finish: 1 out of 2 new pods have been updated...'
    )
    status["updatedNumberScheduled"] = 2
    k.api(
        "PATCH",
        "/apis/apps/v1/namespaces/default/daemonsets/agent/status",
        {"status": status},
        "application/merge-patch+json",
    )
    assert k.run("rollout", "status", "ds/agent", "--watch=false").stdout.strip() == (
        'daemon set "agent" successfully rolled out'
    )
    owner = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "name": "agent",
        "uid": uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }
    old_template = json.loads(json.dumps(template))
    old_template["spec"]["containers"][0]["image"] = "busybox:0"
    for number, tmpl, cause in [(1, old_template, None), (2, template, "kubectl set image")]:
        annotations = {"kubernetes.io/change-cause": cause} if cause else {}
        k.api(
            "POST",
            "/apis/apps/v1/namespaces/default/controllerrevisions",
            {
                "metadata": {
                    "name": f"agent-rev{number}",
                    "labels": {"app": "agent"},
                    "ownerReferences": [owner],
                    "annotations": annotations,
                },
                "data": {"spec": {"template": {"$patch": "replace", **tmpl}}},
                "revision": number,
            },
        )
    history = k.run("rollout", "history", "ds/agent").stdout.splitlines()
    assert history[0].strip() == "daemonset.apps/agent"
    assert history[1].split() == ["REVISION", "CHANGE-CAUSE"]
    assert history[2].split() == ["1", "<none>"]
    assert history[3].split() == ["2", "kubectl", "set", "image"]
    assert k.run("rollout", "undo", "ds/agent").stdout.strip() == "daemonset.apps/agent rolled back"
    assert (
        k.run("get", "ds", "agent", "-o", "jsonpath={.spec.template.spec.containers[0].image}").stdout
        == "busybox:0"
    )


def test_describe_shows_events_and_pods(k: Kubectl) -> None:
    k.run("apply", "-f", "-", stdin=daemonset_manifest("described", "busybox:1"))
    ds = k.api("GET", "/apis/apps/v1/namespaces/default/daemonsets/described")
    k.api(
        "POST",
        "/api/v1/namespaces/default/events",
        {
            "metadata": {"name": "described.1"},
            "reason": "SuccessfulCreate",
            "type": "Normal",
            "message": "Created pod: described-abcde",
            "source": {"component": "daemonset-controller"},
            "involvedObject": {
                "kind": "DaemonSet",
                "namespace": "default",
                "name": "described",
                "uid": ds["metadata"]["uid"],
                "apiVersion": "apps/v1",
            },
            "firstTimestamp": ds["metadata"]["creationTimestamp"],
            "lastTimestamp": ds["metadata"]["creationTimestamp"],
            "count": 1,
        },
    )
    out = k.run("describe", "ds", "described").stdout
    assert "Selector:       app=described" in out
    assert "Desired Number of Nodes Scheduled: 0" in out
    assert "SuccessfulCreate" in out
    assert "daemonset-controller  Created pod: described-abcde" in out
    events = k.run("get", "events").stdout
    assert "daemonset/described" in events
    assert "SuccessfulCreate" in events


def test_delete_default_orphan_and_foreground(k: Kubectl) -> None:
    for name in ("gone", "orphaned", "fg"):
        k.run("apply", "-f", "-", stdin=daemonset_manifest(name, "busybox:1"))
    assert k.run("delete", "ds", "gone").stdout.strip() == 'daemonset.apps "gone" deleted'
    assert k.run("get", "ds", "gone", check=False).returncode == 1
    k.run("delete", "ds", "orphaned", "--cascade=orphan", "--wait=false")
    k.run("delete", "ds", "fg", "--cascade=foreground", "--wait=false")
    finalizers = {
        name: json.loads(k.run("get", "ds", name, "-o", "json").stdout)["metadata"]["finalizers"]
        for name in ("orphaned", "fg")
    }
    assert finalizers == {"orphaned": ["orphan"], "fg": ["foregroundDeletion"]}


def test_drain_ignoring_daemonsets(k: Kubectl) -> None:
    k.run("create", "-f", "-", stdin='{"apiVersion":"v1","kind":"Node","metadata":{"name":"d1"}}')
    k.run(
        "create",
        "-f",
        "-",
        stdin=json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "loose"},
                "spec": {"nodeName": "d1", "containers": [{"name": "c", "image": "busybox:1"}]},
            }
        ),
    )
    result = k.run("drain", "d1", "--ignore-daemonsets", "--force", "--grace-period=0", "--timeout=30s")
    assert "node/d1 cordoned" in result.stdout
    assert "node/d1 drained" in result.stdout
    assert k.run("get", "pod", "loose", check=False).returncode == 1


@pytest.mark.parametrize("version", ["1.27", "1.33"])
def test_server_side_apply_and_its_conflicts(k: Kubectl, version: str) -> None:
    name = f"ssa-{version.replace('.', '')}"
    applied = k.run(
        "apply", "--server-side", "-f", "-", stdin=daemonset_manifest(name, "busybox:1"), version=version
    )
    assert applied.stdout.strip() == f"daemonset.apps/{name} serverside-applied"
    other = k.run(
        "apply",
        "--server-side",
        "--field-manager=other",
        "-f",
        "-",
        stdin=daemonset_manifest(name, "busybox:2"),
        check=False,
        version=version,
    )
    assert other.returncode != 0
    assert (
        'Apply failed with 1 conflict: conflict with "kubectl": '
        '.spec.template.spec.containers[name="c"].image' in other.stderr
    )
    forced = k.run(
        "apply",
        "--server-side",
        "--field-manager=other",
        "--force-conflicts",
        "-f",
        "-",
        stdin=daemonset_manifest(name, "busybox:2"),
        version=version,
    )
    assert forced.returncode == 0


def test_create_namespace_including_kubectl_1_32_protobuf_bodies(k: Kubectl) -> None:
    name = "made-by-kubectl"
    assert k.run("create", "namespace", name).stdout.strip() == f"namespace/{name} created"
    assert k.run("get", "namespace", name, "-o", "jsonpath={.status.phase}").stdout == "Active"


def test_describe_pod_and_node(k: Kubectl) -> None:
    k.run("create", "-f", "-", stdin='{"apiVersion":"v1","kind":"Node","metadata":{"name":"desc-n"}}')
    k.api(
        "POST",
        "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
        {"metadata": {"name": "desc-n"}, "spec": {"holderIdentity": "desc-n", "leaseDurationSeconds": 40}},
    )
    k.run(
        "create",
        "-f",
        "-",
        stdin=json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "desc-p", "labels": {"app": "x"}},
                "spec": {"nodeName": "desc-n", "containers": [{"name": "c", "image": "busybox:1"}]},
            }
        ),
    )
    pod = described(k.run("describe", "pod", "desc-p").stdout)
    assert pod["Name"] == "desc-p"
    assert pod["Node"].startswith("desc-n")
    assert pod["Status"] == "Pending"
    assert pod["Image"] == "busybox:1"
    out = k.run("describe", "node", "desc-n").stdout
    node = described(out)
    assert node["Name"] == "desc-n"
    assert node["HolderIdentity"] == "desc-n"
    assert any(line.split()[:2] == ["default", "desc-p"] for line in out.splitlines())


def described(text: str) -> dict[str, str]:
    """The first ``Key: value`` of each key in kubectl describe output (its spacing varies by version)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition(":")
        if sep and key and " " not in key and key not in found:
            found[key] = value.strip()
    return found

from __future__ import annotations

from pathlib import Path

import pytest

from everynode.client.config import load_kubeconfig
from everynode.core import errors
from everynode.core.clock import FakeClock
from everynode.core.tokenbucket import TokenBucket

KUBECONFIG = """
apiVersion: v1
kind: Config
clusters:
- {name: a, cluster: {server: "http://127.0.0.1:6443/"}}
- {name: b, cluster: {server: "http://10.0.0.1:6443"}}
users: [{name: u, user: {}}]
contexts:
- {name: one, context: {cluster: a, user: u}}
- {name: two, context: {cluster: b, user: u, namespace: kube-system}}
current-context: one
"""


def test_the_current_context_and_an_explicit_one(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    config = load_kubeconfig(path)
    assert (config.server, config.namespace) == ("http://127.0.0.1:6443", "default")
    other = load_kubeconfig(path, context="two", qps=5.0)
    assert (other.server, other.namespace, other.qps) == ("http://10.0.0.1:6443", "kube-system", 5.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("current-context: nope\ncontexts: []", "no context"),
        ("- a list", "not a YAML mapping"),
        ("current-context: x\ncontexts: [{name: x, context: {cluster: y}}]", "no cluster"),
    ],
)
def test_bad_kubeconfigs_are_explained(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_kubeconfig(path)


def test_status_bodies_become_the_matching_error() -> None:
    conflict = errors.from_status({"kind": "Status", "reason": "Conflict", "message": "m", "code": 409}, 409)
    assert isinstance(conflict, errors.Conflict)
    exists = errors.from_status({"reason": "AlreadyExists", "code": 409}, 409)
    assert isinstance(exists, errors.AlreadyExists)
    assert isinstance(errors.from_status({"reason": "Expired", "code": 410}, 410), errors.Gone)
    assert isinstance(errors.from_status("not json", 404), errors.NotFound)
    assert isinstance(errors.from_status({}, 599), errors.InternalError)


async def test_token_bucket_throttles_after_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(clock, qps=2.0, burst=2)
    assert [bucket.reserve() for _ in range(2)] == [0.0, 0.0]
    assert bucket.reserve() == 0.5
    await clock.advance(10)
    assert bucket.reserve() == 0.0

"""The scale-subresource finder (upstream's getScaleController: TestScaleFinderNoResource, and the
mapping half of TestUnsupportedControllerPod)."""

from __future__ import annotations

import pytest

from everynode.controllers.disruption.finders import FinderError, Found
from everynode.controllers.disruption.scalefinder import DISCOVERY_TTL, ScaleFinder, TransientFinderError
from everynode.core import errors
from everynode.core.clock import FakeClock
from everynode.core.types import Obj
from tests.unit.controllers.disruption.fakes import FakeScaleApi, custom_resources

NS = "default"
GROUP, VERSION, KIND, PLURAL = "custom.k8s.io", "v1", "customresource", "customresources"


def custom_ref(name: str = "cr", uid: str = "cr-uid") -> Obj:
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": KIND, "name": name, "uid": uid, "controller": True}


def finder(api: FakeScaleApi, clock: FakeClock | None = None) -> ScaleFinder:
    return ScaleFinder(api, clock or FakeClock())


async def failure(scales: ScaleFinder, reference: Obj) -> str:
    """The message of the FinderError finding ``reference`` raises."""
    with pytest.raises(FinderError) as caught:
        await scales.find(reference, NS)
    return str(caught.value)


async def test_a_custom_resources_scale_is_its_replicas() -> None:
    """TestScaleResource's finder half: the Scale's spec.replicas, its uid the controller's."""
    api = FakeScaleApi()
    api.serve(GROUP, VERSION, *custom_resources(PLURAL, KIND))
    api.put_scale(PLURAL, NS, "cr", "cr-uid", 10)
    assert await finder(api).find(custom_ref(), NS) == Found("cr-uid", 10)
    assert await finder(api).find(custom_ref(uid="a-namesake"), NS) is None


@pytest.mark.parametrize(
    ("entries", "error"),
    [
        pytest.param(custom_resources(PLURAL, KIND), False, id="resource implements scale"),
        pytest.param(
            [{"name": PLURAL, "kind": KIND}, {"name": f"{PLURAL}/scale", "kind": KIND}],
            True,
            id="resource implements unsupported data format for scale subresource",
        ),
        pytest.param(
            custom_resources(PLURAL, KIND, scale=False), True, id="resource does not implement scale"
        ),
    ],
)
async def test_scale_finder_no_resource(entries: list[Obj], error: bool) -> None:
    """TestScaleFinderNoResource: the Scale GET answers 404; discovery says whether that means the
    object is gone (no controller) or the resource has no scale subresource (an error)."""
    api = FakeScaleApi()
    api.serve(GROUP, VERSION, *entries)
    if error:
        assert (
            await failure(finder(api), custom_ref())
            == f"{PLURAL}.{GROUP} does not implement the scale subresource"
        )
    else:
        assert await finder(api).find(custom_ref(), NS) is None


async def test_an_unknown_kind_has_no_mapping() -> None:
    """TestUnsupportedControllerPod: apps.test.io/v1 TestWorkload is served by no one."""
    reference = {"apiVersion": "apps.test.io/v1", "kind": "TestWorkload", "name": "fake", "uid": "u"}
    message = await failure(finder(FakeScaleApi()), reference)
    assert message == 'no matches for kind "TestWorkload" in version "apps.test.io/v1"'


async def test_a_daemonset_fails_without_a_request() -> None:
    """A built-in kind without a scale subresource: upstream's 404 then discovery, known statically."""
    api = FakeScaleApi()
    reference = {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": "ds-uid"}
    assert await failure(finder(api), reference) == "daemonsets.apps does not implement the scale subresource"
    rc = {"apiVersion": "v1", "kind": "ReplicationController", "name": "rc", "uid": "rc-uid"}
    assert await failure(finder(api), rc) == 'no matches for kind "ReplicationController" in version "v1"'
    assert api.calls == []


async def test_a_built_in_workload_missing_from_the_caches_is_read_through_its_scale() -> None:
    """A ReplicaSet whose Deployment is gone: upstream's last finder reads the ReplicaSet's Scale."""
    api = FakeScaleApi()
    api.put_scale("replicasets", NS, "web-abc", "rs-uid", 3)
    reference = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc", "uid": "rs-uid"}
    assert await finder(api).find(reference, NS) == Found("rs-uid", 3)
    assert await finder(api).find({**reference, "name": "gone"}, NS) is None
    assert [call[0] for call in api.calls] == ["scale", "scale"]


async def test_discovery_is_kept_for_a_while() -> None:
    api, clock = FakeScaleApi(), FakeClock()
    api.serve(GROUP, VERSION, *custom_resources(PLURAL, KIND))
    api.put_scale(PLURAL, NS, "cr", "cr-uid", 2)
    scales = finder(api, clock)
    for _ in range(3):
        assert await scales.find(custom_ref(), NS) == Found("cr-uid", 2)
    assert api.calls.count(("discovery", GROUP, VERSION)) == 1
    await clock.advance(DISCOVERY_TTL + 1)
    await scales.find(custom_ref(), NS)
    assert api.calls.count(("discovery", GROUP, VERSION)) == 2


async def test_api_errors_are_transient() -> None:
    api = FakeScaleApi()
    api.serve(GROUP, VERSION, *custom_resources(PLURAL, KIND))
    scales = finder(api)
    await scales.find(custom_ref(), NS)  # discovery now kept
    api.failure = errors.ServiceUnavailable("the server is shutting down")
    with pytest.raises(TransientFinderError, match="shutting down"):
        await scales.find(custom_ref(), NS)

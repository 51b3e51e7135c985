"""The endpoints controllers' I/O shell: for one Service, make its Endpoints and its EndpointSlice
what ``desired`` says, writing only what differs; remove both when the Service is gone."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping
from typing import Any, Protocol

from everynode.controllers.endpoints.desired import endpoints, slice_endpoints, slice_labels
from everynode.core import errors
from everynode.core.types import Obj
from everynode.runtime.result import DONE, Result, failed

_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # the letters generated names use


class Store(Protocol):
    def get(self, key: str) -> Obj | None: ...

    def by_index(self, index: str, value: str) -> list[Obj]: ...


class Writer(Protocol):
    """create/update/delete of one resource (``client.rest.ResourceClient`` is one)."""

    async def create(self, obj: Obj, namespace: str | None = None) -> Obj: ...

    async def update(self, obj: Obj, *, subresource: str | None = None) -> Obj: ...

    async def delete(self, name: str, namespace: str | None = None) -> Obj: ...


def slice_name(service: Mapping[str, Any]) -> str:
    """``<service>-<five letters>``, as a generated name looks, but the same for the same Service."""
    meta = service.get("metadata") or {}
    digest = hashlib.sha256(str(meta.get("uid", "")).encode()).digest()
    return f"{meta.get('name', '')}-" + "".join(
        _SUFFIX_ALPHABET[b % len(_SUFFIX_ALPHABET)] for b in digest[:5]
    )


def _same(current: Obj | None, desired: Obj, fields: tuple[str, ...]) -> bool:
    if current is None:
        return False
    labels = (current.get("metadata") or {}).get("labels") or {}
    return labels == (desired["metadata"].get("labels") or {}) and all(
        current.get(field) == desired.get(field) for field in fields
    )


class EndpointsController:
    def __init__(
        self,
        *,
        services: Store,
        pods: Store,
        endpoints: Store,
        slices: Store,
        endpoint_api: Writer,
        slice_api: Writer,
    ) -> None:
        self.services, self.pods, self.endpoints, self.slices = services, pods, endpoints, slices
        self.endpoint_api, self.slice_api = endpoint_api, slice_api
        self.slice_names: dict[str, str] = {}  # service key → its slice's name

    async def reconcile(self, key: str) -> Result:
        namespace, _, name = key.partition("/")
        service = self.services.get(key)
        try:
            if service is None:
                await self._remove(key, namespace, name)
                return DONE
            if not (service.get("spec") or {}).get("selector"):
                return DONE  # no selector: its Endpoints are whoever made them
            pods = self.pods.by_index("namespace", namespace)
            await self._write_endpoints(service, pods)
            await self._write_slice(key, service, pods)
        except errors.Conflict as exc:
            return failed(exc, routine=True)
        except errors.ApiError as exc:
            return failed(exc)
        return DONE

    async def _remove(self, key: str, namespace: str, name: str) -> None:
        targets = [(self.endpoint_api, name)]
        if key in self.slice_names:
            targets.append((self.slice_api, self.slice_names.pop(key)))
        for api, target in targets:
            with contextlib.suppress(errors.NotFound):
                await api.delete(target, namespace)

    async def _write_endpoints(self, service: Obj, pods: list[Obj]) -> None:
        desired = endpoints(service, pods)
        meta = desired["metadata"]
        current = self.endpoints.get(f"{meta['namespace']}/{meta['name']}")
        if _same(current, desired, ("subsets",)):
            return
        if current is None:
            try:
                await self.endpoint_api.create(desired, meta["namespace"])
                return
            except errors.AlreadyExists:
                raise errors.Conflict("the Endpoints appeared meanwhile") from None
        meta["resourceVersion"] = current["metadata"].get("resourceVersion")
        await self.endpoint_api.update(desired)

    async def _write_slice(self, key: str, service: Obj, pods: list[Obj]) -> None:
        meta = service["metadata"]
        name = self.slice_names.setdefault(key, slice_name(service))
        entries, ports = slice_endpoints(service, pods)
        desired: Obj = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": name,
                "namespace": meta.get("namespace", ""),
                "labels": slice_labels(service),
                "ownerReferences": [
                    {
                        "apiVersion": "v1",
                        "kind": "Service",
                        "name": meta.get("name", ""),
                        "uid": meta.get("uid", ""),
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "addressType": "IPv4",
            "endpoints": entries,
            "ports": ports,
        }
        current = self.slices.get(f"{meta.get('namespace', '')}/{name}")
        if _same(current, desired, ("endpoints", "ports", "addressType")):
            return
        if current is None:
            try:
                await self.slice_api.create(desired, meta.get("namespace", ""))
                return
            except errors.AlreadyExists:
                raise errors.Conflict("the EndpointSlice appeared meanwhile") from None
        desired["metadata"]["resourceVersion"] = current["metadata"].get("resourceVersion")
        await self.slice_api.update(desired)

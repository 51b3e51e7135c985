"""Admission: what upstream's built-in admission plugins decide about a write, after defaulting and
before validation — filling in what depends on other objects (a pod's priority from its
PriorityClass) and refusing what refers to objects that do not exist (403, as upstream answers).

A plugin is a pure function of the object, the object it replaces (None on create) and a
``Lookup`` that reads the API server's watch caches; ``apiserver.kinds`` declares which plugins
each kind passes through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from everynode.core import errors
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj


class Lookup(Protocol):
    """Reads of stored objects (the API server's caches: read them, never change them), and the
    cluster's service network (what Services' addresses are assigned from)."""

    @property
    def service_network(self) -> Any: ...

    def get(self, info: ResourceInfo, namespace: str | None, name: str) -> Obj | None: ...

    def list(self, info: ResourceInfo) -> list[Obj]: ...


Plugin = Callable[[Obj, Obj | None, Lookup], None]


def forbidden(info: ResourceInfo, obj: Obj, reason: str) -> errors.Forbidden:
    """``pods "web" is forbidden: <reason>``, named as upstream names the object being admitted:
    its name, else its generateName, else ``Unknown``."""
    metadata = obj.get("metadata") or {}
    name = metadata.get("name") or metadata.get("generateName") or "Unknown"
    resource = f"{info.resource}.{info.group}" if info.group else info.resource
    details = {"name": name, "kind": info.resource}
    if info.group:
        details["group"] = info.group
    return errors.Forbidden(f'{resource} "{name}" is forbidden: {reason}', details=details)

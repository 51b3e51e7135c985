"""Controller references: the one ownerReference of an object that says who manages it.

Pure helpers on JSON objects, as upstream's ``metav1.GetControllerOf`` and ``metav1.NewControllerRef``
(``apimachinery/pkg/apis/meta/v1/controller_ref.go``). The API server admits at most one reference
with ``controller: true``; these helpers read the first one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from everynode.core.types import Obj


def controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``GetControllerOf``: the first ownerReference with ``controller: true``, or None (an orphan)."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref  # type: ignore[no-any-return]
    return None


def new_controller_ref(owner: Mapping[str, Any], *, api_version: str, kind: str) -> Obj:
    """``NewControllerRef``: ``owner`` as the controller of an object it creates or adopts.

    ``blockOwnerDeletion`` makes a foreground deletion of the owner wait for the object. The kind
    is given, not read from ``owner``: objects listed from the API server carry no ``kind``."""
    meta = owner["metadata"]
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }

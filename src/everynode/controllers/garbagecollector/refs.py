"""Owner references and object identities, read from stored objects (pure).

An ``OwnerRef`` is one entry of ``metadata.ownerReferences``; an ``Identity`` says which object a graph
node stands for (its coordinates plus its uid). Owners are resolved to a served resource by API group
and kind only: the version in a reference does not change which object it names, and every group we
serve has a single version. A reference to a kind we do not serve resolves to ``None`` and the garbage
collector leaves it alone (see ``docs/gc.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from everynode.core import resources as r

ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"

_BY_GROUP_KIND: dict[tuple[str, str], r.ResourceInfo] = {
    (info.group, info.kind): info for info in r.RESOURCES
}


def group_of(api_version: str) -> str:
    """``apps`` for ``apps/v1``, ``""`` for the core group's ``v1``."""
    group, slash, _ = api_version.partition("/")
    return group if slash else ""


def resource_for(api_version: str, kind: str) -> r.ResourceInfo | None:
    """The served resource of that kind, or None when we do not serve it."""
    return _BY_GROUP_KIND.get((group_of(api_version), kind))


def _text(mapping: Mapping[str, Any], field: str) -> str:
    value = mapping.get(field)
    return value if isinstance(value, str) else ""


@dataclass(frozen=True, slots=True)
class Identity:
    api_version: str
    kind: str
    namespace: str  # "" for cluster-scoped objects
    name: str
    uid: str

    @property
    def resource(self) -> r.ResourceInfo | None:
        return resource_for(self.api_version, self.kind)

    def absent_key(self) -> tuple[str, str, str, str, str]:
        """What the absent-owner cache remembers: coordinates by group (not version) and the uid."""
        return (group_of(self.api_version), self.kind, self.namespace, self.name, self.uid)

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name} ({self.uid})"


@dataclass(frozen=True, slots=True)
class OwnerRef:
    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool = False
    block_owner_deletion: bool = False

    @classmethod
    def parse(cls, ref: Mapping[str, Any]) -> OwnerRef:
        return cls(
            api_version=_text(ref, "apiVersion"),
            kind=_text(ref, "kind"),
            name=_text(ref, "name"),
            uid=_text(ref, "uid"),
            controller=ref.get("controller") is True,
            block_owner_deletion=ref.get("blockOwnerDeletion") is True,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "name": self.name,
            "uid": self.uid,
            "controller": self.controller,
            "blockOwnerDeletion": self.block_owner_deletion,
        }

    @property
    def resource(self) -> r.ResourceInfo | None:
        return resource_for(self.api_version, self.kind)

    def owner_identity(self, dependent_namespace: str) -> Identity:
        """The owner this reference names, seen from a dependent in ``dependent_namespace``: a
        namespaced owner lives in the dependent's namespace; a cluster-scoped one in none. An
        unknown kind is placed in the dependent's namespace (it is never looked up)."""
        info = self.resource
        namespace = "" if info is not None and not info.namespaced else dependent_namespace
        return Identity(self.api_version, self.kind, namespace, self.name, self.uid)

    def matches(self, identity: Identity) -> bool:
        """Do this reference's coordinates name ``identity`` (same group, kind, name and uid)?"""
        return (
            self.uid == identity.uid
            and self.name == identity.name
            and self.kind == identity.kind
            and group_of(self.api_version) == group_of(identity.api_version)
        )


def metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def owner_refs(obj: Mapping[str, Any]) -> tuple[OwnerRef, ...]:
    """The object's owner references (entries without a uid name nothing and are skipped)."""
    refs = metadata(obj).get("ownerReferences") or ()
    parsed = (OwnerRef.parse(ref) for ref in refs if isinstance(ref, Mapping))
    return tuple(ref for ref in parsed if ref.uid)


def finalizers(obj: Mapping[str, Any]) -> list[str]:
    return [f for f in metadata(obj).get("finalizers") or () if isinstance(f, str)]


def being_deleted(obj: Mapping[str, Any]) -> bool:
    return bool(metadata(obj).get("deletionTimestamp"))


def has_finalizer(obj: Mapping[str, Any], finalizer: str) -> bool:
    return finalizer in finalizers(obj)


def deletion_starts_with(old: Mapping[str, Any] | None, new: Mapping[str, Any], finalizer: str) -> bool:
    """``new`` is being deleted and holds ``finalizer``, and ``old`` (if any) was not both."""
    if not being_deleted(new) or not has_finalizer(new, finalizer):
        return False
    return old is None or not being_deleted(old) or not has_finalizer(old, finalizer)


def identity_of(info: r.ResourceInfo, obj: Mapping[str, Any]) -> Identity:
    meta = metadata(obj)
    return Identity(
        info.api_version, info.kind, _text(meta, "namespace"), _text(meta, "name"), _text(meta, "uid")
    )

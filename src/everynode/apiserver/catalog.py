"""What one API server serves: the built-in kinds (``apiserver.kinds``, fixed) and the custom kinds its
CustomResourceDefinitions declare (added, changed and withdrawn while it runs).

Routing, the registry, discovery, OpenAPI and namespace deletion ask the catalog, never the static
tables, so a custom resource is served everywhere a built-in one is as soon as its definition is
established. A catalog belongs to one server (tests run several in a process, each with its own CRDs).

Invariants: a (group, version, plural) names at most one served resource; every version of a custom
resource shares one watch cache and storage prefix (``ResourceInfo.cache_name``); ``generation`` moves
on every change, so documents built from the catalog (discovery, OpenAPI) know when to rebuild.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from everynode.apiserver.kinds import KINDS, Kind
from everynode.core import resources as r
from everynode.core.resources import ResourceInfo
from everynode.core.types import Obj

_KUBE_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")
_LEVEL = {None: 2, "beta": 1, "alpha": 0}


def version_priority(name: str) -> tuple[int, int, int, int, str]:
    """Sort key, smallest first, for upstream's ``version.CompareKubeAwareVersionStrings``: GA before
    beta before alpha, higher numbers first; names that are not Kubernetes versions last, by name."""
    match = _KUBE_VERSION.match(name)
    if match is None:
        return (1, 0, 0, 0, name)
    major, level, minor = match.groups()
    return (0, -_LEVEL[level], -int(major), -int(minor or 0), "")


_BUILT_IN = {(kind.info.group, kind.info.version, kind.info.resource): kind for kind in KINDS}


@dataclass(frozen=True, slots=True)
class CustomKinds:
    """What one CustomResourceDefinition serves: a Kind per served version (the storage version's
    ``info`` names the watch cache), and the definition itself (what OpenAPI publishes is built from
    it)."""

    definition: str  # the CRD's name, <plural>.<group>
    kinds: tuple[Kind, ...]
    storage_version: str
    crd: Obj  # the definition served (a copy of its own: nothing changes it)
    terminating: bool = False  # the definition is being deleted: its resources take no new objects


class Catalog:
    def __init__(self) -> None:
        self._custom: dict[str, CustomKinds] = {}  # by CRD name
        self._by_path: dict[tuple[str, str, str], Kind] = dict(_BUILT_IN)
        self.generation = 0
        self._listeners: list[Callable[[], None]] = []

    # -- reading ---------------------------------------------------------------------------------

    def lookup(self, group: str, version: str, resource: str) -> ResourceInfo | None:
        kind = self._by_path.get((group, version, resource))
        return kind.info if kind is not None else None

    def kind(self, info: ResourceInfo) -> Kind:
        """The declaration of a served resource (KeyError when it is not served, or no longer)."""
        return self._by_path[(info.group, info.version, info.resource)]

    def infos(self) -> list[ResourceInfo]:
        """Every served resource: the built-in ones in their fixed order, then the custom ones by group
        name and, within a group, by version priority (so a group's preferred version is its most
        stable one, as upstream's discovery orders the versions of a CRD group)."""
        built_in = [kind.info for path, kind in self._by_path.items() if path in _BUILT_IN]
        custom = [kind.info for path, kind in self._by_path.items() if path not in _BUILT_IN]
        custom.sort(key=lambda info: (info.group, version_priority(info.version), info.resource))
        return built_in + custom

    def accepts_new(self, info: ResourceInfo) -> bool:
        """False for a custom resource whose definition is being deleted (upstream refuses creates)."""
        if not info.custom:
            return True
        return not any(c.terminating for c in self._custom.values() if any(k.info is info for k in c.kinds))

    def custom(self) -> list[CustomKinds]:
        return list(self._custom.values())

    def group_versions(self) -> list[tuple[str, str]]:
        """Every (group, version) served, core first, in a stable order."""
        seen: dict[tuple[str, str], None] = {}
        for info in self.infos():
            seen.setdefault((info.group, info.version), None)
        return list(seen)

    def storage_infos(self) -> list[ResourceInfo]:
        """One ``ResourceInfo`` per storage prefix (a custom resource's storage version)."""
        unique: dict[str, ResourceInfo] = {info.cache_name: info for info in r.RESOURCES}
        for custom in self._custom.values():
            for kind in custom.kinds:
                if kind.info.version == custom.storage_version:
                    unique[kind.info.cache_name] = kind.info
        return list(unique.values())

    # -- changing --------------------------------------------------------------------------------

    def serve(self, custom: CustomKinds) -> None:
        """Serve (or re-serve, after a change) what a definition declares."""
        self._drop(custom.definition)
        for kind in custom.kinds:
            path = (kind.info.group, kind.info.version, kind.info.resource)
            if path in self._by_path:
                raise ValueError(f"{custom.definition}: {'/'.join(path)} is already served")
        self._custom[custom.definition] = custom
        for kind in custom.kinds:
            self._by_path[(kind.info.group, kind.info.version, kind.info.resource)] = kind
        self._changed()

    def withdraw(self, definition: str) -> None:
        """Stop serving what ``definition`` declared (nothing if it served nothing)."""
        if self._drop(definition):
            self._changed()

    def served_by(self, definition: str) -> CustomKinds | None:
        return self._custom.get(definition)

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _drop(self, definition: str) -> bool:
        old = self._custom.pop(definition, None)
        if old is None:
            return False
        for kind in old.kinds:
            self._by_path.pop((kind.info.group, kind.info.version, kind.info.resource), None)
        return True

    def _changed(self) -> None:
        self.generation += 1
        for listener in self._listeners:
            listener()


def claimed_paths(catalog: Catalog, kinds: Iterable[Kind], definition: str) -> list[str]:
    """The resources of ``kinds`` another definition (or a built-in kind) already serves."""
    own = catalog.served_by(definition)
    mine = {(k.info.group, k.info.version, k.info.resource) for k in own.kinds} if own else set()
    taken = []
    for kind in kinds:
        path = (kind.info.group, kind.info.version, kind.info.resource)
        if path not in mine and catalog.lookup(*path) is not None:
            taken.append("/".join(part for part in path if part))
    return taken

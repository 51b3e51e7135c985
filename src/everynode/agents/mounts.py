"""Which of a pod's volumes a kubelet could not set up: a ConfigMap or Secret it names that does
not exist (and is not ``optional``), directly or in a projected volume. Such a pod stays
``ContainerCreating`` with ``FailedMount`` events, as upstream's kubelet keeps it, until they appear.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Exists = Callable[[str, str], bool]  # (namespace, name) -> stored?


@dataclass(frozen=True, slots=True)
class MissingSource:
    volume: str
    kind: str  # "configmap" or "secret", as upstream's messages name them
    name: str

    def message(self) -> str:
        """Upstream's FailedMount event message."""
        return f'MountVolume.SetUp failed for volume "{self.volume}" : {self.kind} "{self.name}" not found'


def _sources(volume: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    """(kind, name, optional) of each ConfigMap and Secret the volume reads."""
    found: list[tuple[str, str, bool]] = []
    config_map, secret = volume.get("configMap"), volume.get("secret")
    if isinstance(config_map, dict):
        found.append(("configmap", str(config_map.get("name") or ""), bool(config_map.get("optional"))))
    if isinstance(secret, dict):
        found.append(("secret", str(secret.get("secretName") or ""), bool(secret.get("optional"))))
    projected = volume.get("projected")
    for source in (projected.get("sources") or []) if isinstance(projected, dict) else []:
        if not isinstance(source, dict):
            continue
        for field, kind in (("configMap", "configmap"), ("secret", "secret")):
            reference = source.get(field)
            if isinstance(reference, dict):
                found.append((kind, str(reference.get("name") or ""), bool(reference.get("optional"))))
    return found


def missing_sources(
    pod: Mapping[str, Any], configmap_exists: Exists, secret_exists: Exists
) -> list[MissingSource]:
    namespace = str((pod.get("metadata") or {}).get("namespace") or "")
    missing = []
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        if not isinstance(volume, dict):
            continue
        for kind, name, optional in _sources(volume):
            exists = configmap_exists if kind == "configmap" else secret_exists
            if name and not optional and not exists(namespace, name):
                missing.append(MissingSource(str(volume.get("name") or ""), kind, name))
    return missing


class VolumeWaits:
    """Pods waiting for a ConfigMap or Secret, by what they wait for, so that its arrival wakes
    exactly them; and when each pod last reported its FailedMount (events repeat every ``every``)."""

    def __init__(self, every: float) -> None:
        self.every = every
        self._waiting: dict[tuple[str, str, str], set[Any]] = {}  # (kind, namespace, name) → keys
        self._reported: dict[Any, float] = {}

    def hold(self, key: Any, namespace: str, missing: list[MissingSource], now: float) -> bool:
        """Note that ``key`` waits for ``missing``; whether its events are due (again)."""
        for source in missing:
            self._waiting.setdefault((source.kind, namespace, source.name), set()).add(key)
        last = self._reported.get(key)
        if last is not None and now - last < self.every:
            return False
        self._reported[key] = now
        return True

    def arrived(self, kind: str, namespace: str, name: str) -> set[Any]:
        """The pods that waited for this object (now to be looked at again)."""
        return self._waiting.pop((kind, namespace, name), set())

    def forget(self, key: Any) -> None:
        self._reported.pop(key, None)


def waits_for_volumes(pod: Mapping[str, Any]) -> bool:
    """A pod not yet started (Pending, not being deleted) is the one whose volumes must be ready."""
    status = pod.get("status") or {}
    deleting = (pod.get("metadata") or {}).get("deletionTimestamp")
    running = any("running" in (s.get("state") or {}) for s in status.get("containerStatuses") or [])
    return status.get("phase", "Pending") == "Pending" and not deleting and not running


def creating_statuses(pod: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every container waiting in ContainerCreating, as a kubelet reports them while mounting."""
    return [
        {
            "name": c.get("name", ""),
            "image": c.get("image", ""),
            "imageID": "",
            "ready": False,
            "restartCount": 0,
            "started": False,
            "state": {"waiting": {"reason": "ContainerCreating"}},
        }
        for c in (pod.get("spec") or {}).get("containers") or []
        if isinstance(c, dict)
    ]

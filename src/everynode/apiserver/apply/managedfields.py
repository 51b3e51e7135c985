"""``metadata.managedFields``: entries in, ownership out, and back (``internal/managedfields.go``).

Each entry is one manager's fields: ``{manager, operation, apiVersion, time, fieldsType: FieldsV1,
fieldsV1, subresource}``. A manager's identity (:class:`ManagerKey`) is its name, its operation, the
subresource it wrote through, and -- for updates only -- the API version it used: one applier has one
entry whatever version it applies with, an updater one per version (``BuildManagerIdentifier``).

Entries are written back sorted as upstream sorts them (``sortEncodedManagedFields``): appliers before
updaters, then oldest first (to the second; no time counts as 0), then by manager, API version and
subresource. Managers left with no fields have no entry, and an object managed by nobody has no
``managedFields`` at all.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any, NamedTuple

from everynode.apiserver.apply import fieldset
from everynode.apiserver.apply.gojson import dumps
from everynode.apiserver.apply.updater import Managers, VersionedSet
from everynode.core.timestamps import parse_time

APPLY, UPDATE = "Apply", "Update"
FIELDS_V1 = "FieldsV1"


class ManagerKey(NamedTuple):
    """A manager's identity: ``api_version`` is empty for appliers."""

    manager: str
    operation: str
    api_version: str = ""
    subresource: str = ""

    @staticmethod
    def of(manager: str, operation: str, api_version: str, subresource: str = "") -> ManagerKey:
        """The identity of a writer (``buildManagerInfo``): an unnamed one is ``unknown``."""
        return ManagerKey(
            manager or "unknown", operation, api_version if operation != APPLY else "", subresource
        )

    def identifier(self) -> str:
        """Upstream's identifier string (the JSON of the entry without its fields and time), by which it
        sorts managers in conflict messages."""
        parts = ['"manager":' + dumps(self.manager), '"operation":' + dumps(self.operation)]
        if self.api_version:
            parts.append('"apiVersion":' + dumps(self.api_version))
        if self.subresource:
            parts.append('"subresource":' + dumps(self.subresource))
        return "{" + ",".join(parts) + "}"


class Managed(NamedTuple):
    """Who owns what (``fields``) and when each manager last changed something (``times``)."""

    fields: Managers
    times: dict[Hashable, str | None]


def empty() -> Managed:
    return Managed({}, {})


class ManagedFieldsError(ValueError):
    """Entries that cannot be read (``DecodeManagedFields``)."""


def decode(entries: Any, *, trusted: bool = False) -> Managed:
    """The ownership that ``entries`` record. ``trusted``: entries this server wrote (their fieldsV1 is
    canonical already); a client's are checked and respelt."""
    if entries is None:
        return empty()
    if not isinstance(entries, list):
        raise ManagedFieldsError("managedFields must be a list")
    fields: Managers = {}
    times: dict[Hashable, str | None] = {}
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ManagedFieldsError(f"managed fields entry {position} is not an object")
        operation = entry.get("operation")
        if operation not in (APPLY, UPDATE):
            raise ManagedFieldsError("operation must be `Apply` or `Update`")
        api_version = entry.get("apiVersion")
        if not api_version or not isinstance(api_version, str):
            raise ManagedFieldsError("apiVersion must not be empty")
        fields_type = entry.get("fieldsType") or ""
        if fields_type == "":
            raise ManagedFieldsError(f"missing fieldsType in managed fields entry {position}")
        if fields_type != FIELDS_V1:
            raise ManagedFieldsError(f'invalid fieldsType "{fields_type}" in managed fields entry {position}')
        key = ManagerKey(
            str(entry.get("manager") or ""),
            operation,
            api_version if operation == UPDATE else "",
            str(entry.get("subresource") or ""),
        )
        raw = entry.get("fieldsV1")
        if raw is None:
            owned: fieldset.FieldSet = {}
        elif trusted and isinstance(raw, dict):
            owned = raw
        else:
            try:
                owned = fieldset.canonicalize(raw)
            except ValueError as err:
                raise ManagedFieldsError(
                    f"error decoding versioned set from entry {position}: {err}"
                ) from err
        fields[key] = VersionedSet(owned, api_version, operation == APPLY)
        time = entry.get("time")
        times[key] = time if isinstance(time, str) else None
    return Managed(fields, times)


def is_reset(entries: Any) -> bool:
    """Whether a client asks to forget all ownership: ``[]`` or ``[{}]`` (``isResetManagedFields``)."""
    return isinstance(entries, list) and (not entries or (len(entries) == 1 and entries[0] == {}))


def _seconds(time: str | None) -> int:
    parsed = parse_time(time) if time else None
    return 0 if parsed is None else math.floor(parsed)


def encode(managed: Managed) -> list[dict[str, Any]] | None:
    """The entries to store (None: no ``managedFields``)."""
    if not managed.fields:
        return None
    entries: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for key, versioned in managed.fields.items():
        assert isinstance(key, ManagerKey)
        operation = APPLY if versioned.applied else UPDATE
        entry: dict[str, Any] = {
            "manager": key.manager,
            "operation": operation,
            "apiVersion": versioned.api_version,
        }
        time = managed.times.get(key)
        if time is not None:
            entry["time"] = time
        entry["fieldsType"] = FIELDS_V1
        entry["fieldsV1"] = versioned.fields
        if key.subresource:
            entry["subresource"] = key.subresource
        order = (operation, _seconds(time), key.manager, versioned.api_version, key.subresource)
        entries.append((order, entry))
    entries.sort(key=lambda pair: pair[0])
    return [entry for _, entry in entries]


# -- capping updaters (``capmanagers.go``) -------------------------------------------------------------

MAX_UPDATE_MANAGERS = 10
ANCIENT_CHANGES = "ancient-changes"


def cap_update_managers(managed: Managed, limit: int = MAX_UPDATE_MANAGERS) -> Managed:
    """At most ``limit`` update entries: the oldest are merged, per API version, into an
    ``ancient-changes`` entry (the first of a version is kept apart until a second one joins it)."""
    updaters = [key for key, versioned in managed.fields.items() if not versioned.applied]
    if len(updaters) <= limit:
        return managed
    times = dict(managed.times)
    fields = dict(managed.fields)

    def age(key: Hashable) -> tuple[int, str]:
        assert isinstance(key, ManagerKey)
        return _seconds(times.get(key)), key.identifier()

    updaters.sort(key=age)
    first_of_version: dict[str, Hashable] = {}
    remaining = len(updaters)
    for key in updaters:
        if remaining <= limit:
            break
        versioned = fields[key]
        version = versioned.api_version
        bucket = ManagerKey(ANCIENT_CHANGES, UPDATE, version)
        first = first_of_version.get(version)
        if first is None:
            first_of_version[version] = key
            continue
        if bucket not in fields:
            fields[bucket] = fields.pop(first)
        merged = fieldset.union(versioned.fields, fields[bucket].fields)
        fields[bucket] = VersionedSet(merged, version, versioned.applied)
        del fields[key]
        remaining -= 1
        times[bucket] = times.get(key)
    return Managed(fields, times)

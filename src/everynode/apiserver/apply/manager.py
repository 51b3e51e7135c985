"""The field manager of one endpoint: what every write does to ``metadata.managedFields``.

Upstream stacks small managers around structured-merge-diff (``internal/fieldmanager.go``,
``NewDefaultFieldManager``); this module runs the same steps in the same order, as two functions:

:meth:`FieldManager.update` -- a create, update or non-apply patch by ``manager``:

1. whose ownership counts (``decodeLiveOrNew``): the ``managedFields`` the client sent if it sent
   valid, non-empty ones (a client may edit them), else the stored object's; ``[]`` or ``[{}]`` asks
   to forget them all; a subresource always uses the stored object's;
2. an object that exists and is managed by nobody stays so (``skipnonapplied``); a new one is tracked
   from its creation;
3. the change from the stored object to the new one goes to ``manager`` as an ``Update`` entry
   (``managedfieldsupdater``, ``structuredmerge``): the entry's time moves only when it gained fields;
   the never-tracked metadata is left out (``stripmeta``);
4. beyond ten updaters, the oldest are merged into ``ancient-changes`` (``capmanagers``).

:meth:`FieldManager.apply` -- a server-side apply by ``manager`` (``?force=true``: ``force``):

1. the configuration must be of the endpoint's kind and version (``versioncheck``) and carry no
   ``managedFields``;
2. an object managed by nobody first records its current fields as ``before-first-apply``
   (``skipnonapplied``), so that applying over them conflicts;
3. the merge and ownership of ``updater.apply``; the applier's entry (``Apply``, no API version in its
   identity) takes the time of the change, a no-op apply leaves times alone;
4. for ``kubectl`` (the manager of ``kubectl apply --server-side``): conflicts the last-applied
   annotation forgives are forced through, and the annotation, if the object has one, is rewritten
   (``lastappliedmanager``, ``lastappliedupdater``).

Both are pure: the caller passes the time (RFC 3339, to the second) and stores what comes back. The
returned objects share unchanged subtrees with their inputs, which must not be mutated afterwards.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from everynode.apiserver.apply import fieldset, lastapplied, managedfields, typed, updater
from everynode.apiserver.apply.conflicts import ApplyConflict
from everynode.apiserver.apply.fieldset import FieldSet
from everynode.apiserver.apply.managedfields import APPLY, UPDATE, Managed, ManagedFieldsError, ManagerKey
from everynode.apiserver.apply.schema import ObjectSchema
from everynode.core.errors import BadRequest, InternalError

BEFORE_FIRST_APPLY = "before-first-apply"

# Never owned by anyone (``stripmeta.go``): each path on its own, what is below stays ownable.
NEVER_TRACKED: FieldSet = fieldset.from_paths(
    ("f:apiVersion",),
    ("f:kind",),
    ("f:metadata",),
    ("f:metadata", "f:name"),
    ("f:metadata", "f:namespace"),
    ("f:metadata", "f:creationTimestamp"),
    ("f:metadata", "f:selfLink"),
    ("f:metadata", "f:uid"),
    ("f:metadata", "f:clusterName"),
    ("f:metadata", "f:generation"),
    ("f:metadata", "f:managedFields"),
    ("f:metadata", "f:resourceVersion"),
)

_CURRENT = ManagerKey("current-operation", "")  # the writer of an update, before its entry is merged


def _managed_fields(obj: dict[str, Any] | None) -> Any:
    if obj is None:
        return None
    metadata = obj.get("metadata")
    return metadata.get("managedFields") if isinstance(metadata, dict) else None


def without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` without ``metadata.managedFields`` (a shallow copy when it had them)."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or "managedFields" not in metadata:
        return obj
    return {**obj, "metadata": {k: v for k, v in metadata.items() if k != "managedFields"}}


def with_managed_fields(obj: dict[str, Any], entries: list[dict[str, Any]] | None) -> dict[str, Any]:
    """``obj`` (without managed fields) with these entries; none: no ``managedFields`` key."""
    if entries is None:
        return obj
    metadata = obj.get("metadata")
    metadata = dict(metadata) if isinstance(metadata, dict) else {}
    metadata["managedFields"] = entries
    return {**obj, "metadata": metadata}


def _strip_nulls(value: Any) -> Any:
    """A merged object as upstream's typed objects come out of it: null fields are absent."""
    if isinstance(value, dict):
        if not any(v is None or isinstance(v, dict | list) for v in value.values()):
            return value
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        if not any(isinstance(v, dict | list) for v in value):
            return value
        return [_strip_nulls(v) for v in value]
    return value


def _uid(obj: dict[str, Any] | None) -> str:
    metadata = (obj or {}).get("metadata")
    return str(metadata.get("uid") or "") if isinstance(metadata, dict) else ""


class FieldManager:
    """The field manager of one endpoint: a kind at one API version, through the main resource
    (``subresource=""``) or a subresource (``"status"``), with the strategy's reset fields."""

    def __init__(
        self,
        schema: ObjectSchema,
        api_version: str,
        kind: str,
        *,
        subresource: str = "",
        reset_fields: FieldSet | None = None,
    ) -> None:
        self.schema = schema
        self.api_version = api_version
        self.kind = kind
        self.subresource = subresource
        self.reset_fields = reset_fields or None

    # -- update ------------------------------------------------------------------------------------

    def update(
        self, live: dict[str, Any] | None, new: dict[str, Any], manager: str, now: str
    ) -> dict[str, Any]:
        """``new`` (what a create, update or patch by ``manager`` is about to store over ``live``, None
        for a create) with its ``managedFields``. Never fails: ownership that cannot be worked out
        keeps the stored object's entries, as upstream's ``UpdateNoErrors`` does."""
        try:
            return self._update(live, new, manager, now)
        except (typed.InvalidValue, ManagedFieldsError):
            return with_managed_fields(without_managed_fields(new), _managed_fields(live))

    def _update(
        self, live: dict[str, Any] | None, new: dict[str, Any], manager: str, now: str
    ) -> dict[str, Any]:
        managed = self._decode_live_or_new(live, new)
        new_obj = without_managed_fields(new)
        if not managed.fields and _uid(live):
            return new_obj  # existing and untracked: stays untracked
        live_obj = without_managed_fields(live) if live is not None else self.schema.zero
        key = ManagerKey.of(manager, UPDATE, self.api_version, self.subresource)
        managed = self._record_update(live_obj, new_obj, managed, key, now)
        return with_managed_fields(new_obj, managedfields.encode(managed))

    def _decode_live_or_new(self, live: dict[str, Any] | None, new: dict[str, Any]) -> Managed:
        live_entries = _managed_fields(live)
        if not self.subresource:
            sent = _managed_fields(new)
            if managedfields.is_reset(sent):
                return managedfields.empty()
            if sent is not None and sent != live_entries:
                try:
                    managed = managedfields.decode(sent)
                except ManagedFieldsError:
                    managed = managedfields.empty()
                if managed.fields:
                    return managed
        try:
            return managedfields.decode(live_entries, trusted=True)
        except ManagedFieldsError:
            return managedfields.empty()

    def _record_update(
        self, live: dict[str, Any], new: dict[str, Any], managed: Managed, key: ManagerKey, now: str
    ) -> Managed:
        """capmanagers(managedfieldsupdater(stripmeta(structuredmerge.Update)))."""
        owners = updater.update(
            live,
            new,
            managed.fields,
            _CURRENT,
            version=self.api_version,
            shape=self.schema.root,
            ignore=self.reset_fields,
        )
        current = owners.pop(_CURRENT, None)
        times = managed.times
        if current is not None:
            fields = fieldset.difference(current.fields, NEVER_TRACKED)
            if fields:
                previous = owners.get(key)
                if previous is not None:
                    fields = fieldset.union(fields, previous.fields)
                owners[key] = updater.VersionedSet(fields, current.api_version, False)
                times = {**times, key: now}
        return managedfields.cap_update_managers(Managed(owners, times))

    # -- apply -------------------------------------------------------------------------------------

    def apply(
        self, live: dict[str, Any] | None, config: dict[str, Any], manager: str, *, force: bool, now: str
    ) -> dict[str, Any]:
        """The object an apply of ``config`` by ``manager`` makes of ``live`` (None: created by the
        apply), with its ``managedFields``. Raises :class:`ApplyConflict` (409), ``BadRequest`` (a
        configuration of another kind or with managedFields) or ``InternalError`` (a configuration that
        repeats or cannot name an associative-list item; stored managedFields that cannot be read)."""
        try:
            managed = managedfields.decode(_managed_fields(live), trusted=True)
        except ManagedFieldsError as err:
            raise InternalError(f"failed to decode managed fields: {err}") from err
        self._check_config(config)
        live_obj = without_managed_fields(live) if live is not None else {}
        try:
            obj, managed = self._apply_forgiving(live_obj, config, managed, manager, force=force, now=now)
        except updater.Conflicts as conflicts:
            raise ApplyConflict(conflicts.conflicts) from None
        except typed.InvalidValue as err:
            raise InternalError(f"failed to create typed patch object ({self._gvk()}): {err}") from None
        if manager == lastapplied.UPGRADING_MANAGER and lastapplied.annotation(obj) is not None:
            obj = lastapplied.with_annotation(obj, lastapplied.build(config))
        return with_managed_fields(obj, managedfields.encode(managed))

    def _gvk(self) -> str:
        """A GroupVersionKind as Go prints it: ``apps/v1, Kind=Deployment``, ``/v1, Kind=Pod``."""
        group_version = self.api_version if "/" in self.api_version else "/" + self.api_version
        return f"{group_version}, Kind={self.kind}"

    def _check_config(self, config: dict[str, Any]) -> None:
        api_version, kind = config.get("apiVersion"), config.get("kind")
        if api_version != self.api_version or kind != self.kind:
            group_version = str(api_version or "")
            if "/" not in group_version:
                group_version = "/" + group_version
            raise BadRequest(f"invalid object type: {group_version}, Kind={kind or ''}")
        metadata = config.get("metadata")
        if isinstance(metadata, dict) and metadata.get("managedFields") is not None:
            raise BadRequest("metadata.managedFields must be nil")

    def _apply_forgiving(
        self,
        live: dict[str, Any],
        config: dict[str, Any],
        managed: Managed,
        manager: str,
        *,
        force: bool,
        now: str,
    ) -> tuple[dict[str, Any], Managed]:
        """lastappliedmanager: ``kubectl``'s conflicts that the annotation forgives are forced."""
        try:
            return self._apply_tracked(live, config, managed, manager, force=force, now=now)
        except updater.Conflicts as conflicts:
            if manager != lastapplied.UPGRADING_MANAGER:
                raise
            allowed = lastapplied.allowed_conflicts(live, self.schema.root, self.api_version)
            if allowed is None:
                raise
            remaining = [c for c in conflicts.conflicts if not fieldset.has(allowed, c.path)]
            if remaining:
                raise updater.Conflicts(remaining) from None
        return self._apply_tracked(live, config, managed, manager, force=True, now=now)

    def _apply_tracked(
        self,
        live: dict[str, Any],
        config: dict[str, Any],
        managed: Managed,
        manager: str,
        *,
        force: bool,
        now: str,
    ) -> tuple[dict[str, Any], Managed]:
        """skipnonapplied: an untracked object first credits its fields to ``before-first-apply``."""
        if not managed.fields:
            key = ManagerKey.of(BEFORE_FIRST_APPLY, UPDATE, self.api_version, self.subresource)
            managed = self._record_update(self.schema.zero, live, managed, key, now)
        key = ManagerKey.of(manager, APPLY, self.api_version, self.subresource)
        merged, owners = updater.apply(
            live,
            config,
            managed.fields,
            key,
            version=self.api_version,
            force=force,
            shape=self.schema.root,
            ignore=self.reset_fields,
        )
        owners = self._strip(owners, key)
        times = managed.times
        if merged is None:
            return live, Managed(owners, times)
        return _strip_nulls(merged), Managed(owners, {**times, key: now})

    @staticmethod
    def _strip(owners: updater.Managers, key: Hashable) -> updater.Managers:
        owned = owners.get(key)
        if owned is None:
            return owners
        fields = fieldset.difference(owned.fields, NEVER_TRACKED)
        if fields is owned.fields:
            return owners
        out = dict(owners)
        if fields:
            out[key] = owned._replace(fields=fields)
        else:
            del out[key]
        return out


def manager_or_user_agent(field_manager: str, user_agent: str) -> str:
    """The manager of a write without ``?fieldManager=``: the user agent up to its first ``/``,
    printable characters only, at most 128 bytes (``managerOrUserAgent``)."""
    if field_manager:
        return field_manager
    name = user_agent.split("/", 1)[0]
    out: list[str] = []
    size = 0
    for char in name:
        if not char.isprintable():
            continue
        width = len(char.encode())
        if size + width > 128:
            break
        out.append(char)
        size += width
    return "".join(out)

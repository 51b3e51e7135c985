"""The annotations a Deployment keeps on its ReplicaSets and on itself (upstream
``SetNewReplicaSetAnnotations``, ``SetReplicasAnnotations``, ``ReplicasAnnotationsNeedUpdate``,
``SetDeploymentRevision``, ``SetDeploymentAnnotationsTo``).

- ``deployment.kubernetes.io/revision`` orders the templates: the new ReplicaSet gets the highest old
  revision + 1 (never lowered), and the Deployment carries its new ReplicaSet's revision.
  ``kubectl rollout history`` lists it and ``kubectl rollout undo`` picks a ReplicaSet by it.
- ``deployment.kubernetes.io/revision-history``: when a template comes back (an undo), its ReplicaSet
  takes a new revision and remembers the ones it had, comma-separated, within 2,000 characters.
- ``desired-replicas`` and ``max-replicas`` (replicas, and replicas + maxSurge, when the ReplicaSet was
  last sized) tell a scaling event from a rollout and weigh proportional scaling.
- Every other annotation of the Deployment is copied to its new ReplicaSet, except ``SKIPPED_ANNOTATIONS``.

The functions change the object they are given (a copy the caller owns) and say whether they did.
"""

from __future__ import annotations

import logging
from typing import Any

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.fenceposts import max_surge
from everynode.controllers.deployment.replicasets import RS, parse_int, replicas

log = logging.getLogger(__name__)


def _annotations(obj: dict[str, Any]) -> dict[str, str]:
    meta = obj.setdefault("metadata", {})
    found = meta.get("annotations")
    if found is None:
        found = meta["annotations"] = {}
    return found  # type: ignore[no-any-return]


def copy_deployment_annotations(deployment: RS, rs: dict[str, Any]) -> bool:
    """Copy the Deployment's annotations to ``rs``, but not ``SKIPPED_ANNOTATIONS`` (the revision is the
    ReplicaSet's own: the Deployment's copy of it may be stale)."""
    target = _annotations(rs)
    changed = False
    for key, value in ((deployment.get("metadata") or {}).get("annotations") or {}).items():
        if key in keys.SKIPPED_ANNOTATIONS or target.get(key) == value:
            continue
        target[key] = value
        changed = True
    return changed


def set_new_replica_set_annotations(
    deployment: RS,
    rs: dict[str, Any],
    new_revision: str,
    *,
    exists: bool,
    history_limit: int = keys.MAX_REVISION_HISTORY_CHARS,
) -> bool:
    """Bring the new ReplicaSet's annotations up to date: the Deployment's copied, the revision raised
    to ``new_revision`` if lower (the old one appended to the history), and — for a ReplicaSet about
    to be created — the replica annotations."""
    changed = copy_deployment_annotations(deployment, rs)
    target = _annotations(rs)
    had_revision = keys.REVISION in target
    old_text = target.get(keys.REVISION, "")
    try:
        old_revision = parse_int(old_text) if old_text else 0
    except ValueError:
        log.info("not updating the revision of ReplicaSet %s: %r is not a number", _name(rs), old_text)
        return False
    try:
        revision = parse_int(new_revision)
    except ValueError:
        log.info("not updating the revision of ReplicaSet %s: %r is not a number", _name(rs), new_revision)
        return False
    if old_revision < revision:
        target[keys.REVISION] = new_revision
        changed = True
        if had_revision:
            _append_history(target, old_text, history_limit)
    if not exists and set_replicas_annotations(
        rs, replicas(deployment), replicas(deployment) + max_surge(deployment)
    ):
        changed = True
    return changed


def _append_history(target: dict[str, str], old_revision: str, limit: int) -> None:
    """Add ``old_revision`` to the history, dropping the oldest entries to stay within ``limit`` characters
    (nothing is added if even alone it would not fit)."""
    history = target.get(keys.REVISION_HISTORY, "")
    entries = history.split(",")
    if not entries[0]:
        target[keys.REVISION_HISTORY] = old_revision
        return
    total = len(history) + len(old_revision) + 1
    start = 0
    while total > limit and start < len(entries):
        total -= len(entries[start]) + 1
        start += 1
    if total <= limit:
        target[keys.REVISION_HISTORY] = ",".join([*entries[start:], old_revision])
    else:
        log.info("not appending revision %s: the history would pass %d characters", old_revision, limit)


def set_replicas_annotations(rs: dict[str, Any], desired: int, most: int) -> bool:
    target = _annotations(rs)
    changed = False
    for key, value in ((keys.DESIRED_REPLICAS, str(desired)), (keys.MAX_REPLICAS, str(most))):
        if target.get(key) != value:
            target[key] = value
            changed = True
    return changed


def replicas_annotations_need_update(rs: RS, desired: int, most: int) -> bool:
    found = (rs.get("metadata") or {}).get("annotations")
    if found is None:
        return True
    return bool(found.get(keys.DESIRED_REPLICAS) != str(desired) or found.get(keys.MAX_REPLICAS) != str(most))


def int_annotation(rs: RS, key: str) -> int | None:
    """``getIntFromAnnotation``: the annotation as a number, None if absent or not a number."""
    text = ((rs.get("metadata") or {}).get("annotations") or {}).get(key)
    if text is None:
        return None
    try:
        return parse_int(text)
    except ValueError:
        log.debug("ReplicaSet %s: annotation %s=%r is not a number", _name(rs), key, text)
        return None


def set_deployment_revision(deployment: dict[str, Any], revision: str) -> bool:
    target = _annotations(deployment)
    if target.get(keys.REVISION) == revision:
        return False
    target[keys.REVISION] = revision
    return True


def set_deployment_annotations_to(deployment: dict[str, Any], rs: RS) -> None:
    """A rollback: the Deployment's annotations become the ReplicaSet's, except the skipped ones, which
    the Deployment keeps as they are."""
    kept = {k: v for k, v in _annotations(deployment).items() if k in keys.SKIPPED_ANNOTATIONS}
    for key, value in ((rs.get("metadata") or {}).get("annotations") or {}).items():
        if key not in keys.SKIPPED_ANNOTATIONS:
            kept[key] = value
    deployment["metadata"]["annotations"] = kept


def _name(obj: RS) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))

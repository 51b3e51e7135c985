"""What apps/v1 keeps of server-side rollback (upstream ``rollback.go``): the
``deprecated.deployment.rollback.to`` annotation, the round-tripped form of extensions/v1beta1's
``spec.rollbackTo``. Modern ``kubectl rollout undo`` does not use it (it patches the template from the
ReplicaSet of the wanted revision itself); a client that sets it gets upstream's behaviour: the
Deployment's template (without the hash label) and annotations become those of the ReplicaSet with
that revision (0: the previous one), and the annotation is removed either way.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from everynode.controllers.deployment import keys
from everynode.controllers.deployment.annotations import set_deployment_annotations_to
from everynode.controllers.deployment.replicasets import (
    RS,
    equal_ignore_hash,
    last_revision,
    parse_int,
    revision,
)

Event = tuple[str, str, str]


def rollback_to(deployment: RS) -> int | None:
    """The revision asked for, or None (no annotation, or not a number: ignored, as upstream does)."""
    text = ((deployment.get("metadata") or {}).get("annotations") or {}).get(keys.ROLLBACK_TO)
    if not text:
        return None
    try:
        return parse_int(text)
    except ValueError:
        return None


@dataclass
class Rollback:
    deployment: dict[str, Any]  # to write back (PUT): the annotation gone, maybe a new template
    events: list[Event] = field(default_factory=list)


def _revision_or_none(rs: RS) -> int | None:
    try:
        return revision(rs)
    except ValueError:
        return None


def plan_rollback(deployment: RS, all_rss: Sequence[RS]) -> Rollback:
    """Upstream's ``rollback`` (with ``rollbackToTemplate``), given every ReplicaSet of the Deployment."""
    updated = copy.deepcopy(dict(deployment))
    name = updated["metadata"].get("name", "")
    wanted = rollback_to(deployment) or 0
    result = Rollback(updated)
    if wanted == 0:
        wanted = last_revision(all_rss)
        if wanted == 0:
            result.events.append(
                (keys.WARNING, keys.ROLLBACK_REVISION_NOT_FOUND, "Unable to find last revision.")
            )
            _clear(updated)
            return result
    for rs in all_rss:
        if _revision_or_none(rs) != wanted:
            continue
        template = (rs.get("spec") or {}).get("template") or {}
        if equal_ignore_hash(updated.get("spec", {}).get("template") or {}, template):
            result.events.append(
                (
                    keys.WARNING,
                    keys.ROLLBACK_TEMPLATE_UNCHANGED,
                    f'The rollback revision contains the same template as current deployment "{name}"',
                )
            )
        else:
            restored = copy.deepcopy(dict(template))
            labels = dict((restored.get("metadata") or {}).get("labels") or {})
            labels.pop(keys.POD_TEMPLATE_HASH, None)
            restored.setdefault("metadata", {})["labels"] = labels
            updated.setdefault("spec", {})["template"] = restored
            set_deployment_annotations_to(updated, rs)
            result.events.append(
                (keys.NORMAL, keys.ROLLBACK_DONE, f'Rolled back deployment "{name}" to revision {wanted}')
            )
        _clear(updated)
        return result
    result.events.append(
        (keys.WARNING, keys.ROLLBACK_REVISION_NOT_FOUND, "Unable to find the revision to rollback to.")
    )
    _clear(updated)
    return result


def _clear(deployment: dict[str, Any]) -> None:
    annotations = deployment.setdefault("metadata", {}).get("annotations")
    if annotations:
        annotations.pop(keys.ROLLBACK_TO, None)

"""From client-side to server-side apply: the ``last-applied-configuration`` annotation.

``kubectl apply`` without ``--server-side`` keeps what it applied in the annotation
``kubectl.kubernetes.io/last-applied-configuration`` and writes as the updater
``kubectl-client-side-apply``. Two things ease the move to ``kubectl apply --server-side`` (field
manager ``kubectl``; another field manager opts out of both):

- :func:`allowed_conflicts` (``lastappliedmanager.go``): a conflict is forgiven when the annotation shows
  the field was applied, with the value it still has -- the fields of the last-applied configuration
  minus those the live object changed, added or dropped since. If every conflict is forgiven the apply
  is forced; otherwise only the others are reported.
- :func:`build` and :func:`with_annotation` (``lastappliedupdater.go``): after a server-side apply by
  ``kubectl`` of an object that has the annotation, the annotation is rewritten to the applied
  configuration, so a later client-side apply still diffs against what was applied last. The value is
  the configuration without the annotation, as Go's JSON encoder writes it (keys sorted, a newline at
  the end); an annotation that would take the object's annotations past 256 KiB is dropped instead.
"""

from __future__ import annotations

import json
from typing import Any

from everynode.apiserver.apply import fieldset, typed
from everynode.apiserver.apply.fieldset import FieldSet
from everynode.apiserver.apply.gojson import dumps
from everynode.apiserver.apply.schema import Shape

ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
UPGRADING_MANAGER = "kubectl"
ANNOTATIONS_SIZE_LIMIT = 256 * (1 << 10)


def annotation(obj: dict[str, Any]) -> str | None:
    """The annotation's value, None when absent or empty."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(ANNOTATION) if isinstance(annotations, dict) else None
    return value if isinstance(value, str) and value else None


def allowed_conflicts(live: dict[str, Any], shape: Shape, api_version: str) -> FieldSet | None:
    """The fields the last-applied configuration shows were applied with their live value; None when
    there is no usable annotation (absent, not JSON, of another API version, or not valid for the
    schema)."""
    text = annotation(live)
    if text is None:
        return None
    try:
        last = json.loads(text)
    except ValueError:
        return None
    if not isinstance(last, dict) or last.get("apiVersion") != api_version:
        return None
    try:
        typed.check(last, shape)
        applied = typed.to_field_set(last, shape)
        changed = typed.compare(last, live, shape)
    except typed.InvalidValue:
        return None
    applied = fieldset.difference(applied, changed.modified)
    applied = fieldset.difference(applied, changed.added)
    return fieldset.difference(applied, changed.removed)


def build(config: dict[str, Any]) -> str:
    """The annotation's new value: ``config`` without the annotation, as Go encodes it."""
    metadata = config.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("annotations"), dict):
        annotations = {k: v for k, v in metadata["annotations"].items() if k != ANNOTATION}
        config = {**config, "metadata": {**metadata, "annotations": annotations}}
    return dumps(config) + "\n"


def with_annotation(obj: dict[str, Any], value: str) -> dict[str, Any]:
    """``obj`` with the annotation set (``SetLastApplied``); dropped if the annotations grow too big."""
    metadata = dict(obj.get("metadata") or {})
    annotations = dict(metadata.get("annotations") or {})
    annotations[ANNOTATION] = value
    total = sum(len(k.encode()) + len(str(v).encode()) for k, v in annotations.items())
    if total > ANNOTATIONS_SIZE_LIMIT:
        del annotations[ANNOTATION]
    metadata["annotations"] = annotations
    return {**obj, "metadata": metadata}

"""422s for everynode's rollout annotations on a DaemonSet (``core.rollout``): each value must read
as its annotation says, and the error names the annotation, so `kubectl annotate ds …` with a typo
is refused at once rather than ignored by the controller later."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from everynode.apiserver.validation.fields import Errors, as_dict
from everynode.core import labels, names, rollout
from everynode.core.fielderrors import invalid


def _selector(value: str) -> object:
    try:
        return labels.parse_selector(value)
    except labels.SelectorError as exc:
        raise ValueError(f"must be a label selector: {exc}") from None


def _label_key(value: str) -> object:
    problems = names.is_qualified_name(value)
    if problems:
        raise ValueError(f"must be a node label key: {'; '.join(problems)}")
    return value


_READERS: dict[str, Callable[[str], object]] = {
    rollout.PARTITION: rollout.parse_count_or_percent,
    rollout.NODE_SELECTOR: _selector,
    rollout.PAUSED: rollout.parse_flag,
    rollout.PROGRESS_DEADLINE_SECONDS: lambda v: rollout.parse_seconds(v, positive=True),
    rollout.MAX_FAILED: rollout.parse_count_or_percent,
    rollout.AUTO_ROLLBACK: rollout.parse_flag,
    rollout.WAVES: _label_key,
    rollout.WAVE_PAUSE_SECONDS: lambda v: rollout.parse_seconds(v, positive=False),
    rollout.READINESS_GATE: rollout.parse_flag,
}


def validate_rollout_annotations(metadata: Any) -> Errors:
    """The errors of the rollout annotations ``metadata`` carries (none when it carries none)."""
    annotations = as_dict(as_dict(metadata).get("annotations"))
    errs: Errors = []
    for name, read in _READERS.items():
        value = annotations.get(name)
        if not isinstance(value, str):
            continue
        try:
            read(value)
        except ValueError as exc:
            errs.append(invalid(f"metadata.annotations[{name}]", value, str(exc)))
    return errs

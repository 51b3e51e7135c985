"""The lifecycle engine: which stage applies to an object, when, and what it writes. Pure.

Nothing here reads a clock or calls the API: ``now`` is wall-clock epoch seconds given by the caller,
randomness comes from the caller's ``random.Random``, and the result is data (``Action``) that the agent
turns into requests. So a whole lifecycle can be walked in a unit test by feeding each rendered status
back into the object.

- ``match``: the first stage, in file order, whose resource and selector fit the object;
- ``delay``: seconds from ``now`` until the stage is due — its duration (or the largest readable value
  at ``durationFrom``), plus a uniform draw in ``[0, jitter]``, counted from the latest readable
  timestamp at ``since`` (clamped to now) or from now, and never negative;
- ``render``: the ``Action`` — a status to merge (with labels to add), or a delete;
- ``step``: all three at once, the action rendered as of the time it falls due.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from everynode.agents import renderers
from everynode.agents.stages import Stage, StageSet, parse_duration
from everynode.core.timestamps import parse_time
from everynode.core.types import Obj


@dataclass(frozen=True, slots=True)
class Action:
    """What applying a stage writes: ``status`` fields to merge (and ``labels`` to add), or a delete."""

    stage: str
    status: Obj | None = None
    labels: dict[str, str] = field(default_factory=dict)
    delete: bool = False


@dataclass(frozen=True, slots=True)
class Step:
    stage: Stage
    delay: float  # seconds from now
    action: Action  # rendered as of now + delay


class Lifecycle:
    def __init__(self, stages: StageSet) -> None:
        self.stages = stages
        self._by_resource = {
            resource: stages.for_resource(resource) for resource in (renderers.POD, renderers.NODE)
        }

    def match(self, resource: str, obj: Mapping[str, Any]) -> Stage | None:
        """The first stage for ``resource`` whose selector holds for ``obj``; None if none does."""
        for stage in self._by_resource.get(resource, ()):
            if stage.selects(obj):
                return stage
        return None

    def delay(self, stage: Stage, obj: Mapping[str, Any], *, now: float, rng: random.Random) -> float:
        """Seconds from ``now`` until ``stage`` is due for ``obj`` (see the module docstring)."""
        spec = stage.delay
        base = spec.duration
        if spec.duration_from is not None:
            readable = [d for d in map(parse_duration, spec.duration_from.values(obj)) if d is not None]
            if readable:
                base = max(readable)
        start = now
        if spec.since is not None:
            stamps = [t for t in (parse_time(v) for v in spec.since.values(obj) if isinstance(v, str)) if t]
            if stamps:
                start = min(max(stamps), now)
        jitter = rng.random() * spec.jitter if spec.jitter > 0 else 0.0
        return max(0.0, start + base + jitter - now)

    def render(
        self, stage: Stage, obj: Mapping[str, Any], *, now: float, node: Mapping[str, Any] | None = None
    ) -> Action:
        """What ``stage`` writes for ``obj`` at ``now`` (for a pod, ``node`` is the node it is bound to)."""
        if stage.next.delete:
            return Action(stage.name, delete=True)
        renderer = renderers.RENDERERS[stage.next.status or ""]
        output = renderer.render(obj, renderers.Context(now=now, node=node), stage.next.params)
        return Action(stage.name, status=output.status, labels=output.labels)

    def step(
        self,
        resource: str,
        obj: Mapping[str, Any],
        *,
        now: float,
        rng: random.Random,
        node: Mapping[str, Any] | None = None,
    ) -> Step | None:
        """The stage that applies to ``obj`` now, its delay, and its action as of when it falls due."""
        stage = self.match(resource, obj)
        if stage is None:
            return None
        delay = self.delay(stage, obj, now=now, rng=rng)
        return Step(stage, delay, self.render(stage, obj, now=now + delay, node=node))


def unchanged(obj: Mapping[str, Any], action: Action) -> bool:
    """Would ``action`` leave ``obj`` as it is? (every status field already equal, every label present)"""
    if action.delete:
        return False
    status: Mapping[str, Any] = obj.get("status") or {}
    labels: Mapping[str, Any] = (obj.get("metadata") or {}).get("labels") or {}
    same_status = all(status.get(key) == value for key, value in (action.status or {}).items())
    return same_status and all(labels.get(key) == value for key, value in action.labels.items())

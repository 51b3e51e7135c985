"""Stages: what the node agent does to a pod or a node, as data read from a YAML stage file.

A stage file is one document::

    apiVersion: everynode.io/v1alpha1
    kind: StageSet
    metadata: {name: fast}
    stages:
    - name: pod-ready                      # unique in the file
      resource: Pod                        # Pod or Node
      selector:                            # every expression must hold (none: always)
        matchExpressions:
        - {key: status.phase, operator: In, values: [Running]}
      delay:                               # all optional; durations are 500ms, 2s, 1m30s or seconds
        duration: 0s
        jitter: 500ms                      # a uniform random extra in [0, jitter]
        durationFrom: spec.containers[*].readinessProbe.initialDelaySeconds
        since: status.startTime            # count from this timestamp instead of from now
      next:
        status: ready                      # a renderer (see ``renderers``) …
        with: {}                           # … and its parameters
        # or: delete: true                 (pods only: delete with grace period 0)

For an object the *first* stage (in file order) whose resource and selector match applies. Operators:
``In``/``NotIn`` (a reached value is / no reached value is one of ``values``), ``Exists``/``DoesNotExist``,
``Matches``/``DoesNotMatch`` (regular expressions, searched). A path that reaches nothing is ``NotIn``
anything and ``DoesNotMatch`` anything. Keys are field paths (see ``paths``).

Loading validates everything — unknown fields, bad paths, durations, regular expressions, operators,
renderer names and parameters — and raises one ``StageError`` that lists every problem with where it is.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

import yaml

from everynode.agents import renderers
from everynode.agents.paths import Path, PathError, parse_path, scalar_text

API_VERSION = "everynode.io/v1alpha1"
KIND = "StageSet"
RESOURCES = (renderers.POD, renderers.NODE)
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Matches", "DoesNotMatch")
_NEEDS_VALUES = frozenset({"In", "NotIn", "Matches", "DoesNotMatch"})
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
DEFAULT_FILE = "fast.yaml"


class StageError(ValueError):
    """A stage file that cannot be used; the message lists every problem, one per line."""


def parse_duration(value: Any) -> float | None:
    """Seconds from ``500ms``, ``2s``, ``1m30s``, ``1.5h``, ``0``, or a non-negative number of seconds;
    ``None`` if ``value`` is none of those."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(text):
        match = _DURATION.match(text, pos)
        if match is None:
            return None
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return total if text else None


@dataclass(frozen=True, slots=True)
class Expression:
    path: Path
    operator: str
    values: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()

    def matches(self, obj: Any) -> bool:
        found = self.path.values(obj)
        if self.operator == "Exists":
            return bool(found)
        if self.operator == "DoesNotExist":
            return not found
        if self.operator in ("In", "NotIn"):
            hit = any(scalar_text(value) in self.values for value in found)
            return hit if self.operator == "In" else not hit
        hit = any(isinstance(value, str) and any(p.search(value) for p in self.patterns) for value in found)
        return hit if self.operator == "Matches" else not hit


@dataclass(frozen=True, slots=True)
class Delay:
    duration: float = 0.0
    jitter: float = 0.0
    duration_from: Path | None = None
    since: Path | None = None


@dataclass(frozen=True, slots=True)
class Next:
    status: str | None = None  # a renderer name
    params: Mapping[str, Any] = field(default_factory=dict)
    delete: bool = False


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    resource: str
    selector: tuple[Expression, ...]
    delay: Delay
    next: Next

    def selects(self, obj: Any) -> bool:
        return all(expression.matches(obj) for expression in self.selector)


@dataclass(frozen=True, slots=True)
class StageSet:
    name: str
    stages: tuple[Stage, ...]
    source: str = "<memory>"

    def for_resource(self, resource: str) -> tuple[Stage, ...]:
        return tuple(stage for stage in self.stages if stage.resource == resource)

    def names(self) -> list[str]:
        return [stage.name for stage in self.stages]


# -- loading ----------------------------------------------------------------------------------------


def default_stages() -> StageSet:
    """The stage set shipped with everynode (``stages/fast.yaml``)."""
    text = importlib.resources.files("everynode.agents").joinpath("stages", DEFAULT_FILE).read_text()
    return parse_stages(text, source=f"everynode.agents:stages/{DEFAULT_FILE}")


def load_stages(path: str | FilePath) -> StageSet:
    """Read and validate the stage file at ``path``."""
    try:
        text = FilePath(path).read_text()
    except OSError as exc:
        raise StageError(f"cannot read stage file {path}: {exc.strerror or exc}") from None
    return parse_stages(text, source=str(path))


def parse_stages(text: str, *, source: str = "<memory>") -> StageSet:
    """Validate a stage file's text; raises ``StageError`` listing every problem found."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise StageError(f"{source}: not valid YAML: {exc}") from None
    problems: list[str] = []
    stage_set = _stage_set(document, source, problems)
    if problems or stage_set is None:
        raise StageError("\n".join(f"{source}: {problem}" for problem in problems))
    return stage_set


class _Problems:
    """Collects the problems found under one location (``stages[2] (pod-ready)``)."""

    def __init__(self, where: str, sink: list[str]) -> None:
        self.where = where
        self.sink = sink

    def add(self, what: str, problem: str) -> None:
        self.sink.append(f"{self.where}: {what}: {problem}" if what else f"{self.where}: {problem}")

    def fields(self, value: Any, what: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> bool:
        """Is ``value`` a mapping with only ``allowed`` keys and every ``required`` one? (reports if not)"""
        if not isinstance(value, Mapping):
            self.add(what, f"must be a mapping (with {', '.join(allowed)})")
            return False
        ok = True
        for key in value:
            if key not in allowed:
                self.add(_join(what, str(key)), f"unknown field (allowed: {', '.join(allowed)})")
                ok = False
        for key in required:
            if key not in value:
                self.add(_join(what, key), "is required")
                ok = False
        return ok


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _stage_set(document: Any, source: str, problems: list[str]) -> StageSet | None:
    top = _Problems("document", problems)
    if not top.fields(
        document, "", ("apiVersion", "kind", "metadata", "stages"), ("apiVersion", "kind", "stages")
    ):
        return None
    if document["apiVersion"] != API_VERSION:
        top.add("apiVersion", f"must be {API_VERSION} (got {document['apiVersion']!r})")
    if document["kind"] != KIND:
        top.add("kind", f"must be {KIND} (got {document['kind']!r})")
    name = FilePath(source).stem
    metadata = document.get("metadata")
    if metadata is not None and top.fields(metadata, "metadata", ("name",)):
        if not isinstance(metadata.get("name", ""), str):
            top.add("metadata.name", "must be a string")
        else:
            name = metadata.get("name") or name
    raw_stages = document["stages"]
    if not isinstance(raw_stages, list) or not raw_stages:
        top.add("stages", "must be a non-empty list of stages")
        return None
    stages: list[Stage] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_stages):
        label = raw.get("name") if isinstance(raw, Mapping) else None
        where = f"stages[{index}]" + (f" ({label})" if isinstance(label, str) else "")
        stage = _stage(raw, _Problems(where, problems))
        if stage is None:
            continue
        if stage.name in seen:
            problems.append(f"{where}: name: {stage.name!r} is used by an earlier stage")
        seen.add(stage.name)
        stages.append(stage)
    return StageSet(name, tuple(stages), source)


def _stage(raw: Any, p: _Problems) -> Stage | None:
    if not p.fields(raw, "", ("name", "resource", "selector", "delay", "next"), ("name", "resource", "next")):
        return None
    before = len(p.sink)
    name, resource = raw["name"], raw["resource"]
    if not isinstance(name, str) or not name:
        p.add("name", "must be a non-empty string")
    if resource not in RESOURCES:
        p.add("resource", f"must be one of {', '.join(RESOURCES)} (got {resource!r})")
    selector = _selector(raw.get("selector"), p)
    delay = _delay(raw.get("delay"), p)
    next_step = _next(raw["next"], resource, p)
    if len(p.sink) > before or next_step is None:
        return None
    return Stage(name, resource, selector, delay, next_step)


def _path(value: Any, what: str, p: _Problems) -> Path | None:
    if not isinstance(value, str):
        p.add(what, "must be a field path (a string such as status.phase)")
        return None
    try:
        return parse_path(value)
    except PathError as exc:
        p.add(what, str(exc))
        return None


def _selector(raw: Any, p: _Problems) -> tuple[Expression, ...]:
    if raw is None:
        return ()
    if not p.fields(raw, "selector", ("matchExpressions",)):
        return ()
    items = raw.get("matchExpressions") or []
    if not isinstance(items, list):
        p.add("selector.matchExpressions", "must be a list")
        return ()
    expressions = []
    for index, item in enumerate(items):
        what = f"selector.matchExpressions[{index}]"
        if not p.fields(item, what, ("key", "operator", "values"), ("key", "operator")):
            continue
        expression = _expression(item, what, p)
        if expression is not None:
            expressions.append(expression)
    return tuple(expressions)


def _expression(item: Mapping[str, Any], what: str, p: _Problems) -> Expression | None:
    path = _path(item["key"], f"{what}.key", p)
    operator = item["operator"]
    if operator not in OPERATORS:
        p.add(f"{what}.operator", f"must be one of {', '.join(OPERATORS)} (got {operator!r})")
        return None
    values = item.get("values")
    if operator not in _NEEDS_VALUES:
        if values is not None:
            p.add(f"{what}.values", f"must not be set for {operator}")
        return Expression(path, operator) if path else None
    if not isinstance(values, list) or not values:
        p.add(f"{what}.values", f"{operator} needs a non-empty list of values")
        return None
    if not all(isinstance(value, str) for value in values):
        p.add(f"{what}.values", 'must all be strings (quote YAML scalars: "True", "110")')
        return None
    patterns: list[re.Pattern[str]] = []
    if operator in ("Matches", "DoesNotMatch"):
        for value in values:
            try:
                patterns.append(re.compile(value))
            except re.error as exc:
                p.add(f"{what}.values", f"{value!r} is not a regular expression: {exc}")
                return None
    return Expression(path, operator, tuple(values), tuple(patterns)) if path else None


def _delay(raw: Any, p: _Problems) -> Delay:
    if raw is None:
        return Delay()
    if not p.fields(raw, "delay", ("duration", "jitter", "durationFrom", "since")):
        return Delay()
    seconds = {}
    for key in ("duration", "jitter"):
        value = raw.get(key, 0)
        parsed = parse_duration(value)
        if parsed is None:
            p.add(f"delay.{key}", f"{value!r} is not a duration (e.g. 500ms, 2s, 1m30s, or seconds)")
        seconds[key] = parsed or 0.0
    duration_from = _path(raw["durationFrom"], "delay.durationFrom", p) if "durationFrom" in raw else None
    since = _path(raw["since"], "delay.since", p) if "since" in raw else None
    return Delay(seconds["duration"], seconds["jitter"], duration_from, since)


def _next(raw: Any, resource: Any, p: _Problems) -> Next | None:
    if not p.fields(raw, "next", ("status", "with", "delete")):
        return None
    status, params, delete = raw.get("status"), raw.get("with"), raw.get("delete", False)
    if not isinstance(delete, bool):
        p.add("next.delete", "must be true or false")
        return None
    if delete:
        if status is not None or params is not None:
            p.add("next", "delete: true cannot be combined with status or with")
            return None
        if resource != renderers.POD:
            p.add("next.delete", "only pods can be deleted by a stage")
            return None
        return Next(delete=True)
    if status is None:
        p.add("next", "must set status (a renderer) or delete: true")
        return None
    renderer = renderers.RENDERERS.get(status) if isinstance(status, str) else None
    if renderer is None:
        known = ", ".join(name for name, r in renderers.RENDERERS.items() if r.kind == resource)
        p.add("next.status", f"unknown renderer {status!r} for {resource} (known: {known})")
        return None
    if renderer.kind != resource:
        p.add("next.status", f"{status} renders a {renderer.kind}, not a {resource}")
        return None
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        p.add("next.with", "must be a mapping of the renderer's parameters")
        return None
    for problem in renderer.check(params):
        p.add("next.with", problem)
    return Next(status=status, params=dict(params))

"""Field paths into a JSON object, as stage selectors and delays name them.

A path is a dotted list of keys, with brackets for what a dot cannot say::

    status.phase                                   a key, then a key
    metadata.annotations[wellknown.SIM_READY] a key with dots or slashes in it (either quote)
    spec.containers[*].image                       every element of a list
    status.conditions[type=Ready].status           the elements of a list whose ``type`` is ``Ready``

``Path.values(obj)`` returns every value the path reaches, in order, leaving out missing keys and JSON
``null``: a path reaches nothing, one value, or (through ``[*]`` or a filter) several. It never fails on
an object of an unexpected shape; it just reaches nothing there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_NAME = re.compile(r"[A-Za-z0-9_$-]+")
_FILTER = re.compile(r"([A-Za-z0-9_$-]+)=([^\]]*)")


class PathError(ValueError):
    """A path that does not parse; the message says where and why."""


@dataclass(frozen=True, slots=True)
class _Key:
    name: str


@dataclass(frozen=True, slots=True)
class _Each:
    pass


@dataclass(frozen=True, slots=True)
class _Where:
    field: str
    value: str


_Step = _Key | _Each | _Where


@dataclass(frozen=True, slots=True)
class Path:
    text: str
    steps: tuple[_Step, ...]

    def values(self, obj: Any) -> list[Any]:
        """Every value the path reaches in ``obj`` (``None``s left out)."""
        current: list[Any] = [obj]
        for step in self.steps:
            found: list[Any] = []
            if isinstance(step, _Key):
                for value in current:
                    if isinstance(value, Mapping):
                        child = value.get(step.name)
                        if child is not None:
                            found.append(child)
            elif isinstance(step, _Each):
                for value in current:
                    if isinstance(value, list):
                        found.extend(item for item in value if item is not None)
            else:
                for value in current:
                    if isinstance(value, list):
                        found.extend(
                            item
                            for item in value
                            if isinstance(item, Mapping) and scalar_text(item.get(step.field)) == step.value
                        )
            if not found:
                return []
            current = found
        return current

    def __str__(self) -> str:
        return self.text


def scalar_text(value: Any) -> str | None:
    """A scalar as selectors compare it: strings as they are, booleans ``true``/``false``, numbers as
    written; ``None`` for anything else (objects, lists, null)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def parse_path(text: str) -> Path:
    """Parse ``text``; raises ``PathError`` naming the offending position."""
    if not text.strip():
        raise PathError("a path must be a non-empty string, such as status.phase")
    steps: list[_Step] = []
    pos = 0
    expect_name = True  # at the start, and after a dot
    while pos < len(text):
        char = text[pos]
        if char == "[":
            step, pos = _bracket(text, pos)
            steps.append(step)
            expect_name = False
        elif char == ".":
            if expect_name:
                raise PathError(f"path {text!r}: unexpected '.' at {pos}")
            pos += 1
            expect_name = True
            if pos == len(text):
                raise PathError(f"path {text!r}: ends with '.'")
        else:
            if not expect_name:
                raise PathError(f"path {text!r}: expected '.' or '[' at {pos}")
            match = _NAME.match(text, pos)
            if match is None:
                raise PathError(f"path {text!r}: unexpected {char!r} at {pos}")
            steps.append(_Key(match.group()))
            pos = match.end()
            expect_name = False
    return Path(text, tuple(steps))


def _bracket(text: str, start: int) -> tuple[_Step, int]:
    if text[start + 1 : start + 2] in ("'", '"'):
        # a quoted key may hold anything but its quote: find the quote, then the bracket
        quote = text[start + 1]
        close = text.find(quote, start + 2)
        if close < 0 or text[close + 1 : close + 2] != "]":
            raise PathError(f"path {text!r}: the quoted key at {start} must end with {quote}]")
        return _Key(text[start + 2 : close]), close + 2
    end = text.find("]", start)
    if end < 0:
        raise PathError(f"path {text!r}: '[' at {start} is never closed")
    inner = text[start + 1 : end]
    if inner == "*":
        return _Each(), end + 1
    match = _FILTER.fullmatch(inner)
    if match is None:
        raise PathError(f'path {text!r}: [{inner}] at {start} is not [*], ["key"] or [field=value]')
    return _Where(match.group(1), match.group(2)), end + 1

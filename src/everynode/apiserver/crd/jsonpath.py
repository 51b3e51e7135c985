"""The JSONPath subset printer columns use, evaluated as client-go's ``util/jsonpath`` evaluates them
with missing keys allowed (a missing field yields no result, never an error).

Supported: fields (``.spec.replicas``, ``.metadata.labels.app\\.kubernetes\\.io/name``, ``['key']``),
``*``, indexes and slices (``[0]``, ``[-1]``, ``[1:3]``), unions (``[0,2]``), recursive descent
(``..name``) and filters (``[?(@.type=="Ready")]``, ``[?(@.count > 2)]``, ``[?(@.ready)]``). An
expression may be written bare or inside ``{...}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Step = Callable[[list[Any]], list[Any]]
_FILTER = re.compile(r"^\?\(\s*@((?:\.[^\s=!<>]+|\[[^\]]*\])*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*\)$")


class JSONPathError(ValueError):
    """An expression that does not parse."""


def _field(name: str) -> Step:
    def step(values: list[Any]) -> list[Any]:
        if name == "*":
            out: list[Any] = []
            for value in values:
                if isinstance(value, dict):
                    out.extend(value.values())
                elif isinstance(value, list):
                    out.extend(value)
            return out
        return [v[name] for v in values if isinstance(v, dict) and name in v]

    return step


def _descend(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    pending = list(values)
    while pending:
        value = pending.pop(0)
        out.append(value)
        if isinstance(value, dict):
            pending[0:0] = list(value.values())
        elif isinstance(value, list):
            pending[0:0] = list(value)
    return out


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise JSONPathError(f"unrecognized literal {text}") from None


def _compare(left: Any, op: str, right: Any) -> bool:
    numbers = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (left, right))
    if op == "==":
        return bool(left == right) if numbers or type(left) is type(right) else False
    if op == "!=":
        return not _compare(left, "==", right)
    if not numbers and not (isinstance(left, str) and isinstance(right, str)):
        return False
    return bool({"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op])


def _filter(text: str) -> Step:
    match = _FILTER.match(text)
    if match is None:
        raise JSONPathError(f"unrecognized filter {text}")
    path, op, literal = match.groups()
    steps = _parse(path) if path else []
    expected = _literal(literal) if op else None

    def keep(item: Any) -> bool:
        found = _run(steps, [item])
        if not op:
            return bool(found)
        return any(_compare(value, op, expected) for value in found)

    def step(values: list[Any]) -> list[Any]:
        out: list[Any] = []
        for value in values:
            items = value if isinstance(value, list) else [value]
            out.extend(item for item in items if keep(item))
        return out

    return step


def _index(text: str) -> Step:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) > 1:
        steps = [_bracket(p) for p in parts]
        return lambda values: [r for s in steps for r in s(values)]
    if ":" in text:
        bounds = [int(b) if b.strip() else None for b in text.split(":")]
        if len(bounds) > 3:
            raise JSONPathError(f"invalid slice {text}")
        return lambda values: [x for v in values if isinstance(v, list) for x in v[slice(*bounds)]]
    position = int(text)

    def step(values: list[Any]) -> list[Any]:
        out = []
        for value in values:
            if isinstance(value, list) and -len(value) <= position < len(value):
                out.append(value[position])
        return out

    return step


def _bracket(text: str) -> Step:
    text = text.strip()
    if text.startswith("?"):
        return _filter(text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return _field(text[1:-1])
    if text == "*":
        return _field("*")
    try:
        return _index(text)
    except ValueError as error:
        raise JSONPathError(f"invalid array index {text}") from error


def _closing(text: str, start: int) -> int:
    depth, quote = 0, ""
    for i in range(start, len(text)):
        char = text[i]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
            if depth == 0:
                return i
    raise JSONPathError(f"unclosed bracket in {text}")


def _parse(text: str) -> list[Step]:
    steps: list[Step] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "." and text[i : i + 2] == "..":
            steps.append(_descend)
            i += 1  # the second dot starts the field the descent looks for
        elif char == ".":
            i += 1
            name = []
            while i < len(text) and text[i] not in ".[":
                if text[i] == "\\" and i + 1 < len(text):
                    i += 1
                name.append(text[i])
                i += 1
            if name:
                steps.append(_field("".join(name)))
        elif char == "[":
            end = _closing(text, i)
            steps.append(_bracket(text[i + 1 : end]))
            i = end + 1
        elif char == "$" and i == 0:
            i += 1
        else:
            raise JSONPathError(f"unrecognized character in {text}: {char}")
    return steps


def _run(steps: list[Step], values: list[Any]) -> list[Any]:
    for step in steps:
        values = step(values)
    return values


def compile_path(expression: str) -> Callable[[Any], list[Any]]:
    """A function from a document to the values ``expression`` finds in it (first match first)."""
    text = expression.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    steps = _parse(text)
    return lambda document: _run(steps, [document])

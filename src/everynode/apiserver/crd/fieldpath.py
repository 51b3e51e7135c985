"""Field paths into a structural schema (``cel.ValidFieldPath``): ``.spec.replicas``,
``.metadata['name']``, as ``selectableFields[].jsonPath`` and ``x-kubernetes-validations[].fieldPath``
name a field. Each step names a property, or a key of ``additionalProperties``.
"""

from __future__ import annotations

import re

from everynode.apiserver.crd.structural import Structural

_TOKEN = re.compile(r"'(?:[^'\\]|\\.)*'|[.\[\]]|[^.\[\]']+")


class FieldPathError(ValueError):
    """Why a path names no field; ``str()`` is upstream's wording."""


def resolve(
    json_path: str, schema: Structural, *, array_notation: bool = True
) -> tuple[list[str], Structural]:
    """The names along ``json_path`` and the schema of the field it ends at."""
    tokens = _TOKEN.findall(json_path)
    names: list[str] = []
    current = schema
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "[":
            if not array_notation:
                raise FieldPathError("array notation is not allowed")
            if i + 1 >= len(tokens):
                raise FieldPathError("unexpected end of JSON path")
            quoted = tokens[i + 1]
            if len(quoted) < 2 or quoted[0] != "'" or quoted[-1] != "'":
                raise FieldPathError(f"expected single quoted string but got {quoted}")
            current = _step(current, quoted[1:-1].replace("\\'", "'"), names)
            if i + 2 >= len(tokens):
                raise FieldPathError("unexpected end of JSON path")
            if tokens[i + 2] != "]":
                raise FieldPathError(f"expected ] but got {tokens[i + 2]}")
            i += 3
        elif token == ".":
            if i + 1 >= len(tokens):
                raise FieldPathError("unexpected end of JSON path")
            current = _step(current, tokens[i + 1], names)
            i += 2
        else:
            raise FieldPathError(f"expected [ or . but got: {token}")
    return names, current


def _step(schema: Structural, name: str, names: list[str]) -> Structural:
    names.append(name)
    if schema.properties:
        found = schema.properties.get(name)
        if found is None:
            raise FieldPathError("does not refer to a valid field")
        return found
    if schema.has_additional and schema.additional is not None:
        return schema.additional
    raise FieldPathError("does not refer to a valid field")

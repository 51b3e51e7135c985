"""``fieldValidation``: what happens to fields the schema does not know (Strict, Warn, Ignore); and
values of the wrong JSON type or integers too large for their field, which Go's typed decoder
refuses whatever the mode (400, as upstream's ``json: cannot unmarshal …``).

Whatever the mode, unknown fields are not stored (a typed decoder drops them upstream); Strict
rejects the request with upstream's ``strict decoding error``, Warn answers with Warning headers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from everynode.apiserver.description import schema
from everynode.core import errors
from everynode.core.resources import ResourceInfo

MODES = ("Strict", "Warn", "Ignore")


def check_fields(
    info: ResourceInfo,
    obj: dict[str, Any],
    mode: str,
    baseline: dict[str, Any] | None = None,
    *,
    custom_unknown: Callable[[dict[str, Any]], list[str]] | None = None,
) -> list[str]:
    """Drop unknown fields from ``obj``; raise 400 (Strict) or return warnings (Warn).

    ``baseline``: the stored object a patch was applied to (see ``schema.unknown_fields``).
    ``custom_unknown``: a custom kind's own finder (its schema's pruning; the pruning itself happens
    with its defaults), which lists the unknown fields of ``obj`` as paths."""
    if mode not in MODES:
        raise errors.BadRequest(f'fieldValidation must be one of Strict, Warn, Ignore; got "{mode}"')
    if custom_unknown is not None:
        return _report(info, custom_unknown(obj), mode)
    unknown, overflowing, mistyped = schema.field_problems(info.group, info.version, info.kind, obj, baseline)
    undecodable = [  # Go's decoder refuses these whatever the mode
        f"json: cannot unmarshal {got} into Go struct field {schema.render_path(path)} of type {expected}"
        for path, expected, got in mistyped
    ] + [
        f"json: cannot unmarshal number {number} into Go struct field {schema.render_path(path)} "
        f"of type {integer}"
        for path, number, integer in overflowing
    ]
    if undecodable:
        raise errors.BadRequest(
            f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: {undecodable[0]}'
        )
    if not unknown:
        return []
    named = [schema.render_path(path) for path in unknown]
    if mode != "Strict":
        for path in unknown:
            prune(obj, path)
    return _report(info, named, mode)


def _report(info: ResourceInfo, named: list[str], mode: str) -> list[str]:
    if not named:
        return []
    if mode == "Strict":
        listed = ", ".join(f'unknown field "{path}"' for path in named)
        raise errors.BadRequest(
            f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: '
            f"strict decoding error: {listed}"
        )
    return [f'unknown field "{path}"' for path in named] if mode == "Warn" else []


def prune(obj: Any, path: schema.FieldPath) -> None:
    """Remove the field at ``path`` (``("spec", "containers", 0, "imagee")``) if present."""
    node = obj
    for step in path[:-1]:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return
        elif not isinstance(node, dict) or step not in node:
            return
        node = node[step]
    last = path[-1] if path else None
    if isinstance(node, dict) and isinstance(last, str):
        node.pop(last, None)

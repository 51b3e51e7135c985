"""Field validation errors, worded as apimachinery's ``field.Error`` words them.

A validator returns a list of ``FieldError``; the API server turns a non-empty list into a 422
``Invalid`` Status whose message and ``details.causes`` match upstream's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

ErrorType = Literal[
    "Required",
    "Invalid",
    "NotSupported",
    "Forbidden",
    "Duplicate",
    "TooLong",
    "TooMany",
    "NotFound",
    "TypeInvalid",
]

_REASONS: dict[str, str] = {
    "Required": "FieldValueRequired",
    "Invalid": "FieldValueInvalid",
    "NotSupported": "FieldValueNotSupported",
    "Forbidden": "FieldValueForbidden",
    "Duplicate": "FieldValueDuplicate",
    "TooLong": "FieldValueTooLong",
    "TooMany": "FieldValueTooMany",
    "NotFound": "FieldValueNotFound",
    "TypeInvalid": "FieldValueTypeInvalid",  # reads as "Invalid value: ..." too
}

_OMITTED: Any = object()


def go_quote(text: str) -> str:
    """A string as Go's ``%q`` prints it (close enough for messages: JSON escaping, no HTML escapes)."""
    return json.dumps(text, ensure_ascii=False)


def render_value(value: Any) -> str:
    """A value as apimachinery renders it in messages: strings quoted, numbers and bools plain."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return go_quote(value)
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field. ``field`` is a path such as ``spec.template.spec.containers[0].image``.

    ``value`` is the offending value (rendered with ``render_value`` unless ``value_text`` is given,
    e.g. ``50%`` for an IntOrString); ``supported`` lists the allowed values for ``NotSupported``.
    """

    type: ErrorType
    field: str
    value: Any = _OMITTED
    detail: str = ""
    supported: tuple[str, ...] = ()
    value_text: str | None = None

    @property
    def reason(self) -> str:
        return _REASONS[self.type]

    def _value(self) -> str:
        return self.value_text if self.value_text is not None else render_value(self.value)

    @property
    def message(self) -> str:
        """The message without the field path, as in ``details.causes[].message``."""
        if self.type == "Required":
            return "Required value" + (f": {self.detail}" if self.detail else "")
        if self.type == "Forbidden":
            return "Forbidden" + (f": {self.detail}" if self.detail else "")
        if self.type == "NotSupported":
            text = "Unsupported value"
            if self.value is not _OMITTED or self.value_text is not None:
                text += f": {self._value()}"
            if self.supported:
                text += ": supported values: " + ", ".join(go_quote(s) for s in self.supported)
            return text
        if self.type == "Duplicate":
            return f"Duplicate value: {self._value()}" + (f": {self.detail}" if self.detail else "")
        if self.type == "NotFound":
            return f"Not found: {self._value()}"
        if self.type == "TooLong":
            return "Too long" + (f": {self.detail}" if self.detail else "")
        if self.type == "TooMany":
            return "Too many" + (f": {self.detail}" if self.detail else "")
        text = "Invalid value"
        if self.value is not _OMITTED or self.value_text is not None:
            text += f": {self._value()}"
        return text + (f": {self.detail}" if self.detail else "")

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def cause(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message, "field": self.field}


def required(path: str, detail: str = "") -> FieldError:
    return FieldError("Required", path, detail=detail)


def invalid(path: str, value: Any, detail: str = "", *, value_text: str | None = None) -> FieldError:
    return FieldError("Invalid", path, value, detail, value_text=value_text)


def not_supported(path: str, value: Any, supported: tuple[str, ...]) -> FieldError:
    return FieldError("NotSupported", path, value, supported=supported)


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError("Forbidden", path, detail=detail)


def duplicate(path: str, value: Any, detail: str = "") -> FieldError:
    return FieldError("Duplicate", path, value, detail)


def not_found(path: str, value: Any) -> FieldError:
    return FieldError("NotFound", path, value)


def too_long(path: str, max_length: int) -> FieldError:
    return FieldError("TooLong", path, detail=f"may not be more than {max_length} bytes")

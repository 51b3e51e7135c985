"""API errors and their ``metav1.Status`` form, worded as kube-apiserver words them.

    ApiError (code, reason)
    ├── BadRequest 400          ├── Conflict 409 / AlreadyExists 409
    ├── Forbidden 403           ├── Gone 410 (reason Expired or Gone)
    ├── NotFound 404            ├── RequestEntityTooLarge 413
    ├── MethodNotAllowed 405    ├── UnsupportedMediaType 415
    ├── NotAcceptable 406       ├── Invalid 422 (details.causes from FieldErrors)
    │                           ├── TooManyRequests 429
    └── InternalError 500, ServiceUnavailable 503, Timeout 504

The server answers every error with ``status()`` as the JSON body; clients raise the matching class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from everynode.core.fielderrors import FieldError


class ApiError(Exception):
    code: ClassVar[int] = 500
    reason: ClassVar[str] = "InternalError"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None, reason: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        if reason is not None:
            self.reason = reason  # type: ignore[misc]

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
        }
        if self.reason:  # omitempty: a Status built without one (the eviction's 500) has none
            body["reason"] = self.reason
        if self.details:
            body["details"] = self.details
        body["code"] = self.code
        return body


class BadRequest(ApiError):
    code, reason = 400, "BadRequest"


class Unauthorized(ApiError):
    code, reason = 401, "Unauthorized"


class Forbidden(ApiError):
    code, reason = 403, "Forbidden"


class NotFound(ApiError):
    code, reason = 404, "NotFound"


class MethodNotAllowed(ApiError):
    code, reason = 405, "MethodNotAllowed"


class NotAcceptable(ApiError):
    code, reason = 406, "NotAcceptable"


class RequestTimeout(ApiError):
    """The client did not send its request in time (the connection is closed after the answer)."""

    code, reason = 408, "Timeout"


class AlreadyExists(ApiError):
    code, reason = 409, "AlreadyExists"


class Conflict(ApiError):
    code, reason = 409, "Conflict"


class Gone(ApiError):
    code, reason = 410, "Expired"


class RequestEntityTooLarge(ApiError):
    code, reason = 413, "RequestEntityTooLarge"


class RequestHeaderFieldsTooLarge(ApiError):
    code, reason = 431, "RequestHeaderFieldsTooLarge"


class UnsupportedMediaType(ApiError):
    code, reason = 415, "UnsupportedMediaType"


class Invalid(ApiError):
    code, reason = 422, "Invalid"


class TooManyRequests(ApiError):
    code, reason = 429, "TooManyRequests"


class InternalError(ApiError):
    code, reason = 500, "InternalError"


class ServiceUnavailable(ApiError):
    code, reason = 503, "ServiceUnavailable"


class Timeout(ApiError):
    code, reason = 504, "Timeout"


# -- constructors with upstream's wording ---------------------------------------------------------


def qualified(resource: str, group: str) -> str:
    """``daemonsets.apps`` for a grouped resource, ``pods`` for core."""
    return f"{resource}.{group}" if group else resource


def _details(name: str, group: str, kind: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    return details


def not_found(resource: str, group: str, name: str) -> NotFound:
    return NotFound(
        f'{qualified(resource, group)} "{name}" not found', details=_details(name, group, resource)
    )


def already_exists(resource: str, group: str, name: str) -> AlreadyExists:
    return AlreadyExists(
        f'{qualified(resource, group)} "{name}" already exists', details=_details(name, group, resource)
    )


def namespace_terminating(namespace: str) -> Forbidden:
    """A create in a namespace being deleted (upstream's ``NamespaceTerminating`` cause)."""
    return Forbidden(
        f"unable to create new content in namespace {namespace} because it is being terminated",
        details={
            "name": namespace,
            "kind": "namespaces",
            "causes": [
                {
                    "type": "NamespaceTerminating",
                    "message": f"namespace {namespace} is being terminated",
                    "field": "metadata.namespace",
                }
            ],
        },
    )


def conflict(resource: str, group: str, name: str, why: str) -> Conflict:
    return Conflict(
        f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": {why}',
        details=_details(name, group, resource),
    )


MODIFIED = "the object has been modified; please apply your changes to the latest version and try again"


def invalid(kind: str, group: str, name: str, errors: Sequence[FieldError]) -> Invalid:
    """``DaemonSet.apps "web" is invalid: <err>`` or ``…: [<err1>, <err2>]``."""
    listed = str(errors[0]) if len(errors) == 1 else "[" + ", ".join(str(e) for e in errors) + "]"
    details = _details(name, group, kind)
    details["causes"] = [e.cause() for e in errors]
    return Invalid(f'{qualified(kind, group)} "{name}" is invalid: {listed}', details=details)


def expired(message: str = "too old resource version") -> Gone:
    return Gone(message)


_BY_REASON: dict[str, type[ApiError]] = {
    "AlreadyExists": AlreadyExists,
    "Conflict": Conflict,
    "Invalid": Invalid,
    "NotFound": NotFound,
    "Expired": Gone,
    "Gone": Gone,
    "BadRequest": BadRequest,
    "Forbidden": Forbidden,
    "Unauthorized": Unauthorized,
    "MethodNotAllowed": MethodNotAllowed,
    "NotAcceptable": NotAcceptable,
    "RequestEntityTooLarge": RequestEntityTooLarge,
    "UnsupportedMediaType": UnsupportedMediaType,
    "TooManyRequests": TooManyRequests,
    "InternalError": InternalError,
    "ServiceUnavailable": ServiceUnavailable,
    "Timeout": Timeout,
}
_BY_CODE: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    406: NotAcceptable,
    408: RequestTimeout,
    409: Conflict,
    410: Gone,
    413: RequestEntityTooLarge,
    415: UnsupportedMediaType,
    422: Invalid,
    429: TooManyRequests,
    503: ServiceUnavailable,
    504: Timeout,
}


def from_status(status: Any, code: int) -> ApiError:
    """The error a client raises for a failed response: by the Status's reason, else by HTTP code."""
    body = status if isinstance(status, dict) else {}
    reason = str(body.get("reason") or "")
    message = str(body.get("message") or f"the server answered HTTP {code}")
    cls = _BY_REASON.get(reason) or _BY_CODE.get(code, InternalError)
    error = cls(message, details=body.get("details"), reason=reason or None)
    error.code = int(body.get("code") or code)  # type: ignore[misc]
    return error

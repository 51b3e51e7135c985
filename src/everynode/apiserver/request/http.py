"""HTTP plumbing shared by the handlers: reading bodies, writing JSON, turning errors into Status."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Protocol

import orjson
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiMapping

from everynode.apiserver.options import ConnectionLimits
from everynode.apiserver.request import decoding
from everynode.apiserver.request.protobuf import (
    ProtobufError,
    UnsupportedProtobuf,
    decode_kubernetes_protobuf,
)
from everynode.core import errors

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 3 * 1024 * 1024  # kube-apiserver's limit for a request body is 3 MiB
CONNECTION_LIMITS: web.AppKey[ConnectionLimits] = web.AppKey("connection_limits", ConnectionLimits)
# The media types upstream's API server decodes a body from (an absent Content-Type is JSON);
# anything else is 415, which is also what keeps a web page's form or text/plain POST out.
JSON_TYPES = ("application/json", "")
YAML_TYPES = ("application/yaml",)
YAML_INLINE_BYTES = 64 * 1024  # larger YAML bodies are read off the event loop
PROTOBUF = "application/vnd.kubernetes.protobuf"


class BodyStream(Protocol):
    def iter_any(self) -> AsyncIterator[bytes]: ...


class ApiRequest(Protocol):
    """What the handlers read from a request: aiohttp's ``web.Request`` has it, and so has the lean
    path's request (``edge.plain``), which serves everything but watches without aiohttp's machinery."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def path_qs(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def query(self) -> MultiMapping[str]: ...
    @property
    def headers(self) -> MultiMapping[str]: ...
    @property
    def content_length(self) -> int | None: ...
    @property
    def can_read_body(self) -> bool: ...
    @property
    def content(self) -> BodyStream: ...
    @property
    def app(self) -> Mapping[Any, Any]: ...


INTERNAL_ERROR_MESSAGE = "an internal error prevented the request from succeeding"

Handler = Callable[[ApiRequest], Awaitable[web.StreamResponse]]
Middleware = Callable[[ApiRequest, Handler], Awaitable[web.StreamResponse]]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    try:
        data = orjson.dumps(body)
    except TypeError:  # text that is not valid Unicode (lone surrogates), e.g. echoed in an error
        data = json.dumps(body, ensure_ascii=True).encode()
    return web.Response(body=data, status=status, content_type="application/json", headers=headers)


def error_response(error: errors.ApiError) -> web.Response:
    """The error's Status, with ``Retry-After`` when it suggests a delay (as upstream's
    ``ErrorNegotiated`` adds it for ``details.retryAfterSeconds`` > 0)."""
    retry_after = (error.details or {}).get("retryAfterSeconds")
    headers = None
    if isinstance(retry_after, int) and not isinstance(retry_after, bool) and retry_after > 0:
        headers = {"Retry-After": str(retry_after)}
    return json_response(error.status(), status=error.code, headers=headers)


@web.middleware
async def status_errors(request: ApiRequest, handler: Handler) -> web.StreamResponse:
    """Every failure leaves as a metav1.Status; nothing escapes as a stack trace."""
    try:
        return await handler(request)
    except errors.RequestTimeout as exc:
        # Answered, then the connection closed: the rest of a body that came too slowly is not
        # read (aiohttp would otherwise linger, reading it, for up to ten seconds more).
        response = error_response(exc)
        response.force_close()
        if isinstance(request, web.Request) and request.transport is not None:
            await response.prepare(request)
            await response.write_eof()
            request.transport.close()
        return response
    except errors.ApiError as exc:
        return error_response(exc)
    except web.HTTPException as exc:
        if exc.status_code == 404:
            return error_response(errors.NotFound("the server could not find the requested resource"))
        if exc.status_code == 405:
            return error_response(
                errors.MethodNotAllowed("the server does not allow this method on the requested resource")
            )
        if exc.status_code == 413:
            return error_response(errors.RequestEntityTooLarge("the request body is too large"))
        raise
    except Exception:
        log.exception("internal error serving %s %s", request.method, request.path_qs)
        return error_response(errors.InternalError(INTERNAL_ERROR_MESSAGE))


def media_type(request: ApiRequest) -> str:
    return request.headers.get("Content-Type", "").split(";")[0].strip().lower()


async def read_body(request: ApiRequest) -> bytes:
    """The whole body; 413 beyond ``MAX_BODY_BYTES``, 408 (and the connection closed) when it has
    not all arrived within the request timeout (the lean path only serves bodies already whole)."""
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise errors.RequestEntityTooLarge(
            f"the request body is {length} bytes; the limit is {MAX_BODY_BYTES}"
        )
    chunks: list[bytes] = []
    size = 0
    timeout = (request.app.get(CONNECTION_LIMITS) or ConnectionLimits()).request_timeout
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.content.iter_any():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise errors.RequestEntityTooLarge(
                        f"the request body exceeds the limit of {MAX_BODY_BYTES} bytes"
                    )
                chunks.append(chunk)
    except TimeoutError:
        raise errors.RequestTimeout(
            f"the request body did not arrive within {timeout:g} s ({size} bytes came)"
        ) from None
    except (ConnectionError, HttpProcessingError) as exc:  # the client left, or sent a broken body
        raise errors.BadRequest(
            f"the request body ended before it was whole ({size} bytes came): {exc}"
        ) from None
    return b"".join(chunks)


def parse_document(data: bytes, content_type: str) -> Any:
    """A JSON, YAML or protobuf request body as Python data (``decoding`` holds the limits); 400 when
    it cannot be read, 413 when it decodes too large, 415 for any other media type."""
    if content_type in JSON_TYPES:
        return decoding.load_json(data)
    if content_type == PROTOBUF:
        try:
            return decode_kubernetes_protobuf(data)
        except UnsupportedProtobuf as exc:
            raise errors.UnsupportedMediaType(str(exc)) from None
        except ProtobufError as exc:
            raise errors.BadRequest(f"the request body is not valid Kubernetes protobuf: {exc}") from None
    if content_type in YAML_TYPES:
        return decoding.load_yaml(data)
    raise errors.UnsupportedMediaType(
        f'the body of the request was in an unknown format "{content_type}" - accepted media types include: '
        "application/json, application/yaml, application/vnd.kubernetes.protobuf"
    )


async def parse_body(data: bytes, content_type: str) -> Any:
    """``parse_document``, with a large YAML body read on a worker thread: reading YAML costs about
    0.5 s per MB here, which on the event loop would stall every other request that long."""
    if content_type in YAML_TYPES and len(data) > YAML_INLINE_BYTES:
        return await asyncio.to_thread(parse_document, data, content_type)
    return parse_document(data, content_type)


async def read_object(request: ApiRequest) -> dict[str, Any]:
    document = await parse_body(await read_body(request), media_type(request))
    if not isinstance(document, dict):
        raise errors.BadRequest("the request body must be a JSON object")
    return document


def warning_header(messages: list[str]) -> dict[str, str]:
    """``Warning: 299 - "text"`` headers, as kube-apiserver sends them (kubectl prints them).

    The text is made header-safe: quotes and backslashes escaped, anything outside printable ASCII
    written as a \\uXXXX escape, and the whole header kept under 4 KiB as upstream does.
    """
    if not messages:
        return {}
    parts, size = [], 0
    for message in messages:
        safe = json.dumps(message, ensure_ascii=True)[1:-1]
        part = f'299 - "{safe}"'
        if size + len(part) > 4096:
            break
        parts.append(part)
        size += len(part) + 2
    return {"Warning": ", ".join(parts)}

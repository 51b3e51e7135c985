"""The aiohttp side of the connections the lean path hands over (watches, streamed bodies, HTTP/1.0,
upgrades): the same limits on a request's head as the lean path's, and a ``metav1.Status`` for a
request aiohttp cannot parse, where aiohttp itself would answer in plain text."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from aiohttp.web_request import BaseRequest

from everynode.apiserver.edge.plain_request import MAX_HEAD_BYTES
from everynode.apiserver.request.http import error_response
from everynode.core import errors

log = logging.getLogger(__name__)


class StatusRequestHandler(web.RequestHandler):
    """aiohttp's connection handler, answering what it cannot parse with a Status."""

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:  # as aiohttp: part of an answer left, none can follow
            raise ConnectionError("a response was already started; the connection is closed")
        if status >= 500:
            log.error("internal error serving a request", exc_info=exc)
            error: errors.ApiError = errors.InternalError(
                "an internal error prevented the request from succeeding"
            )
        else:
            log.debug("refused a request aiohttp could not parse: %s", exc)
            reason = " ".join(str(exc or message or "").split())[:200]
            error = errors.from_status({"message": f"the request is not valid HTTP: {reason}"}, status)
        response = error_response(error)
        response.force_close()
        return response


def handler_kwargs(idle_timeout: float) -> dict[str, Any]:
    """What each handed-over connection's handler is made with (``AppRunner`` takes the same)."""
    return {
        "access_log": None,
        # aiohttp closes a connection that is idle for as long as the lean path would; a head
        # trickling in counts as idle (aiohttp has no header timeout of its own)
        "keepalive_timeout": idle_timeout,
        "max_line_size": MAX_HEAD_BYTES,
        "max_field_size": MAX_HEAD_BYTES,
    }


def handler_factory(server: web.Server, idle_timeout: float) -> Any:
    """A protocol factory for ``edge.plain``: a ``StatusRequestHandler`` of ``server``'s."""
    loop = asyncio.get_running_loop()
    kwargs = handler_kwargs(idle_timeout)
    return lambda: StatusRequestHandler(server, loop=loop, **kwargs)

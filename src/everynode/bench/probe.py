"""Client-side timing of every API call a component makes, for `everynode bench cluster`.

``python -m everynode.bench.probe FILE COMMAND ARGS…`` runs ``everynode COMMAND ARGS…`` (the same
code, arguments and event loop as ``python -m everynode COMMAND …``) with one change:
``RestClient.request`` is wrapped so that each call appends a line to ``FILE``:

    <monotonic end> <seconds> <throttled seconds> <verb> <resource> <outcome>

``seconds`` is the call's wall time minus the time it waited for the client's own QPS/burst bucket
(``throttled seconds``, recorded apart), so it is the round trip to the API server as the component
saw it: the request, the server's work, the response body, and any delay of the component's own
event loop. ``verb`` is Kubernetes' verb (get, list, create, update, patch, delete, deletecollection);
``resource`` names the subresource too (``pods/status``, ``pods/binding``); ``outcome`` is ``ok`` or
the HTTP code of the error. Watches are streams, not calls, and are not recorded. The clock is
``time.monotonic()``, one clock for every process on the machine, so the bench can cut the records
into its phases. Lines are buffered and flushed every half second and at exit.
"""

from __future__ import annotations

import atexit
import contextvars
import functools
import runpy
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from everynode.client.rest import RestClient
from everynode.core import errors
from everynode.core.tokenbucket import TokenBucket

FLUSH_INTERVAL = 0.5
_throttled: contextvars.ContextVar[float] = contextvars.ContextVar("throttled", default=0.0)


@dataclass(frozen=True, slots=True)
class Call:
    ended: float  # time.monotonic() when the call returned
    seconds: float
    throttled: float
    verb: str
    resource: str
    outcome: str
    component: str = ""

    @property
    def started(self) -> float:
        return self.ended - self.seconds - self.throttled


def classify(method: str, path: str) -> tuple[str, str]:
    """(verb, resource) of a request: ``("patch", "pods/status")`` for a pod's status patch."""
    parts = [part for part in path.split("?", 1)[0].split("/") if part]
    if parts[:1] == ["api"]:
        rest = parts[2:]
    elif parts[:1] == ["apis"]:
        rest = parts[3:]
    else:
        return method.lower(), "/" + "/".join(parts[:1])
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
        rest = rest[2:]  # a namespaced resource: drop namespaces/<name>
    resource = rest[0] if rest else "-"
    named = len(rest) >= 2
    if len(rest) >= 3:
        resource = f"{resource}/{rest[2]}"
    verb = {
        "GET": "get" if named else "list",
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete" if named else "deletecollection",
    }.get(method.upper(), method.lower())
    return verb, resource


def format_call(call: Call) -> str:
    """The line ``read_calls`` reads back (without the component, which is the file's)."""
    times = f"{call.ended:.6f} {call.seconds:.6f} {call.throttled:.6f}"
    return f"{times} {call.verb} {call.resource} {call.outcome}\n"


def read_calls(path: Path, component: str) -> list[Call]:
    """The calls recorded in ``path`` (a missing file, or a torn last line, reads as fewer calls)."""
    calls: list[Call] = []
    try:
        text = path.read_text()
    except OSError:
        return calls
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 6:
            continue
        try:
            ended, seconds, throttled = float(fields[0]), float(fields[1]), float(fields[2])
        except ValueError:
            continue
        calls.append(Call(ended, seconds, throttled, fields[3], fields[4], fields[5], component))
    return calls


class CallLog:
    """Appends one line per call to a file; a daemon thread flushes it every ``FLUSH_INTERVAL``."""

    def __init__(self, path: Path) -> None:
        self._file: IO[str] = open(path, "a", buffering=1 << 16)  # noqa: SIM115 (open until exit)
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._flusher, name="probe-flush", daemon=True).start()
        atexit.register(self.close)

    def write(self, line: str) -> None:
        with self._lock:
            if not self._closed:
                self._file.write(line)

    def _flusher(self) -> None:
        while not self._closed:
            time.sleep(FLUSH_INTERVAL)
            with self._lock:
                if not self._closed:
                    self._file.flush()

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._file.close()


def timed(log: Callable[[str], None]) -> None:
    """Wrap ``RestClient.request`` (and the token bucket's wait) so every call is logged."""
    request = RestClient.request
    acquire = TokenBucket.acquire

    @functools.wraps(acquire)
    async def timed_acquire(self: TokenBucket) -> None:
        started = time.monotonic()
        await acquire(self)
        _throttled.set(_throttled.get() + time.monotonic() - started)

    @functools.wraps(request)
    async def timed_request(self: RestClient, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        token = _throttled.set(0.0)
        started = time.monotonic()
        outcome = "ok"
        try:
            return await request(self, method, path, **kwargs)
        except errors.ApiError as exc:
            outcome = str(exc.code)
            raise
        except BaseException:
            outcome = "error"
            raise
        finally:
            ended = time.monotonic()
            throttled = _throttled.get()
            _throttled.reset(token)
            verb, resource = classify(method, path)
            log(
                format_call(
                    Call(ended, max(0.0, ended - started - throttled), throttled, verb, resource, outcome)
                )
            )

    TokenBucket.acquire = timed_acquire  # type: ignore[method-assign]
    RestClient.request = timed_request  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m everynode.bench.probe FILE COMMAND [ARGS…]", file=sys.stderr)
        return 2
    log = CallLog(Path(argv[0]))
    timed(log.write)
    sys.argv = ["everynode", *argv[1:]]
    try:
        runpy.run_module("everynode", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        log.close()
        return exc.code if isinstance(exc.code, int) else 0
    finally:
        log.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

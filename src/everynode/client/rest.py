"""An asyncio REST client for the Kubernetes API: typed by resource, throttled by QPS/burst, with
failures raised as ``core.errors`` classes (read from the server's Status) and watches as async
iterators of events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any, Self
from urllib.parse import quote, urlencode, urlsplit

import aiohttp
import orjson

from everynode.client.config import ClientConfig
from everynode.client.http1 import Http1Pool
from everynode.core import errors
from everynode.core.clock import Clock, RealClock
from everynode.core.resources import ResourceInfo
from everynode.core.tokenbucket import TokenBucket
from everynode.core.types import Obj

PATCH_TYPES = {
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "json": "application/json-patch+json",
}
MAX_THROTTLED_RETRIES = 10  # client-go's default: a 429 with Retry-After is sent again up to 10 times
MAX_RETRY_AFTER = 10.0  # seconds; a longer Retry-After is capped
PATH_SAFE = "/:@!$&'()*+,;=~"  # characters a path keeps as they are (RFC 3986 pchar and "/")
CONNECTIONS = 512  # open at once: a node agent for 5,000 nodes keeps ~320 requests in flight


class RestClient:
    def __init__(self, config: ClientConfig, *, clock: Clock | None = None) -> None:
        self.config = config
        self._clock = clock or RealClock()
        self._bucket = TokenBucket(self._clock, config.qps, config.burst)
        self._session: aiohttp.ClientSession | None = None
        self.throttled_retries = 0  # 429s answered with Retry-After and sent again
        self._lean: Http1Pool | None = None
        url = urlsplit(config.server)
        self._lean_target = (  # where the lean client connects: plain HTTP only (aiohttp serves the rest)
            (url.hostname, url.port or 80) if url.scheme == "http" and url.hostname else None
        )
        self._base_path = url.path.rstrip("/")

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._lean is not None:
            await self._lean.close()
            self._lean = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": self.config.user_agent, "Accept": "application/json"},
                connector=aiohttp.TCPConnector(limit=CONNECTIONS),
            )
        return self._session

    def resource(self, info: ResourceInfo) -> ResourceClient:
        return ResourceClient(self, info)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Obj:
        data = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": content_type} if data is not None else {}
        for attempt in range(MAX_THROTTLED_RETRIES + 1):
            await self._bucket.acquire()
            try:
                status, retry_header, raw = await self._send(method, path, params, data, headers)
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                raise errors.ServiceUnavailable(f"{method} {path}: {exc or type(exc).__name__}") from exc
            retry_after = _retry_after(retry_header)
            if status == 429 and retry_after is not None and attempt < MAX_THROTTLED_RETRIES:
                # client-go's rule: the server turned the request away before doing anything (any
                # verb is safe to send again) and said when to come back
                self.throttled_retries += 1
                await self._clock.sleep(retry_after)
                continue
            break
        document = _json(raw)
        if status >= 400:
            raise errors.from_status(document, status)
        return document if isinstance(document, dict) else {}

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        data: bytes | None,
        headers: Mapping[str, str],
    ) -> tuple[int, str | None, bytes]:
        """One exchange: the status, the ``Retry-After`` header and the body."""
        pool = self._pool()
        if pool is not None:
            target = self._base_path + quote(path, safe=PATH_SAFE)
            if params:
                target += "?" + urlencode(params, quote_via=quote)
            async with asyncio.timeout(self.config.timeout):
                response = await pool.request(method, target, body=data, headers=headers)
            return response.status, response.headers.get("retry-after"), response.body
        timeout = aiohttp.ClientTimeout(total=self.config.timeout)
        async with self._http().request(
            method, self.config.server + path, params=params, data=data, headers=headers, timeout=timeout
        ) as reply:
            return reply.status, reply.headers.get("Retry-After"), await reply.read()

    def _pool(self) -> Http1Pool | None:
        """The lean client's connections, for a plain-HTTP server (None: aiohttp serves the call)."""
        if self._lean is None and self._lean_target is not None:
            host, port = self._lean_target
            self._lean = Http1Pool(
                host,
                port,
                limit=CONNECTIONS,
                headers={"User-Agent": self.config.user_agent, "Accept": "application/json"},
            )
        return self._lean

    async def stream(self, path: str, params: Mapping[str, str]) -> AsyncIterator[Obj]:
        """The events of a watch request, one JSON object per line, until the server ends it."""
        await self._bucket.acquire()
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.config.timeout)
        try:
            async with self._http().get(
                self.config.server + path, params=params, timeout=timeout
            ) as response:
                if response.status >= 400:
                    raise errors.from_status(_json(await response.read()), response.status)
                async for line in response.content:
                    if not line.strip():
                        continue
                    event = _json(line)
                    if not isinstance(event, dict):
                        continue
                    if event.get("type") == "ERROR":
                        raise errors.from_status(
                            event.get("object"), int((event.get("object") or {}).get("code") or 500)
                        )
                    yield event
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise errors.ServiceUnavailable(f"watch {path}: {exc or type(exc).__name__}") from exc


class ResourceClient:
    """The verbs on one resource, namespaced or cluster-scoped."""

    def __init__(self, client: RestClient, info: ResourceInfo) -> None:
        self.client = client
        self.info = info

    def _base(self) -> str:
        info = self.info
        return f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"

    def _collection(self, namespace: str | None) -> str:
        if self.info.namespaced and namespace:
            return f"{self._base()}/namespaces/{namespace}/{self.info.resource}"
        return f"{self._base()}/{self.info.resource}"

    def _item(self, name: str, namespace: str | None, subresource: str | None = None) -> str:
        if self.info.namespaced and not namespace:
            raise ValueError(f"{self.info.resource} are namespaced: give a namespace")
        path = f"{self._collection(namespace)}/{name}"
        return f"{path}/{subresource}" if subresource else path

    async def get(self, name: str, namespace: str | None = None) -> Obj:
        return await self.client.request("GET", self._item(name, namespace))

    async def list(
        self,
        namespace: str | None = None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        resource_version: str | None = None,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> Obj:
        params = _selectors(label_selector, field_selector)
        if resource_version is not None:
            params["resourceVersion"] = resource_version
        if limit:
            params["limit"] = str(limit)
        if continue_token:
            params["continue"] = continue_token
        return await self.client.request("GET", self._collection(namespace), params=params)

    async def create(self, obj: Obj, namespace: str | None = None) -> Obj:
        namespace = namespace or obj.get("metadata", {}).get("namespace")
        return await self.client.request("POST", self._collection(namespace), body=obj)

    async def update(self, obj: Obj, *, subresource: str | None = None) -> Obj:
        meta = obj.get("metadata", {})
        return await self.client.request(
            "PUT", self._item(meta["name"], meta.get("namespace"), subresource), body=obj
        )

    async def update_status(self, obj: Obj) -> Obj:
        return await self.update(obj, subresource="status")

    async def patch(
        self,
        name: str,
        patch: Any,
        namespace: str | None = None,
        *,
        patch_type: str = "merge",
        subresource: str | None = None,
    ) -> Obj:
        if patch_type not in PATCH_TYPES:
            raise ValueError(f"patch_type must be one of {', '.join(PATCH_TYPES)}")
        return await self.client.request(
            "PATCH",
            self._item(name, namespace, subresource),
            body=patch,
            content_type=PATCH_TYPES[patch_type],
        )

    async def delete(
        self,
        name: str,
        namespace: str | None = None,
        *,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        precondition_uid: str | None = None,
        precondition_resource_version: str | None = None,
    ) -> Obj:
        options: Obj = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        if propagation_policy is not None:
            options["propagationPolicy"] = propagation_policy
        preconditions = {
            k: v
            for k, v in (("uid", precondition_uid), ("resourceVersion", precondition_resource_version))
            if v
        }
        if preconditions:
            options["preconditions"] = preconditions
        return await self.client.request("DELETE", self._item(name, namespace), body=options)

    def watch(
        self,
        namespace: str | None = None,
        *,
        resource_version: str = "",
        label_selector: str = "",
        field_selector: str = "",
        timeout_seconds: int | None = None,
        allow_bookmarks: bool = False,
    ) -> AsyncIterator[Obj]:
        params = _selectors(label_selector, field_selector)
        params |= {"watch": "true", "resourceVersion": resource_version}
        if timeout_seconds is not None:
            params["timeoutSeconds"] = str(timeout_seconds)
        if allow_bookmarks:
            params["allowWatchBookmarks"] = "true"
        return self.client.stream(self._collection(namespace), params)


def _selectors(label_selector: str, field_selector: str) -> dict[str, str]:
    params = {}
    if label_selector:
        params["labelSelector"] = label_selector
    if field_selector:
        params["fieldSelector"] = field_selector
    return params


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (whole seconds, as kube-apiserver sends), capped."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {"message": raw[:500].decode(errors="replace")}

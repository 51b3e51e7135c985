"""Stored values: what the watch cache keeps must not carry orjson's spare buffer capacity."""

from __future__ import annotations

import ctypes
import ctypes.util

import orjson
import pytest

from everynode.apiserver.registry.codec import encode_for_storage, exact_bytes

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "namespace": "default", "resourceVersion": "7", "labels": {"a": "b"}},
    "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.9", "args": ["x" * 2000]}]},
}


def _usable_size(data: bytes) -> int:
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        pytest.skip("no C library to ask")
    libc = ctypes.CDLL(libc_name)
    if not hasattr(libc, "malloc_usable_size"):
        pytest.skip("the C library has no malloc_usable_size (not glibc)")
    libc.malloc_usable_size.restype = ctypes.c_size_t
    return int(libc.malloc_usable_size(ctypes.c_void_p(id(data))))


def test_the_stored_value_is_the_object_without_its_resource_version() -> None:
    stored = orjson.loads(encode_for_storage(POD))
    assert "resourceVersion" not in stored["metadata"]
    assert stored["spec"] == POD["spec"]
    assert POD["metadata"]["resourceVersion"] == "7"  # the caller's object is untouched


def test_exact_bytes_is_an_equal_copy() -> None:
    data = orjson.dumps(POD)
    copy = exact_bytes(data)
    assert copy == data
    assert copy is not data


def test_a_stored_value_takes_about_its_own_size() -> None:
    value = encode_for_storage(POD)
    assert _usable_size(value) < len(value) + 128  # orjson's own output: several KiB more

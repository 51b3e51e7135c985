from __future__ import annotations

import base64

import orjson
import pytest

from everynode.storage import InvalidContinueToken
from everynode.storage.continuation import decode, encode, next_start


def test_a_token_round_trips() -> None:
    token = encode(42, "default/pod-7\x00")
    decoded = decode(token)
    assert (decoded.revision, decoded.start) == (42, "default/pod-7\x00")


def test_the_token_is_kube_apiservers_format() -> None:
    token = encode(42, "a\x00")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert orjson.loads(raw) == {"v": "meta.k8s.io/v1", "rv": 42, "start": "a\x00"}
    assert "=" not in token


def test_next_start_is_just_after_the_last_key() -> None:
    assert next_start("/registry/pods/default/a", "/registry/pods/") == "default/a\x00"


@pytest.mark.parametrize(
    "token",
    [
        "!!!",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(b'{"v":"other","rv":1,"start":"a"}').decode(),
        base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":0,"start":"a"}').decode(),
        base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":true,"start":"a"}').decode(),
        base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":5,"start":"/abs"}').decode(),
        base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":5,"start":"a/../b"}').decode(),
        base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":5}').decode(),
    ],
)
def test_malformed_tokens_are_rejected(token: str) -> None:
    with pytest.raises(InvalidContinueToken):
        decode(token)

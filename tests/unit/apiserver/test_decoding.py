"""Request bodies decoded within limits: the YAML alias bomb, nesting, numbers, keys, merges."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from everynode.apiserver.request import decoding
from everynode.apiserver.request.decoding import MAX_DEPTH, load_json, load_yaml, nests_deeper_than
from everynode.core import errors


def alias_bomb(levels: int) -> bytes:
    """Each level a list of nine aliases of the level before: 9**levels leaves in a few hundred bytes."""
    names = "abcdefghijkl"
    lines = ["a: &a [x,x,x,x,x,x,x,x,x]"]
    for level in range(1, levels):
        name, previous = names[level], names[level - 1]
        lines.append(f"{name}: &{name} [{','.join(['*' + previous] * 9)}]")
    return ("\n".join(lines) + "\n").encode()


def nested(depth: int, opening: bytes = b"[", closing: bytes = b"]") -> bytes:
    return opening * depth + closing * depth


# -- the alias bomb ------------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [6, 8, 9, 12])
def test_an_alias_bomb_is_refused_before_it_expands(levels: int) -> None:
    body = alias_bomb(levels)
    started = time.perf_counter()
    with pytest.raises(errors.RequestEntityTooLarge, match="expands"):
        load_yaml(body)
    assert time.perf_counter() - started < 0.05  # counted from the events, nothing expanded
    assert len(body) < 500


def test_a_small_document_with_aliases_expands_as_yaml_says() -> None:
    assert load_yaml(alias_bomb(3))["c"] == [[["x"] * 9] * 9] * 9


def test_aliases_give_every_position_its_own_copy() -> None:
    document = load_yaml(b"a: &a {k: v}\nb: *a\n")
    document["a"]["k"] = "changed"
    assert document["b"] == {"k": "v"}


def test_an_alias_of_a_long_string_counts_its_whole_length() -> None:
    body = b"a: &a " + b"x" * 100_000 + b"\nb: [" + b"*a," * 100 + b"]\n"
    with pytest.raises(errors.RequestEntityTooLarge):
        load_yaml(body)


def test_the_decoded_size_limit_grows_with_the_body_up_to_a_ceiling() -> None:
    assert decoding.decoded_size_limit(10) == decoding.MIN_DECODED_SIZE_LIMIT
    assert decoding.decoded_size_limit(1024 * 1024) == 4 * 1024 * 1024
    assert decoding.decoded_size_limit(3 * 1024 * 1024) == decoding.MAX_DECODED_SIZE


def test_a_large_plain_yaml_body_is_not_mistaken_for_a_bomb() -> None:
    document = {"items": [{"name": f"n{i}", "labels": {"a": "b"}, "value": i} for i in range(25_000)]}
    body = yaml.safe_dump(document).encode()
    assert len(body) > 1024 * 1024
    assert load_yaml(body) == document


# -- nesting -------------------------------------------------------------------------------------


@pytest.mark.parametrize("load", [load_json, load_yaml])
def test_nesting_up_to_the_limit_is_read_and_beyond_it_refused(load: Any) -> None:
    assert not nests_deeper_than(load(nested(MAX_DEPTH)), MAX_DEPTH)
    with pytest.raises(errors.BadRequest, match=f"deeper than {MAX_DEPTH}"):
        load(nested(MAX_DEPTH + 1))


@pytest.mark.parametrize("load", [load_json, load_yaml])
def test_very_deep_documents_are_a_400_not_a_recursion_error(load: Any) -> None:
    with pytest.raises(errors.BadRequest):
        load(nested(100_000))


def test_yaml_block_nesting_is_counted_too() -> None:
    with pytest.raises(errors.BadRequest, match="deeper"):
        load_yaml(b"- " * (MAX_DEPTH + 1) + b"x\n")


def test_an_alias_cannot_carry_nesting_past_the_limit() -> None:
    half = MAX_DEPTH // 2 + 1
    body = b"a: &a " + nested(half) + b"\nb: " + b"[" * half + b"*a" + b"]" * half + b"\n"
    with pytest.raises(errors.BadRequest, match="deeper"):
        load_yaml(body)


def test_nests_deeper_than_counts_dicts_and_lists() -> None:
    value = {"a": [{"b": [1]}]}
    assert nests_deeper_than(value, 3)
    assert not nests_deeper_than(value, 4)
    assert not nests_deeper_than("scalar", 0)


def test_json_with_brackets_inside_strings_only_pays_the_walk() -> None:
    body = orjson.dumps({"text": "[" * 1000})
    assert load_json(body) == {"text": "[" * 1000}


# -- numbers -------------------------------------------------------------------------------------


def test_a_huge_yaml_integer_is_a_400_decided_from_its_length() -> None:
    with pytest.raises(errors.BadRequest, match="5000 characters"):
        load_yaml(b"a: " + b"1" * 5000)


def test_a_long_base_60_integer_is_refused_without_computing_it() -> None:
    started = time.perf_counter()
    with pytest.raises(errors.BadRequest):
        load_yaml(b"a: 1" + b":59" * 400_000)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("18446744073709551615", False),
        ("18446744073709551616", True),
        ("-9223372036854775808", False),
        ("-9223372036854775809", True),
    ],
)
def test_yaml_integers_hold_what_json_numbers_hold(text: str, refused: bool) -> None:
    body = f"a: {text}".encode()
    if refused:
        with pytest.raises(errors.BadRequest, match="64-bit"):
            load_yaml(body)
    else:
        assert load_yaml(body) == {"a": int(text)}


@pytest.mark.parametrize("text", [".inf", "-.inf", ".nan", "1.0e+999"])
def test_non_finite_yaml_floats_are_refused_as_json_refuses_them(text: str) -> None:
    with pytest.raises(errors.BadRequest):
        load_yaml(f"a: {text}".encode())
    with pytest.raises(errors.BadRequest):
        load_json(b'{"a": 1e999}')


# -- what YAML means ---------------------------------------------------------------------------


def test_scalars_resolve_as_yaml_1_1_does() -> None:
    body = b"b: 0x10\nd: 1_000\ne: yes\nf: ~\ng: '1'\nh: 1:30\ni: 1.5\nj: =\nk: 'true'\n"
    assert load_yaml(body) == {
        "b": 16,
        "d": 1000,
        "e": True,
        "f": None,
        "g": "1",
        "h": 90,
        "i": 1.5,
        "j": "=",
        "k": "true",
    }


def test_timestamps_stay_as_written() -> None:
    assert load_yaml(b"a: 2001-12-14\nb: 2001-12-14T21:59:43.10-05:00\n") == {
        "a": "2001-12-14",
        "b": "2001-12-14T21:59:43.10-05:00",
    }


def test_scalar_keys_become_strings_as_upstream_converts_them() -> None:
    assert load_yaml(b"1: a\ntrue: b\n~: c\n1.5: d\n") == {"1": "a", "true": "b", "null": "c", "1.5": "d"}


def test_a_collection_as_a_key_is_refused() -> None:
    with pytest.raises(errors.BadRequest, match="not a scalar"):
        load_yaml(b"? [a, b]\n: c\n")


def test_merge_keys_fill_in_what_the_mapping_does_not_set() -> None:
    body = b"a: &a {x: 1, y: 2}\nb: &b {y: 5, z: 6}\nm:\n  <<: [*a, *b]\n  x: 0\n"
    assert load_yaml(body)["m"] == {"x": 0, "y": 2, "z": 6}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"a: !!binary aGVsbG8=", "unsupported YAML tag"),
        (b"a: !custom x", "unsupported YAML tag"),
        (b"a: !!python/object:os.system x", "unsupported YAML tag"),
        (b"--- 1\n--- 2\n", "more than one YAML document"),
        (b"a: *missing", "unknown alias"),
        (b"a: [1, 2", "not valid YAML"),
        (b"\xff\xfe\x00", "not valid YAML"),
        (b"a: !!int abc", "invalid YAML int"),
        (b"m:\n  <<: 5\n", "not a YAML mapping"),
    ],
)
def test_what_json_cannot_hold_or_yaml_does_not_allow_is_a_400(body: bytes, message: str) -> None:
    with pytest.raises(errors.BadRequest, match=message):
        load_yaml(body)


def test_an_empty_body_is_no_document() -> None:
    assert load_yaml(b"") is None
    assert load_yaml(b"just text") == "just text"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_any_json_value_dumped_as_yaml_reads_back_the_same(value: Any) -> None:
    for flow in (False, True):
        assert load_yaml(yaml.safe_dump(value, default_flow_style=flow).encode()) == value

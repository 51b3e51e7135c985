"""Path elements and field sets, against structured-merge-diff's fieldpath tests (element_test.go,
set_test.go, serialize_test.go, serialize-pe_test.go)."""

from __future__ import annotations

import json
import random

import pytest

from everynode.apiserver.apply import fieldpath, fieldset
from everynode.apiserver.apply.fieldpath import field, index, key, value


def p(*parts: str | int | dict[str, object]) -> tuple[str, ...]:
    """A path like upstream's ``MakePathOrDie``: names, positions, and key maps."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(field(part))
        elif isinstance(part, int):
            out.append(index(part))
        else:
            out.append(key(part))
    return tuple(out)


def s(*paths: tuple[str, ...]) -> fieldset.FieldSet:
    return fieldset.from_paths(*paths)


# -- elements ----------------------------------------------------------------------------------------


def test_key_element_sorts_fields_and_writes_go_json() -> None:
    assert key({"protocol": "TCP", "containerPort": 80}) == 'k:{"containerPort":80,"protocol":"TCP"}'
    assert key({"name": "nginx"}) == 'k:{"name":"nginx"}'
    # Go escapes HTML characters; a float that is whole is written without ".0"
    assert key({"name": "a<b>&c"}) == 'k:{"name":"a\\u003cb\\u003e\\u0026c"}'
    assert key({"port": 8080.0}) == 'k:{"port":8080}'
    assert value("foregroundDeletion") == 'v:"foregroundDeletion"'
    assert value(3) == "v:3"


def test_canonical_respells_client_elements() -> None:
    assert fieldpath.canonical('k:{"protocol": "TCP", "containerPort": 80}') == (
        'k:{"containerPort":80,"protocol":"TCP"}'
    )
    assert fieldpath.canonical("v:  1") == "v:1"
    assert fieldpath.canonical("f:spec") == "f:spec"
    assert fieldpath.canonical("z:unknown") is None  # dropped, like upstream's unknown element types
    with pytest.raises(ValueError, match="Expecting"):
        fieldpath.canonical("k:{not json")


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [
        # TestPathElementLess
        (field("anteater"), field("zebra")),
        (field("capybara"), key({"dog": 3})),
        (field("elephant"), value(4)),
        (field("falcon"), index(5)),
        (key({"horse": 1}), key({"horse": 2})),
        (key({"ibex": 1}), key({"jay": 1})),
        (key({"kite": 1}), key({"kite": 1, "kite-2": 1})),
        (key({"kite": 1}), value(1)),
        (key({"kite": 1}), index(5)),
        (value(1), value(2)),
        (value(1), index(1)),
        (index(1), index(2)),
        # numbers compare as numbers, not as their text
        (key({"containerPort": 80}), key({"containerPort": 8080})),
        (value(9), value(10)),
        # value.Compare's order of kinds: numbers, strings, booleans, null
        (value(1), value("a")),
        (value("z"), value(True)),
        (value(False), value(None)),
    ],
)
def test_element_order(smaller: str, larger: str) -> None:
    assert fieldpath.sort_key(smaller) < fieldpath.sort_key(larger)
    assert fieldpath.sort_elements([larger, smaller]) == [smaller, larger]


def test_render_paths_as_conflict_messages_print_them() -> None:
    assert fieldpath.render(p("spec", "replicas")) == ".spec.replicas"
    assert (
        fieldpath.render(p("spec", "template", "spec", "containers", {"name": "nginx"}, "image"))
        == '.spec.template.spec.containers[name="nginx"].image'
    )
    assert (
        fieldpath.render(p("spec", "ports", {"port": 80, "protocol": "TCP"}))
        == '.spec.ports[port=80,protocol="TCP"]'
    )
    assert (
        fieldpath.render((field("metadata"), field("finalizers"), value("a/b")))
        == '.metadata.finalizers[="a/b"]'
    )
    assert fieldpath.render(p("list", 0)) == ".list[0]"


# -- serialised form ---------------------------------------------------------------------------------


def test_fields_v1_form() -> None:
    fields = s(
        p("metadata", "labels"),
        p("metadata", "labels", "app"),
        p("spec", "containers", {"name": "nginx"}),
        p("spec", "containers", {"name": "nginx"}, "image"),
        p("spec", "containers", {"name": "nginx"}, "name"),
    )
    assert json.dumps(fields, separators=(",", ":")) == (
        '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},'
        '"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{}}}}}'
    )


def test_members_iterate_in_upstream_order() -> None:
    # Set.Iterate: a level's members first, then its children's
    fields = s(p("b"), p("a", "x"), p("a"), p("c", "y"))
    assert list(fieldset.members(fields)) == [p("a"), p("b"), p("a", "x"), p("c", "y")]
    assert fieldset.size(fields) == 4


def test_canonicalize_round_trip_random_sets() -> None:
    # TestSerializeV1: random sets survive writing and reading back
    rng = random.Random(7)
    elements = [
        field("a"),
        field("b"),
        field("ccc"),
        key({"name": "x"}),
        key({"port": 80}),
        value("v"),
        index(2),
    ]
    for _ in range(100):
        paths = [tuple(rng.choice(elements) for _ in range(rng.randint(1, 4))) for _ in range(20)]
        fields = s(*paths)
        text = json.dumps(fields)
        again = fieldset.canonicalize(json.loads(text))
        assert again == fields
        assert json.dumps(again) == text
        assert {tuple(m) for m in fieldset.members(again)} == set(paths)


def test_canonicalize_client_fields() -> None:
    sent = {
        "f:spec": {"f:ports": {'k:{"protocol":"TCP","port":80}': {}, 'k:{"port":8080,"protocol":"TCP"}': {}}},
        "f:metadata": {"x:future": {}},
    }
    fields = fieldset.canonicalize(sent)
    assert list(fields) == ["f:metadata", "f:spec"]
    assert list(fields["f:spec"]["f:ports"]) == [
        'k:{"port":80,"protocol":"TCP"}',
        'k:{"port":8080,"protocol":"TCP"}',
    ]
    assert fields["f:metadata"] == {}  # its only child was unknown: it is a member (readIterV1)
    with pytest.raises(ValueError, match="must be JSON objects"):
        fieldset.canonicalize({"f:a": "not a node"})


# -- algebra (TestSetUnion, TestSetIntersectionDifference, TestSetDifference) ---------------------------


def test_union() -> None:
    s1 = s(
        p("foo", 0),
        p("foo"),
        p("bar", "baz"),
        p("qux", {"name": "first"}),
        p("parent", "child", "grandchild"),
    )
    s2 = s(p("foo", 1), p("bar", "baz"), p("bar"), p("qux", {"name": "second"}), p("parent", "child"))
    expected = s(
        p("foo", 0),
        p("foo", 1),
        p("foo"),
        p("bar", "baz"),
        p("bar"),
        p("qux", {"name": "first"}),
        p("qux", {"name": "second"}),
        p("parent", "child"),
        p("parent", "child", "grandchild"),
    )
    assert fieldset.union(s1, s2) == expected
    assert json.dumps(fieldset.union(s1, s2)) == json.dumps(expected)
    assert fieldset.union(s2, s1) == expected


def test_intersection_and_difference() -> None:
    first = {"name": "first"}
    s1 = s(
        p("a0"),
        p("a1"),
        p("foo", 0),
        p("foo", 1),
        p("b0", first),
        p("b1", first),
        p("bar", "c0"),
        p("cp", first, "child"),
    )
    s2 = s(
        p("a1"),
        p("a2"),
        p("foo", 1),
        p("foo", 2),
        p("b1", first),
        p("b2", first),
        p("bar", "c2"),
        p("cp", first),
    )
    assert fieldset.intersection(s1, s2) == s(p("a1"), p("foo", 1), p("b1", first))
    assert fieldset.difference(s1, s2) == s(
        p("a0"), p("foo", 0), p("b0", first), p("bar", "c0"), p("cp", first, "child")
    )
    assert fieldset.difference(s2, s1) == s(
        p("a2"), p("foo", 2), p("b2", first), p("bar", "c2"), p("cp", first)
    )
    # intersection the hard way: two unions, three differences
    union = fieldset.union(s1, s2)
    not_both = fieldset.union(fieldset.difference(s2, s1), fieldset.difference(s1, s2))
    assert fieldset.difference(union, not_both) == fieldset.intersection(s1, s2)


@pytest.mark.parametrize(
    ("a", "b", "difference", "recursive"),
    [
        ([p("a")], [p("a")], [], []),
        ([p("a", "b", "c")], [p("a", "b", "c")], [], []),
        ([p("a", "b", "c"), p("b", "b", "c")], [p("a", "b", "c")], [p("b", "b", "c")], [p("b", "b", "c")]),
        ([p("a")], [p("a", "aa")], [p("a")], [p("a")]),
        ([p("a", "b", "c")], [p("a")], [p("a", "b", "c")], []),
        (
            [p("a", "aa", "aab"), p("a", "ab", "aba")],
            [p("a", "aa")],
            [p("a", "aa", "aab"), p("a", "ab", "aba")],
            [p("a", "ab", "aba")],
        ),
        (
            [p("a", "aa", "aab"), p("a", "ab", "aba")],
            [p("a")],
            [p("a", "aa", "aab"), p("a", "ab", "aba")],
            [],
        ),
        # a member with children loses only its own membership
        ([p("a"), p("a", "x")], [p("a")], [p("a", "x")], []),
    ],
)
def test_difference_and_recursive_difference(
    a: list[tuple[str, ...]],
    b: list[tuple[str, ...]],
    difference: list[tuple[str, ...]],
    recursive: list[tuple[str, ...]],
) -> None:
    assert fieldset.difference(s(*a), s(*b)) == s(*difference)
    assert fieldset.recursive_difference(s(*a), s(*b)) == s(*recursive)


def test_operations_do_not_change_their_operands() -> None:
    a = s(p("a", "x"), p("a", "y"), p("b"))
    b = s(p("a", "x"), p("c"))
    snapshot = (json.dumps(a), json.dumps(b))
    fieldset.union(a, b)
    fieldset.difference(a, b)
    fieldset.recursive_difference(a, b)
    fieldset.intersection(a, b)
    assert (json.dumps(a), json.dumps(b)) == snapshot
    # an untouched subtree is shared, not copied
    assert fieldset.difference(a, s(p("b")))["f:a"] is a["f:a"]


def test_has_and_prefixed() -> None:
    fields = s(p("spec", "replicas"), p("metadata", "labels"), p("metadata", "labels", "app"))
    assert fieldset.has(fields, p("spec", "replicas"))
    assert fieldset.has(fields, p("metadata", "labels"))
    assert not fieldset.has(fields, p("spec"))
    assert not fieldset.has(fields, ())
    assert fieldset.prefixed(fields, field("metadata")) == s(p("labels"), p("labels", "app"))

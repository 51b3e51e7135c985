"""Label selectors: the cases follow apimachinery's pkg/labels and pkg/apis/meta/v1 helper tests."""

from __future__ import annotations

import pytest

from everynode.core.labels import (
    EVERYTHING,
    NOTHING,
    Operator,
    Requirement,
    Selector,
    SelectorError,
    label_key_errors,
    label_value_errors,
    new_requirement,
    parse_selector,
)
from everynode.core.labelselector import (
    format_label_selector,
    from_label_selector,
    selector_from_set,
    selector_matches,
)

NAME_RULE = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
VALUE_RULE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
    "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("", ""),
        ("   ", ""),
        ("tier=web,app=db,zone=a", "app=db,tier=web,zone=a"),
        ("a!=x,b=y", "a!=x,b=y"),
        ("a==x", "a==x"),
        ("a=", "a="),
        ("a= ,b= ", "a=,b="),
        ("!a", "!a"),
        ("a", "a"),
        ("\ra", "a"),
        ("a ", "a"),
        ("a>1,b<5", "a>1,b<5"),
        ("a in (z,y)", "a in (y,z)"),
        ("a  in\t (b)", "a in (b)"),
        ("a notin\n (b, c)", "a notin (b,c)"),
        ("a in (b,b)", "a in (b)"),
        ("a in ()", "a in ()"),
        ("a notin ( )", "a notin ()"),
        ("a in (b,)", "a in (,b)"),
        ("a in (,b)", "a in (,b)"),
        ("a in (b,,,)", "a in (,b)"),
        ("a in (b,,b,,b,,)", "a in (,b)"),
        ("a in (x,in,notin)", "a in (in,notin,x)"),
        ("notin=in", "notin=in"),
        ("in in (in)", "in in (in)"),
        ("x notin (q,,r),bar,z in (),w", "bar,w,x notin (,q,r),z in ()"),
        ("example.com/role-name in (so,what)", "example.com/role-name in (so,what)"),
        (
            "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
            "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)",
        ),
        ("z, !y, x=1", "x=1,!y,z"),
    ],
)
def test_parse_prints_back_normalised(text: str, printed: str) -> None:
    assert str(parse_selector(text)) == printed


def test_parse_is_deterministic_whatever_the_order() -> None:
    assert parse_selector("x=a,a=x") == parse_selector("a=x,x=a")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a==b==c", "found '==', expected: ',' or 'end of string'"),
        ("!a=b", "found '=', expected: ',' or 'end of string'"),
        ("a in (b)c notin ()", "found 'c', expected: ',' or 'end of string'"),
        ("a,,b", "found ',', expected: identifier after ','"),
        ("a in (b),", "found '', expected: identifier after ','"),
        (",a", "found ',', expected: !, identifier, or 'end of string'"),
        ("(", "found '(', expected: !, identifier, or 'end of string'"),
        ("=a", "found '=', expected: !, identifier, or 'end of string'"),
        (
            "a nott in (b)",
            "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt",
        ),
        ("a (", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"),
        ("a in b", "unable to parse requirement: found 'b' expected: '('"),
        ("a notin(", "unable to parse requirement: found '', expected: ',', ')' or identifier"),
        ("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"),
        ("a in (b,=)", "unable to parse requirement: found '=', expected: ',', or identifier"),
        ("a=(", "unable to parse requirement: found '(', expected: identifier"),
        ("!", "unable to parse requirement: found '', expected: identifier"),
        ("! ,a", "unable to parse requirement: found ',', expected: identifier"),
        (
            "a<b",
            'unable to parse requirement: values[0]: Invalid value: "b": '
            "for 'Gt', 'Lt' operators, the value must be an integer",
        ),
        ("a=b||c=d", f'unable to parse requirement: values[0][a]: Invalid value: "b||c": {VALUE_RULE}'),
        ("a>-1", f'unable to parse requirement: values[0][a]: Invalid value: "-1": {VALUE_RULE}'),
        ("-a", f'unable to parse requirement: <nil>: Invalid value: "-a": name part {NAME_RULE}'),
    ],
)
def test_parse_rejects_with_upstream_wording(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_selector(text)
    assert str(caught.value) == message


def test_selector_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unable to parse requirement"):
        parse_selector("a in (b c)")


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("", {"x": "y"}, True),
        ("", None, True),
        ("x=y", {"x": "y"}, True),
        ("x==y", {"x": "y"}, True),
        ("x=y,z=w", {"x": "y", "z": "w"}, True),
        ("x=y,z=w", {"x": "w", "z": "w"}, False),
        ("x=z", {}, False),
        ("x=z", None, False),
        ("x=", {"x": ""}, True),
        ("x=", {}, False),
        ("x!=y,z!=w", {"x": "z", "z": "a"}, True),
        ("x!=y,z!=w", {"x": "z", "z": "w"}, False),
        ("x!=y", {}, True),
        ("notin=in", {"notin": "in"}, True),
        ("x", {"x": ""}, True),
        ("x", {"y": "z"}, False),
        ("!x", {"y": "z"}, True),
        ("!x", {"x": "z"}, False),
        ("x in (a,b)", {"x": "b"}, True),
        ("x in (a,b)", {"x": "c"}, False),
        ("x in (a,b)", {}, False),
        ("x in ()", {"x": ""}, True),
        ("x in ()", {"y": "baz"}, False),
        ("x notin (a,b)", {"x": "c"}, True),
        ("x notin (a,b)", {"x": "a"}, False),
        ("x notin (a,b)", {}, True),
        ("x notin (),y", {"y": ""}, True),
        ("x notin (),!y", {"y": ""}, False),
        ("x in (foo),y notin (alpha)", {"x": "foo", "y": "baz"}, True),
        ("x in (foo),y in (alpha)", {"x": "foo", "y": "baz"}, False),
        ("x>1", {"x": "2"}, True),
        ("x>1", {"x": "1"}, False),
        ("x>1", {"x": "0"}, False),
        ("x<1", {"x": "0"}, True),
        ("x<1", {"x": "-3"}, True),
        ("x<1", {"x": "2"}, False),
        ("x>1", {"x": "v2"}, False),
        ("x>1", {"x": " 2"}, False),
        ("x>1", {"x": "2_0"}, False),
        ("x>1", {"x": "99999999999999999999"}, False),
        ("x>1", {}, False),
        ("foo=bar,baz=blah", {"foo": "bar", "baz": "blah"}, True),
        ("foo=bar,foobar=bar,baz=blah", {"foo": "bar", "baz": "blah"}, False),
    ],
)
def test_matches(text: str, labels: dict[str, str] | None, expected: bool) -> None:
    assert parse_selector(text).matches(labels) is expected


@pytest.mark.parametrize(
    ("key", "operator", "values", "message"),
    [
        (
            "x",
            Operator.IN,
            (),
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
        ),
        ("x", Operator.NOT_IN, (), "for 'in', 'notin' operators, values set can't be empty"),
        (
            "x",
            Operator.EQUALS,
            ("a", "b"),
            'values: Invalid value: []string{"a", "b"}: exact-match compatibility',
        ),
        ("x", Operator.EXISTS, ("a",), "values set must be empty for exists and does not exist"),
        ("x", Operator.DOES_NOT_EXIST, ("a",), "values set must be empty for exists and does not exist"),
        ("x", Operator.GREATER_THAN, (), "for 'Gt', 'Lt' operators, exactly one value is required"),
        (
            "x",
            Operator.LESS_THAN,
            ("b",),
            "values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must",
        ),
        ("a" * 254, Operator.EXISTS, (), 'key: Invalid value: "aaa'),
        ("x", Operator.EQUALS, ("a" * 64,), 'values[0][x]: Invalid value: "aaa'),
        ("x", Operator.EQUALS, ("a b",), f'values[0][x]: Invalid value: "a b": {VALUE_RULE}'),
        (
            "x",
            "unsupportedOp",
            (),
            'operator: Unsupported value: "unsupportedOp": supported values: "in", "notin"',
        ),
    ],
)
def test_new_requirement_rejects(key: str, operator: str, values: tuple[str, ...], message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        new_requirement(key, operator, values)
    assert message in str(caught.value)


def test_new_requirement_aggregates_several_problems_like_upstream() -> None:
    with pytest.raises(SelectorError) as caught:
        new_requirement("-x", Operator.IN, ())
    text = str(caught.value)
    assert text.startswith('[key: Invalid value: "-x": name part ')
    assert text.endswith(
        ", values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty]"
    )


@pytest.mark.parametrize(
    ("key", "operator", "values"),
    [
        ("x", Operator.IN, ("foo",)),
        ("x", Operator.NOT_IN, ("foo", "")),
        ("x", Operator.EXISTS, ()),
        ("x", Operator.DOES_NOT_EXIST, ()),
        ("x", Operator.GREATER_THAN, ("1",)),
        ("x", Operator.LESS_THAN, ("6",)),
        ("x", "==", ("",)),
        ("example.com/" + "a" * 63, Operator.EXISTS, ()),
    ],
)
def test_new_requirement_accepts(key: str, operator: str, values: tuple[str, ...]) -> None:
    assert new_requirement(key, operator, values) == Requirement(key, Operator(operator), values)


@pytest.mark.parametrize(
    ("requirements", "printed"),
    [
        (
            [
                ("x", Operator.IN, ("def", "abc")),
                ("y", Operator.NOT_IN, ("jkl",)),
                ("z", Operator.EXISTS, ()),
            ],
            "x in (abc,def),y notin (jkl),z",
        ),
        (
            [
                ("z", Operator.DOES_NOT_EXIST, ()),
                ("y", Operator.NOT_EQUALS, ("jkl",)),
                ("x", Operator.NOT_IN, ("b", "a")),
            ],
            "x notin (a,b),y!=jkl,!z",
        ),
        ([("x", Operator.NOT_IN, ("",)), ("y", Operator.IN, ("mno", "jkl"))], "x notin (),y in (jkl,mno)"),
        (
            [
                ("x", Operator.EQUALS, ("abc",)),
                ("y", Operator.DOUBLE_EQUALS, ("jkl",)),
                ("z", Operator.NOT_EQUALS, ("a",)),
            ],
            "x=abc,y==jkl,z!=a",
        ),
        ([("x", Operator.GREATER_THAN, ("2",)), ("y", Operator.LESS_THAN, ("8",))], "x>2,y<8"),
        ([("z", Operator.NOT_EQUALS, ("a",)), ("z", Operator.EXISTS, ())], "z!=a,z"),
    ],
)
def test_string_form_sorts_keys_and_values(
    requirements: list[tuple[str, Operator, tuple[str, ...]]], printed: str
) -> None:
    assert str(Selector(tuple(Requirement(*r) for r in requirements))) == printed


def test_requirement_accepts_a_plain_operator_string_and_a_list() -> None:
    r = Requirement("x", "in", ["b", "a"])  # type: ignore[arg-type]
    assert r.operator is Operator.IN
    assert r.values == ("b", "a")
    assert str(r) == "x in (a,b)"
    assert r.matches({"x": "a"})
    assert not r.matches(None)


def test_everything_nothing_and_empty() -> None:
    assert EVERYTHING.is_empty()
    assert EVERYTHING.matches({"x": "y"})
    assert parse_selector("").is_empty()
    assert not parse_selector("x").is_empty()
    assert not NOTHING.is_empty()
    assert not NOTHING.matches({})
    assert not NOTHING.matches(None)
    assert str(NOTHING) == ""


def test_add_keeps_keys_sorted() -> None:
    added = parse_selector("key in (value)").add(Requirement("a", Operator.EQUALS, ("b",)))
    assert str(added) == "a=b,key in (value)"


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("key in (value)", "key", "value"),
        ("key in (value,value2)", "key", None),
        ("key in (value,value1),key2 in (value2)", "key2", "value2"),
        ("key=value", "key", "value"),
        ("key==value", "key", "value"),
        ("key=", "key", ""),
        ("key!=value", "key", None),
        ("key", "key", None),
        ("other=value", "key", None),
    ],
)
def test_requires_exact_match(text: str, key: str, value: str | None) -> None:
    assert parse_selector(text).requires_exact_match(key) == value


def test_selector_from_set() -> None:
    assert selector_from_set(None) == EVERYTHING
    assert selector_from_set({}).is_empty()
    selector = selector_from_set({"app": "foo", "a": "b"})
    assert str(selector) == "a=b,app=foo"
    assert selector.matches({"app": "foo", "a": "b", "extra": "label"})
    assert not selector.matches({"app": "foo"})


DS_SELECTOR = {
    "matchLabels": {"name": "agent"},
    "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["web", "edge"]},
        {"key": "env", "operator": "NotIn", "values": ["dev"]},
        {"key": "owner", "operator": "Exists"},
        {"key": "canary", "operator": "DoesNotExist", "values": []},
    ],
}


def test_from_label_selector_semantics() -> None:
    assert from_label_selector(None) == NOTHING
    assert from_label_selector({}) == EVERYTHING
    assert from_label_selector({"matchLabels": {}, "matchExpressions": []}) == EVERYTHING
    selector = from_label_selector(DS_SELECTOR)
    assert str(selector) == "!canary,env notin (dev),name=agent,owner,tier in (edge,web)"
    assert str(parse_selector(str(selector))) == str(selector)
    assert selector.matches({"name": "agent", "tier": "edge", "owner": "me"})
    assert not selector.matches({"name": "agent", "tier": "edge", "owner": "me", "canary": "1"})
    assert not selector.matches({"name": "agent", "tier": "edge", "owner": "me", "env": "dev"})
    assert not selector.matches({"name": "agent", "tier": "db", "owner": "me"})


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ({"matchExpressions": [{"key": "a", "operator": "In"}]}, "values set can't be empty"),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}, "values set can't be empty"),
        (
            {"matchExpressions": [{"key": "baz", "operator": "Exists", "values": ["qux", "norf"]}]},
            'values: Invalid value: []string{"qux", "norf"}: '
            "values set must be empty for exists and does not exist",
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},
            '"Gt" is not a valid label selector operator',
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "in", "values": ["1"]}]},
            '"in" is not a valid label selector operator',
        ),
        ({"matchLabels": {"a": "b c"}}, 'values[0][a]: Invalid value: "b c"'),
        ({"matchLabels": {"a/b/c": "x"}}, 'key: Invalid value: "a/b/c": a qualified name must consist'),
        ({"matchLabels": {"a": 1}}, "must be a string"),
    ],
)
def test_from_label_selector_rejects(selector: dict[str, object], message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        from_label_selector(selector)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("selector", "printed"),
    [
        (None, "<none>"),
        ({}, "<none>"),
        ({"matchLabels": {"app": "agent"}}, "app=agent"),
        (
            {
                "matchLabels": {"foo": "bar"},
                "matchExpressions": [{"key": "baz", "operator": "In", "values": ["qux", "norf"]}],
            },
            "baz in (norf,qux),foo=bar",
        ),
        (DS_SELECTOR, "!canary,env notin (dev),name=agent,owner,tier in (edge,web)"),
        ({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}, "<error>"),
    ],
)
def test_format_label_selector(selector: dict[str, object] | None, printed: str) -> None:
    assert format_label_selector(selector) == printed


def test_selector_matches_convenience() -> None:
    assert selector_matches({"matchLabels": {"app": "agent"}}, {"app": "agent", "x": "y"})
    assert not selector_matches({"matchLabels": {"app": "agent"}}, None)
    assert selector_matches({}, None)
    assert not selector_matches(None, {"app": "agent"})


@pytest.mark.parametrize(
    "key",
    ["a", "A.b_c-D", "example.com/name", "k8s.io/a", "a" * 63, "x.y/" + "a" * 63, "sub." * 60 + "io/k"],
)
def test_valid_label_keys(key: str) -> None:
    assert label_key_errors(key) == []


@pytest.mark.parametrize(
    ("key", "first_error"),
    [
        ("", "name part must be non-empty"),
        ("a" * 64, "name part must be no more than 63 characters"),
        ("-a", f"name part {NAME_RULE}"),
        ("a b", f"name part {NAME_RULE}"),
        ("/a", "prefix part must be non-empty"),
        ("a/", "name part must be non-empty"),
        ("Example.com/a", "prefix part a lowercase RFC 1123 subdomain must consist of lower case"),
        ("a" * 254 + "/b", "prefix part must be no more than 253 characters"),
        ("a/b/c", "a qualified name must consist of"),
        ("naïve", f"name part {NAME_RULE}"),
    ],
)
def test_invalid_label_keys(key: str, first_error: str) -> None:
    errors = label_key_errors(key)
    assert errors
    assert errors[0].startswith(first_error)


def test_invalid_label_values() -> None:
    assert label_value_errors("") == []
    assert label_value_errors("a.b_c-D9") == []
    assert label_value_errors("a" * 63) == []
    assert label_value_errors("a" * 64) == ["must be no more than 63 characters"]
    assert label_value_errors("-a") == [VALUE_RULE]
    assert label_value_errors("a\n") == [VALUE_RULE]  # no end-of-line leniency, unlike a bare re "$"


def test_selectors_are_hashable_values() -> None:
    assert hash(parse_selector("a in (b,c)")) == hash(parse_selector("a in (c,b)"))
    assert {parse_selector("a"), parse_selector("a ")} == {parse_selector("a")}

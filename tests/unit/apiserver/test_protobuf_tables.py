"""The protobuf message tables against upstream's OpenAPI definitions, the table language, and the
generic decoder's wire rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from everynode.apiserver.description.schema import definitions, root_definition
from everynode.apiserver.request import protobuf_layout as pl
from everynode.apiserver.request.protobuf import MAGIC, ProtobufError, decode_kubernetes_protobuf
from everynode.apiserver.request.protobuf_decoder import decode_message
from everynode.apiserver.request.protobuf_kinds import ANY_VERSION, KINDS, layouts
from tests.unit.apiserver.protobuf_encoding import (
    T_2024,
    body,
    encode_object,
    fixed64,
    int_or_string,
    ld,
    meta,
    msg,
    num,
    running_pod,
    varint,
)

# --- the tables against the OpenAPI definitions (the JSON truth) ------------------------------------------

_REF = "#/$defs/"
_SPECIAL_DEFINITIONS = {
    pl.TIME: "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
    pl.MICRO_TIME: "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
    pl.QUANTITY: "io.k8s.apimachinery.pkg.api.resource.Quantity",
    pl.INT_OR_STRING: "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    pl.RAW_EXTENSION: "io.k8s.apimachinery.pkg.runtime.RawExtension",
    pl.FIELDS_V1: "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
}
_JSON_TYPES = {
    pl.STRING: "string",
    pl.BYTES: "string",
    pl.INT32: "integer",
    pl.INT64: "integer",
    pl.BOOL: "boolean",
    pl.DOUBLE: "number",
}


def _types(prop: dict[str, Any]) -> set[str]:
    declared = prop.get("type")
    return ({declared} if isinstance(declared, str) else set(declared or ())) - {"null"}


def _flat(layout: pl.Layout, inlined: set[str]) -> dict[str, pl.Field]:
    """A message's fields by JSON name, inline messages' fields in their place (their names go to
    ``inlined``)."""
    fields: dict[str, pl.Field] = {}
    for f in layout.fields.values():
        if f.presence == pl.INLINE:
            assert f.layout is not None
            inlined.add(f.layout.name)
            fields.update(_flat(f.layout, inlined))
        else:
            fields[f.name] = f
    return fields


class _Checker:
    """Walks a kind's layout and its OpenAPI definition together; collects every disagreement."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.visited: set[tuple[str, str]] = set()
        self.inlined: set[str] = set()

    def message(self, layout: pl.Layout, definition: str, *, root: bool = False) -> None:
        if (layout.name, definition) in self.visited:
            return
        self.visited.add((layout.name, definition))
        schema = definitions()[definition]
        properties = dict(schema.get("properties", {}))
        if root or "x-kubernetes-group-version-kind" in schema:
            # TypeMeta: the envelope carries the kind's; protobuf has none for an object nested in
            # another (a StatefulSet's claim templates, an Eviction's DeleteOptions)
            properties.pop("apiVersion", None)
            properties.pop("kind", None)
        fields = _flat(layout, self.inlined)
        for name in sorted(set(properties) - set(fields)):
            self.problems.append(f"{layout.name}: no field for {definition}.{name}")
        for name in sorted(set(fields) - set(properties)):
            self.problems.append(f"{layout.name}.{name}: not in {definition}")
        for name in schema.get("required", ()):
            f = fields.get(name)
            if (
                f is not None
                and f.shape == pl.SINGLE
                and f.kind in pl.SCALAR_KINDS
                and f.presence == pl.OMITEMPTY
            ):
                self.problems.append(
                    f"{layout.name}.{name}: required in {definition}, but declared omitempty"
                )
        for name, f in fields.items():
            if name in properties:
                self.field(f, properties[name], f"{layout.name}.{name}")

    def field(self, f: pl.Field, prop: dict[str, Any], where: str) -> None:
        if f.shape == pl.REPEATED:
            if _types(prop) != {"array"}:
                self.problems.append(f"{where}: a list here, {prop.get('type')} in OpenAPI")
                return
            prop = prop.get("items", {})
        elif f.shape == pl.MAP:
            if _types(prop) != {"object"} or "additionalProperties" not in prop:
                self.problems.append(f"{where}: a map here, not in OpenAPI")
                return
            prop = prop["additionalProperties"]
        if f.kind in pl.SCALAR_KINDS:
            if _types(prop) != {_JSON_TYPES[f.kind]}:
                self.problems.append(f"{where}: {f.kind} here, {prop.get('type')} in OpenAPI")
            if f.kind == pl.BYTES and prop.get("format") != "byte":
                self.problems.append(f"{where}: bytes here, format {prop.get('format')} in OpenAPI")
            return
        ref = str(prop.get("$ref", ""))
        if not ref.startswith(_REF):
            self.problems.append(f"{where}: {f.kind} here, {prop} in OpenAPI")
        elif f.kind in _SPECIAL_DEFINITIONS:
            if ref[len(_REF) :] != _SPECIAL_DEFINITIONS[f.kind]:
                self.problems.append(f"{where}: {f.kind} here, {ref} in OpenAPI")
        else:
            assert f.layout is not None
            self.message(f.layout, ref[len(_REF) :])


def test_every_table_agrees_with_the_openapi_definitions() -> None:
    """JSON names both ways (every property has a field, every field a property), JSON types, lists,
    maps and special types, and every required scalar is always written."""
    checker = _Checker()
    roots = [*KINDS.items(), *((("meta.k8s.io/v1", kind), name) for kind, name in ANY_VERSION.items())]
    for (api_version, kind), name in roots:
        if api_version == "policy/v1beta1":
            continue  # no longer in the 1.33 definitions; the layout is policy/v1's
        group, _, version = api_version.rpartition("/")
        definition = root_definition(group, version, kind)
        assert definition is not None, (api_version, kind)
        checker.message(layouts()[name], definition, root=True)
    assert checker.problems == []
    reached = {name for name, _ in checker.visited} | checker.inlined
    assert reached == set(layouts()), "every declared message is reachable from a kind"


# --- the table language -------------------------------------------------------------------------------------


def test_declarations_compile_to_fields() -> None:
    compiled = pl.compile_tables(
        {
            "t": {
                "M": {
                    1: "a string",
                    2: "b *int32",
                    3: "c []N",
                    4: "d map[Quantity]",
                    5: "... N",
                    6: "e int64 always",
                },
                "N": {1: "x bool always", 2: "y other.O"},
            },
            "other": {"O": {1: "z Time"}},
        }
    )
    m = compiled["t.M"]
    assert [(f.name, f.kind, f.shape, f.presence) for f in m.fields.values()] == [
        ("a", pl.STRING, pl.SINGLE, pl.OMITEMPTY),
        ("b", pl.INT32, pl.SINGLE, pl.POINTER),
        ("c", pl.MESSAGE, pl.REPEATED, pl.OMITEMPTY),
        ("d", pl.QUANTITY, pl.MAP, pl.OMITEMPTY),
        ("", pl.MESSAGE, pl.SINGLE, pl.INLINE),
        ("e", pl.INT64, pl.SINGLE, pl.ALWAYS),
    ]
    assert m.fields[3].layout is compiled["t.N"]
    assert compiled["t.N"].fields[2].layout is compiled["other.O"]
    assert m.defaults == (("x", False), ("e", 0))  # the inline message's always-written keys too
    assert pl.json_names(m) == ["a", "b", "c", "d", "x", "y", "e"]


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ("a", "expected"),
        ("a string extra words", "expected"),
        ("a map[string", "unknown type"),
        ("a float", "no message t.float"),
        ("a Missing", "no message t.Missing"),
        ("a other.M", "no message other.M"),
        ("a []string always", "'always' is for single scalars"),
        ("a bytes always", "'always' is for single scalars"),
        ("a M always", "'always' is for single scalars"),
        ("... string", "only a declared message can be inlined"),
        ("... *M", "an inline field is a plain message"),
        ("b string", "declared twice"),
    ],
)
def test_bad_declarations_are_refused(declaration: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pl.compile_tables({"t": {"M": {1: declaration, 2: "b int32"}}})


def test_an_inline_message_cannot_contain_itself() -> None:
    with pytest.raises(ValueError, match="inlines itself"):
        pl.compile_tables({"t": {"M": {1: "... N"}, "N": {1: "... M"}}})


# --- decoder rules ----------------------------------------------------------------------------------------


def test_packed_and_unpacked_repeated_numbers_decode_alike() -> None:
    groups = [1000, -1, 2**40]
    packed = ld(4, b"".join(varint(g) for g in groups))
    unpacked = b"".join(num(4, g) for g in groups)
    for encoded in (packed, unpacked):
        pod = decode_kubernetes_protobuf(body("v1", "Pod", meta("p"), msg(2, msg(14, encoded))))
        assert pod["spec"]["securityContext"]["supplementalGroups"] == groups


def test_int32_keeps_the_low_32_bits_as_go_does() -> None:
    raw = body("scheduling.k8s.io/v1", "PriorityClass", meta("p"), num(2, (1 << 32) + 7), num(3, 1))
    assert decode_kubernetes_protobuf(raw)["value"] == 7
    raw = body("scheduling.k8s.io/v1", "PriorityClass", meta("p"), num(2, -2_000_000_000))
    assert decode_kubernetes_protobuf(raw)["value"] == -2_000_000_000


def test_map_entries_without_a_value_hold_the_zero_value() -> None:
    limits = msg(1, ld(1, "cpu"))  # no value: the zero Quantity
    labels_entry = msg(11, ld(1, "empty"))
    pod = decode_kubernetes_protobuf(
        body("v1", "Pod", msg(1, labels_entry), msg(2, msg(2, ld(1, "c"), msg(8, limits))))
    )
    assert pod["metadata"]["labels"] == {"empty": ""}
    assert pod["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "0"}}


def test_a_singular_special_message_seen_twice_merges() -> None:
    # IntOrString {type: 1} then {strVal: "http"}: one merged value, as protobuf merges messages
    port = msg(2, num(1, 1)) + msg(2, ld(3, "http"))
    rule = msg(2, msg(1, port))
    policy = decode_kubernetes_protobuf(
        body("networking.k8s.io/v1", "NetworkPolicy", meta("n"), msg(2, rule))
    )
    assert policy["spec"]["ingress"] == [{"ports": [{"port": "http"}]}]


def test_a_double_field_decodes_and_refuses_what_json_cannot_carry() -> None:
    layout = pl.compile_tables({"t": {"M": {1: "ratio double", 2: "weights []double"}}})["t.M"]
    data = fixed64(1, 0.25) + fixed64(2, 1.5) + fixed64(2, 0.0)
    assert decode_message(layout, data, 0, len(data), "M") == {"ratio": 0.25, "weights": [1.5, 0.0]}
    zero = fixed64(1, 0.0)
    assert decode_message(layout, zero, 0, len(zero), "M") == {}  # omitempty
    nan = fixed64(1, float("nan"))
    with pytest.raises(ProtobufError, match=r"M\.ratio \(field 1\) is nan"):
        decode_message(layout, nan, 0, len(nan), "M")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            body("apps/v1", "Deployment", msg(2, msg(3, msg(2, msg(2, ld(1, b"\xff")))))),
            r"Deployment\.spec\.template\.spec\.containers\[0\]\.name \(field 1\) is not valid UTF-8",
        ),
        (
            body("v1", "Service", msg(2, msg(1, msg(4, num(1, 2))))),
            r"Service\.spec\.ports\[0\]\.targetPort: IntOrString type 2",
        ),
        (
            body("apps/v1", "ControllerRevision", msg(2, ld(1, b"{not json"))),
            r"ControllerRevision\.data is not valid JSON",
        ),
        (
            body("coordination.k8s.io/v1", "Lease", msg(2, msg(4, num(1, -5)))),
            r"Lease\.spec\.renewTime: timestamp -5 is out of range",
        ),
        (
            body("v1", "Pod", msg(2, ld(25, "high"))),
            r"Pod\.spec\.priority \(field 25\): expected varint, got length-delimited",
        ),
        (
            body("v1", "Pod", msg(2, msg(14, ld(4, b"\x80")))),
            r"Pod\.spec\.securityContext\.supplementalGroups: truncated varint",
        ),
        (
            body("v1", "Node", msg(3, msg(1, num(1, 5)))),
            r"Node\.status\.capacity: a map key must be length-delimited",
        ),
        (body("v1", "Pod", msg(2, msg(2, ld(1, "c"), msg(8, msg(1, ld(1, "cpu"), num(2, 1)))))), "map value"),
    ],
)
def test_errors_name_the_field_path(data: bytes, message: str) -> None:
    with pytest.raises(ProtobufError, match=message):
        decode_kubernetes_protobuf(data)


def test_int_or_string_as_go_writes_both_forms() -> None:
    for value in (8080, "http", 0, -1):
        service = decode_kubernetes_protobuf(
            body("v1", "Service", msg(2, msg(1, num(3, 80), int_or_string(4, value))))
        )
        assert service["spec"]["ports"] == [{"port": 80, "targetPort": value}]


def test_a_singular_message_seen_three_times_is_the_merge_of_all() -> None:
    spec = msg(2, num(1, 3)) + msg(2, msg(4, ld(1, "Recreate"))) + msg(2, num(7, 1), num(1, 5))
    deployment = decode_kubernetes_protobuf(body("apps/v1", "Deployment", meta("web"), spec))
    assert deployment["spec"] == {"replicas": 5, "strategy": {"type": "Recreate"}, "paused": True}


def test_embedded_json_nests_no_deeper_than_a_json_body_may() -> None:
    deep = b"[" * 196 + b"]" * 196  # 196 levels, 200 with the four around a managedFields entry
    ok = decode_kubernetes_protobuf(body("apps/v1", "ControllerRevision", msg(2, ld(1, deep))))
    assert isinstance(ok["data"], list)
    too_deep = b"[" + deep + b"]"
    with pytest.raises(ProtobufError, match=r"ControllerRevision\.data nests deeper than 196 levels"):
        decode_kubernetes_protobuf(body("apps/v1", "ControllerRevision", msg(2, ld(1, too_deep))))


def test_the_envelope_merges_type_meta_and_keeps_the_last_raw() -> None:
    data = (
        b"k8s\x00"
        + msg(1, ld(1, "v1"))
        + msg(1, ld(2, "Namespace"))
        + ld(2, meta("old"))
        + ld(2, meta("new"))
    )
    assert decode_kubernetes_protobuf(data) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "new"},
    }


def test_times_read_as_their_protobuf_decoders_read_them() -> None:
    def start_time(*fields: bytes) -> object:
        pod = decode_kubernetes_protobuf(body("v1", "Pod", meta("p"), msg(3, msg(7, *fields))))
        return pod["status"].get("startTime")

    def renew_time(*fields: bytes) -> object:
        lease = decode_kubernetes_protobuf(body("coordination.k8s.io/v1", "Lease", msg(2, msg(4, *fields))))
        return lease["spec"].get("renewTime")

    assert start_time() is None  # Go writes the zero time as an empty message
    assert start_time(num(1, -62135596800)) is None  # Go's zero time, written out
    assert start_time(num(1, T_2024), num(2, -1)) == "2024-01-01T00:00:00Z"  # Time drops nanoseconds
    assert renew_time(num(1, T_2024), num(2, 1_999)) == "2024-01-01T00:00:00.000001Z"  # truncated
    assert renew_time(num(1, T_2024), num(2, 1_500_000_000)) == "2024-01-01T00:00:01.500000Z"
    assert renew_time(num(2, 999)) is None  # under a microsecond after zero: zero


_KIND_NAMES = sorted(KINDS)
_POD_BODY = encode_object(running_pod())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(_KIND_NAMES), raw=st.binary(max_size=400))
def test_any_bytes_decode_or_raise_protobuf_error(kind: tuple[str, str], raw: bytes) -> None:
    try:
        decoded = decode_kubernetes_protobuf(body(*kind, raw))
    except ProtobufError:
        return
    assert (decoded["apiVersion"], decoded["kind"]) == kind


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4))
def test_a_damaged_pod_decodes_or_raises_protobuf_error(flips: list[tuple[int, int]]) -> None:
    data = bytearray(_POD_BODY)
    for position, byte in flips:
        data[len(MAGIC) + position % (len(data) - len(MAGIC))] = byte
    try:
        decoded = decode_kubernetes_protobuf(bytes(data))
    except ProtobufError:
        return
    assert isinstance(decoded, dict)
